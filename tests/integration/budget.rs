//! The event budget: a run whose events grow without bound stops with the check
//! `event_budget` failed, naming the budget and the busiest kinds, and still leaves a
//! report — in the kernel alone (a protocol that answers each message twice), on a shipped
//! scenario with an absurdly tight budget, and on the Multi-Paxos Fetch/Learn storm of
//! issue 14.

use super::common::{read_json, root, run_bin, tempdir};
use eightfold::disk::DiskConfig;
use eightfold::fault::Schedule;
use eightfold::net::{LinkProfile, LinkProfiles, Network};
use eightfold::runner::{self, RunOptions};
use eightfold::scenario::{self, Scenario};
use eightfold::sim::{Ctx, Message, Node, NodeId, RngStreams, SimDuration, SimTime, StorageView, TimerId};
use eightfold::world::{BUDGET_CHECK, EventBudget, Membership, World, WorldConfig};

/// A message that carries nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Echo;

impl Message for Echo {
    fn wire_size(&self) -> u32 {
        16
    }
    fn kind(&self) -> &'static str {
        "Echo"
    }
    fn encode(&self, _: &mut Vec<u8>) {}
    fn decode(_: &[u8]) -> Option<Self> {
        Some(Echo)
    }
}

/// A node that answers every message with two (a storm that doubles every round trip), or,
/// with `spin`, re-arms a zero-length timer for ever (time never moves).
struct Stormy {
    spin: bool,
}

impl Node for Stormy {
    type Msg = Echo;
    type Timer = TimerId;
    type Admin = eightfold::sim::Never;
    fn on_start(&mut self, ctx: &mut Ctx<'_, Echo>) {
        if ctx.id() == NodeId(0) {
            if self.spin {
                ctx.set_timer(TimerId(0), SimDuration::ZERO);
            } else {
                ctx.send(NodeId(1), Echo);
            }
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, Echo>, from: NodeId, _: Echo) {
        ctx.send(from, Echo);
        ctx.send(from, Echo);
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Echo>, t: TimerId) {
        ctx.set_timer(t, SimDuration::ZERO);
    }
}

fn stormy_world(spin: bool) -> World<Stormy> {
    let streams = RngStreams::new(1);
    let net = Network::new(2, streams.stream("net"), LinkProfiles::uniform(2, LinkProfile::default()));
    let config = WorldConfig {
        members: Membership::cluster(2, 0),
        streams,
        schedule: Schedule::new(2),
        client_start: SimTime::ZERO,
        disk: DiskConfig::default(),
        security: Default::default(),
    };
    let factory = move |_: NodeId, _: &dyn StorageView| Stormy { spin };
    World::new(config, net, Box::new(factory))
}

#[test]
fn the_kernel_stops_a_storm_at_its_budget_and_names_what_stormed() {
    let mut w = stormy_world(false);
    w.set_event_budget(EventBudget { per_second: 10_000 });
    w.run_until(SimTime(3_600_000_000_000));
    let halt = w.halted().expect("the storm is stopped");
    assert_eq!(halt.check, BUDGET_CHECK);
    assert!(halt.at < SimTime(1_000_000_000), "within the first simulated second: {}", halt.at);
    assert_eq!(w.counts().total, 10_001, "stopped at the first event past the budget");
    assert_eq!(w.peak_events_per_second(), 10_001);
    assert!(halt.detail.contains("limits.events_per_second = 10000"), "{}", halt.detail);
    assert!(halt.detail.contains("busiest kinds over its last 5001 events: Echo 5001"), "{}", halt.detail);
    assert!(halt.node == "n1" || halt.node == "n2", "{}", halt.node);
}

#[test]
fn a_timer_spinning_at_one_instant_is_stopped_too() {
    let mut w = stormy_world(true);
    w.set_event_budget(EventBudget { per_second: 1_000 });
    w.run_until(SimTime(1_000_000_000));
    let halt = w.halted().expect("stopped although virtual time never moved");
    assert_eq!((halt.at, halt.node.as_str()), (SimTime::ZERO, "n1"));
    assert!(halt.detail.contains("timer"), "{}", halt.detail);
}

#[test]
fn a_run_within_its_budget_is_not_stopped_and_reports_its_peak() {
    let mut w = stormy_world(false);
    // The default budget: 10 ms of doubling every millisecond is a few thousand events.
    w.run_until(SimTime(10_000_000));
    assert!(w.halted().is_none());
    assert!(w.counts().total > 1_000);
    assert_eq!(w.peak_events_per_second(), w.counts().total, "all in the first simulated second");
}

fn shipped(name: &str) -> Scenario {
    scenario::load(&root().join(format!("scenarios/{name}.json"))).expect("ships")
}

#[test]
fn a_tight_budget_stops_a_shipped_scenario_deterministically() {
    let mut s = shipped("raft-happy-path");
    s.limits.events_per_second = Some(2_000);
    let a = runner::run(&s, RunOptions::seed(1)).expect("runs");
    let b = runner::run(&s, RunOptions::seed(1)).expect("runs");
    assert!(!a.passed);
    assert_eq!(a.failed_checks(), vec![BUDGET_CHECK]);
    let halt = a.halted.as_ref().expect("halted");
    assert_eq!(halt.check, BUDGET_CHECK);
    assert!(halt.detail.contains("AppendEntries"), "message kinds by their own labels: {}", halt.detail);
    assert_eq!((a.digest.as_str(), a.events, &a.halted), (b.digest.as_str(), b.events, &b.halted));
    // The same scenario within its default budget passes, and says how busy it got.
    let normal = runner::run(&shipped("raft-happy-path"), RunOptions::seed(1)).expect("runs");
    assert!(normal.passed && !normal.checks.contains_key(BUDGET_CHECK));
    assert!(
        normal.peak_events_per_s > 2_000 && normal.peak_events_per_s < EventBudget::DEFAULT.per_second / 10
    );
}

/// Issue 14's Multi-Paxos scenario: with duplicated messages and batches of one, a lagging
/// learner's Fetch/Learn exchange grew ~1.5x every 10 ms, and seed 1 ran for minutes.
const FETCH_STORM: &str = r#"{"name": "paxos-fetch-storm", "seed": 1, "duration": "3s",
 "cluster": {"protocol": "paxos", "nodes": 3, "paxos": {"max_batch": 1}},
 "network": {"default": {"latency": {"dist": "uniform", "min": "1ms", "max": "5ms"}, "duplicate": 0.2}},
 "workload": {"type": "kv", "clients": 8, "keys": 3, "timeout": "100ms"},
 "faults": [{"at": "1s", "for": "400ms", "fault": "crash", "node": "follower"}]}"#;

#[test]
fn the_paxos_fetch_storm_ends_within_its_budget() {
    let s = scenario::parse(FETCH_STORM).expect("valid");
    let o = runner::run(&s, RunOptions::seed(1)).expect("runs");
    // Whatever the Paxos code does, the run ends: either the storm never happens or the
    // budget stops it, having handled no more than the budget in any simulated second.
    assert!(o.peak_events_per_s <= EventBudget::DEFAULT.per_second + 1);
    assert!(o.events <= EventBudget::DEFAULT.per_second * 3 + 1);
    if let Some(h) = &o.halted {
        assert_eq!(h.check, BUDGET_CHECK);
        assert!(h.detail.contains("Fetch") && h.detail.contains("Learn"), "{}", h.detail);
    }
    // A budget far below the run's normal rate stops it whatever the protocol does, and
    // names the protocol's own message kinds.
    let mut tight = s.clone();
    tight.limits.events_per_second = Some(3_000);
    let o = runner::run(&tight, RunOptions::seed(1)).expect("runs");
    let h = o.halted.as_ref().expect("stopped by the budget");
    assert_eq!(h.check, BUDGET_CHECK);
    assert!(h.detail.contains("Accept") || h.detail.contains("Fetch"), "{}", h.detail);
    assert!(o.events <= 3_001 * 3);
}

#[test]
fn the_cli_writes_a_report_for_a_run_stopped_by_its_budget() {
    let dir = tempdir("budget-report");
    let mut v = read_json(&root().join("scenarios/raft-happy-path.json"));
    v["limits"] = serde_json::json!({"events_per_second": 2000});
    let file = dir.join("tight.json");
    std::fs::write(&file, v.to_string()).expect("write");
    let o = run_bin(&["run", file.to_str().expect("utf8"), "--out", dir.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("check event_budget: FAIL"), "{stdout}");
    assert!(stdout.contains("at most 2000 events per simulated second"), "the parameters say so: {stdout}");
    let report = dir.join("raft-happy-path-seed1");
    let outcome = read_json(&report.join("outcome.json"));
    assert_eq!(outcome["checks"]["event_budget"]["status"], "fail");
    assert_eq!(outcome["halted"]["check"], "event_budget");
    assert!(outcome["peak_events_per_s"].as_u64().expect("peak") > 2000);
    assert!(report.join("index.html").exists() && report.join("history.json").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_budget_outside_its_range_is_refused_with_one_line() {
    let dir = tempdir("budget-bad");
    for (value, expect) in [
        ("0", "limits.events_per_second: expected between 1 and 1000000000"),
        ("2000000000", "limits.events_per_second: expected between 1 and 1000000000"),
        ("-5", "limits.events_per_second"),
        ("\"fast\"", "limits.events_per_second"),
    ] {
        let mut v = read_json(&root().join("scenarios/raft-happy-path.json"));
        v["limits"] = serde_json::from_str(&format!("{{\"events_per_second\": {value}}}")).expect("json");
        let file = dir.join("bad.json");
        std::fs::write(&file, v.to_string()).expect("write");
        let o = run_bin(&["validate", file.to_str().expect("utf8")]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{value}: {err}");
        assert!(err.contains(expect) && err.trim().lines().count() == 1, "{value}: {err}");
    }
    let mut v = read_json(&root().join("scenarios/raft-happy-path.json"));
    v["limits"] = serde_json::json!({"events_per_secnd": 5});
    let file = dir.join("typo.json");
    std::fs::write(&file, v.to_string()).expect("write");
    let o = run_bin(&["validate", file.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(dir);
}
