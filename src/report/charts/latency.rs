//! `latency.svg`: every client operation as one mark, like Jepsen's latency plots.
//!
//! Across: when the client sent the operation. Up: how long until its reply, on a log scale
//! (so a 2 ms operation and a 2 s one both stay visible). Colour and shape give the outcome:
//! a blue dot for `ok`, a vermillion square for `fail` (definitely not applied), and an
//! orange triangle in the strip above the plot for `info` — the client never got a reply, so
//! the operation has no latency and its effect is unknown. Dashed lines mark the median and
//! 99th percentile of `ok` operations; shaded bands are the fault windows. A gap in the
//! dots, or a rising cloud, during a band is the fault's cost as a client saw it. A very
//! long run's marks are thinned to one per grid cell finer than a mark ([`super::ops`]),
//! and the subtitle says so.

use super::axes::{Axis, Frame, FrameSpec, LegendSwatch, Rect, YAxis, legend, log_range, short_number};
use super::faults;
use super::ops::{Named, latency_ms};
use super::style::{FAIL, INFO, LABEL_PX, OK, SMALL_PX, WIDTH, fault_colour};
use super::svg::{Anchor, Num, Svg};
use super::{ChartError, Inputs};
use crate::workload::history::OpOutcome;

const CSS: &str = ".op.ok{fill:#0072B2;fill-opacity:.55}.op.fail{fill:#D55E00}\
.op.info{fill:#E69F00;stroke:#7a4f00;stroke-width:.6}.info-strip{fill:#fff6e0}\
.pct{stroke:#444;stroke-width:1;stroke-dasharray:5 3}";

/// The latency chart, or `None` for runs without client operations.
pub fn render(input: &Inputs<'_>) -> Result<Option<String>, ChartError> {
    let Some(ops) = input.ops else { return Ok(None) };
    let end_s = input.end_ns() as f64 / 1e9;
    let lat: Vec<f64> = ops.latency_ms.map(|(a, b)| vec![a, b]).unwrap_or_default();
    let (lo, hi) = y_range(&lat);
    let count = |k: OpOutcome| ops.count(k);
    let title = format!("Operation latency — {}", input.run_name());
    let subtitle = if ops.thinned {
        format!(
            "Each mark is a client operation: across, when it was sent; up, how long its reply took (log scale). \
             Shaded: fault windows. Thinned to one mark per small cell: {} of {} operations drawn.",
            ops.marks.len(),
            ops.total()
        )
    } else {
        "Each mark is one client operation: across, when it was sent; up, how long its reply took \
         (log scale). Shaded: fault windows."
            .to_string()
    };
    let spec = FrameSpec {
        size: (WIDTH, 520),
        title: &title,
        subtitle: &subtitle,
        top: 112,
        right: 96,
        left_labels: 64,
        bottom_labels: 44,
        x: (0.0, end_s),
        x_desc: "time since the start of the run (s)",
        // A hair wider than the decades, so float rounding cannot drop the end ticks.
        y: YAxis::Log(lo * 0.999, hi * 1.001),
        y_desc: "latency (ms, log scale)",
    };
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    let plot = frame.plot;
    let strip = Rect { x0: plot.x0, y0: plot.y0 - 18.0, x1: plot.x1, y1: plot.y0 - 2.0 };
    let bands = faults::bands(input.outcome, input.end_ns());
    let mut entries = vec![
        (format!("ok: {}", count(OpOutcome::Ok)), LegendSwatch::Dot(OK)),
        (format!("fail (not applied): {}", count(OpOutcome::Fail)), LegendSwatch::Square(FAIL)),
        (
            format!("info (no reply, outcome unknown): {}", count(OpOutcome::Info)),
            LegendSwatch::Triangle(INFO),
        ),
    ];
    let suspects: &[Named] = &ops.named;
    if !suspects.is_empty() {
        entries.push(("ringed: operations no order can explain".to_string(), LegendSwatch::Ring(RING)));
    }
    fault_legend(&bands, &mut entries);
    legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    s.rect(strip.x0, strip.y0, strip.w(), strip.h(), "info-strip", &[], None);
    s.text(strip.x0 - 6.0, strip.y1 - 4.0, SMALL_PX, Anchor::End, "muted", "no reply");
    let band_area = Rect { y0: strip.y0, ..plot };
    faults::draw(&mut s, &bands, &frame.x, band_area, strip.y0 - 4.0, 2);
    percentile_lines(&mut s, input, &frame.y, plot);
    draw_ops(&mut s, input, &frame.x, &frame.y, strip);
    draw_rings(&mut s, suspects, &frame.x, &frame.y, strip);
    Ok(Some(frame.finish(s)))
}

/// The colour of the rings around a counterexample's operations.
const RING: &str = "#C00000";

fn draw_rings(s: &mut Svg, named: &[Named], x: &Axis, y: &Axis, strip: Rect) {
    s.open_group("counterexample", &[]);
    for n in named {
        let o = &n.mark;
        let px = x.px(o.invoke_ns as f64 / 1e9);
        let py = latency_ms(o).map_or((strip.y0 + strip.y1) / 2.0, |ms| y.px(ms));
        let title = format!(
            "counterexample: c{} {:?} {} at {:.3} s",
            n.client + 1,
            n.op,
            n.key,
            o.invoke_ns as f64 / 1e9
        );
        s.fmt(format_args!(
            "<circle class=\"ring\" data-index=\"{}\" cx=\"{}\" cy=\"{}\" r=\"7\" fill=\"none\" stroke=\"{RING}\" \
             stroke-width=\"2\"><title>{}</title></circle>\n",
            o.index,
            Num(px),
            Num(py),
            super::svg::esc(&title)
        ));
    }
    s.close_group();
}

/// Powers of ten around the latencies, at least two decades apart.
fn y_range(lat: &[f64]) -> (f64, f64) {
    log_range(lat.iter().copied())
}

/// Legend entries for the kinds of fault shaded in this run, one per colour.
pub fn fault_legend(bands: &[faults::Band<'_>], entries: &mut Vec<(String, LegendSwatch)>) {
    let mut seen: Vec<(&'static str, Vec<&str>)> = Vec::new();
    for b in bands {
        let c = fault_colour(b.kind);
        match seen.iter_mut().find(|(col, _)| *col == c) {
            Some((_, names)) if !names.contains(&b.kind.name()) => names.push(b.kind.name()),
            Some(_) => {}
            None => seen.push((c, vec![b.kind.name()])),
        }
    }
    for (c, names) in seen {
        entries.push((format!("fault window: {}", names.join(", ")), LegendSwatch::Block(c, 0.25)));
    }
}

fn percentile_lines(s: &mut Svg, input: &Inputs<'_>, y: &Axis, plot: Rect) {
    let Some(ops) = &input.outcome.ops else { return };
    for (name, v) in [("median", ops.p50_ms), ("p99", ops.p99_ms)] {
        let Some(v) = v else { continue };
        let py = y.px(v.max(0.001));
        if py < plot.y0 || py > plot.y1 {
            continue;
        }
        s.line(plot.x0, py, plot.x1, py, "pct", &[]);
        s.text(
            plot.x1 + 4.0,
            py + 4.0,
            LABEL_PX - 1.0,
            Anchor::Start,
            "muted",
            &format!("{name} {} ms", short_number(v)),
        );
    }
}

fn draw_ops(s: &mut Svg, input: &Inputs<'_>, x: &Axis, y: &Axis, strip: Rect) {
    let Some(ops) = input.ops else { return };
    let mid = (strip.y0 + strip.y1) / 2.0;
    for pass in [OpOutcome::Ok, OpOutcome::Fail, OpOutcome::Info] {
        let class = match pass {
            OpOutcome::Ok => "op ok",
            OpOutcome::Fail => "op fail",
            OpOutcome::Info => "op info",
        };
        s.open_group(&format!("ops-{}", class.trim_start_matches("op ")), &[]);
        for o in ops.marks.iter().filter(|o| o.outcome == pass) {
            let px = x.px(o.invoke_ns as f64 / 1e9);
            match (o.outcome, o.complete_ns) {
                (OpOutcome::Info, _) | (_, None) => s.fmt(format_args!(
                    "<path class=\"op info\" d=\"M{} {}h8l-4 7z\"/>\n",
                    Num(px - 4.0),
                    Num(mid - 3.5)
                )),
                (OpOutcome::Ok, Some(c)) => {
                    let py = y.px((c.saturating_sub(o.invoke_ns) as f64 / 1e6).max(0.001));
                    s.circle(px, py, 2.0, class);
                }
                (OpOutcome::Fail, Some(c)) => {
                    let py = y.px((c.saturating_sub(o.invoke_ns) as f64 / 1e6).max(0.001));
                    s.fmt(format_args!(
                        "<rect class=\"op fail\" x=\"{}\" y=\"{}\" width=\"4\" height=\"4\"/>\n",
                        Num(px - 2.0),
                        Num(py - 2.0)
                    ));
                }
            }
        }
        s.close_group();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_spans_at_least_two_decades() {
        assert_eq!(y_range(&[5.0, 20.0]), (1.0, 100.0));
        assert_eq!(y_range(&[5.0, 8.0]), (0.1, 10.0));
        assert_eq!(y_range(&[1.5, 316.0]), (1.0, 1000.0));
        assert_eq!(y_range(&[]), (1.0, 1000.0));
    }
}
