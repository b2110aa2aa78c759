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
use crate::experiment::grid::{GridAxis, GridPoint, GridSpec, GridSummary};
use crate::experiment::record::SeedVerdict;
use crate::experiment::seeds::{SeedRange, Shard};
use crate::experiment::summary::{ShardInfo, Timing};
use crate::experiment::summary::{StopReason, SweepSpec, SweepSummary};
use crate::experiment::sweep::{self, SweepError, SweepPlan};
use crate::experiment::worker::{Isolation, Workers};
use crate::experiment::{Metric, SeedRecord};
use crate::scenario::patch;
use crate::sim::digest::hash_bytes;

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
    /// Change a value of the scenario first (repeatable): PATH=VALUE, PATH as in the
    /// scenario's JSON (`network.default.loss=0.05`, `faults[0].at=2s`). With several values,
    /// PATH=V1,V2,…, the sweep is a grid: every combination of the values for every seed,
    /// written to reports/<name>-grid.json with one row per combination.
    #[arg(long = "set", value_name = "PATH=VALUE[,VALUE…]", value_parser = super::run::parse_set)]
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
    if args.sets.iter().any(|s| s.values.len() > 1) {
        return grid(args, seeds, shard, slice, jobs, metric);
    }
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
            sets: args.sets.iter().map(|s| patch::setting_text(&s.path, &s.values[0])).collect(),
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

/// A sweep over a grid of settings: every combination is loaded and validated first (a bad
/// value refuses the whole grid before anything runs), then each runs as an ordinary sweep
/// of its patched scenario text.
fn grid(
    args: SweepArgs,
    seeds: SeedRange,
    shard: Option<Shard>,
    slice: SeedRange,
    jobs: usize,
    metric: Metric,
) -> Result<Exit, Failure> {
    if args.fail_fast {
        return Err(Failure::input(
            "--fail-fast: a grid runs every combination; use it on a sweep with one value per --set",
        ));
    }
    let file = args.scenario.display().to_string();
    let original = crate::scenario::read(&args.scenario).map_err(|e| Failure::input(e.to_string()))?;
    let mut combos = Vec::new();
    for values in patch::combinations(&args.sets) {
        let one: Vec<(&patch::SettingPath, &serde_json::Value)> =
            args.sets.iter().map(|s| &s.path).zip(values.iter().copied()).collect();
        let (mut scenario, text) = super::run::load_with(&args.scenario, &one)?;
        super::run::with_bugs(&mut scenario, &args.bugs)?;
        let sets: Vec<String> = one.iter().map(|(p, v)| patch::setting_text(p, v)).collect();
        combos.push((values.into_iter().cloned().collect::<Vec<_>>(), scenario, text, sets));
    }
    let name = combos[0].1.name.clone();
    let out = args.out.clone().unwrap_or_else(|| {
        let suffix = shard.map(|s| format!("-shard{}of{}", s.index, s.count)).unwrap_or_default();
        PathBuf::from("reports").join(format!("{name}-grid{suffix}.json"))
    });
    check_out(&out)?;
    let spec = GridSpec {
        scenario: name,
        scenario_file: file.clone(),
        scenario_hash: format!("{:016x}", hash_bytes(original.as_bytes())),
        seeds,
        bugs: args.bugs.clone(),
        axes: args
            .sets
            .iter()
            .map(|s| GridAxis { path: s.path.to_string(), values: s.values.clone() })
            .collect(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    install_interrupt_handler(
        stop.clone(),
        "finishing the seeds in progress, then saving (interrupt again to quit at once)",
    );
    let bar = progress_bar(slice.len() * combos.len() as u64, "runs");
    let failures = AtomicU64::new(0);
    let on_seed = |r: &SeedRecord| {
        let f = u64::from(r.verdict() == SeedVerdict::Failed);
        let failed = failures.fetch_add(f, Ordering::Relaxed) + f;
        bar.inc(1);
        let rate = bar.position() as f64 / bar.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{failed} failed · {rate:.1} seeds/s"));
    };
    let started = std::time::Instant::now();
    let mut points = Vec::new();
    for (values, scenario, text, sets) in combos {
        let plan = SweepPlan {
            scenario: &scenario,
            spec: SweepSpec {
                bugs: args.bugs.clone(),
                sets,
                ..sweep::spec_for(&scenario, &text, &file, seeds)
            },
            shard,
            jobs,
            fail_fast: false,
            isolation: isolation(args.in_process, text.clone())?,
        };
        let summary = sweep::sweep(&plan, &stop, &on_seed).map_err(|e| match e {
            SweepError::Seeds(e) => Failure::input(e.to_string()),
            e => Failure::internal(e.to_string()),
        })?;
        points.push(GridPoint::new(values, summary));
    }
    bar.finish_and_clear();
    let wall_s = started.elapsed().as_secs_f64();
    let run: u64 = points.iter().map(|p| p.summary.counts.run).sum();
    let timing = Timing {
        jobs: jobs as u64,
        wall_s,
        seeds_per_s: if wall_s > 0.0 { run as f64 / wall_s } else { 0.0 },
    };
    let shard_info = shard.map(|s| ShardInfo::new(s, slice));
    let g = GridSummary::assemble(spec, shard_info, points, timing);
    print_grid(&g, metric);
    let svg = save_grid(&g, &out, metric).map_err(|why| {
        let name = out.file_name().map_or_else(|| "grid.json".into(), |n| n.to_string_lossy().into_owned());
        super::out::lost(
            &out.display().to_string(),
            &why,
            super::out::fallback(&name, g.to_json().as_bytes()),
        )
    })?;
    println!("  wrote {} and {}", out.display(), svg.display());
    Ok(grid_exit_code(&g))
}

/// A grid's exit code: as a sweep's ([`exit_code`]), over every combination.
pub(super) fn grid_exit_code(g: &GridSummary) -> Exit {
    let (_, failed, unknown) = g.totals();
    if failed > 0 {
        Exit::CheckFailed
    } else if g.points.iter().any(|p| p.summary.stopped == Some(StopReason::Interrupted)) {
        Exit::Interrupted
    } else if unknown > 0 {
        Exit::Undecided
    } else {
        Exit::Passed
    }
}

/// Writes a grid file and its chart next to it (`.svg`), each atomically.
pub(super) fn save_grid(g: &GridSummary, out: &Path, metric: Metric) -> Result<PathBuf, String> {
    let svg = out.with_extension("svg");
    write_atomically(out, g.to_json().as_bytes())?;
    let chart = crate::experiment::grid_chart::grid_svg(g, metric)
        .map_err(|e| format!("drawing {}: {e}", svg.display()))?;
    write_atomically(&svg, chart.as_bytes())?;
    if let Some(chart) = crate::experiment::grid_chart::grid_staleness_svg(g) {
        let stem = out.file_stem().map_or_else(|| "grid".into(), |s| s.to_string_lossy().into_owned());
        let path = out.with_file_name(format!("{stem}-staleness.svg"));
        let chart = chart.map_err(|e| format!("drawing {}: {e}", path.display()))?;
        write_atomically(&path, chart.as_bytes())?;
    }
    Ok(svg)
}

/// The terminal summary of a grid: one row per combination, its pass rate and the chosen
/// metric's distribution across its seeds.
pub(super) fn print_grid(g: &GridSummary, metric: Metric) {
    let (run, failed, unknown) = g.totals();
    let shard = g.shard.as_ref().map(|sh| format!(" shard {}/{} ({})", sh.index, sh.count, sh.seeds));
    let bugs =
        if g.spec.bugs.is_empty() { String::new() } else { format!(" with --bug {}", g.spec.bugs.join(",")) };
    let t = &g.timing;
    println!(
        "grid of {} combinations × seeds {}{} of {}{bugs}: {run} runs, {failed} failed, {unknown} undecided in {:.2} s with {} jobs ({:.1} seeds/s)",
        g.points.len(),
        g.spec.seeds,
        shard.unwrap_or_default(),
        g.spec.scenario,
        t.wall_s,
        t.jobs,
        t.seeds_per_s
    );
    if !g.complete {
        println!("  interrupted: the grid holds the seeds that finished");
    }
    let labels: Vec<String> = g.points.iter().map(|p| g.short_label(p)).collect();
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0).max(11);
    println!(
        "  {:<width$}  {:>7}  {:>6}  {} p50 / p90 / max",
        "combination",
        "passed",
        "failed",
        metric.name()
    );
    let v = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
    for (p, label) in g.points.iter().zip(&labels) {
        let d = crate::experiment::record::Distribution::of(metric, &p.summary.records);
        println!(
            "  {label:<width$}  {:>6.1}%  {:>6}  {} / {} / {}",
            p.pass_rate * 100.0,
            p.summary.counts.failed,
            v(d.p50),
            v(d.p90),
            v(d.max)
        );
        for f in p.summary.failures.iter().take(3) {
            println!("    seed {} failed {}: {}", f.seed, f.failed_checks.join(", "), f.replay);
        }
    }
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
