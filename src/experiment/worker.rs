//! Worker processes: running the simulations of a sweep or a comparison outside the process
//! that collects their results, so that one that aborts does not take the others down.
//!
//! A panic in a simulation unwinds, and is caught per seed. An *abort* does not unwind: a
//! failed allocation, a stack overflow or `abort()` ends the whole process at once, and a
//! sweep of thousands of seeds would lose everything, summary included, to one bad seed.
//! So the parent (`sweep`, `compare`) starts `jobs` workers — this same executable run with
//! the hidden subcommand [`COMMAND`] — and hands them one task at a time; a worker that dies
//! is replaced and only its task is lost, recorded as a failure of its own kind.
//!
//! # Protocol
//!
//! JSON lines over the worker's stdin and stdout (its stderr is the parent's, so what a
//! dying worker prints — "memory allocation of … bytes failed" — reaches the user):
//!
//! 1. the parent writes the [`Job`]: the scenario file's exact text (a worker rebuilds the
//!    scenario from it with the same code, rather than from a re-serialisation, which
//!    rounds durations), the bugs switched on, the protocols to compare;
//! 2. the worker answers [`Reply::Hello`] with a fingerprint of what it built (a hash of
//!    the scenarios' `Debug` text); the parent refuses a worker whose fingerprint differs
//!    from its own, so a worker can never run a different scenario than the one asked for;
//! 3. then, one at a time: a task (a seed, or a protocol and a seed), and its result
//!    ([`Reply::Done`]). Closing the worker's stdin ends it.
//!
//! Only one task is ever in flight per worker, so the parent always knows which one a dead
//! worker was running. That task is run once more on a fresh worker (a worker killed from
//! outside — by the out-of-memory killer, say — says nothing about its task); if the
//! second worker dies too, the task's result is [`Fate::Died`] with the exit status, which
//! a sweep records as the pseudo-check `abort`. Records are the same figures as in-process
//! runs produce, and every `f64` survives JSON exactly (`serde_json`'s `float_roundtrip`),
//! so a sweep's summary does not depend on where its seeds ran.
//!
//! # Signals
//!
//! Workers share the parent's process group, so Ctrl-C at a terminal reaches them too. A
//! worker ignores the first one — the parent decides what happens: a sweep lets each
//! worker finish the seed in hand, a comparison (which writes nothing when interrupted)
//! stops its runs and kills its workers — and quits at the second, as the parent does.
//!
//! # A fault to test this with
//!
//! When the environment sets `EIGHTFOLD_ABORT_SEEDS` (seeds separated by commas), a sweep
//! or a comparison aborts its process instead of running those seeds ([`abort_if_asked`]) —
//! an injected fault, like the simulator's own, so the tests can show that a sweep in
//! worker processes survives an abort, and that one on threads (`--in-process`) does not.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::compare;
use super::record::SeedRecord;
use super::sweep;
use crate::scenario::{self, Protocol, Scenario};
use crate::sim::digest::hash_bytes;

/// The hidden subcommand that makes the executable a worker.
pub const COMMAND: &str = "__worker";

/// The environment variable naming seeds whose runs abort their process instead of running
/// (see [`abort_if_asked`]).
pub const ABORT_SEEDS_VAR: &str = "EIGHTFOLD_ABORT_SEEDS";

/// Where the simulations of a sweep or a comparison run.
#[derive(Clone, Debug)]
pub enum Isolation {
    /// On threads of this process: cheapest, but an abort in one simulation ends the whole
    /// process, and the results of every other seed with it.
    Threads,
    /// In worker processes (see the module documentation).
    Processes(Workers),
}

/// How to start workers.
#[derive(Clone, Debug)]
pub struct Workers {
    /// The executable to run with [`COMMAND`].
    pub program: PathBuf,
    /// The scenario file's exact text.
    pub text: String,
}

impl Workers {
    /// Workers running this very executable. On Linux that is `/proc/self/exe`, the image
    /// running now, even if the file was rebuilt or removed since the sweep started.
    pub fn this_executable(text: String) -> std::io::Result<Workers> {
        let proc_self = Path::new("/proc/self/exe");
        let program = if proc_self.exists() { proc_self.to_path_buf() } else { std::env::current_exe()? };
        Ok(Workers { program, text })
    }
}

/// What a worker is asked to do: the first line it reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Run seeds of one scenario (tasks: seeds; results: [`SweepResult`]).
    Sweep {
        /// The scenario file's text.
        scenario: String,
        /// Bugs switched on besides the scenario's own (as `--bug` does).
        bugs: Vec<String>,
    },
    /// Run seeds of one scenario adapted to each protocol (tasks: [`CompareTask`]; results:
    /// [`CompareResult`]).
    Compare {
        /// The scenario file's text.
        scenario: String,
        /// The protocols, in the order the tasks index them.
        protocols: Vec<Protocol>,
    },
}

/// A line a worker writes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<R> {
    /// The job was understood; the fingerprint of the scenarios it built.
    Hello {
        /// See [`fingerprint`].
        fingerprint: String,
    },
    /// The job cannot be done (its scenario does not parse here).
    Refused {
        /// Why.
        reason: String,
    },
    /// The result of the task just received.
    Done(R),
}

/// A sweep task's result: the seed's record, or why it could not run.
pub type SweepResult = Result<SeedRecord, String>;

/// A comparison task: the index of the protocol in [`Job::Compare`], and the seed.
pub type CompareTask = (usize, u64);

/// A comparison task's result.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareResult {
    /// The run's measurements.
    Done(Box<compare::run::Measured>),
    /// The run was interrupted.
    Interrupted,
    /// The run failed for a reason other than a check.
    Failed(String),
}

/// The fingerprint of the scenarios a job runs: a hash of their `Debug` text, which holds
/// every field exactly (integers, and floats printed so they read back the same).
pub fn fingerprint(scenarios: &[&Scenario]) -> String {
    let text: String = scenarios.iter().map(|s| format!("{s:?}\n")).collect();
    format!("{:016x}", hash_bytes(text.as_bytes()))
}

/// The scenario a sweep job runs: the text parsed, the bugs switched on (as `--bug` does).
pub fn sweep_scenario(text: &str, bugs: &[String]) -> Result<Scenario, String> {
    let mut s = scenario::parse(text).map_err(|e| e.to_string())?;
    for b in bugs {
        if !s.bugs.contains(b) {
            s.bugs.push(b.clone());
        }
    }
    crate::runner::bugs::validate(&s).map_err(|e| e.to_string())?;
    Ok(s)
}

/// The scenarios a comparison job runs, one per protocol.
pub fn compare_scenarios(text: &str, protocols: &[Protocol]) -> Result<Vec<compare::Adapted>, String> {
    let s = scenario::parse(text).map_err(|e| e.to_string())?;
    protocols.iter().map(|&p| compare::adapt(&s, p).map_err(|e| e.to_string())).collect()
}

/// What went wrong on the worker side.
#[derive(Debug, Error)]
pub enum ServeError {
    /// Reading a task or writing a result failed (the parent went away).
    #[error("worker I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A line was not what the protocol expects.
    #[error("worker protocol: {0}")]
    Protocol(String),
}

/// The worker's side: reads a [`Job`] from `input`, answers, then runs tasks until `input`
/// ends. `interrupt` is set by a signal: a comparison's runs stop at it; a sweep's seed in
/// hand runs to its end.
pub fn serve(
    input: impl BufRead,
    mut output: impl Write,
    interrupt: Arc<AtomicBool>,
) -> Result<(), ServeError> {
    let mut lines = input.lines();
    let Some(first) = lines.next().transpose()? else {
        return Ok(());
    };
    let job: Job = serde_json::from_str(&first).map_err(|e| ServeError::Protocol(format!("the job: {e}")))?;
    match job {
        Job::Sweep { scenario, bugs } => {
            let s = match sweep_scenario(&scenario, &bugs) {
                Ok(s) => s,
                Err(reason) => return refuse::<SweepResult>(&mut output, reason),
            };
            send(&mut output, &Reply::<SweepResult>::Hello { fingerprint: fingerprint(&[&s]) })?;
            for line in lines {
                let seed: u64 = parse_task(&line?)?;
                let result = match sweep::run_seed(&s, seed) {
                    Ok(record) => Ok(record),
                    Err(e) => Err(e.to_string()),
                };
                send(&mut output, &Reply::Done(result))?;
            }
        }
        Job::Compare { scenario, protocols } => {
            let adapted = match compare_scenarios(&scenario, &protocols) {
                Ok(a) => a,
                Err(reason) => return refuse::<CompareResult>(&mut output, reason),
            };
            let all: Vec<&Scenario> = adapted.iter().map(|a| &a.scenario).collect();
            send(&mut output, &Reply::<CompareResult>::Hello { fingerprint: fingerprint(&all) })?;
            for line in lines {
                let (p, seed): CompareTask = parse_task(&line?)?;
                let a = adapted.get(p).ok_or_else(|| ServeError::Protocol(format!("no protocol {p}")))?;
                let result = match compare::run::run_one(a, seed, &interrupt) {
                    None => CompareResult::Interrupted,
                    Some(Ok(m)) => CompareResult::Done(Box::new(m)),
                    Some(Err(e)) => CompareResult::Failed(e.to_string()),
                };
                send(&mut output, &Reply::Done(result))?;
            }
        }
    }
    Ok(())
}

fn parse_task<T: DeserializeOwned>(line: &str) -> Result<T, ServeError> {
    serde_json::from_str(line).map_err(|e| ServeError::Protocol(format!("a task: {e}")))
}

fn refuse<R: Serialize>(output: &mut impl Write, reason: String) -> Result<(), ServeError> {
    send(output, &Reply::<R>::Refused { reason: reason.clone() })?;
    Err(ServeError::Protocol(reason))
}

fn send<R: Serialize>(output: &mut impl Write, reply: &Reply<R>) -> Result<(), ServeError> {
    let line = serde_json::to_string(reply).map_err(|e| ServeError::Protocol(e.to_string()))?;
    writeln!(output, "{line}")?;
    output.flush()?;
    Ok(())
}

/// Aborts the process if [`ABORT_SEEDS_VAR`] names `seed`: the injected fault the tests
/// use to show what an abort does to a sweep or a comparison (a real one — a failed
/// allocation — cannot be provoked on demand). Called before each seed's run, on threads
/// and in workers alike; without the variable it does nothing.
pub fn abort_if_asked(seed: u64) {
    let Ok(list) = std::env::var(ABORT_SEEDS_VAR) else {
        return;
    };
    if list.split(',').any(|s| s.trim().parse() == Ok(seed)) {
        eprintln!("aborting on seed {seed} as {ABORT_SEEDS_VAR} asks");
        std::process::abort();
    }
}

/// What became of a task handed to the workers.
#[derive(Debug)]
pub enum Fate<R> {
    /// Its result.
    Done(R),
    /// It killed two workers in a row: how the second one ended ([`describe`]).
    Died(String),
}

/// Why the workers could not do their job (the parent's side).
#[derive(Debug, Error)]
pub enum PoolError {
    /// A worker could not be started, or did not answer the job.
    #[error("cannot start a worker process ({program}): {reason}")]
    Start {
        /// The executable.
        program: String,
        /// Why.
        reason: String,
    },
    /// A worker answered something the protocol does not allow.
    #[error("a worker process broke the protocol: {0}")]
    Protocol(String),
}

/// A worker process, from the parent's side.
struct Worker {
    child: Arc<Mutex<Child>>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// Why a task got no result.
enum CallError {
    /// The worker died (or closed its pipes).
    Died,
    /// It answered something else than a result.
    Protocol(String),
}

impl Worker {
    /// Starts a worker and hands it the job.
    fn start(
        w: &Workers,
        job: &Job,
        expect: &str,
        live: &Mutex<Vec<Arc<Mutex<Child>>>>,
    ) -> Result<Worker, PoolError> {
        let program = w.program.display().to_string();
        let fail = |reason: String| PoolError::Start { program: program.clone(), reason };
        let mut cmd = Command::new(&w.program);
        #[cfg(unix)]
        if let Ok(exe) = std::env::current_exe() {
            // Shown by `ps` instead of /proc/self/exe.
            std::os::unix::process::CommandExt::arg0(&mut cmd, exe);
        }
        let mut child = cmd
            .arg(COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| fail(e.to_string()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(fail("no pipes".to_string()));
        };
        let child = Arc::new(Mutex::new(child));
        live.lock().expect("unpoisoned").push(child.clone());
        let mut worker = Worker { child, stdin, stdout: BufReader::new(stdout) };
        let hello = serde_json::to_string(job).map_err(|e| fail(e.to_string()))?;
        match worker.exchange::<Reply<serde_json::Value>>(&hello) {
            Ok(Reply::Hello { fingerprint }) if fingerprint == expect => Ok(worker),
            Ok(Reply::Hello { fingerprint }) => Err(fail(format!(
                "it built a different scenario (fingerprint {fingerprint}, expected {expect}): is it the same build?"
            ))),
            Ok(Reply::Refused { reason }) => Err(fail(format!("it refused the job: {reason}"))),
            Ok(Reply::Done(_)) => Err(fail("it answered a task nobody asked for".to_string())),
            Err(CallError::Protocol(e)) => Err(fail(e)),
            Err(CallError::Died) => {
                let status = worker.reap();
                Err(fail(format!("it {} before answering", describe(status))))
            }
        }
    }

    /// Writes `line` and reads the answer. A line that is not a reply is something the
    /// worker printed on its own: it is passed on to stderr.
    fn exchange<T: DeserializeOwned>(&mut self, line: &str) -> Result<T, CallError> {
        if writeln!(self.stdin, "{line}").and_then(|_| self.stdin.flush()).is_err() {
            return Err(CallError::Died);
        }
        let mut buf = String::new();
        loop {
            buf.clear();
            match self.stdout.read_line(&mut buf) {
                Ok(0) | Err(_) => return Err(CallError::Died),
                Ok(_) => {}
            }
            if !buf.starts_with('{') {
                eprint!("{buf}");
                continue;
            }
            return serde_json::from_str(&buf)
                .map_err(|e| CallError::Protocol(format!("{e}: {}", buf.trim_end())));
        }
    }

    /// Runs one task.
    fn call<T: Serialize, R: DeserializeOwned>(&mut self, task: &T) -> Result<R, CallError> {
        let line = serde_json::to_string(task).map_err(|e| CallError::Protocol(e.to_string()))?;
        match self.exchange::<Reply<R>>(&line)? {
            Reply::Done(r) => Ok(r),
            Reply::Hello { .. } | Reply::Refused { .. } => {
                Err(CallError::Protocol("a worker greeted again in the middle of its job".to_string()))
            }
        }
    }

    /// Waits for a dead worker and returns how it ended.
    fn reap(self) -> Option<ExitStatus> {
        drop(self.stdin);
        self.child.lock().expect("unpoisoned").wait().ok()
    }
}

/// How a worker ended, as a predicate: "was killed by signal 6 (SIGABRT: …)", "exited with
/// status 3".
pub fn describe(status: Option<ExitStatus>) -> String {
    let Some(status) = status else {
        return "ended with an unknown status".to_string();
    };
    #[cfg(unix)]
    if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&status) {
        let what = match sig {
            6 => " (SIGABRT: an abort, such as a failed allocation or a stack overflow)",
            9 => " (SIGKILL: killed, perhaps by the out-of-memory killer)",
            11 => " (SIGSEGV: a segmentation fault)",
            4 => " (SIGILL: an illegal instruction)",
            7 => " (SIGBUS: a bus error)",
            8 => " (SIGFPE: an arithmetic exception)",
            _ => "",
        };
        return format!("was killed by signal {sig}{what}");
    }
    match status.code() {
        Some(c) => format!("exited with status {c}"),
        None => "ended without an exit status".to_string(),
    }
}

/// Runs tasks on `jobs` workers until `next` hands out no more, calling `done` with each
/// task's fate (from the parent's threads, in no particular order). When `kill` is given
/// and becomes set, the workers are killed at once and the tasks in flight dropped (a
/// comparison that is interrupted needs none of them).
pub fn run_pool<T, R>(
    workers: &Workers,
    job: &Job,
    expect: &str,
    jobs: usize,
    next: &(dyn Fn() -> Option<T> + Sync),
    done: &(dyn Fn(T, Fate<R>) + Sync),
    kill: Option<&AtomicBool>,
) -> Result<(), PoolError>
where
    T: Serialize + Copy + Send,
    R: DeserializeOwned + Send,
{
    let live: Mutex<Vec<Arc<Mutex<Child>>>> = Mutex::new(Vec::new());
    let running = AtomicUsize::new(jobs.max(1));
    let killed = || kill.is_some_and(|k| k.load(Ordering::Relaxed));
    let result: Mutex<Result<(), PoolError>> = Mutex::new(Ok(()));
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                let r = drive(workers, job, expect, next, done, &live, &killed, &failed);
                if let Err(e) = r {
                    failed.store(true, Ordering::Relaxed);
                    let mut slot = result.lock().expect("unpoisoned");
                    if slot.is_ok() {
                        *slot = Err(e);
                    }
                }
                running.fetch_sub(1, Ordering::Relaxed);
            });
        }
        if kill.is_some() {
            scope.spawn(|| {
                while running.load(Ordering::Relaxed) > 0 {
                    if killed() {
                        for c in live.lock().expect("unpoisoned").iter() {
                            let _ = c.lock().expect("unpoisoned").kill();
                        }
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
    });
    result.into_inner().expect("unpoisoned")
}

/// One parent thread: keeps one worker busy with tasks, replacing it when it dies.
#[allow(clippy::too_many_arguments)]
fn drive<T, R>(
    workers: &Workers,
    job: &Job,
    expect: &str,
    next: &(dyn Fn() -> Option<T> + Sync),
    done: &(dyn Fn(T, Fate<R>) + Sync),
    live: &Mutex<Vec<Arc<Mutex<Child>>>>,
    killed: &dyn Fn() -> bool,
    failed: &AtomicBool,
) -> Result<(), PoolError>
where
    T: Serialize + Copy,
    R: DeserializeOwned,
{
    let mut worker: Option<Worker> = None;
    let outcome = loop {
        if failed.load(Ordering::Relaxed) || killed() {
            break Ok(());
        }
        let Some(task) = next() else {
            break Ok(());
        };
        let mut deaths = 0;
        loop {
            let w = match worker.as_mut() {
                Some(w) => w,
                None => match Worker::start(workers, job, expect, live) {
                    Ok(w) => worker.insert(w),
                    Err(e) => return Err(e),
                },
            };
            match w.call::<T, R>(&task) {
                Ok(r) => {
                    done(task, Fate::Done(r));
                    break;
                }
                Err(CallError::Protocol(e)) => return Err(PoolError::Protocol(e)),
                Err(CallError::Died) => {
                    let status = worker.take().and_then(Worker::reap);
                    if killed() {
                        return Ok(());
                    }
                    deaths += 1;
                    if deaths == 2 {
                        done(task, Fate::Died(describe(status)));
                        break;
                    }
                }
            }
        }
    };
    if let Some(w) = worker {
        // End of input: the worker exits.
        let _ = w.reap();
    }
    outcome
}
