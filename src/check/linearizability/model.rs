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

    /// Describes an operation for people: its kind, its arguments and its result.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> OpText;

    /// Describes a state for people.
    fn describe_state(&self, state: &Self::State) -> String;
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
