//! `eightfold compare` runs the same scenario and seeds on several protocols and reports them
//! side by side. These tests hold the report to the runs it summarises: every per-protocol
//! figure equals what the individual runs of the adapted scenarios give; the adaptations
//! drop exactly what only Raft has; the charts are well-formed and draw one line per
//! protocol and one band per fault window; the page's findings quote the measured numbers;
//! two comparisons agree byte for byte apart from wall time; bad input is a one-line error
//! with exit 2, and Ctrl-C leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::common::{read_json, root, run_bin, tempdir};
use eightfold::experiment::SeedRange;
use eightfold::experiment::compare::measure::windows;
use eightfold::experiment::compare::{self, ChangeKind, CompareOutput, ComparePlan};
use eightfold::experiment::sweep::spec_for;
use eightfold::experiment::worker::Isolation;
use eightfold::runner::{self, RunOptions};
use eightfold::scenario::{self, FaultKind, Protocol, Scenario};
use eightfold::workload::history::OpOutcome;
use roxmltree::Document;

/// A small scenario with a partition, a leader crash, a Raft-only membership change and a
/// Raft-only per-server setting: enough for every protocol to differ, quick to run.
const SMALL: &str = r#"{
  "name": "compare-small",
  "description": "Five servers, a partition and a leader crash.",
  "duration": "3s",
  "cluster": {
    "protocol": "raft",
    "nodes": 5,
    "raft": { "election_timeout": { "min": "150ms", "max": "300ms" }, "heartbeat": "50ms" },
    "overrides": [ { "nodes": ["n2"], "raft": { "heartbeat": "30ms" } } ]
  },
  "network": { "default": { "latency": { "dist": "uniform", "min": "1ms", "max": "5ms" }, "loss": 0.01 } },
  "workload": { "type": "kv", "clients": 3, "keys": 4 },
  "faults": [
    { "at": "800ms", "for": "700ms", "fault": "partition", "groups": ["minority"] },
    { "at": "2s", "for": "400ms", "fault": "crash", "node": "leader" },
    { "at": "2.6s", "fault": "remove_server", "node": "n5" }
  ]
}"#;

const SEEDS: (u64, u64) = (1, 3);

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn small() -> Scenario {
    scenario::parse(SMALL).expect("valid scenario")
}

fn run_compare(s: &Scenario, jobs: usize) -> CompareOutput {
    let plan = ComparePlan {
        scenario: s,
        spec: spec_for(s, SMALL, "compare-small.json", SeedRange::new(SEEDS.0, SEEDS.1).unwrap()),
        protocols: vec![Protocol::RAFT, Protocol::PAXOS, Protocol::QUORUM],
        jobs,
        isolation: Isolation::Threads,
    };
    compare::compare(&plan, &Arc::new(AtomicBool::new(false)), &|_, _| {}).expect("the comparison runs")
}

/// compare.json without its wall-clock section.
fn without_timing(c: &compare::Comparison) -> String {
    let mut c = c.clone();
    c.timing = Default::default();
    c.to_json()
}

#[test]
fn every_figure_agrees_with_the_individual_runs() {
    let s = small();
    let out = run_compare(&s, 2);
    let c = &out.comparison;
    assert_eq!(
        c.protocols.iter().map(|p| p.protocol.as_str()).collect::<Vec<_>>(),
        ["raft", "paxos", "quorum"]
    );
    for (summary, adapted) in c.protocols.iter().zip(&out.adapted) {
        let (mut ok, mut fail, mut info, mut messages, mut bytes) = (0, 0, 0, 0, 0);
        let (mut lin_pass, mut inv_pass, mut live_pass) = (0, 0, 0);
        let (mut during_total, mut during_ok) = (0, 0);
        let mut first_counterexample = None;
        for (i, seed) in (SEEDS.0..=SEEDS.1).enumerate() {
            let run = runner::run_full(&adapted.scenario, RunOptions::seed(seed)).expect("runs");
            let o = &run.outcome;
            let h = run.history.expect("a key-value run has a history");
            let rec = &summary.seeds[i];
            assert_eq!((rec.seed, rec.digest.as_str()), (seed, o.digest.as_str()), "the same run");
            let ops = o.ops.as_ref().expect("ops");
            (ok, fail, info) = (ok + ops.ok, fail + ops.fail, info + ops.info);
            messages += o.cost.messages;
            bytes += o.cost.bytes;
            lin_pass += u64::from(o.checks["linearizable"].passed());
            inv_pass += u64::from(o.checks["invariants"].passed());
            live_pass += u64::from(o.checks.get("liveness").is_some_and(|c| c.passed()));
            if first_counterexample.is_none()
                && let Some(cx) = o.linearizability.as_ref().and_then(|l| l.counterexample.clone())
            {
                first_counterexample = Some((seed, cx));
            }
            // Operations invoked inside a fault window, recounted here from the outcome's
            // fault log (cut-off operations aside, which only info operations can be).
            let wins = windows(o, s.duration.0.as_nanos());
            for op in &h.ops {
                if wins.iter().any(|&(a, b)| a <= op.invoke_ns && op.invoke_ns < b) {
                    during_total += 1;
                    during_ok += u64::from(op.outcome == OpOutcome::Ok);
                }
            }
        }
        let name = &summary.protocol;
        assert_eq!((summary.ops.ok, summary.ops.fail, summary.ops.info), (ok, fail, info), "{name}");
        assert_eq!((summary.cost.messages, summary.cost.bytes), (messages, bytes), "{name}");
        let per_op = messages as f64 / ok as f64;
        assert!((summary.cost.messages_per_op.unwrap() - per_op).abs() < 1e-9, "{name}");
        assert_eq!(summary.safety.linearizable.passed, lin_pass, "{name}");
        assert_eq!(summary.safety.linearizable.passed + summary.safety.linearizable.failed, 3, "{name}");
        assert_eq!(summary.safety.invariants.passed, inv_pass, "{name}");
        // The counterexample the page draws is the first failing seed's, exactly.
        let drawn = summary
            .safety
            .example
            .as_ref()
            .map(|e| (e.seed, serde_json::to_value(&e.counterexample).expect("serialises")));
        assert_eq!(drawn, first_counterexample, "{name}");
        assert_eq!(summary.safety.liveness.passed, live_pass, "{name}");
        let av = &summary.availability;
        assert_eq!(av.during_faults.ok, during_ok, "{name}");
        assert!(during_total >= av.during_faults.total(), "{name}");
        assert_eq!(
            av.during_faults.total() + av.outside_faults.total() + av.cut_off,
            ok + fail + info,
            "{name}: every operation is counted once"
        );
        assert!(av.fault_buckets > 0 && av.served_fault_buckets <= av.fault_buckets, "{name}");
        let cdf = &summary.latency_cdf;
        assert_eq!(cdf.last().map(|p| p[1]), Some(1.0), "{name}: the CDF ends at 100%");
        assert_eq!(cdf.last().map(|p| p[0]), summary.latency_ms.max.map(|m| (m * 1000.0).round() / 1000.0));
        let mean: f64 = summary.throughput.iter().sum::<f64>() * c.bucket_ns as f64 / 1e9;
        assert!(
            (mean - ok as f64 / 3.0).abs() < 0.5,
            "{name}: the throughput series adds up to the ok operations"
        );
    }
    // Raft and Multi-Paxos are safe; the leaderless store's verdicts are whatever it earned.
    for p in &c.protocols[..2] {
        assert_eq!(p.safety.linearizable.failed, 0, "{}", p.protocol);
        assert_eq!(p.safety.invariants.failed, 0, "{}", p.protocol);
        assert!(p.leadership.is_some());
    }
    assert!(c.protocols[2].leadership.is_none(), "the quorum store has no leader");
}

#[test]
fn adaptations_drop_what_only_raft_has_and_say_why() {
    let out = run_compare(&small(), 2);
    let c = &out.comparison;
    let raft = c.protocol("raft").unwrap();
    assert!(raft.changes.is_empty(), "the scenario's own protocol runs it as written");
    for name in ["paxos", "quorum"] {
        let p = c.protocol(name).unwrap();
        let dropped: Vec<&str> =
            p.changes.iter().filter(|ch| ch.kind == ChangeKind::Dropped).map(|ch| ch.path.as_str()).collect();
        assert!(dropped.contains(&"faults[2]"), "{name}: {dropped:?}");
        assert!(dropped.contains(&"cluster.overrides[0]"), "{name}: {dropped:?}");
        assert!(p.changes.iter().all(|ch| !ch.why.is_empty()));
    }
    let paxos = out.adapted.iter().find(|a| a.protocol == Protocol::PAXOS).unwrap();
    let timing = paxos.scenario.cluster.paxos.as_ref().expect("Raft's timing carried over");
    assert_eq!(timing.timing.heartbeat.map(|h| h.0.as_nanos()), Some(50_000_000));
    // The membership change is a Raft-only fault window; the others face the rest.
    let remove = c.fault_windows.iter().find(|w| w.fault == FaultKind::RemoveServer).expect("listed");
    assert_eq!(remove.protocols, ["raft"]);
    let crash = c.fault_windows.iter().find(|w| w.fault == FaultKind::Crash).expect("listed");
    assert_eq!((crash.start_ns, crash.end_ns), (2_000_000_000, 2_400_000_000));
    assert_eq!(crash.protocols.len(), 3);
}

#[test]
fn a_comparison_is_deterministic_whatever_the_threads() {
    let s = small();
    let a = run_compare(&s, 1);
    let b = run_compare(&s, 2);
    assert_eq!(without_timing(&a.comparison), without_timing(&b.comparison));
    let fa = compare::files(&a, SMALL).expect("renders");
    let fb = compare::files(&b, SMALL).expect("renders");
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.name, y.name);
        if x.name != "compare.json" {
            assert_eq!(x.contents, y.contents, "{} differs", x.name);
        }
    }
}

fn has_class(n: &roxmltree::Node<'_, '_>, class: &str) -> bool {
    n.attribute("class").is_some_and(|c| c.split_whitespace().any(|t| t == class))
}

fn compare_cli(dir: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let scenario = root().join("scenarios/fallacies-all-at-once.json");
    let mut args = vec!["compare", s(&scenario), "--out", s(dir)];
    for (flag, default) in [("--seeds", "1..2"), ("--jobs", "2")] {
        if !extra.contains(&flag) {
            args.extend_from_slice(&[flag, default]);
        }
    }
    args.extend_from_slice(extra);
    (run_bin(&args), dir.join("compare-fallacies-all-at-once"))
}

#[test]
fn the_cli_writes_a_report_whose_charts_and_page_match_compare_json() {
    let dir = tempdir("compare-cli");
    let (o, report) = compare_cli(&dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("dropped faults[6]"), "{stdout}");
    let c = read_json(&report.join("compare.json"));
    assert_eq!(c["format"], "eightfold-compare/1");
    let protocols = c["protocols"].as_array().unwrap();
    assert_eq!(protocols.len(), 3);

    // One CDF line per protocol, each with the points compare.json holds.
    let cdf = std::fs::read_to_string(report.join("latency-cdf.svg")).unwrap();
    let doc = Document::parse(&cdf).expect("well-formed SVG");
    let series: Vec<_> = doc.descendants().filter(|n| has_class(n, "series")).collect();
    assert_eq!(series.len(), 3);
    for (line, p) in series.iter().zip(protocols) {
        assert_eq!(line.attribute("data-protocol"), p["protocol"].as_str());
        let points = p["latency_cdf"].as_array().unwrap().len();
        assert_eq!(line.attribute("data-points"), Some(points.to_string().as_str()));
        assert_eq!(line.attribute("d").unwrap().matches('L').count() + 1, points);
    }

    // One throughput line per protocol with a point per bucket, and a band per fault window.
    let tp = std::fs::read_to_string(report.join("throughput.svg")).unwrap();
    let doc = Document::parse(&tp).expect("well-formed SVG");
    let lines: Vec<_> = doc.descendants().filter(|n| has_class(n, "series")).collect();
    assert_eq!(lines.len(), 3);
    let buckets = protocols[0]["throughput"].as_array().unwrap().len();
    assert_eq!(buckets, 120, "12 s in 100 ms buckets");
    assert!(lines.iter().all(|l| l.attribute("data-buckets") == Some("120")));
    let bands = doc.descendants().filter(|n| has_class(n, "fault-band")).count();
    assert_eq!(bands, c["fault_windows"].as_array().unwrap().len());
    assert_eq!(bands, 7);
    // No two bands overlap (overlapping translucent bands would blend into a colour the
    // legend does not name): windows that overlap in time share the height.
    let rects: Vec<[f64; 4]> = doc
        .descendants()
        .filter(|n| has_class(n, "fault-band"))
        .map(|n| {
            let v = |a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
            [v("x"), v("y"), v("x") + v("width"), v("y") + v("height")]
        })
        .collect();
    for (i, a) in rects.iter().enumerate() {
        for b in &rects[i + 1..] {
            let w = a[2].min(b[2]) - a[0].max(b[0]);
            let h = a[3].min(b[3]) - a[1].max(b[1]);
            assert!(w <= 0.01 || h <= 0.01, "fault bands {a:?} and {b:?} overlap");
        }
    }
    // The instantaneous Raft-only remove_server is not a window, and says whom it concerns.
    assert!(!tp.contains("fault window: remove_server") && tp.contains("at an instant: remove_server"));
    assert!(tp.contains("remove_server n5 (raft only)"), "the Raft-only action says so");

    // The page: self-contained, links both charts, and quotes the measured verdicts.
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(!page.contains("http://") && !page.contains("https://"), "nothing from the network");
    assert!(page.contains("data=\"latency-cdf.svg\"") && page.contains("data=\"throughput.svg\""));
    let quorum = &protocols[2];
    let failed = quorum["safety"]["linearizable"]["failed"].as_u64().unwrap();
    assert!(failed > 0, "the quorum store (R 2, W 2 under these faults) serves a stale read in these seeds");
    assert!(
        page.contains(&format!("not linearizable in {failed} of 2 seeds")),
        "the finding quotes the data"
    );
    let replay = quorum["safety"]["replay"].as_str().unwrap();
    assert!(page.contains(replay));
    // The first failing seed's counterexample is drawn on the page, a bar per operation in
    // its client's lane, with the impossible order in words; only for the quorum store.
    let example = &quorum["safety"]["example"];
    let ops = example["counterexample"]["ops"].as_array().expect("the counterexample's operations");
    let start =
        page.find("<figure class=\"anomaly\" data-protocol=\"quorum\">").expect("the anomaly is drawn");
    let figure = &page[start..start + page[start..].find("</figure>").expect("closed")];
    assert_eq!(figure.matches("<rect class=\"cx-op").count(), ops.len(), "a bar per operation");
    for o in ops {
        assert!(
            figure.contains(&format!(">c{}</text>", o["client"].as_u64().unwrap() + 1)),
            "its client's lane"
        );
    }
    assert!(figure.contains("cannot all have happened as their clients saw them"), "told in words");
    assert!(figure.contains(example["replay"].as_str().unwrap()), "with the command that replays it");
    assert_eq!(page.matches("<figure class=\"anomaly\"").count(), 1, "Raft and Multi-Paxos have none");
    for p in &protocols[..2] {
        assert_eq!(p["safety"]["linearizable"]["passed"], 2, "{}", p["protocol"]);
    }
    assert!(page.contains("CAP"));

    // Every adapted scenario is a valid scenario file that runs on its own.
    for name in ["raft", "paxos", "quorum"] {
        let f = report.join(format!("scenario-{name}.json"));
        let v = run_bin(&["validate", s(&f)]);
        assert_eq!(v.status.code(), Some(0), "{name}: {}", stderr(&v));
        assert!(String::from_utf8_lossy(&v.stdout).contains(name));
    }
    assert_eq!(
        std::fs::read_to_string(report.join("scenario.json")).unwrap(),
        std::fs::read_to_string(root().join("scenarios/fallacies-all-at-once.json")).unwrap()
    );
    // Running again replaces the report with an identical one (apart from wall time).
    let (o2, _) = compare_cli(&dir, &[]);
    assert_eq!(o2.status.code(), Some(0));
    let mut again = read_json(&report.join("compare.json"));
    let mut first = c.clone();
    again["timing"] = serde_json::Value::Null;
    first["timing"] = serde_json::Value::Null;
    assert_eq!(first, again);
    assert_eq!(std::fs::read_to_string(report.join("index.html")).unwrap(), page);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_input_is_a_one_line_error_with_exit_2_and_no_report() {
    let dir = tempdir("compare-bad");
    let gossip = root().join("scenarios/gossip-happy-path.json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--protocols", "raft,zab"], "--protocols"),
        (vec!["--protocols", ""], "--protocols"),
        (vec!["--protocols", "raft,paxos,raft"], "--protocols"),
        (vec!["--protocols", "gossip"], "--protocols"),
        (vec!["--seeds", "9..3"], "--seeds"),
        (vec!["--seeds", "one..two"], "--seeds"),
        (vec!["--jobs", "0"], "--jobs"),
    ];
    for (extra, flag) in cases {
        let (o, report) = compare_cli(&dir, &extra);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{extra:?}: one line, got {e}");
        assert!(e.contains(flag), "{extra:?}: {e}");
        assert!(!report.exists(), "{extra:?}: no report");
    }
    let o = run_bin(&["compare", s(&gossip), "--seeds", "1", "--out", s(&dir)]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("key-value"), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    let o = run_bin(&["compare", s(&dir.join("missing.json")), "--out", s(&dir)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing written");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ctrl_c_stops_a_comparison_and_writes_nothing() {
    let dir = tempdir("compare-interrupt");
    let scenario = root().join("scenarios/fallacies-all-at-once.json");
    let child = Command::new(env!("CARGO_BIN_EXE_eightfold"))
        .args(["compare", s(&scenario), "--seeds", "1..100000", "--jobs", "1", "--out", s(&dir)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let kill =
        Command::new("sh").args(["-c", &format!("kill -INT {}", child.id())]).status().expect("sh runs");
    assert!(kill.success());
    let o = child.wait_with_output().expect("wait");
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{e}");
    assert!(e.contains("no report written"), "{e}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written, not even a temporary directory"
    );
    let _ = std::fs::remove_dir_all(dir);
}
