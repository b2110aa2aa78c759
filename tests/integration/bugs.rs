//! The checkers have teeth: every named protocol bug is caught (an invariant or
//! linearizability failure) within 200 seeds of the shipped scenario the bug table names,
//! while the correct protocol passes the same seeds.

use std::collections::BTreeMap;

use super::common::root;
use eightfold::runner::{self, RunOptions, bugs::BUGS};
use eightfold::scenario::{self, Protocol, Scenario};

fn load(name: &str) -> Scenario {
    scenario::load(&root().join(format!("scenarios/{name}.json"))).expect("the named scenario ships")
}

/// The first seed of `seeds` that fails a check, with the checks it failed. Seeds run in
/// order and the search stops there, so a bug caught early costs a run or two.
fn first_failure(s: &Scenario, seeds: std::ops::RangeInclusive<u64>) -> Option<(u64, Vec<String>)> {
    for seed in seeds {
        let o = runner::run(s, RunOptions::seed(seed)).expect("runs");
        if !o.passed {
            return Some((seed, o.failed_checks().into_iter().map(String::from).collect()));
        }
    }
    None
}

/// Every bug of `protocol` is caught in its scenario, which runs that protocol; then the
/// correct protocol passes every seed the bugs needed (at least 40) of those scenarios.
fn every_bug_is_caught(protocol: Protocol) {
    let mut correct_upto: BTreeMap<&str, u64> = BTreeMap::new();
    let bugs: Vec<_> = BUGS.iter().filter(|b| b.protocols.contains(&protocol)).collect();
    assert!(!bugs.is_empty(), "no {} bug in the table", protocol.name());
    for bug in bugs {
        let mut s = load(bug.caught_in);
        assert!(
            bug.protocols.contains(&s.cluster.protocol),
            "{} is a bug of {:?} but {} runs {}",
            bug.name,
            bug.protocols,
            bug.caught_in,
            s.cluster.protocol.name()
        );
        s.bugs = vec![bug.name.to_string()];
        let (seed, failed) = first_failure(&s, 1..=200)
            .unwrap_or_else(|| panic!("{} was not caught in 200 seeds of {}", bug.name, bug.caught_in));
        assert!(
            failed.iter().any(|c| c == "invariants" || c == "linearizable"),
            "{} failed only {failed:?} (seed {seed}), not a safety check",
            bug.name
        );
        let e = correct_upto.entry(bug.caught_in).or_default();
        *e = (*e).max(seed);
    }
    for (scenario_name, upto) in correct_upto {
        let s = load(scenario_name);
        if let Some((seed, failed)) = first_failure(&s, 1..=upto.max(40)) {
            panic!("correct {} failed {failed:?} on {scenario_name} seed {seed}", protocol.name());
        }
    }
}

#[test]
fn every_raft_bug_is_caught_within_200_seeds_and_correct_raft_passes_them() {
    every_bug_is_caught(Protocol::RAFT);
}

#[test]
fn every_paxos_bug_is_caught_within_200_seeds_and_correct_paxos_passes_them() {
    every_bug_is_caught(Protocol::PAXOS);
}
