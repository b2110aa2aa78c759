//! Each named bug really misbehaves (and the correct code does not). `commit_old_terms` is
//! shown in `figure8.rs`.

use super::harness::*;
use crate::bugs::NamedBugs;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, KvResult};
use crate::raft::{RaftAdmin, RaftPatch};
use crate::raft::{RaftBugs, RaftConfig, ReadMode};
use eightfold_sim::sim::{LogIndex, Role, SimDuration, Term};

fn with(bugs: RaftBugs) -> RaftConfig {
    RaftConfig { bugs, ..cfg() }
}

#[test]
fn stale_follower_reads_return_old_values() {
    for bug in [false, true] {
        let mut c = Cluster::new(3, with(RaftBugs { stale_follower_reads: bug, ..RaftBugs::NONE }));
        c.elect(0);
        c.client(0, put(1, 1, "old"));
        c.settle();
        c.heartbeat(0);
        c.settle();
        // n3 is partitioned away; a newer write completes without it.
        let cut = |f: &Flight| f.to == n(2) || f.from == n(2);
        c.client(0, put(2, 1, "new"));
        c.settle_cut(cut);
        assert_eq!(c.replies_for(2), vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Done }]);
        c.client(2, get(3, 1));
        let answer = c.replies_for(3);
        if bug {
            assert_eq!(
                answer,
                vec![ClientReply::Ok { seq: ClientSeq(3), result: KvResult::Value(Some("old".into())) }]
            );
        } else {
            assert_eq!(answer, vec![ClientReply::NotLeader { seq: ClientSeq(3), leader: Some(n(0)) }]);
        }
    }
}

#[test]
fn forget_vote_elects_two_leaders_in_one_term() {
    for bug in [false, true] {
        let mut c = Cluster::new(3, with(RaftBugs { forget_vote: bug, ..RaftBugs::NONE }));
        let min = c.cfg.election_timeout_min;
        // n2 asks n1 for its vote in term 1 and gets it.
        c.timeout(1);
        c.sync(1);
        c.deliver_where(|f| f.from == n(1) && f.to == n(0));
        c.sync(0);
        c.deliver_where(|f| f.to == n(1));
        assert_eq!(c.leaders(), vec![(1, Term(1))], "bug {bug}");
        // n1 crashes and restarts; n3 asks for its vote in the same term.
        c.drop_where(|_| true);
        c.crash(0);
        c.start(0);
        c.advance(min);
        c.timeout(2);
        c.sync(2);
        c.deliver_where(|f| f.from == n(2) && f.to == n(0));
        c.sync(0);
        c.deliver_where(|f| f.to == n(2));
        if bug {
            assert_eq!(c.leaders(), vec![(1, Term(1)), (2, Term(1))]);
            assert!(c.checker.violations.iter().any(|v| v.starts_with("election safety")));
        } else {
            assert_eq!(c.leaders(), vec![(1, Term(1))]);
            assert_eq!(c.node(2).role(), Role::Candidate);
            c.assert_safe();
        }
    }
}

#[test]
fn ack_before_commit_loses_an_acknowledged_write() {
    for bug in [false, true] {
        let mut c = Cluster::new(3, with(RaftBugs { ack_before_commit: bug, ..RaftBugs::NONE }));
        c.elect(0);
        c.heartbeat(0);
        c.settle();
        c.client(0, put(1, 1, "acked"));
        let acked = c.replies_for(1) == vec![ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Done }];
        assert_eq!(acked, bug, "acknowledged at once only with the bug");
        // The leader crashes before replicating; the others elect a new leader.
        c.drop_where(|_| true);
        c.crash(0);
        c.advance(c.cfg.election_timeout_min);
        c.elect(1);
        c.client(1, get(2, 1));
        c.settle();
        assert_eq!(
            c.replies_for(2),
            vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(None) }]
        );
        // With the bug, a client was told its write happened, and a later read misses it.
    }
}

#[test]
fn no_log_check_lets_a_stale_server_overwrite_committed_entries() {
    for bug in [false, true] {
        let mut c = Cluster::new(3, with(RaftBugs { no_log_check: bug, ..RaftBugs::NONE }));
        c.elect(0);
        // A write commits on n1 and n2 while n3 is cut off, and both apply it.
        let cut = |f: &Flight| f.to == n(2) || f.from == n(2);
        c.client(0, put(1, 1, "committed"));
        c.settle_cut(cut);
        c.heartbeat(0);
        c.settle_cut(cut);
        assert_eq!(c.node(1).applied_index(), LogIndex(2));
        c.crash(0);
        // n3, which lacks the committed entry, campaigns.
        c.advance(c.cfg.election_timeout_min);
        c.timeout(2);
        c.settle();
        if bug {
            assert_eq!(c.node(2).role(), Role::Leader);
            c.heartbeat(2);
            c.settle();
            c.heartbeat(2);
            c.settle();
            assert_eq!(c.node(1).store().read(1), KvResult::Value(Some("committed".into())));
            assert!(
                c.checker.violations.iter().any(|v| v.starts_with("state machine safety")),
                "{:?}",
                c.checker.violations
            );
            // A linearizable read through the new leader no longer sees the write.
            c.client(2, get(2, 1));
            c.settle();
            assert_eq!(
                c.replies_for(2),
                vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(None) }]
            );
        } else {
            assert_eq!(c.node(2).role(), Role::Candidate, "n2 refuses its vote");
            c.assert_safe();
        }
    }
}

#[test]
fn the_bugs_are_listed_in_the_description() {
    let mut bugs = RaftBugs::NONE;
    assert!(bugs.enable("forget_vote") && !bugs.enable("nonsense"));
    let cfg = RaftConfig { bugs, read_mode: ReadMode::Lease, ..RaftConfig::default() };
    let text = cfg.describe().join("\n");
    assert!(text.contains("BUGS ENABLED: forget_vote"), "{text}");
    assert!(text.contains("reads via lease"), "{text}");
    assert!(!RaftConfig::default().describe().join("\n").contains("BUGS"));
}

#[test]
fn leader_local_lease_serves_stale_reads_when_the_leader_waits_longer_than_its_followers() {
    for bug in [false, true] {
        let bugs = RaftBugs { leader_local_lease: bug, ..RaftBugs::NONE };
        let mut c = Cluster::new(3, RaftConfig { read_mode: ReadMode::Lease, ..with(bugs) });
        c.elect(0);
        c.client(0, put(1, 1, "old"));
        c.settle();
        // A second administrator gives the leader a 1.5 s election timeout; its followers
        // keep 150 ms. A round acknowledged by both renews the lease.
        let slow = (SimDuration::from_millis(1500), SimDuration::from_millis(1600));
        c.operator(0, RaftAdmin::Configure(RaftPatch { election_timeout: Some(slow), ..Default::default() }));
        c.heartbeat(0);
        c.settle();
        // The leader is cut off. The followers wait their own 150 ms, elect n2, and it
        // commits a newer write.
        let cut = |f: &Flight| f.to == n(0) || f.from == n(0);
        c.timeout(1);
        c.settle_cut(cut);
        assert_eq!(c.node(1).role(), Role::Leader, "bug {bug}");
        c.client(1, put(2, 1, "new"));
        c.settle_cut(cut);
        assert_eq!(c.replies_for(2), vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Done }]);
        // A client still talking to n1 reads.
        c.client(0, get(3, 1));
        if bug {
            assert_eq!(
                c.replies_for(3),
                vec![ClientReply::Ok { seq: ClientSeq(3), result: KvResult::Value(Some("old".into())) }]
            );
        } else {
            assert!(
                c.replies_for(3).is_empty(),
                "outside its followers' promises n1 must confirm, and cannot"
            );
        }
    }
}
