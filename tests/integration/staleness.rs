//! Staleness measured from the history (`outcome.json`'s `staleness`: t-visibility and
//! k-staleness, `src/check/staleness.rs`): strict quorums and the consensus protocols are
//! fresh at every lag, a partial quorum (N = 3, R = W = 1) over a long-tailed network is not
//! just after a write and gets fresher with time, and Raft with the `stale_follower_reads`
//! bug is caught reading the past. The report and the grid draw it.

use std::path::Path;

use super::common::{bin, read_json, root, tempdir};
use eightfold::check::staleness::{LAG_EDGES_NS, StalenessFigures};
use eightfold::runner::{RunOptions, run};
use eightfold::scenario::{self, Scenario};

/// Slow, long-tailed links between the first three servers (the replication links).
const SLOW: &str = r#"{ "latency": { "dist": "lognormal", "median": "10ms", "p99": "100ms" } }"#;

/// A key-value scenario of `protocol` with `settings` (a JSON fragment after `"nodes"`):
/// clients reach servers in 1–2 ms, the first three servers reach each other over slow,
/// long-tailed links, and a get/put workload runs on few keys (`extra` adds fields).
fn kv(protocol: &str, nodes: u32, settings: &str, extra: &str) -> Scenario {
    scenario::parse(&format!(
        r#"{{
          "name": "staleness-{protocol}", "duration": "3s",
          "cluster": {{ "protocol": "{protocol}", "nodes": {nodes} {settings} }},
          "network": {{
            "default": {{ "latency": {{ "dist": "uniform", "min": "1ms", "max": "2ms" }} }},
            "links": [
              {{ "from": "n1", "to": "n2", "both_ways": true, "profile": {SLOW} }},
              {{ "from": "n1", "to": "n3", "both_ways": true, "profile": {SLOW} }},
              {{ "from": "n2", "to": "n3", "both_ways": true, "profile": {SLOW} }}
            ]
          }},
          "workload": {{ "type": "kv", "clients": 6, "keys": 3, "timeout": "500ms", "mix": {{ "get": 0.6, "put": 0.4 }} }}
          {extra}
        }}"#
    ))
    .expect("valid scenario")
}

fn figures(s: &Scenario, seed: u64) -> StalenessFigures {
    run(s, RunOptions::seed(seed)).expect("runs").staleness.expect("a key-value run measures staleness")
}

/// Samples and fresh samples per lag bin, pooled over seeds.
#[derive(Debug, Default)]
struct Pooled {
    samples: Vec<u64>,
    fresh: Vec<u64>,
    measured: u64,
    stale: u64,
}

impl Pooled {
    fn of(s: &Scenario, seeds: std::ops::RangeInclusive<u64>) -> Pooled {
        let mut p = Pooled {
            samples: vec![0; LAG_EDGES_NS.len()],
            fresh: vec![0; LAG_EDGES_NS.len()],
            ..Pooled::default()
        };
        for seed in seeds {
            let f = figures(s, seed);
            for (b, t) in f.t_visibility.iter().enumerate() {
                p.samples[b] += t.samples;
                p.fresh[b] += t.fresh;
            }
            p.measured += f.measured;
            p.stale += f.stale_reads;
            // The figures agree with themselves: k = 0 for exactly the fresh reads.
            let k0 = f.k_distribution.iter().find(|c| c.k == 0).map_or(0, |c| c.reads);
            assert_eq!(k0 + f.stale_reads, f.measured, "{f:?}");
        }
        p
    }

    fn p(&self, bin: usize) -> f64 {
        self.fresh[bin] as f64 / self.samples[bin] as f64
    }

    /// Every sample fresh, with samples in the short-lag bins (below 10 ms) too.
    fn assert_always_fresh(&self, what: &str) {
        assert!(self.measured >= 200, "{what}: too few reads measured to show anything: {self:?}");
        assert_eq!(self.stale, 0, "{what}: {self:?}");
        assert_eq!(self.samples, self.fresh, "{what}: a bin below 100 %");
        assert!(self.samples[..4].iter().all(|&n| n > 0), "{what}: no samples at short lags: {self:?}");
    }
}

#[test]
fn strict_quorums_without_faults_are_fresh_at_every_lag() {
    for (r, w) in [(2, 2), (1, 3), (3, 1)] {
        let s =
            kv("quorum", 3, &format!(r#", "quorum": {{ "n": 3, "r": {r}, "w": {w}, "sloppy": false }}"#), "");
        Pooled::of(&s, 1..=4).assert_always_fresh(&format!("R={r} W={w}"));
    }
}

#[test]
fn partial_quorums_are_stale_just_after_a_write_and_fresher_later() {
    let s = kv("quorum", 3, r#", "quorum": { "n": 3, "r": 1, "w": 1 }"#, "");
    let p = Pooled::of(&s, 1..=4);
    assert!(p.stale > 0, "{p:?}");
    let first = p.p(0);
    assert!(first < 0.95, "t-visibility just after a write: {first} ({p:?})");
    // Rising with t: the bins from 100 ms on are fresher than the first, and all of them
    // are fresher than PBS's non-expanding prediction, 1 − 2/3.
    let late: (u64, u64) =
        (7..LAG_EDGES_NS.len()).fold((0, 0), |(n, f), b| (n + p.samples[b], f + p.fresh[b]));
    let late = late.1 as f64 / late.0 as f64;
    assert!(late > first + 0.03 && late > 0.97, "late {late} vs first {first}: {p:?}");
    assert!(first > 1.0 / 3.0, "the store propagates beyond W: {first}");
    // The closed form is reported beside it.
    let f = figures(&s, 1);
    let m = f.model.expect("a quorum run has the model");
    assert_eq!((m.n, m.r, m.w), (3, 1, 1));
    assert!((m.p_miss - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn raft_and_multi_paxos_are_fresh_at_every_lag() {
    let crash = r#", "faults": [ { "at": "1s", "for": "500ms", "fault": "crash", "node": "leader" } ]"#;
    for protocol in ["raft", "paxos"] {
        let s = kv(protocol, 5, "", crash);
        let p = Pooled::of(&s, 1..=3);
        p.assert_always_fresh(protocol);
        assert!(figures(&s, 1).model.is_none(), "no quorum model for {protocol}");
    }
}

#[test]
fn raft_with_stale_follower_reads_reads_the_past() {
    let mut s = scenario::load(&root().join("scenarios/raft-leader-churn.json")).expect("ships");
    s.bugs = vec!["stale_follower_reads".into()];
    let stale: Vec<(u64, u64, f64)> = (1..=10)
        .filter_map(|seed| {
            let f = figures(&s, seed);
            let worst = f.t_visibility.iter().filter_map(|t| t.p_fresh).fold(1.0, f64::min);
            (f.stale_reads > 0).then_some((seed, f.stale_reads, worst))
        })
        .collect();
    assert!(!stale.is_empty(), "no seed of 1..10 had a stale read");
    assert!(stale.iter().all(|&(_, _, worst)| worst < 1.0), "{stale:?}");
    // Without the bug, the same seeds are fresh.
    s.bugs.clear();
    for &(seed, _, _) in &stale {
        assert_eq!(figures(&s, seed).stale_reads, 0, "seed {seed} without the bug");
    }
}

#[test]
fn the_report_and_the_grid_draw_staleness() {
    let dir = tempdir("staleness");
    let scenario = root().join("scenarios/quorum-staleness.json");
    let scenario = scenario.to_str().expect("utf8");
    let out = dir.to_str().expect("utf8");
    let o = bin().args(["run", scenario, "--seed", "2", "--out", out, "-q"]).output().expect("runs");
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
    let report = dir.join("quorum-staleness-seed2");
    let outcome = read_json(&report.join("outcome.json"));
    assert!(outcome["staleness"]["measured"].as_u64().unwrap() > 0, "{}", outcome["staleness"]);
    let svg = std::fs::read_to_string(report.join("staleness.svg")).expect("staleness.svg");
    assert!(svg.matches("class=\"point\"").count() >= 5 && svg.contains("class=\"model\""));
    assert!(report.join("k-staleness.svg").exists());
    let index = std::fs::read_to_string(report.join("index.html")).expect("index");
    assert!(
        index.contains("id=\"staleness\"") && index.contains("C(N−W, R) / C(N, R) = 0.6667"),
        "no PBS section"
    );
    // A grid over R: one curve per value, in a chart of its own beside the grid.
    let grid = dir.join("g.json");
    let o = bin()
        .args(["sweep", scenario, "--seeds", "1..2", "--jobs", "2", "--set", "cluster.quorum.r=1,3"])
        .args(["--metric", "p_fresh_0_1ms", "--out", grid.to_str().expect("utf8")])
        .output()
        .expect("runs");
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
    let chart =
        std::fs::read_to_string(Path::new(&dir).join("g-staleness.svg")).expect("the grid's staleness chart");
    assert!(chart.contains("data-curve=\"0\"") && chart.contains("data-curve=\"1\""));
    assert!(chart.contains("cluster.quorum.r=3"), "labels name the combinations");
    let g = read_json(&grid);
    let rec = &g["points"][1]["summary"]["records"][0];
    assert_eq!(rec["stale_read_share"].as_f64(), Some(0.0), "R=3 W=1 is strict: {rec}");
    assert!(g["points"][0]["summary"]["distributions"]["p_fresh_0_1ms"]["count"].as_u64() == Some(2));
}
