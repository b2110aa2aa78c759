//! Phase 1 and phase 2: leadership, pre-emption, re-proposing accepted values, filling
//! gaps, learning and catching up.

use super::harness::*;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, KvResult};
use crate::paxos::PaxosMsg;
use crate::replica::log::Payload;
use eightfold_sim::sim::{LogIndex, Observation, Role, Term};

fn value(c: &Cluster, i: usize, key: u32) -> KvResult {
    c.node(i).store().read(key)
}

#[test]
fn a_leader_establishes_itself_and_decides_commands() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    let ballot = c.node(0).leading().unwrap();
    assert_eq!(c.observed(0, |o| matches!(o, Observation::Role { role: Role::Leader, .. })).len(), 1);
    // Slot 1 holds the leader's no-op.
    assert_eq!(
        c.node(0).decided_at(LogIndex(1)).map(|e| (e.term, e.payload.clone())),
        Some((ballot.term(), Payload::Noop))
    );
    c.client(0, put(1, 7, "a"));
    c.settle();
    assert_eq!(c.replies_for(1), vec![ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Done }]);
    // Followers learn the decision with the next message from the leader.
    c.heartbeat(0);
    c.settle();
    for i in 0..3 {
        assert_eq!(value(&c, i, 7), KvResult::Value(Some("a".into())), "n{}", i + 1);
        assert_eq!(c.node(i).commit_index(), LogIndex(2));
        assert_eq!(c.node(i).chain_at(LogIndex(2)), c.node(0).chain_at(LogIndex(2)));
    }
    // Reads go through the log too.
    c.client(0, get(2, 7));
    c.settle();
    assert_eq!(
        c.replies_for(2),
        vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(Some("a".into())) }]
    );
    // Other servers redirect to the leader.
    c.client(1, get(3, 7));
    assert_eq!(c.replies_for(3), vec![ClientReply::NotLeader { seq: ClientSeq(3), leader: Some(n(0)) }]);
    c.assert_safe();
}

#[test]
fn phase_one_runs_once_per_leadership_and_phase_two_is_pipelined() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    let prepares = |c: &Cluster| c.obs.len();
    let before = prepares(&c);
    for seq in 1..=5 {
        c.client(0, put(seq, seq as u32, "v"));
    }
    // Five proposals in flight at once, no new Prepare.
    assert_eq!(c.count(|f| kind(f, "Prepare")), 0);
    assert_eq!(c.count(|f| kind(f, "Accept")), 10);
    c.settle();
    assert!(prepares(&c) > before);
    for seq in 1..=5 {
        assert_eq!(c.replies_for(seq), vec![ClientReply::Ok { seq: ClientSeq(seq), result: KvResult::Done }]);
    }
    c.assert_safe();
}

#[test]
fn a_higher_ballot_preempts_the_leader() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    let old = c.node(0).leading().unwrap();
    // n1 is cut off; n2 and n3 elect n2 with a higher ballot.
    let cut = |f: &Flight| f.to == n(0) || f.from == n(0);
    c.timeout(1);
    c.settle_cut(cut);
    let new = c.node(1).leading().unwrap();
    assert!(new > old);
    assert_eq!(c.node(1).role(), Role::Leader);
    c.client(1, put(1, 1, "new"));
    c.settle_cut(cut);
    // The old leader still believes it leads; a client's request to it is refused by the
    // acceptors (Nack), which pre-empts it: the client learns its fate is unknown.
    assert_eq!(c.node(0).leading(), Some(old));
    c.client(0, put(2, 1, "old"));
    c.settle();
    assert_eq!(c.node(0).leading(), None);
    assert_eq!(c.replies_for(2), vec![ClientReply::Unknown { seq: ClientSeq(2) }]);
    // It now points clients to the new leader (the Nack named its ballot).
    c.client(0, get(3, 1));
    assert_eq!(c.replies_for(3), vec![ClientReply::NotLeader { seq: ClientSeq(3), leader: Some(n(1)) }]);
    // And a Prepare of a lower ballot is refused with a Nack naming the promise.
    c.inject(2, n(0), PaxosMsg::Prepare { ballot: old, from: LogIndex(1) });
    assert!(c.net.iter().any(|f| matches!(f.msg, PaxosMsg::Nack { promised } if promised == new)));
    c.settle();
    c.assert_safe();
}

#[test]
fn a_value_accepted_by_one_acceptor_is_reproposed_by_the_next_leader() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "x"));
    c.sync(0);
    // Only n2 receives the proposal; nobody learns it was accepted.
    c.deliver_where(|f| kind(f, "Accept") && f.to == n(1));
    c.sync(1);
    c.drop_where(|_| true);
    c.crash(0);
    // n3 leads with n2's promise, which reports the value: it must propose it again.
    c.advance(c.cfg.election_timeout_max);
    c.timeout(2);
    c.settle();
    assert_eq!(c.node(2).role(), Role::Leader);
    assert_eq!(value(&c, 2, 1), KvResult::Value(Some("x".into())));
    let e = c.node(2).decided_at(LogIndex(2)).unwrap();
    assert!(e.term < c.node(2).leading().unwrap().term(), "the value keeps the round that first proposed it");
    c.assert_safe();
}

#[test]
fn the_highest_ballot_wins_among_reported_values() {
    let mut c = Cluster::new(5, cfg());
    c.elect(0);
    // n1 proposes "a" at slot 2; only n2 accepts it.
    c.client(0, put(1, 1, "a"));
    c.sync(0);
    c.deliver_where(|f| kind(f, "Accept") && f.to == n(1));
    c.sync(1);
    c.drop_where(|_| true);
    c.crash(0);
    // n3 leads with n3, n4, n5 (not n2): slot 2 looks empty, it proposes its no-op there;
    // only n4 accepts it.
    c.advance(c.cfg.election_timeout_max);
    c.timeout(2);
    c.sync(2);
    c.deliver_where(|f| kind(f, "Prepare") && f.to != n(1));
    c.sync_all();
    c.deliver_where(|f| kind(f, "Promise"));
    c.sync(2);
    assert!(c.node(2).leading().is_some());
    c.deliver_where(|f| kind(f, "Accept") && f.to == n(3));
    c.sync(3);
    c.drop_where(|_| true);
    c.crash(2);
    // n2 leads with n2, n4, n5: n2 reports "a" (ballot 1), n4 the no-op (a higher ballot).
    // The higher ballot's value wins; "a" is not chosen. (n2's first ballot is below the
    // promise n4 and n5 made to n3: it is refused, and n2 retries above it.)
    c.advance(c.cfg.election_timeout_max);
    for _ in 0..3 {
        if c.node(1).role() == Role::Leader {
            break;
        }
        c.timeout(1);
        c.settle();
    }
    assert_eq!(c.node(1).role(), Role::Leader);
    let e = c.node(1).decided_at(LogIndex(2)).unwrap();
    assert_eq!(e.payload, Payload::Noop);
    assert_eq!(value(&c, 1, 1), KvResult::Value(None));
    c.assert_safe();
}

#[test]
fn gaps_are_filled_with_noops() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    // Three commands at slots 2, 3, 4 (one handler each, so one Accept each).
    for seq in 1..=3 {
        c.client(0, put(seq, seq as u32, "v"));
    }
    c.sync(0);
    // Only slot 4's proposal reaches n2.
    c.deliver_where(|f| matches!(f.msg, PaxosMsg::Accept { first: LogIndex(4), .. }) && f.to == n(1));
    c.sync(1);
    c.drop_where(|_| true);
    c.crash(0);
    c.advance(c.cfg.election_timeout_max);
    c.elect(1);
    let round = c.node(1).leading().unwrap().term();
    for slot in [2, 3] {
        let e = c.node(1).decided_at(LogIndex(slot)).unwrap();
        assert_eq!((e.term, &e.payload), (round, &Payload::Noop), "slot {slot}");
    }
    assert!(matches!(c.node(1).decided_at(LogIndex(4)).unwrap().payload, Payload::Command(_)));
    assert_eq!(value(&c, 1, 3), KvResult::Value(Some("v".into())));
    assert_eq!(value(&c, 1, 1), KvResult::Value(None));
    // The new leader's own no-op follows.
    assert_eq!(c.node(1).decided_at(LogIndex(5)).unwrap().payload, Payload::Noop);
    c.assert_safe();
}

#[test]
fn a_lagging_follower_fetches_what_it_missed() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    let cut = |f: &Flight| f.to == n(2) || f.from == n(2);
    for seq in 1..=20 {
        c.client(0, put(seq, seq as u32 % 4, &format!("v{seq}")));
        c.settle_cut(cut);
    }
    assert_eq!(c.node(2).commit_index(), LogIndex(0));
    c.heartbeat(0);
    c.settle();
    assert_eq!(c.node(2).commit_index(), c.node(0).commit_index());
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}

#[test]
fn a_leader_behind_the_decided_prefix_catches_up_before_it_establishes() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    let cut = |f: &Flight| f.to == n(2) || f.from == n(2);
    for seq in 1..=5 {
        c.client(0, put(seq, seq as u32, "v"));
        c.settle_cut(cut);
    }
    c.heartbeat(0);
    c.settle_cut(cut);
    // n1 crashes; n3 (far behind) leads with n2's promise: it must fetch slots 1–6 first.
    c.crash(0);
    c.advance(c.cfg.election_timeout_max);
    c.timeout(2);
    c.settle();
    assert_eq!(c.node(2).role(), Role::Leader);
    assert_eq!(c.node(2).store().fingerprint(), c.node(1).store().fingerprint());
    assert!(c.node(2).commit_index() > LogIndex(6));
    c.assert_safe();
}

#[test]
fn a_single_server_decides_alone() {
    let mut c = Cluster::new(1, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "solo"));
    c.settle();
    assert_eq!(c.replies_for(1), vec![ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Done }]);
    assert_eq!(c.node(0).leading().unwrap().term(), Term(1));
}

#[test]
fn check_quorum_makes_a_cut_off_leader_step_down() {
    let mut c = Cluster::new(3, crate::paxos::PaxosConfig::default());
    c.elect(0);
    let cut = |f: &Flight| f.to == n(0) || f.from == n(0);
    c.run_cut(eightfold_sim::sim::SimDuration::from_millis(900), cut);
    assert_eq!(c.node(0).leading(), None);
    assert!(c.leaders().iter().any(|&(i, _)| i != 0));
    c.assert_safe();
}

/// An acceptor announces its promise ([`Observation::Promised`]) at start and whenever it
/// rises — never for a Prepare, Accept or heartbeat of the ballot it already promised, nor
/// for a lower ballot it refuses — and after a restart the one it recovered from its disk.
#[test]
fn an_acceptor_announces_its_promise_when_and_only_when_it_rises() {
    let promises = |c: &Cluster, i: usize| -> Vec<(u64, usize)> {
        c.observed(i, |o| matches!(o, Observation::Promised { .. }))
            .into_iter()
            .map(|o| match o {
                Observation::Promised { round, proposer } => (round.0, proposer.index()),
                _ => unreachable!(),
            })
            .collect()
    };
    let mut c = Cluster::new(3, cfg());
    for i in 0..3 {
        assert_eq!(promises(&c, i), vec![(0, 0)], "n{}: nothing promised at start", i + 1);
    }
    c.elect(0);
    let b = c.node(0).leading().unwrap();
    for seq in 1..=3 {
        c.client(0, put(seq, 1, "v"));
    }
    c.settle();
    c.heartbeat(0);
    c.settle();
    for i in 0..3 {
        assert_eq!(promises(&c, i), vec![(0, 0), (b.round.0, 0)], "n{}", i + 1);
    }
    // A lower ballot is refused, and nothing is announced.
    let low = crate::paxos::Ballot { round: crate::paxos::Round(b.round.0 - 1), node: n(2) };
    c.inject(1, n(2), PaxosMsg::Prepare { ballot: low, from: LogIndex(1) });
    c.settle();
    assert_eq!(promises(&c, 1).len(), 2);
    // A restart announces the promise recovered from the disk.
    c.sync_all();
    c.crash(1);
    c.start(1);
    assert_eq!(promises(&c, 1), vec![(0, 0), (b.round.0, 0), (b.round.0, 0)]);
}
