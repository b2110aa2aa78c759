//! A linearizability counterexample drawn as operation bars, as Porcupine's visualisation
//! draws one (Athalye, 2017): a lane per client, a bar per operation from its invocation to
//! its reply (open-ended when it never got one), labelled with what it asked and what it
//! returned, and an arrow from each operation that returned to every listed operation
//! invoked after it — the real-time order every one-at-a-time explanation must respect.
//! A stale read is then a picture: the write's bar ends, an arrow leaves it, and the read
//! that begins after the arrow still returns the older value.
//!
//! Drawn from the typed [`Counterexample`] alone (it carries each operation's times), so
//! the comparison report can draw the anomaly one of its runs found without that run's
//! history.

use std::fmt::Write as _;

use super::ChartError;
use super::axes::{Frame, FrameSpec, YAxis};
use super::style::{LABEL_PX, SMALL_PX, WIDTH};
use super::svg::{Anchor, Num};
use crate::check::linearizability::{Counterexample, CounterexampleOp};
use crate::workload::kv::unpadded;

const LANE: f64 = 46.0;

// Class names start with `cx-`: the comparison page shows this chart inline, where its style
// block applies to the whole page.
const CSS: &str = ".cx-op{fill:#fde0c5;stroke:#D55E00;stroke-width:2}\
.cx-op.cx-open{fill:#fff3d6;stroke:#E69F00;stroke-dasharray:5 3}\
.cx-label{fill:#222}.cx-client{fill:#333}.cx-lane{stroke:#ddd;stroke-width:1}\
.cx-order{stroke:#555;stroke-width:1.3;fill:none}";

/// What an operation asked and returned, in a few words: `put "4" → ok`, `get → "3"`.
pub fn op_label(o: &CounterexampleOp) -> String {
    let call = if o.input.is_empty() { o.kind.clone() } else { format!("{} {}", o.kind, unpadded(&o.input)) };
    match o.ret {
        Some(_) => format!("{call} \u{2192} {}", unpadded(&o.output)),
        None => format!("{call} (no reply)"),
    }
}

/// The chart: `title` on top, the counterexample's operations below; `id` names its arrow
/// marker (unique per page when several are shown inline).
pub fn render(c: &Counterexample, title: &str, id: &str) -> Result<String, ChartError> {
    let mut clients: Vec<u32> = c.ops.iter().map(|o| o.client).collect();
    clients.sort_unstable();
    clients.dedup();
    let lanes = clients.len().max(1);
    let first = c.ops.iter().map(|o| o.call).min().unwrap_or(0);
    let last = c.ops.iter().map(|o| o.ret.unwrap_or(o.call)).max().unwrap_or(first).max(first + 1);
    // Room either side, and for the open end of an operation without a reply.
    let pad = ((last - first) / 8).max(1_000_000);
    let (x0, x1) = ((first.saturating_sub(pad)) as f64 / 1e9, (last + 2 * pad) as f64 / 1e9);
    let subtitle = format!(
        "On {}: a bar per operation, invocation to reply, a lane per client; an arrow: returned before the next began.",
        c.partition
    );
    let height = 110.0 + LANE * lanes as f64 + 50.0;
    let spec = FrameSpec {
        size: (WIDTH, height.round() as u32),
        title,
        subtitle: &subtitle,
        top: 60,
        right: 40,
        left_labels: 64,
        bottom_labels: 44,
        x: (x0, x1),
        x_desc: "time since the start of the run (s)",
        y: YAxis::Lanes(0.0, lanes as f64),
        y_desc: "",
    };
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    let marker = format!("cx-arrow-{}", id.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    s.fmt(format_args!(
        "<defs><marker id=\"{marker}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"#555\"/></marker></defs>\n"
    ));
    let arrow = [("marker-end", format!("url(#{marker})"))];
    let plot = frame.plot;
    let lane_h = plot.h() / lanes as f64;
    let lane_of = |client: u32| clients.iter().position(|&c| c == client).unwrap_or(0);
    let bar_y = |client: u32| plot.y0 + lane_h * lane_of(client) as f64 + lane_h * 0.45;
    for (i, c) in clients.iter().enumerate() {
        let y = plot.y0 + lane_h * (i as f64 + 0.5);
        s.text(plot.x0 - 8.0, y + 4.0, LABEL_PX, Anchor::End, "cx-client", &format!("c{}", c + 1));
        if i > 0 {
            let yl = plot.y0 + lane_h * i as f64;
            s.line(plot.x0, yl, plot.x1, yl, "cx-lane", &[]);
        }
    }
    let x = |ns: u64| frame.x.px(ns as f64 / 1e9);
    // The real-time order first, under the bars.
    for a in &c.ops {
        let Some(r) = a.ret else { continue };
        for b in c.ops.iter().filter(|b| r < b.call) {
            let (ax, ay) = (x(r), bar_y(a.client) + 7.0);
            let (bx, by) = (x(b.call), bar_y(b.client) + 7.0);
            let mut d = String::new();
            let _ = write!(
                d,
                "M{} {}C{} {} {} {} {} {}",
                Num(ax),
                Num(ay),
                Num((ax + bx) / 2.0),
                Num(ay + 18.0),
                Num((ax + bx) / 2.0),
                Num(by + 18.0),
                Num(bx),
                Num(by)
            );
            s.path(
                &d,
                "cx-order",
                &arrow,
                Some(&format!(
                    "c{}'s {} returned before c{}'s {} began",
                    a.client + 1,
                    a.kind,
                    b.client + 1,
                    b.kind
                )),
            );
        }
    }
    for o in &c.ops {
        let y = bar_y(o.client);
        let (a, open) = match o.ret {
            Some(r) => (x(r), false),
            None => (plot.x1 - 4.0, true),
        };
        let start = x(o.call);
        let text = format!(
            "c{}: {} — invoked {:.6} s, {}",
            o.client + 1,
            op_label(o),
            o.call as f64 / 1e9,
            o.ret.map_or("never answered".to_string(), |r| format!("returned {:.6} s", r as f64 / 1e9))
        );
        let class = if open { "cx-op cx-open" } else { "cx-op" };
        s.rect(
            start,
            y,
            (a - start).max(3.0),
            14.0,
            class,
            &[("data-client", (o.client + 1).to_string())],
            Some(&text),
        );
        s.text(start, y - 5.0, SMALL_PX + 1.0, Anchor::Start, "cx-label", &op_label(o));
    }
    Ok(frame.finish(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::check::linearizability::CounterexampleOp as Op;

    fn op(
        index: usize,
        client: u32,
        kind: &str,
        input: &str,
        output: &str,
        call: u64,
        ret: Option<u64>,
    ) -> Op {
        Op::new(index, client, kind, input, output, call, ret)
    }

    fn stale() -> Counterexample {
        Counterexample {
            partition: "key \"k6\"".into(),
            partition_ops: 12,
            considered: 3,
            context: 0,
            cut: None,
            ops: vec![
                op(3, 0, "put", "\"4\"", "ok", 1_000_000_000, Some(1_100_000_000)),
                op(9, 2, "get", "", "\"3\"", 1_200_000_000, Some(1_300_000_000)),
                op(11, 1, "put", "\"5\"", "", 1_250_000_000, None),
            ],
            minimal: true,
            initial_state: "nothing".into(),
            partial: Vec::new(),
            carried_in: None,
        }
    }

    /// Each operation is a bar in its client's lane with what it asked and returned; the
    /// only real-time order (the put returned before the get began) is one arrow; the
    /// operation without a reply is drawn open-ended.
    #[test]
    fn a_stale_read_is_drawn_with_its_order() {
        let svg = render(&stale(), "A stale read", "quorum").expect("draws");
        assert_eq!(svg.matches("<rect class=\"cx-op\"").count(), 2, "{svg}");
        assert_eq!(svg.matches("<rect class=\"cx-op cx-open\"").count(), 1);
        assert_eq!(svg.matches("class=\"cx-order\"").count(), 2, "put→get and put→the unanswered put");
        assert!(svg.contains("c1&#39;s put returned before c3&#39;s get began"), "{svg}");
        assert!(svg.contains(">get → &quot;3&quot;</text>"), "{svg}");
        for lane in ["c1", "c2", "c3"] {
            assert!(svg.contains(&format!(">{lane}</text>")), "lane {lane}");
        }
    }
}
