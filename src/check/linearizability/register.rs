//! The register model: one cell, initially absent (`nil`), with read, write and
//! compare-and-set (and append, for string registers). This is the model of Jepsen's etcd
//! tests, and of any single-key history.

use super::cell::{CellOp, CellResult, CellState, Value, describe_value};
use super::model::{Model, OpText, Partition};
use super::op::Operation;

/// A single register. The whole history is one partition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Register {
    /// The value before any operation (`None` = absent, as in the etcd tests).
    pub initial: Option<Value>,
}

impl Model for Register {
    type Input = CellOp;
    type Output = CellResult;
    type State = CellState;

    fn init(&self) -> CellState {
        self.initial.clone()
    }

    fn step(&self, state: &CellState, input: &CellOp, output: Option<&CellResult>) -> Option<CellState> {
        input.step(state, output)
    }

    fn is_observer(&self, input: &CellOp, output: Option<&CellResult>) -> bool {
        input.is_observer(output)
    }

    fn partition(&self, ops: &[Operation<CellOp, CellResult>]) -> Vec<Partition> {
        vec![Partition { label: "the register".to_string(), ops: (0..ops.len()).collect() }]
    }

    fn describe_operation(&self, input: &CellOp, output: Option<&CellResult>) -> OpText {
        input.describe(output)
    }

    fn describe_state(&self, state: &CellState) -> String {
        describe_value(state.as_ref())
    }
}
