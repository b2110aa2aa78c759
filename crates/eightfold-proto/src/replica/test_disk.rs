//! The in-memory disk of the protocol unit tests (Raft, Multi-Paxos, the quorum store):
//! writes are volatile until the test completes the fsync that covers them, and a crash
//! keeps only what was synced. The tests decide when each fsync completes — or fails.

use std::collections::{BTreeMap, VecDeque};

use eightfold_sim::sim::{DiskOp, FileId, StorageView};

/// An in-memory disk whose fsyncs complete when the test says so.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// What survives a crash.
    pub durable: BTreeMap<FileId, Vec<u8>>,
    volatile: BTreeMap<FileId, Vec<u8>>,
    /// Fsyncs requested: (file, token, content at the time of the request).
    pending: VecDeque<(FileId, u64, Vec<u8>)>,
    /// Every op applied (for tests that look at what was written).
    pub ops: Vec<DiskOp>,
}

impl Disk {
    /// Carries out a disk request (an fsync only records what it will make durable).
    pub fn apply(&mut self, op: DiskOp) {
        self.ops.push(op.clone());
        match op {
            DiskOp::Append { file, data } => self.volatile.entry(file).or_default().extend_from_slice(&data),
            DiskOp::Truncate { file, len } => self.volatile.entry(file).or_default().truncate(len as usize),
            DiskOp::Replace { file, data } => {
                self.volatile.insert(file, data);
            }
            DiskOp::Fsync { file, token } => {
                let content = self.volatile.get(&file).cloned().unwrap_or_default();
                self.pending.push_back((file, token, content));
            }
        }
    }

    /// Completes the `k`-th pending fsync; returns its file and token.
    #[must_use = "the completed fsync's token must be handed to the node, or it waits for ever"]
    pub fn complete_at(&mut self, k: usize) -> Option<(FileId, u64)> {
        let (file, token, content) = self.pending.remove(k)?;
        self.durable.insert(file, content);
        Some((file, token))
    }

    /// Where the oldest pending fsync of `file` is among the pending ones.
    pub fn pending_of(&self, file: FileId) -> Option<usize> {
        self.pending.iter().position(|(f, _, _)| *f == file)
    }

    /// Drops the oldest pending fsync without making anything durable (a failed fsync);
    /// returns its token.
    #[must_use = "the failed fsync's token must be handed to the node, or it waits for ever"]
    pub fn fail_oldest(&mut self) -> Option<u64> {
        self.pending.pop_front().map(|(_, token, _)| token)
    }

    /// Fsyncs requested and not completed.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Loses everything not durable.
    pub fn crash(&mut self) {
        self.volatile = self.durable.clone();
        self.pending.clear();
    }

    /// Changes the durable content of a file (to simulate torn writes and corruption).
    pub fn damage(&mut self, file: FileId, f: impl FnOnce(&mut Vec<u8>)) {
        f(self.durable.entry(file).or_default());
        self.volatile = self.durable.clone();
    }
}

impl StorageView for Disk {
    fn read(&self, file: FileId) -> Vec<u8> {
        self.durable.get(&file).cloned().unwrap_or_default()
    }
}
