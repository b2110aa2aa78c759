//! Client answers and linearizable reads: ReadIndex, leases, the log (dissertation §6).

use super::harness::*;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, KvResult};
use crate::raft::{AppendOutcome, HeartbeatRound, RaftBugs, RaftConfig, RaftMsg, ReadMode};
use crate::raft::{RaftAdmin, RaftPatch};
use eightfold_sim::sim::{LogIndex, Role, SimDuration, Term};

fn mode(read_mode: ReadMode) -> RaftConfig {
    RaftConfig { read_mode, ..cfg() }
}

fn ready(read_mode: ReadMode) -> Cluster {
    let mut c = Cluster::new(3, mode(read_mode));
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.settle();
    c.heartbeat(0);
    c.settle();
    c.replies.clear();
    c
}

#[test]
fn followers_redirect_to_the_leader() {
    let mut c = ready(ReadMode::Log);
    c.client(1, get(2, 1));
    c.client(2, put(3, 1, "b"));
    assert_eq!(
        c.replies,
        vec![
            (n(1), CLIENT, ClientReply::NotLeader { seq: ClientSeq(2), leader: Some(n(0)) }),
            (n(2), CLIENT, ClientReply::NotLeader { seq: ClientSeq(3), leader: Some(n(0)) }),
        ]
    );
}

#[test]
fn log_reads_are_entries() {
    let mut c = ready(ReadMode::Log);
    let last = c.node(0).last_index();
    c.client(0, get(2, 1));
    assert_eq!(c.node(0).last_index(), last.next());
    assert!(c.replies.is_empty());
    c.settle();
    assert_eq!(
        c.replies_for(2),
        vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(Some("a".into())) }]
    );
}

#[test]
fn read_index_waits_for_a_heartbeat_round_acknowledged_by_a_majority() {
    let mut c = ready(ReadMode::ReadIndex);
    let last = c.node(0).last_index();
    c.client(0, get(2, 1));
    assert_eq!(c.node(0).last_index(), last, "nothing is appended");
    assert!(c.replies.is_empty(), "not before leadership is confirmed");
    assert_eq!(c.count(|f| kind(f, "AppendEntries")), 2, "a heartbeat round starts at once");
    // One follower's answer makes a majority with the leader.
    c.deliver_where(|f| f.to == n(1));
    c.sync(1);
    assert!(c.replies.is_empty());
    c.deliver_where(|f| f.from == n(1));
    assert_eq!(
        c.replies_for(2),
        vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(Some("a".into())) }]
    );
    // An old round's answers do not confirm a newer read.
    c.drop_where(|_| true);
    c.client(0, get(3, 1));
    c.net.push(Flight {
        from: n(2),
        to: n(0),
        msg: RaftMsg::AppendEntriesResp {
            term: Term(1),
            round: HeartbeatRound(1),
            promise: SimDuration::ZERO,
            outcome: AppendOutcome::Match { index: LogIndex(0) },
        },
    });
    c.deliver_where(|f| f.to == n(0));
    assert!(c.replies_for(3).is_empty());
}

#[test]
fn a_deposed_leader_cannot_serve_read_index() {
    let mut c = ready(ReadMode::ReadIndex);
    // The leader is cut off; the others elect a new one and overwrite key 1.
    c.advance(c.cfg.election_timeout_min);
    c.timeout(1);
    c.settle_cut(|f| f.to == n(0) || f.from == n(0));
    c.client(1, put(2, 1, "b"));
    c.settle_cut(|f| f.to == n(0) || f.from == n(0));
    c.client(0, get(3, 1));
    c.settle_cut(|f| f.to == n(0) || f.from == n(0));
    assert!(c.replies_for(3).is_empty(), "the old leader cannot confirm its leadership");
    // When it hears of the new term it steps down and tells the client to go elsewhere.
    c.heartbeat(1);
    c.settle();
    assert_eq!(c.replies_for(3), vec![ClientReply::NotLeader { seq: ClientSeq(3), leader: Some(n(1)) }]);
    c.assert_safe();
}

#[test]
fn a_new_leader_serves_reads_only_after_committing_an_entry_of_its_term() {
    let mut c = ready(ReadMode::ReadIndex);
    c.crash(0);
    c.advance(c.cfg.election_timeout_min);
    c.timeout(1);
    c.sync(1);
    c.deliver_where(|f| kind(f, "RequestVote"));
    c.sync_all();
    c.deliver_where(|f| kind(f, "RequestVoteResp"));
    assert_eq!(c.leaders(), vec![(1, Term(2))]);
    // Its no-op is not committed yet: the read waits even after a round is confirmed.
    c.client(1, get(2, 1));
    c.drop_where(|f| matches!(&f.msg, RaftMsg::AppendEntries { entries, .. } if !entries.is_empty()));
    for _ in 0..3 {
        c.sync_all();
        c.deliver_where(|f| !matches!(&f.msg, RaftMsg::AppendEntries { entries, .. } if !entries.is_empty()));
    }
    assert!(c.replies_for(2).is_empty());
    for _ in 0..3 {
        c.heartbeat(1);
        c.settle();
    }
    assert_eq!(
        c.replies_for(2),
        vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(Some("a".into())) }]
    );
}

#[test]
fn lease_reads_are_local_while_the_lease_holds() {
    let mut c = ready(ReadMode::Lease);
    // The last round was acknowledged just now: the read is served without any message.
    c.client(0, get(2, 1));
    assert_eq!(
        c.replies_for(2),
        vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(Some("a".into())) }]
    );
    assert!(c.net.is_empty());
    // Once the lease has run out (no acknowledgement for the minimum election timeout),
    // the leader falls back to a ReadIndex round.
    c.advance(c.cfg.election_timeout_min);
    c.client(0, get(3, 1));
    assert!(c.replies_for(3).is_empty());
    assert_eq!(c.count(|f| kind(f, "AppendEntries")), 2);
    c.settle();
    assert_eq!(c.replies_for(3).len(), 1);
    // The round renewed the lease.
    c.advance(SimDuration::from_millis(10));
    c.client(0, get(4, 1));
    assert_eq!(c.replies_for(4).len(), 1);
}

#[test]
fn losing_leadership_answers_waiting_clients() {
    let mut c = ready(ReadMode::ReadIndex);
    c.client(0, put(2, 1, "b"));
    c.client(0, get(3, 1));
    c.drop_where(|_| true);
    // A higher term arrives before anything is acknowledged.
    c.net.push(Flight {
        from: n(2),
        to: n(0),
        msg: RaftMsg::AppendEntriesResp {
            term: Term(9),
            round: HeartbeatRound(1),
            promise: SimDuration::ZERO,
            outcome: AppendOutcome::Match { index: LogIndex(0) },
        },
    });
    c.deliver_where(|_| true);
    assert_eq!(
        c.replies_for(2),
        vec![ClientReply::Unknown { seq: ClientSeq(2) }],
        "the write may or may not survive"
    );
    assert_eq!(
        c.replies_for(3),
        vec![ClientReply::NotLeader { seq: ClientSeq(3), leader: None }],
        "the read had no effect"
    );
}

#[test]
fn a_leader_that_cannot_commit_stops_accepting() {
    for read_mode in [ReadMode::Log, ReadMode::ReadIndex] {
        let mut c = Cluster::new(3, RaftConfig { max_uncommitted: 3, read_mode, ..cfg() });
        c.elect(0);
        c.settle();
        c.drop_where(|_| true);
        for s in 1..=5 {
            c.client(0, get(s, 1));
            c.drop_where(|_| true);
        }
        let refused = c
            .replies
            .iter()
            .filter(|(_, _, r)| matches!(r, ClientReply::NotLeader { leader: None, .. }))
            .count();
        assert_eq!(refused, 2, "{read_mode:?}");
    }
}

/// An operator's command setting server's election timeout to `min`–`max` milliseconds.
fn timeout_ms(min: u64, max: u64) -> RaftAdmin {
    RaftAdmin::Configure(RaftPatch {
        election_timeout: Some((SimDuration::from_millis(min), SimDuration::from_millis(max))),
        ..RaftPatch::default()
    })
}

/// The promise carried by the latest AppendEntries answer `from` has on the wire.
fn promise_from(c: &Cluster, from: usize) -> SimDuration {
    c.net
        .iter()
        .rev()
        .find_map(|f| match f.msg {
            RaftMsg::AppendEntriesResp { promise, .. } if f.from == n(from) => Some(promise),
            _ => None,
        })
        .expect("an answer on the wire")
}

#[test]
fn the_lease_lasts_as_long_as_the_followers_promised_not_the_leaders_own_timeout() {
    for bug in [false, true] {
        let bugs = RaftBugs { leader_local_lease: bug, ..RaftBugs::NONE };
        let mut c = Cluster::new(3, RaftConfig { bugs, ..mode(ReadMode::Lease) });
        c.elect(0);
        c.client(0, put(1, 1, "a"));
        c.settle();
        // An operator gives the leader a ten times longer election timeout; its followers
        // keep 150 ms, and that is what their answers promise.
        c.operator(0, timeout_ms(1500, 1600));
        c.heartbeat(0);
        c.deliver_where(|f| f.to == n(1));
        c.sync(1);
        assert_eq!(promise_from(&c, 1), SimDuration::from_millis(150));
        c.settle();
        c.replies.clear();
        c.advance(SimDuration::from_millis(160));
        c.client(0, get(2, 1));
        if bug {
            // The textbook rule counts the leader's own 1.5 s: served locally, although the
            // followers are free to elect someone else by now.
            assert_eq!(c.replies_for(2).len(), 1, "bug: served from the lease");
            assert!(c.net.is_empty());
        } else {
            assert!(c.replies_for(2).is_empty(), "the followers' promises ran out after 150 ms");
            assert_eq!(c.count(|f| kind(f, "AppendEntries")), 2, "a ReadIndex round instead");
        }
    }
}

#[test]
fn the_leader_counts_a_promise_from_when_it_sent_the_round() {
    let mut c = ready(ReadMode::Lease);
    c.heartbeat(0);
    let sent = c.now;
    // The heartbeats take 100 ms to arrive: the followers promise until `sent + 250 ms`,
    // but the leader cannot know when they received the round and counts from `sent`.
    c.advance(SimDuration::from_millis(100));
    c.settle();
    c.advance(SimDuration::from_millis(40));
    c.client(0, get(2, 1));
    assert_eq!(c.replies_for(2).len(), 1, "inside sent + 150 ms: local");
    c.advance(SimDuration::from_millis(20));
    c.client(0, get(3, 1));
    assert!(c.replies_for(3).is_empty(), "past sent + 150 ms: the lease is over");
    assert!(c.now < sent + SimDuration::from_millis(250));
}

#[test]
fn a_promise_outlives_an_operator_lowering_the_timeout() {
    let mut c = ready(ReadMode::Lease);
    // `ready` ended with a heartbeat round: n2 promised 150 ms from now.
    let promised_until = c.now + SimDuration::from_millis(150);
    c.operator(1, timeout_ms(10, 20));
    c.heartbeat(0);
    c.deliver_where(|f| f.to == n(1));
    c.sync(1);
    // n2 now waits only 10-20 ms for a leader, but it still owes the rest of its promise,
    // and says so.
    assert_eq!(promise_from(&c, 1), promised_until - c.now);
    assert!(promised_until - c.now > SimDuration::from_millis(20));
    c.settle();
    // Its election timer, re-armed with the new setting, fires early: it does not campaign.
    c.timeout(1);
    assert!(c.now < promised_until);
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.count(|f| f.from == n(1)), 0, "no vote asked for");
    // A candidate asking for its vote is ignored, its term not even adopted.
    let ask = RaftMsg::RequestVote { term: Term(2), last_index: LogIndex(99), last_term: Term(1) };
    c.net.push(Flight { from: n(2), to: n(1), msg: ask });
    c.deliver_where(|_| true);
    c.sync(1);
    assert_eq!((c.node(1).term(), c.count(|f| f.from == n(1))), (Term(1), 0));
    // The timer was re-armed for the rest of the promise; then n2 campaigns.
    c.timeout(1);
    assert_eq!(c.now, promised_until);
    assert_eq!((c.node(1).role(), c.node(1).term()), (Role::Candidate, Term(2)));
}

#[test]
fn a_restarted_follower_keeps_whatever_it_promised_before_the_crash() {
    let mut c = ready(ReadMode::Lease);
    // n2 promised 150 ms and crashes at once: the promise was only in memory.
    c.crash(1);
    c.start(1);
    c.advance(SimDuration::from_millis(140));
    let ask = RaftMsg::RequestVote { term: Term(2), last_index: LogIndex(99), last_term: Term(1) };
    c.net.push(Flight { from: n(2), to: n(1), msg: ask.clone() });
    c.deliver_where(|_| true);
    c.sync(1);
    assert_eq!((c.node(1).term(), c.count(|f| f.from == n(1))), (Term(1), 0), "no vote for 150 ms");
    c.advance(SimDuration::from_millis(10));
    c.net.push(Flight { from: n(2), to: n(1), msg: ask });
    c.deliver_where(|_| true);
    c.sync(1);
    assert_eq!(c.count(|f| matches!(f.msg, RaftMsg::RequestVoteResp { granted: true, .. })), 1);
}

#[test]
fn a_server_never_promises_longer_than_it_would_keep_after_a_restart() {
    let mut c = ready(ReadMode::Lease);
    // An operator raises n3's timeout to a second. After a crash it boots with 150 ms
    // again, so 150 ms is all it can promise: a longer promise would die with it.
    c.operator(2, timeout_ms(1000, 1100));
    c.heartbeat(0);
    c.deliver_where(|f| f.to == n(2));
    c.sync(2);
    assert_eq!(promise_from(&c, 2), SimDuration::from_millis(150));
}

#[test]
fn without_leases_nothing_is_promised() {
    for read_mode in [ReadMode::Log, ReadMode::ReadIndex] {
        let mut c = ready(read_mode);
        c.heartbeat(0);
        c.deliver_where(|f| f.to == n(1));
        c.sync(1);
        assert_eq!(promise_from(&c, 1), SimDuration::ZERO, "{read_mode:?}");
    }
}
