//! Verdicts never depend on the wall clock: every budget that can change a verdict, a
//! counterexample or a figure of `outcome.json` counts search steps or bytes the checker
//! accounts, so the same seeds give byte-identical `outcome.json` (timing fields aside)
//! whether the process runs freely, with its linearizability search slowed down (the
//! test-only knob `EIGHTFOLD_TEST_SLOW_SEARCH` sleeps inside the search loop), or in a
//! sweep of eight jobs on a two-core machine.
//!
//! The scenario (`tests/data/lin-expensive.json`) is built for an expensive search: one
//! key, eight clients, puts, appends and compare-and-sets through leader crashes, and a
//! step budget small enough that some seeds end `unknown` while others decide. Under the
//! old wall-clock budget, slowing the search down turned decided seeds into unknown ones.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The timing fields of `outcome.json` and `sweep.json`, as JSON pointers: wall-clock
/// figures that differ from one run to the next and decide nothing. Everything else must
/// be identical. Keep this list in step with where the timing fields live (README,
/// "Budgets").
const TIMING_FIELDS: &[&str] = &["/timing"];

/// `json` without its [`TIMING_FIELDS`], pretty-printed: equal for two files iff they are
/// identical apart from timing.
fn without_timing(json: &str) -> String {
    let mut v: Value = serde_json::from_str(json).expect("valid JSON");
    for pointer in TIMING_FIELDS {
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        if let Some(Value::Object(map)) = v.pointer_mut(parent) {
            map.remove(key);
        }
    }
    serde_json::to_string_pretty(&v).expect("serialises")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("deterministic-budgets-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs the binary with `args`, slowed down by `slow` (a duration the search sleeps every
/// thousand steps), if given.
fn eightfold(args: &[&str], slow: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eightfold"));
    cmd.args(args).env_remove("EIGHTFOLD_TEST_SLOW_SEARCH");
    if let Some(s) = slow {
        cmd.env("EIGHTFOLD_TEST_SLOW_SEARCH", s);
    }
    cmd.output().expect("run eightfold")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const SEEDS: [u64; 4] = [1, 2, 3, 4];

#[test]
fn a_slowed_down_search_writes_the_same_outcomes() {
    let scenario = data("lin-expensive.json");
    let scenario = scenario.to_str().expect("utf-8 path");
    let (free, slowed) = (scratch("free"), scratch("slowed"));
    let mut statuses = Vec::new();
    for seed in SEEDS {
        let seed_arg = seed.to_string();
        let run = |out: &Path, slow: Option<&str>| {
            let o = eightfold(
                &["run", scenario, "--seed", &seed_arg, "--out", out.to_str().unwrap(), "--no-charts", "-q"],
                slow,
            );
            // 0 passed, 3 undecided (no check may fail here: the protocol is correct).
            assert!(matches!(o.status.code(), Some(0 | 3)), "seed {seed}: {}", text(&o));
            let file = out.join(format!("lin-expensive-seed{seed}/outcome.json"));
            (o.status.code(), std::fs::read_to_string(file).expect("outcome.json"))
        };
        let (code_free, a) = run(&free, None);
        // One millisecond every thousand steps: the search runs several times slower.
        let (code_slowed, b) = run(&slowed, Some("1ms"));
        assert_eq!(code_free, code_slowed, "seed {seed}: exit codes differ");
        assert_eq!(without_timing(&a), without_timing(&b), "seed {seed}: outcome.json differs");
        let (va, vb): (Value, Value) = (serde_json::from_str(&a).unwrap(), serde_json::from_str(&b).unwrap());
        let status = va["checks"]["linearizable"]["status"].as_str().expect("a status").to_string();
        // The knob took effect: the slowed search took longer, by at least its sleeps.
        let steps = va["linearizability"]["steps"].as_u64().expect("steps");
        let (ta, tb) = (
            va["timing"]["linearizability_s"].as_f64().unwrap(),
            vb["timing"]["linearizability_s"].as_f64().unwrap(),
        );
        assert!(
            tb >= (steps / 1000) as f64 * 1e-3 * 0.9 && tb > ta,
            "seed {seed}: {ta} s, then {tb} s for {steps} steps"
        );
        statuses.push(status);
    }
    // Both kinds of verdict are covered: decided within the budget, and undecided.
    assert!(statuses.iter().any(|s| s == "pass"), "{statuses:?}");
    assert!(statuses.iter().any(|s| s == "unknown"), "{statuses:?}");
}

#[test]
fn a_sweep_of_eight_jobs_on_two_cores_writes_the_same_summary() {
    let scenario = data("lin-expensive.json");
    let scenario = scenario.to_str().expect("utf-8 path");
    let dir = scratch("sweep");
    let sweep = |jobs: &str, slow: Option<&str>| {
        let out = dir.join(format!("jobs{jobs}{}.json", if slow.is_some() { "-slowed" } else { "" }));
        let o = eightfold(
            &["sweep", scenario, "--seeds", "1..8", "--jobs", jobs, "--out", out.to_str().unwrap()],
            slow,
        );
        // Some seeds are undecided and none fails: exit 3.
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        std::fs::read_to_string(out).expect("sweep.json")
    };
    let one = sweep("1", None);
    let eight = sweep("8", None);
    let eight_slowed = sweep("8", Some("1ms"));
    assert_eq!(without_timing(&one), without_timing(&eight), "--jobs 8 differs from --jobs 1");
    assert_eq!(without_timing(&one), without_timing(&eight_slowed), "slowed --jobs 8 differs from --jobs 1");
    let v: Value = serde_json::from_str(&one).unwrap();
    let counts = &v["counts"];
    assert_eq!(counts["failed"], 0, "{counts}");
    assert!(counts["unknown"].as_u64().unwrap() > 0 && counts["passed"].as_u64().unwrap() > 0, "{counts}");
    assert_eq!(
        counts["passed"].as_u64().unwrap() + counts["unknown"].as_u64().unwrap(),
        counts["run"].as_u64().unwrap()
    );
    // Each undecided seed is listed with the budget that ran out and how to replay it.
    let unknown = v["unknown"].as_array().expect("the unknown list");
    assert_eq!(unknown.len() as u64, counts["unknown"].as_u64().unwrap());
    for u in unknown {
        assert!(u["details"]["linearizable"].as_str().unwrap().contains("search steps ran out"), "{u}");
        assert!(u["replay"].as_str().unwrap().starts_with("eightfold run "), "{u}");
    }
}

#[test]
fn the_undecided_state_is_reported_as_what_it_is() {
    let scenario = data("lin-expensive.json");
    let scenario = scenario.to_str().expect("utf-8 path");
    let dir = scratch("report");
    // Find an undecided seed, then look at what every output says of it.
    let v: Value = {
        let out = dir.join("sweep.json");
        let o = eightfold(
            &["sweep", scenario, "--seeds", "1..8", "--jobs", "2", "--out", out.to_str().unwrap()],
            None,
        );
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains("failed, ") && stdout.contains("undecided"), "{stdout}");
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
    };
    let seed = v["unknown"][0]["seed"].as_u64().expect("an undecided seed").to_string();
    let o = eightfold(&["run", scenario, "--seed", &seed, "--out", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(3), "an undecided run exits 3: {}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("check linearizable: UNKNOWN"), "{stdout}");
    assert!(stdout.contains(&format!("lin-expensive seed {seed}: UNDECIDED digest")), "{stdout}");
    let report = dir.join(format!("lin-expensive-seed{seed}"));
    let html = std::fs::read_to_string(report.join("index.html")).expect("index.html");
    assert!(html.contains("verdict undecided\">UNDECIDED"), "the header");
    assert!(html.contains("<td class=\"undecided-cell\">UNKNOWN</td>"), "the checks table");
    assert!(!html.contains("verdict pass") && !html.contains("verdict fail"));
    let outcome: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("outcome.json")).unwrap()).unwrap();
    assert_eq!(outcome["checks"]["linearizable"]["status"], "unknown");
    assert!(
        outcome["checks"]["linearizable"]["detail"]
            .as_str()
            .unwrap()
            .contains("raise checks.linearizability_budget")
    );
    // Replay reproduces the verdict, and says what it was.
    let o = eightfold(&["replay", report.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("left linearizable undecided"), "{}", text(&o));
}

#[test]
fn a_wall_clock_budget_is_refused() {
    let dir = scratch("refused");
    let file = dir.join("s.json");
    let base = std::fs::read_to_string(data("lin-expensive.json")).unwrap();
    let mut v: Value = serde_json::from_str(&base).unwrap();
    v["checks"]["linearizability_budget"] = Value::from("10s");
    std::fs::write(&file, v.to_string()).unwrap();
    let o = eightfold(&["run", file.to_str().unwrap(), "--out", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("checks.linearizability_budget: expected a number of search steps (e.g. 20000000 or 20M), found the duration \"10s\""),
        "{err}"
    );
    assert!(!dir.join("lin-expensive-seed1").exists(), "no report");
    // Steps, or steps and memory, are accepted.
    for budget in [
        serde_json::json!(300000),
        serde_json::json!("300k"),
        serde_json::json!({"steps": 300000, "memory": "64MiB"}),
    ] {
        v["checks"]["linearizability_budget"] = budget;
        std::fs::write(&file, v.to_string()).unwrap();
        let o = eightfold(&["validate", file.to_str().unwrap()], None);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    v["checks"]["linearizability_budget"] = serde_json::json!({"steps": 300000, "time": "1s"});
    std::fs::write(&file, v.to_string()).unwrap();
    let o = eightfold(&["validate", file.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown field `time`"), "{}", text(&o));
}

#[test]
fn the_watchdog_aborts_without_a_verdict_or_a_report() {
    let scenario = data("lin-expensive.json");
    let dir = scratch("watchdog");
    // A watchdog of a millisecond, and a search slowed down so that it cannot finish in it.
    let o = eightfold(
        &[
            "--watchdog",
            "1ms",
            "run",
            scenario.to_str().unwrap(),
            "--seed",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ],
        Some("1ms"),
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("ran past its wall-clock watchdog of 0.001 s"), "{err}");
    assert!(err.contains("no verdict was given: raise the watchdog (--watchdog)"), "{err}");
    // Nothing was written, not even the hidden temporary directory.
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    // `off` disables it; a bad value is bad input.
    let o = eightfold(&["--watchdog", "soon", "validate", scenario.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--watchdog: expected a duration"), "{}", text(&o));
}

#[test]
fn lin_mem_decides_every_seed_in_little_memory() {
    // The scenario: an unbugged Raft cluster, one key, 70 % appends, duplication,
    // leader crashes and isolation. Its end-of-run search used to grow past 5 GB or end
    // unknown; a key of appends and reads is now decided in one pass.
    let scenario = data("lin-mem.json");
    let dir = scratch("lin-mem");
    let out = dir.join("sweep.json");
    let o = eightfold(
        &[
            "sweep",
            scenario.to_str().unwrap(),
            "--seeds",
            "1..20",
            "--jobs",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(v["counts"]["passed"], 20, "{}", v["counts"]);
    let o = eightfold(
        &[
            "run",
            scenario.to_str().unwrap(),
            "--seed",
            "3",
            "--out",
            dir.to_str().unwrap(),
            "--no-charts",
            "-q",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let outcome: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("lin-mem-seed3/outcome.json")).unwrap())
            .unwrap();
    let lin = &outcome["linearizability"];
    assert_eq!(lin["verdict"], "linearizable");
    assert!(lin["memory_bytes"].as_u64().unwrap() < 16 << 20, "{lin}");
    assert!(lin["steps"].as_u64().unwrap() < 1_000_000, "{lin}");
}
