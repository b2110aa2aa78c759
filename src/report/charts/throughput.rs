//! `throughput.svg`: how many operations finished in each slice of time, by outcome.
//!
//! The run is cut into equal buckets (about 150–200 of them, a round width such as 50 ms);
//! each bar shows operations per second in its bucket, stacked by outcome: `ok` (blue),
//! `fail` (vermillion), `info` (orange). `ok` and `fail` operations count when their reply
//! arrived; `info` operations never got one, so they count when they were sent. A bar that
//! drops to nothing inside a fault band is the time the system could not serve anyone.

use super::axes::{Frame, FrameSpec, LegendSwatch, YAxis, legend};
use super::faults;
use super::latency::fault_legend;
use super::style::{FAIL, INFO, OK, WIDTH};
use super::{ChartError, Inputs};

const CSS: &str = ".bar.ok{fill:#0072B2}.bar.fail{fill:#D55E00}.bar.info{fill:#E69F00}";

/// A round bucket width (ns) giving at most 200 buckets over `end_ns`.
pub fn bucket_ns(end_ns: u64) -> u64 {
    const MS: u64 = 1_000_000;
    let steps =
        [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000];
    steps.iter().map(|s| s * MS).find(|&w| end_ns.div_ceil(w) <= 200).unwrap_or(3_600_000 * MS)
}

/// The throughput chart, or `None` for runs without client operations.
pub fn render(input: &Inputs<'_>) -> Result<Option<String>, ChartError> {
    let Some(ops) = input.ops else { return Ok(None) };
    let width = ops.bucket_ns;
    let counts = &ops.buckets;
    let per_s = 1e9 / width as f64;
    let peak = counts.iter().map(|c| (c[0] + c[1] + c[2]) as f64 * per_s).fold(0.0, f64::max);
    let top = if peak > 0.0 { peak * 1.12 } else { 1.0 };
    let end_s = input.end_ns() as f64 / 1e9;
    let title = format!("Throughput — {}", input.run_name());
    let subtitle = format!(
        "Operations finished per second, in buckets of {}; ok and fail count when the reply arrived, info \
         (no reply) when sent. Shaded: fault windows.",
        crate::sim::SimDuration(width)
    );
    let spec = FrameSpec {
        size: (WIDTH, 400),
        title: &title,
        subtitle: &subtitle,
        top: 100,
        right: 96,
        left_labels: 64,
        bottom_labels: 44,
        x: (0.0, end_s),
        x_desc: "time since the start of the run (s)",
        y: YAxis::Linear(0.0, top),
        y_desc: "operations per second",
    };
    let frame = Frame::new(&spec)?;
    let mut s = frame.overlay(&spec, CSS);
    let plot = frame.plot;
    let bands = faults::bands(input.outcome, input.end_ns());
    let mut entries = vec![
        ("ok".to_string(), LegendSwatch::Square(OK)),
        ("fail".to_string(), LegendSwatch::Square(FAIL)),
        ("info (no reply)".to_string(), LegendSwatch::Square(INFO)),
    ];
    fault_legend(&bands, &mut entries);
    legend(&mut s, 14.0, 62.0, f64::from(WIDTH) - 20.0, &entries);
    faults::draw(&mut s, &bands, &frame.x, plot, plot.y0 - 4.0, 2);
    s.open_group("bars", &[("data-bucket-ns", width.to_string())]);
    for (i, c) in counts.iter().enumerate() {
        let t0 = (i as u64 * width) as f64 / 1e9;
        let t1 = (((i + 1) as u64 * width) as f64 / 1e9).min(end_s);
        let x0 = frame.x.px(t0);
        let w = (frame.x.px(t1) - x0 - 0.6).max(0.6);
        let mut base = 0.0;
        for (k, class) in [(0, "bar ok"), (1, "bar fail"), (2, "bar info")] {
            if c[k] == 0 {
                continue;
            }
            let v = c[k] as f64 * per_s;
            let (ya, yb) = (frame.y.px(base), frame.y.px(base + v));
            s.rect(
                x0,
                yb,
                w,
                ya - yb,
                class,
                &[("data-count", c[k].to_string())],
                Some(&format!("{:.3}–{:.3} s: {} {}", t0, t1, c[k], class.trim_start_matches("bar "))),
            );
            base += v;
        }
    }
    s.close_group();
    Ok(Some(frame.finish(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_round_and_few() {
        assert_eq!(bucket_ns(10_000_000_000), 50_000_000);
        assert_eq!(bucket_ns(60_000_000_000), 500_000_000);
        assert_eq!(bucket_ns(1_000_000), 1_000_000);
    }
}
