//! Multi-Paxos under every shipped Raft scenario: the same workload, network and fault
//! schedule with the protocol swapped, 200 seeds each, and the safety checks (invariants
//! and linearizability) must hold on every seed.
//!
//! What the swap drops, because Paxos has no such thing (validation refuses it):
//! - `add_server`, `remove_server` (Raft membership changes) and `reconfigure` (runtime
//!   Raft settings) faults — Paxos runs on a fixed set of servers with fixed settings;
//! - `cluster.raft.initial_voters` — every Paxos server is an acceptor from the start;
//! - `cluster.raft.pre_vote` and `read_mode` — Paxos has no pre-vote, and reads go through
//!   the log;
//! - `cluster.overrides[].raft` — Paxos has no per-server settings.
//!
//! The timing settings carry over to `cluster.paxos`: election timeout, heartbeat,
//! check-quorum, snapshot interval and batch size.

use rayon::prelude::*;

use super::common::shipped_scenarios;
use eightfold::runner::{self, RunOptions};
use eightfold::scenario::{self, Fault, PaxosSpec, Protocol, Scenario};

/// Seeds per scenario.
const SEEDS: u64 = 200;

/// The scenario with Multi-Paxos in place of Raft, and what had to be dropped.
fn to_paxos(raft: &Scenario) -> (Scenario, Vec<String>) {
    let mut s = raft.clone();
    let mut dropped = Vec::new();
    s.cluster.protocol = Protocol::PAXOS;
    if let Some(r) = s.cluster.raft.take() {
        for (name, set) in [
            ("pre_vote", r.pre_vote.is_some()),
            ("read_mode", r.read_mode.is_some()),
            ("initial_voters", r.initial_voters.is_some()),
        ] {
            if set {
                dropped.push(format!("cluster.raft.{name}"));
            }
        }
        s.cluster.paxos = Some(PaxosSpec { timing: r.timing });
    }
    for (i, o) in s.cluster.overrides.iter_mut().enumerate() {
        if o.raft.take().is_some() {
            dropped.push(format!("cluster.overrides[{i}].raft"));
        }
    }
    // An override left with no setting says nothing, and validation refuses it.
    s.cluster.overrides.retain(|o| o.clock.is_some() || o.slowness.is_some());
    let raft_only = |f: &Fault| {
        matches!(f, Fault::AddServer { .. } | Fault::RemoveServer { .. } | Fault::Reconfigure { .. })
    };
    for (i, f) in raft.faults.iter().enumerate() {
        if raft_only(&f.fault) {
            dropped.push(format!("faults[{i}] ({})", f.fault.name()));
        }
    }
    s.faults.retain(|f| !raft_only(&f.fault));
    s.name = format!("paxos-as-{}", raft.name);
    (s, dropped)
}

/// Every shipped Raft scenario: `raft-*`, `fallacy-*` and `fallacies-*` files running Raft.
fn raft_scenarios() -> Vec<Scenario> {
    shipped_scenarios()
        .iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            ["raft-", "fallacy-", "fallacies-"].iter().any(|prefix| name.starts_with(prefix))
        })
        .map(|p| scenario::load(p).expect("shipped scenarios are valid"))
        .filter(|s| s.cluster.protocol == Protocol::RAFT)
        .collect()
}

#[test]
fn the_swap_gives_valid_paxos_scenarios_and_drops_only_raft_only_settings() {
    let all = raft_scenarios();
    assert!(all.len() >= 15, "only {} Raft scenarios found", all.len());
    for raft in &all {
        let (paxos, dropped) = to_paxos(raft);
        scenario::validate::validate(&paxos)
            .unwrap_or_else(|e| panic!("{} as paxos does not validate: {e}", raft.name));
        assert!(raft.bugs.is_empty(), "{} switches bugs on", raft.name);
        assert_eq!(
            paxos.faults.len() + dropped.iter().filter(|d| d.starts_with("faults")).count(),
            raft.faults.len()
        );
        match raft.name.as_str() {
            "fallacy-5-topology" => assert!(dropped.iter().any(|d| d.contains("add_server")), "{dropped:?}"),
            "fallacy-6-administrators" => {
                assert!(dropped.iter().any(|d| d.contains("reconfigure")), "{dropped:?}")
            }
            "raft-happy-path" | "raft-minority-partition" => assert!(dropped.is_empty(), "{dropped:?}"),
            _ => {}
        }
    }
}

#[test]
fn paxos_is_safe_on_every_raft_scenario_over_200_seeds() {
    let scenarios: Vec<Scenario> = raft_scenarios().iter().map(|s| to_paxos(s).0).collect();
    let runs: Vec<(&Scenario, u64)> =
        scenarios.iter().flat_map(|s| (1..=SEEDS).map(move |seed| (s, seed))).collect();
    let started = std::time::Instant::now();
    // Sweep-style: one simulation per (scenario, seed), no trace or recording, in parallel.
    let results: Vec<(String, u64, Vec<String>)> = runs
        .par_iter()
        .map(|&(s, seed)| {
            let o = runner::run(s, RunOptions::seed(seed)).expect("runs");
            (s.name.clone(), seed, o.failed_checks().into_iter().map(String::from).collect())
        })
        .collect();
    let unsafe_runs: Vec<_> = results
        .iter()
        .filter(|(_, _, failed)| failed.iter().any(|c| c != "liveness"))
        .map(|(name, seed, failed)| format!("{name} seed {seed}: {failed:?}"))
        .collect();
    let slow = results.iter().filter(|(_, _, f)| f.iter().any(|c| c == "liveness")).count();
    eprintln!(
        "{} runs ({} scenarios x {SEEDS} seeds) in {:.1} s; liveness failed on {slow}",
        results.len(),
        scenarios.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(unsafe_runs.is_empty(), "{} unsafe runs: {unsafe_runs:#?}", unsafe_runs.len());
}

/// A `Write` the test can read back after the run.
#[derive(Clone, Default)]
struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("unpoisoned").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_restarted_acceptor_catches_up_by_snapshot_over_a_slow_link() {
    // fallacy-3-bandwidth as Paxos: a follower crashes at 3 s and returns at 6 s, behind
    // the others' compaction point, so it needs a ~100 KB snapshot over a 400 KB/s link
    // whose 64 KB queue the leader's Accepts keep full. Sent as one message the snapshot
    // was tail-dropped at every retry and the acceptor never caught up (liveness still
    // passed: four servers are a majority). In chunks, with the leader holding back its
    // Accepts to that peer meanwhile, it installs a snapshot after its return.
    let raft = raft_scenarios().into_iter().find(|s| s.name == "fallacy-3-bandwidth").expect("shipped");
    let (s, _) = to_paxos(&raft);
    for seed in 1..=4 {
        let buf = SharedBuf::default();
        let opts = RunOptions { trace: Some(Box::new(buf.clone())), ..RunOptions::seed(seed) };
        let o = runner::run(&s, opts).expect("runs");
        assert!(o.passed, "seed {seed}: {:?}", o.failed_checks());
        let text = String::from_utf8(buf.0.lock().expect("unpoisoned").clone()).expect("utf-8 trace");
        let events: Vec<serde_json::Value> =
            text.lines().map(|l| serde_json::from_str(l).expect("a JSON trace line")).collect();
        let crashed = events
            .iter()
            .find(|e| e["ev"] == "crash")
            .and_then(|e| e["node"].as_str())
            .unwrap_or_else(|| panic!("seed {seed}: nobody crashed"))
            .to_string();
        let installed_after_return = events.iter().any(|e| {
            e["ev"] == "obs"
                && e["obs"] == "snapshot"
                && e["node"] == crashed.as_str()
                && e["t"].as_u64().is_some_and(|t| t > 6_000_000_000)
        });
        assert!(installed_after_return, "seed {seed}: {crashed} never installed a snapshot after its return");
        let biggest = events
            .iter()
            .filter(|e| e["ev"] == "send" && e["kind"] == "Snapshot")
            .filter_map(|e| e["size"].as_u64())
            .max()
            .unwrap_or(0);
        assert!(biggest > 0 && biggest < 34_000, "seed {seed}: a snapshot message of {biggest} bytes");
    }
}
