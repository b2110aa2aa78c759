//! Raft in the full simulator: elections, leader failure, partitions, crash recovery from
//! disk, torn WAL tails, and a crash-restart storm over many seeds.

use std::collections::BTreeMap;

use super::common::root;
use eightfold::check::leadership::Leadership;
use eightfold::net::Cut;
use eightfold::runner::kv::KvNode;
use eightfold::runner::{self, RunOptions};
use eightfold::scenario::{self, Scenario};
use eightfold::sim::{NodeId, RngStreams, Role, SimTime};
use eightfold::workload::history::{OpKind, OpOutcome};
use eightfold::world::World;

fn load(name: &str) -> Scenario {
    scenario::load(&root().join(format!("scenarios/{name}.json"))).expect("shipped scenario")
}

/// A Raft run's world: servers of the shipped Raft registration, typed.
type RaftWorld = World<KvNode<eightfold::proto::raft::RaftNode<eightfold::proto::service::ServiceMsg>>>;

fn world(s: &Scenario, seed: u64) -> RaftWorld {
    let streams = RngStreams::new(seed);
    let run = runner::protocol::KvRun::<runner::shipped::Raft>::new(s.cluster.protocol, s)
        .expect("a Raft scenario");
    let log = eightfold::workload::stream::HistoryLog::discard();
    let mut w = run.world(s, streams, log);
    let n = s.cluster.nodes as usize;
    w.add_observer(Box::new(eightfold::check::invariants::Invariants::new(n)));
    w.add_observer(Box::new(Leadership::new(n)));
    w
}

fn raft(
    w: &RaftWorld,
    i: u32,
) -> Option<&eightfold::proto::raft::RaftNode<eightfold::proto::service::ServiceMsg>> {
    match w.node(NodeId(i)) {
        Some(KvNode::Server(r)) => Some(r),
        _ => None,
    }
}

fn ms(t: u64) -> SimTime {
    SimTime(t * 1_000_000)
}

#[test]
fn a_leader_is_elected_within_a_few_election_timeouts() {
    let s = load("raft-happy-path");
    for seed in 1..=20 {
        let mut w = world(&s, seed);
        w.run_until(ms(2000));
        let first =
            w.observer::<Leadership>().expect("installed").reigns().first().cloned().expect("a leader");
        // Election timeouts are 150-300 ms: a leader within three of them.
        assert!(first.start <= ms(900), "seed {seed}: first leader at {}", first.start);
        let leaders = (0..5).filter(|&i| raft(&w, i).is_some_and(|r| r.role() == Role::Leader)).count();
        assert_eq!(leaders, 1, "seed {seed}: exactly one leader in a healthy cluster");
    }
}

#[test]
fn a_crashed_leader_is_replaced_and_the_cluster_keeps_committing() {
    let s = load("raft-leader-crash");
    let mut w = world(&s, 1);
    w.run_until(ms(2999));
    let old = (0..5)
        .find(|&i| raft(&w, i).is_some_and(|r| r.role() == Role::Leader))
        .expect("a leader before the crash");
    let commit_before = raft(&w, (old + 1) % 5).expect("up").commit_index();
    w.run_until(ms(5900));
    assert!(raft(&w, old).is_none(), "the old leader is down");
    let new = (0..5).find(|&i| raft(&w, i).is_some_and(|r| r.role() == Role::Leader)).expect("a new leader");
    assert_ne!(new, old);
    let commit_after = raft(&w, new).expect("up").commit_index();
    assert!(
        commit_after.0 > commit_before.0 + 100,
        "committing continued: {commit_before:?} -> {commit_after:?}"
    );
    let out = runner::run(&s, RunOptions::seed(1)).expect("runs");
    assert!(out.passed, "{:?}", out.checks);
}

#[test]
fn a_minority_commits_nothing_its_stale_leader_steps_down_and_logs_converge_after_heal() {
    let mut s = load("raft-minority-partition");
    // Stop the clients a little before the end so every log can settle.
    if let Some(scenario::WorkloadSpec::Kv(k)) = &mut s.workload {
        k.stop = Some(scenario::units::HumanDuration(eightfold::sim::SimDuration::from_secs(8)));
    }
    for seed in 1..=5 {
        let mut w = world(&s, seed);
        w.run_until(ms(3000));
        let Some(Cut::Groups(sides)) = w.fault_log()[0].cut() else {
            panic!("a partition: {:?}", w.fault_log())
        };
        let minority: Vec<u32> = sides[0].iter().map(|n| n.0).collect();
        assert_eq!(minority.len(), 2, "seed {seed}: {:?}", w.fault_log()[0]);
        w.run_until(ms(3050));
        let frozen: BTreeMap<u32, u64> =
            minority.iter().map(|&i| (i, raft(&w, i).expect("up").commit_index().0)).collect();
        w.run_until(ms(6990));
        for &i in &minority {
            let r = raft(&w, i).expect("up");
            assert_eq!(
                r.commit_index().0,
                frozen[&i],
                "seed {seed}: minority n{} committed during the partition",
                i + 1
            );
            assert_ne!(
                r.role(),
                Role::Leader,
                "seed {seed}: the stale leader n{} must step down (check-quorum)",
                i + 1
            );
        }
        let majority_leader = (0..5)
            .filter(|i| !minority.contains(i))
            .find(|&i| raft(&w, i).is_some_and(|r| r.role() == Role::Leader));
        assert!(majority_leader.is_some(), "seed {seed}: the majority elects a leader");
        w.run_until(ms(10_000));
        let states: Vec<(u64, u64, u64)> = (0..5)
            .map(|i| {
                let r = raft(&w, i).expect("up");
                (r.last_index().0, r.commit_index().0, r.store().fingerprint())
            })
            .collect();
        assert!(states.windows(2).all(|p| p[0] == p[1]), "seed {seed}: logs did not converge: {states:?}");
    }
}

#[test]
fn a_restarted_node_keeps_what_it_fsynced_and_truncates_a_torn_tail() {
    let s = load("raft-crash-restart-storm");
    let mut torn_seen = 0;
    for seed in 1..=30 {
        let mut w = world(&s, seed);
        w.run_until(ms(12_000));
        assert!(w.halted().is_none(), "seed {seed}: {:?}", w.halted());
        torn_seen += (0..5).map(|i| w.disk(NodeId(i)).stats().torn_writes).sum::<u64>();
        for i in 0..5 {
            let r = raft(&w, i).expect("everyone is back up at the end");
            assert!(r.refused().is_none(), "seed {seed}: n{} refused its disk: {:?}", i + 1, r.refused());
            // A restarted node keeps the term it persisted: terms only grow.
            assert!(r.term().0 >= 1);
        }
    }
    assert!(torn_seen > 0, "the storm must produce torn writes for recovery to cut off");
}

#[test]
fn crash_restart_storm_over_200_seeds_loses_no_acknowledged_write() {
    let mut s = load("raft-crash-restart-storm");
    // Appends only: every acknowledged append must be visible in the final value of its key.
    if let Some(scenario::WorkloadSpec::Kv(k)) = &mut s.workload {
        k.mix = Some(scenario::MixSpec { get: 0.0, put: 0.0, append: 1.0, cas: 0.0 });
        k.stop = Some(scenario::units::HumanDuration(eightfold::sim::SimDuration::from_secs(9)));
    }
    for seed in 1..=200 {
        let out = runner::run_full(&s, RunOptions::seed(seed)).expect("runs");
        assert!(out.outcome.passed, "seed {seed}: {:?}", out.outcome.checks);
        let mut w = world(&s, seed);
        w.run_until(ms(12_000));
        let leader = (0..5)
            .find_map(|i| raft(&w, i).filter(|r| r.role() == Role::Leader))
            .expect("a leader at the end");
        let history = out.history.expect("kv run");
        let mut acked = 0;
        for op in history.ops.iter().filter(|o| o.op == OpKind::Append && o.outcome == OpOutcome::Ok) {
            let key: u32 = op.key[1..].parse::<u32>().expect("k<n>") - 1;
            let value = match leader.store().read(key) {
                eightfold::proto::kv::KvResult::Value(v) => v.unwrap_or_default(),
                other => panic!("{other:?}"),
            };
            let token = op.value.as_deref().expect("append value").trim_end_matches(';');
            assert!(
                value.split(';').any(|t| t == token),
                "seed {seed}: acknowledged append {token} to {} is lost",
                op.key
            );
            acked += 1;
        }
        assert!(acked > 100, "seed {seed}: only {acked} acknowledged appends");
    }
}
