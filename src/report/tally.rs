//! Counting client operations and their latency percentiles as they come, in bounded
//! memory.
//!
//! Latencies are kept exactly up to [`EXACT_LIMIT`] of them, so `outcome.json` of any run
//! of ordinary length reports exact nearest-rank percentiles. Past that, they move into a
//! log-bucketed histogram: each power of two of nanoseconds is split into
//! [`SUB_BUCKETS`] equal buckets, and a percentile is reported as the middle of its
//! bucket, so it is within 1/256 (0.4 %) of the exact value (the maximum stays exact). The
//! histogram is a fixed 64 × 128 counters, whatever the run's length.

use super::outcome::OpFigures;
use crate::check::convergence::{nearest_rank, percentile};
use crate::workload::history::{HistoryOp, OpOutcome};

/// How many latencies are kept exactly before switching to the histogram.
pub const EXACT_LIMIT: usize = 1 << 18;

/// Buckets per power of two.
pub const SUB_BUCKETS: u64 = 128;

/// Latencies (ns), exact while few, then bucketed.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    exact: Vec<u64>,
    /// Counts per bucket, once switched (empty before).
    buckets: Vec<u64>,
    count: u64,
    max: u64,
}

/// The bucket of `v` (ns).
fn bucket(v: u64) -> usize {
    if v < SUB_BUCKETS {
        return v as usize;
    }
    let top = 63 - u64::from(v.leading_zeros()); // 2^top <= v
    let shift = top - 7; // SUB_BUCKETS = 2^7
    ((top - 6) * SUB_BUCKETS + ((v >> shift) - SUB_BUCKETS)) as usize
}

/// The middle of bucket `b` (ns).
fn middle(b: usize) -> f64 {
    let b = b as u64;
    if b < SUB_BUCKETS {
        return b as f64;
    }
    let top = b / SUB_BUCKETS + 6;
    let shift = top - 7;
    let low = (SUB_BUCKETS + b % SUB_BUCKETS) << shift;
    low as f64 + ((1u64 << shift) as f64 - 1.0) / 2.0
}

impl Latencies {
    /// Adds one latency.
    pub fn add(&mut self, ns: u64) {
        self.count += 1;
        self.max = self.max.max(ns);
        if self.buckets.is_empty() {
            if self.exact.len() < EXACT_LIMIT {
                self.exact.push(ns);
                return;
            }
            self.buckets = vec![0; bucket(u64::MAX) + 1];
            for v in std::mem::take(&mut self.exact) {
                self.buckets[bucket(v)] += 1;
            }
        }
        self.buckets[bucket(ns)] += 1;
    }

    /// How many were added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// True while every latency is kept exactly.
    pub fn is_exact(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The nearest-rank `q`-quantile in ms (`None` if empty): exact while
    /// [`is_exact`](Self::is_exact), else within 0.4 %.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        if self.buckets.is_empty() {
            let mut sorted = self.exact.clone();
            sorted.sort_unstable();
            return percentile(&sorted, q).map(|ns| ns as f64 / 1e6);
        }
        let rank = nearest_rank(q, self.count as usize) as u64;
        let mut seen = 0;
        for (b, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(middle(b).min(self.max as f64) / 1e6);
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

    #[test]
    fn buckets_are_monotone_and_narrow() {
        let mut last = 0;
        for v in (0..2_000_000u64).step_by(7).chain([u64::MAX / 3, u64::MAX]) {
            let b = bucket(v);
            assert!(b >= last, "bucket({v}) = {b} < {last}");
            last = b;
            let m = middle(b);
            assert!((m - v as f64).abs() <= v as f64 / 256.0 + 0.5, "v {v}: middle {m}");
        }
        assert_eq!(bucket(5), 5);
        assert_eq!(middle(bucket(1_000_000)).round(), 1_001_472.0);
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
