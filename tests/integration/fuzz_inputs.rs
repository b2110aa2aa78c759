//! Bounded, deterministic fuzzing that runs in CI (the long cargo-fuzz campaigns live in
//! `fuzz/`): mutated scenario files never panic the parser, and randomly generated small
//! scenarios — every fault kind, random targets and times, random link profiles — either
//! fail validation with an error or run to the end without a panic.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Value, json};

use super::common::{root, shipped_scenarios};
use eightfold::experiment::{SeedRange, Shard};
use eightfold::runner::{self, RunOptions};

/// A node reference; `"leader"` and `"follower"` only for a protocol with a leader (gossip
/// refuses them, and a refused scenario would not run).
fn node(servers: u32, leader: bool) -> impl Strategy<Value = Value> + Clone {
    let (lead, follow) = if leader { ("leader", "follower") } else { ("random", "random") };
    prop_oneof![
        6 => (0..servers).prop_map(|i| json!(format!("n{}", i + 1))),
        1 => Just(json!(format!("n{}", servers + 1))),
        2 => Just(json!(lead)),
        1 => Just(json!(follow)),
        2 => Just(json!("random")),
        1 => Just(json!("c1")),
    ]
}

fn group(servers: u32, leader: bool) -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        prop::collection::vec(node(servers, leader), 1..3).prop_map(Value::Array),
        Just(json!("minority")),
        Just(json!("majority")),
    ]
}

fn millis(max: u64) -> impl Strategy<Value = String> + Clone {
    (0..max).prop_map(|ms| format!("{ms}ms"))
}

fn fault(servers: u32, leader: bool) -> impl Strategy<Value = Value> {
    let n = node(servers, leader);
    let g = || group(servers, leader);
    let kinds = prop_oneof![
        prop::collection::vec(g(), 1..3).prop_map(|gs| json!({"fault": "partition", "groups": gs})),
        (g(), g()).prop_map(|(a, b)| json!({"fault": "partition_oneway", "from": a, "to": b})),
        n.clone().prop_map(|x| json!({"fault": "isolate", "node": x})),
        Just(json!({"fault": "heal"})),
        n.clone().prop_map(|x| json!({"fault": "crash", "node": x})),
        n.clone().prop_map(|x| json!({"fault": "restart", "node": x})),
        n.clone().prop_map(|x| json!({"fault": "pause", "node": x})),
        n.clone().prop_map(|x| json!({"fault": "resume", "node": x})),
        (g(), g()).prop_map(|(a, b)| json!({"fault": "link_down", "from": a, "to": b})),
        (g(), g()).prop_map(|(a, b)| json!({"fault": "link_up", "from": a, "to": b})),
        (n.clone(), 0.1f64..50.0).prop_map(|(x, f)| json!({"fault": "latency_spike", "node": x, "factor": f})),
        (g(), g(), 0.0f64..1.0).prop_map(|(a, b, p)| json!({"fault": "degrade", "from": a, "to": b, "profile": {"loss": p, "corrupt": p / 2.0}})),
        Just(json!({"fault": "bridge"})),
        Just(json!({"fault": "ring"})),
        millis(50).prop_map(|i| json!({"fault": "replay", "interval": i})),
        millis(50).prop_map(|i| json!({"fault": "forge", "interval": i})),
        (n.clone(), -0.4f64..2.0).prop_map(|(x, d)| json!({"fault": "clock", "node": x, "offset": "-30ms", "drift": d})),
        n.clone().prop_map(|x| json!({"fault": "reconfigure", "node": x, "raft": {"election_timeout": {"min": "20ms", "max": "40ms"}}})),
        n.clone().prop_map(|x| json!({"fault": "add_server", "node": x})),
        n.clone().prop_map(|x| json!({"fault": "remove_server", "node": x})),
        (millis(300), millis(200)).prop_map(|(i, d)| json!({"fault": "rolling_restart", "interval": i, "downtime": d})),
        (n.clone(), 0.5f64..20.0).prop_map(|(x, f)| json!({"fault": "slow_node", "node": x, "factor": f})),
        (n.clone(), 0.5f64..20.0).prop_map(|(x, f)| json!({"fault": "slow_disk", "node": x, "factor": f})),
        n.clone().prop_map(|x| json!({"fault": "corrupt_disk", "node": x})),
        (n, 1u32..4).prop_map(|(x, c)| json!({"fault": "fail_fsync", "node": x, "count": c})),
    ];
    (kinds, millis(1500), prop::option::of(millis(800))).prop_map(|(mut f, at, lasts)| {
        f["at"] = json!(at);
        if let Some(l) = lasts {
            f["for"] = json!(l);
        }
        f
    })
}

fn scenario() -> impl Strategy<Value = Value> {
    let protocols = prop_oneof![Just("gossip"), Just("raft"), Just("paxos"), Just("quorum")];
    (1u32..6, 0u32..4, protocols, 0.0f64..0.3, 0.0f64..0.1)
        .prop_flat_map(|(servers, clients, protocol, loss, dup)| {
            (prop::collection::vec(fault(servers, matches!(protocol, "raft" | "paxos")), 0..6), Just((servers, clients, protocol, loss, dup)))
        })
        .prop_map(|(faults, (servers, clients, protocol, loss, dup))| {
            let workload = if protocol == "gossip" {
                json!({"type": "broadcast", "clients": clients.max(1), "values": 20, "interval": "20ms"})
            } else {
                json!({"type": "kv", "clients": clients.max(1), "keys": 3, "timeout": "100ms"})
            };
            json!({
                "name": "fuzz",
                "duration": "2s",
                "cluster": {"protocol": protocol, "nodes": servers},
                "network": {"default": {"latency": {"dist": "uniform", "min": "1ms", "max": "5ms"}, "loss": loss, "duplicate": dup}},
                "workload": workload,
                "faults": faults,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, .. ProptestConfig::default() })]

    /// Generated scenarios are either rejected with an error or run without a panic.
    #[test]
    fn generated_scenarios_validate_or_run(s in scenario()) {
        let text = s.to_string();
        if let Ok(sc) = eightfold::scenario::parse(&text) {
            if runner::bugs::validate(&sc).is_ok() {
                let out = runner::run_full(&sc, RunOptions { record: Some(runner::default_recording(&sc)), ..RunOptions::seed(3) });
                prop_assert!(out.is_ok());
            }
        }
    }

    /// Bytes flipped, cut or inserted anywhere in a shipped scenario never panic the parser.
    #[test]
    fn mutated_scenario_files_never_panic(
        which in 0usize..64,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let files = shipped_scenarios();
        let mut bytes = std::fs::read(&files[which % files.len()]).expect("readable");
        for (at, b, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = b,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, b),
            }
        }
        if let Ok(text) = String::from_utf8(bytes) {
            let _ = eightfold::scenario::parse(&text);
        }
    }

    /// Windows, durations and sizes given as strings never panic their parsers.
    #[test]
    fn unit_strings_never_panic(s in "\\PC{0,24}") {
        let _ = eightfold::scenario::units::parse_duration(&s);
        let _ = eightfold::scenario::units::parse_size(&s);
        let _ = eightfold::scenario::units::parse_rate(&s);
        let _ = eightfold::scenario::units::parse_window(&s);
    }

    /// Command-line values (`--seeds`, `--shard`, `--window`) shaped like the real thing,
    /// with numbers of any size, parse or fail with a message; a parsed range is never
    /// empty or reversed, a parsed shard is within its count, a window ends after it starts.
    #[test]
    fn command_line_values_never_panic(
        a in any::<u64>(), b in any::<u64>(), sep in prop_oneof![Just(".."), Just("..="), Just("/"), Just("-"), Just("")],
        unit in prop_oneof![Just("s"), Just("ms"), Just("h"), Just(""), Just("x")],
    ) {
        let range = format!("{a}{sep}{b}");
        if let Ok(r) = range.parse::<SeedRange>() {
            prop_assert!(r.first <= r.last);
        }
        if let Ok(s) = range.parse::<Shard>() {
            prop_assert!(s.index >= 1 && s.index <= s.count, "{range} gave {s:?}");
        }
        let window = format!("{a}{unit}{sep}{b}{unit}");
        if let Ok((from, to)) = eightfold::scenario::units::parse_window(&window) {
            prop_assert!(from < to);
        }
    }
}

/// Runs after the property above (tests in one file share the process): the generator must
/// produce runnable scenarios, not only rejected ones, or it tests nothing.
#[test]
fn generator_produces_runnable_scenarios() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut runnable = 0;
    for _ in 0..200 {
        let s = scenario().new_tree(&mut runner).expect("generates").current();
        if let Ok(sc) = eightfold::scenario::parse(&s.to_string()) {
            if runner::bugs::validate(&sc).is_ok() {
                runnable += 1;
            }
        }
    }
    assert!(runnable >= 60, "only {runnable} of 200 generated scenarios are valid");
    assert!(root().join("scenarios").is_dir());
}
