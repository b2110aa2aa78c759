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
    assert_eq!(outcome["checks"]["convergence"]["passed"], true);
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
