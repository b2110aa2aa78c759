//! `eightfold sweep SCENARIO --seeds A..B`: run many seeds in parallel, with a progress bar
//! and a clean stop on Ctrl-C, and write `sweep.json` and `sweep.svg`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Exit, Failure};
use crate::experiment::chart;
use crate::experiment::record::SeedVerdict;
use crate::experiment::seeds::{SeedRange, Shard};
use crate::experiment::summary::{StopReason, SweepSpec, SweepSummary};
use crate::experiment::sweep::{self, SweepError, SweepPlan};
use crate::experiment::worker::{Isolation, Workers};
use crate::experiment::{Metric, SeedRecord};

/// Most workers `--jobs` accepts.
const MAX_JOBS: usize = 1024;
/// Failing seeds listed on the terminal (all of them are in sweep.json).
const LISTED: usize = 10;

#[derive(Args)]
pub(super) struct SweepArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// Seeds to run: "A..B" (inclusive: 1..1000 is a thousand seeds) or a single seed.
    #[arg(long)]
    seeds: String,
    /// Worker processes (threads with --in-process), each running one simulation at a time (default: one per core).
    #[arg(long)]
    jobs: Option<String>,
    /// Stop starting new seeds after the first failure.
    #[arg(long)]
    fail_fast: bool,
    /// Run only shard K of N (1-based): the K-th of N contiguous slices of the seeds.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Where to write the summary [default: reports/<name>-sweep.json, or
    /// reports/<name>-sweep-shardKofN.json with --shard]; the chart goes next to it (.svg).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The figure to chart across seeds: latency_p99_ms, latency_p50_ms,
    /// time_without_leader_s, leader_changes, events or ops_ok.
    #[arg(long, default_value = "latency_p99_ms")]
    metric: String,
    /// Switch on a named protocol bug in every seed (repeatable; see `eightfold bugs`): how
    /// often the checks catch it, and the first seed that does.
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
    /// Change one value of the scenario first (repeatable): PATH=VALUE, PATH as in the
    /// scenario's JSON (`network.default.loss=0.05`, `faults[0].at=2s`).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = super::run::parse_set)]
    sets: Vec<crate::scenario::patch::Setting>,
    /// Run the seeds on threads of this process instead of worker processes: a little
    /// cheaper, but a seed that aborts (a failed allocation) ends the whole sweep.
    #[arg(long)]
    in_process: bool,
}

pub(super) fn sweep(args: SweepArgs) -> Result<Exit, Failure> {
    let seeds: SeedRange = args
        .seeds
        .parse()
        .map_err(|e: crate::experiment::seeds::SeedsError| Failure::input(e.to_string()))?;
    let shard = args
        .shard
        .as_deref()
        .map(str::parse::<Shard>)
        .transpose()
        .map_err(|e| Failure::input(e.to_string()))?;
    let slice = match shard {
        Some(sh) => seeds.shard(sh).map_err(|e| Failure::input(e.to_string()))?,
        None => seeds,
    };
    let jobs = parse_jobs(args.jobs.as_deref())?;
    let metric: Metric = args.metric.parse().map_err(Failure::input)?;
    let (mut scenario, text) = super::run::load(&args.scenario, &args.sets)?;
    super::run::with_bugs(&mut scenario, &args.bugs)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let suffix = shard.map(|s| format!("-shard{}of{}", s.index, s.count)).unwrap_or_default();
        PathBuf::from("reports").join(format!("{}-sweep{suffix}.json", scenario.name))
    });
    check_out(&out)?;
    let plan = SweepPlan {
        scenario: &scenario,
        spec: SweepSpec {
            bugs: args.bugs.clone(),
            ..sweep::spec_for(&scenario, &text, &args.scenario.display().to_string(), seeds)
        },
        shard,
        jobs,
        fail_fast: args.fail_fast,
        isolation: isolation(args.in_process, text.clone())?,
    };
    let stop = Arc::new(AtomicBool::new(false));
    install_interrupt_handler(
        stop.clone(),
        "finishing the seeds in progress, then saving (interrupt again to quit at once)",
    );
    let bar = progress_bar(slice.len(), "seeds");
    let failures = AtomicU64::new(0);
    let undecided = AtomicU64::new(0);
    let on_seed = |r: &SeedRecord| {
        let (f, u) = (r.verdict() == SeedVerdict::Failed, r.verdict() == SeedVerdict::Unknown);
        let failed = failures.fetch_add(u64::from(f), Ordering::Relaxed) + u64::from(f);
        let unknown = undecided.fetch_add(u64::from(u), Ordering::Relaxed) + u64::from(u);
        bar.inc(1);
        let rate = bar.position() as f64 / bar.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{failed} failed · {unknown} undecided · {rate:.1} seeds/s"));
    };
    let result = sweep::sweep(&plan, &stop, &on_seed);
    bar.finish_and_clear();
    let summary = result.map_err(|e| match e {
        SweepError::Seeds(e) => Failure::input(e.to_string()),
        e => Failure::internal(e.to_string()),
    })?;
    // The summary first: if the files cannot be written, what the seeds found is still shown.
    print_summary(&summary);
    let svg = save(&summary, &out, metric).map_err(|why| {
        let name = out.file_name().map_or_else(|| "sweep.json".into(), |n| n.to_string_lossy().into_owned());
        super::out::lost(
            &out.display().to_string(),
            &why,
            super::out::fallback(&name, summary.to_json().as_bytes()),
        )
    })?;
    println!("  wrote {} and {}", out.display(), svg.display());
    Ok(exit_code(&summary))
}

/// The `--jobs` flag: a number of workers (processes, or threads with `--in-process`), by default one per core.
pub(super) fn parse_jobs(jobs: Option<&str>) -> Result<usize, Failure> {
    match jobs {
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        Some(j) => j.trim().parse::<usize>().ok().filter(|n| (1..=MAX_JOBS).contains(n)).ok_or_else(|| {
            Failure::input(format!("--jobs: expected a number of threads from 1 to {MAX_JOBS}, found {j:?}"))
        }),
    }
}

/// Where the simulations run: worker processes of this executable, or (`--in-process`)
/// threads of this process.
pub(super) fn isolation(in_process: bool, text: String) -> Result<Isolation, Failure> {
    if in_process {
        return Ok(Isolation::Threads);
    }
    Workers::this_executable(text)
        .map(Isolation::Processes)
        .map_err(|e| Failure::internal(format!("cannot find this executable to start worker processes: {e}")))
}

/// Checks, before anything runs, that the summary `out` and the chart beside it can be
/// written.
pub(super) fn check_out(out: &Path) -> Result<(), Failure> {
    super::out::file("--out", out)?;
    let svg = out.with_extension("svg");
    if svg.is_dir() {
        return Err(Failure::input(format!(
            "--out: the chart goes to {}, which is a directory; give another file name",
            svg.display()
        )));
    }
    Ok(())
}

/// Exit 1 if any seed failed; else 130 if interrupted (the shell's code for Ctrl-C); else 3
/// if some seed could not be decided (like `eightfold check`: not a pass); else 0.
pub(super) fn exit_code(s: &SweepSummary) -> Exit {
    if s.counts.failed > 0 {
        Exit::CheckFailed
    } else if s.stopped == Some(StopReason::Interrupted) {
        Exit::Interrupted
    } else if s.counts.unknown > 0 {
        Exit::Undecided
    } else {
        Exit::Passed
    }
}

/// First Ctrl-C (or SIGTERM): set `stop` and print `notice`. Second: quit at once.
pub(super) fn install_interrupt_handler(stop: Arc<AtomicBool>, notice: &'static str) {
    let r = ctrlc::set_handler(move || {
        if stop.swap(true, Ordering::SeqCst) {
            std::process::exit(Exit::Interrupted as i32);
        }
        eprintln!("\ninterrupted: {notice}");
    });
    if let Err(e) = r {
        eprintln!("warning: cannot catch Ctrl-C ({e}); an interrupted run will save nothing");
    }
}

/// A progress bar on stderr counting `unit`s (`seeds`, `runs`), hidden when stderr is not a
/// terminal.
pub(super) fn progress_bar(len: u64, unit: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template(&format!(
        "{{spinner}} {{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit} · {{msg}} · eta {{eta}}"
    ))
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message("0 failed");
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Writes the summary to `out` and the chart next to it, each atomically (temporary file,
/// then rename); returns the chart's path, or why a file could not be written.
pub(super) fn save(summary: &SweepSummary, out: &Path, metric: Metric) -> Result<PathBuf, String> {
    let svg = out.with_extension("svg");
    write_atomically(out, summary.to_json().as_bytes())?;
    let chart =
        chart::histogram_svg(summary, metric).map_err(|e| format!("drawing {}: {e}", svg.display()))?;
    write_atomically(&svg, chart.as_bytes())?;
    Ok(svg)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    crate::report::writer::write_file(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The terminal summary of a sweep (or a merge).
pub(super) fn print_summary(s: &SweepSummary) {
    let c = &s.counts;
    let shard = s.shard.as_ref().map(|sh| format!(" shard {}/{} ({})", sh.index, sh.count, sh.seeds));
    let bugs =
        if s.spec.bugs.is_empty() { String::new() } else { format!(" with --bug {}", s.spec.bugs.join(",")) };
    let t = &s.timing;
    println!(
        "sweep of {} seeds {}{}{bugs}: {} run, {} passed, {} failed, {} undecided ({:.2}% failed) in {:.2} s with {} jobs ({:.1} seeds/s)",
        s.spec.scenario,
        s.spec.seeds,
        shard.unwrap_or_default(),
        c.run,
        c.passed,
        c.failed,
        c.unknown,
        s.failure_rate * 100.0,
        t.wall_s,
        t.jobs,
        t.seeds_per_s
    );
    match s.stopped {
        Some(StopReason::Interrupted) => {
            println!(
                "  interrupted after {} of {} seeds: the summary holds the seeds that finished",
                c.run, c.planned
            )
        }
        Some(StopReason::FailFast) => {
            println!("  stopped at the first failure (--fail-fast) after {} of {} seeds", c.run, c.planned)
        }
        None => {}
    }
    if !s.failed_checks.is_empty() {
        let checks: Vec<String> = s.failed_checks.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  failed checks (seeds): {}", checks.join(", "));
    }
    for f in s.failures.iter().take(LISTED) {
        let detail = f.details.values().next().map(|d| format!(": {d}")).unwrap_or_default();
        println!("  seed {} failed {}{detail}", f.seed, f.failed_checks.join(", "));
        println!("    replay: {}", f.replay);
    }
    if s.failures.len() > LISTED {
        println!("  … and {} more failing seeds in the summary file", s.failures.len() - LISTED);
    }
    if !s.unknown_checks.is_empty() {
        let checks: Vec<String> = s.unknown_checks.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  undecided checks (seeds; neither passed nor failed): {}", checks.join(", "));
    }
    for u in s.unknown.iter().take(LISTED) {
        let detail = u.details.values().next().map(|d| format!(": {d}")).unwrap_or_default();
        println!("  seed {} undecided {}{detail}", u.seed, u.unknown_checks.join(", "));
        println!("    replay: {}", u.replay);
    }
    if s.unknown.len() > LISTED {
        println!("  … and {} more undecided seeds in the summary file", s.unknown.len() - LISTED);
    }
    for (name, d) in &s.distributions {
        if d.count == 0 {
            continue;
        }
        let v = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
        println!(
            "  {name} across {} seeds: p50 {} p90 {} p99 {} max {}",
            d.count,
            v(d.p50),
            v(d.p90),
            v(d.p99),
            v(d.max)
        );
    }
}
