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
//! and the subtitle says so. Every mark carries its operation as hover text (`c3 put k1 ← 7:
//! ok 4.2 ms, at 1.234 s`: the client, what it asked and learned, how it ended, when it was
//! sent) when the SVG is opened on its own.
//!
//! `latency-quantiles.svg` ([`render_quantiles`]) sits beside it: the run cut into coarse time
//! buckets, and for each the median and 99th percentile latency of the `ok` operations sent
//! in it, so a tail that grows during a fault shows as the p99 line rising while the median
//! stays flat.

use super::axes::{Axis, Frame, FrameSpec, LegendSwatch, Rect, YAxis, legend, log_range, short_number};
use super::faults;
use super::ops::{Mark, Named, latency_ms};
use super::style::{FAIL, INFO, LABEL_PX, OK, SMALL_PX, WIDTH, fault_colour};
use super::svg::{Anchor, Num, Svg, esc};
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
    let spec = time_latency_frame(&title, &subtitle, (520, 112), end_s, (lo, hi));
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
        let title = format!("counterexample: {}", mark_title(o));
        s.fmt(format_args!(
            "<circle class=\"ring\" data-index=\"{}\" cx=\"{}\" cy=\"{}\" r=\"7\" fill=\"none\" stroke=\"{RING}\" \
             stroke-width=\"2\"><title>{}</title></circle>\n",
            o.index,
            Num(px),
            Num(py),
            esc(&title)
        ));
    }
    s.close_group();
}

/// Powers of ten around the latencies, at least two decades apart.
fn y_range(lat: &[f64]) -> (f64, f64) {
    log_range(lat.iter().copied())
}

/// Legend entries for the kinds of fault shaded in this run, one per colour; instantaneous
/// actions (a heal, a membership change), which have no window, are named apart, as marks.
pub fn fault_legend(bands: &[faults::Band<'_>], entries: &mut Vec<(String, LegendSwatch)>) {
    let mut seen: Vec<(&'static str, Vec<&str>)> = Vec::new();
    let mut instants: Vec<(&'static str, Vec<&str>)> = Vec::new();
    for b in bands {
        if b.instant() {
            let c = fault_colour(b.kind);
            match instants.iter_mut().find(|(col, _)| *col == c) {
                Some((_, names)) if !names.contains(&b.kind.name()) => names.push(b.kind.name()),
                Some(_) => {}
                None => instants.push((c, vec![b.kind.name()])),
            }
            continue;
        }
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
    for (c, names) in instants {
        entries.push((format!("at an instant: {}", names.join(", ")), LegendSwatch::Line(c)));
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

/// A mark's hover text: the client, what it asked and learned, how it ended and when.
pub fn mark_title(o: &Mark) -> String {
    let sent = o.invoke_ns as f64 / 1e9;
    let end = match (o.outcome, latency_ms(o)) {
        (OpOutcome::Ok, Some(ms)) => format!("ok {} ms", short_number(ms)),
        (OpOutcome::Fail, Some(ms)) => format!("failed {} ms", short_number(ms)),
        _ => "no reply".to_string(),
    };
    format!("c{} {}: {end}, at {sent:.3} s", o.client + 1, o.text)
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
            let title = esc(&mark_title(o));
            match (o.outcome, o.complete_ns) {
                (OpOutcome::Info, _) | (_, None) => s.fmt(format_args!(
                    "<path class=\"op info\" d=\"M{} {}h8l-4 7z\"><title>{title}</title></path>\n",
                    Num(px - 4.0),
                    Num(mid - 3.5)
                )),
                (OpOutcome::Ok, Some(c)) => {
                    let py = y.px((c.saturating_sub(o.invoke_ns) as f64 / 1e6).max(0.001));
                    s.fmt(format_args!(
                        "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"2\"><title>{title}</title></circle>\n",
                        Num(px),
                        Num(py)
                    ));
                }
                (OpOutcome::Fail, Some(c)) => {
                    let py = y.px((c.saturating_sub(o.invoke_ns) as f64 / 1e6).max(0.001));
                    s.fmt(format_args!(
                        "<rect class=\"op fail\" x=\"{}\" y=\"{}\" width=\"4\" height=\"4\"><title>{title}</title></rect>\n",
                        Num(px - 2.0),
                        Num(py - 2.0)
                    ));
                }
            }
        }
        s.close_group();
    }
}

const QUANTILE_CSS: &str = ".q50{fill:none;stroke:#0072B2;stroke-width:2}\
.q99{fill:none;stroke:#D55E00;stroke-width:2;stroke-dasharray:6 3}\
.q50d{fill:#0072B2}.q99d{fill:#D55E00}.q-bucket{fill:#000;fill-opacity:0}.q-bucket:hover{fill-opacity:.06}";

/// `latency-quantiles.svg`: per coarse time bucket, the median and 99th percentile latency
/// of the `ok` operations sent in it, or `None` for runs without client operations (or
/// without a single `ok` one).
pub fn render_quantiles(input: &Inputs<'_>) -> Result<Option<String>, ChartError> {
    let Some(ops) = input.ops else { return Ok(None) };
    if ops.quantiles.iter().all(Option::is_none) {
        return Ok(None);
    }
    let end_s = input.end_ns() as f64 / 1e9;
    let w = ops.quantile_ns as f64 / 1e9;
    let all: Vec<f64> = ops.quantiles.iter().flatten().flat_map(|q| [q.p50_ms, q.p99_ms]).collect();
    let (lo, hi) = y_range(&all);
    let title = format!("Latency quantiles over time — {}", input.run_name());
    let subtitle = format!(
        "The median and 99th percentile latency of the ok operations sent in each {} ms slice (log scale). \
         Shaded: fault windows.",
        short_number(w * 1000.0)
    );
    let spec = time_latency_frame(&title, &subtitle, (420, 84), end_s, (lo, hi));
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, QUANTILE_CSS);
    let plot = frame.plot;
    let bands = faults::bands(input.outcome, input.end_ns());
    let mut entries = vec![
        ("median (p50) of ok operations".to_string(), LegendSwatch::Line(OK)),
        ("99th percentile (p99)".to_string(), LegendSwatch::Line(FAIL)),
    ];
    fault_legend(&bands, &mut entries);
    legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    faults::draw(&mut s, &bands, &frame.x, plot, plot.y0 - 4.0, 2);
    // One polyline per quantile, broken where a slice has no ok operation.
    for (class, pick) in [("q50", 0usize), ("q99", 1)] {
        let mut d = String::new();
        let mut pen = false;
        for (i, q) in ops.quantiles.iter().enumerate() {
            match q {
                Some(q) => {
                    let v = if pick == 0 { q.p50_ms } else { q.p99_ms };
                    let px = frame.x.px(((i as f64 + 0.5) * w).min(end_s));
                    let py = frame.y.px(v);
                    d.push_str(&format!("{}{} {}", if pen { "L" } else { "M" }, Num(px), Num(py)));
                    pen = true;
                }
                None => pen = false,
            }
        }
        s.path(&d, class, &[], None);
        for (i, q) in ops.quantiles.iter().enumerate() {
            let Some(q) = q else { continue };
            let v = if pick == 0 { q.p50_ms } else { q.p99_ms };
            s.circle(frame.x.px(((i as f64 + 0.5) * w).min(end_s)), frame.y.px(v), 2.5, &format!("{class}d"));
        }
    }
    // A hover target per slice with its figures.
    s.open_group("q-buckets", &[]);
    for (i, q) in ops.quantiles.iter().enumerate() {
        let Some(q) = q else { continue };
        let (a, b) = (i as f64 * w, ((i + 1) as f64 * w).min(end_s));
        let x0 = frame.x.px(a);
        let text = format!(
            "{a:.3}–{b:.3} s: {} ok operations sent; median {} ms, p99 {} ms",
            q.count,
            short_number(q.p50_ms),
            short_number(q.p99_ms)
        );
        s.rect(x0, plot.y0, frame.x.px(b) - x0, plot.h(), "q-bucket", &[], Some(&text));
    }
    s.close_group();
    Ok(Some(frame.finish(s)))
}

/// The frame both latency charts share: time since the start across, latency on a log scale
/// up; `(height, top)` sizes the chart and the room above the plot for its title and legend.
fn time_latency_frame<'a>(
    title: &'a str,
    subtitle: &'a str,
    (height, top): (u32, u32),
    end_s: f64,
    (lo, hi): (f64, f64),
) -> FrameSpec<'a> {
    FrameSpec {
        size: (WIDTH, height),
        title,
        subtitle,
        top,
        right: 96,
        left_labels: 64,
        bottom_labels: 44,
        x: (0.0, end_s),
        x_desc: "time since the start of the run (s)",
        // A hair wider than the decades, so float rounding cannot drop the end ticks.
        y: YAxis::Log(lo * 0.999, hi * 1.001),
        y_desc: "latency (ms, log scale)",
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
