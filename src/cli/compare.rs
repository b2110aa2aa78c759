//! `eightfold compare SCENARIO --protocols raft,paxos,quorum --seeds 1..20`: the same scenario
//! and seeds on each protocol, with a progress bar, written atomically as the report
//! directory `<out>/compare-<name>/` (`compare.json`, `index.html`, `latency-cdf.svg`,
//! `throughput.svg`, the scenario as written and as each protocol ran it).
//!
//! Exit codes: 0 when the report was written — a protocol failing a check (the quorum store
//! is not linearizable) is a finding the report shows, not an error of the comparison; 2 for
//! bad input (flags, a scenario that cannot be compared); 3 when the report could not be
//! written; 130 when interrupted, with nothing written.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use clap::Args;

use super::sweep::{install_interrupt_handler, parse_jobs, progress_bar};
use super::{Exit, Failure};
use crate::experiment::compare::findings::{ms, pct};
use crate::experiment::compare::measure::RunFigures;
use crate::experiment::compare::summary::VerdictCounts;
use crate::experiment::compare::{self, CompareError, ComparePlan, Comparison, ProtocolList};
use crate::experiment::seeds::{SeedRange, SeedsError};
use crate::experiment::sweep::spec_for;
use crate::report::ReportDir;
use crate::scenario::Protocol;

#[derive(Args)]
pub(super) struct CompareArgs {
    /// The scenario file (a key-value scenario: raft, paxos or quorum).
    scenario: PathBuf,
    /// The protocols to compare, comma-separated, in the order to show them.
    #[arg(long, default_value = "raft,paxos,quorum")]
    protocols: String,
    /// Seeds to run on every protocol: "A..B" (inclusive) or a single seed.
    #[arg(long, default_value = "1..20")]
    seeds: String,
    /// Worker processes (threads with --in-process), each running one simulation at a time (default: one per core).
    #[arg(long)]
    jobs: Option<String>,
    /// Directory to write the report directory (compare-<name>/) into.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Run on threads of this process instead of worker processes: a little cheaper, but a
    /// run that aborts (a failed allocation) ends the whole comparison.
    #[arg(long)]
    in_process: bool,
    /// Change one value of the scenario first (repeatable): PATH=VALUE, PATH as in the
    /// scenario's JSON (`network.default.loss=0.05`, `faults[0].at=2s`).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = super::run::parse_set)]
    sets: Vec<crate::scenario::patch::Setting>,
}

pub(super) fn compare(args: CompareArgs) -> Result<Exit, Failure> {
    let protocols: ProtocolList =
        args.protocols.parse().map_err(|e: compare::ProtocolsError| Failure::input(e.to_string()))?;
    let seeds: SeedRange = args.seeds.parse().map_err(|e: SeedsError| Failure::input(e.to_string()))?;
    let jobs = parse_jobs(args.jobs.as_deref())?;
    let (scenario, text) = super::run::load(&args.scenario, &args.sets)?;
    let file = args.scenario.display().to_string();
    // Adapt up front, so a scenario that cannot be compared is refused before anything runs.
    for &p in &protocols.0 {
        compare::adapt(&scenario, p).map_err(|e| Failure::input(format!("{file}: {e}")))?;
    }
    super::out::dir("--out", &args.out)?;
    let plan = ComparePlan {
        scenario: &scenario,
        spec: spec_for(&scenario, &text, &file, seeds),
        protocols: protocols.0.clone(),
        jobs,
        isolation: super::sweep::isolation(args.in_process, text.clone())?,
    };
    println!(
        "comparing {} on {}: seeds {} ({} runs, {jobs} jobs)",
        scenario.name,
        protocols,
        seeds,
        plan.runs()
    );
    let stop = Arc::new(AtomicBool::new(false));
    install_interrupt_handler(
        stop.clone(),
        "stopping the runs in progress; no report will be written (interrupt again to quit at once)",
    );
    let bar = progress_bar(plan.runs(), "runs");
    let failing = AtomicU64::new(0);
    let on_run = |_: Protocol, f: &RunFigures| {
        let bad = f.failed();
        let n = failing.fetch_add(u64::from(bad), Ordering::Relaxed) + u64::from(bad);
        bar.inc(1);
        let rate = bar.position() as f64 / bar.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{n} with a failed check · {rate:.1} runs/s"));
    };
    let result = compare::compare(&plan, &stop, &on_run);
    bar.finish_and_clear();
    let out = result.map_err(|e| match e {
        CompareError::Adapt(e) => Failure::input(format!("{file}: {e}")),
        e @ CompareError::Interrupted { .. } => Failure { exit: Exit::Interrupted, message: e.to_string() },
        e => Failure::internal(e.to_string()),
    })?;
    let dest = args.out.join(format!("compare-{}", scenario.name));
    let files = compare::files(&out, &text).map_err(|e| Failure::internal(e.to_string()))?;
    // The summary first: if the report cannot be written, what the runs found is still shown.
    print_summary(&out.comparison);
    let write = || -> Result<PathBuf, String> {
        let report = ReportDir::create(&dest)
            .map_err(|e| format!("cannot create the report directory in {}: {e}", args.out.display()))?;
        for f in &files {
            report.write(f.name, &f.contents).map_err(|e| format!("writing {}: {e}", f.name))?;
        }
        report.commit().map_err(|e| format!("moving the report into {}: {e}", dest.display()))
    };
    let path = write().map_err(|why| {
        let json = files
            .iter()
            .find(|f| f.name == "compare.json")
            .map(|f| f.contents.as_bytes())
            .unwrap_or_default();
        super::out::lost(
            &dest.display().to_string(),
            &why,
            super::out::fallback(&format!("compare-{}.json", scenario.name), json),
        )
    })?;
    println!("  report: {}", path.join("index.html").display());
    Ok(Exit::Passed)
}

fn verdict(v: &VerdictCounts, runs: u64) -> String {
    let mut s = format!("{}/{runs}", v.passed);
    if v.unknown > 0 {
        s.push_str(&format!(" ({} undecided)", v.unknown));
    }
    if let Some(seed) = v.first_failing_seed {
        s.push_str(&format!(" (first failure: seed {seed})"));
    }
    s
}

/// One paragraph per protocol on the terminal.
fn print_summary(c: &Comparison) {
    println!(
        "compared {} on {} protocols × {} seeds in {:.2} s with {} jobs ({:.1} runs/s)",
        c.spec.scenario,
        c.protocols.len(),
        c.spec.seeds.len(),
        c.timing.wall_s,
        c.timing.jobs,
        c.timing.runs_per_s
    );
    for p in &c.protocols {
        let a = &p.availability;
        let o = |v: Option<f64>, f: fn(f64) -> String| v.map_or("-".to_string(), f);
        println!(
            "  {}: available during faults {} of operations ({} of time), outside {}; latency p50 {} p99 {}; \
             {:.1} ok ops/s; {} messages per ok op",
            p.protocol,
            o(a.during_faults_ok, pct),
            o(a.during_faults_time, pct),
            o(a.outside_faults_ok, pct),
            o(p.latency_ms.p50, ms),
            o(p.latency_ms.p99, ms),
            p.throughput_ops_per_s,
            p.cost.messages_per_op.map_or("-".to_string(), |v| format!("{v:.1}"))
        );
        println!(
            "    linearizable {}, invariants {}, liveness {}",
            verdict(&p.safety.linearizable, p.runs),
            verdict(&p.safety.invariants, p.runs),
            verdict(&p.safety.liveness, p.runs)
        );
        for ch in p.changes.iter().filter(|c| c.kind != compare::ChangeKind::Note) {
            let kind = if ch.kind == compare::ChangeKind::Dropped { "dropped" } else { "translated" };
            println!("    {kind} {}: {}", ch.path, ch.why);
        }
    }
}
