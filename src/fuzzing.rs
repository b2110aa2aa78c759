//! The bodies of the fuzz targets, one function per input a user controls.
//!
//! The cargo-fuzz targets in `fuzz/` call these on whatever libFuzzer generates, and
//! `tests/integration/fuzz_regressions.rs` calls them on every input kept in
//! `tests/data/fuzz-regressions/<target>/`, so an input that once crashed a target is
//! replayed through exactly the same code on every CI run. Each function returns normally
//! for any input; a panic is the finding.

use crate::check::formats;
use crate::check::linearizability as lin;
use crate::proto::gossip::GossipMsg;
use crate::proto::service::ServiceMsg;
use crate::runner::{self, RunOptions};
use crate::sim::{Message, SimDuration};
use crate::workload::history::History;

/// The fuzz targets, by the name of their directory under `fuzz/fuzz_targets/`.
pub const TARGETS: &[&str] = &["scenario", "run_scenario", "history", "wire"];

/// Runs the target called `name` on `data`; `false` if there is no such target.
pub fn run_target(name: &str, data: &[u8]) -> bool {
    match name {
        "scenario" => scenario(data),
        "run_scenario" => run_scenario(data),
        "history" => history(data),
        "wire" => wire(data),
        _ => return false,
    }
    true
}

/// Any bytes as a scenario file: parsing and validation return a value or an error.
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(s) = crate::scenario::parse(text) {
        let _ = runner::bugs::validate(&s);
        let _ = runner::parameters(&s, 1);
    }
}

/// Any valid small scenario runs to the end, checks and all, without panicking. Larger
/// scenarios are skipped so each input stays fast: at most 7 servers, 6 clients and two
/// simulated seconds, with a linearizability budget of 200,000 steps.
pub fn run_scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut s) = crate::scenario::parse(text) else { return };
    if runner::bugs::validate(&s).is_err() {
        return;
    }
    if s.cluster.nodes > 7 || s.client_count() > 6 || s.duration.0 > SimDuration::from_secs(2) {
        return;
    }
    s.checks.linearizability_budget =
        Some(crate::scenario::model::LinBudgetSpec { steps: Some(200_000), memory: None });
    let record = Some(runner::default_recording(&s));
    let _ = runner::run_full(&s, RunOptions { record, ..RunOptions::seed(1) });
}

/// Any bytes as a history file: the first byte picks the format (this project's JSON,
/// Porcupine's etcd log, Porcupine's key-value log); what parses is checked on a small
/// budget.
pub fn history(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut options = lin::Options::default();
    options.budget.max_steps = 20_000;
    options.shrink = None;
    match which % 3 {
        0 => {
            if let Ok(h) = serde_json::from_str::<History>(text) {
                let _ = lin::check_history(&h, &options);
            }
        }
        1 => {
            if let Ok(p) = formats::porcupine_etcd::parse(text.as_bytes()) {
                let initial = p.initial.clone();
                if let Ok(ops) = lin::single_register(p.ops) {
                    let _ = lin::check(&lin::Register { initial }, &ops, &options);
                }
            }
        }
        _ => {
            if let Ok(p) = formats::porcupine_kv::parse(text.as_bytes()) {
                let _ = lin::check(&lin::KeyValue { initial: p.initial.clone() }, &p.ops, &options);
            }
        }
    }
}

/// Any bytes as a message on the wire (what a receiver decodes when authentication is
/// off): decoding never panics or over-allocates, and what decodes re-encodes to itself.
pub fn wire(data: &[u8]) {
    if let Some(m) = ServiceMsg::decode(data) {
        let mut again = Vec::new();
        m.encode(&mut again);
        assert_eq!(ServiceMsg::decode(&again).as_ref(), Some(&m), "re-encoding must round-trip");
        let _ = m.wire_size();
    }
    let _ = GossipMsg::decode(data);
}
