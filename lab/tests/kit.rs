//! The kit's own tests, for whoever maintains it (a student's `cargo test` runs them too:
//! the skeleton test then says the exercises are done). They grade, through the teacher's
//! binary, the reference solution (full marks), the untouched skeleton (every test failing
//! with the exercise to do next) and four broken solutions (each failing a named test on
//! a named check, with a replay command that fails when run as printed and a shrunk
//! scenario that still fails).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn teacher() -> Command {
    Command::new(env!("CARGO_BIN_EXE_raft-lab-solutions"))
}

fn kit() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn text(o: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Grades `protocol` against the kit's suite into `out`.
fn grade(protocol: &str, out: &Path) -> (Output, serde_json::Value) {
    let o = teacher()
        .current_dir(kit().parent().expect("the kit lives in the repository"))
        .args(["grade", "lab/suite.json", "--protocol", protocol, "--jobs", "2", "--out"])
        .arg(out)
        .output()
        .expect("the teacher's binary runs");
    let json = std::fs::read_to_string(out.join("grade.json")).expect("grade.json is written");
    (o, serde_json::from_str(&json).expect("grade.json is JSON"))
}

/// The first failure of test `name` in grade.json: (check, detail).
fn failure(g: &serde_json::Value, name: &str) -> Option<(String, String)> {
    let t = g["tests"].as_array()?.iter().find(|t| t["score"]["name"] == name)?;
    let f = t["score"]["first_failure"].as_array()?;
    Some((f[1]["check"].as_str()?.to_string(), f[1]["detail"].as_str()?.to_string()))
}

fn record<'a>(g: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    g["tests"].as_array().unwrap().iter().find(|t| t["score"]["name"] == name).unwrap()
}

#[test]
fn the_reference_solution_earns_full_marks() {
    let dir = tempfile::tempdir().unwrap();
    let (o, g) = grade("reference", dir.path());
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!((g["earned"].as_u64(), g["points"].as_u64()), (Some(100), Some(100)), "{}", text(&o));
    // The suite's tuned Raft timing reached the lab's Raft.
    assert!(text(&o).contains("adapted for reference"), "{}", text(&o));
}

#[test]
fn the_untouched_skeleton_fails_every_test_naming_the_exercise_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (o, g) = grade("student", dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(g["earned"].as_u64(), Some(0));
    for t in g["tests"].as_array().unwrap() {
        let name = t["score"]["name"].as_str().unwrap();
        let (check, detail) = failure(&g, name).expect("every test fails");
        assert_eq!(check, "panic", "{name}");
        assert!(detail.contains("exercise 1a: start_election in lab/src/student.rs"), "{name}: {detail}");
    }
    let out = text(&o);
    // The student sees what to do, where, and why: the exercise, the hint, the replay.
    assert!(out.contains("hint: exercise 1, leader election"), "{out}");
    assert!(out.contains("--protocol student --seed 1"), "{out}");
    // A panic is a finding kept in the table, not a backtrace per run.
    assert!(!out.contains("stack backtrace") && !out.contains("panicked at"), "{out}");
}

/// A broken solution fails `test` on `check` with `words` in what it saw; its replay fails
/// when run as printed, and its shrunk scenario still fails.
fn caught(protocol: &str, test: &str, check: &str, words: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (o, g) = grade(protocol, dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let (got, detail) =
        failure(&g, test).unwrap_or_else(|| panic!("{test} passed for {protocol}\n{}", text(&o)));
    assert_eq!(got, check, "{detail}");
    assert!(detail.contains(words), "{detail}");
    let r = record(&g, test);
    let replay = r["replay"].as_str().expect("a replay command");
    assert!(replay.contains(&format!("--protocol {protocol}")), "{replay}");
    let mut args = replay.split(' ');
    let program = args.next().unwrap();
    assert!(program.ends_with("raft-lab-solutions"), "{replay}");
    let report = dir.path().join("replay");
    let again =
        teacher().current_dir(kit().parent().unwrap()).args(args).arg("--out").arg(&report).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "the replay must fail as graded: {}", text(&again));
    assert!(text(&again).contains(words), "{}", text(&again));
    assert!(Path::new(r["report"].as_str().expect("a report")).join("index.html").is_file());
    let shrunk = r["shrunk"].as_str().expect("a shrunk scenario");
    let run = teacher()
        .args(["run", shrunk, "--no-charts", "-q", "--out"])
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "the shrunk scenario must still fail: {}", text(&run));
}

#[test]
fn votes_granted_without_the_log_check_are_caught() {
    caught("votes-without-log-check", "replication-leader-churn", "invariants", "leader completeness");
}

#[test]
fn commits_counted_without_the_current_term_rule_are_caught() {
    caught("commit-without-current-term", "replication-figure-8", "invariants", "current-term commitment");
}

#[test]
fn entries_truncated_on_a_match_are_caught() {
    caught("truncate-on-match", "replication-figure-8", "invariants", "state-machine safety");
}

#[test]
fn replies_sent_before_persisting_are_caught() {
    caught("no-persist-before-reply", "persistence-vote-amnesia", "invariants", "leader");
}

/// The number after `what ` in the security line of a run's summary ("(mac 1726").
fn count(out: &str, what: &str) -> u64 {
    let at = out.find(&format!("{what} ")).unwrap_or_else(|| panic!("no {what:?} in {out}")) + what.len() + 1;
    out[at..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

#[test]
fn the_kits_own_messages_face_the_insecure_network_like_the_shipped_ones() {
    let dir = tempfile::tempdir().unwrap();
    let run = |bug: &[&str]| {
        let o = teacher()
            .current_dir(kit().parent().unwrap())
            .args([
                "run",
                "scenarios/fallacy-4-secure-network.json",
                "--protocol",
                "reference",
                "--seed",
                "1",
            ])
            .args(bug)
            .args(["--no-charts", "--out"])
            .arg(dir.path())
            .output()
            .unwrap();
        (o.status.code(), text(&o))
    };
    // Authenticated: flipped bits and forgeries of the kit's messages fail the MAC, replays
    // the window, and the reference solution is none the wiser.
    let (code, out) = run(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(count(&out, "(mac") > 100 && count(&out, ", replay") > 100, "{out}");
    // Without the MAC, mangled messages reach the decoder: some no longer decode and are
    // refused, others decode into lies the invariant checker catches.
    let (code, out) = run(&["--bug", "no_auth"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(count(&out, ", decode") > 0 && count(&out, "tampered accepted") > 0, "{out}");
    assert!(out.contains("check invariants: FAIL"), "{out}");
}
