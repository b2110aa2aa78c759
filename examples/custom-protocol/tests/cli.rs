//! The toy protocol through its own binary: `run`, `sweep`, `compare --protocols
//! raft,single`, and the bad inputs a user of a registered protocol can make.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_custom-eightfold"))
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.json"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The file called `name` somewhere under `dir`.
fn find(dir: &Path, name: &str) -> PathBuf {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let p = entry.path();
        if p.file_name().is_some_and(|n| n == name) {
            return p;
        }
        if p.is_dir() {
            let found = find(&p, name);
            if found.exists() {
                return found;
            }
        }
    }
    dir.join(name)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("written")).expect("JSON")
}

/// One server, crashed and restarted mid-run: every check passes, linearizability included
/// (it persisted every write before answering), and the report names the protocol.
#[test]
fn the_single_server_runs_and_is_linearizable() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = out.path().to_str().expect("utf-8");
    let o = run(&["run", scenario("single").to_str().unwrap(), "--out", dir, "--no-charts", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let outcome = json(&out.path().join("single-seed1/outcome.json"));
    assert_eq!(outcome["protocol"], "single");
    assert_eq!(outcome["checks"]["linearizable"]["status"], "pass", "{}", outcome["checks"]);
    assert_eq!(outcome["checks"]["liveness"]["status"], "pass", "{}", outcome["checks"]);
    assert!(outcome["ops"]["ok"].as_u64().expect("ops") > 100, "{}", outcome["ops"]);
    let params = outcome["parameters"].to_string();
    assert!(params.contains("fsynced before every answer"), "{params}");
}

/// Without its fsync (`cluster.single.durable: false`, set from the command line) the crash
/// forgets acknowledged writes: the check catches it on some seed of a sweep.
#[test]
fn without_persistence_a_crash_loses_acknowledged_writes() {
    let out = tempfile::tempdir().expect("tmp");
    let file = out.path().join("sweep.json");
    let o = run(&[
        "sweep",
        scenario("single").to_str().unwrap(),
        "--seeds",
        "1..6",
        "--jobs",
        "2",
        "--set",
        "cluster.single.durable=false",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(json(&file).to_string().contains("linearizable"), "{}", text(&o));
}

/// A sweep of the single server passes every seed; the same code on two servers fails
/// linearizability (nothing makes the two agree).
#[test]
fn a_sweep_passes_on_one_server_and_fails_on_two() {
    let out = tempfile::tempdir().expect("tmp");
    let one = out.path().join("one.json");
    let o = run(&[
        "sweep",
        scenario("single").to_str().unwrap(),
        "--seeds",
        "1..4",
        "--jobs",
        "2",
        "--out",
        one.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let summary = json(&one);
    assert_eq!(summary["counts"]["passed"], 4, "{summary}");

    let two = out.path().join("two.json");
    let o = run(&[
        "sweep",
        scenario("pair").to_str().unwrap(),
        "--seeds",
        "1..4",
        "--jobs",
        "2",
        "--out",
        two.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let summary = json(&two);
    assert_eq!(summary["counts"]["passed"], 0, "every seed of two unsynchronised servers fails: {summary}");
    assert!(summary["failed_checks"]["linearizable"].as_u64() == Some(4), "{summary}");

    // And one run of it, as a user would look at it: exit 1, the check named.
    let dir = out.path().to_str().unwrap();
    let o = run(&["run", scenario("pair").to_str().unwrap(), "--out", dir, "--no-charts", "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let outcome = json(&out.path().join("pair-seed1/outcome.json"));
    assert_eq!(outcome["checks"]["linearizable"]["status"], "fail", "{}", outcome["checks"]);
}

/// `compare --protocols raft,single` runs both on the same scenario and seeds and writes
/// the comparison; the toy's own settings are dropped for Raft, and both are linearizable.
#[test]
fn compare_runs_raft_beside_the_toy() {
    let out = tempfile::tempdir().expect("tmp");
    let o = run(&[
        "compare",
        scenario("single").to_str().unwrap(),
        "--protocols",
        "raft,single",
        "--seeds",
        "1..2",
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let dir = out.path().join("compare-single");
    let c = json(&dir.join("compare.json"));
    let names: Vec<&str> =
        c["protocols"].as_array().expect("list").iter().filter_map(|p| p["protocol"].as_str()).collect();
    assert_eq!(names, ["raft", "single"], "{c}");
    assert!(dir.join("scenario-single.json").exists());
    let raft = std::fs::read_to_string(dir.join("scenario-raft.json")).expect("written");
    assert!(!raft.contains("\"single\": {"), "the toy's settings are not Raft's: {raft}");
    assert!(c.to_string().contains("cluster.single"), "the dropped settings are listed: {c}");
}

/// An unknown protocol is refused naming `cluster.protocol` and listing every registered
/// name (the toy's included); a bad setting of the toy names its path. Exit 2, no report.
#[test]
fn bad_input_names_the_field() {
    let out = tempfile::tempdir().expect("tmp");
    let bad = out.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{ "name": "bad", "duration": "1s", "cluster": { "protocol": "singel", "nodes": 1 } }"#,
    )
    .unwrap();
    let o = run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("cluster.protocol") && t.contains("gossip, raft, paxos, quorum, single"), "{t}");

    std::fs::write(
        &bad,
        r#"{ "name": "bad", "duration": "1s", "cluster": { "protocol": "single", "nodes": 1, "single": { "durabel": true } } }"#,
    )
    .unwrap();
    let o = run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cluster.single.durabel"), "{}", text(&o));

    // An unknown name in `--protocols` lists the comparable ones, the toy among them.
    let o = run(&["compare", scenario("single").to_str().unwrap(), "--protocols", "raft,zab"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("expected raft, paxos, quorum or single"), "{}", text(&o));
}

/// `shrink` finds a smaller two-server scenario that still fails linearizability, and
/// `replay` re-runs a report of the toy to the same digest (with its trace, line by line);
/// `chart` redraws it.
#[test]
fn shrink_replay_and_chart_work_on_the_toy() {
    let out = tempfile::tempdir().expect("tmp");
    let dir = out.path().to_str().unwrap();
    let o =
        run(&["shrink", scenario("pair").to_str().unwrap(), "--seed", "1", "--max-runs", "40", "--out", dir]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let shrunk = find(out.path(), "pair-shrunk.json");
    let s = json(&shrunk);
    assert_eq!(s["cluster"]["protocol"], "single");
    let report = json(&find(out.path(), "shrink.json"));
    assert_eq!(report["check"], "linearizable", "{report}");
    assert!(
        s["duration"].as_str().expect("a duration") != "4s" || s["workload"]["clients"].as_u64() < Some(4),
        "something was shrunk: {s}"
    );

    let o = run(&["run", scenario("single").to_str().unwrap(), "--seed", "2", "--trace", "--out", dir, "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = out.path().join("single-seed2");
    let o = run(&["replay", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(report.join("index.html").exists() && report.join("latency.svg").exists());
    let o = run(&["chart", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// `grade` through the user's own binary: a suite naming the toy protocol scores one server
/// (linearizable) and two (not), and the failure's replay command and shrunk scenario are
/// for this binary and its protocol.
#[test]
fn grade_scores_the_toy_through_its_own_binary() {
    let dir = tempfile::tempdir().expect("tmp");
    let suite = dir.path().join("suite.json");
    let at = |name: &str| scenario(name).display().to_string();
    std::fs::write(
        &suite,
        format!(
            r#"{{ "title": "toy", "protocol": "single", "tests": [
                {{ "name": "one", "title": "one server", "scenario": {:?}, "seeds": "1..2", "checks": ["linearizable", "liveness"], "points": 3 }},
                {{ "name": "two", "title": "two servers", "hint": "consensus", "scenario": {:?}, "seeds": [1], "checks": ["linearizable"], "points": 2 }} ] }}"#,
            at("single"),
            at("pair")
        ),
    )
    .expect("written");
    let out = dir.path().join("out");
    let o = run(&["grade", suite.to_str().unwrap(), "--out", out.to_str().unwrap(), "--shrink-runs", "20"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("protocol single, 2 tests, 3 runs"), "{t}");
    assert!(t.contains("score: 3/5 points (1 of 2 tests passed)"), "{t}");
    let replay = t.lines().find_map(|l| l.strip_prefix("  replay: ")).expect("a replay command");
    assert!(replay.starts_with(env!("CARGO_BIN_EXE_custom-eightfold")), "{replay}");
    assert!(replay.ends_with("pair.json --seed 1 --trace"), "{replay}");
    let r = run(&["run", &at("pair"), "--seed", "1", "--out", out.to_str().unwrap(), "--no-charts", "-q"]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
    let shrunk = t.lines().find_map(|l| l.strip_prefix("  shrunk: ")).expect("a shrunk scenario");
    let path = shrunk.split(" (still fails `linearizable`").next().expect("a path");
    assert!(Path::new(path).is_file(), "{shrunk}");
    let r = run(&["run", path, "--out", out.to_str().unwrap(), "--no-charts", "-q"]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
}
