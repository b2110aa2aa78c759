//! The register model: one cell, initially absent (`nil`), with read, write and
//! compare-and-set (and append, for string registers). This is the model of Jepsen's etcd
//! tests, and of any single-key history.

use super::cell::{self, CellOp, CellResult, CellState, Value, describe_value};
use super::model::{Model, OpText, Partition, TextOp};
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

    fn may_still_observe(
        &self,
        state: &CellState,
        input: &CellOp,
        output: &CellResult,
        others: &mut dyn Iterator<Item = (&CellOp, Option<&CellResult>)>,
    ) -> bool {
        input.may_still_observe(state, output, others)
    }

    fn heap_bytes(&self, state: &CellState) -> usize {
        cell::heap_bytes(state)
    }

    fn text_op<'a>(&self, input: &'a CellOp, output: Option<&'a CellResult>) -> Option<TextOp<'a>> {
        input.text_op(output)
    }

    fn state_text<'a>(&self, state: &'a CellState) -> Option<Option<&'a str>> {
        Some(state.as_deref())
    }

    fn text_state(&self, text: Option<&str>) -> Option<CellState> {
        Some(text.map(Value::from))
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
