//! Unit tests of the Raft server without the simulator: a small deterministic harness
//! (in-memory network, disks and timers, every step chosen by the test) and scenarios for
//! each rule, plus randomized schedules checked after every step.

mod bugs;
mod election;
mod figure8;
mod harness;
mod membership;
mod persistence;
mod random;
mod reads;
mod replication;
mod snapshots;
