//! The command line: exit codes, one-line errors that name the field, and no report for
//! bad input.

mod common;

use std::path::Path;

use common::{read_json, root, run_bin, tempdir};

/// Writes `json` to a scenario file, runs `eightfold run` on it, and checks it is rejected
/// with exit 2, a single line naming `field`, and no report.
fn rejected(name: &str, json: &str, field: &str) {
    let dir = tempdir(&format!("bad-{name}"));
    let file = dir.join("bad.json");
    std::fs::write(&file, json).expect("write scenario");
    let out = dir.join("reports");
    let o = run_bin(&["run", file.to_str().expect("utf8"), "--out", out.to_str().expect("utf8")]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: expected one line, got {stderr}");
    assert!(stderr.contains(field), "{name}: message does not name `{field}`: {stderr}");
    assert!(
        !out.exists() || std::fs::read_dir(&out).expect("readable").next().is_none(),
        "{name}: a report was written"
    );
    let v = run_bin(&["validate", file.to_str().expect("utf8")]);
    assert_eq!(v.status.code(), Some(2), "{name}: validate must reject too");
    let _ = std::fs::remove_dir_all(dir);
}

const GOOD: &str = r#"{
  "name": "t", "duration": "2s",
  "cluster": {"protocol": "gossip", "nodes": 3},
  "workload": {"type": "broadcast", "values": 5, "interval": "10ms"},
  "faults": [FAULTS]
}"#;

fn good() -> String {
    with_faults("")
}

fn with_faults(f: &str) -> String {
    GOOD.replace("FAULTS", f)
}

#[test]
fn malformed_json_is_rejected() {
    rejected("malformed", r#"{"name": "t", "duration": "2s",,}"#, "not valid JSON");
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    rejected("unknown-top", &good().replace("\"name\"", "\"nmae\": 1, \"name\""), "nmae");
    rejected(
        "unknown-nested",
        &good().replace("\"nodes\": 3", "\"nodes\": 3, \"lattency\": \"1ms\""),
        "cluster.lattency",
    );
}

#[test]
fn bad_units_are_rejected() {
    rejected("bad-unit", &good().replace("\"2s\"", "\"2 parsecs\""), "duration");
    rejected("bare-number", &good().replace("\"2s\"", "2"), "duration");
    let json = good()
        .replace("\"cluster\"", "\"network\": {\"default\": {\"bandwidth\": \"10 furlongs\"}}, \"cluster\"");
    rejected("bad-rate", &json, "network.default.bandwidth");
}

#[test]
fn unknown_nodes_are_rejected() {
    rejected(
        "unknown-node",
        &with_faults(r#"{"at": "1s", "fault": "isolate", "node": "n7"}"#),
        "faults[0].node",
    );
    let dir = tempdir("unknown-node-msg");
    let file = dir.join("s.json");
    std::fs::write(
        &file,
        with_faults(r#"{"at": "1s", "fault": "heal"}, {"at": "1s", "fault": "isolate", "node": "n7"}"#),
    )
    .expect("write");
    let o = run_bin(&["validate", file.to_str().expect("utf8")]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("faults[1].node: node n7 does not exist, the cluster has 3 nodes"), "{e}");
    rejected(
        "unknown-group-node",
        &with_faults(r#"{"at": "1s", "fault": "partition", "groups": [["n1", "n9"]]}"#),
        "faults[0].groups[0][1]",
    );
    rejected(
        "unknown-client",
        &with_faults(r#"{"at": "1s", "fault": "isolate", "node": "c4"}"#),
        "faults[0].node",
    );
    rejected(
        "bad-node-name",
        &with_faults(r#"{"at": "1s", "fault": "isolate", "node": "server1"}"#),
        "faults[0]",
    );
}

#[test]
fn negative_durations_are_rejected() {
    rejected("negative", &good().replace("\"2s\"", "\"-2s\""), "duration");
    rejected("negative-at", &with_faults(r#"{"at": "-1s", "fault": "heal"}"#), "faults[0]");
}

#[test]
fn faults_after_the_end_are_rejected() {
    rejected("after-end", &with_faults(r#"{"at": "3s", "fault": "heal"}"#), "faults[0].at");
    rejected(
        "for-past-end",
        &with_faults(r#"{"at": "1s", "for": "5s", "fault": "isolate", "node": "n1"}"#),
        "faults[0].for",
    );
}

#[test]
fn other_impossible_scenarios_are_rejected() {
    rejected("zero-nodes", &good().replace("\"nodes\": 3", "\"nodes\": 0"), "cluster.nodes");
    rejected(
        "bad-probability",
        &good().replace("\"cluster\"", "\"network\": {\"default\": {\"loss\": 1.5}}, \"cluster\""),
        "network.default.loss",
    );
    rejected("unknown-fault", &with_faults(r#"{"at": "1s", "fault": "meteor"}"#), "faults[0]");
    rejected(
        "node-in-two-groups",
        &with_faults(r#"{"at": "1s", "fault": "partition", "groups": [["n1"], ["n1", "n2"]]}"#),
        "faults[0].groups[1][0]",
    );
    rejected("missing-file", "", "bad.json");
    // A timer so short the run would crawl (found by fuzzing: clients retrying every
    // 200 ns turned a two-second run into minutes).
    rejected(
        "tiny-client-timeout",
        &kv_with("paxos", "", "").replace(r#""clients": 2"#, r#""clients": 2, "timeout": "200ns""#),
        "workload.timeout",
    );
    rejected(
        "tiny-heartbeat",
        &kv_with("raft", r#", "raft": {"heartbeat": "50us"}"#, ""),
        "cluster.raft.heartbeat",
    );
}

#[test]
fn impossible_flags_exit_2() {
    let s = root().join("scenarios/gossip-happy-path.json");
    let s = s.to_str().expect("utf8");
    for args in [
        vec!["run", s, "--seed", "-1"],
        vec!["run", s, "--seed", "ten"],
        vec!["run"],
        vec!["frobnicate"],
        vec!["bench", "ring", "--deliveries", "0"],
    ] {
        let o = run_bin(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let dir = tempdir("out-is-file");
    let f = dir.join("file");
    std::fs::write(&f, "x").expect("write");
    let o = run_bin(&["run", s, "--out", f.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
}

#[test]
fn run_writes_a_complete_report_and_prints_the_digest_last() {
    let dir = tempdir("run-report");
    let s = root().join("scenarios/gossip-partition-heal.json");
    let o = run_bin(&["run", s.to_str().expect("utf8"), "--seed", "3", "--out", dir.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.starts_with("effective parameters:"), "{stdout}");
    assert!(stdout.contains("seed: 3"));
    let report = dir.join("gossip-partition-heal-seed3");
    let outcome = read_json(&report.join("outcome.json"));
    let digest = outcome["digest"].as_str().expect("digest");
    assert!(stdout.trim_end().ends_with(digest), "the summary must end with the digest");
    for key in ["scenario", "seed", "digest", "events", "sim_time_ns", "passed", "checks", "network"] {
        assert!(outcome.get(key).is_some(), "outcome.json lacks {key}");
    }
    for key in ["sent", "delivered", "dropped", "duplicated", "bytes"] {
        assert!(outcome["network"].get(key).is_some(), "network lacks {key}");
    }
    assert_eq!(outcome["checks"]["convergence"]["status"], "pass");
    assert!(report.join("scenario.json").exists());
    assert!(!report.join("trace.jsonl").exists(), "no trace without --trace");
    // Nothing temporary is left behind.
    let leftovers: Vec<_> =
        std::fs::read_dir(&dir).expect("readable").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    // Running again replaces the report atomically.
    let o = run_bin(&[
        "run",
        s.to_str().expect("utf8"),
        "--seed",
        "3",
        "--out",
        dir.to_str().expect("utf8"),
        "--trace",
        "-q",
    ]);
    assert!(o.status.success());
    assert!(report.join("trace.jsonl").exists());
    assert!(Path::new(&report).join("outcome.json").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    for p in common::shipped_scenarios() {
        let o = run_bin(&["validate", p.to_str().expect("utf8")]);
        assert!(o.status.success(), "{}: {}", p.display(), String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn bench_ring_prints_one_json_line() {
    let o = run_bin(&["bench", "ring", "--deliveries", "100000"]);
    assert!(o.status.success());
    let line = String::from_utf8_lossy(&o.stdout);
    assert_eq!(line.trim().lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("JSON");
    assert_eq!(v["deliveries"], 100000);
    for k in ["sim_time_s", "wall_s", "deliveries_per_s", "peak_rss_kb"] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
}

const RAFT: &str = r#"{
  "name": "t", "duration": "10s",
  "cluster": {"protocol": "raft", "nodes": 3 ZONES},
  "network": {"default": {"latency": "1ms"} ZONELINKS},
  "workload": {"type": "kv", "clients": 2},
  "faults": [FAULTS]
}"#;

fn raft_with(faults: &str) -> String {
    RAFT.replace("FAULTS", faults).replace(" ZONES", "").replace(" ZONELINKS", "")
}

/// Every fault kind: a missing target, a node that does not exist, a bad value.
#[test]
fn every_fault_kind_rejects_a_missing_or_unknown_target() {
    let missing = [
        ("partition", r#"{"at": "1s", "fault": "partition"}"#),
        ("partition_oneway", r#"{"at": "1s", "fault": "partition_oneway", "from": ["n1"]}"#),
        ("isolate", r#"{"at": "1s", "fault": "isolate"}"#),
        ("crash", r#"{"at": "1s", "fault": "crash"}"#),
        ("restart", r#"{"at": "1s", "fault": "restart"}"#),
        ("pause", r#"{"at": "1s", "fault": "pause"}"#),
        ("resume", r#"{"at": "1s", "fault": "resume"}"#),
        ("link_down", r#"{"at": "1s", "fault": "link_down", "from": ["n1"]}"#),
        ("link_up", r#"{"at": "1s", "fault": "link_up", "to": ["n1"]}"#),
        ("latency_spike", r#"{"at": "1s", "fault": "latency_spike", "node": "n1"}"#),
        ("degrade", r#"{"at": "1s", "fault": "degrade", "from": ["n1"], "to": ["n2"]}"#),
        ("replay", r#"{"at": "1s", "fault": "replay"}"#),
        ("forge", r#"{"at": "1s", "fault": "forge"}"#),
        ("clock", r#"{"at": "1s", "fault": "clock", "drift": 0.1}"#),
        ("reconfigure", r#"{"at": "1s", "fault": "reconfigure", "node": "n1"}"#),
        ("add_server", r#"{"at": "1s", "fault": "add_server"}"#),
        ("remove_server", r#"{"at": "1s", "fault": "remove_server"}"#),
        ("rolling_restart", r#"{"at": "1s", "fault": "rolling_restart", "interval": "1s"}"#),
        ("slow_node", r#"{"at": "1s", "fault": "slow_node", "node": "n1"}"#),
        ("slow_disk", r#"{"at": "1s", "fault": "slow_disk", "factor": 3}"#),
        ("corrupt_disk", r#"{"at": "1s", "fault": "corrupt_disk"}"#),
        ("fail_fsync", r#"{"at": "1s", "fault": "fail_fsync"}"#),
        ("no kind", r#"{"at": "1s", "node": "n1"}"#),
        ("no time", r#"{"fault": "heal"}"#),
    ];
    for (kind, f) in missing {
        rejected(&format!("missing-{kind}"), &raft_with(f), "faults[0]");
    }
    let unknown_node = [
        r#"{"at": "1s", "fault": "partition", "groups": [["n1"], ["n7"]]}"#,
        r#"{"at": "1s", "fault": "partition_oneway", "from": ["n7"], "to": ["n1"]}"#,
        r#"{"at": "1s", "fault": "isolate", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "crash", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "restart", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "pause", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "resume", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "link_down", "from": ["n1"], "to": ["n7"]}"#,
        r#"{"at": "1s", "fault": "link_up", "from": ["n7"], "to": ["n1"]}"#,
        r#"{"at": "1s", "fault": "latency_spike", "node": "n7", "factor": 3}"#,
        r#"{"at": "1s", "fault": "degrade", "from": ["n7"], "to": ["n1"], "profile": {"loss": 0.5}}"#,
        r#"{"at": "1s", "fault": "bridge", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "clock", "node": "n7", "drift": 0.1}"#,
        r#"{"at": "1s", "fault": "reconfigure", "node": "n7", "raft": {"heartbeat": "10ms"}}"#,
        r#"{"at": "1s", "fault": "add_server", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "remove_server", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "slow_node", "node": "n7", "factor": 3}"#,
        r#"{"at": "1s", "fault": "slow_disk", "node": "n7", "factor": 3}"#,
        r#"{"at": "1s", "fault": "corrupt_disk", "node": "n7"}"#,
        r#"{"at": "1s", "fault": "fail_fsync", "node": "n7"}"#,
    ];
    for (i, f) in unknown_node.iter().enumerate() {
        rejected(&format!("unknown-node-{i}"), &raft_with(f), "node n7 does not exist");
    }
    let bad_values = [
        (r#"{"at": "1s", "fault": "latency_spike", "node": "n1", "factor": -2}"#, "faults[0].factor"),
        (r#"{"at": "1s", "fault": "slow_node", "node": "n1", "factor": 0}"#, "faults[0].factor"),
        (r#"{"at": "1s", "fault": "clock", "node": "n1", "drift": 20}"#, "faults[0].drift"),
        (r#"{"at": "1s", "fault": "replay", "interval": "1us"}"#, "faults[0].interval"),
        (r#"{"at": "1s", "fault": "fail_fsync", "node": "n1", "count": 0}"#, "faults[0].count"),
        (
            r#"{"at": "1s", "fault": "reconfigure", "node": "n1", "raft": {"read_mode": "lease"}}"#,
            "faults[0].raft.read_mode",
        ),
        (
            r#"{"at": "1s", "fault": "rolling_restart", "interval": "5s", "downtime": "1s"}"#,
            "faults[0].interval",
        ),
        (r#"{"at": "1s", "fault": "crash", "node": "c1"}"#, "faults[0].node"),
        (r#"{"at": "1s", "for": "1s", "fault": "heal"}"#, "faults[0].for"),
        (r#"{"at": "1s", "fault": "ring"}"#, "faults[0]"),
    ];
    for (i, (f, field)) in bad_values.iter().enumerate() {
        rejected(&format!("bad-value-{i}"), &raft_with(f), field);
    }
}

#[test]
fn contradictory_schedules_are_rejected() {
    let cases = [
        (
            r#"{"at": "1s", "for": "3s", "fault": "crash", "node": "n2"}, {"at": "2s", "fault": "pause", "node": "n2"}"#,
            "faults[1]",
        ),
        (
            r#"{"at": "1s", "for": "3s", "fault": "crash", "node": "n2"}, {"at": "2s", "fault": "crash", "node": "n2"}"#,
            "faults[1]",
        ),
        (r#"{"at": "1s", "fault": "restart", "node": "n3"}"#, "faults[0]"),
        (r#"{"at": "1s", "fault": "resume", "node": "n3"}"#, "faults[0]"),
        (
            r#"{"at": "1s", "for": "2s", "fault": "pause", "node": "n1"}, {"at": "2s", "for": "2s", "fault": "pause", "node": "n1"}"#,
            "faults[1]",
        ),
        (
            r#"{"at": "1s", "fault": "rolling_restart", "interval": "1s", "downtime": "500ms"}, {"at": "1.2s", "fault": "crash", "node": "n1"}"#,
            "faults[1]",
        ),
    ];
    for (i, (f, field)) in cases.iter().enumerate() {
        rejected(&format!("contradiction-{i}"), &raft_with(f), field);
    }
    // Crash, restart, crash again is fine.
    let ok = raft_with(
        r#"{"at": "1s", "for": "1s", "fault": "crash", "node": "n2"}, {"at": "2s", "fault": "crash", "node": "n2"}, {"at": "3s", "fault": "restart", "node": "n2"}"#,
    );
    let dir = tempdir("contradiction-ok");
    let file = dir.join("s.json");
    std::fs::write(&file, ok).expect("write");
    let o = run_bin(&["validate", file.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn zones_and_overrides_are_validated() {
    let zones = r#", "zones": [{"name": "east", "nodes": ["n1", "n2"]}, {"name": "west", "nodes": ["n3"]}]"#;
    let with = |zones: &str, links: &str| {
        RAFT.replace("FAULTS", "").replace(" ZONES", zones).replace(" ZONELINKS", links)
    };
    rejected(
        "unknown-zone",
        &with(zones, r#", "zones": [{"from": "east", "to": "mars", "profile": {"latency": "9ms"}}]"#),
        "network.zones[0].to",
    );
    rejected(
        "zone-node",
        &with(r#", "zones": [{"name": "east", "nodes": ["n9"]}]"#, ""),
        "cluster.zones[0].nodes[0]",
    );
    rejected(
        "two-zones",
        &with(r#", "zones": [{"name": "a", "nodes": ["n1"]}, {"name": "b", "nodes": ["n1"]}]"#, ""),
        "cluster.zones[1].nodes[0]",
    );
    rejected(
        "dup-zone",
        &with(r#", "zones": [{"name": "a", "nodes": ["n1"]}, {"name": "a", "nodes": ["n2"]}]"#, ""),
        "cluster.zones[1].name",
    );
    rejected(
        "override-node",
        &with(r#", "overrides": [{"nodes": ["n5"], "slowness": 2}]"#, ""),
        "cluster.overrides[0].nodes[0]",
    );
    rejected(
        "override-drift",
        &with(r#", "overrides": [{"nodes": ["n1"], "clock": {"drift": 50}}]"#, ""),
        "cluster.overrides[0].clock.drift",
    );
    rejected(
        "voters",
        &with(r#", "raft": {"initial_voters": ["n4"]}"#, ""),
        "cluster.raft.initial_voters[0]",
    );
    rejected(
        "bug",
        &RAFT
            .replace("FAULTS", "")
            .replace(" ZONES", "")
            .replace(" ZONELINKS", "")
            .replace("\"name\": \"t\",", "\"name\": \"t\", \"bugs\": [\"nope\"],"),
        "bugs[0]",
    );
}

const KV: &str = r#"{
  "name": "t", "duration": "2s",
  "cluster": {"protocol": "PROTOCOL", "nodes": 3 SETTINGS},
  "network": {"default": {"latency": "1ms"}},
  "workload": {"type": "kv", "clients": 2},
  "faults": [FAULTS]
}"#;

fn kv_with(protocol: &str, settings: &str, faults: &str) -> String {
    KV.replace("PROTOCOL", protocol).replace(" SETTINGS", settings).replace("FAULTS", faults)
}

/// Raft's membership changes, runtime reconfiguration and settings (cluster-wide and per
/// server) are refused for Multi-Paxos and the quorum store, naming the field; `"leader"`
/// and `"follower"` are refused for the leaderless quorum store but fine for Paxos.
#[test]
fn raft_only_settings_and_leader_targets_are_refused_for_other_protocols() {
    let raft_only = [
        ("", r#"{"at": "1s", "fault": "add_server", "node": "n3"}"#, r#"faults[0].fault: "add_server""#),
        (
            "",
            r#"{"at": "1s", "fault": "remove_server", "node": "n3"}"#,
            r#"faults[0].fault: "remove_server""#,
        ),
        (
            "",
            r#"{"at": "1s", "fault": "reconfigure", "node": "n1", "raft": {"heartbeat": "10ms"}}"#,
            r#"faults[0].fault: "reconfigure""#,
        ),
        (r#", "raft": {"initial_voters": ["n1", "n2"]}"#, "", "cluster.raft.initial_voters"),
        (
            r#", "raft": {"election_timeout": {"min": "100ms", "max": "200ms"}}"#,
            "",
            "cluster.raft.election_timeout",
        ),
        (
            r#", "overrides": [{"nodes": ["n2"], "raft": {"heartbeat": "10ms"}}]"#,
            "",
            "cluster.overrides[0].raft",
        ),
    ];
    for protocol in ["paxos", "quorum"] {
        for (i, (settings, faults, field)) in raft_only.iter().enumerate() {
            let json = kv_with(protocol, settings, faults);
            rejected(&format!("raft-only-{protocol}-{i}"), &json, field);
            rejected(&format!("raft-only-{protocol}-{i}-names-it"), &json, &format!("\"{protocol}\""));
            // The same file is fine for Raft.
            let dir = tempdir(&format!("raft-only-ok-{protocol}-{i}"));
            let file = dir.join("s.json");
            std::fs::write(&file, kv_with("raft", settings, faults)).expect("write");
            let o = run_bin(&["validate", file.to_str().expect("utf8")]);
            assert!(o.status.success(), "raft: {}", String::from_utf8_lossy(&o.stderr));
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let leaderless = [
        (r#"{"at": "1s", "fault": "crash", "node": "leader"}"#, "faults[0].node"),
        (r#"{"at": "1s", "for": "1s", "fault": "isolate", "node": "follower"}"#, "faults[0].node"),
        (
            r#"{"at": "1s", "fault": "partition", "groups": [["n1"], ["leader", "n3"]]}"#,
            "faults[0].groups[1]",
        ),
        (r#"{"at": "1s", "fault": "clock", "node": "leader", "offset": "50ms"}"#, "faults[0].node"),
    ];
    for (i, (faults, field)) in leaderless.iter().enumerate() {
        let json = kv_with("quorum", "", faults);
        rejected(&format!("leaderless-{i}"), &json, &format!("{field}: "));
        rejected(&format!("leaderless-{i}-why"), &json, "\"quorum\" is leaderless");
        let dir = tempdir(&format!("leader-ok-{i}"));
        let file = dir.join("s.json");
        std::fs::write(&file, kv_with("paxos", "", faults)).expect("write");
        let o = run_bin(&["validate", file.to_str().expect("utf8")]);
        assert!(o.status.success(), "paxos has a leader: {}", String::from_utf8_lossy(&o.stderr));
        let _ = std::fs::remove_dir_all(dir);
    }
}
