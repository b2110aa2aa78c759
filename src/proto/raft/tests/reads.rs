//! Client answers and linearizable reads: ReadIndex, leases, the log (dissertation §6).

use super::harness::*;
use crate::proto::kv::{ClientReply, KvResult};
use crate::proto::raft::{AppendOutcome, RaftConfig, RaftMsg, ReadMode};
use crate::sim::{LogIndex, SimDuration, Term};

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
            (n(1), ClientReply::NotLeader { seq: 2, leader: Some(n(0)) }),
            (n(2), ClientReply::NotLeader { seq: 3, leader: Some(n(0)) }),
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
    assert_eq!(c.replies_for(2), vec![ClientReply::Ok { seq: 2, result: KvResult::Value(Some("a".into())) }]);
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
    assert_eq!(c.replies_for(2), vec![ClientReply::Ok { seq: 2, result: KvResult::Value(Some("a".into())) }]);
    // An old round's answers do not confirm a newer read.
    c.drop_where(|_| true);
    c.client(0, get(3, 1));
    c.net.push(Flight {
        from: n(2),
        to: n(0),
        msg: RaftMsg::AppendEntriesResp {
            term: Term(1),
            round: 1,
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
    assert_eq!(c.replies_for(3), vec![ClientReply::NotLeader { seq: 3, leader: Some(n(1)) }]);
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
    assert_eq!(c.replies_for(2), vec![ClientReply::Ok { seq: 2, result: KvResult::Value(Some("a".into())) }]);
}

#[test]
fn lease_reads_are_local_while_the_lease_holds() {
    let mut c = ready(ReadMode::Lease);
    // The last round was acknowledged just now: the read is served without any message.
    c.client(0, get(2, 1));
    assert_eq!(c.replies_for(2), vec![ClientReply::Ok { seq: 2, result: KvResult::Value(Some("a".into())) }]);
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
            round: 1,
            outcome: AppendOutcome::Match { index: LogIndex(0) },
        },
    });
    c.deliver_where(|_| true);
    assert_eq!(c.replies_for(2), vec![ClientReply::Unknown { seq: 2 }], "the write may or may not survive");
    assert_eq!(
        c.replies_for(3),
        vec![ClientReply::NotLeader { seq: 3, leader: None }],
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
            .filter(|(_, r)| matches!(r, ClientReply::NotLeader { leader: None, .. }))
            .count();
        assert_eq!(refused, 2, "{read_mode:?}");
    }
}
