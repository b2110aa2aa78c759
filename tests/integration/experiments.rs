//! Experiment tooling end to end, through the binary: replay proves a report reproduces
//! (and catches tampering), sweeps give the same summary whatever the thread count or
//! sharding, Ctrl-C saves what finished, and shrinking keeps a failure while making its
//! scenario smaller, deterministically.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::AtomicBool;

use super::common::{bin, read_json, root, tempdir};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn exe(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts a bad-input failure: exit 2 and a single line on stderr.
fn one_line_exit_2(o: &Output, what: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{what}: expected one line, got {e}");
}

/// The crash-restart storm with the `no_log_check` bug: votes ignore the election
/// restriction, so a candidate missing committed entries can win. Seeds 2 and 7 of 1..8
/// fail the `invariants` check (leader completeness), which stops the run early.
fn buggy_storm(dir: &Path) -> PathBuf {
    let mut v = read_json(&root().join("scenarios/raft-crash-restart-storm.json"));
    v["name"] = "storm-no-log-check".into();
    v["bugs"] = serde_json::json!(["no_log_check"]);
    let file = dir.join("storm-no-log-check.json");
    std::fs::write(&file, serde_json::to_string_pretty(&v).expect("json")).expect("write scenario");
    file
}

/// A sweep file without its wall-clock section.
fn without_timing(p: &Path) -> serde_json::Value {
    let mut v = read_json(p);
    v.as_object_mut().expect("object").remove("timing").expect("a timing section");
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("readable") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

#[test]
fn replay_reproduces_a_report_and_names_the_first_diverging_event() {
    let dir = tempdir("replay");
    let scenario = root().join("scenarios/raft-leader-crash.json");
    let o = exe(&["run", s(&scenario), "--seed", "3", "--trace", "-q", "--out", s(&dir)]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let report = dir.join("raft-leader-crash-seed3");
    let digest = read_json(&report.join("outcome.json"))["digest"].as_str().expect("digest").to_string();

    let ok = exe(&["replay", s(&report)]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains(&format!("digest {digest} matches")), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("every line of trace.jsonl"), "{}", stdout(&ok));

    // An edited digest: detected; the trace shows the events themselves did not change.
    let edited = dir.join("edited-digest");
    copy_dir(&report, &edited);
    let outcome = std::fs::read_to_string(edited.join("outcome.json")).expect("outcome");
    std::fs::write(edited.join("outcome.json"), outcome.replace(&digest, "0123456789abcdef")).expect("write");
    let o = exe(&["replay", s(&edited)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("recorded digest 0123456789abcdef"), "{}", stderr(&o));

    // An edited scenario: a different run, and the first diverging event is named.
    let tampered = dir.join("edited-scenario");
    copy_dir(&report, &tampered);
    let text = std::fs::read_to_string(tampered.join("scenario.json")).expect("scenario");
    assert!(text.contains("\"3ms\""));
    std::fs::write(tampered.join("scenario.json"), text.replacen("\"3ms\"", "\"4ms\"", 1)).expect("write");
    let o = exe(&["replay", s(&tampered)]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("DIVERGED"), "{e}");
    let line = e.lines().find(|l| l.contains("first diverging event at trace.jsonl line")).expect("named");
    let n: usize =
        line.trim_end_matches(':').rsplit(' ').next().expect("number").parse().expect("a line number");
    let recorded = std::fs::read_to_string(tampered.join("trace.jsonl")).expect("trace");
    let expected = recorded.lines().nth(n - 1).expect("the line exists");
    assert!(e.contains(&format!("expected: {expected}")), "{e}");
    assert!(e.lines().any(|l| l.trim_start().starts_with("actual:")), "{e}");

    // Without a trace the mismatch is still an error.
    std::fs::remove_file(tampered.join("trace.jsonl")).expect("rm");
    let o = exe(&["replay", s(&tampered)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    // Missing or corrupt reports are bad input.
    one_line_exit_2(&exe(&["replay", s(&dir.join("no-such-report"))]), "missing dir");
    std::fs::write(edited.join("outcome.json"), "{ not json").expect("write");
    one_line_exit_2(&exe(&["replay", s(&edited)]), "corrupt outcome");
    std::fs::remove_file(tampered.join("scenario.json")).expect("rm");
    one_line_exit_2(&exe(&["replay", s(&tampered)]), "no scenario.json");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sweeps_agree_across_jobs_and_merged_shards() {
    let dir = tempdir("sweep");
    let scenario = buggy_storm(&dir);
    let sweep = |out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let mut args = vec!["sweep", s(&scenario), "--seeds", "1..12", "--out", s(&out)];
        args.extend_from_slice(extra);
        let o = exe(&args);
        // Seeds 2, 7, 11 and 12 fail: exit 1 if the slice holds one of them, else 0.
        let failed = read_json(&out)["counts"]["failed"].as_u64().expect("count");
        assert_eq!(o.status.code(), Some(i32::from(failed > 0)), "{}", stderr(&o));
        out
    };
    let one = sweep("jobs1.json", &["--jobs", "1"]);
    let two = sweep("jobs2.json", &["--jobs", "2"]);
    let shards: Vec<PathBuf> = (1..=4)
        .map(|k| sweep(&format!("shard{k}.json"), &["--jobs", "1", "--shard", &format!("{k}/4")]))
        .collect();
    let merged = dir.join("merged.json");
    let mut args = vec!["merge"];
    args.extend(shards.iter().rev().map(|p| s(p)));
    args.extend(["--out", s(&merged)]);
    let o = exe(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    let reference = without_timing(&one);
    assert_eq!(reference, without_timing(&two), "--jobs 1 and --jobs 2 differ");
    assert_eq!(reference, without_timing(&merged), "merged shards differ from the unsharded sweep");

    let v = read_json(&one);
    let seeds: Vec<u64> =
        v["records"].as_array().expect("records").iter().map(|r| r["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, (1..=12).collect::<Vec<u64>>());
    assert_eq!(v["counts"]["run"], 12);
    assert!(v["counts"]["failed"].as_u64().unwrap() >= 1);
    let first = &v["failures"][0];
    assert_eq!(first["failed_checks"][0], "invariants");
    let seed = first["seed"].as_u64().unwrap();
    assert!(first["replay"].as_str().unwrap().ends_with(&format!("--seed {seed} --trace")));
    for key in ["latency_p99_ms", "time_without_leader_s", "leader_changes"] {
        assert!(v["distributions"][key]["p90"].is_number(), "{key}");
    }
    let shard = read_json(&shards[1]);
    assert_eq!(shard["shard"]["seeds"], serde_json::json!({"first": 4, "last": 6}));

    // The chart: a histogram with its text as SVG <text>, no font files involved.
    let svg = std::fs::read_to_string(one.with_extension("svg")).expect("sweep.svg next to sweep.json");
    assert!(svg.starts_with("<svg") && svg.contains("<text") && svg.contains("failure rate"), "{svg}");
    assert!(svg.contains("<rect"));

    // The replay command of a failing seed reproduces that failure.
    let o = exe(&["run", s(&scenario), "--seed", &seed.to_string(), "-q", "--out", s(&dir.join("r"))]);
    assert_eq!(o.status.code(), Some(1));
    let rec = v["records"].as_array().unwrap().iter().find(|r| r["seed"] == seed).unwrap().clone();
    assert!(stdout(&o).contains(rec["digest"].as_str().unwrap()));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn merge_refuses_other_scenarios_overlaps_and_gaps() {
    let dir = tempdir("merge");
    let scenario = root().join("scenarios/raft-happy-path.json");
    let run = |name: &str, file: &Path, seeds: &str, shard: &str| {
        let out = dir.join(name);
        let o = exe(&["sweep", s(file), "--seeds", seeds, "--shard", shard, "--jobs", "1", "--out", s(&out)]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        out
    };
    let a = run("a.json", &scenario, "1..3", "1/3");
    let c = run("c.json", &scenario, "1..3", "3/3");
    // The same scenario with one more space is a different text: a different hash.
    let text = std::fs::read_to_string(&scenario).expect("read");
    let other = dir.join("other.json");
    std::fs::write(&other, text.replacen('{', "{ ", 1)).expect("write");
    let b = run("b.json", &other, "1..3", "2/3");
    let merge = |files: &[&Path]| {
        let mut args = vec!["merge"];
        args.extend(files.iter().map(|p| s(p)));
        let out = dir.join("m.json");
        args.extend(["--out", s(&out)]);
        exe(&args)
    };
    let o = merge(&[&a, &b, &c]);
    one_line_exit_2(&o, "different scenarios");
    assert!(stderr(&o).contains("different scenarios"));
    let o = merge(&[&a, &a]);
    one_line_exit_2(&o, "overlap");
    assert!(stderr(&o).contains("overlap"));
    let o = merge(&[&a, &c]);
    one_line_exit_2(&o, "gap");
    assert!(stderr(&o).contains("seeds 2..2"));
    std::fs::write(dir.join("junk.json"), "[1, 2]").expect("write");
    one_line_exit_2(&merge(&[&dir.join("junk.json")]), "not a sweep file");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_sweep_flags_are_one_line_errors() {
    let dir = tempdir("flags");
    let scenario = root().join("scenarios/raft-happy-path.json");
    let out = dir.join("x.json");
    for flags in [
        &["--seeds", "10..1"][..],
        &["--seeds", "1..10", "--shard", "3/2"],
        &["--seeds", "1..10", "--shard", "0/4"],
        &["--seeds", "1..10", "--shard", "two"],
        &["--seeds", "1..3", "--shard", "1/4"],
        &["--seeds", "1..10", "--jobs", "0"],
        &["--seeds", "1..10000000"],
        &["--seeds", "ten"],
        &["--seeds", "1..10", "--metric", "nope"],
        &["--seeds", "1..10", "--bug", "nope"],
        &["--seeds", "1..10", "--bug", "ignore_accepted"],
    ] {
        let mut args = vec!["sweep", s(&scenario), "--out", s(&out)];
        args.extend_from_slice(flags);
        one_line_exit_2(&exe(&args), &flags.join(" "));
    }
    assert!(!out.exists(), "no summary for bad flags");
    one_line_exit_2(&exe(&["shrink", s(&scenario), "--seed", "x"]), "shrink --seed x");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_sweep_with_a_bug_finds_it_and_its_replay_commands_switch_it_on() {
    // ignore_accepted (a new Paxos leader forgets the values its promises reported) is
    // caught in 199 of 200 seeds of paxos-leader-churn; the same seeds pass without it.
    let dir = tempdir("sweep-bug");
    let scenario = root().join("scenarios/paxos-leader-churn.json");
    let clean = dir.join("clean.json");
    let o = exe(&["sweep", s(&scenario), "--seeds", "1..6", "--jobs", "2", "--out", s(&clean)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let buggy = dir.join("buggy.json");
    let args = ["sweep", s(&scenario), "--seeds", "1..6", "--jobs", "2", "--bug", "ignore_accepted"];
    let o = exe(&[&args[..], &["--out", s(&buggy)]].concat());
    assert_eq!(o.status.code(), Some(1), "failures found: {}", stderr(&o));
    let summary = read_json(&buggy);
    assert_eq!(summary["bugs"], serde_json::json!(["ignore_accepted"]));
    let failures = summary["failures"].as_array().expect("failures");
    assert!(failures.len() >= 4, "ignore_accepted is caught in most seeds: {}", failures.len());
    let first = &failures[0];
    let replay = first["replay"].as_str().expect("replay command");
    assert!(replay.contains("--bug ignore_accepted"), "{replay}");
    assert!(first["shrink"].as_str().expect("shrink command").contains("--bug ignore_accepted"));
    // The replay command, run as written (without --trace), fails the same way.
    let seed = first["seed"].as_u64().expect("seed").to_string();
    let out = dir.join("replay");
    let o = exe(&[
        "run",
        s(&scenario),
        "--seed",
        &seed,
        "--bug",
        "ignore_accepted",
        "-q",
        "--no-charts",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1), "the failing seed fails again: {}", stderr(&o));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ctrl_c_stops_a_sweep_and_saves_what_finished() {
    let dir = tempdir("interrupt");
    let out = dir.join("sweep.json");
    let scenario = root().join("scenarios/raft-minority-partition.json");
    let child = Command::new(env!("CARGO_BIN_EXE_eightfold"))
        .args(["sweep", s(&scenario), "--seeds", "1..100000", "--jobs", "1", "--out", s(&out)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Long enough for the handler to be installed and some seeds to finish, even on a
    // busy machine; the sweep itself would take minutes.
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let kill =
        Command::new("sh").args(["-c", &format!("kill -INT {}", child.id())]).status().expect("sh runs");
    assert!(kill.success());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let v = read_json(&out);
    assert_eq!(v["complete"], false);
    assert_eq!(v["stopped"], "interrupted");
    let run = v["counts"]["run"].as_u64().unwrap();
    assert!((1..100000).contains(&run), "{run}");
    assert_eq!(v["records"].as_array().unwrap().len() as u64, run);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_stopped_library_sweep_runs_nothing() {
    use eightfold::experiment::SeedRange;
    use eightfold::experiment::summary::StopReason;
    use eightfold::experiment::sweep::{SweepPlan, spec_for, sweep};
    let text = std::fs::read_to_string(root().join("scenarios/raft-happy-path.json")).expect("read");
    let scenario = eightfold::scenario::parse(&text).expect("valid");
    let plan = SweepPlan {
        scenario: &scenario,
        spec: spec_for(&scenario, &text, "raft-happy-path.json", SeedRange::new(1, 50).unwrap()),
        shard: None,
        jobs: 2,
        fail_fast: false,
        isolation: eightfold::experiment::worker::Isolation::Threads,
    };
    let summary = sweep(&plan, &AtomicBool::new(true), &|_| {}).expect("sweep");
    assert_eq!(summary.counts.run, 0);
    assert_eq!(summary.stopped, Some(StopReason::Interrupted));
}

#[test]
fn fail_fast_stops_after_a_failure() {
    let dir = tempdir("failfast");
    let scenario = buggy_storm(&dir);
    let out = dir.join("ff.json");
    let o =
        exe(&["sweep", s(&scenario), "--seeds", "1..400", "--jobs", "1", "--fail-fast", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = read_json(&out);
    assert_eq!(v["stopped"], "fail_fast");
    // With one job seeds run in order: seed 2 is the first to fail.
    assert_eq!(v["counts"]["run"], 2);
    assert_eq!(v["failures"][0]["seed"], 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn shrinking_keeps_the_failure_smaller_and_is_deterministic() {
    let dir = tempdir("shrink");
    let scenario = buggy_storm(&dir);
    let shrink = |name: &str| {
        let out = dir.join(name);
        let o = exe(&["shrink", s(&scenario), "--seed", "2", "--out", s(&out)]);
        assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
        out
    };
    let a = shrink("a");
    let b = shrink("b");
    for file in ["storm-no-log-check-shrunk.json", "shrink.json"] {
        let x = std::fs::read(a.join(file)).expect("written");
        assert_eq!(x, std::fs::read(b.join(file)).expect("written"), "{file} differs between two shrinks");
    }
    let log = read_json(&a.join("shrink.json"));
    assert_eq!(log["check"], "invariants");
    let (orig, min) = (&log["original"], &log["minimal"]);
    assert!(min["faults"].as_u64() < orig["faults"].as_u64(), "{log}");
    assert!(min["operations"].as_u64() < orig["operations"].as_u64(), "{log}");
    assert!(log["runs"].as_u64().unwrap() <= log["max_runs"].as_u64().unwrap());
    assert_eq!(log["attempts"][0]["step"], "original");
    for a in log["attempts"].as_array().unwrap() {
        assert!(a["change"].is_string() && a["verdict"].is_string(), "{a}");
    }

    // The minimal scenario is valid, runs on its own, and fails the same check.
    let shrunk = a.join("storm-no-log-check-shrunk.json");
    let v = read_json(&shrunk);
    assert_eq!(v["seed"], 2);
    let o = exe(&["run", s(&shrunk), "-q", "--out", s(&dir.join("rerun"))]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let outcome = read_json(&dir.join("rerun/storm-no-log-check-shrunk-seed2/outcome.json"));
    assert_eq!(outcome["checks"]["invariants"]["status"], "fail");

    // Its report came through the `run` code path, with a trace that replays.
    let report = a.join("storm-no-log-check-shrunk-seed2");
    assert_eq!(read_json(&report.join("outcome.json"))["digest"], outcome["digest"]);
    let o = exe(&["replay", s(&report)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // A passing seed has nothing to shrink; a bounded budget is honoured.
    one_line_exit_2(
        &exe(&["shrink", s(&scenario), "--seed", "1", "--out", s(&dir.join("c"))]),
        "passing seed",
    );
    let o =
        exe(&["shrink", s(&scenario), "--seed", "2", "--max-runs", "5", "-q", "--out", s(&dir.join("d"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let log = read_json(&dir.join("d/shrink.json"));
    assert_eq!(log["runs"], 5);
    assert_eq!(log["limit_reached"], true);
    let _ = std::fs::remove_dir_all(dir);
}
