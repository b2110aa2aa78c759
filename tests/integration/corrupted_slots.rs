//! Issue 14, finding 2: with authentication switched off (`--bug no_auth`), corrupted
//! messages reach Multi-Paxos. At seed 6 of `tests/data/issue14/sec-paxos.json` a corrupted
//! Accept left an acceptance at slot 562,949,953,421,355; the server holding it, elected,
//! proposed a no-op in every slot up to it and the process aborted (exit 134), and a sweep
//! of ten such seeds died with it, writing no summary. A bugged run must end with a
//! verdict. Now an acceptor refuses values far above every decided prefix it knows of, and
//! a new leader re-proposes nothing beyond that bound (`PaxosConfig::max_gap`).
//!
//! The runs go through the binary under `ulimit -v`, so that before the fix they abort
//! quickly (exit 134) instead of taking the machine's memory.

use std::path::Path;
use std::process::{Command, Output};

use super::common::{read_json, root, tempdir};

/// Runs the binary with `args` under a 4 GB address-space limit.
fn limited(args: &[&str]) -> Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script =
        format!("ulimit -v 4000000 && exec '{}' {}", env!("CARGO_BIN_EXE_eightfold"), quoted.join(" "));
    Command::new("sh").args(["-c", &script]).output().expect("sh runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn the_bugged_run_of_seed_6_ends_with_a_verdict() {
    let dir = tempdir("corrupted-slots-run");
    let scenario = root().join("tests/data/issue14/sec-paxos.json");
    let o = limited(&[
        "run",
        s(&scenario),
        "--seed",
        "6",
        "--bug",
        "no_auth",
        "--no-charts",
        "-q",
        "--out",
        s(&dir),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{:?}: {stderr}", o.status);
    let outcome = read_json(&dir.join("sec-paxos-seed6/outcome.json"));
    let checks = outcome["checks"].as_object().expect("checks");
    assert!(checks.contains_key("invariants") && checks.contains_key("linearizable"), "{checks:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_sweep_of_ten_bugged_seeds_writes_its_summary_without_an_abort() {
    let dir = tempdir("corrupted-slots-sweep");
    let scenario = root().join("tests/data/issue14/sec-paxos.json");
    let out = dir.join("sweep.json");
    let o = limited(&[
        "sweep",
        s(&scenario),
        "--seeds",
        "1..10",
        "--jobs",
        "2",
        "--bug",
        "no_auth",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let v = read_json(&out);
    let records = v["records"].as_array().expect("records");
    assert_eq!(records.len(), 10);
    for r in records {
        let failed = r["failed_checks"].as_array().cloned().unwrap_or_default();
        assert!(!failed.iter().any(|c| c == "abort" || c == "panic"), "seed {}: {failed:?}", r["seed"]);
    }
    let _ = std::fs::remove_dir_all(dir);
}
