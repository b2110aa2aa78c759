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
    #[error("{path}: {message}{}", Location(*.line))]
    Invalid {
        /// JSON path of the offending value (`faults[2].node`), or `(file)` for syntax errors.
        path: String,
        /// What was expected and what was found.
        message: String,
        /// Where in the text the parser stopped (line, column), when it says.
        line: Option<(usize, usize)>,
    },
}

/// Prints an error's place in the text as " (line 3, column 7)", or nothing.
struct Location(Option<(usize, usize)>);

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some((line, column)) => write!(f, " (line {line}, column {column})"),
            None => Ok(()),
        }
    }
}

impl ScenarioError {
    /// An error at a JSON path.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid { path: path.into(), message: message.into(), line: None }
    }

    /// The same error without its line and column: for text the user never saw (a scenario
    /// patched by `--set` and printed again), where they would point nowhere useful.
    pub fn without_location(self) -> Self {
        match self {
            ScenarioError::Invalid { path, message, .. } => {
                ScenarioError::Invalid { path, message, line: None }
            }
            io => io,
        }
    }

    /// The JSON path of the error, if it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            ScenarioError::Invalid { path, .. } => Some(path),
            ScenarioError::Io { .. } => None,
        }
    }
}
