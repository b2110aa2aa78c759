//! `network.svg`: where the bytes went, and whether queues built up.
//!
//! Top: a traffic matrix over the whole run. Row = sender, column = receiver; each cell
//! holds the bytes that node sent to that one (darker = more, on a log scale so a quiet link
//! still shows) and, on a red tag, how many of those messages the link lost (white on red,
//! the same red on a pale cell as on a dark one). A Raft cluster shows a bright leader row
//! and column; a partition shows as red tags on the cells between the sides.
//!
//! Bottom: for links with a bandwidth limit, the bytes waiting in the link's send queue over
//! time (the largest backlog in each time bucket), for the busiest links. A queue that sits
//! at its cap means the link is saturated and new messages are being dropped (tail drop).
//! Runs without bandwidth limits have no queues, and the chart says so.

use std::collections::BTreeMap;

use super::axes::{Frame, FrameSpec, LegendSwatch, YAxis, legend};
use super::faults;
use super::fonts::text_width;
use super::style::{LABEL_PX, SMALL_PX, WIDTH};
use super::svg::{Anchor, Num, Svg};
use super::{ChartError, Inputs};
use crate::report::narrative::bytes;
use crate::report::outcome::LinkFigures;

const CSS: &str = ".cell{stroke:#fff;stroke-width:1}.cell-text{fill:#222}.cell-text.light{fill:#fff}\
.cell-lost{fill:#fff;font-weight:bold}.lost-tag{fill:#C00000}.node-name{font-weight:bold}\
.queue{fill:none;stroke-width:1.5}";

const QUEUE_COLOURS: [&str; 8] =
    ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B"];
/// Most queue lines drawn.
const MAX_QUEUES: usize = 8;

/// The network chart.
pub fn render(input: &Inputs<'_>) -> Result<String, ChartError> {
    let rec = input.recording;
    let names: Vec<&str> = {
        let mut used: Vec<&str> = Vec::new();
        for n in &rec.nodes {
            if input.outcome.links.iter().any(|l| l.from == n.name || l.to == n.name) {
                used.push(&n.name);
            }
        }
        used
    };
    let n = names.len().max(1);
    let cw = ((f64::from(WIDTH) - 160.0) / n as f64).clamp(34.0, 80.0);
    let ch = 32.0;
    let mx = 90.0;
    let my = 120.0;
    let matrix_h = ch * n as f64;
    let queues = busiest_queues(input);
    let queue_top = my + matrix_h + 110.0;
    let end_s = input.end_ns() as f64 / 1e9;
    let title = format!("Network traffic — {}", input.run_name());
    let subtitle = "Bytes each node sent to each other node over the whole run (row: sender, column: receiver; \
                    darker = more). On a red tag: messages that link lost.";
    let peak = queues.iter().flat_map(|q| q.max_bytes.iter().copied()).max().unwrap_or(0);
    let spec = FrameSpec {
        size: (WIDTH, (queue_top + 300.0) as u32),
        title: &title,
        subtitle,
        top: queue_top as u32,
        right: 30,
        left_labels: 70,
        bottom_labels: 44,
        x: (0.0, end_s),
        x_desc: "time since the start of the run (s)",
        y: YAxis::Linear(0.0, (peak as f64 * 1.1).max(1.0)),
        y_desc: "bytes queued",
    };
    let frame = if queues.is_empty() {
        Frame::blank((WIDTH, (queue_top - 40.0) as u32))?
    } else {
        Frame::new(&spec)?
    };
    let mut s = frame.overlay(&spec, CSS);
    matrix(&mut s, input, &names, (mx, my), (cw, ch));
    let plot = frame.plot;
    let bucket = queues.first().map_or(0, |q| q.bucket_ns);
    let heading = if queues.is_empty() {
        "Link queues: no link in this run has a bandwidth limit, so nothing ever waits to be sent."
            .to_string()
    } else {
        format!(
            "Link queues: bytes waiting to be sent on the busiest bandwidth-limited links (largest backlog per {}).",
            crate::sim::SimDuration(bucket)
        )
    };
    s.text(14.0, queue_top - 68.0, LABEL_PX + 1.0, Anchor::Start, "title", &heading);
    let entries: Vec<(String, LegendSwatch)> = queues
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let peak = q.max_bytes.iter().copied().max().unwrap_or(0);
            (format!("{} (peak {})", q.name, bytes(peak)), LegendSwatch::Line(QUEUE_COLOURS[i % 8]))
        })
        .collect();
    legend(&mut s, 14.0, queue_top - 46.0, f64::from(WIDTH) - 20.0, &entries);
    let total = input.recording.queues.len();
    if total > queues.len() {
        let note = format!(
            "{} more bandwidth-limited links are not drawn (their queues were shorter).",
            total - queues.len()
        );
        s.text(14.0, queue_top - 14.0, SMALL_PX, Anchor::Start, "muted", &note);
    }
    if queues.is_empty() {
        return Ok(frame.finish(s));
    }
    let bands = faults::bands(input.outcome, input.end_ns());
    faults::draw(&mut s, &bands, &frame.x, plot, plot.y0 - 4.0, 1);
    s.open_group("queues", &[]);
    for (i, q) in queues.iter().enumerate() {
        let mut d = String::new();
        for (b, &v) in q.max_bytes.iter().enumerate() {
            let t = (b as f64 + 0.5) * q.bucket_ns as f64 / 1e9;
            let cmd = if b == 0 { 'M' } else { 'L' };
            d.push_str(&format!("{cmd}{} {}", Num(frame.x.px(t)), Num(frame.y.px(v as f64))));
        }
        s.path(
            &d,
            "queue",
            &[("data-link", q.name.clone()), ("stroke", QUEUE_COLOURS[i % 8].to_string())],
            Some(&q.name),
        );
    }
    s.close_group();
    Ok(frame.finish(s))
}

struct Queue {
    name: String,
    bucket_ns: u64,
    max_bytes: Vec<u64>,
}

fn busiest_queues(input: &Inputs<'_>) -> Vec<Queue> {
    let rec = input.recording;
    let name = |i: u32| rec.nodes.get(i as usize).map_or_else(|| format!("#{i}"), |n| n.name.clone());
    let mut v: Vec<(u64, u32, u32, usize)> = rec
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| (q.max_bytes.iter().copied().max().unwrap_or(0), q.from, q.to, i))
        .collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    v.into_iter()
        .filter(|e| e.0 > 0)
        .take(MAX_QUEUES)
        .map(|(_, f, t, i)| Queue {
            name: format!("{}→{}", name(f), name(t)),
            bucket_ns: rec.queues[i].bucket_ns,
            max_bytes: rec.queues[i].max_bytes.clone(),
        })
        .collect()
}

fn matrix(s: &mut Svg, input: &Inputs<'_>, names: &[&str], (mx, my): (f64, f64), (cw, ch): (f64, f64)) {
    let links: BTreeMap<(&str, &str), &LinkFigures> =
        input.outcome.links.iter().map(|l| ((l.from.as_str(), l.to.as_str()), l)).collect();
    let max = links.values().map(|l| l.bytes).max().unwrap_or(1).max(1);
    s.text(mx - 8.0, my - 26.0, SMALL_PX, Anchor::End, "muted", "from ↓  to →");
    s.open_group("matrix", &[]);
    for (j, to) in names.iter().enumerate() {
        s.text(mx + cw * (j as f64 + 0.5), my - 8.0, LABEL_PX, Anchor::Middle, "node-name", to);
    }
    for (i, from) in names.iter().enumerate() {
        let y = my + ch * i as f64;
        s.text(mx - 8.0, y + ch / 2.0 + 4.0, LABEL_PX, Anchor::End, "node-name", from);
        for (j, to) in names.iter().enumerate() {
            let x = mx + cw * j as f64;
            let Some(l) = links.get(&(*from, *to)) else {
                s.rect(x, y, cw, ch, "cell empty", &[("fill", "#f7f7f7".to_string())], None);
                continue;
            };
            let f = ((1.0 + l.bytes as f64).ln() / (1.0 + max as f64).ln()).clamp(0.0, 1.0);
            let fill = shade(f);
            let title = format!(
                "{from}→{to}: {} messages, {}, {} lost, peak queue {}",
                l.messages,
                bytes(l.bytes),
                l.dropped,
                bytes(l.peak_queue_bytes)
            );
            s.rect(
                x,
                y,
                cw,
                ch,
                "cell",
                &[
                    ("data-from", from.to_string()),
                    ("data-to", to.to_string()),
                    ("data-bytes", l.bytes.to_string()),
                    ("data-dropped", l.dropped.to_string()),
                    ("fill", fill),
                ],
                Some(&title),
            );
            let light = if f > 0.62 { " light" } else { "" };
            let text = bytes(l.bytes);
            let px = if text_width(&text, SMALL_PX) + 4.0 < cw { SMALL_PX } else { SMALL_PX - 2.0 };
            let ty = if l.dropped > 0 { y + ch / 2.0 - 1.0 } else { y + ch / 2.0 + 3.5 };
            s.text(x + cw / 2.0, ty, px, Anchor::Middle, &format!("cell-text{light}"), &text);
            if l.dropped > 0 {
                let lost = format!("{} lost", l.dropped);
                let lost = if text_width(&lost, SMALL_PX - 1.0) + 4.0 < cw {
                    lost
                } else {
                    format!("×{}", l.dropped)
                };
                let tw = text_width(&lost, SMALL_PX - 1.0) + 4.0;
                s.rect(
                    x + (cw - tw) / 2.0,
                    y + ch / 2.0 + 2.0,
                    tw,
                    11.0,
                    "lost-tag",
                    &[("rx", "2".to_string())],
                    None,
                );
                s.text(x + cw / 2.0, y + ch / 2.0 + 10.5, SMALL_PX - 1.0, Anchor::Middle, "cell-lost", &lost);
            }
        }
    }
    s.close_group();
}

/// White to deep blue.
fn shade(f: f64) -> String {
    let (r, g, b) = (255.0 + (8.0 - 255.0) * f, 255.0 + (69.0 - 255.0) * f, 255.0 + (148.0 - 255.0) * f);
    format!("#{:02X}{:02X}{:02X}", r.round() as u8, g.round() as u8, b.round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(shade(0.0), "#FFFFFF");
        assert_eq!(shade(1.0), "#084594");
    }
}
