//! Checks that judge a run: convergence of broadcast, linearizability of client histories
//! (with the history file formats it reads), and (with the consensus protocols) invariants
//! and liveness; recovery per fault and staleness are measured beside them.

pub mod catch_up;
pub mod convergence;
pub mod leadership;
pub mod liveness;
pub mod recovery;
pub mod staleness;

pub use eightfold_check::{formats, linearizability};
pub use eightfold_proto::invariants;

use crate::sim::SimTime;
use serde::{Deserialize, Serialize};

/// What a check concluded about a run.
///
/// Only [`Status::Fail`] is a finding against the system under test; [`Status::Unknown`]
/// (the check could not decide within its deterministic budget) and [`Status::NotJudged`]
/// (the run gave the check nothing it could judge, the detail says why) are neither a pass
/// nor a failure and are reported as what they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The property held.
    Pass,
    /// The property was violated.
    Fail,
    /// The check ran out of its budget before it could decide.
    Unknown,
    /// There was nothing the check could judge (for example, faults still in effect at the end).
    NotJudged,
}

impl Status {
    /// The word used for this status in summaries and pages.
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Unknown => "UNKNOWN",
            Status::NotJudged => "NOT JUDGED",
        }
    }
}

/// One check's verdict, as stored under `checks` in `outcome.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// What the check concluded.
    pub status: Status,
    /// What it found, in a sentence.
    pub detail: String,
    /// When a failed check's violation is known to have happened, where the check can
    /// say: for liveness, the instant the first unexcused wait ran past its bound; for
    /// convergence, the end of the run, when a live server still lacked a value. The
    /// report's step-through stops there. (Invariants give theirs in `halted`, and
    /// linearizability through its counterexample's operations.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<SimTime>,
}

impl CheckResult {
    /// A passing verdict.
    pub fn pass(detail: impl Into<String>) -> Self {
        CheckResult { status: Status::Pass, detail: detail.into(), at: None }
    }
    /// A failing verdict.
    pub fn fail(detail: impl Into<String>) -> Self {
        CheckResult { status: Status::Fail, detail: detail.into(), at: None }
    }
    /// The check could not decide within its budget.
    pub fn unknown(detail: impl Into<String>) -> Self {
        CheckResult { status: Status::Unknown, detail: detail.into(), at: None }
    }
    /// The run gave the check nothing to judge; `detail` says why.
    pub fn not_judged(detail: impl Into<String>) -> Self {
        CheckResult { status: Status::NotJudged, detail: detail.into(), at: None }
    }
    /// The same verdict, stamped with the instant its violation is known to have happened.
    #[must_use]
    pub fn at(self, t: SimTime) -> Self {
        CheckResult { at: Some(t), ..self }
    }
    /// True unless the check found a violation (an undecided or unjudged check does not fail
    /// a run).
    pub fn passed(&self) -> bool {
        self.status != Status::Fail
    }
    /// True only when the check found a violation.
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}
