//! `eightfold grade`: the shipped lab suite against the shipped Raft (it passes), against
//! Raft with each of the three classic student mistakes switched on (each fails the test
//! written to catch it, with the named check, a replay command and a shrunk scenario that
//! still fails when run), a hidden suite, determinism, and bad suites (exit code 2 naming
//! the field).

use std::path::{Path, PathBuf};
use std::process::Output;

use super::common::{root, run_bin};

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn suite() -> String {
    root().join("lab/suite.json").display().to_string()
}

fn grade(args: &[&str]) -> Output {
    let mut all = vec!["grade"];
    all.extend_from_slice(args);
    run_bin(&all)
}

/// The value after `label: ` on the first line of the failure block of `test` that has it.
fn field(out: &str, test: &str, label: &str) -> String {
    let block = out.split("\n\n").find(|b| b.starts_with(&format!("{test}: FAILED"))).unwrap_or_else(|| {
        panic!("no failure block for {test} in:\n{out}");
    });
    let prefix = format!("  {label}: ");
    block
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {label} line for {test} in:\n{block}"))
        .to_string()
}

/// The row of the score table for `test`, split into its columns.
fn row(out: &str, test: &str) -> Vec<String> {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{test} ")))
        .unwrap_or_else(|| panic!("no row for {test} in:\n{out}"));
    line.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_shipped_raft_passes_the_lab_suite() {
    let out = tempfile::tempdir().expect("tmp");
    let o = grade(&[&suite(), "--out", out.path().to_str().unwrap(), "--jobs", "2"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("score: 100/100 points (10 of 10 tests passed)"), "{t}");
    assert!(!t.contains("FAILED"), "{t}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("grade.json")).expect("grade.json"))
            .expect("JSON");
    assert_eq!(summary["earned"], 100);
    assert_eq!(summary["tests"].as_array().map(Vec::len), Some(10));
}

/// Each mistake of the lab's three broken solutions — votes granted without the log check
/// (§5.4.1), commit counted without the current-term rule (§5.4.2), a vote granted before
/// it is fsynced — fails the test written for it with the check that catches it; the replay
/// command reproduces the failing seed and the shrunk scenario exists and still fails.
#[test]
fn each_classic_mistake_fails_its_test_with_a_replay_and_a_shrunk_scenario() {
    for (bug, test) in [
        ("no_log_check", "replication-leader-churn"),
        ("commit_old_terms", "replication-figure-8"),
        ("forget_vote", "persistence-vote-amnesia"),
    ] {
        let out = tempfile::tempdir().expect("tmp");
        let o = grade(&[&suite(), "--out", out.path().to_str().unwrap(), "--jobs", "2", "--bug", bug]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{bug}: {t}");
        let cols = row(&t, test);
        assert_eq!(cols[2], "0/10", "{bug}: {t}");
        assert_eq!(cols[3], "invariants", "{bug}: {t}");
        assert!(t.contains("score: ") && !t.contains("score: 100/100"), "{t}");
        // The failure names the check, the seed and what it saw.
        let seed_line = t
            .lines()
            .skip_while(|l| !l.starts_with(&format!("{test}: FAILED")))
            .find(|l| l.starts_with("  seed "))
            .expect("a seed line")
            .to_string();
        assert!(seed_line.contains("`invariants` failed: at "), "{seed_line}");
        // "(seed N)" splits into "(seed" and "N)".
        let seed: u64 = cols[5].trim_end_matches(')').parse().expect("a seed");
        // The replay command, run as printed, fails the same check with the same seed.
        let replay = field(&t, test, "replay");
        let words: Vec<&str> = replay.split(' ').collect();
        assert_eq!(words[1], "run", "{replay}");
        assert!(words.contains(&"--trace") && words.contains(&bug), "{replay}");
        assert!(replay.ends_with(&format!("--seed {seed} --trace")), "{replay}");
        let again = tempfile::tempdir().expect("tmp");
        let mut args: Vec<&str> = words[1..].to_vec();
        args.extend(["--out", again.path().to_str().unwrap(), "--no-charts", "-q"]);
        let r = run_bin(&args);
        assert_eq!(r.status.code(), Some(1), "{replay}: {}", text(&r));
        // The report of the first failing seed is on disk.
        let report = field(&t, test, "report");
        assert!(Path::new(&report).is_file(), "{report}");
        let outcome = Path::new(&report).with_file_name("outcome.json");
        let outcome: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&outcome).expect("outcome")).expect("JSON");
        assert_eq!(outcome["seed"], seed);
        assert_eq!(outcome["checks"]["invariants"]["status"], "fail");
        // The shrunk scenario exists, names the bug itself, and still fails when run as is.
        let shrunk = field(&t, test, "shrunk");
        let path = PathBuf::from(shrunk.split(" (still fails `invariants`").next().expect("a path"));
        assert!(path.is_file(), "{shrunk}");
        let text_of = std::fs::read_to_string(&path).expect("readable");
        assert!(text_of.contains(bug), "the shrunk scenario switches the bug on itself: {text_of}");
        let r =
            run_bin(&["run", path.to_str().unwrap(), "--out", again.path().to_str().unwrap(), "--no-charts"]);
        let rt = text(&r);
        assert_eq!(r.status.code(), Some(1), "{rt}");
        assert!(rt.contains("check invariants: FAIL"), "{rt}");
    }
}

/// A hidden suite is scored in the same table; its failures show the check, the seed and
/// the replay command, but neither what the check saw, nor a report, nor a shrunk scenario.
#[test]
fn a_hidden_suite_is_scored_without_showing_its_scenarios() {
    let dir = tempfile::tempdir().expect("tmp");
    let scenario = root().join("lab/scenarios/persistence-vote-amnesia.json");
    let hidden = dir.path().join("hidden.json");
    std::fs::write(
        &hidden,
        format!(
            r#"{{ "tests": [ {{ "name": "secret-amnesia", "title": "a secret test", "scenario": {:?},
                 "seeds": [24, 28], "checks": ["invariants"], "points": 7 }} ] }}"#,
            scenario.display().to_string()
        ),
    )
    .expect("written");
    let out = dir.path().join("out");
    let o = grade(&[
        &suite(),
        "--hidden",
        hidden.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--bug",
        "forget_vote",
        "--shrink-runs",
        "5",
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert_eq!(row(&t, "secret-amnesia")[1..5], ["(hidden)", "0/2", "0/7", "invariants"], "{t}");
    assert!(t.contains("score: 90/107 points (9 of 11 tests passed)"), "{t}");
    let block = t.split("\n\n").find(|b| b.starts_with("secret-amnesia (hidden): FAILED")).expect("block");
    assert!(block.contains("  seed 24: `invariants` failed\n"), "{block}");
    assert!(block.contains("--seed 24 --trace"), "{block}");
    assert!(
        !block.contains("election safety") && !block.contains("report:") && !block.contains("shrunk:"),
        "{block}"
    );
    assert!(!out.join("secret-amnesia").exists());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("grade.json")).expect("grade.json"))
            .expect("JSON");
    let secret = summary["tests"].as_array().and_then(|t| t.last()).expect("the hidden test, last");
    assert_eq!(secret["score"]["name"], "secret-amnesia");
    assert_eq!(secret["score"]["first_failure"][0], 24);
    assert_eq!(secret["score"]["first_failure"][1]["detail"], "", "{secret}");
    assert!(secret.get("report").is_none() && secret.get("shrunk").is_none(), "{secret}");
}

/// The same suite gives the same table and failures, whatever the number of threads.
#[test]
fn grading_is_deterministic() {
    let table = |jobs: &str| {
        let out = tempfile::tempdir().expect("tmp");
        let o = grade(&[
            &suite(),
            "--out",
            out.path().to_str().unwrap(),
            "--jobs",
            jobs,
            "--bug",
            "commit_old_terms",
            "--shrink-runs",
            "10",
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        // Paths differ with the output directory; everything else must not.
        String::from_utf8_lossy(&o.stdout).replace(out.path().to_str().unwrap(), "OUT")
    };
    assert_eq!(table("1"), table("2"));
}

#[test]
fn a_bad_suite_is_refused_with_exit_code_2_naming_the_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let scenario = root().join("lab/scenarios/election-quiet.json").display().to_string();
    let case = |name: &str, body: String, extra: &[&str]| {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, body).expect("written");
        let mut args = vec![path.to_str().unwrap().to_string()];
        args.extend(["--out".to_string(), dir.path().join("out").display().to_string()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = grade(&refs);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        (path.display().to_string(), err)
    };
    let test = |checks: &str, scenario: &str| {
        format!(
            r#"{{ "tests": [ {{ "name": "t", "title": "T", "scenario": {scenario:?}, "seeds": "1..2", "checks": {checks}, "points": 1 }} ] }}"#
        )
    };
    let (p, e) = case("unknown-check", test(r#"["linearizible"]"#, &scenario), &[]);
    assert!(e.starts_with(&format!("error: {p}: tests[0].checks[0]: unknown variant `linearizible`")), "{e}");
    let (p, e) = case("missing-scenario", test(r#"["liveness"]"#, "nowhere.json"), &[]);
    assert!(e.starts_with(&format!("error: {p}: tests[0].scenario: no scenario file ")), "{e}");
    assert!(e.contains("nowhere.json"), "{e}");
    let (p, e) = case(
        "malformed",
        test(r#"["liveness"]"#, &scenario).replace(r#""points": 1"#, r#""points": "many""#),
        &[],
    );
    assert!(e.starts_with(&format!("error: {p}: tests[0].points: invalid type")), "{e}");
    let (p, e) = case("broadcast-check", test(r#"["convergence"]"#, &scenario), &[]);
    assert!(
        e.starts_with(&format!(
            "error: {p}: tests[0].checks[0]: a run of raft (a key-value protocol) has no `convergence` check"
        )),
        "{e}"
    );
    let body = test(r#"["liveness"]"#, &scenario).replacen('{', r#"{ "protocol": "student","#, 1);
    let (p, e) = case("unknown-protocol", body, &[]);
    assert!(e.starts_with(&format!("error: {p}: protocol: no protocol is registered as \"student\"")), "{e}");
    let (_, e) = case("flag", test(r#"["liveness"]"#, &scenario), &["--protocol", "student"]);
    assert!(e.starts_with("error: --protocol: no protocol is registered as \"student\""), "{e}");
    let (_, e) = case("bug", test(r#"["liveness"]"#, &scenario), &["--bug", "no_such_bug"]);
    assert!(e.starts_with("error: --bug: "), "{e}");
    let o = grade(&[dir.path().join("absent.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// A suite's protocol replaces each scenario's, and the replay command carries it.
#[test]
fn the_suites_protocol_replaces_the_scenarios() {
    let dir = tempfile::tempdir().expect("tmp");
    let scenario = root().join("lab/scenarios/election-quiet.json").display().to_string();
    let path = dir.path().join("paxos.json");
    std::fs::write(
        &path,
        format!(
            r#"{{ "protocol": "quorum", "tests": [ {{ "name": "q", "title": "Q", "scenario": {scenario:?}, "seeds": [1], "checks": ["invariants"], "points": 1 }} ] }}"#
        ),
    )
    .expect("written");
    let out = dir.path().join("out");
    let o = grade(&[path.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains(": protocol quorum, 1 tests, 1 runs"), "{t}");
    let o = grade(&[path.to_str().unwrap(), "--out", out.to_str().unwrap(), "--protocol", "paxos"]);
    assert!(text(&o).contains(": protocol paxos, 1 tests, 1 runs"), "{}", text(&o));
}
