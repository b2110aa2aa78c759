//! Issue 14, point 4: the liveness check must have teeth. Three scenarios a tester wrote to
//! break it, kept as regression tests: a dead network masked by a fault that does nothing,
//! writes that can never fit a link's queue while reads go through, and a majority of
//! disks destroyed two different ways (one rule, one reason).

use super::common::{run_bin, tempdir};
use eightfold::check::{CheckResult, Status};
use eightfold::runner::{self, RunOptions};
use eightfold::scenario::{self, Scenario};

fn parse(text: &str) -> Scenario {
    scenario::parse(text).expect("a valid scenario")
}

fn liveness(s: &Scenario, seed: u64) -> CheckResult {
    let o = runner::run(s, RunOptions::seed(seed)).expect("runs");
    o.checks.get("liveness").cloned().expect("a key-value run has a liveness check")
}

const DEAD_MASKED: &str = r#"{"name": "dead-masked", "duration": "20s",
    "cluster": {"protocol": "raft", "nodes": 3},
    "network": {"default": {"loss": 1.0}},
    "workload": {"type": "kv", "clients": 2},
    "faults": [FAULT]}"#;

#[test]
fn a_dead_network_fails_even_with_a_fault_that_cannot_stop_progress() {
    let faults = [
        r#"{"at": "1s", "fault": "clock", "node": "n1", "drift": 0.0}"#,
        r#"{"at": "1s", "fault": "slow_node", "node": "n2", "factor": 1}"#,
        "",
    ];
    for f in faults {
        let s = parse(&DEAD_MASKED.replace("FAULT", f));
        for seed in 1..=3 {
            let c = liveness(&s, seed);
            assert_eq!(c.status, Status::Fail, "with [{f}] seed {seed}: {}", c.detail);
            assert!(c.detail.contains("got no ok"), "{}", c.detail);
        }
    }
    // A clock that really drifts, to the end, can delay elections: that is not judged.
    let s =
        parse(&DEAD_MASKED.replace("FAULT", r#"{"at": "1s", "fault": "clock", "node": "n1", "drift": 0.5}"#));
    let c = liveness(&s, 1);
    assert_eq!(c.status, Status::NotJudged, "{}", c.detail);
}

const QUEUE_STARVED: &str = r#"{"name": "queue-starved", "duration": "10s",
    "cluster": {"protocol": "raft", "nodes": 3},
    "network": {"default": {"bandwidth": "2MB/s", "queue": "QUEUE"}},
    "workload": {"type": "kv", "clients": 4, "value_size": "8KB", "mix": {"get": 0.2, "put": 0.8}}}"#;

#[test]
fn writes_that_never_fit_a_queue_fail_liveness_even_when_reads_succeed() {
    let s = parse(&QUEUE_STARVED.replace("QUEUE", "4KB"));
    for seed in 1..=3 {
        let o = runner::run_full(&s, RunOptions::seed(seed)).expect("runs");
        let h = o.history.expect("key-value run");
        use eightfold::workload::history::{OpKind, OpOutcome};
        let ok = |k: OpKind| h.ops.iter().filter(|op| op.op == k && op.outcome == OpOutcome::Ok).count();
        assert_eq!(ok(OpKind::Put), 0, "seed {seed}: no put fits the queue");
        let c = &o.outcome.checks["liveness"];
        assert_eq!(c.status, Status::Fail, "seed {seed}: {}", c.detail);
        assert!(c.detail.contains("got no ok put"), "{}", c.detail);
        assert!(!o.outcome.passed, "seed {seed}: a failed liveness check fails the run");
        // The failure carries its instant: one bound (4 s by default) after the first put
        // that never succeeded was sent, and the report's step-through stops there.
        let first_put = h.ops.iter().filter(|op| op.op == OpKind::Put).map(|op| op.invoke_ns).min();
        let bound = 4_000_000_000;
        assert_eq!(c.at.map(|t| t.0), first_put.map(|t| t + bound), "seed {seed}");
        let stops = eightfold::report::html::ops::check_failures(&o.outcome);
        assert!(
            stops.iter().any(|(t, what)| Some(*t) == c.at.map(|a| a.0) && what.starts_with("liveness: "))
        );
    }
    // The same scenario with a queue that holds a value passes.
    let roomy = parse(&QUEUE_STARVED.replace("QUEUE", "64KB"));
    let c = liveness(&roomy, 1);
    assert_eq!(c.status, Status::Pass, "{}", c.detail);
}

#[test]
fn validation_warns_when_a_written_value_can_never_fit_a_link_queue() {
    let s = parse(&QUEUE_STARVED.replace("QUEUE", "4KB"));
    let w = runner::kv::warnings(&s);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].field, "network.default.queue");
    assert!(w[0].text.contains("8016B"), "{}", w[0]);
    assert!(runner::kv::warnings(&parse(&QUEUE_STARVED.replace("QUEUE", "64KB"))).is_empty());
    // Reads only: nothing written, nothing to warn about.
    let reads = QUEUE_STARVED
        .replace("QUEUE", "4KB")
        .replace(r#""get": 0.2, "put": 0.8"#, r#""get": 1.0, "put": 0.0"#);
    assert!(runner::kv::warnings(&parse(&reads)).is_empty());
    // The command line says it on standard error, once, and still accepts the file.
    let dir = tempdir("liveness-warning");
    let path = dir.join("queue-starved.json");
    std::fs::write(&path, QUEUE_STARVED.replace("QUEUE", "4KB")).expect("write");
    let out = run_bin(&["validate", path.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("warning:").count(), 1, "{err}");
    assert!(err.contains("network.default.queue"), "{err}");
}

/// Disks of n1-n3 of 5 hit at 2 s by `fault` (with `extra` fields), then each server
/// crashed for 100 ms.
fn disks(fault: &str, extra: &str) -> Scenario {
    let hit = |n: &str| format!(r#"{{"at": "2s", "fault": "{fault}", "node": "{n}"{extra}}}"#);
    let crash = |n: &str| format!(r#"{{"at": "2.001s", "for": "100ms", "fault": "crash", "node": "{n}"}}"#);
    let faults: Vec<String> = ["n1", "n2", "n3"]
        .iter()
        .map(|n| hit(n))
        .chain(["n1", "n2", "n3"].iter().map(|n| crash(n)))
        .collect();
    parse(&format!(
        r#"{{"name": "disks-{fault}", "duration": "10s", "cluster": {{"protocol": "raft", "nodes": 5}},
            "workload": {{"type": "kv", "clients": 3}}, "faults": [{}]}}"#,
        faults.join(", ")
    ))
}

#[test]
fn a_majority_of_destroyed_disks_is_not_judged_with_one_reason_whatever_destroyed_them() {
    let corrupt = disks("corrupt_disk", "");
    let fsync = disks("fail_fsync", r#", "count": 10"#);
    for seed in 1..=3 {
        let a = liveness(&corrupt, seed);
        let b = liveness(&fsync, seed);
        assert_eq!(a.status, Status::NotJudged, "corrupt_disk seed {seed}: {}", a.detail);
        assert_eq!(b.status, Status::NotJudged, "fail_fsync seed {seed}: {}", b.detail);
        assert_eq!(a.detail, b.detail, "seed {seed}: one rule, one reason");
        assert!(a.detail.contains("3 of 5 servers") && a.detail.contains("n1, n2, n3"), "{}", a.detail);
    }
}

/// A gossip run whose partition never heals cannot converge; the failed verdict is stamped
/// with the end of the run (when a live server still lacked a value), so the report's
/// step-through has a check-failure stop there; the healed run passes with no instant.
#[test]
fn a_convergence_failure_is_stamped_with_the_end_of_the_run() {
    let text = r#"{"name": "never-heals", "duration": "4s",
        "cluster": {"protocol": "gossip", "nodes": 4, "gossip": {"interval": "100ms", "fanout": 0}},
        "workload": {"type": "broadcast", "clients": 2, "values": 20, "interval": "50ms"},
        "faults": [{"at": "500ms", FOR "fault": "partition", "groups": [["n1", "n2"], ["n3", "n4"]]}]}"#;
    let s = parse(&text.replace("FOR", ""));
    let o = runner::run(&s, RunOptions::seed(1)).expect("runs");
    let c = &o.checks["convergence"];
    assert_eq!(c.status, Status::Fail, "{}", c.detail);
    assert_eq!(c.at.map(|t| t.0), Some(4_000_000_000));
    let stops = eightfold::report::html::ops::check_failures(&o);
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert!(stops[0].0 == 4_000_000_000 && stops[0].1.starts_with("convergence: "), "{stops:?}");
    let healed = parse(&text.replace("FOR", r#""for": "1s","#));
    let o = runner::run(&healed, RunOptions::seed(1)).expect("runs");
    let c = &o.checks["convergence"];
    assert_eq!((c.status, c.at), (Status::Pass, None), "{}", c.detail);
}
