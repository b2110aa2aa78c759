//! Making a snapshot durable in two steps (Raft §7; Multi-Paxos's learners do the same).
//!
//! A snapshot — made locally by compaction, or installed from a peer — is persisted in two
//! steps: the snapshot file is written whole and fsynced, and only once that is durable is
//! the WAL rewritten without the prefix the snapshot covers. The reverse order would be
//! unsafe: a durable new WAL without its snapshot would have lost the compacted entries
//! (the device may complete fsyncs of different files in any order). A [`SnapJob`] is one
//! snapshot on its way through the two steps.

use std::sync::Arc;

use super::pipeline::SyncToken;

/// Where a snapshot being made durable stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapStage {
    /// The snapshot file is being written and fsynced.
    Writing,
    /// The WAL is being rewritten; done when this WAL token is durable.
    Rewriting(SyncToken),
}

impl SnapStage {
    /// True once the WAL rewrite is durable (`synced` is the highest WAL token known
    /// complete).
    pub fn rewrite_done(self, synced: SyncToken) -> bool {
        matches!(self, SnapStage::Rewriting(t) if synced >= t)
    }
}

/// A snapshot being made durable: what it covers (`S`: Raft's metadata with the
/// configuration, Paxos's log base), its bytes, its stage, and — for a snapshot installed
/// from a peer — what finishing it needs (`I`: Raft answers the leader that sent it;
/// Paxos needs nothing).
#[derive(Debug)]
pub struct SnapJob<S, I = ()> {
    /// What the snapshot covers.
    pub meta: S,
    /// The serialized state machine.
    pub data: Arc<[u8]>,
    /// Where it stands.
    pub stage: SnapStage,
    /// Set for a snapshot installed from a peer (the log was already replaced in memory);
    /// `None` for a local compaction.
    pub installed: Option<I>,
}

impl<S, I> SnapJob<S, I> {
    /// A snapshot of this server's own applied state (compaction).
    pub fn local(meta: S, data: Arc<[u8]>) -> Self {
        SnapJob { meta, data, stage: SnapStage::Writing, installed: None }
    }

    /// A snapshot received from a peer and installed in memory.
    pub fn installed(meta: S, data: Arc<[u8]>, from: I) -> Self {
        SnapJob { meta, data, stage: SnapStage::Writing, installed: Some(from) }
    }

    /// True while an installed snapshot is not yet durable: the server's old WAL cannot
    /// describe a log that continues a snapshot it does not have yet, so it must not grow
    /// its log (or, in Paxos, accept or learn anything).
    pub fn installing(&self) -> bool {
        self.installed.is_some() && self.stage == SnapStage::Writing
    }

    /// True once the WAL rewrite is durable.
    pub fn rewrite_done(&self, synced: SyncToken) -> bool {
        self.stage.rewrite_done(synced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_done_once_its_rewrite_is_synced() {
        let mut job: SnapJob<(), u8> = SnapJob::installed((), Arc::from(&b"x"[..]), 7);
        assert!(job.installing() && !job.rewrite_done(SyncToken(u64::MAX)));
        job.stage = SnapStage::Rewriting(SyncToken(5));
        assert!(!job.installing());
        assert!(!job.rewrite_done(SyncToken(4)) && job.rewrite_done(SyncToken(5)));
        assert!(!SnapJob::<(), u8>::local((), Arc::from(&b""[..])).installing());
    }
}
