//! Scenario files: parse, fill in defaults, validate.
//!
//! A scenario is JSON with human units. Loading it either yields a [`Scenario`] that every
//! later stage can trust, or one [`ScenarioError`] that names the JSON path, the expected
//! value and the value found. Nothing runs and no report is written for a bad scenario.

pub mod error;
pub mod lifecycle;
pub mod model;
pub mod patch;
pub mod protocol_fit;
pub mod validate;

pub use eightfold_sim::spec::{json, nodes, units};

use std::path::Path;

pub use eightfold_sim::fault::FaultKind;
pub use eightfold_sim::spec::{GroupRef, LatencySpec, LinkSpec, NodeRef};
pub use error::ScenarioError;
pub use model::*;

/// The largest scenario file accepted, so a mistaken path cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    parse(&read(path)?)
}

/// Reads a scenario file's text, refusing one over [`MAX_FILE_BYTES`].
pub fn read(path: &Path) -> Result<String, ScenarioError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| ScenarioError::Io { file: file.clone(), reason: e.to_string() })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ScenarioError::Io {
            file,
            reason: format!("the file is {} bytes; the limit is {MAX_FILE_BYTES}", meta.len()),
        });
    }
    std::fs::read_to_string(path).map_err(|e| ScenarioError::Io { file, reason: e.to_string() })
}

/// Parses and validates scenario JSON text.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    json::reset();
    let de = &mut serde_json::Deserializer::from_str(text);
    let scenario: Scenario = match serde_path_to_error::deserialize(de) {
        Ok(s) => s,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let (message, core) = describe_json_error(&inner);
            let path = if inner.is_syntax() || inner.is_eof() {
                "(file)".to_string()
            } else {
                let outer = if path == "." { "" } else { path.as_str() };
                // An error inside a tagged object (a fault, the workload, a latency
                // distribution) carries the path inside it.
                let full = match json::take_inner_path(&core) {
                    Some(inner) => json::join(outer, &inner),
                    None => outer.to_string(),
                };
                if full.is_empty() { "(top level)".to_string() } else { full }
            };
            let line = (inner.line() > 0).then(|| (inner.line(), inner.column()));
            return Err(ScenarioError::Invalid { path, message, line });
        }
    };
    validate::validate(&scenario)?;
    Ok(scenario)
}

/// serde_json's message in plain words, without its " at line 3 column 7" (the error keeps
/// the place as a field); and the message alone (as the code that raised it wrote it).
fn describe_json_error(e: &serde_json::Error) -> (String, String) {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let core = msg.strip_suffix(&suffix).unwrap_or(&msg).to_string();
    let shown =
        if e.is_syntax() || e.is_eof() { format!("not valid JSON: {core}") } else { plain_words(&core) };
    (shown, core)
}

/// serde names JSON types as Rust sees them ("map", "sequence", "u32"); a scenario's author
/// thinks in JSON ("object", "array", "whole number").
fn plain_words(message: &str) -> String {
    const WORDS: [(&str, &str); 10] = [
        ("invalid type: map,", "invalid type: an object,"),
        ("invalid type: sequence,", "invalid type: an array,"),
        ("invalid type: unit value,", "invalid type: null,"),
        ("expected a map", "expected an object"),
        ("expected a sequence", "expected an array"),
        ("expected f64", "expected a number"),
        ("expected u64", "expected a whole number"),
        ("expected u32", "expected a whole number (at most 4294967295)"),
        ("expected a borrowed string", "expected a string"),
        ("floating point `", "the number `"),
    ];
    WORDS.iter().fold(message.to_string(), |m, (from, to)| m.replace(from, to))
}

impl Scenario {
    /// The scenario as pretty JSON (what the report keeps a copy of).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Number of client nodes the workload creates.
    pub fn client_count(&self) -> u32 {
        match &self.workload {
            Some(WorkloadSpec::Broadcast { clients, .. }) => *clients,
            Some(WorkloadSpec::Kv(k)) => k.clients,
            None => 0,
        }
    }
}
