//! The comparison's two charts, drawn from `compare.json` alone with the run report's chart
//! machinery (the embedded font, the frame and axes, the fault bands, the legend):
//!
//! - `latency-cdf.svg`: one line per protocol, the fraction of its `ok` operations (every seed
//!   pooled) that completed within a latency, on a log scale so a 2 ms median and a 2 s tail
//!   both show. Further left is faster; a line that climbs late has a long tail. Dots mark
//!   each protocol's median and 99th percentile;
//! - `throughput.svg`: one line per protocol, `ok` operations per second in each time bucket,
//!   averaged over the seeds, with the scenario's fault windows shaded and labelled as in a
//!   run report. A line that dives inside a band is a protocol that stopped serving during
//!   that fault.
//!
//! Each protocol has a fixed colour ([`protocol_colour`]) and dash pattern, so the
//! lines stay apart in grey print and for colour-blind readers. Every line is a `<path
//! class="series" data-protocol="…">`, so tests and scripts can find it.

use super::findings::{cap, ms};
use super::protocols::protocol_of;
use super::summary::{Comparison, ProtocolSummary};
use crate::fault::FaultKind;
use crate::fault::record::shorten;
use crate::report::charts::axes::{Frame, FrameSpec, LegendSwatch, YAxis, legend, log_range};
use crate::report::charts::faults::{self, Band};
use crate::report::charts::latency::fault_legend;
use crate::report::charts::style::{SMALL_PX, WIDTH, protocol_colour};
use crate::report::charts::svg::{Anchor, Num};
use crate::report::charts::{ChartError, ReportFile};
use crate::scenario::Protocol;

const CSS: &str = ".series{fill:none;stroke-width:2.2;stroke-linejoin:round}\
.guide{stroke:#888;stroke-width:1;stroke-dasharray:5 3}.mark{stroke:#fff;stroke-width:1.2}";

/// The dash pattern of a protocol's line: Raft solid, Multi-Paxos dashed, the quorum store dotted.
fn dash(p: &ProtocolSummary) -> &'static str {
    match protocol_of(&p.protocol) {
        Some(Protocol::PAXOS) => "8 4",
        Some(Protocol::QUORUM) => "2 3",
        _ => "none",
    }
}

fn colour(p: &ProtocolSummary) -> &'static str {
    protocol_of(&p.protocol).map_or("#555555", protocol_colour)
}

/// Both charts.
pub fn render(c: &Comparison) -> Result<Vec<ReportFile>, ChartError> {
    Ok(vec![
        ReportFile { name: "latency-cdf.svg", contents: latency_cdf(c)? },
        ReportFile { name: "throughput.svg", contents: throughput(c)? },
    ])
}

/// Powers of ten around the latencies, at least two decades apart.
fn x_range(c: &Comparison) -> (f64, f64) {
    log_range(c.protocols.iter().flat_map(|p| p.latency_cdf.iter().map(|q| q[0].max(0.001))))
}

/// `latency-cdf.svg`.
pub fn latency_cdf(c: &Comparison) -> Result<String, ChartError> {
    let (lo, hi) = x_range(c);
    let title = format!("Latency CDF — {}, seeds {}", c.spec.scenario, c.spec.seeds);
    let spec = FrameSpec {
        size: (WIDTH, 480),
        title: &title,
        subtitle: "Share of each protocol's ok operations (all seeds pooled) completed within the latency across \
                   (log scale). Further left is faster. Dots: median and p99.",
        top: 84,
        right: 40,
        left_labels: 64,
        bottom_labels: 44,
        // A hair wider than the decades, so float rounding cannot drop the end ticks.
        x: (lo * 0.999, hi * 1.001),
        x_desc: "latency of ok operations (ms, log scale)",
        y: YAxis::Linear(0.0, 100.0),
        y_desc: "ok operations completed within (%)",
    };
    let frame = Frame::with_log_x(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    let plot = frame.plot;
    let entries: Vec<(String, LegendSwatch)> = c
        .protocols
        .iter()
        .map(|p| {
            let ms = |v: Option<f64>| v.map_or("–".to_string(), ms);
            (
                format!("{}: median {}, p99 {}", cap(&p.name), ms(p.latency_ms.p50), ms(p.latency_ms.p99)),
                LegendSwatch::Line(colour(p)),
            )
        })
        .collect();
    legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    for (pct, name) in [(50.0, "median"), (99.0, "p99")] {
        let y = frame.y.px(pct);
        s.line(plot.x0, y, plot.x1, y, "guide", &[]);
        s.text(plot.x0 + 4.0, y - 3.0, SMALL_PX, Anchor::Start, "muted", name);
    }
    for p in &c.protocols {
        if p.latency_cdf.is_empty() {
            continue;
        }
        let mut d = String::new();
        for (k, q) in p.latency_cdf.iter().enumerate() {
            let (x, y) = (frame.x.px_clamped(q[0].max(0.001)), frame.y.px(q[1] * 100.0));
            d.push_str(&format!("{}{} {}", if k == 0 { "M" } else { "L" }, Num(x), Num(y)));
        }
        let mut attrs = vec![
            ("data-protocol", p.protocol.clone()),
            ("data-points", p.latency_cdf.len().to_string()),
            ("stroke", colour(p).to_string()),
        ];
        if dash(p) != "none" {
            attrs.push(("stroke-dasharray", dash(p).to_string()));
        }
        s.path(&d, "series", &attrs, Some(&format!("{}: latency CDF of {} ok operations", p.name, p.ops.ok)));
        for (v, pct, name) in [(p.latency_ms.p50, 50.0, "median"), (p.latency_ms.p99, 99.0, "p99")] {
            let Some(v) = v else { continue };
            let (x, y) = (frame.x.px_clamped(v.max(0.001)), frame.y.px(pct));
            s.fmt(format_args!(
                "<circle class=\"mark\" data-protocol=\"{}\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"><title>{} {name}: {}</title></circle>\n",
                p.protocol,
                Num(x),
                Num(y),
                colour(p),
                p.name,
                ms(v)
            ));
        }
    }
    Ok(frame.finish(s))
}

/// `throughput.svg`.
pub fn throughput(c: &Comparison) -> Result<String, ChartError> {
    let end_ns = (c.duration_s * 1e9).round() as u64;
    let width = c.bucket_ns.max(1);
    let peak = c.protocols.iter().flat_map(|p| p.throughput.iter().copied()).fold(0.0, f64::max);
    let top = if peak > 0.0 { peak * 1.12 } else { 1.0 };
    let title = format!("Throughput — {}, seeds {}", c.spec.scenario, c.spec.seeds);
    let subtitle = format!(
        "ok operations completed per second in buckets of {}, averaged over the {} seeds, one line per protocol. \
         Shaded: fault windows.",
        crate::sim::SimDuration(width),
        c.spec.seeds.len()
    );
    let spec = FrameSpec {
        size: (WIDTH, 453),
        title: &title,
        subtitle: &subtitle,
        top: 129,
        right: 40,
        left_labels: 64,
        bottom_labels: 44,
        x: (0.0, c.duration_s.max(1e-9)),
        x_desc: "time since the start of the run (s)",
        y: YAxis::Linear(0.0, top),
        y_desc: "ok operations per second",
    };
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    let plot = frame.plot;
    let bands: Vec<Band<'_>> = c
        .fault_windows
        .iter()
        .map(|w| {
            let (start, end) = (w.start_ns.min(end_ns), w.end_ns.min(end_ns));
            // The window stands for every protocol's run: its label says the target as the
            // scenario wrote it (`crash leader`), not a node one run resolved it to.
            let mut label = match w.fault {
                FaultKind::PartitionOneway => format!("one-way cut {}", w.target),
                k => format!("{k} {}", w.target),
            };
            // A fault only some protocols faced (a membership change only Raft supports)
            // says which.
            if w.protocols.len() < c.protocols.len() {
                label = format!("{label} ({} only)", w.protocols.join(", "));
            }
            Band {
                entry: w.entry,
                kind: w.fault,
                record: None,
                label: shorten(label),
                start,
                end,
                open: end >= end_ns && start < end,
            }
        })
        .collect();
    let mut entries: Vec<(String, LegendSwatch)> = c
        .protocols
        .iter()
        .map(|p| {
            (
                format!("{}: {:.1} ok ops/s", cap(&p.name), p.throughput_ops_per_s),
                LegendSwatch::Line(colour(p)),
            )
        })
        .collect();
    fault_legend(&bands, &mut entries);
    legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    faults::draw(&mut s, &bands, &frame.x, plot, plot.y0 - 4.0, 3);
    for p in &c.protocols {
        let mut d = String::new();
        for (b, v) in p.throughput.iter().enumerate() {
            let t = ((b as u64 * width + width / 2).min(end_ns)) as f64 / 1e9;
            d.push_str(&format!(
                "{}{} {}",
                if b == 0 { "M" } else { "L" },
                Num(frame.x.px(t)),
                Num(frame.y.px(*v))
            ));
        }
        if d.is_empty() {
            continue;
        }
        let mut attrs = vec![
            ("data-protocol", p.protocol.clone()),
            ("data-buckets", p.throughput.len().to_string()),
            ("stroke", colour(p).to_string()),
        ];
        if dash(p) != "none" {
            attrs.push(("stroke-dasharray", dash(p).to_string()));
        }
        s.path(&d, "series", &attrs, Some(&format!("{}: ok operations per second", p.name)));
    }
    Ok(frame.finish(s))
}
