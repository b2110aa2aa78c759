//! `--set PATH=VALUE`: a scenario's value changed from the command line really changes the
//! run, the report's scenario.json replays it exactly, and a wrong path or value is refused
//! by every command with one line naming it, before anything runs.

use super::common::{read_json, root, run_bin, tempdir};

fn happy() -> String {
    root().join("scenarios/raft-happy-path.json").display().to_string()
}

/// The digest line's last word.
fn digest(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().find(|l| l.contains(" digest ")).unwrap_or_else(|| panic!("no digest in {text}"));
    line.rsplit(' ').next().unwrap().to_string()
}

/// Runs `raft-happy-path` seed 3 into `out` with `--set` for each of `sets`.
fn run_happy(out: &std::path::Path, sets: &[&str]) -> std::process::Output {
    let scenario = happy();
    let mut args = vec!["run", &scenario, "--seed", "3", "--no-charts", "--out", out.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = run_bin(&args);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

#[test]
fn a_setting_changes_the_run_and_its_report_replays_it() {
    let dir = tempdir("settings-replay");
    let (plain, lossy) = (dir.join("plain"), dir.join("lossy"));
    let a = run_happy(&plain, &[]);
    let b = run_happy(&lossy, &["network.default.loss=0.2", "cluster.raft.pre_vote=false"]);
    let report = |d: &std::path::Path, file: &str| read_json(&d.join("raft-happy-path-seed3").join(file));
    let dropped = |d: &std::path::Path| report(d, "outcome.json")["network"]["dropped"].clone();
    assert_eq!(dropped(&plain), 0, "the happy path loses nothing");
    assert!(dropped(&lossy).as_u64().unwrap() > 100, "loss 0.2 drops messages: {}", dropped(&lossy));
    assert_ne!(digest(&a.stdout), digest(&b.stdout));
    let saved = report(&lossy, "scenario.json");
    assert_eq!(saved["network"]["default"]["loss"], 0.2);
    assert_eq!(saved["cluster"]["raft"]["pre_vote"], false);
    // The report's scenario.json alone reproduces the run, digest for digest.
    let again = dir.join("again");
    let saved_path = lossy.join("raft-happy-path-seed3/scenario.json");
    let c = run_bin(&[
        "run",
        saved_path.to_str().unwrap(),
        "--seed",
        "3",
        "--no-charts",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(digest(&c.stdout), digest(&b.stdout));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn wrong_settings_are_refused_by_every_command_naming_the_path() {
    let dir = tempdir("settings-bad");
    let out = dir.join("out");
    let out_s = out.to_str().unwrap().to_string();
    let scenario = happy();
    let cases: &[(&str, &str)] = &[
        ("faults[2].at=1s", "faults has 0 elements, so there is no [2]"),
        ("cluster.nodes.count=1", "cluster.nodes is a number, so it has no key \"count\""),
        ("network.default.loss=lots", "network.default.loss: invalid type: string \"lots\""),
        ("cluster.raft.bogus=1", "cluster.raft.bogus: unknown field `bogus`"),
        ("network.default.loss=0.1,0.2", "--set network.default.loss: give one value (found 2)"),
        ("no-equals-sign", "expected PATH=VALUE"),
        ("a..b=1", "is not a path: an empty key"),
    ];
    let commands: [Vec<&str>; 4] = [
        vec!["run", &scenario, "--out", &out_s],
        vec!["sweep", &scenario, "--seeds", "1..2", "--out", &out_s],
        vec!["compare", &scenario, "--seeds", "1..2", "--out", &out_s],
        vec!["shrink", &scenario, "--seed", "1", "--out", &out_s],
    ];
    for (set, says) in cases {
        for cmd in &commands {
            if set.contains(',') && cmd[0] == "sweep" {
                continue; // several values make a sweep a grid (tests/integration/grids.rs)
            }
            let mut args = cmd.clone();
            args.extend(["--set", set]);
            let o = run_bin(&args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{} --set {set}: {err}", cmd[0]);
            assert!(err.contains(says), "{} --set {set}: expected `{says}` in {err}", cmd[0]);
            assert!(!out.exists(), "{} --set {set}: something was written", cmd[0]);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
