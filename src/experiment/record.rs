//! What a sweep keeps of one run: a [`SeedRecord`] of its verdict and key figures, the
//! [`Metric`]s that can be charted across seeds, and the [`Distribution`] of a figure.
//!
//! Records hold only figures that are a pure function of `(scenario, seed)`: no wall-clock
//! time, so two sweeps of the same seeds produce identical records whatever the number of
//! threads or machines.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::check::Status;
use crate::check::convergence::percentile;
use crate::report::Outcome;

/// What one seed concluded, as a sweep counts it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SeedVerdict {
    /// Every check held (or had nothing to judge).
    Passed,
    /// A check failed (or the run panicked).
    Failed,
    /// No check failed, but one could not decide within its budget: neither a pass nor a
    /// failure.
    Unknown,
}

/// The verdict and key figures of one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedRecord {
    /// The seed.
    pub seed: u64,
    /// The run's trace digest.
    pub digest: String,
    /// True if no check failed, as `outcome.json`'s `passed` (an undecided check fails
    /// nothing, so an undecided seed has `passed` true and its `unknown_checks` listed):
    /// [`SeedRecord::verdict`] tells the three apart.
    pub passed: bool,
    /// Names of the checks that failed (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_checks: Vec<String>,
    /// Names of the checks that could not decide within their budget (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_checks: Vec<String>,
    /// What each failed or undecided check found (check name → detail).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    /// Events the kernel handled.
    pub events: u64,
    /// The most events handled in one simulated second (the event budget's measure).
    #[serde(default)]
    pub peak_events_per_s: u64,
    /// Client operations that completed with a result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_ok: Option<u64>,
    /// Client operations with an unknown outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_info: Option<u64>,
    /// Client operations that definitely failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops_fail: Option<u64>,
    /// Median latency of completed operations, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p50_ms: Option<f64>,
    /// 99th-percentile latency of completed operations, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p99_ms: Option<f64>,
    /// Virtual time during which no server was leader, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_without_leader_s: Option<f64>,
    /// Times a server became leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_changes: Option<u64>,
    /// Election downtime after the first fault that took the leader away: from the fault
    /// to the next leader's election, s ([`crate::check::recovery`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election_downtime_s: Option<f64>,
    /// Client-visible unavailability after that fault: from the fault to the first `ok`
    /// operation once a new leader was elected, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailability_s: Option<f64>,
    /// Time to full catch-up after the first heal that has the figure: from the heal until
    /// every live server applied everything committed by then, s ([`crate::check::catch_up`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_up_s: Option<f64>,
    /// t-visibility just after a write: the share of (write, read) samples with the read
    /// invoked less than 1 ms after the write's acknowledgement in which the read returned
    /// that write or a newer one ([`crate::check::staleness`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_fresh_0_1ms: Option<f64>,
    /// The same for reads invoked 10–20 ms after the acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_fresh_10_20ms: Option<f64>,
    /// The same for reads invoked 100–200 ms after the acknowledgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_fresh_100_200ms: Option<f64>,
    /// Mean k-staleness: acknowledged versions a read provably missed, averaged over the
    /// measured reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_stale_mean: Option<f64>,
    /// Share of the measured reads that missed at least one acknowledged version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_read_share: Option<f64>,
    /// The run's t-visibility samples per lag bin, so a sweep can pool its seeds' curves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staleness: Option<StalenessTally>,
}

/// What a sweep keeps of a run's staleness figures: enough to pool the t-visibility curves
/// and k-staleness of many seeds (sums of samples, not averages of shares).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StalenessTally {
    /// (write, read) samples per lag bin of [`crate::check::staleness::LAG_EDGES_NS`].
    pub samples: Vec<u64>,
    /// Of them, the fresh ones.
    pub fresh: Vec<u64>,
    /// Measured reads.
    pub measured: u64,
    /// Of them, stale ones (`k ≥ 1`).
    pub stale_reads: u64,
    /// The closed form's probability of missing one write (quorum-store runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_p_miss: Option<f64>,
}

impl StalenessTally {
    /// The tally of a run's figures.
    pub fn of(f: &crate::check::staleness::StalenessFigures) -> Self {
        StalenessTally {
            samples: f.t_visibility.iter().map(|p| p.samples).collect(),
            fresh: f.t_visibility.iter().map(|p| p.fresh).collect(),
            measured: f.measured,
            stale_reads: f.stale_reads,
            model_p_miss: f.model.as_ref().map(|m| m.p_miss),
        }
    }
}

impl SeedRecord {
    /// The record of a finished run.
    pub fn from_outcome(o: &Outcome) -> SeedRecord {
        let ops = o.ops.as_ref();
        let lead = o.raft.as_ref().map(|r| &r.leadership);
        let removed = o.raft.as_ref().and_then(|r| r.recovery.iter().find(|f| f.removed_leader));
        let st = o.staleness.as_ref();
        let unknown_checks: Vec<String> =
            o.checks.iter().filter(|(_, c)| c.status == Status::Unknown).map(|(k, _)| k.clone()).collect();
        SeedRecord {
            seed: o.seed,
            digest: o.digest.clone(),
            passed: o.passed,
            failed_checks: o.failed_checks().into_iter().map(str::to_string).collect(),
            unknown_checks,
            details: o
                .checks
                .iter()
                .filter(|(_, c)| matches!(c.status, Status::Fail | Status::Unknown))
                .map(|(k, c)| (k.clone(), c.detail.clone()))
                .collect(),
            events: o.events,
            peak_events_per_s: o.peak_events_per_s,
            ops_ok: ops.map(|f| f.ok),
            ops_info: ops.map(|f| f.info),
            ops_fail: ops.map(|f| f.fail),
            latency_p50_ms: ops.and_then(|f| f.p50_ms),
            latency_p99_ms: ops.and_then(|f| f.p99_ms),
            time_without_leader_s: lead.map(|l| l.time_without_leader_s),
            leader_changes: lead.map(|l| l.leader_changes),
            election_downtime_s: removed.and_then(|r| r.new_leader_s),
            unavailability_s: removed.and_then(|r| r.next_ok_s),
            catch_up_s: o.raft.as_ref().and_then(|r| r.recovery.iter().find_map(|f| f.caught_up_s)),
            p_fresh_0_1ms: st.and_then(|f| f.p_fresh_from(0.0)),
            p_fresh_10_20ms: st.and_then(|f| f.p_fresh_from(10.0)),
            p_fresh_100_200ms: st.and_then(|f| f.p_fresh_from(100.0)),
            k_stale_mean: st.and_then(|f| f.k_mean),
            stale_read_share: st.and_then(|f| f.stale_share()),
            staleness: st.map(StalenessTally::of),
        }
    }

    /// What the seed concluded: failed if any check failed, else unknown if a check could
    /// not decide, else passed.
    pub fn verdict(&self) -> SeedVerdict {
        if !self.passed {
            SeedVerdict::Failed
        } else if self.unknown_checks.is_empty() {
            SeedVerdict::Passed
        } else {
            SeedVerdict::Unknown
        }
    }

    /// The record of a run that panicked: failed, with the pseudo-check `panic`.
    pub fn panicked(seed: u64, message: String) -> SeedRecord {
        SeedRecord::crashed(seed, "panic", message)
    }

    /// The record of a run that aborted its process (a failed allocation, a stack
    /// overflow; see [`super::worker`]): failed, with the pseudo-check `abort`.
    pub fn aborted(seed: u64, how: String) -> SeedRecord {
        SeedRecord::crashed(seed, "abort", how)
    }

    /// A run that ended without a verdict: failed, with `check` as its pseudo-check.
    fn crashed(seed: u64, check: &str, detail: String) -> SeedRecord {
        SeedRecord {
            seed,
            digest: String::new(),
            passed: false,
            failed_checks: vec![check.to_string()],
            unknown_checks: Vec::new(),
            details: BTreeMap::from([(check.to_string(), detail)]),
            events: 0,
            peak_events_per_s: 0,
            ops_ok: None,
            ops_info: None,
            ops_fail: None,
            latency_p50_ms: None,
            latency_p99_ms: None,
            time_without_leader_s: None,
            leader_changes: None,
            election_downtime_s: None,
            unavailability_s: None,
            catch_up_s: None,
            p_fresh_0_1ms: None,
            p_fresh_10_20ms: None,
            p_fresh_100_200ms: None,
            k_stale_mean: None,
            stale_read_share: None,
            staleness: None,
        }
    }
}

/// A per-seed figure that can be charted and summarised across a sweep.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// 99th-percentile operation latency, ms.
    LatencyP99,
    /// Median operation latency, ms.
    LatencyP50,
    /// Time without a leader, s.
    TimeWithoutLeader,
    /// Leader changes.
    LeaderChanges,
    /// Kernel events.
    Events,
    /// The most kernel events in one simulated second.
    PeakEventsPerSecond,
    /// Completed operations.
    OpsOk,
    /// Election downtime after the first fault that took the leader away, s.
    ElectionDowntime,
    /// Client-visible unavailability after that fault, s.
    Unavailability,
    /// Time to full catch-up after the first heal, s.
    CatchUp,
    /// t-visibility for reads invoked less than 1 ms after a write's acknowledgement.
    FreshWithin1ms,
    /// t-visibility for reads invoked 10–20 ms after it.
    Fresh10To20ms,
    /// t-visibility for reads invoked 100–200 ms after it.
    Fresh100To200ms,
    /// Mean k-staleness of the measured reads.
    KStaleMean,
    /// Share of the measured reads that were stale.
    StaleReadShare,
}

impl Metric {
    /// Every metric, in the order `--metric` lists them.
    pub const ALL: [Metric; 15] = [
        Metric::LatencyP99,
        Metric::LatencyP50,
        Metric::TimeWithoutLeader,
        Metric::LeaderChanges,
        Metric::Events,
        Metric::PeakEventsPerSecond,
        Metric::OpsOk,
        Metric::ElectionDowntime,
        Metric::Unavailability,
        Metric::CatchUp,
        Metric::FreshWithin1ms,
        Metric::Fresh10To20ms,
        Metric::Fresh100To200ms,
        Metric::KStaleMean,
        Metric::StaleReadShare,
    ];

    /// The metrics whose distribution across seeds a sweep reports.
    pub const SUMMARISED: [Metric; 11] = [
        Metric::LatencyP99,
        Metric::TimeWithoutLeader,
        Metric::LeaderChanges,
        Metric::ElectionDowntime,
        Metric::Unavailability,
        Metric::CatchUp,
        Metric::FreshWithin1ms,
        Metric::Fresh10To20ms,
        Metric::Fresh100To200ms,
        Metric::KStaleMean,
        Metric::StaleReadShare,
    ];

    /// The name used on the command line and as the record field.
    pub fn name(self) -> &'static str {
        match self {
            Metric::LatencyP99 => "latency_p99_ms",
            Metric::LatencyP50 => "latency_p50_ms",
            Metric::TimeWithoutLeader => "time_without_leader_s",
            Metric::LeaderChanges => "leader_changes",
            Metric::Events => "events",
            Metric::PeakEventsPerSecond => "peak_events_per_s",
            Metric::OpsOk => "ops_ok",
            Metric::ElectionDowntime => "election_downtime_s",
            Metric::Unavailability => "unavailability_s",
            Metric::CatchUp => "catch_up_s",
            Metric::FreshWithin1ms => "p_fresh_0_1ms",
            Metric::Fresh10To20ms => "p_fresh_10_20ms",
            Metric::Fresh100To200ms => "p_fresh_100_200ms",
            Metric::KStaleMean => "k_stale_mean",
            Metric::StaleReadShare => "stale_read_share",
        }
    }

    /// A label for chart axes.
    pub fn label(self) -> &'static str {
        match self {
            Metric::LatencyP99 => "operation latency p99 (ms)",
            Metric::LatencyP50 => "operation latency p50 (ms)",
            Metric::TimeWithoutLeader => "time without a leader (s)",
            Metric::LeaderChanges => "leader changes",
            Metric::Events => "kernel events",
            Metric::PeakEventsPerSecond => "kernel events in the busiest simulated second",
            Metric::OpsOk => "operations completed",
            Metric::ElectionDowntime => "election downtime after the leader was taken away (s)",
            Metric::Unavailability => {
                "time without a successful operation after the leader was taken away (s)"
            }
            Metric::CatchUp => {
                "time from the first heal until every live server applied what was committed by then (s)"
            }
            Metric::FreshWithin1ms => "share of reads begun < 1 ms after a write's ack that saw it or newer",
            Metric::Fresh10To20ms => "share of reads begun 10–20 ms after a write's ack that saw it or newer",
            Metric::Fresh100To200ms => {
                "share of reads begun 100–200 ms after a write's ack that saw it or newer"
            }
            Metric::KStaleMean => "mean k-staleness (acknowledged versions a read missed)",
            Metric::StaleReadShare => "share of reads that missed an acknowledged version",
        }
    }

    /// Whether the metric only takes whole values (charted one bar per value when few).
    pub fn is_count(self) -> bool {
        matches!(self, Metric::LeaderChanges | Metric::Events | Metric::PeakEventsPerSecond | Metric::OpsOk)
    }

    /// The metric's value in a record, if the run has it.
    pub fn value(self, r: &SeedRecord) -> Option<f64> {
        match self {
            Metric::LatencyP99 => r.latency_p99_ms,
            Metric::LatencyP50 => r.latency_p50_ms,
            Metric::TimeWithoutLeader => r.time_without_leader_s,
            Metric::LeaderChanges => r.leader_changes.map(|v| v as f64),
            Metric::Events => Some(r.events as f64),
            Metric::PeakEventsPerSecond => Some(r.peak_events_per_s as f64),
            Metric::OpsOk => r.ops_ok.map(|v| v as f64),
            Metric::ElectionDowntime => r.election_downtime_s,
            Metric::Unavailability => r.unavailability_s,
            Metric::CatchUp => r.catch_up_s,
            Metric::FreshWithin1ms => r.p_fresh_0_1ms,
            Metric::Fresh10To20ms => r.p_fresh_10_20ms,
            Metric::Fresh100To200ms => r.p_fresh_100_200ms,
            Metric::KStaleMean => r.k_stale_mean,
            Metric::StaleReadShare => r.stale_read_share,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            format!("--metric: expected one of {}, found {s:?}", names.join(", "))
        })
    }
}

/// Percentiles of one figure across the seeds that have it (nearest rank).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Seeds that have a value.
    pub count: u64,
    /// Median across seeds.
    pub p50: Option<f64>,
    /// 90th percentile across seeds.
    pub p90: Option<f64>,
    /// 99th percentile across seeds.
    pub p99: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

impl Distribution {
    /// The distribution of `metric` over `records`.
    pub fn of(metric: Metric, records: &[SeedRecord]) -> Distribution {
        let mut v: Vec<f64> = records.iter().filter_map(|r| metric.value(r)).collect();
        v.sort_by(f64::total_cmp);
        Distribution {
            count: v.len() as u64,
            p50: percentile(&v, 0.5),
            p90: percentile(&v, 0.9),
            p99: percentile(&v, 0.99),
            max: v.last().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seed: u64, lat: Option<f64>) -> SeedRecord {
        SeedRecord { latency_p99_ms: lat, ..SeedRecord::panicked(seed, String::new()) }
    }

    #[test]
    fn metrics_round_trip_their_names() {
        for m in Metric::ALL {
            assert_eq!(m.name().parse::<Metric>(), Ok(m));
        }
        assert!("latency".parse::<Metric>().unwrap_err().contains("latency_p99_ms"));
    }

    #[test]
    fn distributions_skip_missing_values() {
        let recs: Vec<SeedRecord> = (1..=10).map(|s| rec(s, (s != 3).then_some(s as f64))).collect();
        let d = Distribution::of(Metric::LatencyP99, &recs);
        assert_eq!(d.count, 9);
        assert_eq!(d.p50, Some(6.0)); // nearest rank: the 5th of 1, 2, 4, 5, 6, …
        assert_eq!(d.max, Some(10.0));
        assert_eq!(Distribution::of(Metric::LeaderChanges, &recs).p50, None);
    }
}
