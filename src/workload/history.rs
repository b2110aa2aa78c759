//! The operation history a run records: what each client asked, when, and what it learned.
//!
//! This is what the linearizability checker judges and what `history.json` stores. Times
//! are virtual nanoseconds. Outcomes follow Jepsen's convention:
//! - `ok`: the operation completed and its result is known;
//! - `fail`: the operation definitely did not take effect;
//! - `info`: unknown — it may take effect at any point after its invocation, or never
//!   (a timeout). Such an operation has no completion time.

use serde::{Deserialize, Serialize};

/// How an operation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpOutcome {
    /// Completed with a known result.
    Ok,
    /// Definitely not applied.
    Fail,
    /// Unknown: may or may not have been applied.
    Info,
}

/// What kind of operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Read a key.
    Get,
    /// Overwrite a key.
    Put,
    /// Append to a key.
    Append,
    /// Compare-and-set a key.
    Cas,
}

/// One operation of the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryOp {
    /// The client that issued it (0-based; printed `c1`).
    pub client: u32,
    /// The operation.
    pub op: OpKind,
    /// The key.
    pub key: String,
    /// For put/append: the value written; for cas: the new value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// For cas: the value required (`null` = the key must be absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// When the client invoked it (virtual ns).
    pub invoke_ns: u64,
    /// When the client learned the outcome (absent for `info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_ns: Option<u64>,
    /// How it ended.
    pub outcome: OpOutcome,
    /// For an `ok` get: the value read (`null` = absent).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub read: Option<Option<String>>,
    /// For an `ok` cas: whether the comparison matched and the value was replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
}

/// Reads a field that may be `null`: present-and-null is `Some(None)`, absent is `None`
/// (via `#[serde(default)]`) — serde alone would read both as `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A whole history, as stored in `history.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Format tag, always `"eightfold-history/1"`.
    #[serde(default = "format_tag")]
    pub format: String,
    /// The operations, in invocation order.
    pub ops: Vec<HistoryOp>,
}

/// The format tag of `history.json`.
pub const FORMAT: &str = "eightfold-history/1";

fn format_tag() -> String {
    FORMAT.to_string()
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        History { format: FORMAT.to_string(), ops: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_of_an_absent_key_survives_a_round_trip() {
        let op = HistoryOp {
            client: 0,
            op: OpKind::Get,
            key: "k1".into(),
            value: None,
            expected: None,
            invoke_ns: 1,
            complete_ns: Some(2),
            outcome: OpOutcome::Ok,
            read: Some(None),
            applied: None,
        };
        let h = History {
            ops: vec![
                op.clone(),
                HistoryOp { read: Some(Some("x".into())), ..op.clone() },
                HistoryOp { read: None, outcome: OpOutcome::Info, complete_ns: None, ..op },
            ],
            ..History::new()
        };
        let back: History = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!(back, h);
    }
}
