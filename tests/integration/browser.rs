//! Report pages in a real browser: headless Chromium, driven by playwright-core from
//! `tests/browser/report.mjs`, opens the report of one shipped scenario per protocol and fails
//! on a console error or warning, an uncaught exception, a chart that does not load, or a
//! step-through whose buttons, keys, slider or play do not move the run; a page that does not
//! open at its first fault (or check failure); stepping by fault or by role change that does
//! not land where `outcome.json` and `recording.json` say, or shows a server's role, term or
//! log other than `recording.json` has at that instant; and an operation timeline whose
//! hover text, click or cursor disagree with `history.json` and the step-through; a stage
//! that, at the start of each fault, draws other partition sides or one-way cuts than
//! `outcome.json` records, or shows a node crashed or paused other than `recording.json`
//! has it (and `raft-minority-partition` must show its sides, `raft-leader-crash` its
//! crashed leader, `gossip-partition-heal` its one-way cut); and a per-server panel that, at
//! two instants or more, shows other than `recording.json` has: a Multi-Paxos acceptor's
//! promised ballot, its slots' rounds, accepted and chosen; a quorum replica's version of
//! each key, which of them are stale, and its hints waiting; each gossip peer's values.
//!
//! It needs Node.js and Debian's `chromium` (`.ci/run` installs what a fresh machine lacks
//! and sets `EIGHTFOLD_BROWSER_TESTS=require`, so CI never skips it). Run alone:
//! `cargo test --release --test integration browser:: -- --nocapture`; the screenshots are
//! left in `target/tmp/browser-shots/` to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::{root, run_bin};

/// One scenario per protocol, each with a fault the page must draw.
const SCENARIOS: &[&str] = &[
    "raft-minority-partition",
    "raft-leader-crash",
    "paxos-leader-churn",
    "quorum-minority-partition",
    "gossip-partition-heal",
];

/// Whether a program answers `--version`.
fn present(program: &str) -> bool {
    Command::new(program).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

pub(crate) fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string())
}

/// True when the browser test can run; false (with a notice) when it may be skipped because
/// the machine lacks Node.js or Chromium. Under `EIGHTFOLD_BROWSER_TESTS=require` a missing
/// tool fails the test instead.
pub(crate) fn tools_ready() -> bool {
    let required = std::env::var("EIGHTFOLD_BROWSER_TESTS").is_ok_and(|v| v == "require");
    let missing: Vec<&str> = [("node", present("node")), ("chromium", Path::new(&chromium()).exists())]
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name)
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        !required,
        "browser tests required but {} missing (.ci/run installs them)",
        missing.join(" and ")
    );
    eprintln!("browser tests skipped: {} not installed (.ci/run installs them)", missing.join(" and "));
    false
}

/// Installs the pinned playwright-core from `package-lock.json` when it is not there yet.
pub(crate) fn ensure_client(dir: &Path) {
    if dir.join("node_modules/playwright-core/package.json").exists() {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .output()
        .expect("run npm ci in tests/browser");
    assert!(out.status.success(), "npm ci failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn report_pages_work_in_a_real_browser() {
    if !tools_ready() {
        return;
    }
    let client = root().join("tests/browser");
    ensure_client(&client);
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let reports = tmp.join("browser-reports");
    let shots = tmp.join("browser-shots");
    let _ = std::fs::remove_dir_all(&reports);
    let mut dirs = Vec::new();
    for name in SCENARIOS {
        let scenario = root().join("scenarios").join(format!("{name}.json"));
        let out =
            run_bin(&["run", scenario.to_str().unwrap(), "--seed", "1", "--out", reports.to_str().unwrap()]);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dirs.push(reports.join(format!("{name}-seed1")));
    }
    // The shipped example reports too (they have no history.json: the timeline is checked
    // against the page's own data there).
    let examples = root().join("reports/examples");
    let shipped: Vec<PathBuf> = [
        "raft-minority-partition-seed1",
        "raft-leader-crash-seed1",
        "paxos-leader-churn-seed1",
        "quorum-minority-partition-seed1",
        "gossip-partition-heal-seed1",
    ]
    .iter()
    .map(|d| examples.join(d))
    .collect();
    dirs.extend(shipped.iter().cloned());
    let out = Command::new("node")
        .arg(client.join("report.mjs"))
        .arg(&shots)
        .args(&dirs)
        .env("CHROMIUM", chromium())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        SCENARIOS.len() + shipped.len(),
        "{stdout}"
    );
    for name in SCENARIOS {
        assert!(shots.join(format!("{name}-seed1-step.png")).exists(), "no screenshot of {name}");
        // Key-value runs have an operation timeline; protocols with roles were stepped to a
        // role change.
        if *name != "gossip-partition-heal" {
            assert!(shots.join(format!("{name}-seed1-ops.png")).exists(), "no timeline screenshot of {name}");
        }
        if name.starts_with("raft") || name.starts_with("paxos") {
            assert!(
                shots.join(format!("{name}-seed1-role-change.png")).exists(),
                "{name} never stepped by role"
            );
        }
    }
}
