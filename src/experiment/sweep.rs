//! Running many seeds of one scenario in parallel.
//!
//! Each seed is one complete, single-threaded simulation; parallelism is only across seeds
//! (rule 3 of the design), on a rayon pool of `jobs` threads. Workers look at a stop flag
//! before starting each seed, so Ctrl-C (which sets the flag) or `--fail-fast` stops the
//! sweep between seeds and the seeds already finished are kept. Records are sorted by seed
//! afterwards, so the summary does not depend on which thread ran what.
//!
//! A seed whose simulation panics is recorded as failed with the pseudo-check `panic`
//! rather than aborting the sweep: a panic in protocol code is a finding like any other.
//!
//! An abort (a failed allocation, a stack overflow) cannot be caught that way: it ends the
//! process. With [`Isolation::Processes`] (what `eightfold sweep` uses) every seed runs in a
//! worker process instead ([`super::worker`]); a seed that kills two workers in a row is
//! recorded as failed with the pseudo-check `abort` and how the worker ended, and the
//! sweep goes on. Either way the records are the same, so is the summary.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use thiserror::Error;

use super::record::SeedRecord;
use super::seeds::{SeedRange, SeedsError, Shard};
use super::summary::{ShardInfo, StopReason, SweepSpec, SweepSummary, Timing};
use super::worker::{self, Fate, Isolation, Job, PoolError, SweepResult};
use crate::runner::{self, RunError, RunOptions};
use crate::scenario::Scenario;
use crate::sim::digest::hash_bytes;

/// What can stop a sweep from producing a summary.
#[derive(Debug, Error)]
pub enum SweepError {
    /// The shard does not fit the range.
    #[error(transparent)]
    Seeds(#[from] SeedsError),
    /// The worker threads could not be started.
    #[error("cannot start {jobs} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        jobs: usize,
        /// Why not.
        reason: String,
    },
    /// A run failed for a reason other than a check (an I/O error).
    #[error("seed {seed}: {source}")]
    Run {
        /// The seed.
        seed: u64,
        /// What went wrong.
        source: RunError,
    },
    /// A run in a worker process failed for a reason other than a check.
    #[error("seed {seed}: {reason}")]
    InWorker {
        /// The seed.
        seed: u64,
        /// What went wrong.
        reason: String,
    },
    /// The worker processes could not be started or broke their protocol.
    #[error(transparent)]
    Workers(#[from] PoolError),
}

/// A sweep to run.
pub struct SweepPlan<'a> {
    /// The (validated) scenario.
    pub scenario: &'a Scenario,
    /// Scenario identity and the whole seed range.
    pub spec: SweepSpec,
    /// Run only this slice of the range.
    pub shard: Option<Shard>,
    /// Worker threads (at least one).
    pub jobs: usize,
    /// Stop starting new seeds after the first failure.
    pub fail_fast: bool,
    /// Where the seeds run: threads of this process, or worker processes that an abort
    /// cannot take the sweep down with.
    pub isolation: Isolation,
}

/// The identity of a sweep over `seeds` of `scenario`, whose file text is `text` and which
/// was named `file` on the command line.
pub fn spec_for(scenario: &Scenario, text: &str, file: &str, seeds: SeedRange) -> SweepSpec {
    SweepSpec {
        scenario: scenario.name.clone(),
        scenario_file: file.to_string(),
        scenario_hash: format!("{:016x}", hash_bytes(text.as_bytes())),
        seeds,
        bugs: Vec::new(),
        sets: Vec::new(),
    }
}

/// Runs the plan. `stop` is polled between seeds (set it to stop early); `on_seed` is called
/// from the worker threads as each seed finishes, for progress display.
pub fn sweep(
    plan: &SweepPlan<'_>,
    stop: &AtomicBool,
    on_seed: &(dyn Fn(&SeedRecord) + Sync),
) -> Result<SweepSummary, SweepError> {
    let started = Instant::now();
    let shard = plan.shard.map(|s| plan.spec.seeds.shard(s).map(|r| ShardInfo::new(s, r))).transpose()?;
    let seeds = shard.as_ref().map_or(plan.spec.seeds, |s| s.seeds);
    let jobs = plan.jobs.max(1);
    let failed = AtomicBool::new(false);
    let halted = || stop.load(Ordering::Relaxed) || (plan.fail_fast && failed.load(Ordering::Relaxed));
    let finished = |r: &SeedRecord| {
        if !r.passed {
            failed.store(true, Ordering::Relaxed);
        }
        on_seed(r);
    };
    let records = match &plan.isolation {
        Isolation::Threads => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(jobs)
                .thread_name(|i| format!("sweep-{i}"))
                .build()
                .map_err(|e| SweepError::Threads { jobs, reason: e.to_string() })?;
            let results: Vec<Option<Result<SeedRecord, SweepError>>> = pool.install(|| {
                seeds
                    .iter()
                    .into_par_iter()
                    .map(|seed| {
                        if halted() {
                            return None;
                        }
                        let rec = run_seed(plan.scenario, seed);
                        if let Ok(r) = &rec {
                            finished(r);
                        }
                        Some(rec)
                    })
                    .collect()
            });
            results.into_iter().flatten().collect::<Result<Vec<_>, _>>()?
        }
        Isolation::Processes(workers) => {
            // Seeds are handed out in order, one per free worker (with one job, in order).
            let handed = AtomicU64::new(0);
            let next = || {
                if halted() {
                    return None;
                }
                let k = handed.fetch_add(1, Ordering::Relaxed);
                (k < seeds.len()).then(|| seeds.first + k)
            };
            let results: Mutex<Vec<Result<SeedRecord, SweepError>>> = Mutex::new(Vec::new());
            let done = |seed: u64, fate: Fate<SweepResult>| {
                let rec = match fate {
                    Fate::Done(Ok(r)) => Ok(r),
                    Fate::Done(Err(reason)) => Err(SweepError::InWorker { seed, reason }),
                    Fate::Died(how) => {
                        Ok(SeedRecord::aborted(seed, format!("its worker process {how}, twice")))
                    }
                };
                if let Ok(r) = &rec {
                    finished(r);
                }
                results.lock().expect("unpoisoned").push(rec);
            };
            let job = Job::Sweep { scenario: workers.text.clone(), bugs: plan.spec.bugs.clone() };
            let expect = worker::fingerprint(&[plan.scenario]);
            worker::run_pool(workers, &job, &expect, jobs, &next, &done, None)?;
            results.into_inner().expect("unpoisoned").into_iter().collect::<Result<Vec<_>, _>>()?
        }
    };
    let stopped = if stop.load(Ordering::Relaxed) {
        Some(StopReason::Interrupted)
    } else if plan.fail_fast && failed.load(Ordering::Relaxed) {
        Some(StopReason::FailFast)
    } else {
        None
    };
    let wall_s = started.elapsed().as_secs_f64();
    let timing = Timing {
        jobs: jobs as u64,
        wall_s,
        seeds_per_s: if wall_s > 0.0 { records.len() as f64 / wall_s } else { 0.0 },
    };
    Ok(SweepSummary::assemble(plan.spec.clone(), shard, records, stopped, timing))
}

/// Runs one seed; a panic becomes a failed record (an abort ends the process: see
/// [`worker`]).
pub fn run_seed(scenario: &Scenario, seed: u64) -> Result<SeedRecord, SweepError> {
    worker::abort_if_asked(seed);
    match catch_unwind(AssertUnwindSafe(|| runner::run(scenario, RunOptions::seed(seed)))) {
        Ok(Ok(outcome)) => Ok(SeedRecord::from_outcome(&outcome)),
        Ok(Err(source)) => Err(SweepError::Run { seed, source }),
        Err(payload) => Ok(SeedRecord::panicked(seed, panic_message(payload.as_ref()))),
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}
