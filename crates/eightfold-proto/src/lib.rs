//! eightfold's protocols: sans-IO code run by every virtual server. Each reacts to inputs
//! and acts only through [`eightfold_sim::sim::Ctx`], so it could run on a real network
//! unchanged; each is a [`eightfold_sim::sim::Node`] with its own timer and operator types.
//!
//! - [`replica`]: what the replicated protocols share — the replicated log and its entries,
//!   the group-commit durability pipeline, chunked snapshot transfer; [`wire`] the header
//!   every message carries;
//! - [`raft`] (Ongaro's thesis), [`paxos`] (Multi-Paxos, Lamport's "Paxos Made Simple" §3),
//!   [`quorum`] (a Dynamo-style leaderless store) and [`gossip`] (broadcast by gossip), with
//!   [`kv`] the key-value state machine the replicated ones apply and [`service`]/[`host`]
//!   how a server serves clients ([`peer`]: how a protocol registered from outside the
//!   library carries its own messages);
//! - [`invariants`]: the safety properties these protocols keep (election safety, log
//!   matching, state-machine safety, one value per slot), judged from the observations they
//!   report, so every protocol's own tests and every simulated run check the same rules.
//!
//! It depends on the kernel (`eightfold-sim`) and nothing above it: the scenario runner,
//! checks and reports (`eightfold`) build on it.
//!
//! ```
//! use eightfold_proto::kv::{ClientRequest, ClientSeq, KvOp, KvResult, KvStore};
//!
//! // The state machine every replicated protocol applies, entry by entry.
//! let mut store = KvStore::default();
//! let put = |seq, value: &str| ClientRequest {
//!     client: 1,
//!     seq: ClientSeq(seq),
//!     op: KvOp::Put { key: 7, value: value.into() },
//! };
//! assert_eq!(store.apply(&put(1, "a")), KvResult::Done);
//! let get = ClientRequest { client: 1, seq: ClientSeq(2), op: KvOp::Get { key: 7 } };
//! assert_eq!(store.apply(&get), KvResult::Value(Some("a".into())));
//! ```
#![warn(missing_docs)]

pub mod bugs;
pub mod gossip;
pub mod host;
mod index_table;
pub mod invariants;
pub mod kv;
pub mod paxos;
pub mod peer;
pub mod quorum;
pub mod raft;
pub mod replica;
pub mod service;
#[cfg(test)]
pub mod testkit;
pub mod wire;
