//! Replaying a report: re-run the scenario and seed a report directory recorded, and check
//! that the run takes the same path.
//!
//! A report keeps the exact scenario text (`scenario.json`) and the seed and digest
//! (`outcome.json`). Replay parses the scenario, runs it with that seed and compares the
//! digests. When the report also has `trace.jsonl`, the replay's trace is compared with it
//! line by line *as it is produced* (a [`Write`] sink that reads the recorded trace in step),
//! so even a long trace needs no memory, and the first line that differs names the first
//! diverging event.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use thiserror::Error;

use crate::check::Status;
use crate::report::Outcome;
use crate::runner::{self, RunError, RunOptions};
use crate::scenario;

/// Why a report could not be replayed (it is missing, unreadable or not a report).
#[derive(Debug, Error)]
pub enum ReplayError {
    /// The directory does not exist or is not a directory.
    #[error("{0}: no such report directory")]
    NoDir(PathBuf),
    /// A file of the report is missing or unreadable.
    #[error("{file}: {reason} (a report directory holds outcome.json and scenario.json)")]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// `outcome.json` is not an outcome.
    #[error("{file}: not a run outcome: {reason}")]
    BadOutcome {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `scenario.json` is not a valid scenario.
    #[error("{file}: {reason}")]
    BadScenario {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The run itself failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// The first place where two traces differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// 1-based line number in `trace.jsonl`.
    pub line: u64,
    /// The recorded line (`None`: the recorded trace ended here).
    pub expected: Option<String>,
    /// The replayed line (`None`: the replay's trace ended here).
    pub actual: Option<String>,
}

/// The result of a replay.
#[derive(Debug)]
pub struct Replay {
    /// The seed replayed.
    pub seed: u64,
    /// The digest the report recorded.
    pub recorded_digest: String,
    /// Events the report recorded.
    pub recorded_events: u64,
    /// The replay's outcome.
    pub outcome: Outcome,
    /// `None` if the report has no trace; else `Some(first divergence, if any)`.
    pub trace: Option<Option<Divergence>>,
    /// Checks whose status (pass, fail, unknown, not judged) differs from the recorded one
    /// (checks count deterministic budgets, so the same events must give the same
    /// verdicts); empty when they all agree or the report records no statuses.
    pub changed_checks: Vec<String>,
}

impl Replay {
    /// True if the replay reproduced the recorded run: same digest, the same verdict from
    /// every check and, when a trace was recorded, the same trace.
    pub fn reproduced(&self) -> bool {
        self.recorded_digest == self.outcome.digest
            && !matches!(self.trace, Some(Some(_)))
            && self.changed_checks.is_empty()
    }

    /// The first diverging trace line, if a trace was compared and differs.
    pub fn divergence(&self) -> Option<&Divergence> {
        self.trace.as_ref().and_then(Option::as_ref)
    }
}

/// The parts of `outcome.json` a replay needs (the rest may change between versions).
#[derive(Deserialize)]
struct Recorded {
    seed: u64,
    digest: String,
    events: u64,
    /// Each check's recorded result; its status is read if it has one (older reports
    /// stored a `passed` flag instead).
    #[serde(default)]
    checks: BTreeMap<String, serde_json::Value>,
}

/// Replays the report in `dir`.
pub fn replay(dir: &Path) -> Result<Replay, ReplayError> {
    if !dir.is_dir() {
        return Err(ReplayError::NoDir(dir.to_path_buf()));
    }
    let read = |name: &str| {
        let file = dir.join(name);
        std::fs::read_to_string(&file).map_err(|e| ReplayError::Unreadable { file, reason: e.to_string() })
    };
    let outcome_file = dir.join("outcome.json");
    let recorded: Recorded = serde_json::from_str(&read("outcome.json")?)
        .map_err(|e| ReplayError::BadOutcome { file: outcome_file.clone(), reason: e.to_string() })?;
    let scenario_file = dir.join("scenario.json");
    let scenario = scenario::parse(&read("scenario.json")?)
        .map_err(|e| ReplayError::BadScenario { file: scenario_file, reason: e.to_string() })?;
    let trace_file = dir.join("trace.jsonl");
    let compare = if trace_file.exists() {
        let f = File::open(&trace_file)
            .map_err(|e| ReplayError::Unreadable { file: trace_file.clone(), reason: e.to_string() })?;
        Some(TraceCompare::new(Box::new(BufReader::new(f))))
    } else {
        None
    };
    let sink = compare.as_ref().map(|c| Box::new(c.clone()) as Box<dyn Write + Send>);
    let outcome = runner::run(&scenario, RunOptions { trace: sink, ..RunOptions::seed(recorded.seed) })?;
    let trace = compare
        .map(|c| c.finish())
        .transpose()
        .map_err(|e| ReplayError::Unreadable { file: trace_file, reason: e.to_string() })?;
    let changed_checks = recorded
        .checks
        .iter()
        .filter_map(|(name, c)| {
            let was: Status = serde_json::from_value(c.get("status")?.clone()).ok()?;
            let now = outcome.checks.get(name).map(|c| c.status);
            (now != Some(was)).then(|| name.clone())
        })
        .collect();
    Ok(Replay {
        seed: recorded.seed,
        recorded_digest: recorded.digest,
        recorded_events: recorded.events,
        outcome,
        trace,
        changed_checks,
    })
}

/// A trace sink that compares every line written with the next line of a recorded trace.
/// Clones share one state, so the run can own one while the caller keeps another.
#[derive(Clone)]
pub struct TraceCompare {
    state: Arc<Mutex<CompareState>>,
}

struct CompareState {
    expected: Box<dyn BufRead + Send>,
    partial: Vec<u8>,
    line: u64,
    divergence: Option<Divergence>,
    error: Option<io::Error>,
}

impl CompareState {
    fn next_expected(&mut self) -> Option<String> {
        let mut s = String::new();
        match self.expected.read_line(&mut s) {
            Ok(0) => None,
            Ok(_) => Some(s.trim_end_matches(['\n', '\r']).to_string()),
            Err(e) => {
                self.error.get_or_insert(e);
                None
            }
        }
    }

    fn compare(&mut self, actual: Option<String>) {
        self.line += 1;
        let expected = self.next_expected();
        if expected != actual {
            self.divergence = Some(Divergence { line: self.line, expected, actual });
        }
    }
}

impl TraceCompare {
    /// A comparer against the recorded trace `expected`.
    pub fn new(expected: Box<dyn BufRead + Send>) -> Self {
        TraceCompare {
            state: Arc::new(Mutex::new(CompareState {
                expected,
                partial: Vec::new(),
                line: 0,
                divergence: None,
                error: None,
            })),
        }
    }

    /// After the run: the first divergence, including a recorded trace that goes on longer
    /// than the replay's. An error reading the recorded trace is returned as such.
    pub fn finish(self) -> io::Result<Option<Divergence>> {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if st.divergence.is_none() && !st.partial.is_empty() {
            let rest = String::from_utf8_lossy(&std::mem::take(&mut st.partial)).into_owned();
            st.compare(Some(rest));
        }
        if st.divergence.is_none() {
            if let Some(extra) = st.next_expected() {
                let line = st.line + 1;
                st.divergence = Some(Divergence { line, expected: Some(extra), actual: None });
            }
        }
        match st.error.take() {
            Some(e) => Err(e),
            None => Ok(st.divergence.take()),
        }
    }
}

impl Write for TraceCompare {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if st.divergence.is_some() || st.error.is_some() {
            return Ok(buf.len());
        }
        st.partial.extend_from_slice(buf);
        let mut start = 0;
        while let Some(nl) = st.partial[start..].iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&st.partial[start..start + nl]).into_owned();
            start += nl + 1;
            st.compare(Some(line));
            if st.divergence.is_some() {
                break;
            }
        }
        st.partial.drain(..start);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare(recorded: &str, chunks: &[&str]) -> Option<Divergence> {
        let mut c = TraceCompare::new(Box::new(io::Cursor::new(recorded.as_bytes().to_vec())));
        for ch in chunks {
            c.write_all(ch.as_bytes()).unwrap();
        }
        c.finish().unwrap()
    }

    #[test]
    fn identical_traces_in_any_chunking_match() {
        assert_eq!(compare("a\nbb\nccc\n", &["a\nb", "b\ncc", "c\n"]), None);
        assert_eq!(compare("", &[]), None);
    }

    #[test]
    fn the_first_differing_line_is_named() {
        let d = compare("a\nb\nc\n", &["a\nX\nc\n"]).unwrap();
        assert_eq!(d, Divergence { line: 2, expected: Some("b".into()), actual: Some("X".into()) });
    }

    #[test]
    fn a_shorter_or_longer_replay_diverges_where_one_ends() {
        let d = compare("a\nb\n", &["a\n"]).unwrap();
        assert_eq!(d, Divergence { line: 2, expected: Some("b".into()), actual: None });
        let d = compare("a\n", &["a\nb\n"]).unwrap();
        assert_eq!(d, Divergence { line: 2, expected: None, actual: Some("b".into()) });
    }
}
