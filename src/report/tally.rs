//! Counting client operations and their latency percentiles as they come, in bounded
//! memory.
//!
//! Latencies are kept exactly up to [`EXACT_LIMIT`] of them, so `outcome.json` of any run
//! of ordinary length reports exact nearest-rank percentiles. Past that, they move into an
//! HDR histogram ([`hdrhistogram`], Gil Tene's HdrHistogram, the field's standard) with
//! [`SIGNIFICANT_FIGURES`] = 2: values below 256 ns are counted exactly, and each power of
//! two above is split into 128 equal buckets. A percentile is then the middle of the bucket
//! that holds its nearest rank, so it is within 1/256 (0.4 %) of the exact value (the
//! maximum stays exact). The histogram covers every `u64` of nanoseconds in a fixed
//! array of about 7,400 counters, whatever the run's length.
//!
//! Two things stay hand-written on top of the crate, because the figures in `outcome.json`
//! must not depend on which library counts them: the exact phase (HdrHistogram has none),
//! and the reading of a percentile. HdrHistogram's own `value_at_quantile` rounds the rank
//! differently and answers the *highest* value of a bucket; here the rank is the same
//! nearest rank as the exact phase ([`nearest_rank`]) and the answer is the bucket's middle,
//! which halves the worst-case error. (These are the figures the hand-written histogram
//! this replaced gave; a test compares the two.)

use hdrhistogram::Histogram;

use super::outcome::OpFigures;
use crate::check::convergence::{nearest_rank, percentile};
use crate::workload::history::{HistoryOp, OpOutcome};

/// How many latencies are kept exactly before switching to the histogram.
pub const EXACT_LIMIT: usize = 1 << 18;

/// The histogram's precision: two significant decimal digits, which HdrHistogram keeps
/// with 256 sub-buckets (single-nanosecond resolution below 256 ns, then 128 buckets per
/// power of two).
pub const SIGNIFICANT_FIGURES: u8 = 2;

/// Latencies (ns), exact while few, then bucketed.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    exact: Vec<u64>,
    /// The histogram, once switched (`None` before).
    histogram: Option<Histogram<u64>>,
    count: u64,
    max: u64,
}

/// An empty histogram covering every `u64` (so recording never clamps or resizes).
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, u64::MAX, SIGNIFICANT_FIGURES).expect("constant, valid bounds")
}

/// The middle of the bucket holding `v` (ns).
fn middle(h: &Histogram<u64>, v: u64) -> f64 {
    h.lowest_equivalent(v) as f64 + (h.equivalent_range(v) - 1) as f64 / 2.0
}

impl Latencies {
    /// Adds one latency.
    pub fn add(&mut self, ns: u64) {
        self.count += 1;
        self.max = self.max.max(ns);
        let h = match &mut self.histogram {
            Some(h) => h,
            None if self.exact.len() < EXACT_LIMIT => {
                self.exact.push(ns);
                return;
            }
            None => {
                let mut h = histogram();
                for v in std::mem::take(&mut self.exact) {
                    h.saturating_record(v);
                }
                self.histogram.insert(h)
            }
        };
        h.saturating_record(ns);
    }

    /// How many were added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// True while every latency is kept exactly.
    pub fn is_exact(&self) -> bool {
        self.histogram.is_none()
    }

    /// The nearest-rank `q`-quantile in ms (`None` if empty): exact while
    /// [`is_exact`](Self::is_exact), else within 0.4 %.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let Some(h) = &self.histogram else {
            let mut sorted = self.exact.clone();
            sorted.sort_unstable();
            return percentile(&sorted, q).map(|ns| ns as f64 / 1e6);
        };
        let rank = nearest_rank(q, self.count as usize) as u64;
        let mut seen = 0;
        for bucket in h.iter_recorded() {
            seen += bucket.count_at_value();
            if seen >= rank {
                return Some(middle(h, bucket.value_iterated_to()).min(self.max as f64) / 1e6);
            }
        }
        Some(self.max as f64 / 1e6)
    }

    /// The largest, ms.
    pub fn max_ms(&self) -> Option<f64> {
        (self.count > 0).then(|| self.max as f64 / 1e6)
    }
}

/// Operation counts by outcome and the latency of `ok` ones.
#[derive(Clone, Debug, Default)]
pub struct OpTally {
    ok: u64,
    fail: u64,
    info: u64,
    latency: Latencies,
}

impl OpTally {
    /// Counts one operation.
    pub fn add(&mut self, op: &HistoryOp) {
        match op.outcome {
            OpOutcome::Ok => {
                self.ok += 1;
                if let Some(c) = op.complete_ns {
                    self.latency.add(c.saturating_sub(op.invoke_ns));
                }
            }
            OpOutcome::Fail => self.fail += 1,
            OpOutcome::Info => self.info += 1,
        }
    }

    /// Operations counted.
    pub fn total(&self) -> u64 {
        self.ok + self.fail + self.info
    }

    /// The figures for `outcome.json`.
    pub fn figures(&self) -> OpFigures {
        let sorted = self.latency.is_exact().then(|| {
            let mut v = self.latency.exact.clone();
            v.sort_unstable();
            v
        });
        // One sort for all three percentiles while exact.
        let q = |q: f64| match &sorted {
            Some(v) => percentile(v, q).map(|ns| ns as f64 / 1e6),
            None => self.latency.quantile_ms(q),
        };
        OpFigures {
            ok: self.ok,
            fail: self.fail,
            info: self.info,
            p50_ms: q(0.5),
            p90_ms: q(0.9),
            p99_ms: q(0.99),
            max_ms: self.latency.max_ms(),
            unfinished: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log-bucketed histogram this module kept by hand before it used HdrHistogram:
    /// the reference the figures must still match.
    mod reference {
        pub const SUB_BUCKETS: u64 = 128;

        pub fn bucket(v: u64) -> usize {
            if v < SUB_BUCKETS {
                return v as usize;
            }
            let top = 63 - u64::from(v.leading_zeros());
            let shift = top - 7;
            ((top - 6) * SUB_BUCKETS + ((v >> shift) - SUB_BUCKETS)) as usize
        }

        pub fn middle(b: usize) -> f64 {
            let b = b as u64;
            if b < SUB_BUCKETS {
                return b as f64;
            }
            let top = b / SUB_BUCKETS + 6;
            let shift = top - 7;
            let low = (SUB_BUCKETS + b % SUB_BUCKETS) << shift;
            low as f64 + ((1u64 << shift) as f64 - 1.0) / 2.0
        }

        /// The nearest-rank quantile of `values` through the hand-written buckets, ns.
        pub fn quantile(values: &[u64], q: f64) -> f64 {
            let mut buckets = vec![0u64; bucket(u64::MAX) + 1];
            for &v in values {
                buckets[bucket(v)] += 1;
            }
            let max = values.iter().copied().max().unwrap_or(0);
            let rank = crate::check::convergence::nearest_rank(q, values.len()) as u64;
            let mut seen = 0;
            for (b, &n) in buckets.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return middle(b).min(max as f64);
                }
            }
            max as f64
        }
    }

    /// Every value falls in a bucket with the same bounds and the same middle as in the
    /// hand-written histogram, from 0 to `u64::MAX`.
    #[test]
    fn the_buckets_are_those_of_the_hand_written_histogram() {
        let h = histogram();
        let mut values: Vec<u64> =
            (0..70_000u64).chain((0..64).flat_map(|k| [1u64 << k, (1u64 << k) - 1])).collect();
        values.extend((0..64u32).map(|k| u64::MAX >> k));
        values.extend((1..20_000u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (i % 64)));
        for v in values {
            assert_eq!(middle(&h, v), reference::middle(reference::bucket(v)), "v {v}");
        }
        assert_eq!(middle(&h, 5), 5.0);
        assert_eq!(middle(&h, 1_000_000).round(), 1_001_472.0);
    }

    /// Past the exact phase, every percentile is the one the hand-written histogram gave.
    #[test]
    fn percentiles_past_the_exact_phase_are_unchanged() {
        let sample = |i: u64| {
            let spread = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40; // up to ~16 ms
            200 + spread + if i % 97 == 0 { i * 10_000 } else { 0 }
        };
        let n = EXACT_LIMIT as u64 + 20_000;
        let mut l = Latencies::default();
        for i in 0..n {
            l.add(sample(i));
        }
        assert!(!l.is_exact());
        let all: Vec<u64> = (0..n).map(sample).collect();
        for q in [0.0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(l.quantile_ms(q), Some(reference::quantile(&all, q) / 1e6), "q {q}");
        }
    }

    #[test]
    fn exact_then_within_the_stated_error() {
        let mut l = Latencies::default();
        // A skewed sample: mostly ~2 ms, a tail up to 2 s.
        let sample = |i: u64| 1_000_000 + (i * 7919 % 2_000_000) + if i % 100 == 0 { i * 1000 } else { 0 };
        for i in 0..1000 {
            l.add(sample(i));
        }
        let mut exact: Vec<u64> = (0..1000).map(sample).collect();
        exact.sort_unstable();
        assert!(l.is_exact());
        assert_eq!(l.quantile_ms(0.5), Some(exact[499] as f64 / 1e6));
        for i in 1000..(EXACT_LIMIT as u64 + 5000) {
            l.add(sample(i));
        }
        assert!(!l.is_exact());
        let mut exact: Vec<u64> = (0..EXACT_LIMIT as u64 + 5000).map(sample).collect();
        exact.sort_unstable();
        for q in [0.5, 0.9, 0.99, 0.999] {
            let rank = ((q * exact.len() as f64).ceil() as usize).clamp(1, exact.len());
            let want = exact[rank - 1] as f64 / 1e6;
            let got = l.quantile_ms(q).expect("some");
            assert!((got - want).abs() <= want / 256.0, "q {q}: {got} vs {want}");
        }
        assert_eq!(l.max_ms(), Some(*exact.last().expect("some") as f64 / 1e6));
    }
}
