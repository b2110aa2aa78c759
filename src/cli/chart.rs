//! `eightfold chart REPORT_DIR [--window A..B]`: redraws a report's charts and `index.html`
//! from its saved files.
//!
//! With `--window` different from the recorded one, the run is simulated again from
//! `scenario.json` and the seed in `outcome.json` to record that window's messages. A run is
//! a pure function of (scenario, seed), so the re-simulation must reproduce the saved trace
//! digest exactly; if it does not (the report came from another build or was edited), the
//! command refuses with exit code 1 rather than draw a picture of a different run. A missing
//! `recording.json` (or one in an older format), or a missing `history.json` of a key-value
//! run, is recovered the same way.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::de::DeserializeOwned;

use super::{Exit, Failure};
use crate::report::Outcome;
use crate::report::charts::ops::named_indices;
use crate::report::charts::{self, Inputs, OpSeries, ReportFile};
use crate::runner::{self, RunOptions};
use crate::scenario::units::parse_window;
use crate::scenario::{self, Scenario};
use crate::sim::SimTime;
use crate::workload::history::History;
use crate::world::{Recording, recorder};

#[derive(Args)]
pub(super) struct ChartArgs {
    /// A report directory written by `eightfold run`.
    report: PathBuf,
    /// Record this window instead (its messages and every log change), e.g. `4.9s..5.4s`
    /// (re-simulates).
    #[arg(long, value_parser = parse_window)]
    window: Option<(SimTime, SimTime)>,
}

/// Reads a JSON file of the report; a missing or malformed file is bad input.
fn read<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<T, Failure> {
    let path = dir.join(name);
    let text =
        std::fs::read_to_string(&path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

/// A report's `recording.json`.
enum Saved {
    /// None was saved.
    Missing,
    /// One in an older format, which this build does not draw, and the window it recorded
    /// (the run is recorded again over the same window).
    Older(Option<(u64, u64)>),
    /// One this build draws.
    Current(Box<Recording>),
}

fn read_recording(dir: &Path) -> Result<Saved, Failure> {
    if !dir.join("recording.json").is_file() {
        return Ok(Saved::Missing);
    }
    let v: serde_json::Value = read(dir, "recording.json")?;
    if v.get("format").and_then(|f| f.as_str()) != Some(recorder::FORMAT) {
        return Ok(Saved::Older(serde_json::from_value::<(u64, u64)>(v["window"].clone()).ok()));
    }
    let path = dir.join("recording.json");
    let r = serde_json::from_value(v).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    Ok(Saved::Current(Box::new(r)))
}

/// The scenario as it ran: `scenario.json` plus any bugs switched on with `--bug`, which
/// `outcome.json` lists among the effective parameters.
fn scenario_as_run(dir: &Path, outcome: &Outcome) -> Result<Scenario, Failure> {
    let path = dir.join("scenario.json");
    let text =
        std::fs::read_to_string(&path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    let mut s = scenario::parse(&text).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    for line in &outcome.parameters {
        if let Some(list) = line.strip_prefix("bugs switched on: ") {
            for b in list.split(", ") {
                if !s.bugs.iter().any(|x| x == b) {
                    s.bugs.push(b.to_string());
                }
            }
        }
    }
    runner::bugs::validate(&s).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    Ok(s)
}

/// Simulates the report's run again, recording `window`, and checks the digest.
fn resimulate(
    s: &Scenario,
    outcome: &Outcome,
    window: Option<(SimTime, SimTime)>,
) -> Result<(Recording, Option<History>), Failure> {
    let mut record = runner::default_recording(s);
    if let Some(w) = window {
        if w.1.as_nanos() > s.duration.0.as_nanos() {
            return Err(Failure::input(format!(
                "--window: it ends at {} but the run ends at {}",
                w.1, s.duration.0
            )));
        }
        record.window = w;
    }
    let out = runner::run_full(s, RunOptions { record: Some(record), ..RunOptions::seed(outcome.seed) })
        .map_err(|e| Failure::internal(e.to_string()))?;
    if out.outcome.digest != outcome.digest {
        return Err(Failure {
            exit: Exit::CheckFailed,
            message: format!(
                "re-simulating {} seed {} gave digest {}, but outcome.json says {}: this report was not \
                 made by this scenario and build",
                s.name, outcome.seed, out.outcome.digest, outcome.digest
            ),
        });
    }
    let recording = out.recording.ok_or_else(|| Failure::internal("the re-simulation kept no recording"))?;
    Ok((recording, out.history))
}

/// Writes a file into an existing directory atomically (temporary file, then rename).
fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> Result<(), Failure> {
    let path = dir.join(name);
    crate::report::writer::write_file(&path, contents)
        .map_err(|e| Failure::internal(format!("writing {}: {e}", path.display())))
}

/// Renders the charts and `index.html` of a run.
pub(super) fn render(input: &Inputs<'_>) -> Result<Vec<ReportFile>, Failure> {
    charts::render_report(input).map_err(|e| Failure::internal(e.to_string()))
}

pub(super) fn chart(args: ChartArgs) -> Result<Exit, Failure> {
    let dir = &args.report;
    if !dir.is_dir() || !dir.join("outcome.json").is_file() {
        return Err(Failure::input(format!(
            "{}: not a report directory (no outcome.json; make one with `eightfold run`)",
            dir.display()
        )));
    }
    // Checked before a re-simulation, which may take a while.
    super::out::writable(dir).map_err(|e| {
        Failure::input(format!("{}: cannot write into this report directory: {e}", dir.display()))
    })?;
    let outcome: Outcome = read(dir, "outcome.json")?;
    let s = scenario_as_run(dir, &outcome)?;
    let has_history = dir.join("history.json").is_file();
    let (saved, old_window) = match read_recording(dir)? {
        Saved::Missing => (None, None),
        Saved::Older(window) => (None, window),
        Saved::Current(r) => (Some(*r), None),
    };
    let wanted = args.window.map(|w| (w.0.as_nanos(), w.1.as_nanos()));
    // A key-value run whose history.json was left out (the shipped examples drop it to stay
    // small) gets its history back from a re-simulation too.
    let lacks_history = !has_history && s.cluster.protocol.capabilities().key_value;
    let (recording, history) = match saved {
        Some(r) if wanted.is_none_or(|w| w == r.window) && !lacks_history => (r, None),
        saved => {
            let window = args.window.or(saved
                .as_ref()
                .map(|r| r.window)
                .or(old_window)
                .map(|w| (SimTime(w.0), SimTime(w.1))));
            let (r, h) = resimulate(&s, &outcome, window)?;
            if saved.as_ref() != Some(&r) {
                let json = serde_json::to_string(&r).map_err(|e| Failure::internal(e.to_string()))?;
                write_atomic(dir, "recording.json", (json + "\n").as_bytes())?;
            }
            println!("re-simulated {} seed {}: digest {} matches", s.name, outcome.seed, outcome.digest);
            (r, h)
        }
    };
    // The saved history is read one operation at a time; a re-simulated one is small.
    let end = charts::end_ns(&outcome, &recording);
    let named = named_indices(&outcome);
    let ops = if has_history {
        let path = dir.join("history.json");
        let file =
            std::fs::File::open(&path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        Some(
            OpSeries::read(file, &named, end)
                .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?,
        )
    } else {
        history.as_ref().map(|h| OpSeries::new(&h.ops, &named, end))
    };
    let input =
        Inputs { outcome: &outcome, ops: ops.as_ref(), recording: &recording, description: &s.description };
    let files = render(&input)?;
    for f in &files {
        write_atomic(dir, f.name, f.contents.as_bytes())?;
    }
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    println!("wrote {} to {}", names.join(", "), dir.display());
    Ok(Exit::Passed)
}
