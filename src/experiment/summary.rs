//! The `sweep.json` format: per-seed records assembled into a [`SweepSummary`] with counts,
//! failing seeds (and how to replay each), and distributions across seeds.
//!
//! [`SweepSummary::assemble`] is the only way a summary is built — by a sweep and by a merge
//! alike — so merging the shards of a range gives byte for byte the summary of an unsharded
//! sweep of that range. Wall-clock figures live in the separate [`Timing`] section, which is
//! the only part that changes from one sweep of the same seeds to the next.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::record::{Distribution, Metric, SeedRecord, SeedVerdict};
use super::seeds::{SeedRange, Shard};

/// The value of the `format` field this version writes and reads (version 2 counts seeds
/// whose checks could not decide apart from failures; version 1 counted them as failed).
pub const FORMAT: &str = "eightfold-sweep/2";

/// What was swept: the scenario and the seeds. Everything two shards of one sweep share,
/// apart from the slice they ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// Scenario name.
    pub scenario: String,
    /// The scenario file as given on the command line (used in replay commands).
    pub scenario_file: String,
    /// A stable 64-bit hash of the scenario text (16 hex digits).
    pub scenario_hash: String,
    /// The whole seed range asked for.
    pub seeds: SeedRange,
    /// Named bugs switched on by `--bug`, on top of the scenario file's own (in the replay
    /// and shrink commands of failing seeds; shards with different bugs do not merge).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<String>,
    /// The `--set PATH=VALUE` settings the scenario file was run with, as they are typed
    /// (in the replay and shrink commands of failing seeds, so they reproduce the run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<String>,
}

/// The slice a sharded sweep ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// K (1-based).
    pub index: u64,
    /// N.
    pub count: u64,
    /// The seeds of this shard.
    pub seeds: SeedRange,
}

impl ShardInfo {
    /// The info of `shard` of `range`.
    pub fn new(shard: Shard, seeds: SeedRange) -> ShardInfo {
        ShardInfo { index: shard.index, count: shard.count, seeds }
    }
}

/// Why a sweep stopped before running every seed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Ctrl-C (or SIGTERM).
    Interrupted,
    /// `--fail-fast` after the first failure.
    FailFast,
}

/// How many seeds were planned and run, and how many of those passed, failed, or could not
/// be decided (`passed + failed + unknown = run`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Seeds in the range (or the shard's slice).
    pub planned: u64,
    /// Seeds that ran to the end.
    pub run: u64,
    /// Seeds whose checks all passed.
    pub passed: u64,
    /// Seeds with a failed check.
    pub failed: u64,
    /// Seeds with no failed check but one that could not decide within its budget:
    /// neither passed nor failed.
    pub unknown: u64,
}

/// A failing seed, with the commands to study it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailingSeed {
    /// The seed.
    pub seed: u64,
    /// Checks that failed.
    pub failed_checks: Vec<String>,
    /// What each failed check found.
    pub details: BTreeMap<String, String>,
    /// Re-runs it and writes its report (add `--trace` for the event trace).
    pub replay: String,
    /// Searches for the smallest scenario that still fails the same way.
    pub shrink: String,
}

/// A seed whose checks could not all decide (and none failed), with the command to study it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownSeed {
    /// The seed.
    pub seed: u64,
    /// Checks that could not decide.
    pub unknown_checks: Vec<String>,
    /// What each of them said (which budget ran out).
    pub details: BTreeMap<String, String>,
    /// Re-runs it and writes its report.
    pub replay: String,
}

/// Wall-clock figures (the only part of a summary that differs between identical sweeps).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Worker threads (for a merged file: summed over its inputs).
    pub jobs: u64,
    /// Wall-clock time, s (for a merged file: summed over its inputs).
    pub wall_s: f64,
    /// Seeds run per wall-clock second.
    pub seeds_per_s: f64,
}

/// The contents of `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    /// Always [`FORMAT`].
    pub format: String,
    /// The scenario and seed range.
    #[serde(flatten)]
    pub spec: SweepSpec,
    /// The slice this file ran, if it is one shard of the range.
    pub shard: Option<ShardInfo>,
    /// Whether every planned seed ran.
    pub complete: bool,
    /// Why it stopped early, if it did.
    pub stopped: Option<StopReason>,
    /// Seed counts.
    pub counts: Counts,
    /// Failed seeds / seeds run (0 when none ran).
    pub failure_rate: f64,
    /// Check name → number of seeds where it failed.
    pub failed_checks: BTreeMap<String, u64>,
    /// Check name → number of seeds where it could not decide.
    pub unknown_checks: BTreeMap<String, u64>,
    /// The failing seeds, in seed order.
    pub failures: Vec<FailingSeed>,
    /// The seeds that neither passed nor failed (a check could not decide), in seed order.
    pub unknown: Vec<UnknownSeed>,
    /// Metric name → its distribution across the seeds run.
    pub distributions: BTreeMap<String, Distribution>,
    /// Wall-clock figures.
    pub timing: Timing,
    /// One record per seed run, in seed order.
    pub records: Vec<SeedRecord>,
}

impl SweepSummary {
    /// Builds a summary from the records of the seeds that ran (in any order).
    pub fn assemble(
        spec: SweepSpec,
        shard: Option<ShardInfo>,
        mut records: Vec<SeedRecord>,
        stopped: Option<StopReason>,
        timing: Timing,
    ) -> SweepSummary {
        records.sort_by_key(|r| r.seed);
        let planned = shard.as_ref().map_or(spec.seeds, |s| s.seeds).len();
        let run = records.len() as u64;
        let count = |v: SeedVerdict| records.iter().filter(|r| r.verdict() == v).count() as u64;
        let (failed, unknown) = (count(SeedVerdict::Failed), count(SeedVerdict::Unknown));
        let mut failed_checks = BTreeMap::new();
        for c in records.iter().flat_map(|r| &r.failed_checks) {
            *failed_checks.entry(c.clone()).or_insert(0) += 1;
        }
        let mut unknown_checks = BTreeMap::new();
        for c in records.iter().flat_map(|r| &r.unknown_checks) {
            *unknown_checks.entry(c.clone()).or_insert(0) += 1;
        }
        let file = shell_quote(&spec.scenario_file);
        let bugs: String = spec
            .sets
            .iter()
            .map(|s| format!(" --set {}", shell_quote(s)))
            .chain(spec.bugs.iter().map(|b| format!(" --bug {}", shell_quote(b))))
            .collect();
        let failures = records
            .iter()
            .filter(|r| r.verdict() == SeedVerdict::Failed)
            .map(|r| FailingSeed {
                seed: r.seed,
                failed_checks: r.failed_checks.clone(),
                details: r.details.clone(),
                replay: format!("eightfold run {file} --seed {}{bugs} --trace", r.seed),
                shrink: format!("eightfold shrink {file} --seed {}{bugs}", r.seed),
            })
            .collect();
        let undecided = records
            .iter()
            .filter(|r| r.verdict() == SeedVerdict::Unknown)
            .map(|r| UnknownSeed {
                seed: r.seed,
                unknown_checks: r.unknown_checks.clone(),
                details: r.details.clone(),
                replay: format!("eightfold run {file} --seed {}{bugs}", r.seed),
            })
            .collect();
        let distributions = Metric::SUMMARISED
            .iter()
            .map(|m| (m.name().to_string(), Distribution::of(*m, &records)))
            .collect();
        SweepSummary {
            format: FORMAT.to_string(),
            spec,
            shard,
            complete: run == planned,
            stopped: if run == planned { None } else { stopped },
            counts: Counts { planned, run, passed: run - failed - unknown, failed, unknown },
            failure_rate: if run == 0 { 0.0 } else { failed as f64 / run as f64 },
            failed_checks,
            unknown_checks,
            failures,
            unknown: undecided,
            distributions,
            timing,
            records,
        }
    }

    /// The seeds this file was meant to run: its shard's slice, or the whole range.
    pub fn planned_seeds(&self) -> SeedRange {
        self.shard.as_ref().map_or(self.spec.seeds, |s| s.seeds)
    }

    /// The summary as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a sweep summary always serialises") + "\n"
    }
}

/// Quotes a path for a copy-pasteable shell command when it needs it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:,=@".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SweepSpec {
        SweepSpec {
            scenario: "s".into(),
            scenario_file: "my dir/s.json".into(),
            scenario_hash: "00".into(),
            seeds: SeedRange::new(1, 4).unwrap(),
            bugs: Vec::new(),
            sets: Vec::new(),
        }
    }

    fn rec(seed: u64, failed: &[&str]) -> SeedRecord {
        SeedRecord {
            passed: failed.is_empty(),
            failed_checks: failed.iter().map(|s| s.to_string()).collect(),
            ..SeedRecord::panicked(seed, String::new())
        }
    }

    #[test]
    fn assembly_sorts_counts_and_lists_failures() {
        let recs = vec![rec(3, &["invariants"]), rec(1, &[]), rec(2, &["invariants", "liveness"])];
        let s = SweepSummary::assemble(spec(), None, recs, Some(StopReason::Interrupted), Timing::default());
        assert_eq!(s.records.iter().map(|r| r.seed).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(s.counts, Counts { planned: 4, run: 3, passed: 1, failed: 2, unknown: 0 });
        assert!(!s.complete);
        assert_eq!(s.stopped, Some(StopReason::Interrupted));
        assert_eq!(s.failed_checks["invariants"], 2);
        assert_eq!(s.failures[0].replay, "eightfold run 'my dir/s.json' --seed 2 --trace");
        let back: SweepSummary = serde_json::from_str(&s.to_json()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn undecided_seeds_are_neither_passed_nor_failed() {
        let undecided = |seed: u64, also_failed: &[&str]| SeedRecord {
            passed: also_failed.is_empty(),
            unknown_checks: vec!["linearizable".to_string()],
            details: BTreeMap::from([(
                "linearizable".to_string(),
                "the budget of 5 search steps ran out".into(),
            )]),
            ..rec(seed, also_failed)
        };
        let recs = vec![rec(1, &[]), undecided(2, &[]), undecided(3, &["invariants"]), rec(4, &[])];
        let s = SweepSummary::assemble(spec(), None, recs, None, Timing::default());
        assert_eq!(s.counts, Counts { planned: 4, run: 4, passed: 2, failed: 1, unknown: 1 });
        assert_eq!(s.failure_rate, 0.25);
        assert_eq!(s.unknown_checks["linearizable"], 2);
        assert_eq!(s.failures.iter().map(|f| f.seed).collect::<Vec<_>>(), [3]);
        assert_eq!(s.unknown.len(), 1);
        assert_eq!(s.unknown[0].seed, 2);
        assert_eq!(s.unknown[0].replay, "eightfold run 'my dir/s.json' --seed 2");
        assert!(s.unknown[0].details["linearizable"].contains("search steps"));
        let back: SweepSummary = serde_json::from_str(&s.to_json()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn a_complete_sweep_has_no_stop_reason() {
        let recs = (1..=4).map(|s| rec(s, &[])).collect();
        let s = SweepSummary::assemble(spec(), None, recs, Some(StopReason::FailFast), Timing::default());
        assert!(s.complete);
        assert_eq!(s.stopped, None);
    }
}
