//! Sans-IO protocol code run by every virtual server: it reacts to inputs and acts only
//! through [`crate::sim::Ctx`], so it could run on a real network unchanged.

pub mod gossip;
pub mod host;
pub mod kv;
pub mod paxos;
pub mod quorum;
pub mod raft;
pub mod replica;
pub mod service;
#[cfg(test)]
pub mod testkit;
pub mod wire;
