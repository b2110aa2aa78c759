//! Issue 14, finding 1: a Multi-Paxos learner catching up over a link that duplicates
//! messages. Every `Learn`, duplicates included, used to end the learner's request and send
//! another `Fetch`, so each duplicate started a Fetch/Learn chain of its own; the chains
//! grew about 1.5× every 10 ms and `tests/data/issue14/paxos-fetch-storm.json` never ended
//! (seed 1 was still running after 200 s at 1.65 GB). Now a learner has one request
//! outstanding and only its answer sends the next.
//!
//! Each run here is stopped once it exceeds 200,000 events (a checkpoint callback sets the
//! run's interrupt flag), so a storm fails the test within a second instead of hanging it.
//! Raft catches up by a leader's push, bounded by its in-flight window and acknowledged
//! snapshot chunks; the same scenarios guard it against the same kind of regression.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::common::root;
use eightfold::report::Outcome;
use eightfold::runner::{self, Checkpoints, RunError, RunOptions};
use eightfold::scenario::{self, Scenario};
use eightfold::sim::SimDuration;

/// Events a run may take before it counts as a storm (the honest runs take ~30,000–80,000).
const CAP: u64 = 200_000;

/// Runs `seed`, stopping it once it has handled more than `CAP` events.
fn run_capped(s: &Scenario, seed: u64) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Rc::new(Cell::new(0u64));
    let (flag, count) = (stop.clone(), seen.clone());
    let checkpoint = Checkpoints {
        every: SimDuration::from_millis(10),
        call: Box::new(move |_, events| {
            count.set(events);
            if events > CAP {
                flag.store(true, Ordering::SeqCst);
            }
        }),
    };
    let opts = RunOptions { interrupt: Some(stop), checkpoint: Some(checkpoint), ..RunOptions::seed(seed) };
    match runner::run(s, opts) {
        Ok(o) => o,
        Err(RunError::Interrupted(at)) => {
            panic!("{} seed {seed}: still running at {at} after {} events", s.name, seen.get())
        }
        Err(e) => panic!("{} seed {seed}: {e}", s.name),
    }
}

fn storm() -> Scenario {
    scenario::load(&root().join("tests/data/issue14/paxos-fetch-storm.json")).expect("valid scenario")
}

/// The storm scenario with a protocol swapped in (its `max_batch` 1 kept).
fn on(protocol: &str, mut text: String) -> Scenario {
    text = text.replace("\"protocol\": \"paxos\"", &format!("\"protocol\": \"{protocol}\""));
    text = text.replace("\"paxos\": {", &format!("\"{protocol}\": {{"));
    scenario::parse(&text).expect("valid scenario")
}

/// A follower down for a second while the others compact every 50 slots over a store of
/// 80 KB (so it needs a snapshot of three chunks, then the slots decided meanwhile), with
/// 30 % of messages duplicated: snapshot chunks and their requests or acknowledgements
/// arrive twice too.
fn snapshot_storm(protocol: &str, duplicate: f64) -> Scenario {
    scenario::parse(&format!(
        r#"{{"name": "snapshot-storm-{protocol}", "duration": "4s",
            "cluster": {{"protocol": "{protocol}", "nodes": 3, "{protocol}": {{"max_batch": 1, "snapshot_every": 50}}}},
            "network": {{"default": {{"latency": {{"dist": "uniform", "min": "1ms", "max": "5ms"}}, "duplicate": {duplicate}}}}},
            "workload": {{"type": "kv", "clients": 8, "keys": 40, "timeout": "100ms", "value_size": "2KB"}},
            "faults": [{{"at": "1s", "for": "1s", "fault": "crash", "node": "follower"}}]}}"#
    ))
    .expect("valid scenario")
}

#[test]
fn the_paxos_fetch_storm_ends_within_a_small_event_count() {
    let s = storm();
    for seed in 1..=3 {
        let o = run_capped(&s, seed);
        assert!(o.passed, "seed {seed}: {:?}", o.failed_checks());
        assert!(o.events < CAP, "seed {seed}: {} events", o.events);
    }
}

#[test]
fn raft_under_the_same_duplication_ends_too() {
    let text =
        std::fs::read_to_string(root().join("tests/data/issue14/paxos-fetch-storm.json")).expect("read");
    let s = on("raft", text);
    for seed in 1..=2 {
        let o = run_capped(&s, seed);
        assert!(o.passed, "seed {seed}: {:?}", o.failed_checks());
    }
}

#[test]
fn duplicated_snapshot_chunks_do_not_multiply_catch_up_traffic() {
    for protocol in ["paxos", "raft"] {
        let o = run_capped(&snapshot_storm(protocol, 0.3), 3);
        assert!(o.passed, "{protocol}: {:?}", o.failed_checks());
        // Duplication adds its copies (30 % more deliveries, and the log entries of
        // duplicated client requests), not request chains of its own.
        let calm = run_capped(&snapshot_storm(protocol, 0.0), 3);
        assert!(
            o.events < calm.events * 2,
            "{protocol}: {} events with duplication, {} without",
            o.events,
            calm.events
        );
    }
}
