//! Persistence and recovery: what a restarted server keeps (Figure 2's persistent state,
//! fsynced) and loses (anything not fsynced), torn tails, corruption, failed fsyncs.

use super::harness::*;
use crate::kv::KvResult;
use crate::raft::{RaftMsg, WAL};
use eightfold_sim::sim::{DiskOp, LogIndex, Message, Observation, Role, Term};

#[test]
fn a_restart_keeps_what_was_synced_and_loses_the_rest() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.settle();
    // Two more entries reach n2's disk but are never fsynced there.
    c.client(0, put(2, 1, "b"));
    c.client(0, put(3, 1, "c"));
    c.sync(0);
    c.deliver_where(|f| f.to == n(1));
    assert_eq!(c.node(1).last_index(), LogIndex(4));
    let voted_before = c.node(1).term();
    c.crash(1);
    c.start(1);
    assert_eq!(c.node(1).term(), voted_before);
    assert_eq!(c.node(1).last_index(), LogIndex(2), "unsynced entries are gone");
    assert_eq!(c.node(1).commit_index(), LogIndex(0), "commit is volatile");
    assert_eq!(c.node(1).applied_index(), LogIndex(0));
    // Its vote in term 1 survived: another candidate of term 1 is refused.
    c.advance(c.cfg.election_timeout_min);
    c.drop_where(|_| true);
    c.net.push(Flight {
        from: n(2),
        to: n(1),
        msg: RaftMsg::RequestVote { term: Term(1), last_index: LogIndex(9), last_term: Term(1) },
    });
    c.deliver_where(|_| true);
    c.sync_all();
    assert!(matches!(c.net[0].msg, RaftMsg::RequestVoteResp { granted: false, .. }));
    c.drop_where(|_| true);
    // The restarted server re-applies once it learns the commit index again (the leader
    // resends the lost batch after two heartbeat intervals without an acknowledgement).
    for _ in 0..3 {
        c.heartbeat(0);
        c.settle();
    }
    assert_eq!(c.node(1).commit_index(), LogIndex(4));
    assert_eq!(c.node(1).store().read(1), KvResult::Value(Some("c".into())));
    c.assert_safe();
}

#[test]
fn an_unsynced_vote_is_lost_with_its_answer() {
    let mut c = Cluster::new(3, cfg());
    c.timeout(0);
    c.sync(0);
    c.deliver_where(|f| f.to == n(1));
    assert_eq!(c.node(1).term(), Term(1));
    // n2 crashes before its vote is durable: the grant was never sent, and the restarted
    // server is free to vote again in term 1 — nobody counted the first one.
    assert_eq!(c.count(|f| kind(f, "RequestVoteResp")), 0);
    c.crash(1);
    c.start(1);
    assert_eq!(c.node(1).term(), Term(0));
}

#[test]
fn a_torn_tail_is_cut_off_at_start() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.settle();
    c.crash(2);
    let good = c.disks[2].durable[&WAL].len();
    c.disks[2].damage(WAL, |b| b.extend_from_slice(&[42, 0, 0, 0, 1, 2, 3, 4, 5]));
    c.disks[2].ops.clear();
    c.start(2);
    assert!(c.node(2).refused().is_none());
    assert_eq!(c.node(2).last_index(), LogIndex(2));
    assert_eq!(c.disks[2].ops.first(), Some(&DiskOp::Truncate { file: WAL, len: good as u64 }));
    c.sync(2);
    assert_eq!(c.disks[2].durable[&WAL].len(), good);
    c.client(0, put(2, 1, "b"));
    c.settle();
    assert_eq!(c.node(2).last_index(), LogIndex(3));
    c.crash(2);
    c.start(2);
    assert_eq!(c.node(2).last_index(), LogIndex(3), "appends after the cut are readable");
    c.assert_safe();
}

#[test]
fn a_corrupt_record_makes_the_server_refuse_to_run() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.settle();
    c.crash(1);
    // A bit flips inside a complete record in the middle of the log.
    c.disks[1].damage(WAL, |b| {
        let mid = b.len() / 2;
        b[mid] ^= 0x10;
    });
    c.obs.clear();
    c.start(1);
    assert!(c.node(1).refused().is_some());
    assert_eq!(
        c.obs,
        vec![(n(1), Observation::Rejected { reason: "disk-corrupt".into() })],
        "it announces the refusal and nothing else"
    );
    assert!(!c.timers.keys().any(|(i, _)| *i == 1), "no timers: it never campaigns");
    // It stays silent: no acks, no votes, no client answers.
    c.client(0, put(2, 1, "b"));
    c.client(1, put(3, 1, "c"));
    c.advance(c.cfg.election_timeout_max);
    c.net.push(Flight {
        from: n(2),
        to: n(1),
        msg: RaftMsg::RequestVote { term: Term(9), last_index: LogIndex(9), last_term: Term(9) },
    });
    c.heartbeat(0);
    for _ in 0..5 {
        c.sync_all();
        c.deliver_where(|_| true);
    }
    assert!(c.net.iter().all(|f| f.from != n(1)));
    assert!(c.replies.iter().all(|(from, _, _)| *from != n(1)));
    assert_eq!(c.node(1).term(), Term(0));
    // The other two carry on.
    assert_eq!(c.node(0).commit_index(), LogIndex(3));
}

#[test]
fn a_failed_fsync_crashes_the_server() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.deliver_where(|f| f.to == n(1));
    c.fail_sync(1);
    assert!(!c.up(1), "the server crashed itself");
    assert_eq!(c.count(|f| f.from == n(1)), 0, "and acknowledged nothing");
    c.start(1);
    assert_eq!(c.node(1).last_index(), LogIndex(1));
    for _ in 0..3 {
        c.heartbeat(0);
        c.settle();
    }
    assert_eq!(c.node(1).last_index(), LogIndex(2));
    c.assert_safe();
}

#[test]
fn a_held_answer_is_dropped_if_the_term_moved_on() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.deliver_where(|f| f.to == n(2));
    // Before n3's fsync completes, it hears of term 5.
    c.advance(c.cfg.election_timeout_min);
    c.net.push(Flight {
        from: n(1),
        to: n(2),
        msg: RaftMsg::RequestVote { term: Term(5), last_index: LogIndex(9), last_term: Term(4) },
    });
    c.deliver_where(|f| f.to == n(2));
    c.sync(2);
    let from_n3: Vec<&str> = c.net.iter().filter(|f| f.from == n(2)).map(|f| f.msg.kind()).collect();
    assert_eq!(from_n3, vec!["RequestVoteResp"], "the term-1 acknowledgement is not sent");
    assert_eq!(c.node(2).role(), Role::Follower);
}
