//! Simulated storage: a per-node device with crash semantics, and a write-ahead log.

pub mod wal;
