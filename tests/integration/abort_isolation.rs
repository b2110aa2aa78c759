//! Issue 14, finding 2 (second half): a seed whose process aborts must not take a whole
//! sweep or comparison down with it. A panic unwinds and is caught per seed; an abort (a
//! failed allocation, a stack overflow) ends the process at once, and a sweep of ten seeds
//! of `tests/data/issue14/sec-paxos.json` with `--bug no_auth` used to exit 134 and write no
//! summary. Sweeps and comparisons now run their seeds in worker processes
//! (`experiment::worker`); a seed that kills its worker twice is recorded as failed with the
//! pseudo-check `abort`, naming the signal, and the others' results are what they would
//! have been.
//!
//! The abort is injected: `EIGHTFOLD_ABORT_SEEDS` makes the named seeds call
//! `std::process::abort()` instead of running, on threads and in workers alike, so the
//! same fault shows the old behaviour (`--in-process`) and the new one side by side.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::common::{read_json, root, tempdir};
use serde_json::Value;

const SEEDS: &str = "1..6";
const ABORTING: u64 = 3;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn scenario() -> PathBuf {
    root().join("tests/data/issue14/sec-paxos.json")
}

/// Runs the binary with `args`, seed [`ABORTING`] aborting if `abort` is set.
fn bin(args: &[&str], abort: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eightfold"));
    cmd.args(args).env_remove("EIGHTFOLD_ABORT_SEEDS");
    if abort {
        cmd.env("EIGHTFOLD_ABORT_SEEDS", ABORTING.to_string());
    }
    cmd.output().expect("the binary runs")
}

/// Sweeps [`SEEDS`] of the scenario with `--bug no_auth` into `out`.
fn sweep(out: &Path, jobs: &str, extra: &[&str], abort: bool) -> Output {
    let sc = scenario();
    let mut args =
        vec!["sweep", s(&sc), "--seeds", SEEDS, "--jobs", jobs, "--bug", "no_auth", "--out", s(out)];
    args.extend_from_slice(extra);
    bin(&args, abort)
}

/// A summary without its wall-clock section.
fn without_timing(mut v: Value) -> Value {
    v.as_object_mut().expect("an object").remove("timing");
    v
}

fn records(v: &Value) -> &Vec<Value> {
    v["records"].as_array().expect("records")
}

#[cfg(unix)]
fn signal(o: &Output) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(&o.status)
}

#[cfg(unix)]
#[test]
fn on_threads_an_abort_takes_the_whole_sweep_down() {
    // The old behaviour, still what `--in-process` does: the injected fault is a real abort.
    let dir = tempdir("abort-threads");
    let out = dir.join("sweep.json");
    let o = sweep(&out, "2", &["--in-process"], true);
    assert_eq!(signal(&o), Some(6), "{:?}: {}", o.status, String::from_utf8_lossy(&o.stderr));
    assert!(!out.exists(), "no summary can be written by a process that aborted");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_sweep_records_a_seed_that_aborts_and_keeps_every_other_result() {
    let dir = tempdir("abort-sweep");
    let reference = dir.join("threads.json");
    let o = sweep(&reference, "2", &["--in-process"], false);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let reference = without_timing(read_json(&reference));

    // Without an abort, worker processes give the summary threads give, byte for byte
    // apart from the wall clock.
    let clean = dir.join("clean.json");
    let o = sweep(&clean, "2", &[], false);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(without_timing(read_json(&clean)), reference);

    let mut summaries = Vec::new();
    for jobs in ["1", "2"] {
        let out = dir.join(format!("aborting-{jobs}.json"));
        let o = sweep(&out, jobs, &[], true);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "--jobs {jobs}: {:?}: {stderr}", o.status);
        let v = without_timing(read_json(&out));
        assert_eq!(v["complete"], true, "--jobs {jobs}");
        assert_eq!(v["counts"]["run"], 6, "--jobs {jobs}");
        let rs = records(&v);
        assert_eq!(rs.len(), 6, "--jobs {jobs}");
        for (r, before) in rs.iter().zip(records(&reference)) {
            assert_eq!(r["seed"], before["seed"]);
            if r["seed"] == ABORTING {
                assert_eq!(r["passed"], false);
                assert_eq!(r["failed_checks"], serde_json::json!(["abort"]), "{r}");
                let how = r["details"]["abort"].as_str().expect("how the worker ended");
                assert!(how.contains("signal 6") && how.contains("SIGABRT"), "{how}");
                let stdout = String::from_utf8_lossy(&o.stdout);
                assert!(stdout.contains(&format!("seed {ABORTING} failed abort")), "{stdout}");
            } else {
                assert_eq!(r, before, "--jobs {jobs}: seed {} changed", r["seed"]);
            }
        }
        assert!(v["failed_checks"]["abort"] == 1, "{}", v["failed_checks"]);
        summaries.push(v);
    }
    assert_eq!(summaries[0], summaries[1], "the summary depends on --jobs");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_comparison_records_a_run_that_aborts_and_writes_its_report() {
    let dir = tempdir("abort-compare");
    let sc = scenario();
    let compare = |out: &Path, abort: bool| {
        let args = ["compare", s(&sc), "--seeds", "1..4", "--jobs", "2", "--out", s(out)];
        let o = bin(&args, abort);
        assert!(o.status.code().is_some(), "{:?}: {}", o.status, String::from_utf8_lossy(&o.stderr));
        without_timing(read_json(&out.join("compare-sec-paxos/compare.json")))
    };
    let clean = compare(&dir.join("clean"), false);
    let aborting = compare(&dir.join("aborting"), true);
    let protocols = aborting["protocols"].as_array().expect("protocols");
    assert_eq!(protocols.len(), 3);
    for (p, before) in protocols.iter().zip(clean["protocols"].as_array().expect("protocols")) {
        assert_eq!(p["safety"]["panicked"], 1, "{}: {}", p["name"], p["safety"]);
        assert_eq!(before["safety"]["panicked"], 0, "{}: {}", p["name"], before["safety"]);
        let seeds = p["seeds"].as_array().expect("per-seed figures");
        assert_eq!(seeds.len(), 4);
        for (r, b) in seeds.iter().zip(before["seeds"].as_array().expect("per-seed figures")) {
            if r["seed"] == ABORTING {
                let how = r["panic"].as_str().expect("the abort is recorded");
                assert!(how.contains("signal 6"), "{how}");
            } else {
                assert_eq!(r, b, "{} seed {} changed", p["name"], r["seed"]);
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
