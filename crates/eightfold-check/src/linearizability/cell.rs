//! The semantics of one value cell, shared by the register and key-value models: read,
//! write, append and compare-and-set over an optional string value (`None` = absent).

use std::sync::Arc;

use super::model::{OpText, TextOp};

/// A value: shared, so states clone in O(1).
pub type Value = Arc<str>;

/// The state of one cell: `None` when absent.
pub type CellState = Option<Value>;

/// An operation on one cell.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CellOp {
    /// Read the value.
    Read,
    /// Overwrite the value.
    Write(Value),
    /// Append to the value (an absent value counts as empty).
    Append(Value),
    /// Set the value to `new` iff it currently is `expected` (`None` = absent).
    Cas {
        /// The value required.
        expected: Option<Value>,
        /// The value written if it matches.
        new: Value,
    },
}

/// What an operation on one cell returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CellResult {
    /// A read saw this value (`None` = absent).
    Read(Option<Value>),
    /// A write or append completed.
    Done,
    /// A compare-and-set completed; `applied` says whether the comparison matched.
    Cas {
        /// Whether the value was replaced.
        applied: bool,
    },
}

impl CellOp {
    /// The operation's effect on `state` given what it returned: `Some(next)` if the result
    /// is legal in `state`, `None` if not. An unknown result is legal in every state, and
    /// the effect applies (a CAS applies iff the state matches). A result of the wrong kind
    /// (a write that "read" something) is never legal.
    pub fn step(&self, state: &CellState, result: Option<&CellResult>) -> Option<CellState> {
        match (self, result) {
            (CellOp::Read, None) => Some(state.clone()),
            (CellOp::Read, Some(CellResult::Read(seen))) => (seen == state).then(|| state.clone()),
            (CellOp::Write(v), None | Some(CellResult::Done)) => Some(Some(v.clone())),
            (CellOp::Append(v), None | Some(CellResult::Done)) => Some(Some(append(state.as_deref(), v))),
            (CellOp::Cas { expected, new }, None) => {
                Some(if state == expected { Some(new.clone()) } else { state.clone() })
            }
            (CellOp::Cas { expected, new }, Some(CellResult::Cas { applied })) => {
                let matches = state == expected;
                if matches != *applied {
                    None
                } else if matches {
                    Some(Some(new.clone()))
                } else {
                    Some(state.clone())
                }
            }
            _ => None,
        }
    }

    /// True if, with this result, the operation never changes the state when legal: a
    /// read, or a compare-and-set that reported failure.
    pub fn is_observer(&self, result: Option<&CellResult>) -> bool {
        matches!(
            (self, result),
            (CellOp::Read, _) | (CellOp::Cas { .. }, Some(CellResult::Cas { applied: false }))
        )
    }

    /// The operation as an append-only text operation: appends and reads are; writes,
    /// compare-and-sets and results of the wrong kind are not.
    pub fn text_op<'a>(&'a self, result: Option<&'a CellResult>) -> Option<TextOp<'a>> {
        match (self, result) {
            (CellOp::Append(v), None | Some(CellResult::Done)) => Some(TextOp::Append(v)),
            (CellOp::Read, Some(CellResult::Read(seen))) => Some(TextOp::Read(seen.as_deref())),
            (CellOp::Read, None) => Some(TextOp::UnknownRead),
            _ => None,
        }
    }

    /// Whether a read that saw `result` could still be legal after `state` goes through
    /// some of `others` (with their results). Appends only extend a value, so the value
    /// read must extend either the present one or the new value of one of `others` that
    /// replaces it (a write, or a compare-and-set that may apply), after which only appends
    /// came. Conservative: true whenever that cannot be ruled out.
    pub fn may_still_observe(
        &self,
        state: &CellState,
        result: &CellResult,
        others: &mut dyn Iterator<Item = (&CellOp, Option<&CellResult>)>,
    ) -> bool {
        let (CellOp::Read, CellResult::Read(seen)) = (self, result) else { return true };
        let Some(seen) = seen else {
            // Absent: only reachable if absent now (nothing deletes a value).
            return state.is_none();
        };
        let extends = |v: &str| seen.starts_with(v);
        if state.as_deref().is_none_or(extends) {
            return true;
        }
        for (op, r) in others {
            let replaced_by = match (op, r) {
                (CellOp::Write(v), _) => v,
                (CellOp::Cas { new, .. }, None | Some(CellResult::Cas { applied: true })) => new,
                _ => continue,
            };
            if extends(replaced_by) {
                return true;
            }
        }
        false
    }

    /// The operation's name.
    pub fn kind(&self) -> &'static str {
        match self {
            CellOp::Read => "read",
            CellOp::Write(_) => "write",
            CellOp::Append(_) => "append",
            CellOp::Cas { .. } => "cas",
        }
    }

    /// The arguments, for people: `"x"`, `nil -> "y"`, or empty for a read.
    pub fn describe_args(&self) -> String {
        match self {
            CellOp::Read => String::new(),
            CellOp::Write(v) | CellOp::Append(v) => format!("{v:?}"),
            CellOp::Cas { expected, new } => {
                format!("{} -> {new:?}", describe_value(expected.as_ref()))
            }
        }
    }

    /// The operation and its result, for people.
    pub fn describe(&self, result: Option<&CellResult>) -> OpText {
        OpText { kind: self.kind(), input: self.describe_args(), output: describe_result(result) }
    }
}

/// A result, for people: the value read, `ok`, `applied`/`not applied`, or `unknown`.
pub fn describe_result(result: Option<&CellResult>) -> String {
    match result {
        None => "unknown".to_string(),
        Some(CellResult::Read(v)) => describe_value(v.as_ref()),
        Some(CellResult::Done) => "ok".to_string(),
        Some(CellResult::Cas { applied: true }) => "applied".to_string(),
        Some(CellResult::Cas { applied: false }) => "not applied".to_string(),
    }
}

/// Heap bytes a cell state holds: the string and the two counters of its `Arc`.
pub fn heap_bytes(state: &CellState) -> usize {
    state.as_ref().map_or(0, |v| v.len() + 2 * std::mem::size_of::<usize>())
}

/// A value for people: quoted, or `nil` when absent.
pub fn describe_value(v: Option<&Value>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "nil".to_string(),
    }
}

fn append(current: Option<&str>, suffix: &str) -> Value {
    let current = current.unwrap_or("");
    let mut s = String::with_capacity(current.len() + suffix.len());
    s.push_str(current);
    s.push_str(suffix);
    Value::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        Value::from(s)
    }

    #[test]
    fn reads_must_match() {
        let st = Some(v("1"));
        assert_eq!(CellOp::Read.step(&st, Some(&CellResult::Read(Some(v("1"))))), Some(st.clone()));
        assert_eq!(CellOp::Read.step(&st, Some(&CellResult::Read(None))), None);
        assert_eq!(CellOp::Read.step(&None, Some(&CellResult::Read(None))), Some(None));
    }

    #[test]
    fn append_to_absent_counts_as_empty() {
        let next = CellOp::Append(v("ab")).step(&None, Some(&CellResult::Done));
        assert_eq!(next, Some(Some(v("ab"))));
        let next = CellOp::Append(v("c")).step(&Some(v("ab")), None);
        assert_eq!(next, Some(Some(v("abc"))));
    }

    #[test]
    fn cas_outcomes() {
        let cas = CellOp::Cas { expected: Some(v("1")), new: v("2") };
        let one = Some(v("1"));
        let three = Some(v("3"));
        assert_eq!(cas.step(&one, Some(&CellResult::Cas { applied: true })), Some(Some(v("2"))));
        assert_eq!(cas.step(&one, Some(&CellResult::Cas { applied: false })), None);
        assert_eq!(cas.step(&three, Some(&CellResult::Cas { applied: false })), Some(three.clone()));
        assert_eq!(cas.step(&three, Some(&CellResult::Cas { applied: true })), None);
        // Unknown: applies iff it matches.
        assert_eq!(cas.step(&one, None), Some(Some(v("2"))));
        assert_eq!(cas.step(&three, None), Some(three));
    }

    #[test]
    fn wrong_result_kind_is_illegal() {
        assert_eq!(CellOp::Write(v("1")).step(&None, Some(&CellResult::Read(None))), None);
    }
}
