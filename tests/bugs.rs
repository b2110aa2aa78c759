//! The checkers have teeth: every named protocol bug is caught (an invariant or
//! linearizability failure) within 200 seeds of the shipped scenario the bug table names,
//! while the correct protocol passes the same seeds.

mod common;

use common::root;
use eightfold::runner::{self, RunOptions, bugs::BUGS};
use eightfold::scenario::{self, Protocol};

fn first_failure(s: &scenario::Scenario, seeds: std::ops::RangeInclusive<u64>) -> Option<(u64, Vec<String>)> {
    for seed in seeds {
        let o = runner::run(s, RunOptions::seed(seed)).expect("runs");
        if !o.passed {
            return Some((seed, o.failed_checks().into_iter().map(String::from).collect()));
        }
    }
    None
}

#[test]
fn every_raft_bug_is_caught_within_200_seeds_and_correct_raft_passes_them() {
    let mut correct_upto: std::collections::BTreeMap<&str, u64> = Default::default();
    for bug in BUGS.iter().filter(|b| b.protocols.contains(&Protocol::Raft)) {
        let path = root().join(format!("scenarios/{}.json", bug.caught_in));
        let mut s = scenario::load(&path).expect("the named scenario ships");
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
    // The correct protocol passes every seed the bugs needed, and then some.
    for (scenario_name, upto) in correct_upto {
        let s = scenario::load(&root().join(format!("scenarios/{scenario_name}.json"))).expect("ships");
        if let Some((seed, failed)) = first_failure(&s, 1..=upto.max(40)) {
            panic!("correct Raft failed {failed:?} on {scenario_name} seed {seed}");
        }
    }
}
