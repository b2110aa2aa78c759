//! Golden digests: the trace digest of seed 1 of every shipped scenario is pinned in
//! `tests/data/golden-digests.json`, so that a change which alters any run — an event, its
//! time, a random draw — cannot slip in unnoticed.
//!
//! A digest may change only through a deliberate change of the model (a protocol, the
//! kernel, the network or disk model, a workload's draws), stated in the commit that makes
//! it. Then regenerate the file and commit it with that change:
//!
//! ```sh
//! EIGHTFOLD_BLESS=1 cargo test --release --test integration golden_digests::
//! ```

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::common::{root, shipped_scenarios};
use eightfold::runner::{self, RunOptions};
use eightfold::scenario;

const SEED: u64 = 1;
const FILE: &str = "tests/data/golden-digests.json";
const REGENERATE: &str = "EIGHTFOLD_BLESS=1 cargo test --release --test integration golden_digests::";

/// The pinned file.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
struct Golden {
    /// The seed every digest is of.
    seed: u64,
    /// How to regenerate this file.
    regenerate: String,
    /// Scenario name → trace digest.
    digests: BTreeMap<String, String>,
}

/// Runs seed 1 of every shipped scenario (in parallel) and returns name → digest.
fn digests() -> BTreeMap<String, String> {
    let paths = shipped_scenarios();
    let next = AtomicUsize::new(0);
    let found = Mutex::new(BTreeMap::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let s = scenario::load(path).expect("shipped scenarios are valid");
                    let o = runner::run(&s, RunOptions::seed(SEED)).expect("runs");
                    found.lock().expect("lock").insert(s.name.clone(), o.digest);
                }
            });
        }
    });
    found.into_inner().expect("lock")
}

#[test]
fn every_shipped_scenario_keeps_its_seed_1_digest() {
    let now = digests();
    assert_eq!(now.len(), shipped_scenarios().len(), "two shipped scenarios share a name");
    let path = root().join(FILE);
    if std::env::var_os("EIGHTFOLD_BLESS").is_some() {
        let golden = Golden { seed: SEED, regenerate: REGENERATE.to_string(), digests: now };
        let text = serde_json::to_string_pretty(&golden).expect("serialises") + "\n";
        std::fs::write(&path, text).expect("writes the golden file");
        eprintln!("wrote {}", path.display());
        return;
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; create it with {REGENERATE}", path.display()));
    let golden: Golden = serde_json::from_str(&text).expect("the golden file parses");
    assert_eq!(golden.seed, SEED);
    let mut wrong = Vec::new();
    for (name, digest) in &now {
        match golden.digests.get(name) {
            Some(d) if d == digest => {}
            Some(d) => wrong.push(format!("{name}: pinned {d}, now {digest}")),
            None => wrong.push(format!("{name}: not pinned (a new scenario?)")),
        }
    }
    for name in golden.digests.keys().filter(|n| !now.contains_key(*n)) {
        wrong.push(format!("{name}: pinned, but no shipped scenario has that name"));
    }
    assert!(
        wrong.is_empty(),
        "seed-{SEED} digests changed:\n  {}\nIf this is a deliberate model change, say so in the commit and regenerate with\n  {REGENERATE}",
        wrong.join("\n  ")
    );
}
