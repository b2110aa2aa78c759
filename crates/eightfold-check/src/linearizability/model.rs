//! What a sequential specification looks like to the checker.
//!
//! A [`Model`] is a deterministic state machine: from a state, an operation's input and its
//! observed output, [`Model::step`] says whether that output is legal and what the next
//! state is. The checker searches for an order of the history's operations that respects
//! real time and that the model accepts step by step.
//!
//! [`Model::partition`] splits a history into independent sub-histories (for a key-value
//! store, one per key). Linearizability is *local* (Herlihy & Wing 1990) and, for such
//! models, *P-compositional* (Horn & Kroening, FORTE 2015): the history is linearizable iff
//! every partition is, which turns one exponential search into several much smaller ones.

use std::fmt::Debug;
use std::hash::Hash;

use super::op::Operation;

/// A sequential specification the checker can search against.
pub trait Model {
    /// What an operation asks for.
    type Input: Debug;
    /// What an operation returns.
    type Output: Debug;
    /// The state of one partition. It is hashed and compared by the search's memo table,
    /// so keep it small and cheap to clone (share large values behind an `Arc`).
    type State: Clone + Eq + Hash + Debug;

    /// The initial state of a partition.
    fn init(&self) -> Self::State;

    /// Applies `input` with observed `output` to `state`: `Some(next)` if that output is
    /// legal there, `None` if not. An unknown output (`None`) must be accepted by every
    /// state; the operation's effect still applies (a timed-out write still writes).
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// True if the operation, with this output, never changes the state when it is legal
    /// (a read; a compare-and-set that reported failure). The search linearizes a legal
    /// observer without branching, and the checker drops observers whose output is
    /// unknown: they constrain nothing. Saying false is always safe, only slower.
    fn is_observer(&self, _input: &Self::Input, _output: Option<&Self::Output>) -> bool {
        false
    }

    /// Splits the history into independent partitions (indices into `ops`). The default
    /// is one partition holding everything.
    fn partition(&self, ops: &[Operation<Self::Input, Self::Output>]) -> Vec<Partition> {
        vec![Partition { label: "all operations".to_string(), ops: (0..ops.len()).collect() }]
    }

    /// Whether an observer (`input`, which returned `output`) could still be legal after
    /// the model goes from `state` through some of `others` (the operations, with their
    /// outputs, that may take effect before it), in some order. Saying true is always
    /// safe; saying false lets the search drop a configuration at once rather than find
    /// out several steps later (a value that only grows by appends can never again be
    /// read as a string it is not a prefix of).
    fn may_still_observe(
        &self,
        _state: &Self::State,
        _input: &Self::Input,
        _output: &Self::Output,
        _others: &mut dyn Iterator<Item = (&Self::Input, Option<&Self::Output>)>,
    ) -> bool {
        true
    }

    /// Bytes `state` holds on the heap beyond its own size (a long string value), so that
    /// the memory budget counts what the memo table really keeps. The default, 0, suits
    /// states without heap data. Only ever compared with a budget: an estimate that is the
    /// same on every machine is what matters.
    fn heap_bytes(&self, _state: &Self::State) -> usize {
        0
    }

    /// The operation as an append-only text operation, if it is one: what the append-only
    /// decision procedure (the `append` module) needs to decide a partition without
    /// searching. `None` (the default) for anything else, which leaves the partition to the
    /// general search.
    fn text_op<'a>(&self, _input: &'a Self::Input, _output: Option<&'a Self::Output>) -> Option<TextOp<'a>> {
        None
    }

    /// The text a state holds (`Some(None)`: absent), if states are texts that appends
    /// extend; `None` (the default) if not.
    fn state_text<'a>(&self, _state: &'a Self::State) -> Option<Option<&'a str>> {
        None
    }

    /// The state holding `text` (`None`: absent); `None` (the default) if states are not
    /// texts. The inverse of [`Model::state_text`].
    fn text_state(&self, _text: Option<&str>) -> Option<Self::State> {
        None
    }

    /// Describes an operation for people: its kind, its arguments and its result.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> OpText;

    /// Describes a state for people.
    fn describe_state(&self, state: &Self::State) -> String;
}

/// An operation seen as acting on a text that only grows by appending (see
/// [`Model::text_op`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TextOp<'a> {
    /// Appends this (non-empty, for the fast path to apply) text; an absent value counts
    /// as empty.
    Append(&'a str),
    /// Reads and saw this value (`None`: absent).
    Read(Option<&'a str>),
    /// Reads, with the result unknown: it constrains nothing.
    UnknownRead,
}

/// An independent part of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// What the partition is, for people (`key "3"`).
    pub label: String,
    /// The operations in it: indices into the history, ascending.
    pub ops: Vec<usize>,
}

/// An operation described for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpText {
    /// The kind: `read`, `write`, `cas`, `get`, `put`, `append`.
    pub kind: &'static str,
    /// The arguments (`"3" "x 1 0 y"`, `1 -> 2`); may be empty.
    pub input: String,
    /// The result (`"x 1 0 y"`, `ok`, `unknown`).
    pub output: String,
}
