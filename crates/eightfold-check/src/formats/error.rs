//! Why a history file was rejected: one line naming where (line number or JSON path), what
//! was expected and what was found.

use thiserror::Error;

/// A history that cannot be checked.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The file could not be read.
    #[error("cannot read the history: {0}")]
    Io(String),
    /// The file is larger than [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES).
    #[error("the file is {size} bytes; the limit is {limit}")]
    FileTooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A line of a line-based format is malformed.
    #[error("line {line}: expected {expected}, found {found}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What the parser wanted there.
        expected: String,
        /// What it saw.
        found: String,
    },
    /// A line is longer than [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES).
    #[error("line {line}: longer than the limit of {limit} bytes")]
    LineTooLong {
        /// 1-based line number.
        line: usize,
        /// The limit.
        limit: usize,
    },
    /// A JSON value is malformed or contradicts another.
    #[error("{path}: {message}")]
    Field {
        /// JSON path (`ops[3].outcome`), or `(file)` for syntax errors.
        path: String,
        /// What was expected and what was found.
        message: String,
    },
    /// The history has more operations than [`MAX_OPS`](super::MAX_OPS).
    #[error("the history has more than {limit} operations, the limit")]
    TooManyOps {
        /// The limit.
        limit: usize,
    },
}

impl FormatError {
    /// A malformed line.
    pub(super) fn line(line: usize, expected: impl Into<String>, found: impl AsRef<str>) -> Self {
        FormatError::Line { line, expected: expected.into(), found: quote(found.as_ref()) }
    }

    /// A malformed JSON field.
    pub(crate) fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        FormatError::Field { path: path.into(), message: message.into() }
    }
}

/// Quotes text for an error message, shortened to 80 characters.
fn quote(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut:?}...")
    } else {
        format!("{s:?}")
    }
}
