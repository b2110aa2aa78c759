//! The chart of a grid (`<name>-grid.svg`): one metric against the grid's parameter, as one
//! empirical CDF per combination — for each value, the share of its seeds whose figure is at
//! most x. A line further left means smaller values; a line that reaches 100 % late has a
//! long tail. Drawn with the run report's chart machinery (embedded font, frame, legend), so
//! it depends only on the grid file.
//!
//! Each line is a `<path class="series" data-point="K">` (K the combination's index), with a
//! dot at its median, so tests and scripts can find them.

use super::grid::GridSummary;
use super::record::Metric;
use crate::report::charts::ChartError;
use crate::report::charts::axes::{Frame, FrameSpec, LegendSwatch, YAxis, legend, short_number};
use crate::report::charts::style::{SMALL_PX, WIDTH};
use crate::report::charts::svg::{Anchor, Num};

const CSS: &str = ".series{fill:none;stroke-width:2.2;stroke-linejoin:round}\
.guide{stroke:#888;stroke-width:1;stroke-dasharray:5 3}.mark{stroke:#fff;stroke-width:1.2}";

/// Colours for the combinations in order (Okabe–Ito, then Tol's muted scheme): apart for
/// colour-blind readers; the dash patterns keep them apart in grey print.
const COLOURS: [&str; 12] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#332288", "#882255", "#999933",
    "#44AA99", "#AA4499", "#3A3A3A",
];
const DASHES: [&str; 3] = ["none", "8 4", "2 3"];

/// The sorted values of `metric` across a combination's seeds.
fn values(g: &GridSummary, k: usize, metric: Metric) -> Vec<f64> {
    let mut v: Vec<f64> = g.points[k].summary.records.iter().filter_map(|r| metric.value(r)).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// How many lines [`legend`] takes for `entries` within `width` pixels.
fn legend_lines(entries: &[(String, LegendSwatch)], width: f64) -> u32 {
    let (mut lines, mut x) = (1, 0.0);
    for (label, _) in entries {
        let w = 32.0 + crate::report::charts::fonts::text_width(label, SMALL_PX + 1.0);
        if x + w > width && x > 0.0 {
            lines += 1;
            x = 0.0;
        }
        x += w;
    }
    lines
}

/// Draws the CDF of `metric` per combination of the grid as an SVG document.
pub fn grid_svg(g: &GridSummary, metric: Metric) -> Result<String, ChartError> {
    let all: Vec<Vec<f64>> = (0..g.points.len()).map(|k| values(g, k, metric)).collect();
    let lo = all.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().flatten().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi - lo < 1e-12 {
        (lo - 0.5, hi + 0.5)
    } else {
        let pad = (hi - lo) * 0.04;
        (if lo >= 0.0 { (lo - pad).max(0.0) } else { lo - pad }, hi + pad)
    };
    let varying: Vec<String> = g.varying().iter().map(|&i| g.spec.axes[i].path.clone()).collect();
    let title = format!(
        "{}: {} per value of {}",
        g.spec.scenario,
        metric.label(),
        if varying.is_empty() { "the settings".to_string() } else { varying.join(" × ") }
    );
    let (run, failed, _) = g.totals();
    let subtitle = format!(
        "Share of each combination's seeds ({} seeds{}) whose figure is at most x; one line per combination, a dot at its median. \
         {run} runs, {failed} failed.",
        g.spec.seeds,
        g.shard.as_ref().map(|s| format!(", shard {}/{}", s.index, s.count)).unwrap_or_default(),
    );
    let entries: Vec<(String, LegendSwatch)> = g
        .points
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let median = crate::check::convergence::percentile(&all[k], 0.5);
            let m = median.map_or("no value".to_string(), |m| format!("median {}", short_number(m)));
            let rate = format!("{:.0}% passed", p.pass_rate * 100.0);
            (format!("{}: {m}, {rate}", g.short_label(p)), LegendSwatch::Line(COLOURS[k % COLOURS.len()]))
        })
        .collect();
    // Room for the legend: its lines laid out as `legend` lays them out.
    let legend_lines = legend_lines(&entries, f64::from(WIDTH) - 34.0);
    let spec = FrameSpec {
        size: (WIDTH, 440 + 16 * legend_lines),
        title: &title,
        subtitle: &subtitle,
        top: 66 + 16 * legend_lines,
        right: 40,
        left_labels: 64,
        bottom_labels: 44,
        x: (lo, hi),
        x_desc: metric.label(),
        y: YAxis::Linear(0.0, 100.0),
        y_desc: "seeds with at most this value (%)",
    };
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    let plot = frame.plot;
    legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    let y50 = frame.y.px(50.0);
    s.line(plot.x0, y50, plot.x1, y50, "guide", &[]);
    s.text(plot.x0 + 4.0, y50 - 3.0, SMALL_PX, Anchor::Start, "muted", "median");
    for (k, v) in all.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        let colour = COLOURS[k % COLOURS.len()];
        let n = v.len() as f64;
        // A step: flat at i/n up to the i-th value, then up to (i+1)/n.
        let mut d = format!("M{} {}", Num(plot.x0), Num(frame.y.px(0.0)));
        for (i, x) in v.iter().enumerate() {
            let px = frame.x.px_clamped(*x);
            d.push_str(&format!("H{}V{}", Num(px), Num(frame.y.px((i + 1) as f64 / n * 100.0))));
        }
        d.push_str(&format!("H{}", Num(plot.x1)));
        let mut attrs = vec![
            ("data-point", k.to_string()),
            ("data-seeds", v.len().to_string()),
            ("stroke", colour.to_string()),
        ];
        let dash = DASHES[(k / COLOURS.len() + k) % DASHES.len()];
        if dash != "none" {
            attrs.push(("stroke-dasharray", dash.to_string()));
        }
        let label = g.short_label(&g.points[k]);
        s.path(&d, "series", &attrs, Some(&format!("{label}: {} across {} seeds", metric.name(), v.len())));
        if let Some(m) = crate::check::convergence::percentile(v, 0.5) {
            s.fmt(format_args!(
                "<circle class=\"mark\" data-point=\"{k}\" cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{colour}\"><title>{} median: {}</title></circle>\n",
                Num(frame.x.px_clamped(m)),
                Num(y50),
                crate::report::charts::svg::esc(&label),
                short_number(m)
            ));
        }
    }
    if all.iter().all(Vec::is_empty) {
        s.text(
            plot.x0 + 12.0,
            plot.y0 + 24.0,
            SMALL_PX + 2.0,
            Anchor::Start,
            "muted",
            &format!("no seed has a value for {}", metric.name()),
        );
    }
    Ok(frame.finish(s))
}

/// The staleness chart of a grid (`<name>-grid-staleness.svg`): one t-visibility curve per
/// combination, its seeds' samples pooled (summed, not averaged), with the combination's PBS
/// closed form dashed beside it ([`crate::report::charts::staleness`]). `None` when no seed
/// of the grid measured staleness (runs without reads).
pub fn grid_staleness_svg(g: &GridSummary) -> Option<Result<String, ChartError>> {
    use crate::report::charts::staleness::{Curve, curves_svg};
    let bins = crate::check::staleness::LAG_EDGES_NS.len();
    let mut any = false;
    let curves: Vec<Curve> = g
        .points
        .iter()
        .map(|p| {
            let (mut samples, mut fresh) = (vec![0u64; bins], vec![0u64; bins]);
            let (mut measured, mut stale, mut model) = (0u64, 0u64, None);
            for t in p.summary.records.iter().filter_map(|r| r.staleness.as_ref()) {
                any = true;
                for b in 0..bins.min(t.samples.len()).min(t.fresh.len()) {
                    samples[b] += t.samples[b];
                    fresh[b] += t.fresh[b];
                }
                measured += t.measured;
                stale += t.stale_reads;
                model = model.or(t.model_p_miss);
            }
            let share = if measured == 0 {
                "–".to_string()
            } else {
                format!("{:.1}%", stale as f64 / measured as f64 * 100.0)
            };
            let closed =
                model.map_or(String::new(), |m| format!(", closed form {:.0}% per write", m * 100.0));
            Curve {
                label: format!("{}: {share} of {measured} reads stale{closed}", g.short_label(p)),
                samples,
                fresh,
                model_fresh: model.map(|m| 1.0 - m),
            }
        })
        .collect();
    if !any {
        return None;
    }
    let varying: Vec<String> = g.varying().iter().map(|&i| g.spec.axes[i].path.clone()).collect();
    let title = format!(
        "{}: t-visibility per value of {}",
        g.spec.scenario,
        if varying.is_empty() { "the settings".to_string() } else { varying.join(" × ") }
    );
    let subtitle = format!(
        "Seeds {} pooled. Up: reads that saw a write or newer, by time since its ack. Dashed: PBS closed form \
         (non-expanding quorums).",
        g.spec.seeds
    );
    Some(curves_svg(&title, &subtitle, &curves))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::experiment::SeedRecord;
    use crate::experiment::grid::{GridAxis, GridPoint, GridSpec};
    use crate::experiment::seeds::SeedRange;
    use crate::experiment::summary::{SweepSpec, SweepSummary, Timing};

    #[test]
    fn one_step_line_per_combination_with_its_median() {
        let seeds = SeedRange::new(1, 4).unwrap();
        let point = |v: u64| {
            let spec = SweepSpec {
                scenario: "s".into(),
                scenario_file: "s.json".into(),
                scenario_hash: "0".into(),
                seeds,
                bugs: Vec::new(),
                sets: vec![format!("a={v}")],
            };
            let recs = seeds
                .iter()
                .map(|s| SeedRecord { events: 10 * s * v, ..SeedRecord::panicked(s, String::new()) })
                .collect();
            GridPoint::new(vec![json!(v)], SweepSummary::assemble(spec, None, recs, None, Timing::default()))
        };
        let spec = GridSpec {
            scenario: "s".into(),
            scenario_file: "s.json".into(),
            scenario_hash: "0".into(),
            seeds,
            bugs: Vec::new(),
            axes: vec![GridAxis { path: "a".into(), values: vec![json!(1), json!(2)] }],
        };
        let g = GridSummary::assemble(spec, None, vec![point(1), point(2)], Timing::default());
        let svg = grid_svg(&g, Metric::Events).unwrap();
        assert_eq!(svg.matches("class=\"series\"").count(), 2, "{svg}");
        assert!(svg.contains("data-point=\"1\"") && svg.contains("a=2: median 40"), "{svg}");
        // Four seeds: four steps of 25 % each.
        let line = svg.lines().find(|l| l.contains("data-point=\"0\"") && l.contains("<path")).unwrap();
        assert_eq!(line.matches('V').count(), 4, "{line}");
        let svg = grid_svg(&g, Metric::LatencyP99).unwrap();
        assert!(svg.contains("no seed has a value for latency_p99_ms"));
        // No seed measured staleness: no staleness chart.
        assert!(grid_staleness_svg(&g).is_none());
    }

    #[test]
    fn the_staleness_chart_pools_each_combinations_seeds() {
        use crate::experiment::record::StalenessTally;
        let bins = crate::check::staleness::LAG_EDGES_NS.len();
        let seeds = SeedRange::new(1, 2).unwrap();
        let point = |r: u64, fresh0: u64| {
            let spec = SweepSpec {
                scenario: "q".into(),
                scenario_file: "q.json".into(),
                scenario_hash: "0".into(),
                seeds,
                bugs: Vec::new(),
                sets: vec![format!("cluster.quorum.r={r}")],
            };
            let recs = seeds
                .iter()
                .map(|s| {
                    let (mut samples, mut fresh) = (vec![0; bins], vec![0; bins]);
                    (samples[0], fresh[0]) = (10, fresh0 + s);
                    let t = StalenessTally {
                        samples,
                        fresh,
                        measured: 10,
                        stale_reads: 10 - fresh0 - s,
                        model_p_miss: Some(0.5),
                    };
                    SeedRecord { staleness: Some(t), ..SeedRecord::panicked(s, String::new()) }
                })
                .collect();
            GridPoint::new(vec![json!(r)], SweepSummary::assemble(spec, None, recs, None, Timing::default()))
        };
        let spec = GridSpec {
            scenario: "q".into(),
            scenario_file: "q.json".into(),
            scenario_hash: "0".into(),
            seeds,
            bugs: Vec::new(),
            axes: vec![GridAxis { path: "cluster.quorum.r".into(), values: vec![json!(1), json!(3)] }],
        };
        let g = GridSummary::assemble(spec, None, vec![point(1, 5), point(3, 8)], Timing::default());
        let svg = grid_staleness_svg(&g).expect("seeds measured staleness").unwrap();
        // Two seeds pooled: 20 samples, 6 + 7 = 13 fresh for r=1; 9 + 10 = 19 for r=3.
        assert!(
            svg.contains("data-curve=\"0\" data-bin=\"0\" data-samples=\"20\" data-fresh=\"13\""),
            "{svg}"
        );
        assert!(
            svg.contains("data-curve=\"1\" data-bin=\"0\" data-samples=\"20\" data-fresh=\"19\""),
            "{svg}"
        );
        assert!(
            svg.contains("cluster.quorum.r=1: 35.0% of 20 reads stale, closed form 50% per write"),
            "{svg}"
        );
        assert_eq!(svg.matches("class=\"model\"").count(), 2);
    }
}
