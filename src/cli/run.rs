//! `eightfold run` and `eightfold validate`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{Exit, Failure};
use crate::experiment::compare::{Change, ChangeKind, adapt};
use crate::report::charts::OpSeries;
use crate::report::charts::ops::named_indices;
use crate::report::outcome::RunVerdict;
use crate::report::{Outcome, ReportDir};
use crate::runner::{self, HistoryOutput, RunOptions};
use crate::scenario::patch::{self, Setting};
use crate::scenario::units::parse_window;
use crate::scenario::{self, Scenario};
use crate::sim::SimTime;
use crate::world::RecorderConfig;

#[derive(Args)]
pub(super) struct RunArgs {
    /// The scenario file.
    scenario: PathBuf,
    /// Seed to run (default: the scenario's own).
    #[arg(long)]
    seed: Option<u64>,
    /// Directory to write the report directory into.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Also write every event to trace.jsonl.
    #[arg(long)]
    trace: bool,
    /// Run twice in this process and fail if the digests differ.
    #[arg(long)]
    check_determinism: bool,
    /// Print only the final summary line.
    #[arg(long, short)]
    quiet: bool,
    /// The recorded window: its messages one by one and every change of a server's log, e.g.
    /// `4.9s..5.4s` (default: around the first fault).
    #[arg(long, value_parser = parse_window)]
    window: Option<(SimTime, SimTime)>,
    /// Switch on a named protocol bug (repeatable; see `eightfold bugs`).
    #[arg(long = "bug", value_name = "NAME")]
    bugs: Vec<String>,
    /// Change one value of the scenario before it runs (repeatable): PATH=VALUE, PATH as in
    /// the scenario's JSON (`network.default.loss=0.05`, `faults[0].at=2s`,
    /// `cluster.raft.election_timeout.max=400ms`); the report's scenario.json holds the result.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
    sets: Vec<Setting>,
    /// Write no charts and no index.html (outcome, history and recording only).
    #[arg(long)]
    no_charts: bool,
    /// Run the scenario on this registered protocol instead of its own, adapted as `compare`
    /// adapts it: another protocol's settings carried over where the target takes them,
    /// dropped otherwise (each change printed; the report's scenario.json holds the result).
    #[arg(long, value_name = "NAME")]
    protocol: Option<String>,
}

/// A flag set by Ctrl-C or SIGTERM while a run is in progress: the run stops, its
/// temporary report directory is removed, nothing half-written is left behind.
fn interrupt_flag() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // If a handler is already installed (a sweep in the same process), runs are simply
        // not interruptible; say nothing.
        let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
        flag
    })
    .clone()
}

/// Loads a scenario with the `--set` settings applied, turning its error into a one-line
/// bad-input failure. The text returned is the patched text (the file's own text, byte for
/// byte, without settings): it is what reports, workers and replays see.
pub(super) fn load(path: &Path, sets: &[Setting]) -> Result<(Scenario, String), Failure> {
    let mut one = Vec::new();
    for set in sets {
        match set.values.as_slice() {
            [v] => one.push((&set.path, v)),
            vs => {
                return Err(Failure::input(format!(
                    "--set {}: give one value (found {})",
                    set.path,
                    vs.len()
                )));
            }
        }
    }
    load_with(path, &one)
}

/// Loads a scenario with one value for each setting (a combination of a grid's values),
/// validated as [`load`] does.
pub(super) fn load_with(
    path: &Path,
    one: &[(&patch::SettingPath, &serde_json::Value)],
) -> Result<(Scenario, String), Failure> {
    let original = scenario::read(path).map_err(|e| Failure::input(e.to_string()))?;
    // Groups the file leaves to their defaults are filled from the parsed, unpatched file.
    let defaults = if one.is_empty() {
        serde_json::Value::Null
    } else {
        scenario::parse(&original).ok().and_then(|s| serde_json::to_value(&s).ok()).unwrap_or_default()
    };
    let text =
        patch::patch_text(&original, one, &defaults).map_err(|e| Failure::input(format!("--set {e}")))?;
    let context = if one.is_empty() {
        path.display().to_string()
    } else {
        let shown: Vec<String> = one.iter().map(|(p, v)| patch::setting_text(p, v)).collect();
        format!("{} with --set {}", path.display(), shown.join(" --set "))
    };
    let s = scenario::parse(&text).map_err(|e| {
        // Line and column would point into the patched text, which the user never sees.
        let e = if one.is_empty() { e } else { e.without_location() };
        Failure::input(format!("{context}: {e}"))
    })?;
    runner::bugs::validate(&s).map_err(|e| Failure::input(format!("{context}: {e}")))?;
    for w in runner::kv::warnings(&s) {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok((s, text))
}

/// Reads a `--set PATH=VALUE` argument.
pub(super) fn parse_set(arg: &str) -> Result<Setting, String> {
    patch::parse_setting(arg).map_err(|e| e.to_string())
}

/// Switches on the bugs named by `--bug` (on top of the scenario's own), refusing one that
/// does not exist or does not fit the scenario's protocol.
pub(super) fn with_bugs(s: &mut Scenario, bugs: &[String]) -> Result<(), Failure> {
    if bugs.is_empty() {
        return Ok(());
    }
    for b in bugs {
        if !s.bugs.contains(b) {
            s.bugs.push(b.clone());
        }
    }
    runner::bugs::validate(s).map_err(|e| {
        Failure::input(format!(
            "--bug: {}",
            e.to_string().trim_start_matches(|c| c != ':').trim_start_matches(": ")
        ))
    })
}

/// `eightfold bugs`: the named bugs, what they do and where they are caught.
pub(super) fn bugs() -> Result<Exit, Failure> {
    for b in runner::bugs::BUGS {
        println!("{} ({})", b.name, runner::bugs::protocols(b));
        println!("  does:    {}", b.what);
        println!("  breaks:  {}", b.breaks);
        println!("  caught:  within 200 seeds of scenarios/{}.json", b.caught_in);
    }
    println!();
    println!("Switch one on for a whole run with the scenario's \"bugs\" (or --bug NAME), or deploy it");
    println!(
        "mid-run with a fault: {{\"at\": \"5s\", \"fault\": \"bug\", \"name\": \"no_log_check\"}} (optionally"
    );
    println!("\"nodes\": [\"n1\"] and \"for\": \"2s\"; no_auth only for a whole run).");
    Ok(Exit::Passed)
}

pub(super) fn validate(path: &Path) -> Result<Exit, Failure> {
    let (s, _) = load(path, &[])?;
    println!(
        "{}: ok ({} x {}, {}, {} faults)",
        path.display(),
        s.cluster.nodes,
        s.cluster.protocol.name(),
        s.duration.0,
        s.faults.len()
    );
    Ok(Exit::Passed)
}

/// `s` adapted to run on `protocol` (a registered name) as `compare` adapts a scenario, with
/// its text and the changes made; `s` itself, unchanged, if it names `protocol` already.
pub(super) fn retarget(
    s: Scenario,
    text: String,
    protocol: &str,
    context: &str,
) -> Result<(Scenario, String, Vec<Change>), Failure> {
    let Some(target) = crate::scenario::Protocol::named(protocol) else {
        return Err(Failure::input(format!(
            "--protocol: no protocol is registered as {protocol:?} (this program knows {})",
            crate::protocol::registry().names().join(", ")
        )));
    };
    if s.cluster.protocol == target {
        return Ok((s, text, Vec::new()));
    }
    let name = target.name();
    let adapted =
        adapt(&s, target).map_err(|e| Failure::input(format!("{context}: --protocol {name}: {e}")))?;
    let text = adapted.scenario.to_json_pretty();
    Ok((adapted.scenario, text, adapted.changes))
}

/// Prints the changes made to run a scenario on another protocol, one per line.
pub(super) fn print_changes(protocol: &str, changes: &[Change], indent: &str) {
    for c in changes {
        let what = match c.kind {
            ChangeKind::Dropped => "dropped",
            ChangeKind::Translated => "carried over",
            ChangeKind::Note => "note",
        };
        println!("{indent}for {protocol}: {}: {what} — {}", c.path, c.why);
    }
}

/// The changes made to run a scenario on another protocol, in one line: the paths carried
/// over, then those dropped (`run --protocol` prints each with its reason).
pub(super) fn changes_in_brief(changes: &[Change]) -> String {
    let paths = |kind: ChangeKind| -> Vec<&str> {
        changes.iter().filter(|c| c.kind == kind).map(|c| c.path.as_str()).collect()
    };
    let mut parts = Vec::new();
    for (kind, word) in [(ChangeKind::Translated, "carried over"), (ChangeKind::Dropped, "dropped")] {
        let p = paths(kind);
        if !p.is_empty() {
            parts.push(format!("{word} {}", p.join(", ")));
        }
    }
    let notes = paths(ChangeKind::Note).len();
    if notes > 0 {
        parts.push(format!("{notes} notes"));
    }
    parts.join("; ")
}

pub(super) fn run(args: RunArgs) -> Result<Exit, Failure> {
    let (mut s, mut text) = load(&args.scenario, &args.sets)?;
    if let Some(p) = &args.protocol {
        let changes;
        (s, text, changes) = retarget(s, text, p, &args.scenario.display().to_string())?;
        if !args.quiet {
            print_changes(p, &changes, "");
        }
    }
    with_bugs(&mut s, &args.bugs)?;
    let seed = args.seed.unwrap_or(s.seed);
    let mut record = runner::default_recording(&s);
    if let Some(w) = args.window {
        if w.1.as_nanos() > s.duration.0.as_nanos() {
            return Err(Failure::input(format!(
                "--window: it ends at {} but the run ends at {}",
                w.1, s.duration.0
            )));
        }
        record.window = w;
    }
    super::out::dir("--out", &args.out)?;
    if !args.quiet {
        println!("effective parameters:");
        for line in runner::parameters(&s, seed) {
            println!("  {line}");
        }
    }
    if args.check_determinism {
        let a = runner::run(&s, RunOptions::seed(seed)).map_err(|e| Failure::internal(e.to_string()))?;
        let b = runner::run(&s, RunOptions::seed(seed)).map_err(|e| Failure::internal(e.to_string()))?;
        if a.digest != b.digest || a.events != b.events {
            eprintln!(
                "determinism check FAILED: run 1 digest {} ({} events), run 2 digest {} ({} events)",
                a.digest, a.events, b.digest, b.events
            );
            return Ok(Exit::CheckFailed);
        }
        println!("determinism check passed: two runs gave digest {} ({} events)", a.digest, a.events);
    }
    let w = write_report(&s, &text, seed, &args.out, args.trace, Some(record), !args.no_charts)?;
    print_summary(&w.outcome, w.path.as_deref().ok(), args.quiet);
    if let Err(why) = &w.path {
        return Err(w.keep_outcome(why));
    }
    if let Some(e) = w.charts {
        return Err(e);
    }
    Ok(exit_code(&w.outcome))
}

/// Exit 1 if a check failed; else 3 if a check could not decide within its budget (neither
/// a pass nor a failure, as `eightfold check` says of an undecided history); else 0.
pub(super) fn exit_code(o: &Outcome) -> Exit {
    match o.verdict() {
        RunVerdict::Passed => Exit::Passed,
        RunVerdict::Failed => Exit::CheckFailed,
        RunVerdict::Undecided => Exit::Undecided,
    }
}

/// A run's report as written by [`write_report`].
pub(super) struct Written {
    /// The run's verdicts and figures (whether or not they could be written).
    pub outcome: Outcome,
    /// The report directory, or why it could not be written after the run.
    pub path: Result<PathBuf, String>,
    /// A chart that could not be drawn (the report was kept without it).
    pub charts: Option<Failure>,
    /// Where the report was to go.
    pub dest: PathBuf,
}

impl Written {
    /// The error for a report that could not be written, after saving `outcome.json` in
    /// the temporary directory so the run's verdicts are not lost.
    pub(super) fn keep_outcome(&self, why: &str) -> Failure {
        let json = serde_json::to_string_pretty(&self.outcome).unwrap_or_default() + "\n";
        let name = format!("{}-seed{}-outcome.json", self.outcome.scenario, self.outcome.seed);
        super::out::lost(
            &format!("the report {}", self.dest.display()),
            why,
            super::out::fallback(&name, json.as_bytes()),
        )
    }
}

/// Runs `s` with `seed` and writes its report directory `out/<name>-seed<N>/` atomically
/// (`outcome.json`, `scenario.json` = `text`, `history.json`, `recording.json`, and
/// `trace.jsonl` if asked) and, with `charts`, the SVG charts and `index.html`: the code
/// path of `eightfold run`, shared with `eightfold shrink`. A chart that could not be drawn
/// is returned beside the committed report rather than losing the run's other files; a
/// report that cannot be written once the run is over is returned as such, with the
/// outcome, so the caller can still show and keep the run's verdicts.
///
/// The history is streamed into the (temporary) report as the run goes and read back, one
/// operation at a time, for the charts: a long run never holds it whole.
pub(super) fn write_report(
    s: &Scenario,
    text: &str,
    seed: u64,
    out: &Path,
    with_trace: bool,
    record: Option<RecorderConfig>,
    charts: bool,
) -> Result<Written, Failure> {
    let dest = out.join(format!("{}-seed{seed}", s.name));
    let report = ReportDir::create(&dest).map_err(|e| {
        Failure::internal(format!("cannot create the report directory in {}: {e}", out.display()))
    })?;
    let trace: Option<Box<dyn Write + Send>> = if with_trace {
        let f = File::create(report.path("trace.jsonl"))
            .map_err(|e| Failure::internal(format!("cannot create trace.jsonl: {e}")))?;
        Some(Box::new(f))
    } else {
        None
    };
    let kv = s.cluster.protocol.capabilities().key_value;
    let history = if kv {
        let f = File::create(report.path("history.json"))
            .map_err(|e| Failure::internal(format!("cannot create history.json: {e}")))?;
        HistoryOutput::Stream(Box::new(f))
    } else {
        HistoryOutput::Discard
    };
    let out = runner::run_full(
        s,
        RunOptions { trace, record, interrupt: Some(interrupt_flag()), history, ..RunOptions::seed(seed) },
    )
    .map_err(|e| match e {
        runner::RunError::Interrupted(at) => Failure {
            exit: Exit::Interrupted,
            message: format!("interrupted at {at} of simulated time: no report written"),
        },
        e => Failure::internal(e.to_string()),
    })?;
    let outcome = out.outcome;
    let written = |path, charts| Written { outcome: outcome.clone(), path, charts, dest: dest.clone() };
    // From here on the run is over: a write that fails loses the report, not the verdicts.
    let files = || -> Result<(), String> {
        out.history_written.as_ref().map_err(|e| format!("writing history.json: {e}"))?;
        if let Some(rec) = &out.recording {
            report.write_json("recording.json", rec).map_err(|e| format!("writing recording.json: {e}"))?;
        }
        let json = serde_json::to_string_pretty(&outcome).map_err(|e| e.to_string())?;
        report.write("outcome.json", json + "\n").map_err(|e| format!("writing outcome.json: {e}"))?;
        report.write("scenario.json", text).map_err(|e| format!("writing scenario.json: {e}"))
    };
    if let Err(why) = files() {
        return Ok(written(Err(why), None));
    }
    // A chart that cannot be drawn is an internal error, but the run's own files are still
    // worth keeping: the report is committed either way and the error reported after.
    let charts = match (&out.recording, charts) {
        (Some(recording), true) => {
            let ops = if kv {
                let end = crate::report::charts::end_ns(&outcome, recording);
                let read = File::open(report.path("history.json")).map_err(|e| e.to_string()).and_then(|f| {
                    OpSeries::read(f, &named_indices(&outcome), end).map_err(|e| e.to_string())
                });
                match read {
                    Ok(ops) => Some(ops),
                    Err(e) => return Ok(written(Err(format!("reading history.json back: {e}")), None)),
                }
            } else {
                None
            };
            let input = crate::report::charts::Inputs {
                outcome: &outcome,
                ops: ops.as_ref(),
                recording,
                description: &s.description,
            };
            super::chart::render(&input).and_then(|files| {
                files.iter().try_for_each(|f| {
                    report
                        .write(f.name, &f.contents)
                        .map_err(|e| Failure::internal(format!("writing {}: {e}", f.name)))
                })
            })
        }
        _ => Ok(()),
    };
    let path = report.commit().map_err(|e| format!("moving the report into {}: {e}", dest.display()));
    Ok(written(path, charts.err()))
}

/// Prints a run's summary; `path` is its report directory, `None` if it could not be
/// written.
pub(super) fn print_summary(o: &Outcome, path: Option<&Path>, quiet: bool) {
    if !quiet {
        println!(
            "ran {} seed {}: {} events, {:.3} s simulated in {:.3} s",
            o.scenario,
            o.seed,
            o.events,
            o.sim_time_ns as f64 / 1e9,
            o.timing.wall_s
        );
        for f in &o.faults {
            let end = f.end.map(|e| format!(" until {e}")).unwrap_or_default();
            println!("  fault at {}{end}: {} {}", f.start, f.kind, f.describe(|n| o.node_name(n)));
        }
        let n = &o.network;
        println!(
            "  network: {} sent, {} delivered, {} dropped ({}), {} duplicated, {} bytes",
            n.sent,
            n.delivered,
            n.dropped,
            n.dropped_by
                .iter()
                .filter(|(_, v)| **v > 0)
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            n.duplicated,
            n.bytes
        );
        if let Some(ops) = &o.ops {
            let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
            println!(
                "  operations: {} ok, {} fail, {} info; latency ms p50 {} p90 {} p99 {} max {}",
                ops.ok,
                ops.fail,
                ops.info,
                ms(ops.p50_ms),
                ms(ops.p90_ms),
                ms(ops.p99_ms),
                ms(ops.max_ms)
            );
        }
        if let Some(r) = &o.raft {
            println!(
                "  consensus: {} leader changes, highest term {}, {:.3} s without a leader, {} entries committed",
                r.leadership.leader_changes,
                r.leadership.max_term,
                r.leadership.time_without_leader_s,
                r.entries_committed
            );
        }
        if let Some(sec) = &o.security {
            println!(
                "  security: {} corrupted, {} replayed, {} forged; rejected {} (mac {}, replay {}, decode {}); tampered accepted {}",
                sec.corrupted,
                sec.replayed,
                sec.forged,
                sec.rejected(),
                sec.rejected_mac,
                sec.rejected_replay,
                sec.rejected_decode,
                sec.accepted_tampered
            );
        }
        for (name, c) in &o.checks {
            println!("  check {name}: {} — {}", c.status.word(), c.detail);
        }
        if let Some(text) = o.linearizability.as_ref().and_then(|l| l.explanation.as_ref()) {
            println!("  linearizability counterexample:");
            for line in text.lines() {
                println!("    {line}");
            }
        }
        if let Some(h) = &o.halted {
            println!("  the run stopped at {} when {} saw: {}", h.at, h.check, h.detail);
        }
        match path {
            Some(p) => println!("  report: {}", p.display()),
            None => println!("  report: NOT written (the error below says why)"),
        }
        if !o.passed {
            println!("  replay with: eightfold run <scenario> --seed {}", o.seed);
        }
        let unknown = o.unknown_checks();
        if o.passed && !unknown.is_empty() {
            println!(
                "  no check failed, but {} could not decide within its budget: the run is neither passed nor failed",
                unknown.join(", ")
            );
        }
    }
    println!("{} seed {}: {} digest {}", o.scenario, o.seed, o.verdict().word(), o.digest);
}
