//! The command-line front end: parses flags with clap and maps every outcome to an exit
//! code (0 passed, 1 a check failed, 2 bad input, 3 a check could not decide within its
//! budget, or an internal error).

mod bench;
mod chart;
mod check;
mod compare;
mod grade;
mod lab;
mod merge;
mod out;
mod replay;
mod run;
mod shrink;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::check::linearizability::{Overrun, Watchdog};

/// Exit codes, as documented in the README.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every check passed.
    Passed = 0,
    /// A check failed (the report says which, with the seed to replay).
    CheckFailed = 1,
    /// Bad input: a scenario, a history file or a flag.
    BadInput = 2,
    /// Something broke inside eightfold or its environment (a write failed), or the
    /// linearizability watchdog stopped the process.
    Internal = 3,
    /// A sweep was interrupted (Ctrl-C) with no failure among the seeds it finished.
    Interrupted = 130,
}

impl Exit {
    /// No check failed, but one could not decide within its budget: neither a pass nor a
    /// failure. The same code as an internal error (3), as `eightfold check` has always
    /// used for an undecided history; the report or summary says which.
    #[allow(non_upper_case_globals)]
    pub const Undecided: Exit = Exit::Internal;
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// A failure with its exit code and a one-line message for stderr.
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// The message.
    pub message: String,
}

impl Failure {
    /// Bad input (exit 2).
    pub fn input(message: impl Into<String>) -> Self {
        Failure { exit: Exit::BadInput, message: message.into() }
    }
    /// An internal or environment error (exit 3).
    pub fn internal(message: impl Into<String>) -> Self {
        Failure { exit: Exit::Internal, message: message.into() }
    }
}

#[derive(Parser)]
#[command(
    name = "eightfold",
    version,
    about = "A deterministic simulator of distributed systems under the eight fallacies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Wall-clock safety net of each linearizability check, e.g. "10m", or "off": past it
    /// the process stops with exit code 3 and says which budget to change. It never
    /// decides a verdict (budgets count search steps, which are the same on any machine).
    #[arg(long, global = true, default_value = "10m", value_name = "DURATION")]
    watchdog: String,
}

/// The watchdog of `--watchdog`: `off` (or `0`) for none.
fn watchdog(text: &str) -> Result<Option<Watchdog>, Failure> {
    if matches!(text.trim(), "off" | "0") {
        return Ok(None);
    }
    let d = crate::scenario::units::parse_duration(text)
        .map_err(|e| Failure::input(format!("--watchdog: {e}")))?;
    Ok(Some(Watchdog { limit: std::time::Duration::from_nanos(d.as_nanos()), fire: watchdog_fired }))
}

/// What the watchdog does when a check runs too long: remove unfinished report
/// directories, say which budget to change, exit 3. No verdict is written.
fn watchdog_fired(overrun: &Overrun) -> ! {
    crate::report::writer::remove_unfinished();
    eprintln!("error: {overrun}");
    std::process::exit(Exit::Internal as i32)
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario, check it, and write its report.
    Run(run::RunArgs),
    /// Parse and validate a scenario without running it.
    Validate {
        /// The scenario file.
        scenario: PathBuf,
    },
    /// Benchmarks of the simulator itself.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Check a history file for linearizability (exit 0 yes, 1 no, 3 undecided).
    Check(check::CheckArgs),
    /// List the named protocol bugs that `--bug` and a scenario's `"bugs"` switch on.
    Bugs,
    /// Re-run a report's scenario and seed and verify the digest (and trace) match.
    Replay(replay::ReplayArgs),
    /// Run many seeds in parallel; write a summary (sweep.json) and a histogram (sweep.svg).
    Sweep(sweep::SweepArgs),
    /// Run the same scenario and seeds on several protocols; write a comparison report.
    Compare(compare::CompareArgs),
    /// Merge sweep shards into the summary of the whole seed range.
    Merge(merge::MergeArgs),
    /// Find the smallest scenario that still fails the same check with the same seed.
    Shrink(shrink::ShrinkArgs),
    /// Redraw a report's charts and index.html (re-simulating for a new `--window`).
    Chart(chart::ChartArgs),
    /// Grade a protocol against a suite of scenarios, seeds and checks; print the score table.
    Grade(grade::GradeArgs),
    /// Drive a live simulation from the browser; every action becomes a replayable scenario.
    Lab(lab::LabArgs),
    /// A worker process of `sweep` or `compare` (internal: reads its job on stdin).
    #[command(name = crate::experiment::worker::COMMAND, hide = true)]
    Worker,
}

/// The hidden worker subcommand: serves the job its parent writes on stdin. The first
/// Ctrl-C is the parent's to act on (it also receives it); the second quits at once.
fn worker() -> Result<Exit, Failure> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let interrupt = Arc::new(AtomicBool::new(false));
    let flag = interrupt.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(Exit::Interrupted as i32);
        }
    });
    let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
    crate::experiment::worker::serve(stdin.lock(), stdout.lock(), interrupt)
        .map(|()| Exit::Passed)
        .map_err(|e| Failure::internal(e.to_string()))
}

/// Runs the CLI on the process arguments and returns the exit code.
pub fn main() -> ExitCode {
    main_with(crate::protocol::Registry::shipped())
}

/// The whole command line with the protocols of `registry`: what a user's own binary calls
/// to run every command (`run`, `sweep`, `shrink`, `compare --protocols raft,mine`, `replay`,
/// `check`, `lab`, …) with its protocol beside the shipped ones:
///
/// ```no_run
/// # use eightfold::protocol::Registry;
/// # struct Mine;
/// fn main() -> std::process::ExitCode {
///     // .with::<Mine>("mine") for a `Mine: KvProtocol`
///     eightfold::cli::main_with(Registry::shipped())
/// }
/// ```
///
/// The registry becomes the process's ([`crate::protocol::Registry::install`]) before the
/// command line is read, so scenario files, reports and subprocesses all know its names.
pub fn main_with(registry: crate::protocol::Registry) -> ExitCode {
    if !registry.install() {
        eprintln!("error: a protocol registry was already chosen in this process");
        return Exit::Internal.into();
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { Exit::BadInput } else { Exit::Passed };
            let _ = e.print();
            return code.into();
        }
    };
    let watchdog = match watchdog(&cli.watchdog) {
        Ok(w) => w,
        Err(f) => {
            eprintln!("error: {}", f.message);
            return f.exit.into();
        }
    };
    crate::runner::kv::set_watchdog(watchdog);
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate { scenario } => run::validate(&scenario),
        Command::Bench(b) => bench::bench(b),
        Command::Bugs => run::bugs(),
        Command::Check(args) => check::check(args, watchdog),
        Command::Replay(args) => replay::replay(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Compare(args) => compare::compare(args),
        Command::Merge(args) => merge::merge(args),
        Command::Shrink(args) => shrink::shrink(args),
        Command::Chart(args) => chart::chart(args),
        Command::Grade(args) => grade::grade(args),
        Command::Lab(args) => lab::lab(args),
        Command::Worker => worker(),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(f) => {
            eprintln!("error: {}", f.message);
            f.exit.into()
        }
    }
}
