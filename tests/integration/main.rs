//! eightfold's integration tests, one binary with a module per capability (one link step
//! instead of one per file: the suite builds in a fraction of the time on two cores). Run one
//! module with `cargo test --release --test integration MODULE::`.

mod common;

mod abort_isolation;
mod adversarial;
mod browser;
mod budget;
mod bug_switch;
mod bugs;
mod catch_up_storms;
mod charts;
mod check_cli;
mod cli;
mod compare;
mod corrupted_slots;
mod determinism;
mod deterministic_budgets;
mod experiments;
mod fallacies;
mod fault_kinds;
mod fuzz_inputs;
mod fuzz_regressions;
mod golden_digests;
mod grade;
mod grids;
mod lab;
mod lease;
mod lifecycle;
mod liveness;
mod network;
mod paxos;
mod quorum;
mod raft;
mod recording;
mod robustness;
mod scale;
mod scripted_ops;
mod settings;
mod staleness;
