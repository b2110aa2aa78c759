//! Determinism: the same scenario and seed give the same run, byte for byte, in one
//! process or two; another seed gives another run; and adding a fault leaves the
//! workload's random draws alone.

use std::io::Write;
use std::sync::{Arc, Mutex};

use super::common::{read_json, root, run_bin, shipped_scenarios, tempdir};
use eightfold::runner::{self, RunOptions};
use eightfold::scenario;

/// A `Write` that appends into a shared buffer, to capture a trace in memory.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);
impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn traced(s: &scenario::Scenario, seed: u64) -> (String, Vec<u8>) {
    let buf = Shared::default();
    let o = runner::run(s, RunOptions { trace: Some(Box::new(buf.clone())), ..RunOptions::seed(seed) })
        .expect("runs");
    let bytes = buf.0.lock().expect("lock").clone();
    (o.digest, bytes)
}

#[test]
fn same_seed_twice_in_one_process_is_identical() {
    for path in shipped_scenarios() {
        let s = scenario::load(&path).expect("shipped scenarios are valid");
        let (d1, t1) = traced(&s, 42);
        let (d2, t2) = traced(&s, 42);
        assert_eq!(d1, d2, "{}", path.display());
        assert!(!t1.is_empty());
        assert!(t1 == t2, "{}: traces differ", path.display());
    }
}

#[test]
fn a_different_seed_gives_a_different_run() {
    for path in shipped_scenarios() {
        let s = scenario::load(&path).expect("valid");
        let (a, _) = traced(&s, 1);
        let (b, _) = traced(&s, 2);
        assert_ne!(a, b, "{}: seeds 1 and 2 gave the same digest", path.display());
    }
}

#[test]
fn two_processes_write_identical_digests_and_traces() {
    let dir = tempdir("two-processes");
    let scenario = root().join("scenarios/gossip-lossy-network.json");
    let mut traces = Vec::new();
    let mut digests = Vec::new();
    for run in ["a", "b"] {
        let out = dir.join(run);
        let o = run_bin(&[
            "run",
            scenario.to_str().expect("utf8"),
            "--seed",
            "9",
            "--trace",
            "--out",
            out.to_str().expect("utf8"),
            "-q",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report = out.join("gossip-lossy-network-seed9");
        digests.push(read_json(&report.join("outcome.json"))["digest"].as_str().expect("digest").to_string());
        traces.push(std::fs::read(report.join("trace.jsonl")).expect("trace written"));
    }
    assert_eq!(digests[0], digests[1]);
    assert_eq!(digests[0].len(), 16);
    assert!(traces[0] == traces[1], "trace.jsonl differs between processes");
    // And the in-process run agrees with the binary.
    let s = scenario::load(&scenario).expect("valid");
    assert_eq!(traced(&s, 9).0, digests[0]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn adding_a_fault_does_not_change_the_workload_draws() {
    let path = root().join("scenarios/gossip-happy-path.json");
    let base = scenario::load(&path).expect("valid");
    let mut faulty = base.clone();
    faulty.faults = serde_json::from_str(
        r#"[{"at": "2s", "fault": "partition", "groups": ["minority"]}, {"at": "4s", "fault": "heal"}]"#,
    )
    .expect("faults parse");
    let draws = |s: &scenario::Scenario| {
        let streams = eightfold::sim::RngStreams::new(5);
        let mut w = runner::build_world(
            s,
            streams,
            Box::new(runner::broadcast::factory(s, streams)),
            eightfold::sim::SimTime::ZERO,
        );
        w.run_until(eightfold::sim::SimTime(s.duration.0.as_nanos()));
        let mut v = Vec::new();
        for c in 0..s.client_count() {
            if let Some(runner::broadcast::BroadcastNode::Client(cl)) =
                w.node(eightfold::sim::NodeId(s.cluster.nodes + c))
            {
                v.extend(cl.injections().iter().map(|i| (i.value, i.first_server)));
            }
        }
        (v, w.digest().hex())
    };
    let (a, da) = draws(&base);
    let (b, db) = draws(&faulty);
    assert_ne!(da, db, "the fault must change the run");
    assert_eq!(a.len(), 200);
    assert_eq!(a, b, "the workload's draws changed when a fault was added");
}

#[test]
fn every_shipped_scenario_passes_the_determinism_self_check() {
    for path in shipped_scenarios() {
        let out = tempdir("selfcheck");
        let o = run_bin(&[
            "run",
            path.to_str().expect("utf8"),
            "--check-determinism",
            "--out",
            out.to_str().expect("utf8"),
        ]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains("determinism check passed"), "{}: {stdout}", path.display());
        let s = scenario::load(&path).expect("valid");
        if s.cluster.protocol == scenario::Protocol::QUORUM {
            // A leaderless store is not linearizable - the lesson its scenarios teach, so
            // that check may fail (exit 1); every other one must pass.
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            let outcome = read_json(&out.join(format!("{}-seed{}", s.name, s.seed)).join("outcome.json"));
            let checks = outcome["checks"].as_object().expect("checks");
            assert!(checks.len() >= 3, "{}: {checks:?}", path.display());
            for (name, c) in checks {
                assert!(
                    name == "linearizable" || c["status"] != "fail",
                    "{}: {name} failed: {c}",
                    path.display()
                );
            }
        } else {
            assert!(o.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&o.stderr));
        }
        let _ = std::fs::remove_dir_all(out);
    }
}

/// `text` with its `"timing": {...}` object cut out (the one place wall-clock figures live),
/// so that everything else can be compared byte for byte.
fn without_timing(text: &str) -> String {
    let Some(start) = text.find("\"timing\": {") else { return text.to_string() };
    let end = start + text[start..].find('}').expect("the timing object closes") + 1;
    // The object is the last field of outcome.json: drop the comma before it too.
    let head = text[..start].trim_end().trim_end_matches(',');
    format!("{head}{}", &text[end..])
}

#[test]
fn two_runs_write_byte_identical_reports_apart_from_the_timing_figures() {
    let dir = tempdir("identical-reports");
    for name in
        ["raft-leader-crash", "paxos-leader-churn", "quorum-minority-partition", "gossip-partition-heal"]
    {
        let scenario = root().join(format!("scenarios/{name}.json"));
        for seed in ["1", "2"] {
            let mut reports = Vec::new();
            for run in ["a", "b"] {
                let out = dir.join(format!("{name}-{seed}-{run}"));
                let o = run_bin(&[
                    "run",
                    scenario.to_str().expect("utf8"),
                    "--seed",
                    seed,
                    "--out",
                    out.to_str().expect("utf8"),
                    "-q",
                ]);
                assert!(o.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&o.stderr));
                reports.push(out.join(format!("{name}-seed{seed}")));
            }
            let mut files: Vec<String> = std::fs::read_dir(&reports[0])
                .expect("report written")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            for wanted in ["outcome.json", "recording.json", "index.html", "timeline.svg", "messages.svg"] {
                assert!(files.iter().any(|f| f == wanted), "{name}: no {wanted} in {files:?}");
            }
            if name != "gossip-partition-heal" {
                for wanted in ["history.json", "latency.svg", "throughput.svg"] {
                    assert!(files.iter().any(|f| f == wanted), "{name}: no {wanted} in {files:?}");
                }
            }
            for f in &files {
                let a = std::fs::read_to_string(reports[0].join(f)).expect("read");
                let b = std::fs::read_to_string(reports[1].join(f))
                    .unwrap_or_else(|_| panic!("{name}: {f} only once"));
                if f == "outcome.json" {
                    let timing = &read_json(&reports[0].join(f))["timing"];
                    assert!(timing["wall_s"].as_f64().is_some(), "{name}: the timing object holds wall_s");
                    assert!(
                        timing
                            .as_object()
                            .is_some_and(|o| o.keys().all(|k| k == "wall_s" || k == "linearizability_s")),
                        "{name}: only the documented timing fields: {timing}"
                    );
                    assert!(
                        without_timing(&a) == without_timing(&b),
                        "{name} seed {seed}: {f} differs outside timing"
                    );
                } else {
                    assert!(a == b, "{name} seed {seed}: {f} differs between two runs");
                }
            }
            assert_eq!(
                files.len(),
                std::fs::read_dir(&reports[1]).expect("report").count(),
                "{name}: the same files"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cutting_the_timing_object_leaves_everything_else() {
    let text = "{\n  \"digest\": \"ab\",\n  \"timing\": {\n    \"wall_s\": 0.5\n  }\n}\n";
    assert_eq!(without_timing(text), "{\n  \"digest\": \"ab\"\n}\n");
    assert_ne!(without_timing(text), without_timing(&text.replace("ab", "cd")));
}
