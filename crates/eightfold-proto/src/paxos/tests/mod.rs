//! Unit tests of the Multi-Paxos server without the simulator: a small deterministic
//! harness (in-memory network, disks and timers, every step chosen by the test, judged by
//! the real invariant checker and an oracle of what was chosen) and scenarios for each
//! rule, plus randomized schedules checked after every step.

mod bugs;
mod catchup;
pub(crate) mod harness;
mod persistence;
mod phases;
mod random;
mod snapshots;
