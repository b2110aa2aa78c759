//! `eightfold shrink SCENARIO --seed N`: search for the smallest scenario that still fails
//! the same check with the same seed, and write it with the steps taken and its report.

use std::path::PathBuf;

use clap::Args;

use super::{Exit, Failure};
use crate::experiment::shrink::{self, Attempt, ShrinkError, ShrinkOptions, Size, Verdict};
use crate::report::ReportDir;

#[derive(Args)]
pub(super) struct ShrinkArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// The failing seed (fixed while shrinking).
    #[arg(long)]
    seed: String,
    /// The check that must keep failing [default: the one that stopped the run, else the
    /// first failed check].
    #[arg(long)]
    check: Option<String>,
    /// Most simulation runs to spend.
    #[arg(long, default_value_t = shrink::DEFAULT_MAX_RUNS)]
    max_runs: usize,
    /// Directory to write into [default: reports/<name>-seed<N>-shrink].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Switch on a named protocol bug (repeatable; see `eightfold bugs`), as the failing
    /// run did.
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
    /// Change one value of the scenario first (repeatable): PATH=VALUE, PATH as in the
    /// scenario's JSON (`network.default.loss=0.05`, `faults[0].at=2s`).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = super::run::parse_set)]
    sets: Vec<crate::scenario::patch::Setting>,
    /// Do not list every attempt.
    #[arg(long, short)]
    quiet: bool,
}

pub(super) fn shrink(args: ShrinkArgs) -> Result<Exit, Failure> {
    let seed = args
        .seed
        .trim()
        .parse::<u64>()
        .map_err(|_| Failure::input(format!("--seed: expected a whole number, found {:?}", args.seed)))?;
    if args.max_runs == 0 {
        return Err(Failure::input("--max-runs: expected at least 1, found 0"));
    }
    let (mut scenario, _) = super::run::load(&args.scenario, &args.sets)?;
    super::run::with_bugs(&mut scenario, &args.bugs)?;
    let dir = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-seed{seed}-shrink", scenario.name)));
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::input(format!("--out: {} exists and is not a directory", dir.display())));
    }
    // The results are written beside `dir` first, then renamed into place.
    super::out::dir("--out", super::out::parent(&dir))?;
    println!("shrinking {} seed {seed} (at most {} runs)", scenario.name, args.max_runs);
    let opts = ShrinkOptions { seed, check: args.check, max_runs: args.max_runs };
    let quiet = args.quiet;
    let mut show = |a: &Attempt| {
        if !quiet {
            print_attempt(a);
        }
    };
    let shrunk = shrink::shrink(&scenario, &opts, &mut show).map_err(|e| match e {
        ShrinkError::Run(e) => Failure::internal(e.to_string()),
        e => Failure::input(e.to_string()),
    })?;
    let log = &shrunk.log;
    let file = format!("{}.json", shrunk.scenario.name);
    // The minimal scenario is what the search was for: if it cannot be written where asked,
    // it is kept in the temporary directory and the error says where.
    let keep = |why: String| {
        super::out::lost(
            &dir.display().to_string(),
            &why,
            super::out::fallback(&file, shrunk.text.as_bytes()),
        )
    };
    let report =
        ReportDir::create(&dir).map_err(|e| keep(format!("cannot create {}: {e}", dir.display())))?;
    report.write(&file, &shrunk.text).map_err(|e| keep(format!("writing {file}: {e}")))?;
    let json = serde_json::to_string_pretty(log).map_err(|e| Failure::internal(e.to_string()))? + "\n";
    report.write("shrink.json", json).map_err(|e| keep(format!("writing shrink.json: {e}")))?;
    let written = super::run::write_report(
        &shrunk.scenario,
        &shrunk.text,
        seed,
        &report.path(""),
        true,
        Some(crate::runner::default_recording(&shrunk.scenario)),
        true,
    )
    .map_err(|f| keep(f.message))?;
    let (outcome, run_dir) = match written.path {
        Ok(p) => (written.outcome, p),
        Err(why) => return Err(keep(why)),
    };
    if let Some(e) = written.charts {
        return Err(e);
    }
    if outcome.digest != shrunk.outcome.digest {
        return Err(Failure::internal(format!(
            "the minimal scenario did not reproduce: digest {} while shrinking, {} now",
            shrunk.outcome.digest, outcome.digest
        )));
    }
    let run_name = run_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let path =
        report.commit().map_err(|e| keep(format!("moving the results into {}: {e}", dir.display())))?;
    println!(
        "shrunk {} seed {seed} with {} runs{}: still fails `{}`",
        log.scenario,
        log.runs,
        if log.limit_reached { " (the run budget ran out)" } else { "" },
        log.check
    );
    println!("  {}", compare(&log.original, &log.minimal));
    if let Some(c) = outcome.checks.get(&log.check) {
        println!("  {}: {}", log.check, c.detail);
    }
    println!("  wrote {}: {file}, shrink.json, {run_name}/ (with trace.jsonl)", path.display());
    println!("  run it: eightfold run {} --trace", path.join(&file).display());
    Ok(Exit::Passed)
}

fn print_attempt(a: &Attempt) {
    let verdict = match a.verdict {
        Verdict::StillFails => "still fails: kept".to_string(),
        Verdict::Passes => "passes: undone".to_string(),
        Verdict::Undecided => "undecided (a check ran out of budget): undone".to_string(),
        Verdict::FailsDifferently => format!("fails differently ({}): undone", a.failed_checks.join(", ")),
        Verdict::Invalid => format!("invalid, not run: {}", a.note.as_deref().unwrap_or("")),
    };
    println!("  #{:<3} {:<10} {} -> {verdict}", a.n, a.step, a.change);
}

fn compare(a: &Size, b: &Size) -> String {
    let ops = |s: &Size| s.max_ops.map_or("unlimited".to_string(), |m| m.to_string());
    format!(
        "faults {} -> {}, fault windows {} ms -> {} ms, clients {} -> {}, max_ops {} -> {}, operations {} -> {}, nodes {} -> {}, duration {} -> {}, events {} -> {}",
        a.faults,
        b.faults,
        a.fault_windows_ms,
        b.fault_windows_ms,
        a.clients,
        b.clients,
        ops(a),
        ops(b),
        a.operations,
        b.operations,
        a.nodes,
        b.nodes,
        a.duration,
        b.duration,
        a.events,
        b.events
    )
}
