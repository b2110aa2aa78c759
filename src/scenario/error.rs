//! The error a bad scenario produces: one line naming the JSON path, what was expected and
//! what was found.

use thiserror::Error;

/// Why a scenario file was rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read the scenario: {reason}")]
    Io {
        /// The file.
        file: String,
        /// What the OS said.
        reason: String,
    },
    /// The file is not JSON, or a value has the wrong shape or unit.
    #[error("{path}: {message}")]
    Invalid {
        /// JSON path of the offending value (`faults[2].node`), or `(file)` for syntax errors.
        path: String,
        /// What was expected and what was found.
        message: String,
    },
}

impl ScenarioError {
    /// An error at a JSON path.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid { path: path.into(), message: message.into() }
    }

    /// The JSON path of the error, if it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            ScenarioError::Invalid { path, .. } => Some(path),
            ScenarioError::Io { .. } => None,
        }
    }
}
