//! Shrinking a failing run: search for a smaller scenario that, with the same seed, still
//! fails the same check.
//!
//! Each attempt changes the current smallest failing scenario in one way, re-runs it
//! deterministically, and keeps the change only if the target check still fails. The
//! steps, repeated in rounds until a round changes nothing or the run budget is spent:
//!
//! 1. **duration** — cut the run to just after the failure (the halt time of a check that
//!    stopped the run; otherwise a binary search on whole milliseconds). Faults that would
//!    start after the new end are dropped and windows that would outlast it are clipped, so
//!    every fault stays inside the run;
//! 2. **faults** — delta debugging over the fault list ([`super::ddmin`], Zeller &
//!    Hildebrandt 2002): the smallest sub-list that still fails;
//! 3. **windows** — halve each fault's `for` while the failure persists (whole ms);
//! 4. **clients** — binary search for the fewest clients;
//! 5. **operations** — set `max_ops` (per client) and binary-search it down (key-value
//!    workloads), or the number of `values` (broadcast);
//! 6. **nodes** — drop servers, one or two at a time; validation refuses any candidate in
//!    which a fault or link names a removed node, and such candidates are not run.
//!
//! Every candidate goes through its JSON text and the scenario validator before it runs,
//! so the file written at the end is byte for byte what was tested. Nothing depends on the
//! wall clock or on hash-map order: the same scenario and seed always give the same
//! attempts and the same result. Names, description and default seed do not influence a
//! run, so the result is renamed `<name>-shrunk` with the seed set from the start.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::ddmin::ddmin;
use super::sweep::panic_message;
use crate::report::Outcome;
use crate::runner::{self, RunError, RunOptions};
use crate::scenario::units::HumanDuration;
use crate::scenario::{self, FaultEntry, Scenario, WorkloadSpec};
use crate::sim::SimDuration;

/// The value of the `format` field of `shrink.json`.
pub const FORMAT: &str = "eightfold-shrink/1";

/// The default budget of runs.
pub const DEFAULT_MAX_RUNS: usize = 200;

const MS: u64 = 1_000_000;

/// Why shrinking could not start.
#[derive(Debug, Error)]
pub enum ShrinkError {
    /// No check of the seed fails: there is nothing to shrink.
    #[error("{scenario} seed {seed} fails no check; shrinking needs a failing run")]
    Passes {
        /// Scenario name.
        scenario: String,
        /// The seed.
        seed: u64,
    },
    /// The check asked for did not fail.
    #[error("check `{check}` did not fail with seed {seed} (failed: {failed})")]
    CheckPassed {
        /// The check asked for.
        check: String,
        /// The seed.
        seed: u64,
        /// The checks that did fail.
        failed: String,
    },
    /// The original run panicked.
    #[error("seed {seed} panics: {message}")]
    Panicked {
        /// The seed.
        seed: u64,
        /// The panic message.
        message: String,
    },
    /// The original run could not be carried out.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// How to shrink.
#[derive(Clone, Debug)]
pub struct ShrinkOptions {
    /// The seed (fixed throughout).
    pub seed: u64,
    /// The check that must keep failing (default: the one that halted the run, else the
    /// first failed check by name).
    pub check: Option<String>,
    /// Most simulation runs to spend, the original included.
    pub max_runs: usize,
}

/// What an attempt found.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The target check still fails: the change is kept.
    StillFails,
    /// Every check passes: the change is undone.
    Passes,
    /// No check fails, but one could not decide within its budget (neither a pass nor a
    /// failure): the change is undone.
    Undecided,
    /// Some check fails, but not the target one: the change is undone.
    FailsDifferently,
    /// The candidate is not a valid scenario (not run): the change is undone.
    Invalid,
}

/// One attempt: what was changed and what the run said.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1-based attempt number.
    pub n: usize,
    /// The step (`original`, `duration`, `faults`, `windows`, `clients`, `operations`, `nodes`).
    pub step: String,
    /// The change, in words.
    pub change: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Checks that failed in the attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_checks: Vec<String>,
    /// The run's digest (absent for invalid candidates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Why the candidate was invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The size of a scenario and of its run, to compare before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Simulated duration.
    pub duration: String,
    /// Servers.
    pub nodes: u32,
    /// Clients.
    pub clients: u32,
    /// Entries of the fault schedule.
    pub faults: usize,
    /// Sum of the faults' `for` windows, ms.
    pub fault_windows_ms: u64,
    /// `max_ops` per client, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ops: Option<u64>,
    /// Operations the clients issued in the run.
    pub operations: u64,
    /// Events the kernel handled.
    pub events: u64,
}

/// The contents of `shrink.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShrinkLog {
    /// Always [`FORMAT`].
    pub format: String,
    /// The original scenario's name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The check that had to keep failing.
    pub check: String,
    /// The original scenario and run.
    pub original: Size,
    /// The smallest failing scenario found.
    pub minimal: Size,
    /// Simulation runs spent (invalid candidates cost none).
    pub runs: usize,
    /// The budget.
    pub max_runs: usize,
    /// True if the budget ran out before a round changed nothing.
    pub limit_reached: bool,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
}

/// The result: the log, the smallest failing scenario (and its text) and its outcome.
pub struct Shrunk {
    /// The log.
    pub log: ShrinkLog,
    /// The smallest failing scenario.
    pub scenario: Scenario,
    /// Its JSON text, exactly as tested.
    pub text: String,
    /// Its outcome.
    pub outcome: Outcome,
}

/// A failing scenario and what its run showed.
#[derive(Clone)]
struct Best {
    scenario: Scenario,
    text: String,
    outcome: Outcome,
    operations: u64,
    max_ops_per_client: u64,
}

/// Shrinks `original` with `opts`; `on_attempt` sees each attempt as it is made.
pub fn shrink(
    original: &Scenario,
    opts: &ShrinkOptions,
    on_attempt: &mut dyn FnMut(&Attempt),
) -> Result<Shrunk, ShrinkError> {
    let seed = opts.seed;
    let (outcome, operations, max_ops_per_client) =
        execute(original, seed)?.map_err(|message| ShrinkError::Panicked { seed, message })?;
    if outcome.passed {
        return Err(ShrinkError::Passes { scenario: original.name.clone(), seed });
    }
    let failed: Vec<String> = outcome.failed_checks().into_iter().map(str::to_string).collect();
    let check = match &opts.check {
        Some(c) if failed.contains(c) => c.clone(),
        Some(c) => {
            return Err(ShrinkError::CheckPassed { check: c.clone(), seed, failed: failed.join(", ") });
        }
        None => outcome.halted.as_ref().map(|h| h.check.clone()).unwrap_or_else(|| failed[0].clone()),
    };
    let mut base = original.clone();
    let stem: String = original.name.chars().take(93).collect();
    base.name = format!("{stem}-shrunk");
    base.seed = seed;
    base.description = format!(
        "Shrunk by `eightfold shrink` from {} seed {seed}: the smallest variant found that still fails the `{check}` check. {}",
        original.name, original.description
    );
    let text = to_text(&base);
    let first = Attempt {
        n: 1,
        step: "original".into(),
        change: "none".into(),
        verdict: Verdict::StillFails,
        failed_checks: failed,
        digest: Some(outcome.digest.clone()),
        note: None,
    };
    on_attempt(&first);
    let best = Best { scenario: base, text, outcome, operations, max_ops_per_client };
    let original_size = size(&best);
    let mut s = Shrinker {
        check,
        seed,
        max_runs: opts.max_runs.max(1),
        runs: 1,
        limit_reached: false,
        attempts: vec![first],
        seen: BTreeSet::new(),
        best,
        on_attempt,
    };
    loop {
        let before = s.best.text.clone();
        s.duration();
        s.faults();
        s.windows();
        s.clients();
        s.operations();
        s.nodes();
        if s.best.text == before || s.limit_reached {
            break;
        }
    }
    let log = ShrinkLog {
        format: FORMAT.into(),
        scenario: original.name.clone(),
        seed,
        check: s.check,
        original: original_size,
        minimal: size(&s.best),
        runs: s.runs,
        max_runs: s.max_runs,
        limit_reached: s.limit_reached,
        attempts: s.attempts,
    };
    Ok(Shrunk { log, scenario: s.best.scenario, text: s.best.text, outcome: s.best.outcome })
}

/// Runs a scenario; `Ok(Err(message))` if it panicked. Returns the outcome, the number of
/// operations issued and the most issued by one client.
fn execute(s: &Scenario, seed: u64) -> Result<Result<(Outcome, u64, u64), String>, RunError> {
    let run = catch_unwind(AssertUnwindSafe(|| runner::run_full(s, RunOptions::seed(seed))));
    let out = match run {
        Ok(r) => r?,
        Err(p) => return Ok(Err(panic_message(p.as_ref()))),
    };
    let mut per_client: BTreeMap<u32, u64> = BTreeMap::new();
    let mut operations = 0;
    if let Some(h) = &out.history {
        operations = h.ops.len() as u64;
        for op in &h.ops {
            *per_client.entry(op.client).or_insert(0) += 1;
        }
    } else if let Some(WorkloadSpec::Broadcast { clients, values, .. }) = &s.workload {
        operations = u64::from(*clients) * u64::from(*values);
    }
    let most = per_client.values().copied().max().unwrap_or(0);
    Ok(Ok((out.outcome, operations, most)))
}

fn size(b: &Best) -> Size {
    let s = &b.scenario;
    Size {
        duration: s.duration.0.to_string(),
        nodes: s.cluster.nodes,
        clients: s.client_count(),
        faults: s.faults.len(),
        fault_windows_ms: s.faults.iter().filter_map(|f| f.lasts).map(|d| d.0.as_nanos() / MS).sum(),
        max_ops: match &s.workload {
            Some(WorkloadSpec::Kv(k)) => k.max_ops,
            _ => None,
        },
        operations: b.operations,
        events: b.outcome.events,
    }
}

/// The search state.
struct Shrinker<'a> {
    check: String,
    seed: u64,
    max_runs: usize,
    runs: usize,
    limit_reached: bool,
    attempts: Vec<Attempt>,
    /// Candidate texts already tried, so no candidate runs twice.
    seen: BTreeSet<String>,
    best: Best,
    on_attempt: &'a mut dyn FnMut(&Attempt),
}

impl Shrinker<'_> {
    /// Tries a candidate; keeps it (and returns true) if the target check still fails.
    fn attempt(&mut self, step: &str, change: String, candidate: Scenario) -> bool {
        let text = to_text(&candidate);
        if text == self.best.text || self.seen.contains(&text) {
            return false;
        }
        if self.runs >= self.max_runs {
            self.limit_reached = true;
            return false;
        }
        let mut a = Attempt {
            n: self.attempts.len() + 1,
            step: step.into(),
            change,
            verdict: Verdict::Invalid,
            failed_checks: Vec::new(),
            digest: None,
            note: None,
        };
        let mut kept = false;
        match scenario::parse(&text) {
            Err(e) => a.note = Some(e.to_string()),
            Ok(parsed) => {
                self.runs += 1;
                match execute(&parsed, self.seed) {
                    Err(e) => {
                        a.verdict = Verdict::FailsDifferently;
                        a.note = Some(e.to_string());
                    }
                    Ok(Err(panic)) => {
                        a.verdict = Verdict::FailsDifferently;
                        a.failed_checks = vec!["panic".into()];
                        a.note = Some(panic);
                    }
                    Ok(Ok((outcome, operations, max_ops_per_client))) => {
                        a.failed_checks = outcome.failed_checks().into_iter().map(str::to_string).collect();
                        a.digest = Some(outcome.digest.clone());
                        a.verdict = if a.failed_checks.contains(&self.check) {
                            Verdict::StillFails
                        } else if outcome.passed && !outcome.unknown_checks().is_empty() {
                            Verdict::Undecided
                        } else if outcome.passed {
                            Verdict::Passes
                        } else {
                            Verdict::FailsDifferently
                        };
                        if a.verdict == Verdict::StillFails {
                            kept = true;
                            self.best = Best {
                                scenario: parsed,
                                text: text.clone(),
                                outcome,
                                operations,
                                max_ops_per_client,
                            };
                        }
                    }
                }
            }
        }
        self.seen.insert(text);
        (self.on_attempt)(&a);
        self.attempts.push(a);
        kept
    }

    /// Binary search for the smallest value in `lo..hi` that still fails, where `hi` is
    /// the current (failing) value; `make` builds the candidate and describes it.
    fn smallest(
        &mut self,
        step: &str,
        mut lo: u64,
        mut hi: u64,
        make: &dyn Fn(&Scenario, u64) -> (Scenario, String),
    ) {
        while lo < hi && !self.limit_reached {
            let mid = lo + (hi - lo) / 2;
            let (cand, change) = make(&self.best.scenario, mid);
            if self.attempt(step, change, cand) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
    }

    fn duration(&mut self) {
        let cur = self.best.scenario.duration.0.as_nanos();
        if let Some(h) = &self.best.outcome.halted {
            // The run stopped at the failure: everything after it is irrelevant.
            let end = (h.at.as_nanos() / MS + 2) * MS;
            if end < cur {
                let why = format!(" (the run failed at {})", SimDuration(h.at.as_nanos()));
                let (cand, change) = with_duration(&self.best.scenario, end);
                self.attempt("duration", change + &why, cand);
            }
            return;
        }
        self.smallest("duration", 1, cur / MS, &|s, ms| with_duration(s, ms * MS));
    }

    fn faults(&mut self) {
        let base = self.best.scenario.clone();
        let total = base.faults.len();
        if total == 0 {
            return;
        }
        let indices: Vec<usize> = (0..total).collect();
        ddmin(&indices, &mut |keep: &[usize]| {
            let mut cand = base.clone();
            cand.faults = keep.iter().map(|&i| base.faults[i].clone()).collect();
            let change = format!("keep {} of {total} faults: {keep:?}", keep.len());
            self.attempt("faults", change, cand)
        });
    }

    fn windows(&mut self) {
        for i in 0..self.best.scenario.faults.len() {
            while let Some(lasts) = self.best.scenario.faults.get(i).and_then(|f| f.lasts) {
                let half = lasts.0.as_nanos() / 2 / MS * MS;
                if half == 0 || self.limit_reached {
                    break;
                }
                let mut cand = self.best.scenario.clone();
                cand.faults[i].lasts = Some(HumanDuration(SimDuration(half)));
                let change = format!("faults[{i}].for {} -> {}", lasts.0, SimDuration(half));
                if !self.attempt("windows", change, cand) {
                    break;
                }
            }
        }
    }

    fn clients(&mut self) {
        let cur = u64::from(self.best.scenario.client_count());
        self.smallest("clients", 1, cur, &|s, n| {
            let mut c = s.clone();
            match &mut c.workload {
                Some(WorkloadSpec::Kv(k)) => k.clients = n as u32,
                Some(WorkloadSpec::Broadcast { clients, .. }) => *clients = n as u32,
                None => {}
            }
            (c, format!("clients {cur} -> {n}"))
        });
    }

    fn operations(&mut self) {
        let (kv_max_ops, values) = match &self.best.scenario.workload {
            Some(WorkloadSpec::Kv(k)) => (Some(k.max_ops), None),
            Some(WorkloadSpec::Broadcast { values, .. }) => (None, Some(u64::from(*values))),
            None => (None, None),
        };
        if let Some(max_ops) = kv_max_ops {
            let set = |s: &Scenario, n: u64| {
                let mut c = s.clone();
                let mut from = "unlimited".to_string();
                if let Some(WorkloadSpec::Kv(k)) = &mut c.workload {
                    from = k.max_ops.map_or(from, |m| m.to_string());
                    k.max_ops = Some(n);
                }
                (c, format!("max_ops per client {from} -> {n}"))
            };
            // The most any client issued: a limit at that value changes nothing, or little.
            let observed = self.best.max_ops_per_client.max(1);
            let hi = match max_ops {
                Some(m) => m.min(observed),
                None => {
                    let (cand, change) = set(&self.best.scenario, observed);
                    self.attempt("operations", change, cand);
                    observed
                }
            };
            self.smallest("operations", 1, hi, &set);
        }
        if let Some(cur) = values {
            self.smallest("operations", 1, cur, &|s, n| {
                let mut c = s.clone();
                if let Some(WorkloadSpec::Broadcast { values, .. }) = &mut c.workload {
                    *values = n as u32;
                }
                (c, format!("values per client {cur} -> {n}"))
            });
        }
    }

    fn nodes(&mut self) {
        loop {
            let n = self.best.scenario.cluster.nodes;
            let fewer = [n.saturating_sub(1), n.saturating_sub(2)];
            let kept = fewer.into_iter().filter(|&m| m >= 1).any(|m| {
                let mut c = self.best.scenario.clone();
                c.cluster.nodes = m;
                self.attempt("nodes", format!("nodes {n} -> {m}"), c)
            });
            if !kept || self.limit_reached {
                break;
            }
        }
    }
}

/// A scenario as the JSON text that is tested and saved: pretty, in the model's field
/// order, with the `"field": null` lines of unset optional fields left out (absent and
/// `null` read back the same, and the text is validated before it runs anyway).
fn to_text(s: &Scenario) -> String {
    let pretty = s.to_json_pretty();
    let mut out: Vec<&str> = Vec::new();
    let mut strip_comma = Vec::new();
    for line in pretty.lines() {
        let t = line.trim_start();
        let key = t.strip_suffix(',').unwrap_or(t).strip_suffix(": null");
        let member_null =
            key.and_then(|k| k.strip_prefix('"')?.strip_suffix('"')).is_some_and(|k| !k.contains('"'));
        if member_null {
            if !t.ends_with(',') && out.last().is_some_and(|l| l.ends_with(',')) {
                strip_comma.push(out.len() - 1);
            }
            continue;
        }
        out.push(line);
    }
    let mut text = String::with_capacity(pretty.len());
    for (i, line) in out.iter().enumerate() {
        text.push_str(if strip_comma.contains(&i) { &line[..line.len() - 1] } else { line });
        text.push('\n');
    }
    text
}

/// The scenario cut to `end_ns`: later faults dropped, windows clipped to the end.
fn with_duration(s: &Scenario, end_ns: u64) -> (Scenario, String) {
    let mut c = s.clone();
    c.duration = HumanDuration(SimDuration(end_ns));
    let before = c.faults.len();
    c.faults.retain(|f| f.at.0.as_nanos() < end_ns);
    for f in &mut c.faults {
        clip(f, end_ns);
    }
    let dropped = before - c.faults.len();
    let mut change = format!("duration {} -> {}", s.duration.0, SimDuration(end_ns));
    if dropped > 0 {
        change.push_str(&format!(", dropping {dropped} faults that would start after it"));
    }
    (c, change)
}

fn clip(f: &mut FaultEntry, end_ns: u64) {
    let at = f.at.0.as_nanos();
    if let Some(l) = f.lasts {
        if at + l.0.as_nanos() > end_ns {
            f.lasts = Some(HumanDuration(SimDuration(end_ns - at)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_text_drops_nulls_and_reads_back_the_same() {
        let text = std::fs::read_to_string("scenarios/raft-crash-restart-storm.json").unwrap();
        let s = scenario::parse(&text).unwrap();
        let saved = to_text(&s);
        assert!(!saved.contains("null"), "{saved}");
        let back = scenario::parse(&saved).unwrap();
        assert_eq!(back.to_json_pretty(), s.to_json_pretty());
        assert!(saved.find("\"name\"").unwrap() < saved.find("\"faults\"").unwrap());
    }
}
