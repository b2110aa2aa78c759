//! Pairing invocation lines with completion lines in Jepsen-style logs: each process has at
//! most one operation outstanding, and a completion belongs to that process's pending
//! invocation.

use std::collections::HashMap;

use super::{FormatError, MAX_OPS};
use crate::linearizability::{CellOp, CellResult, Key, KeyedOp, KvOperation};

/// How a pending operation ended.
pub(super) enum Completion {
    /// It returned this result.
    Returned(CellResult),
    /// It returned, but without a result (a timed-out read): always legal.
    ReturnedUnknown,
    /// It definitely did not happen: drop it.
    Dropped,
    /// Unknown (`:info`): it may take effect at any point after its call, or never.
    Indeterminate,
}

struct Slot {
    op: KvOperation,
    f: &'static str,
    line: usize,
    dropped: bool,
}

/// Operations under construction, in invocation order.
#[derive(Default)]
pub(super) struct Pairing {
    slots: Vec<Slot>,
    pending: HashMap<u32, usize>,
}

impl Pairing {
    /// Records an invocation at `line` (its time is the 0-based line index).
    pub(super) fn invoke(
        &mut self,
        line: usize,
        process: u32,
        f: &'static str,
        key: Key,
        op: CellOp,
    ) -> Result<(), FormatError> {
        if let Some(&i) = self.pending.get(&process) {
            let s = &self.slots[i];
            return Err(FormatError::line(
                line,
                format!(
                    "a completion of process {process}'s pending {} (line {}) before its next invocation",
                    s.f, s.line
                ),
                format!(":invoke {f}"),
            ));
        }
        if self.slots.len() >= MAX_OPS {
            return Err(FormatError::TooManyOps { limit: MAX_OPS });
        }
        self.pending.insert(process, self.slots.len());
        self.slots.push(Slot {
            op: KvOperation {
                client: process,
                input: KeyedOp { key, op },
                output: None,
                call: line as u64 - 1,
                ret: None,
            },
            f,
            line,
            dropped: false,
        });
        Ok(())
    }

    /// Records the completion at `line` of `process`'s pending `f` on `key` (`None`: the
    /// format has no keys).
    pub(super) fn complete(
        &mut self,
        line: usize,
        process: u32,
        f: &'static str,
        key: Option<&str>,
        how: Completion,
    ) -> Result<(), FormatError> {
        let Some(i) = self.pending.remove(&process) else {
            return Err(FormatError::line(
                line,
                format!("an :invoke by process {process} before its completion"),
                format!("a completion of {f}"),
            ));
        };
        let s = &mut self.slots[i];
        if s.f != f {
            return Err(FormatError::line(
                line,
                format!("a completion of process {process}'s pending {} (line {})", s.f, s.line),
                format!("a completion of {f}"),
            ));
        }
        if let Some(key) = key
            && *s.op.input.key != *key
        {
            return Err(FormatError::line(
                line,
                format!("key {:?} of process {process}'s pending {} (line {})", s.op.input.key, s.f, s.line),
                format!("key {key:?}"),
            ));
        }
        let at = Some(line as u64 - 1);
        match how {
            Completion::Returned(r) => (s.op.output, s.op.ret) = (Some(r), at),
            Completion::ReturnedUnknown => s.op.ret = at,
            Completion::Dropped => s.dropped = true,
            Completion::Indeterminate => {}
        }
        Ok(())
    }

    /// The operations; any still pending are indeterminate.
    pub(super) fn finish(self) -> Vec<KvOperation> {
        self.slots.into_iter().filter(|s| !s.dropped).map(|s| s.op).collect()
    }
}
