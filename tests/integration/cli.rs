//! The command line: exit codes, one-line errors that name the field, and no report for
//! bad input.

use std::path::Path;

use super::common::{read_json, root, run_bin, tempdir};

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
    for p in super::common::shipped_scenarios() {
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
        // (n3 votes from the start: Raft can add it back once it is removed.)
        (
            "",
            r#"{"at": "1s", "fault": "add_server", "node": "n3"}, {"at": "0.5s", "fault": "remove_server", "node": "n3"}"#,
            r#"faults[0].fault: "add_server""#,
        ),
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

/// Malformed inputs found by hunting through the scenario model (wrong top-level and nested
/// types, zero or absurd sizes and settings, misleading messages, contradictory
/// schedules): each is refused with exit 2, one line, and the exact JSON path.
#[test]
fn malformed_inputs_name_their_json_path() {
    let raft = |cluster: &str, rest: &str| {
        format!(
            r#"{{"name": "t", "duration": "3s", "cluster": {{"protocol": "raft", "nodes": 3{cluster}}},
                "workload": {{"type": "kv", "clients": 2}}{rest}}}"#
        )
    };
    let net = |default: &str| raft("", &format!(r#", "network": {{"default": {{{default}}}}}"#));
    let faults = |f: &str| raft("", &format!(r#", "faults": [{f}]"#));
    let kv = |w: &str| {
        format!(
            r#"{{"name": "t", "duration": "3s", "cluster": {{"protocol": "raft", "nodes": 3}}, "workload": {{"type": "kv"{w}}}}}"#
        )
    };
    let cases: Vec<(&str, String, &str, &str)> = vec![
        // Wrong types where an object is expected: serde would read an array as the fields
        // in order, or report the first element.
        ("top-level-array", "[1, 2, 3]".into(), "(top level)", "expected an object, found an array"),
        ("cluster-array", r#"{"name": "t", "duration": "3s", "cluster": ["raft", 3]}"#.into(), "cluster", "found an array"),
        ("workload-array", raft("", r#", "network": {}"#).replace(r#"{"type": "kv", "clients": 2}"#, r#"["kv"]"#), "workload", "found an array"),
        ("network-array", raft("", r#", "network": []"#), "network", "found an array"),
        ("checks-array", raft("", r#", "checks": []"#), "checks", "found an array"),
        ("security-array", raft("", r#", "network": {"security": [true]}"#), "network.security", "found an array"),
        ("mix-array", kv(r#", "mix": [1, 2, 3, 4]"#), "workload.mix", "found an array"),
        // Errors inside tagged objects name the field, not just the object.
        ("keys-string", kv(r#", "keys": "10""#), "workload.keys", "expected a whole number"),
        ("factor-string", faults(r#"{"at": "1s", "fault": "slow_node", "node": "n1", "factor": "x"}"#), "faults[0].factor", "expected a number"),
        ("fault-typo", faults(r#"{"at": "1s", "fault": "crash", "nodes": "n1"}"#), "faults[0].nodes", "unknown field `nodes`"),
        ("fault-kind-number", faults(r#"{"at": "1s", "fault": 3}"#), "faults[0].fault", "expected a string like \"crash\""),
        ("fault-kind-unknown", faults(r#"{"at": "1s", "fault": "meteor"}"#), "faults[0].fault", "unknown variant `meteor`"),
        ("group-node-name", faults(r#"{"at": "1s", "fault": "partition", "groups": [["server1"]]}"#), "faults[0].groups[0][0]", "expected a node like"),
        ("latency-bare-number", net(r#""latency": {"dist": "uniform", "min": 5, "max": "2ms"}"#), "network.default.latency.min", "with a unit"),
        ("latency-dist", net(r#""latency": {"dist": "weird"}"#), "network.default.latency.dist", "unknown variant `weird`"),
        ("latency-min-max", net(r#""latency": {"dist": "uniform", "min": "5ms", "max": "2ms"}"#), "network.default.latency.max", "min <= max"),
        ("loss-percent", net(r#""loss": "5%""#), "network.default.loss", "a probability between 0 and 1"),
        // Zero or absurd sizes, rates and settings.
        // Found by tests/adversarial.rs: with every message arriving the instant it is sent,
        // closed-loop clients ran without end at 0 s of simulated time.
        ("latency-zero", net(r#""latency": "0ms""#), "network.default.latency", "expected a latency above 0"),
        ("latency-uniform-zero", net(r#""latency": {"dist": "uniform", "min": "0ms", "max": "0ms"}"#), "network.default.latency", "above 0"),
        ("mtu-zero", net(r#""mtu": "0B""#), "network.default.mtu", "at least 68B"),
        ("mtu-tiny", net(r#""mtu": "1B""#), "network.default.mtu", "at least 68B"),
        ("degrade-mtu", faults(r#"{"at": "1s", "for": "1s", "fault": "degrade", "from": ["n1"], "to": ["n2"], "profile": {"mtu": "0B"}}"#), "faults[0].profile.mtu", "at least 68B"),
        ("cost-negative", net(r#""cost_per_gb": -1"#), "network.default.cost_per_gb", "non-negative"),
        ("reorder-no-delay", net(r#""reorder": 0.5, "reorder_delay": "0s""#), "network.default.reorder_delay", "positive delay"),
        ("no-clients", kv(r#", "clients": 0"#), "workload.clients", "at least 1 client"),
        ("no-ops", kv(r#", "max_ops": 0"#), "workload.max_ops", "at least 1 operation"),
        ("stop-after-end", kv(r#", "stop": "10s""#), "workload.stop", "the run ends at 3s"),
        (
            "no-values",
            r#"{"name": "t", "duration": "3s", "cluster": {"protocol": "gossip", "nodes": 3}, "workload": {"type": "broadcast", "values": 0, "interval": "10ms"}}"#.into(),
            "workload.values",
            "1 to 1000000",
        ),
        (
            "fanout",
            r#"{"name": "t", "duration": "3s", "cluster": {"protocol": "gossip", "nodes": 3, "gossip": {"fanout": 7}}}"#.into(),
            "cluster.gossip.fanout",
            "at most 2 peers",
        ),
        ("liveness-zero", raft("", r#", "checks": {"liveness_bound": "0s"}"#), "checks.liveness_bound", "positive"),
        ("budget-zero", raft("", r#", "checks": {"linearizability_budget": 0}"#), "checks.linearizability_budget", "at least 1 search step"),
        ("heartbeat-default-timeout", raft(r#", "raft": {"heartbeat": "1s"}"#, ""), "cluster.raft.heartbeat", "default minimum election timeout (150ms)"),
        (
            "paxos-heartbeat",
            r#"{"name": "t", "duration": "3s", "cluster": {"protocol": "paxos", "nodes": 3, "paxos": {"heartbeat": "300ms", "election_timeout": {"min": "100ms", "max": "200ms"}}}}"#.into(),
            "cluster.paxos.heartbeat",
            "shorter than the minimum election timeout",
        ),
        // Overrides: what they are about is servers that differ.
        ("override-voters", raft(r#", "overrides": [{"nodes": ["n1"], "raft": {"initial_voters": ["n1"]}}]"#, ""), "cluster.overrides[0].raft.initial_voters", "the whole cluster's membership"),
        ("override-nothing", raft(r#", "overrides": [{"nodes": ["n1"]}]"#, ""), "cluster.overrides[0]", "at least one setting"),
        ("override-twice", raft(r#", "overrides": [{"nodes": ["n1", "n1"], "slowness": 2}]"#, ""), "cluster.overrides[0].nodes[1]", "listed twice"),
        (
            "override-conflict",
            raft(r#", "overrides": [{"nodes": ["n1"], "slowness": 2}, {"nodes": ["n2", "n1"], "slowness": 4}]"#, ""),
            "cluster.overrides[1].nodes[1]",
            "n1's slowness is already set by cluster.overrides[0]",
        ),
        (
            "link-twice",
            raft("", r#", "network": {"links": [{"from": "n1", "to": "n2", "both_ways": true, "profile": {"loss": 0.1}}, {"from": "n2", "to": "n1", "profile": {"loss": 0.2}}]}"#),
            "network.links[1]",
            "already set by network.links[0]",
        ),
        // Faults that change nothing or contradict the schedule.
        ("link-to-itself", faults(r#"{"at": "1s", "fault": "link_down", "from": ["n1"], "to": ["n1"]}"#), "faults[0].to", "no link to itself"),
        ("degrade-nothing", faults(r#"{"at": "1s", "for": "1s", "fault": "degrade", "from": ["n1"], "to": ["n2"], "profile": {}}"#), "faults[0].profile", "at least one link field"),
        ("reconfigure-nothing", faults(r#"{"at": "1s", "fault": "reconfigure", "node": "n1", "raft": {}}"#), "faults[0].raft", "at least one setting"),
        ("add-a-voter", faults(r#"{"at": "1s", "fault": "add_server", "node": "n2"}"#), "faults[0]", "already a voter"),
        (
            "remove-every-voter",
            faults(r#"{"at": "1s", "fault": "remove_server", "node": "n1"}, {"at": "1.2s", "fault": "remove_server", "node": "n2"}, {"at": "1.4s", "fault": "remove_server", "node": "n3"}"#),
            "faults[2]",
            "the last voter",
        ),
        (
            "crash-inside-pause",
            faults(r#"{"at": "1s", "for": "2s", "fault": "pause", "node": "n1"}, {"at": "1.5s", "for": "500ms", "fault": "crash", "node": "n1"}"#),
            "faults[1]",
            "faults[0] keeps n1 paused from 1s to 3s",
        ),
        (
            "resume-a-crashed-node",
            faults(r#"{"at": "1s", "fault": "crash", "node": "n2"}, {"at": "2s", "fault": "resume", "node": "n2"}"#),
            "faults[1]",
            "a crashed node is restarted, not resumed",
        ),
    ];
    assert!(cases.len() >= 40);
    let dir = tempdir("malformed-table");
    for (name, json, path, says) in &cases {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, json).expect("write scenario");
        let o = run_bin(&["validate", file.to_str().expect("utf8")]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{name}: {e}");
        let want = format!("{}: {path}: ", file.display());
        assert!(e.starts_with(&format!("error: {want}")), "{name}: expected the path {path}: {e}");
        assert!(e.contains(says), "{name}: expected {says:?} in {e}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Every command that writes checks where it writes before it runs anything: a path under
/// /proc or under a file is bad input (exit 2, one line naming the flag), not a failure
/// after every seed has run.
#[test]
fn every_command_that_writes_checks_its_output_first() {
    let dir = tempdir("outputs");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").expect("write");
    let gossip = root().join("scenarios/gossip-happy-path.json");
    let raft = root().join("scenarios/raft-leader-crash.json");
    let (g, r) = (gossip.to_str().expect("utf8"), raft.to_str().expect("utf8"));
    let under_file = file.join("x.json");
    let under_file_dir = file.join("sub");
    // A shard file for `merge`, from a real one-seed sweep.
    let shard = dir.join("shard.json");
    let o = run_bin(&["sweep", g, "--seeds", "1", "--out", shard.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let shard = shard.to_str().expect("utf8");
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", g, "--out", "/proc/forbidden"],
        vec!["run", g, "--out", under_file_dir.to_str().expect("utf8")],
        vec!["sweep", r, "--seeds", "1..50", "--out", "/proc/x.json"],
        vec!["sweep", r, "--seeds", "1..50", "--out", under_file.to_str().expect("utf8")],
        vec!["merge", shard, "--out", "/proc/x.json"],
        vec!["merge", shard, "--out", under_file.to_str().expect("utf8")],
        vec!["compare", r, "--seeds", "1..5", "--out", "/proc/forbidden"],
        vec!["compare", r, "--seeds", "1..5", "--out", under_file_dir.to_str().expect("utf8")],
        vec!["shrink", r, "--seed", "1", "--out", "/proc/forbidden/x"],
        vec!["shrink", r, "--seed", "1", "--out", under_file_dir.to_str().expect("utf8")],
    ];
    for args in cases {
        let started = std::time::Instant::now();
        let o = run_bin(&args);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e}");
        assert!(e.starts_with("error: --out: "), "{args:?}: {e}");
        // Nothing ran: no seed, no summary.
        assert!(
            String::from_utf8_lossy(&o.stdout).trim().is_empty(),
            "{args:?} ran: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A run killed outright leaves its hidden temporary report directory behind; the next run
/// into the same directory removes it, and never one of a process still running.
#[test]
fn the_next_run_removes_what_killed_runs_left_behind() {
    let dir = tempdir("stale");
    let mut done = std::process::Command::new("true").spawn().expect("spawn");
    let dead = done.id();
    done.wait().expect("wait");
    let mut sleeper = std::process::Command::new("sleep").arg("60").spawn().expect("spawn");
    let live = sleeper.id();
    let stale = dir.join(format!(".gossip-happy-path-seed7.tmp-{dead}"));
    std::fs::create_dir(&stale).expect("mkdir");
    std::fs::write(stale.join("history.json"), "[").expect("write");
    let busy = dir.join(format!(".other-seed1.tmp-{live}"));
    std::fs::create_dir(&busy).expect("mkdir");
    // Another machine's (a shared file system): its process may be alive there.
    let elsewhere = dir.join(format!(
        ".other-seed2.tmp-{}-{dead}",
        if eightfold::report::writer::host() == "00000000" { "00000001" } else { "00000000" }
    ));
    std::fs::create_dir(&elsewhere).expect("mkdir");
    let s = root().join("scenarios/gossip-happy-path.json");
    let o = run_bin(&[
        "run",
        s.to_str().expect("utf8"),
        "-q",
        "--no-charts",
        "--out",
        dir.to_str().expect("utf8"),
    ]);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!stale.exists(), "the dead run's temporary directory is still there");
    assert!(busy.exists(), "a live process's temporary directory was removed");
    assert!(elsewhere.exists(), "another host's temporary directory was removed");
    let mut hidden: Vec<String> = std::fs::read_dir(&dir)
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    hidden.sort();
    let mut want = vec![
        format!(".other-seed1.tmp-{live}"),
        elsewhere.file_name().expect("name").to_string_lossy().into_owned(),
    ];
    want.sort();
    assert_eq!(hidden, want);
    let _ = std::fs::remove_dir_all(dir);
}
