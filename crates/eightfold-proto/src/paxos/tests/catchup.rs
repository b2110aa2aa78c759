//! Catching up under duplication, and numbers from messages that must not size work: the
//! defects of issue 14 (a Fetch/Learn storm; a new leader filling every slot up to a
//! corrupted slot number), rule by rule.

use super::harness::*;
use crate::paxos::storage::AcceptedValue;
use crate::paxos::{Ballot, PaxosConfig, PaxosMsg, Round};
use crate::replica::log::{Entry, Payload};
use eightfold_sim::sim::{LogIndex, Observation, Role, Term};

/// One value per message (a message holds at least one value, however small its byte
/// budget), so catching up takes many request-answer rounds.
fn one_per_message() -> PaxosConfig {
    PaxosConfig { max_entries_per_msg: 1, max_bytes_per_msg: 1, snapshot_threshold: 0, ..cfg() }
}

/// n1 leads and decides `puts` values while n3 hears nothing; then a heartbeat reaches n3,
/// which asks n1 for what it missed. Returns the cluster with that Fetch on the wire.
fn n3_fetching(puts: u64) -> Cluster {
    let mut c = Cluster::new(3, one_per_message());
    c.elect(0);
    let cut = |f: &Flight| f.to == n(2) || f.from == n(2);
    for seq in 1..=puts {
        c.client(0, put(seq, 1, &format!("v{seq}")));
        c.settle_cut(cut);
    }
    c.drop_where(|_| true);
    c.heartbeat(0);
    c.deliver_where(|f| f.to == n(2));
    c.sync_all();
    assert_eq!(c.count(|f| kind(f, "Fetch")), 1, "n3 asks once: {:?}", c.net);
    c
}

fn fetches(c: &Cluster) -> usize {
    c.count(|f| f.from == n(2) && kind(f, "Fetch"))
}

#[test]
fn a_duplicated_learn_does_not_start_a_second_fetch() {
    let mut c = n3_fetching(10);
    c.deliver_where(|f| kind(f, "Fetch"));
    let learn = c.net.iter().find(|f| kind(f, "Learn")).cloned().expect("n1 answers");
    // The network delivers the answer twice.
    c.net.push(learn);
    c.deliver_where(|f| kind(f, "Learn"));
    c.sync_all();
    assert_eq!(fetches(&c), 1, "one answer, one next request: {:?}", c.net);
    // Round after round, each answer (and its copy) makes exactly one next request, and
    // n3 catches up.
    for _ in 0..20 {
        c.deliver_where(|f| kind(f, "Fetch"));
        let copies: Vec<Flight> = c.net.iter().filter(|f| kind(f, "Learn")).cloned().collect();
        c.net.extend(copies);
        c.deliver_where(|f| kind(f, "Learn"));
        c.sync_all();
        assert!(fetches(&c) <= 1, "{:?}", c.net);
    }
    assert_eq!(c.node(2).commit_index(), c.node(0).commit_index());
    c.assert_safe();
}

#[test]
fn a_stale_learn_sends_nothing_and_the_answer_sends_the_next_request() {
    let mut c = n3_fetching(10);
    c.deliver_where(|f| kind(f, "Fetch"));
    let first = c.net.iter().find(|f| kind(f, "Learn")).cloned().expect("n1 answers");
    c.deliver_where(|f| kind(f, "Learn"));
    c.sync_all();
    assert_eq!(fetches(&c), 1);
    let behind = c.node(2).commit_index();
    // The answer to the first request arrives again, late: n3 already holds its value,
    // and it answers nothing n3 is waiting for.
    c.deliver_where(|f| kind(f, "Fetch"));
    c.net.push(first);
    let before = c.net.len();
    let k = c.net.len() - 1;
    c.deliver(k);
    c.sync_all();
    assert_eq!(c.net.len(), before - 1, "nothing sent for a stale answer: {:?}", c.net);
    assert_eq!(c.node(2).commit_index(), behind);
    // The real answer moves n3 on and sends the next request.
    c.deliver_where(|f| kind(f, "Learn"));
    c.sync_all();
    assert_eq!(c.node(2).commit_index(), behind.next());
    assert_eq!(fetches(&c), 1);
    c.assert_safe();
}

#[test]
fn an_unanswered_fetch_is_sent_again_only_after_two_heartbeat_intervals() {
    let mut c = n3_fetching(10);
    c.drop_where(|f| kind(f, "Fetch"));
    // Heartbeats within two intervals remind n3 it is behind, but a request is outstanding.
    c.advance(c.cfg.heartbeat_interval);
    c.heartbeat(0);
    c.deliver_where(|f| f.to == n(2));
    c.sync_all();
    assert_eq!(fetches(&c), 0, "{:?}", c.net);
    c.advance(c.cfg.heartbeat_interval);
    c.heartbeat(0);
    c.deliver_where(|f| f.to == n(2));
    c.sync_all();
    assert_eq!(fetches(&c), 1, "{:?}", c.net);
    c.assert_safe();
}

#[test]
fn duplicated_snapshot_chunks_never_make_the_learner_ask_twice() {
    let cfg = PaxosConfig { snapshot_threshold: 4, max_bytes_per_msg: 64, ..cfg() };
    let mut c = Cluster::new(3, cfg);
    c.elect(0);
    let cut = |f: &Flight| f.to == n(2) || f.from == n(2);
    for seq in 1..=30 {
        c.client(0, put(seq, seq as u32 % 5, &format!("value-{seq:02}-{}", "x".repeat(40))));
        c.settle_cut(cut);
    }
    c.drop_where(|_| true);
    c.heartbeat(0);
    c.deliver_where(|f| f.to == n(2));
    c.sync_all();
    // Every chunk arrives twice; heartbeats keep telling n3 it is behind. Each request is
    // answered before it is two heartbeat intervals old, so none is ever sent twice: a
    // copy of a chunk must not make n3 ask for the next chunk again.
    let mut asked: Vec<u64> = Vec::new();
    let mut chunks = 0;
    for _ in 0..100 {
        for f in c.net.iter().filter(|f| f.from == n(2)) {
            if let PaxosMsg::FetchChunk { offset, .. } = f.msg {
                assert!(!asked.contains(&offset), "chunk {offset} asked for twice: {asked:?}");
                asked.push(offset);
            }
        }
        let copies: Vec<Flight> = c.net.iter().filter(|f| kind(f, "Snapshot")).cloned().collect();
        chunks += copies.len();
        c.net.extend(copies);
        c.deliver_where(|_| true);
        c.sync_all();
        c.heartbeat(0);
    }
    assert!(chunks >= 3, "the snapshot took {chunks} chunks");
    c.settle();
    assert_eq!(c.node(2).commit_index(), c.node(0).commit_index());
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}

#[test]
fn a_new_leader_does_not_fill_gaps_up_to_an_implausible_acceptance_of_its_own() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.settle();
    // n2 holds an acceptance at a slot no honest leader proposes (as a corrupted Accept
    // would have left it before acceptors refused such values).
    let far = LogIndex(1 << 40);
    let stray = AcceptedValue {
        ballot: Ballot { round: Round(1), node: n(0) },
        entry: Entry { term: Term(1), payload: Payload::Noop },
    };
    c.nodes[1].as_mut().expect("up").accepted.insert(far, stray);
    c.crash(0);
    c.advance(c.cfg.election_timeout_max);
    c.elect(1);
    let lead = c.node(1).lead.as_ref().expect("leads");
    assert!(lead.next_slot.0 < 10, "the leader proposes from slot {}", lead.next_slot);
    assert!(
        !c.observed(1, |o| matches!(o, Observation::Rejected { reason } if reason == "implausible"))
            .is_empty()
    );
    c.client(1, get(2, 1));
    c.settle();
    assert_eq!(c.replies_for(2).len(), 1);
    c.assert_safe();
}

#[test]
fn an_acceptor_refuses_values_far_above_every_decided_prefix() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.settle();
    let ballot = c.node(0).leading().expect("leads");
    let gap = c.cfg.max_gap();
    let noop = || vec![Entry { term: ballot.term(), payload: Payload::Noop }];
    let commit = c.node(1).commit_index();
    // Just inside the bound: accepted and acknowledged.
    c.inject(1, n(0), PaxosMsg::Accept { ballot, first: LogIndex(commit.0 + gap), entries: noop(), commit });
    c.sync_all();
    assert_eq!(c.count(|f| f.from == n(1) && kind(f, "Accepted")), 1);
    // One slot beyond: refused, unanswered, not stored.
    c.drop_where(|_| true);
    let beyond = LogIndex(commit.0 + gap + 1);
    c.inject(1, n(0), PaxosMsg::Accept { ballot, first: beyond, entries: noop(), commit });
    c.sync_all();
    assert_eq!(c.count(|f| f.from == n(1)), 0, "{:?}", c.net);
    assert!(!c.node(1).acceptances().contains_key(&beyond));
    assert!(
        !c.observed(1, |o| matches!(o, Observation::Rejected { reason } if reason == "implausible"))
            .is_empty()
    );
    assert_eq!(c.node(1).role(), Role::Follower);
    c.assert_safe();
}
