//! Running a comparison: every protocol on every seed, in parallel.
//!
//! The scenario is first adapted to each protocol (all adaptations are checked before
//! anything runs, so a scenario that cannot be compared fails at once). Then every
//! `(protocol, seed)` pair is one complete, single-threaded simulation on a rayon pool of
//! `jobs` threads — the same scheme as a sweep (rule 3 of the design). Each run is measured
//! as soon as it ends ([`super::measure`]) and its history dropped, so memory stays small.
//! Results are collected in task order, so the outcome does not depend on which thread ran
//! what. A panicking simulation is recorded as a failed run, not a crash of the comparison.
//!
//! The stop flag is polled before each run starts and handed to the running simulations, so
//! Ctrl-C ends the comparison within one event; an interrupted comparison reports
//! [`CompareError::Interrupted`] and produces nothing (half the seeds of one protocol would
//! make a misleading table).
//!
//! With [`Isolation::Processes`] (what `eightfold compare` uses) the runs happen in worker
//! processes ([`crate::experiment::worker`]), each measuring its run and sending back the
//! figures; the stop flag then kills the workers. A run that kills two workers in a row is
//! recorded like a run that panicked, its message saying how the worker ended.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;
use thiserror::Error;

use super::adapt::{AdaptError, Adapted, adapt};
use super::measure::{self, RunData, RunFigures};
use super::summary::{Clients, Comparison, FORMAT, ProtocolSummary, Timing, fault_windows};
use crate::experiment::summary::SweepSpec;
use crate::experiment::sweep::panic_message;
use crate::experiment::worker::{self, CompareResult, CompareTask, Fate, Isolation, Job, PoolError};
use crate::report::charts::throughput::bucket_ns;
use crate::runner::{self, RunError, RunOptions, kv};
use crate::scenario::{Protocol, Scenario};

/// What can stop a comparison from producing its report.
#[derive(Debug, Error)]
pub enum CompareError {
    /// The scenario could not be adapted to a protocol.
    #[error(transparent)]
    Adapt(#[from] AdaptError),
    /// The worker threads could not be started.
    #[error("cannot start {jobs} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        jobs: usize,
        /// Why not.
        reason: String,
    },
    /// A run failed for a reason other than a check.
    #[error("{protocol} seed {seed}: {source}")]
    Run {
        /// The protocol.
        protocol: &'static str,
        /// The seed.
        seed: u64,
        /// What went wrong.
        source: RunError,
    },
    /// A run in a worker process failed for a reason other than a check.
    #[error("{protocol} seed {seed}: {reason}")]
    InWorker {
        /// The protocol.
        protocol: &'static str,
        /// The seed.
        seed: u64,
        /// What went wrong.
        reason: String,
    },
    /// The worker processes could not be started or broke their protocol.
    #[error(transparent)]
    Workers(#[from] PoolError),
    /// Ctrl-C (or SIGTERM) stopped the comparison.
    #[error("interrupted after {finished} of {planned} runs: no report written")]
    Interrupted {
        /// Runs that had finished.
        finished: u64,
        /// Runs planned.
        planned: u64,
    },
}

/// A comparison to run.
pub struct ComparePlan<'a> {
    /// The (validated) scenario as written.
    pub scenario: &'a Scenario,
    /// Scenario identity and the seeds (see [`crate::experiment::sweep::spec_for`]).
    pub spec: SweepSpec,
    /// The protocols, in the order to report them.
    pub protocols: Vec<Protocol>,
    /// Worker threads (at least one).
    pub jobs: usize,
    /// Where the runs happen: threads of this process, or worker processes.
    pub isolation: Isolation,
}

/// A finished comparison: `compare.json`'s contents and the scenario each protocol ran.
pub struct CompareOutput {
    /// The aggregates.
    pub comparison: Comparison,
    /// The adapted scenarios, in protocol order.
    pub adapted: Vec<Adapted>,
}

impl ComparePlan<'_> {
    /// Runs (protocol × seed) the plan holds.
    pub fn runs(&self) -> u64 {
        self.spec.seeds.len() * self.protocols.len() as u64
    }
}

/// One run's measurements, plus its fault log as `(entry, start, end)`.
pub type Measured = (RunData, Vec<(usize, u64, u64)>);

/// Runs the plan. `stop` is polled between runs and interrupts running simulations;
/// `on_run` is called from the worker threads as each run finishes, for progress display.
pub fn compare(
    plan: &ComparePlan<'_>,
    stop: &Arc<AtomicBool>,
    on_run: &(dyn Fn(Protocol, &RunFigures) + Sync),
) -> Result<CompareOutput, CompareError> {
    let started = Instant::now();
    let adapted = plan.protocols.iter().map(|&p| adapt(plan.scenario, p)).collect::<Result<Vec<_>, _>>()?;
    let jobs = plan.jobs.max(1);
    let tasks: Vec<(usize, u64)> =
        (0..adapted.len()).flat_map(|p| plan.spec.seeds.iter().map(move |seed| (p, seed))).collect();
    let finished = AtomicU64::new(0);
    let results: Vec<Option<Result<Measured, CompareError>>> = match &plan.isolation {
        Isolation::Threads => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(jobs)
                .thread_name(|i| format!("compare-{i}"))
                .build()
                .map_err(|e| CompareError::Threads { jobs, reason: e.to_string() })?;
            pool.install(|| {
                tasks
                    .par_iter()
                    .map(|&(p, seed)| {
                        if stop.load(Ordering::Relaxed) {
                            return None;
                        }
                        let r = run_one(&adapted[p], seed, stop)?;
                        if let Ok((d, _)) = &r {
                            finished.fetch_add(1, Ordering::Relaxed);
                            on_run(adapted[p].protocol, &d.figures);
                        }
                        Some(r)
                    })
                    .collect()
            })
        }
        Isolation::Processes(workers) => {
            let slots: Mutex<Vec<Option<Result<Measured, CompareError>>>> =
                Mutex::new((0..tasks.len()).map(|_| None).collect());
            let handed = AtomicU64::new(0);
            let next = || {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let k = handed.fetch_add(1, Ordering::Relaxed) as usize;
                tasks.get(k).copied()
            };
            // Tasks are (protocol, seed), protocol-major: the slot of a result follows.
            let slot = |(p, seed): CompareTask| {
                p * plan.spec.seeds.len() as usize + (seed - plan.spec.seeds.first) as usize
            };
            let done = |(p, seed): CompareTask, fate: Fate<CompareResult>| {
                let r = match fate {
                    Fate::Done(CompareResult::Interrupted) => return,
                    Fate::Done(CompareResult::Done(m)) => Ok(*m),
                    Fate::Done(CompareResult::Failed(reason)) => {
                        Err(CompareError::InWorker { protocol: adapted[p].protocol.name(), seed, reason })
                    }
                    Fate::Died(how) => Ok((
                        measure::panicked(seed, format!("the run aborted: its worker process {how}, twice")),
                        Vec::new(),
                    )),
                };
                if let Ok((d, _)) = &r {
                    finished.fetch_add(1, Ordering::Relaxed);
                    on_run(adapted[p].protocol, &d.figures);
                }
                slots.lock().expect("unpoisoned")[slot((p, seed))] = Some(r);
            };
            let job = Job::Compare {
                scenario: workers.text.clone(),
                protocols: adapted.iter().map(|a| a.protocol).collect(),
            };
            let all: Vec<&Scenario> = adapted.iter().map(|a| &a.scenario).collect();
            let expect = worker::fingerprint(&all);
            worker::run_pool(workers, &job, &expect, jobs, &next, &done, Some(stop))?;
            slots.into_inner().expect("unpoisoned")
        }
    };
    if stop.load(Ordering::Relaxed) || results.iter().any(Option::is_none) {
        return Err(CompareError::Interrupted {
            finished: finished.load(Ordering::Relaxed),
            planned: tasks.len() as u64,
        });
    }
    let mut per_protocol: Vec<Vec<RunData>> = vec![Vec::new(); adapted.len()];
    let mut first_logs: Vec<Vec<(usize, u64, u64)>> = vec![Vec::new(); adapted.len()];
    for (&(p, seed), r) in tasks.iter().zip(results.into_iter().flatten()) {
        let (data, log) = r?;
        if seed == plan.spec.seeds.first {
            first_logs[p] = log;
        }
        per_protocol[p].push(data);
    }
    let protocols: Vec<ProtocolSummary> =
        adapted.iter().zip(per_protocol).map(|(a, runs)| ProtocolSummary::assemble(a, runs)).collect();
    let s = plan.scenario;
    let end = s.duration.0.as_nanos().max(1);
    let (_, client, start) = kv::client_config(s);
    let wall_s = started.elapsed().as_secs_f64();
    let comparison = Comparison {
        format: FORMAT.to_string(),
        spec: plan.spec.clone(),
        description: s.description.clone(),
        duration_s: end as f64 / 1e9,
        bucket_ns: bucket_ns(end),
        clients: Clients {
            count: s.client_count(),
            start_s: start.as_nanos() as f64 / 1e9,
            stop_s: client.stop.as_nanos().min(end) as f64 / 1e9,
            attempt_timeout_s: client.timeout.as_nanos() as f64 / 1e9,
            give_up_s: client.op_timeout.as_nanos() as f64 / 1e9,
        },
        fault_windows: fault_windows(s, &adapted, &first_logs),
        protocols,
        timing: Timing {
            jobs: jobs as u64,
            wall_s,
            runs_per_s: if wall_s > 0.0 { tasks.len() as f64 / wall_s } else { 0.0 },
        },
    };
    Ok(CompareOutput { comparison, adapted })
}

/// Runs and measures one seed of one adapted scenario; `None` if it was interrupted.
pub fn run_one(a: &Adapted, seed: u64, stop: &Arc<AtomicBool>) -> Option<Result<Measured, CompareError>> {
    worker::abort_if_asked(seed);
    let opts = RunOptions { interrupt: Some(stop.clone()), ..RunOptions::seed(seed) };
    match catch_unwind(AssertUnwindSafe(|| runner::run_full(&a.scenario, opts))) {
        Ok(Ok(out)) => {
            let history = out.history.unwrap_or_default();
            let data = measure::measure(&a.scenario, &out.outcome, &history);
            let end = a.scenario.duration.0.as_nanos();
            let log = out
                .outcome
                .faults
                .iter()
                .map(|f| (f.entry, f.start.0.min(end), f.end.map_or(end, |e| e.0.min(end))))
                .collect();
            Some(Ok((data, log)))
        }
        Ok(Err(RunError::Interrupted(_))) => None,
        Ok(Err(source)) => Some(Err(CompareError::Run { protocol: a.protocol.name(), seed, source })),
        Err(payload) => Some(Ok((measure::panicked(seed, panic_message(payload.as_ref())), Vec::new()))),
    }
}
