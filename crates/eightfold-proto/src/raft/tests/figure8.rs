//! Figure 8 of the paper, step by step: why a leader must not commit an entry of an
//! earlier term by counting replicas (§5.4.2).
//!
//! Five servers S1..S5 (n1..n5). Every AppendEntries carries one entry so each index can
//! be delivered or withheld separately.
//! - (a) S1 leads term 2; its entry at index 2 reaches S2 only.
//! - (b) S1 crashes; S5 leads term 3 with the votes of S3, S4 and itself, and writes a
//!   different entry at index 2, which reaches nobody.
//! - (c) S5 crashes; S1 restarts and leads term 4; it replicates its term-2 entry at index
//!   2 to S3 and S4, so a majority (S1, S3, S4) stores it, while its own term-4 entry at
//!   index 3 reaches nobody.
//! - (d) S1 crashes; S5 restarts and can win term 5 with the votes of S2, S3, S4 (its last
//!   term, 3, beats their 2); it overwrites index 2 everywhere with its term-3 entry.
//! - (e) Alternatively, if S1's term-4 entry reaches a majority before it crashes, S5
//!   cannot win, and everything up to index 3 is committed for good.
//!
//! The rule: in (c), index 2 is *not* committed although a majority stores it. With the
//! `commit_old_terms` bug, S1 commits and applies it, and (d) then applies a different
//! entry at index 2: state-machine safety is violated.

use super::harness::*;
use crate::raft::{RaftBugs, RaftConfig, RaftMsg};
use eightfold_sim::sim::{LogIndex, Observation, Role, Term};

const S1: usize = 0;
const S2: usize = 1;
const S3: usize = 2;
const S4: usize = 3;
const S5: usize = 4;

/// An AppendEntries carrying index 3 (S1's term-4 entry in step c).
fn carries_index_3(f: &Flight) -> bool {
    matches!(&f.msg, RaftMsg::AppendEntries { prev_index, entries, .. } if *prev_index == LogIndex(2) && !entries.is_empty())
}

/// A cut that withholds index 3 from everyone, except S1's first probe to S3 and S4,
/// which they reject (they lack index 2): that is how S1 learns to send them index 2.
fn withhold_index_3() -> impl Fn(&Flight) -> bool {
    let probed = std::cell::RefCell::new(Vec::new());
    move |f: &Flight| {
        if !carries_index_3(f) {
            return false;
        }
        let first_probe = f.to != n(S2) && !probed.borrow().contains(&f.to);
        probed.borrow_mut().push(f.to);
        !first_probe
    }
}

fn term_at(c: &Cluster, i: usize, index: u64) -> Option<Term> {
    // The latest Appended observation at that index tells what the server holds.
    c.obs.iter().rev().find_map(|(who, o)| match o {
        Observation::Appended { index: x, term, .. } if *who == n(i) && *x == LogIndex(index) => Some(*term),
        _ => None,
    })
}

fn until_c(commit_old_terms: bool) -> Cluster {
    let bugs = RaftBugs { commit_old_terms, ..RaftBugs::NONE };
    let mut c = Cluster::new(5, RaftConfig { max_entries_per_msg: 1, bugs, ..cfg() });
    let min = c.cfg.election_timeout_min;
    // Term 1: S2 leads; its no-op at index 1 reaches everyone.
    c.elect(S2);
    c.heartbeat(S2);
    c.settle();
    // (a) S1 leads term 2 (S3, S4, S5 vote; S2, the old leader, ignores the request); its
    // entry at index 2 reaches S2 only.
    c.advance(min);
    c.timeout(S1);
    c.settle_cut(|f| f.from == n(S1) && kind(f, "AppendEntries") && f.to != n(S2));
    assert_eq!(c.leaders(), vec![(S1, Term(2))]);
    assert_eq!(term_at(&c, S2, 2), Some(Term(2)));
    c.crash(S1);
    // (b) S5 leads term 3 with S3 and S4 (S2's log is more up-to-date: it refuses); its
    // entry at index 2 reaches nobody.
    c.advance(min);
    c.timeout(S5);
    c.settle_cut(|f| f.from == n(S5) && kind(f, "AppendEntries"));
    assert_eq!(c.leaders(), vec![(S5, Term(3))]);
    assert_eq!(term_at(&c, S5, 2), Some(Term(3)));
    c.crash(S5);
    // (c) S1 restarts. Term 3 is taken (S3 and S4 voted for S5), so it wins term 4 with S2,
    // S3 and S4. Index 2 reaches S3 and S4; index 3 (its own term-4 entry) reaches nobody.
    c.start(S1);
    c.advance(min);
    c.timeout(S1);
    c.settle_cut(carries_index_3);
    assert_eq!(c.node(S1).role(), Role::Candidate);
    c.advance(min);
    c.timeout(S1);
    c.settle_cut(withhold_index_3());
    assert_eq!(c.leaders(), vec![(S1, Term(4))]);
    for s in [S1, S2, S3, S4] {
        assert_eq!(term_at(&c, s, 2), Some(Term(2)), "{} stores index 2 of term 2", n(s));
    }
    assert_eq!(term_at(&c, S1, 3), Some(Term(4)));
    assert_eq!(term_at(&c, S3, 3), None);
    // Heartbeats carry the commit index to the followers.
    c.heartbeat(S1);
    c.settle_cut(carries_index_3);
    c
}

/// (d): S1 crashes, S5 restarts and wins term 5.
fn step_d(c: &mut Cluster) {
    let min = c.cfg.election_timeout_min;
    c.crash(S1);
    c.start(S5);
    c.advance(min);
    c.timeout(S5);
    c.settle();
    c.advance(min);
    c.timeout(S5);
    c.settle();
    assert_eq!(c.leaders(), vec![(S5, Term(5))]);
    for _ in 0..3 {
        c.heartbeat(S5);
        c.settle();
    }
    for s in [S2, S3, S4, S5] {
        assert_eq!(term_at(c, s, 2), Some(Term(3)), "{} now holds S5's entry at index 2", n(s));
    }
    assert!(c.node(S5).commit_index() >= LogIndex(3));
}

#[test]
fn an_old_term_entry_on_a_majority_is_not_committed_by_counting() {
    let mut c = until_c(false);
    assert_eq!(c.node(S1).commit_index(), LogIndex(0), "index 2 is on a majority but of term 2");
    assert!(c.obs.iter().all(|(_, o)| !matches!(o, Observation::Applied { index: LogIndex(2), .. })));
    // (d) So S5 may overwrite it, and no server ever applied it: safe.
    step_d(&mut c);
    assert!(c.observed(S3, |o| matches!(o, Observation::Truncated { from: LogIndex(2) })).len() == 1);
    c.assert_safe();
}

#[test]
fn with_commit_old_terms_the_overwritten_entry_was_already_applied() {
    let mut c = until_c(true);
    assert_eq!(c.node(S1).commit_index(), LogIndex(2), "the bug commits by counting replicas");
    let applied = c.observed(S1, |o| matches!(o, Observation::Applied { index: LogIndex(2), .. }));
    assert!(matches!(applied[..], [Observation::Applied { term: Term(2), .. }]));
    c.assert_safe();
    step_d(&mut c);
    assert!(
        c.checker.violations.iter().any(|v| v.starts_with("state machine safety")),
        "{:?}",
        c.checker.violations
    );
}

#[test]
fn once_an_entry_of_the_current_term_is_on_a_majority_everything_below_is_committed() {
    let mut c = until_c(false);
    // (e) Index 3 reaches S3 and S4 after all (the leader re-probes a stalled pipeline).
    for _ in 0..3 {
        c.heartbeat(S1);
        c.settle_cut(|f| f.to == n(S2));
    }
    assert_eq!(c.node(S1).commit_index(), LogIndex(3));
    assert_eq!(
        c.observed(S1, |o| matches!(o, Observation::Applied { index: LogIndex(2), term: Term(2), .. })).len(),
        1
    );
    // S5 can no longer win: S3 and S4 hold a term-4 entry, more up-to-date than S5's log.
    c.crash(S1);
    c.start(S5);
    for _ in 0..4 {
        c.advance(c.cfg.election_timeout_min);
        c.timeout(S5);
        c.settle();
        assert_ne!(c.node(S5).role(), Role::Leader);
    }
    // Someone else wins and keeps index 2 of term 2.
    c.advance(c.cfg.election_timeout_min);
    c.timeout(S3);
    c.settle();
    assert_eq!(c.node(S3).role(), Role::Leader);
    c.heartbeat(S3);
    c.settle();
    assert_eq!(term_at(&c, S5, 2), Some(Term(2)), "S5's term-3 entry was overwritten instead");
    c.assert_safe();
}
