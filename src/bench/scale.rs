//! The scale benchmark: does the cost of an event stay the same as the cluster grows?
//!
//! The same 10 s (by default) of simulated time for gossip (fanout 3, anti-entropy every
//! 100 ms, two clients broadcasting) and for Raft (five closed-loop clients), at 5, 51, 201
//! and 1000 nodes. Events grow with the cluster; a simulator whose every event costs the
//! same shows events per second flat across sizes and memory growing with the work, not
//! with the square of the node count. Each size runs in a child process of its own, so the
//! peak resident memory printed is that size's alone (a process's peak never goes down).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::ring::peak_rss_kb;
use crate::runner::{self, HistoryOutput, RunError, RunOptions};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::sim::SimDuration;

/// The protocols the benchmark runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ScaleProtocol {
    /// Gossip, fanout 3, anti-entropy every 100 ms, two broadcasting clients.
    Gossip,
    /// Raft with five closed-loop key-value clients.
    Raft,
}

/// The sizes run by default.
pub const SIZES: [u32; 4] = [5, 51, 201, 1000];

/// The benchmark's scenario for `protocol` on `nodes` servers over `duration`.
pub fn scenario(
    protocol: ScaleProtocol,
    nodes: u32,
    duration: SimDuration,
) -> Result<Scenario, ScenarioError> {
    let ms = duration.as_nanos() / 1_000_000;
    let (cluster, workload) = match protocol {
        ScaleProtocol::Gossip => (
            format!(
                r#"{{ "protocol": "gossip", "nodes": {nodes}, "gossip": {{ "interval": "100ms", "fanout": 3 }} }}"#
            ),
            r#"{ "type": "broadcast", "clients": 2, "values": 100, "interval": "50ms" }"#.to_string(),
        ),
        ScaleProtocol::Raft => (
            format!(r#"{{ "protocol": "raft", "nodes": {nodes} }}"#),
            r#"{ "type": "kv", "clients": 5, "keys": 20 }"#.to_string(),
        ),
    };
    let name = match protocol {
        ScaleProtocol::Gossip => "scale-gossip",
        ScaleProtocol::Raft => "scale-raft",
    };
    scenario::parse(&format!(
        r#"{{ "name": "{name}-{nodes}", "seed": 1, "duration": "{ms}ms",
              "cluster": {cluster},
              "network": {{ "default": {{ "latency": {{ "dist": "uniform", "min": "1ms", "max": "3ms" }} }} }},
              "workload": {workload} }}"#
    ))
}

/// The figures of one size, printed as one JSON line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleReport {
    /// The protocol.
    pub protocol: ScaleProtocol,
    /// Servers in the cluster.
    pub nodes: u32,
    /// Simulated time, seconds.
    pub sim_time_s: f64,
    /// Events handled.
    pub events: u64,
    /// Wall-clock time of the run (scenario built to checks judged), seconds.
    pub wall_s: f64,
    /// Events per wall-clock second.
    pub events_per_s: f64,
    /// Peak resident memory of the process that ran this size alone, KiB (Linux; 0 elsewhere).
    pub peak_rss_kb: u64,
    /// Whether every check passed.
    pub passed: bool,
    /// The run's trace digest (the same for every run of the same size and binary).
    pub digest: String,
}

/// Runs one size's scenario `s` ([`scenario()`]) in this process, exactly as `eightfold run
/// --no-charts` runs a scenario (every check judged) but keeping no history on disk.
pub fn run_one(protocol: ScaleProtocol, s: &Scenario) -> Result<ScaleReport, RunError> {
    let started = Instant::now();
    let opts = RunOptions { history: HistoryOutput::Discard, ..RunOptions::seed(s.seed) };
    let out = runner::run(s, opts)?;
    let wall = started.elapsed().as_secs_f64();
    Ok(ScaleReport {
        protocol,
        nodes: s.cluster.nodes,
        sim_time_s: out.sim_time_ns as f64 / 1e9,
        events: out.events,
        wall_s: wall,
        events_per_s: out.events as f64 / wall.max(1e-9),
        peak_rss_kb: peak_rss_kb(),
        passed: out.passed,
        digest: out.digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size's scenario is valid, and the cluster has the size asked for.
    #[test]
    fn the_scenarios_are_valid_at_every_size() {
        for p in [ScaleProtocol::Gossip, ScaleProtocol::Raft] {
            for n in SIZES {
                let s = scenario(p, n, SimDuration::from_secs(10)).expect("valid");
                assert_eq!(s.cluster.nodes, n);
            }
        }
    }

    /// A small size runs, passes its checks and reports the run's own figures.
    #[test]
    fn a_small_size_runs_and_passes() {
        let s = scenario(ScaleProtocol::Gossip, 5, SimDuration::from_secs(2)).expect("valid");
        let r = run_one(ScaleProtocol::Gossip, &s).expect("runs");
        assert!(r.passed && r.events > 0 && r.sim_time_s == 2.0 && r.nodes == 5, "{r:?}");
        let again = run_one(ScaleProtocol::Gossip, &s).expect("runs");
        assert_eq!(r.digest, again.digest, "the same run");
    }
}
