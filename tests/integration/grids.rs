//! Parameter grids (`eightfold sweep --set PATH=V1,V2,…`): every combination of the values
//! for every seed, the same grid whatever the thread count or sharding, a failing seed's
//! replay command carrying its combination, and a bad value refused before anything runs.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::common::{bin, read_json, root, tempdir};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn exe(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// The crash-restart storm with the `no_log_check` bug, so some seeds of every combination
/// fail (a grid with nothing to tell apart would prove little).
fn buggy_storm(dir: &Path) -> PathBuf {
    let mut v = read_json(&root().join("scenarios/raft-crash-restart-storm.json"));
    v["name"] = "storm-grid".into();
    v["bugs"] = serde_json::json!(["no_log_check"]);
    let file = dir.join("storm-grid.json");
    std::fs::write(&file, serde_json::to_string_pretty(&v).expect("json")).expect("write scenario");
    file
}

/// A grid file without its wall-clock sections (the grid's and each combination's).
fn without_timing(p: &Path) -> serde_json::Value {
    let mut v = read_json(p);
    v.as_object_mut().expect("object").remove("timing").expect("a timing section");
    for point in v["points"].as_array_mut().expect("points") {
        point["summary"].as_object_mut().expect("summary").remove("timing").expect("timing");
    }
    v
}

#[test]
fn a_grid_of_3_values_by_20_seeds_sharded_3_ways_merges_into_the_unsharded_grid() {
    let dir = tempdir("grid");
    let scenario = buggy_storm(&dir);
    let grid = |out: &str, extra: &[&str]| {
        let out = dir.join(out);
        let mut args = vec!["sweep", s(&scenario), "--seeds", "1..20", "--set", "workload.clients=3,4,5"];
        args.extend(["--metric", "leader_changes", "--out", s(&out)]);
        args.extend_from_slice(extra);
        let o = exe(&args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
        (out, o)
    };
    let (one, o) = grid("jobs1.json", &["--jobs", "1"]);
    assert_eq!(o.status.code(), Some(1), "the bug is caught somewhere in the grid");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("grid of 3 combinations") && text.contains("workload.clients=4"), "{text}");
    let (two, _) = grid("jobs2.json", &["--jobs", "2"]);
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| grid(&format!("shard{k}.json"), &["--jobs", "2", "--shard", &format!("{k}/3")]).0)
        .collect();
    let merged = dir.join("merged.json");
    let mut args = vec!["merge"];
    args.extend(shards.iter().rev().map(|p| s(p)));
    args.extend(["--metric", "leader_changes", "--out", s(&merged)]);
    let o = exe(&args);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));

    let reference = without_timing(&one);
    assert_eq!(reference, without_timing(&two), "--jobs 1 and --jobs 2 differ");
    assert_eq!(reference, without_timing(&merged), "merged shards differ from the unsharded grid");
    let chart = |p: &Path| std::fs::read_to_string(p.with_extension("svg")).expect("chart beside the grid");
    assert_eq!(chart(&one), chart(&merged), "the chart depends on the grid alone");

    // One point per value, each a whole sweep of the patched scenario.
    let v = read_json(&one);
    assert_eq!(v["format"], "eightfold-grid/1");
    let points = v["points"].as_array().expect("points");
    assert_eq!(points.len(), 3);
    let mut digests = std::collections::BTreeSet::new();
    for (point, clients) in points.iter().zip([3, 4, 5]) {
        assert_eq!(point["values"], serde_json::json!([clients]));
        let sum = &point["summary"];
        assert_eq!(sum["sets"], serde_json::json!([format!("workload.clients={clients}")]));
        assert_eq!(sum["counts"]["run"], 20);
        let passed = sum["counts"]["passed"].as_f64().unwrap();
        assert_eq!(point["pass_rate"].as_f64().unwrap(), passed / 20.0);
        assert!(sum["distributions"]["leader_changes"]["p50"].is_number());
        digests.insert(sum["records"][0]["digest"].as_str().unwrap().to_string());
    }
    assert_eq!(digests.len(), 3, "each value changes the run of seed 1");
    let shard = read_json(&shards[1]);
    assert_eq!(shard["shard"]["seeds"], serde_json::json!({"first": 8, "last": 14}));
    assert_eq!(shard["points"][2]["summary"]["counts"]["run"], 7, "every shard runs part of every value");
    assert_eq!(chart(&one).matches("class=\"series\"").count(), 3);

    // A failing seed's replay command carries its combination and reproduces the run.
    let (point, failure) = points
        .iter()
        .find_map(|p| p["summary"]["failures"].as_array().unwrap().first().map(|f| (p, f)))
        .expect("some combination fails");
    let replay = failure["replay"].as_str().unwrap();
    let set = point["summary"]["sets"][0].as_str().unwrap();
    assert!(replay.contains(&format!("--set {set}")), "{replay}");
    let seed = failure["seed"].as_u64().unwrap();
    let o = exe(&[
        "run",
        s(&scenario),
        "--seed",
        &seed.to_string(),
        "--set",
        set,
        "-q",
        "--no-charts",
        "--out",
        s(&dir.join("r")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let rec = point["summary"]["records"].as_array().unwrap().iter().find(|r| r["seed"] == seed).unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains(rec["digest"].as_str().unwrap()));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_value_anywhere_in_the_grid_is_refused_before_anything_runs() {
    let dir = tempdir("grid-bad");
    let scenario = root().join("scenarios/quorum-minority-partition.json");
    let out = dir.join("g.json");
    let cases: &[(&[&str], &str)] = &[
        (&["cluster.quorum.r=1,2,9"], "cluster.quorum.r=9"),
        (&["cluster.quorum.r=1,2", "network.default.loss=0,lots"], "network.default.loss=lots"),
        (&["cluster.quorum.r=1,2", "faults[7].at=1s,2s"], "faults has"),
    ];
    for (sets, says) in cases {
        let mut args = vec!["sweep", s(&scenario), "--seeds", "1..3", "--out", s(&out)];
        for set in *sets {
            args.extend(["--set", set]);
        }
        let o = exe(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{sets:?}: {err}");
        assert!(err.contains(says), "{sets:?}: expected `{says}` in {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!out.exists() && !out.with_extension("svg").exists(), "{sets:?}: something was written");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The recovery figures of one run's outcome.json.
fn recovery(scenario: &str, dir: &Path) -> serde_json::Value {
    let file = root().join(format!("scenarios/{scenario}.json"));
    let o = exe(&["run", s(&file), "--seed", "1", "-q", "--no-charts", "--out", s(dir)]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
    read_json(&dir.join(format!("{scenario}-seed1/outcome.json")))["raft"]["recovery"].clone()
}

#[test]
fn each_fault_that_takes_the_leader_away_has_its_downtime_and_unavailability() {
    let dir = tempdir("recovery");
    // The leader crashes at 3 s and restarts at 6 s; elections take 150-300 ms timeouts.
    let r = recovery("raft-leader-crash", &dir);
    let f = &r[0];
    assert_eq!(
        (f["kind"].as_str(), f["at_s"].as_f64(), f["removed_leader"].as_bool()),
        (Some("crash"), Some(3.0), Some(true))
    );
    let down = f["new_leader_s"].as_f64().expect("a new leader");
    assert!((0.15..1.0).contains(&down), "election downtime {down}");
    let unavailable = f["next_ok_s"].as_f64().expect("service returned");
    assert!(unavailable >= down, "no success before the new leader: {unavailable} < {down}");
    assert_eq!(f["healed_at_s"], 6.0);
    assert!(f["first_ok_after_heal_s"].as_f64().unwrap() < 0.1, "the four others kept serving");
    // An isolated leader is replaced behind its back: removed too.
    let r = recovery("raft-leader-isolated", &dir);
    assert_eq!(r[0]["removed_leader"], true, "{r}");
    // The quorum store has no leader to lose; its heal is still measured.
    let r = recovery("quorum-minority-partition", &dir);
    assert_eq!(r[0]["removed_leader"], false, "{r}");
    assert!(r[0].get("new_leader_s").is_none() && r[0]["first_ok_after_heal_s"].is_number(), "{r}");
    // No faults, no figures.
    assert!(recovery("raft-happy-path", &dir).is_null());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_heal_is_timed_until_every_live_server_caught_up() {
    let dir = tempdir("catch-up");
    // The old leader restarts at the heal with nothing applied: it must replay the log before
    // the cluster counts as caught up, so the figure is neither zero nor the whole rest of
    // the run.
    let f = &recovery("raft-leader-crash", &dir)[0];
    let c = f["caught_up_s"].as_f64().expect("caught up before the end");
    assert!(c > 0.0 && c < 2.0, "catch-up after the restart: {c}");
    // Multi-Paxos announces commits and applies too.
    let r = recovery("paxos-leader-churn", &dir);
    let caught: Vec<f64> =
        r.as_array().expect("records").iter().filter_map(|f| f["caught_up_s"].as_f64()).collect();
    assert!(!caught.is_empty() && caught.iter().all(|&c| c >= 0.0), "{r}");
    // The quorum store announces no commit index: not measured.
    let r = recovery("quorum-minority-partition", &dir);
    assert!(r[0].get("caught_up_s").is_none(), "{r}");
    let _ = std::fs::remove_dir_all(dir);
}
