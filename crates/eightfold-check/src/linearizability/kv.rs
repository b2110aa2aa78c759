//! The key-value model: every key is an independent cell (get, put, append, cas), so the
//! history is partitioned by key and each key is checked on its own.

use std::collections::BTreeMap;

use super::cell::{self, CellOp, CellResult, CellState, Value, describe_value};
use super::model::{Model, OpText, Partition, TextOp};
use super::op::Operation;

/// A key.
pub type Key = Value;

/// An operation on one key of a key-value store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyedOp {
    /// The key.
    pub key: Key,
    /// What it does to that key's value.
    pub op: CellOp,
}

/// An operation of a key-value history, as every history format produces it.
pub type KvOperation = Operation<KeyedOp, CellResult>;

/// A key-value store. The state the checker tracks is one key's value (the partition's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyValue {
    /// Every key's value before any operation: `None` = absent (eightfold's store), or
    /// `Some("")` for stores where a missing key reads as the empty string (Porcupine's kv).
    pub initial: Option<Value>,
}

impl Model for KeyValue {
    type Input = KeyedOp;
    type Output = CellResult;
    type State = CellState;

    fn init(&self) -> CellState {
        self.initial.clone()
    }

    fn step(&self, state: &CellState, input: &KeyedOp, output: Option<&CellResult>) -> Option<CellState> {
        input.op.step(state, output)
    }

    fn is_observer(&self, input: &KeyedOp, output: Option<&CellResult>) -> bool {
        input.op.is_observer(output)
    }

    fn may_still_observe(
        &self,
        state: &CellState,
        input: &KeyedOp,
        output: &CellResult,
        others: &mut dyn Iterator<Item = (&KeyedOp, Option<&CellResult>)>,
    ) -> bool {
        input.op.may_still_observe(state, output, &mut others.map(|(o, r)| (&o.op, r)))
    }

    fn heap_bytes(&self, state: &CellState) -> usize {
        cell::heap_bytes(state)
    }

    fn text_op<'a>(&self, input: &'a KeyedOp, output: Option<&'a CellResult>) -> Option<TextOp<'a>> {
        input.op.text_op(output)
    }

    fn state_text<'a>(&self, state: &'a CellState) -> Option<Option<&'a str>> {
        Some(state.as_deref())
    }

    fn text_state(&self, text: Option<&str>) -> Option<CellState> {
        Some(text.map(Value::from))
    }

    /// One partition per key, in key order (so results do not depend on hashing).
    fn partition(&self, ops: &[KvOperation]) -> Vec<Partition> {
        let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            by_key.entry(&op.input.key).or_default().push(i);
        }
        by_key.into_iter().map(|(k, ops)| Partition { label: format!("key {k:?}"), ops }).collect()
    }

    fn describe_operation(&self, input: &KeyedOp, output: Option<&CellResult>) -> OpText {
        let mut text = input.op.describe(output);
        text.kind = match input.op {
            CellOp::Read => "get",
            CellOp::Write(_) => "put",
            CellOp::Append(_) => "append",
            CellOp::Cas { .. } => "cas",
        };
        text.input = if text.input.is_empty() {
            format!("{:?}", input.key)
        } else {
            format!("{:?} {}", input.key, text.input)
        };
        text
    }

    fn describe_state(&self, state: &CellState) -> String {
        describe_value(state.as_ref())
    }
}

/// Why key-value operations cannot be checked against a single register.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the register model checks one register, but the history has {count} keys ({first:?}, {second:?}, ...): use the kv model"
)]
pub struct NotOneKey {
    /// How many distinct keys the history has.
    pub count: usize,
    /// The first key, in order.
    pub first: String,
    /// The second key, in order.
    pub second: String,
}

/// Drops the keys of a single-key history, for the [`Register`](super::Register) model.
pub fn single_register(ops: Vec<KvOperation>) -> Result<Vec<Operation<CellOp, CellResult>>, NotOneKey> {
    let keys: std::collections::BTreeSet<&str> = ops.iter().map(|o| &*o.input.key).collect();
    if keys.len() > 1 {
        let mut it = keys.iter();
        let first = it.next().map(|s| s.to_string()).unwrap_or_default();
        let second = it.next().map(|s| s.to_string()).unwrap_or_default();
        return Err(NotOneKey { count: keys.len(), first, second });
    }
    Ok(ops
        .into_iter()
        .map(|o| Operation {
            client: o.client,
            input: o.input.op,
            output: o.output,
            call: o.call,
            ret: o.ret,
        })
        .collect())
}
