//! Experiment tooling: what researchers do with a deterministic simulator.
//!
//! A run is a pure function of `(scenario, seed)`, which makes four things possible:
//!
//! - **sweep** ([`sweep`]) — run thousands of seeds in parallel (one simulation per thread)
//!   and summarise them ([`summary`]): which seeds fail which check, and how latency,
//!   leaderless time and leader changes are distributed across seeds ([`record`]), with a
//!   histogram ([`chart`]). Seed ranges and shards are parsed in [`seeds`]; shards run
//!   anywhere (GNU parallel, SLURM, Kubernetes) and [`merge`] puts them back together into
//!   exactly the summary of an unsharded sweep; [`grid`] sweeps the values of scenario
//!   settings (`--set PATH=V1,V2,…`) as well as seeds, one summary per combination;
//! - **replay** ([`replay`]) — re-run the scenario and seed a report recorded and prove the
//!   run took the same path (digest, and the trace line by line);
//! - **shrink** ([`shrink`]) — search for the smallest scenario that still fails the same
//!   check with the same seed, with delta debugging ([`ddmin`], Zeller & Hildebrandt 2002)
//!   over the fault list and binary searches over durations, clients and operations;
//! - **compare** ([`compare`]) — run the same scenario and seeds on Raft, Multi-Paxos and the
//!   quorum store, and report availability, latency, cost and safety side by side.
//!
//! - **grade** ([`grade`]) — score a protocol against a teacher's suite of scenarios, seeds
//!   and required checks, with the replay command, report and shrunk scenario of each
//!   failing test.
//!
//! Sweeps and comparisons run their simulations in [`worker`] processes, so that a
//! simulation that aborts (a failed allocation, say) is recorded as a failure instead of
//! ending the experiment.

pub mod chart;
pub mod compare;
pub mod ddmin;
pub mod grade;
pub mod grid;
pub mod grid_chart;
pub mod merge;
pub mod record;
pub mod replay;
pub mod seeds;
pub mod shrink;
pub mod summary;
pub mod sweep;
pub mod worker;

pub use record::{Metric, SeedRecord};
pub use seeds::{SeedRange, Shard};
pub use summary::SweepSummary;
