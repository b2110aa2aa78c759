//! The kernel's vocabulary: virtual time, identifiers, seeded random streams, the event
//! queue, the trace digest and the sans-IO node interface.
//!
//! Everything here is deterministic by construction: time is a `u64` of nanoseconds, events
//! are ordered by `(time, insertion sequence)`, randomness comes only from named streams of
//! the run seed. The [`crate::world::World`] builds on these pieces to run a cluster.

pub mod contents;
pub mod digest;
pub mod ids;
pub mod node;
pub mod observe;
pub mod queue;
pub mod rng;
pub mod time;

pub use contents::{Contents, Field, FieldValue};
pub use digest::Digest;
pub use ids::{LogIndex, MsgId, NodeId, Term, TimerId};
pub use node::{
    Ctx, DiskEvent, DiskOp, FileId, Message, Never, Node, NodeFactory, Outbox, StorageView, Timer, fire_inner,
};
pub use observe::{Observation, Role, VersionStamp};
pub use rng::{RngStreams, SimRng};
pub use time::{SimDuration, SimTime};
