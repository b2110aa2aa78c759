//! Plumbing every replica of the key-value service shares, whatever its protocol: whether
//! it runs at all ([`Status`]), reading its durable state back after a crash ([`recovery`]),
//! the group-committed write-ahead log that holds answers until what they promise is
//! durable ([`Pipeline`]), and sending snapshots in chunks ([`chunk`]).

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

use crate::sim::rng::Draw;
use crate::sim::{Ctx, Observation, SimDuration};

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
