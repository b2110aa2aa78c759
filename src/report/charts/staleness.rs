//! `staleness.svg` and `k-staleness.svg`: how stale the reads were
//! ([`crate::check::staleness`] defines the measures).
//!
//! - **t-visibility** (`staleness.svg`): across, how long after a write's acknowledgement a
//!   read began (log scale, one point per lag bin, at the bin's geometric middle); up, the
//!   share of such (write, read) samples in which the read returned that write or a newer
//!   one. A store that is always fresh draws a flat line at 100 %; an eventually consistent
//!   one starts lower and climbs as the write spreads. A dashed line is PBS's closed form for
//!   non-expanding quorums, `1 − C(N−W,R)/C(N,R)`, flat because such a quorum never grows.
//! - **k-staleness** (`k-staleness.svg`): one bar per number of acknowledged versions a read
//!   provably missed (0 to 9, then 10 or more), as a share of the measured reads; diamonds
//!   mark the closed form `p^k (1 − p)` (missing the last `k` writes and seeing the one
//!   before; `p^10` for the last bar).
//!
//! [`curves_svg`] draws any number of t-visibility curves on one frame; the sweep's grid
//! chart draws one per combination with it.

use super::axes::{Frame, FrameSpec, LegendSwatch, YAxis, legend};
use super::style::{SMALL_PX, WIDTH};
use super::svg::{Anchor, Num, esc};
use super::{ChartError, Inputs};
use crate::check::staleness::{LAG_EDGES_NS, StalenessFigures};

const CSS: &str = ".series{fill:none;stroke-width:2.2;stroke-linejoin:round}\
.model{fill:none;stroke-width:1.4;stroke-dasharray:7 4}.bar{fill:#0072B2}.pred{stroke:#fff;stroke-width:1}";

/// Colours of the curves in order (Okabe–Ito, then Tol's muted scheme).
pub const COLOURS: [&str; 12] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#332288", "#882255", "#999933",
    "#44AA99", "#AA4499", "#3A3A3A",
];

/// The left end of the lag axis, ms.
const X_MIN_MS: f64 = 0.1;
/// The right end of the lag axis, ms.
const X_MAX_MS: f64 = 100_000.0;

/// Where a lag bin is drawn, ms: its geometric middle (the first bin at half its width,
/// the open last one at √2 times its lower edge).
pub fn bin_x_ms(bin: usize) -> f64 {
    let ms = |ns: u64| ns as f64 / 1e6;
    let from = ms(LAG_EDGES_NS[bin]);
    match LAG_EDGES_NS.get(bin + 1).map(|&e| ms(e)) {
        Some(to) if from == 0.0 => to / 2.0,
        Some(to) => (from * to).sqrt(),
        None => from * std::f64::consts::SQRT_2,
    }
}

/// The text of a lag bin: `1–2 ms`, `≥ 5000 ms`.
pub fn bin_label(bin: usize) -> String {
    let ms = |ns: u64| ns as f64 / 1e6;
    match LAG_EDGES_NS.get(bin + 1) {
        Some(&to) => format!("{}–{} ms", ms(LAG_EDGES_NS[bin]), ms(to)),
        None => format!("≥ {} ms", ms(LAG_EDGES_NS[bin])),
    }
}

/// One t-visibility curve: per lag bin, (samples, fresh samples).
#[derive(Clone, Debug)]
pub struct Curve {
    /// Its legend text.
    pub label: String,
    /// Samples per bin of [`LAG_EDGES_NS`].
    pub samples: Vec<u64>,
    /// Fresh samples per bin.
    pub fresh: Vec<u64>,
    /// The closed form's share of fresh reads, drawn as a dashed line (quorum-store runs).
    pub model_fresh: Option<f64>,
}

/// Draws t-visibility curves on one log-lag frame: a line through the bins that have
/// samples, a dot per bin (hover: its counts), and each curve's closed-form line.
pub fn curves_svg(title: &str, subtitle: &str, curves: &[Curve]) -> Result<String, ChartError> {
    let lowest = curves
        .iter()
        .flat_map(|c| {
            c.samples.iter().zip(&c.fresh).filter(|(s, _)| **s > 0).map(|(s, f)| *f as f64 / *s as f64)
        })
        .chain(curves.iter().filter_map(|c| c.model_fresh))
        .fold(1.0f64, f64::min);
    // Round the bottom down to a tenth, leaving room under the lowest point.
    let bottom = ((lowest * 100.0 - 5.0) / 10.0).floor().clamp(0.0, 9.0) * 10.0;
    let entries: Vec<(String, LegendSwatch)> = curves
        .iter()
        .enumerate()
        .map(|(k, c)| (c.label.clone(), LegendSwatch::Line(COLOURS[k % COLOURS.len()])))
        .collect();
    let mut entries = entries;
    if curves.iter().any(|c| c.model_fresh.is_some()) {
        entries.push((
            "dashed: PBS closed form, non-expanding quorums".to_string(),
            LegendSwatch::Line("#888888"),
        ));
    }
    let lines = legend_lines(&entries);
    let spec = FrameSpec {
        size: (WIDTH, 440 + 16 * lines),
        title,
        subtitle,
        top: 66 + 16 * lines,
        right: 40,
        left_labels: 64,
        bottom_labels: 44,
        x: (X_MIN_MS, X_MAX_MS),
        x_desc: "time from a write's acknowledgement to the start of a read (ms, log scale)",
        y: YAxis::Linear(bottom, 100.0),
        y_desc: "reads that saw the write or a newer one (%)",
    };
    let frame = Frame::with_log_x(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    for (k, c) in curves.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        if let Some(m) = c.model_fresh {
            let y = frame.y.px(m * 100.0);
            s.path(
                &format!("M{} {}H{}", Num(frame.plot.x0), Num(y), Num(frame.plot.x1)),
                "model",
                &[("stroke", colour.to_string()), ("data-curve", k.to_string())],
                Some(&format!("{}: closed form {:.1}% fresh at every lag", c.label, m * 100.0)),
            );
        }
        let points: Vec<(usize, f64)> = (0..c.samples.len().min(LAG_EDGES_NS.len()))
            .filter(|&b| c.samples[b] > 0)
            .map(|b| (b, c.fresh[b] as f64 / c.samples[b] as f64 * 100.0))
            .collect();
        if points.is_empty() {
            continue;
        }
        let d: String = points
            .iter()
            .enumerate()
            .map(|(i, &(b, p))| {
                format!(
                    "{}{} {}",
                    if i == 0 { "M" } else { "L" },
                    Num(frame.x.px(bin_x_ms(b))),
                    Num(frame.y.px(p))
                )
            })
            .collect();
        s.path(
            &d,
            "series",
            &[("stroke", colour.to_string()), ("data-curve", k.to_string())],
            Some(&format!("{}: t-visibility", c.label)),
        );
        for &(b, p) in &points {
            s.fmt(format_args!(
                "<circle class=\"point\" data-curve=\"{k}\" data-bin=\"{b}\" data-samples=\"{}\" data-fresh=\"{}\" cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{colour}\"><title>{}: reads begun {} after the acknowledgement: {} of {} samples fresh ({:.2}%)</title></circle>\n",
                c.samples[b],
                c.fresh[b],
                Num(frame.x.px(bin_x_ms(b))),
                Num(frame.y.px(p)),
                esc(&c.label),
                bin_label(b),
                c.fresh[b],
                c.samples[b],
                p
            ));
        }
    }
    if curves.iter().all(|c| c.samples.iter().all(|&n| n == 0)) {
        s.text(
            frame.plot.x0 + 12.0,
            frame.plot.y0 + 24.0,
            SMALL_PX + 2.0,
            Anchor::Start,
            "muted",
            "no read began after an acknowledged write of its key: nothing to measure",
        );
    }
    Ok(frame.finish(s))
}

/// How many lines [`legend`] takes for `entries`.
fn legend_lines(entries: &[(String, LegendSwatch)]) -> u32 {
    let width = f64::from(WIDTH) - 34.0;
    let (mut lines, mut x) = (1, 0.0);
    for (label, _) in entries {
        let w = 32.0 + super::fonts::text_width(label, SMALL_PX + 1.0);
        if x + w > width && x > 0.0 {
            lines += 1;
            x = 0.0;
        }
        x += w;
    }
    lines
}

/// The closed form's share of fresh reads, if the run has a model.
fn model_fresh(f: &StalenessFigures) -> Option<f64> {
    f.model.as_ref().map(|m| 1.0 - m.p_miss)
}

/// The run's t-visibility chart, or `None` for runs without reads.
pub fn render(input: &Inputs<'_>) -> Result<Option<String>, ChartError> {
    let Some(f) = &input.outcome.staleness else { return Ok(None) };
    let title = format!("Staleness: t-visibility — {}", input.run_name());
    let subtitle = format!(
        "{} reads measured, {} stale. A point: the share of (write, read) pairs, the read begun that long after the \
         write's ack, that saw it or newer.",
        f.measured, f.stale_reads
    );
    let label = match &f.model {
        Some(m) => {
            format!("measured (N={}, R={}, W={}{})", m.n, m.r, m.w, if m.sloppy { ", sloppy" } else { "" })
        }
        None => "measured".to_string(),
    };
    let curve = Curve {
        label,
        samples: f.t_visibility.iter().map(|p| p.samples).collect(),
        fresh: f.t_visibility.iter().map(|p| p.fresh).collect(),
        model_fresh: model_fresh(f),
    };
    curves_svg(&title, &subtitle, &[curve]).map(Some)
}

/// The run's k-staleness chart, or `None` for runs without reads.
pub fn render_k(input: &Inputs<'_>) -> Result<Option<String>, ChartError> {
    let Some(f) = &input.outcome.staleness else { return Ok(None) };
    // Bars for k = 0…9 and one for k ≥ 10: a fixed axis, whole-number ticks.
    let shown = 10;
    let share = |k: u64| {
        if f.measured == 0 {
            return 0.0;
        }
        let n: u64 = f
            .k_distribution
            .iter()
            .filter(|c| if k == shown { c.k >= k } else { c.k == k })
            .map(|c| c.reads)
            .sum();
        n as f64 / f.measured as f64 * 100.0
    };
    let p = f.model.as_ref().map(|m| m.p_miss);
    let title = format!("Staleness: k-staleness — {}", input.run_name());
    let subtitle = format!(
        "Of {} measured reads, the share that missed k acknowledged versions (k = 0: fresh); mean {}, most {}.",
        f.measured,
        f.k_mean.map_or("–".to_string(), |m| format!("{m:.3}")),
        f.k_max
    );
    let mut entries = vec![("measured".to_string(), LegendSwatch::Square("#0072B2"))];
    if p.is_some() {
        entries.push((
            "closed form p^k (1 − p), non-expanding quorums".to_string(),
            LegendSwatch::Dot("#D55E00"),
        ));
    }
    let spec = FrameSpec {
        size: (WIDTH, 380),
        title: &title,
        subtitle: &subtitle,
        top: 82,
        right: 40,
        left_labels: 64,
        bottom_labels: 44,
        x: (-0.5, shown as f64 + 0.5),
        x_desc: "acknowledged versions the read missed (k; the last bar: k or more)",
        y: YAxis::Linear(0.0, 100.0),
        y_desc: "measured reads (%)",
    };
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    for k in 0..=shown {
        let v = share(k);
        let (x0, x1) = (frame.x.px(k as f64 - 0.35), frame.x.px(k as f64 + 0.35));
        let (y0, y1) = (frame.y.px(0.0), frame.y.px(v));
        let what = if k == shown { format!("k ≥ {k}") } else { format!("k = {k}") };
        s.rect(
            x0,
            y1,
            x1 - x0,
            y0 - y1,
            "bar",
            &[("data-k", k.to_string())],
            Some(&format!("{what}: {v:.2}% of the measured reads")),
        );
        if let Some(p) = p {
            let pred = if k == shown { p.powi(k as i32) } else { p.powi(k as i32) * (1.0 - p) } * 100.0;
            let (cx, cy) = (frame.x.px(k as f64), frame.y.px(pred));
            s.fmt(format_args!(
                "<path class=\"pred\" data-k=\"{k}\" d=\"M{} {}l6 6l-6 6l-6 -6z\" fill=\"#D55E00\"><title>closed form, {what}: {pred:.2}%</title></path>\n",
                Num(cx),
                Num(cy - 6.0)
            ));
        }
    }
    Ok(Some(frame.finish(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_drawn_inside_their_range() {
        for (b, &from) in LAG_EDGES_NS.iter().enumerate() {
            let x = bin_x_ms(b) * 1e6;
            assert!(x >= from as f64, "bin {b}");
            if let Some(&to) = LAG_EDGES_NS.get(b + 1) {
                assert!(x < to as f64, "bin {b}");
            }
            assert!(bin_x_ms(b) > X_MIN_MS && bin_x_ms(b) < X_MAX_MS);
        }
        assert_eq!(bin_label(0), "0–1 ms");
        assert_eq!(bin_label(LAG_EDGES_NS.len() - 1), "≥ 5000 ms");
    }

    #[test]
    fn one_point_per_bin_with_samples_and_the_model_line() {
        let mut samples = vec![0; LAG_EDGES_NS.len()];
        let mut fresh = samples.clone();
        (samples[0], fresh[0]) = (10, 4);
        (samples[3], fresh[3]) = (20, 20);
        let c = Curve { label: "r=1".into(), samples, fresh, model_fresh: Some(1.0 / 3.0) };
        let svg = curves_svg("t", "s", &[c]).unwrap();
        assert_eq!(svg.matches("class=\"point\"").count(), 2, "{svg}");
        assert!(svg.contains("data-samples=\"10\" data-fresh=\"4\""));
        assert_eq!(svg.matches("class=\"model\"").count(), 1);
        assert!(svg.contains("40.00%"), "{svg}");
    }
}
