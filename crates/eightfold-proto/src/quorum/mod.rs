//! A leaderless, Dynamo-style quorum store (DeCandia et al., *Dynamo: Amazon's Highly
//! Available Key-value Store*, SOSP 2007), sans-IO.
//!
//! Every server is a coordinator: a client request to any server is run by it against the
//! key's `n` replicas — the first `n` servers of the key's preference list, a ring walk
//! starting at the key's hash (§4.2–4.3). A write waits for `w` acknowledgements, a read for
//! `r` replies and returns the newest value by version; with `r + w > n` every read quorum
//! meets every write quorum (§4.5). Values are versioned last-writer-wins by the
//! coordinator's clock — not vector clocks — and `append`/`cas` are read-then-write at the
//! coordinator, not atomic (see `coordinator`). The store is *not* linearizable in general:
//! the linearizability checker on the client history is what judges it, and the lessons
//! are in what it finds (lost appends, stale reads with `r + w ≤ n`, shadowed writes under
//! clock skew, reads that see a failed write).
//!
//! Modules:
//! - [`config`]: settings ([`QuorumConfig`]);
//! - [`msg`]: the messages ([`QuorumMsg`]) and versions;
//! - [`storage`]: the replica's WAL and crash recovery;
//! - `node`: the server, its replica side, the persist-before-acknowledging pipeline;
//! - `coordinator`: quorum reads and writes, read repair, sloppy quorum and timeouts.
//!
//! # Driving a node
//!
//! A [`QuorumNode`] is a [`eightfold_sim::sim::Node`]: the kernel (through the runner's node enum)
//! calls its handlers, and it opens each host message ([`crate::host::Host`]) into
//! [`QuorumNode::on_peer`] (a [`QuorumMsg`]) or [`QuorumNode::on_client`] (a client
//! request). Servers are built — and rebuilt after a crash — with [`QuorumNode::recover`].
//! Timers: [`QuorumTimer`]. File: [`WAL`].
//!
//! # Observations
//!
//! A leaderless store has no leader, no terms and no log: each server announces
//! `Role { Peer, Term(0) }` at start and nothing the consensus invariant checker would read
//! (no `Appended`, `Committed` or `Applied`), plus `Rejected { "disk-corrupt" }` when it
//! refuses to run on a damaged disk. For the report's step-through it announces two views
//! (kept out of the trace, its digest and the checks): `Stored { key, version }` each time
//! it comes to hold a newer version of a key, and `Hinted { intended, key, version }` each
//! time it takes in a hint for a replica it stood in for (`None` once handed back) — and at
//! every start what it recovered of both. The leadership figures of such a run are meaningless
//! (there is never a leader).
//!
//! # Sessions
//!
//! Clients retry with the same sequence number, but there is no log in which to remember
//! applied requests, so there is no deduplication: a retried write is written again.

pub mod config;
mod coordinator;
pub mod msg;
mod node;
pub mod storage;

#[cfg(test)]
mod tests;

pub use config::QuorumConfig;
pub use msg::{QuorumMsg, Version, Versioned};
pub use node::{QuorumHost, QuorumNode, QuorumTimer};
pub use storage::WAL;
