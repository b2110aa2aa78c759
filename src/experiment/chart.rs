//! `sweep.svg`: a histogram of one metric across the seeds of a sweep, passing, undecided
//! and failing seeds stacked in different colours, with the failure rate in the heading.
//!
//! Drawn with plotters' SVG backend only: text is written as SVG `<text>` elements and laid
//! out by the viewer, so no font files are needed to draw it (plotters is built without its
//! `ttf`/font-kit features). The picture depends only on the summary, so it is as
//! reproducible as the summary itself.

use plotters::prelude::*;
use thiserror::Error;

use super::record::{Metric, SeedVerdict};
use super::summary::SweepSummary;

/// The chart could not be drawn.
#[derive(Debug, Error)]
#[error("drawing the chart failed: {0}")]
pub struct ChartError(String);

const WIDTH: u32 = 820;
const HEIGHT: u32 = 500;
const PASS: RGBColor = RGBColor(70, 130, 180);
const FAIL: RGBColor = RGBColor(200, 40, 40);
const UNKNOWN: RGBColor = RGBColor(214, 160, 20);

/// One histogram bar: `[lo, hi)` with its passing, undecided and failing seeds.
#[derive(Clone, Debug, PartialEq)]
struct Bin {
    lo: f64,
    hi: f64,
    passed: u64,
    unknown: u64,
    failed: u64,
}

impl Bin {
    fn total(&self) -> u64 {
        self.passed + self.unknown + self.failed
    }
}

/// Splits the values into bins: one per whole value for counts with a small span, else
/// about √n equal-width bins (between 5 and 40).
fn bins(values: &[(f64, SeedVerdict)], counts: bool) -> Vec<Bin> {
    let Some(lo) = values.iter().map(|v| v.0).min_by(f64::total_cmp) else { return Vec::new() };
    let hi = values.iter().map(|v| v.0).max_by(f64::total_cmp).unwrap_or(lo);
    let (lo, width, n) = if counts && hi - lo <= 40.0 {
        (lo - 0.5, 1.0, (hi - lo) as usize + 1)
    } else if hi == lo {
        (lo - 0.5, 1.0, 1)
    } else {
        let n = ((values.len() as f64).sqrt().ceil() as usize).clamp(5, 40);
        (lo, (hi - lo) / n as f64, n)
    };
    let mut out: Vec<Bin> = (0..n)
        .map(|i| Bin {
            lo: lo + i as f64 * width,
            hi: lo + (i + 1) as f64 * width,
            passed: 0,
            unknown: 0,
            failed: 0,
        })
        .collect();
    for &(v, verdict) in values {
        let b = &mut out[(((v - lo) / width) as usize).min(n - 1)];
        match verdict {
            SeedVerdict::Passed => b.passed += 1,
            SeedVerdict::Unknown => b.unknown += 1,
            SeedVerdict::Failed => b.failed += 1,
        }
    }
    out
}

/// Draws the histogram of `metric` across the summary's seeds as an SVG document.
pub fn histogram_svg(summary: &SweepSummary, metric: Metric) -> Result<String, ChartError> {
    let values: Vec<(f64, SeedVerdict)> =
        summary.records.iter().filter_map(|r| metric.value(r).map(|v| (v, r.verdict()))).collect();
    let bins = bins(&values, metric.is_count());
    let c = &summary.counts;
    let title = format!("{}: {} across {} seeds", summary.spec.scenario, metric.label(), c.run);
    let mut subtitle = format!(
        "seeds {}{}: {} failed of {} run, failure rate {:.2}%",
        summary.planned_seeds(),
        summary.shard.as_ref().map(|s| format!(" (shard {}/{})", s.index, s.count)).unwrap_or_default(),
        c.failed,
        c.run,
        summary.failure_rate * 100.0
    );
    if !summary.failed_checks.is_empty() {
        let checks: Vec<String> = summary.failed_checks.iter().map(|(k, v)| format!("{k} {v}")).collect();
        subtitle.push_str(&format!(" (failed checks: {})", checks.join(", ")));
    }
    if c.unknown > 0 {
        subtitle.push_str(&format!("; {} undecided", c.unknown));
    }
    if values.len() < c.run as usize {
        subtitle.push_str(&format!("; {} seeds have no value", c.run as usize - values.len()));
    }
    // Text is laid out with the embedded font (no system fonts needed).
    crate::report::charts::fonts::register().map_err(|e| ChartError(e.to_string()))?;
    let mut svg = String::new();
    draw(&mut svg, &title, &subtitle, &bins, metric).map_err(|e| ChartError(e.to_string()))?;
    Ok(svg)
}

fn draw(
    svg: &mut String,
    title: &str,
    subtitle: &str,
    bins: &[Bin],
    metric: Metric,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (head, body) = root.split_vertically(64);
    head.draw(&Text::new(title.to_string(), (16, 10), ("sans-serif", 20).into_font()))?;
    head.draw(&Text::new(subtitle.to_string(), (16, 38), ("sans-serif", 14).into_font()))?;
    if bins.is_empty() {
        body.draw(&Text::new(
            format!("no seed has a value for {}", metric.name()),
            (16, 40),
            ("sans-serif", 16).into_font(),
        ))?;
        root.present()?;
        return Ok(());
    }
    let x0 = bins[0].lo;
    let x1 = bins[bins.len() - 1].hi;
    let top = bins.iter().map(Bin::total).max().unwrap_or(1) as f64;
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, 0f64..(top * 1.1).max(1.0))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .x_desc(metric.label())
        .y_desc("seeds")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_label_formatter(&|v| tick(*v, metric.is_count()))
        .draw()?;
    let passed: u64 = bins.iter().map(|b| b.passed).sum();
    let unknown: u64 = bins.iter().map(|b| b.unknown).sum();
    let failed: u64 = bins.iter().map(|b| b.failed).sum();
    chart
        .draw_series(bins.iter().filter(|b| b.passed > 0).map(|b| {
            Rectangle::new([(b.lo + gap(b), 0.0), (b.hi - gap(b), b.passed as f64)], PASS.mix(0.85).filled())
        }))?
        .label(format!("passed ({passed})"))
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], PASS.mix(0.85).filled()));
    if unknown > 0 {
        chart
            .draw_series(bins.iter().filter(|b| b.unknown > 0).map(|b| {
                let base = b.passed as f64;
                let top = base + b.unknown as f64;
                Rectangle::new([(b.lo + gap(b), base), (b.hi - gap(b), top)], UNKNOWN.filled())
            }))?
            .label(format!("undecided ({unknown})"))
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], UNKNOWN.filled()));
    }
    chart
        .draw_series(bins.iter().filter(|b| b.failed > 0).map(|b| {
            let base = (b.passed + b.unknown) as f64;
            Rectangle::new([(b.lo + gap(b), base), (b.hi - gap(b), base + b.failed as f64)], FAIL.filled())
        }))?
        .label(format!("failed ({failed})"))
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], FAIL.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Space left on each side of a bar, so neighbouring bars stay apart.
fn gap(b: &Bin) -> f64 {
    (b.hi - b.lo) * 0.04
}

/// An axis label with as many decimals as its size needs; counts label whole values only.
fn tick(v: f64, count: bool) -> String {
    if count {
        return if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() };
    }
    let a = v.abs();
    let decimals = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 0.1 {
        2
    } else {
        4
    };
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_one_bin_per_value() {
        use SeedVerdict::*;
        let v = [(1.0, Passed), (3.0, Passed), (3.0, Failed), (3.0, Unknown)];
        let b = bins(&v, true);
        assert_eq!(b.len(), 3);
        assert_eq!((b[2].passed, b[2].unknown, b[2].failed), (1, 1, 1));
        assert_eq!(b[1].total(), 0);
    }

    #[test]
    fn continuous_values_fill_equal_bins_and_keep_the_maximum() {
        let verdict = |i: i32| if i % 10 != 0 { SeedVerdict::Passed } else { SeedVerdict::Failed };
        let v: Vec<(f64, SeedVerdict)> = (0..100).map(|i| (f64::from(i) / 10.0, verdict(i))).collect();
        let b = bins(&v, false);
        assert_eq!(b.len(), 10);
        assert_eq!(b.iter().map(Bin::total).sum::<u64>(), 100);
        assert_eq!(b.iter().map(|b| b.failed).sum::<u64>(), 10);
        assert!(bins(&[(2.0, SeedVerdict::Passed)], false).len() == 1);
        assert!(bins(&[], false).is_empty());
    }

    #[test]
    fn the_svg_has_text_bars_and_a_note_when_no_seed_has_the_metric() {
        use crate::experiment::SeedRecord;
        use crate::experiment::seeds::SeedRange;
        use crate::experiment::summary::{SweepSpec, Timing};
        let spec = SweepSpec {
            scenario: "s".into(),
            scenario_file: "s.json".into(),
            scenario_hash: "0".into(),
            seeds: SeedRange::new(1, 3).unwrap(),
            bugs: Vec::new(),
            sets: Vec::new(),
        };
        let recs: Vec<SeedRecord> = (1..=3)
            .map(|s| SeedRecord { events: 10 * s, ..SeedRecord::panicked(s, String::new()) })
            .collect();
        let summary = SweepSummary::assemble(spec, None, recs, None, Timing::default());
        let svg = histogram_svg(&summary, Metric::Events).unwrap();
        assert!(svg.contains("<text") && svg.contains("<rect") && svg.contains("failure rate 100.00%"));
        let svg = histogram_svg(&summary, Metric::LatencyP99).unwrap();
        assert!(svg.contains("no seed has a value for latency_p99_ms"), "{svg}");
    }
}
