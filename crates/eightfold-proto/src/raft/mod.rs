//! Raft (Ongaro & Ousterhout, *In Search of an Understandable Consensus Algorithm*, 2014,
//! and Ongaro's dissertation, *Consensus: Bridging Theory and Practice*, 2014), sans-IO.
//!
//! A [`RaftNode`] replicates a log of [`crate::kv::ClientRequest`]s and applies it to
//! a [`crate::kv::KvStore`]. It never performs I/O: it reacts to the kernel's calls
//! and acts through [`eightfold_sim::sim::Ctx`] (send, timers, disk, observations), so the same code
//! could run on a real network.
//!
//! Modules, one rule each:
//! - [`config`]: settings ([`RaftConfig`], [`ReadMode`]); [`bugs`]: named, switchable bugs;
//! - [`msg`]: the messages ([`RaftMsg`]) with honest wire sizes and a total decoder;
//!   [`batch`]: an AppendEntries' entries, shared by the followers sent them;
//! - [`log`]: Raft's payload (commands, no-ops and configurations) in the shared replicated
//!   log of [`crate::replica`] (prefix hashes for Log Matching, §5.3);
//! - [`storage`]: the WAL and snapshot files and crash recovery (Figure 2 persistent state);
//! - `node`: the server, its handlers and the persist-before-answering pipeline;
//! - `election`: elections, the election restriction, pre-vote, leader stickiness
//!   (§5.2, §5.4.1, dissertation §9.6, §4.2.3);
//! - `replication`: AppendEntries, conflict back-off, commitment, pipelining (§5.3, §5.4.2);
//! - `snapshot`: compaction and InstallSnapshot (§7);
//! - `client`, `read`: client requests, apply, ReadIndex and leases (§8, dissertation §6);
//! - `membership`: single-server configuration changes (dissertation §4).
//!
//! # Driving a node
//!
//! A [`RaftNode`] is a [`eightfold_sim::sim::Node`]: the kernel (through the runner's node enum)
//! calls its handlers, and it opens each host message ([`crate::host::Host`]) into
//! [`RaftNode::on_peer`] (a [`RaftMsg`]) or [`RaftNode::on_client`] (a client request).
//! Servers are built — and rebuilt after a crash — with [`RaftNode::recover`]. Timers:
//! [`RaftTimer`]; operator commands: [`RaftAdmin`]. Files: [`WAL`] and [`SNAPSHOT`]
//! (formats in [`storage`]).
//!
//! # Observations
//!
//! `Role` on every role or term change; `Voted` for every vote granted (a candidate's own
//! included); `Appended` for every entry appended (with the prefix hash), and at start for
//! every entry recovered from disk; `Truncated` when a conflicting suffix is discarded;
//! `Committed` when the commit index advances; `Applied` for every entry applied (the
//! command hash covers no-ops and configurations too); `Snapshot` when the log's prefix is
//! replaced by a snapshot (local compaction once durable, installation on receipt, and at
//! start); `Membership` at start and whenever the configuration in force changes;
//! `Rejected` for `disk-corrupt` (a server refusing to run), `implausible` messages and
//! refused membership requests (`membership-not-leader`, `membership-busy`,
//! `membership-noop`).

mod admin;
pub mod batch;
pub mod bugs;
mod by_node;
mod client;
pub mod config;
mod election;
pub mod log;
mod membership;
pub mod msg;
mod node;
mod read;
mod replication;
mod snapshot;
pub mod storage;

#[cfg(test)]
mod tests;

pub use admin::{RaftAdmin, RaftPatch, UnknownSetting};
pub use batch::Batch;
pub use bugs::RaftBugs;
pub use config::{RaftConfig, ReadMode};
pub use log::{Entry, RaftLog, RaftPayload};
pub use msg::{AppendOutcome, HeartbeatRound, MembershipChange, RaftMsg};
pub use node::{RaftHost, RaftNode, RaftTimer};
pub use storage::{RecoveryError, SNAPSHOT, SnapshotMeta, WAL};
