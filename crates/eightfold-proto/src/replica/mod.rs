//! The replica core: what every server of the replicated key-value service needs whatever
//! its protocol, written once and used by [Raft](super::raft), [Multi-Paxos](super::paxos)
//! and the [quorum store](super::quorum).
//!
//! A *replica* keeps durable state on its own disk, answers peers and clients only once
//! what the answer promises is durable, survives crashes by reading that state back, and —
//! if it replicates a log — compacts the log into snapshots and ships them to replicas
//! that fell behind. None of that depends on how the protocol decides what to store, so it
//! lives here; the protocols keep their own messages, record formats and decision rules.
//!
//! | part | what it is | used by |
//! |---|---|---|
//! | [`Status`], [`random_timeout`] | whether a server runs (refusing a damaged disk, halting after a failed fsync); randomized timeouts | all three |
//! | [`pipeline`] ([`Pipeline`], [`SyncToken`], [`SyncKind`]) | persist before answering: group commit, fsync tokens, held answers, the fsyncs in flight and the durable log prefix | all three (the quorum store uses only the group commit) |
//! | [`recovery`] ([`RecoveryError`]) | reading a WAL and a snapshot file back, refusing corrupt records | all three |
//! | [`log`] ([`ReplicaLog`], [`Entry`], [`LogBase`], [`Payload`]) | the replicated log with prefix hashes, generic over its payload | Raft (with its own payload, which adds configurations) and Multi-Paxos (the shared payload) |
//! | [`snapshot`] ([`SnapJob`], [`SnapStage`]) | making a snapshot durable in two steps (snapshot file, then the WAL rewrite) | Raft and Multi-Paxos |
//! | [`chunk`] ([`Incoming`]) | sending a snapshot in chunks and reassembling it in order | Raft and Multi-Paxos |
//!
//! The wire encoding and the per-message header every protocol is charged live beside it in
//! [`crate::wire`]. Nothing here imports a protocol: the core sits below all three.

pub mod chunk;
pub mod log;
pub mod pipeline;
pub mod recovery;
pub mod snapshot;
#[cfg(test)]
pub mod test_disk;

pub use chunk::Incoming;
pub use log::{Entry, LogBase, LogPayload, MIN_ENTRY_BYTES, Payload, ReplicaLog};
pub use pipeline::{Pipeline, SyncKind, SyncToken};
pub use recovery::RecoveryError;
pub use snapshot::{SnapJob, SnapStage};

use eightfold_sim::sim::rng::Draw;
use eightfold_sim::sim::{Ctx, Observation, SimDuration};

/// Whether a server runs.
#[derive(Debug)]
pub enum Status {
    /// Normal operation.
    Running,
    /// The disk held damaged durable state: the server stays silent forever.
    Refused(RecoveryError),
    /// An fsync failed: the server asked to be crashed and ignores everything until then.
    Halted,
}

impl Status {
    /// True in normal operation.
    pub fn running(&self) -> bool {
        matches!(self, Status::Running)
    }

    /// Why the server refuses to run, if it does.
    pub fn refused(&self) -> Option<&RecoveryError> {
        match self {
            Status::Refused(e) => Some(e),
            _ => None,
        }
    }

    /// At boot: a server that refuses to run announces `Rejected { "disk-corrupt" }` and
    /// gets `false` (it must stay silent); any other gets `true`.
    #[must_use = "a server that refuses to run must stay silent"]
    pub fn boot<M>(&self, ctx: &mut Ctx<'_, M>) -> bool {
        if self.refused().is_some() {
            ctx.observe(Observation::Rejected { reason: "disk-corrupt".into() });
            return false;
        }
        true
    }

    /// An fsync failed: nothing written since the last good one can be trusted, and retrying
    /// would lie (the 2018 "fsyncgate" lesson, see `raft/node.rs`). The server asks to be
    /// crashed, to recover from what really is durable, and ignores everything until then.
    pub fn halt<M>(&mut self, ctx: &mut Ctx<'_, M>) {
        *self = Status::Halted;
        ctx.crash_self();
    }
}

/// A fresh randomized timeout drawn uniformly in `[min, max]` (`max` below `min` counts as
/// `min`) from the server's own random stream.
pub fn random_timeout<M>(ctx: &mut Ctx<'_, M>, min: SimDuration, max: SimDuration) -> SimDuration {
    let lo = min.as_nanos();
    let hi = max.as_nanos().max(lo);
    SimDuration(ctx.rng().between(lo, hi))
}
