//! Scenario files: parse, fill in defaults, validate.
//!
//! A scenario is JSON with human units. Loading it either yields a [`Scenario`] that every
//! later stage can trust, or one [`ScenarioError`] that names the JSON path, the expected
//! value and the value found. Nothing runs and no report is written for a bad scenario.

pub mod error;
pub mod model;
pub mod nodes;
pub mod protocol_fit;
pub mod units;
pub mod validate;

use std::path::Path;

pub use error::ScenarioError;
pub use model::*;
pub use nodes::{GroupRef, NodeRef};

/// The largest scenario file accepted, so a mistaken path cannot exhaust memory.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| ScenarioError::Io { file: file.clone(), reason: e.to_string() })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ScenarioError::Io {
            file,
            reason: format!("the file is {} bytes; the limit is {MAX_FILE_BYTES}", meta.len()),
        });
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Io { file: file.clone(), reason: e.to_string() })?;
    parse(&text)
}

/// Parses and validates scenario JSON text.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let scenario: Scenario = match serde_path_to_error::deserialize(de) {
        Ok(s) => s,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let path = if inner.is_syntax() || inner.is_eof() {
                "(file)".to_string()
            } else if path == "." {
                "(top level)".to_string()
            } else {
                path
            };
            return Err(ScenarioError::at(path, describe_json_error(&inner)));
        }
    };
    validate::validate(&scenario)?;
    Ok(scenario)
}

/// Rewrites serde_json's "… at line 3 column 7" into "… (line 3, column 7)".
fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let core = msg.strip_suffix(&suffix).unwrap_or(&msg);
    let core = if e.is_syntax() || e.is_eof() { format!("not valid JSON: {core}") } else { core.to_string() };
    if e.line() > 0 { format!("{core} (line {}, column {})", e.line(), e.column()) } else { core }
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
