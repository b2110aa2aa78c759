//! Checks that judge a run: convergence of broadcast, linearizability of client histories
//! (with the history file formats it reads), and (with the consensus protocols) invariants
//! and liveness.

pub mod convergence;
pub mod formats;
pub mod invariants;
pub mod leadership;
pub mod linearizability;
pub mod liveness;

use serde::{Deserialize, Serialize};

/// One check's verdict, as stored under `checks` in `outcome.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Whether the check passed.
    pub passed: bool,
    /// What it found, in a sentence.
    pub detail: String,
}

impl CheckResult {
    /// A passing verdict.
    pub fn pass(detail: impl Into<String>) -> Self {
        CheckResult { passed: true, detail: detail.into() }
    }
    /// A failing verdict.
    pub fn fail(detail: impl Into<String>) -> Self {
        CheckResult { passed: false, detail: detail.into() }
    }
}
