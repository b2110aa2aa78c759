//! A named bug switched on mid-run (`{"fault": "bug", "name": …}`): the build reaches exactly
//! the servers it names at its `at`, outlives their crashes (a server restarted while it is
//! deployed boots it again, as does one that was down when it came), goes away at the end of
//! its `for`, and is caught by the check it breaks — while the same run without it passes.

use eightfold::proto::raft::RaftNode;
use eightfold::proto::service::ServiceMsg;
use eightfold::runner::kv::KvNode;
use eightfold::runner::{self, RunOptions};
use eightfold::scenario::{self, Scenario};
use eightfold::sim::{NodeId, RngStreams, SimTime};
use eightfold::world::World;

type RaftWorld = World<KvNode<RaftNode<ServiceMsg>>>;

fn parse(faults: &str) -> Scenario {
    scenario::parse(&format!(
        r#"{{ "name": "bug-switch", "duration": "8s",
             "cluster": {{ "protocol": "raft", "nodes": 5 }},
             "network": {{ "default": {{ "latency": {{ "dist": "uniform", "min": "1ms", "max": "3ms" }} }} }},
             "workload": {{ "type": "kv", "clients": 3, "keys": 4 }},
             "faults": [{faults}] }}"#
    ))
    .expect("valid")
}

fn world(s: &Scenario) -> RaftWorld {
    let run = runner::protocol::KvRun::<runner::shipped::Raft>::new(s.cluster.protocol, s).expect("Raft");
    run.world(s, RngStreams::new(1), eightfold::workload::stream::HistoryLog::discard())
}

/// Which servers run `no_log_check` now (`None` for a server that is down).
fn buggy(w: &RaftWorld) -> Vec<Option<bool>> {
    (0..5)
        .map(|i| match w.node(NodeId(i)) {
            Some(KvNode::Server(r)) => Some(r.bugs().no_log_check),
            _ => None,
        })
        .collect()
}

fn ms(t: u64) -> SimTime {
    SimTime(t * 1_000_000)
}

#[test]
fn a_deployed_bug_reaches_the_servers_it_names_outlives_their_restarts_and_ends_with_its_for() {
    let s = parse(
        r#"{ "at": "500ms", "fault": "crash", "node": "n3", "for": "1s" },
           { "at": "1s", "fault": "bug", "name": "no_log_check", "nodes": ["n1", "n3"], "for": "3s" },
           { "at": "2s", "fault": "crash", "node": "n1", "for": "500ms" },
           { "at": "5s", "fault": "crash", "node": "n3", "for": "500ms" }"#,
    );
    let mut w = world(&s);
    w.run_until(ms(900));
    assert_eq!(buggy(&w), [Some(false), Some(false), None, Some(false), Some(false)], "nobody before 1 s");
    w.run_until(ms(1200));
    assert_eq!(
        buggy(&w),
        [Some(true), Some(false), None, Some(false), Some(false)],
        "n1 at once; n3 is down"
    );
    w.run_until(ms(1600));
    assert_eq!(buggy(&w)[2], Some(true), "n3 booted the build deployed while it was down");
    w.run_until(ms(2200));
    assert_eq!(buggy(&w)[0], None, "n1 crashed");
    w.run_until(ms(2600));
    assert_eq!(
        buggy(&w),
        [Some(true), Some(false), Some(true), Some(false), Some(false)],
        "and booted it again"
    );
    w.run_until(ms(4100));
    assert_eq!(buggy(&w), [Some(false); 5], "the fixed build at the end of the 3 s");
    w.run_until(ms(5600));
    assert_eq!(buggy(&w)[2], Some(false), "a restart after that boots the fixed build");
    // The fault log tells it: one window from 1 s to 4 s on n1 and n3.
    let r = w.fault_log().iter().find(|r| r.kind.name() == "bug").expect("logged");
    assert_eq!((r.start, r.end, r.nodes.clone()), (ms(1000), Some(ms(4000)), vec![NodeId(0), NodeId(2)]));
}

#[test]
fn two_overlapping_deployments_of_one_bug_leave_it_on_until_the_last_ends() {
    let s = parse(
        r#"{ "at": "1s", "fault": "bug", "name": "no_log_check", "for": "1s" },
           { "at": "1500ms", "fault": "bug", "name": "no_log_check", "nodes": ["n2"], "for": "1s" }"#,
    );
    let mut w = world(&s);
    w.run_until(ms(2100));
    assert_eq!(
        buggy(&w),
        [Some(false), Some(true), Some(false), Some(false), Some(false)],
        "n2's still holds"
    );
    w.run_until(ms(2600));
    assert_eq!(buggy(&w), [Some(false); 5]);
}

#[test]
fn without_nodes_every_server_gets_it_and_a_scenario_bug_is_not_switched_off_by_a_reconfigure_ending() {
    let s = parse(
        r#"{ "at": "1s", "fault": "bug", "name": "no_log_check" },
           { "at": "1500ms", "fault": "reconfigure", "node": "n2", "raft": { "heartbeat": "20ms" }, "for": "500ms" }"#,
    );
    let mut w = world(&s);
    w.run_until(ms(1100));
    assert_eq!(buggy(&w), [Some(true); 5]);
    w.run_until(ms(2100));
    assert_eq!(buggy(&w), [Some(true); 5], "going back to boot settings keeps the deployed build");
}

/// The shipped churn scenario with a bug deployed at 1 s: caught on every seed tried, while
/// the same seeds pass without it.
#[test]
fn a_bug_deployed_mid_run_is_caught_by_the_check_it_breaks() {
    let base =
        scenario::load(&super::common::root().join("scenarios/raft-leader-churn.json")).expect("ships");
    let mut text: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(super::common::root().join("scenarios/raft-leader-churn.json"))
            .expect("reads"),
    )
    .expect("json");
    text["faults"]
        .as_array_mut()
        .expect("faults")
        .push(serde_json::json!({"at": "1s", "fault": "bug", "name": "stale_follower_reads"}));
    let buggy = scenario::parse(&text.to_string()).expect("valid");
    runner::bugs::validate(&buggy).expect("a Raft bug");
    for seed in 1..=3 {
        let plain = runner::run(&base, RunOptions::seed(seed)).expect("runs");
        assert!(plain.passed, "seed {seed}: the shipped scenario passes");
        let out = runner::run(&buggy, RunOptions::seed(seed)).expect("runs");
        assert_eq!(out.failed_checks(), ["linearizable"], "seed {seed}");
    }
}

#[test]
fn a_paxos_bug_can_be_deployed_to_paxos_servers_and_is_caught() {
    let path = super::common::root().join("scenarios/paxos-leader-churn.json");
    let mut text: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("reads")).expect("json");
    text["faults"]
        .as_array_mut()
        .expect("faults")
        .push(serde_json::json!({"at": "1s", "fault": "bug", "name": "stale_leader_reads"}));
    let s = scenario::parse(&text.to_string()).expect("valid");
    runner::bugs::validate(&s).expect("a Paxos bug");
    let caught = (1..=20).find(|&seed| !runner::run(&s, RunOptions::seed(seed)).expect("runs").passed);
    assert!(caught.is_some(), "stale_leader_reads deployed at 1 s was never caught in 20 seeds");
}

#[test]
fn a_bug_fault_that_cannot_be_deployed_is_refused_naming_its_field() {
    let cases = [
        (r#"{"at": "1s", "fault": "bug", "name": "nonsense"}"#, "faults[0].name", "unknown bug"),
        (r#"{"at": "1s", "fault": "bug", "name": "no_auth"}"#, "faults[0].name", "envelope"),
        (r#"{"at": "1s", "fault": "bug", "name": "forget_promise"}"#, "faults[0].name", "a bug of paxos"),
        (
            r#"{"at": "1s", "fault": "bug", "name": "no_log_check", "nodes": []}"#,
            "faults[0].nodes",
            "at least one",
        ),
        (
            r#"{"at": "1s", "fault": "bug", "name": "no_log_check", "nodes": ["c1"]}"#,
            "faults[0].nodes[0]",
            "server",
        ),
        (r#"{"at": "1s", "fault": "bug", "name": "no_log_check", "node": "n1"}"#, "faults[0]", "node"),
        (r#"{"at": "1s", "fault": "bug"}"#, "faults[0]", "name"),
    ];
    let twice = scenario::parse(
        r#"{ "name": "x", "duration": "3s", "cluster": { "protocol": "raft", "nodes": 3 }, "bugs": ["no_log_check"],
             "workload": { "type": "kv", "clients": 1 }, "faults": [{"at": "1s", "fault": "bug", "name": "no_log_check"}] }"#,
    )
    .expect("parses");
    let e = runner::bugs::validate(&twice).expect_err("on twice").to_string();
    assert!(e.contains("faults[0].name") && e.contains("already on"), "{e}");
    for (fault, path, words) in cases {
        let text = format!(
            r#"{{ "name": "x", "duration": "3s", "cluster": {{ "protocol": "raft", "nodes": 3 }},
                 "workload": {{ "type": "kv", "clients": 1 }}, "faults": [{fault}] }}"#
        );
        let e = match scenario::parse(&text) {
            Err(e) => e.to_string(),
            Ok(s) => runner::bugs::validate(&s).expect_err(fault).to_string(),
        };
        assert!(e.contains(path) && e.contains(words), "{fault}: {e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
}
