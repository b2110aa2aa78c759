//! Persistence before answering, recovery after a crash, torn and corrupted disks.

use super::harness::*;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, KvResult};
use crate::paxos::{PaxosMsg, WAL};
use eightfold_sim::sim::{DiskOp, LogIndex, Observation, Role, StorageView};

#[test]
fn prepares_promises_and_acceptances_wait_for_their_fsync() {
    let mut c = Cluster::new(3, cfg());
    c.timeout(0);
    assert_eq!(c.count(|f| kind(f, "Prepare")), 0, "the self-promise is not durable yet");
    c.sync(0);
    assert_eq!(c.count(|f| kind(f, "Prepare")), 2);
    c.deliver_where(|f| kind(f, "Prepare"));
    assert_eq!(c.count(|f| kind(f, "Promise")), 0, "promises wait for the acceptors' fsync");
    c.sync(1);
    assert_eq!(c.count(|f| kind(f, "Promise")), 1);
    c.deliver_where(|f| kind(f, "Promise"));
    // n1 and n2 promised: phase 1 is complete and the no-op goes out at once.
    assert!(c.node(0).leading().is_some());
    assert_eq!(c.count(|f| kind(f, "Accept")), 2, "Accepts go out in parallel with the leader's own write");
    c.deliver_where(|f| kind(f, "Accept") && f.to == n(1));
    assert_eq!(c.count(|f| kind(f, "Accepted")), 0);
    c.sync(1);
    c.deliver_where(|f| kind(f, "Accepted"));
    // n2 accepted, but the leader's own acceptance is not durable: nothing is decided yet.
    assert_eq!(c.node(0).commit_index(), LogIndex(0));
    c.sync(0);
    assert_eq!(c.node(0).commit_index(), LogIndex(1));
    assert_eq!(c.node(0).role(), Role::Leader);
    c.settle();
    c.assert_safe();
}

#[test]
fn a_restarted_acceptor_keeps_its_promise_and_acceptances() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    let first = c.node(0).leading().unwrap();
    c.client(0, put(1, 1, "a"));
    c.settle();
    // n3 promises n2's higher ballot, then crashes and restarts.
    c.timeout(1);
    c.settle_cut(|f| f.to == n(0) || f.from == n(0));
    let second = c.node(1).leading().unwrap();
    c.crash(2);
    c.start(2);
    assert_eq!(c.node(2).promised(), second);
    let own_noop = c.node(1).commit_index();
    assert_eq!(c.node(2).acceptances().get(&own_noop).map(|a| a.ballot), Some(second));
    // An Accept of the old ballot is refused.
    c.inject(
        2,
        n(0),
        PaxosMsg::Accept { ballot: first, first: LogIndex(9), entries: vec![], commit: LogIndex(0) },
    );
    assert!(c.net.iter().any(|f| matches!(f.msg, PaxosMsg::Nack { promised } if promised == second)));
    c.settle();
    c.assert_safe();
}

#[test]
fn a_full_restart_recovers_every_decided_value() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    for seq in 1..=6 {
        c.client(0, put(seq, seq as u32 % 3, &format!("v{seq}")));
        c.settle();
    }
    c.heartbeat(0);
    c.settle();
    let fingerprint = c.node(0).store().fingerprint();
    let commit = c.node(0).commit_index();
    for i in 0..3 {
        c.crash(i);
    }
    let seen = c.obs.len();
    for i in 0..3 {
        c.start(i);
        assert_eq!(c.node(i).commit_index(), commit);
        assert_eq!(c.node(i).store().fingerprint(), fingerprint, "n{} re-applied its decided prefix", i + 1);
    }
    // The recovered prefix is announced again, so the checkers know it.
    let applied = c.obs[seen..].iter().filter(|(_, o)| matches!(o, Observation::Applied { .. })).count();
    assert_eq!(applied, 3 * commit.0 as usize);
    c.advance(c.cfg.election_timeout_max);
    c.elect(1);
    c.client(1, get(10, 1));
    c.settle();
    assert_eq!(
        c.replies_for(10),
        vec![ClientReply::Ok { seq: ClientSeq(10), result: KvResult::Value(Some("v4".into())) }]
    );
    c.assert_safe();
}

#[test]
fn a_torn_tail_is_cut_off_at_start() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.settle();
    c.crash(1);
    let len = c.disks[1].read(WAL).len();
    c.disks[1].damage(WAL, |w| w.extend_from_slice(&[7, 0, 0, 0, 1, 2]));
    c.disks[1].ops.clear();
    c.start(1);
    assert!(c.node(1).refused().is_none());
    assert_eq!(c.disks[1].ops.first(), Some(&DiskOp::Truncate { file: WAL, len: len as u64 }));
    c.heartbeat(0);
    c.settle();
    assert_eq!(c.node(1).store().read(1), KvResult::Value(Some("a".into())));
    c.assert_safe();
}

#[test]
fn a_corrupt_disk_makes_the_server_refuse_to_run() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.settle();
    c.crash(1);
    c.disks[1].damage(WAL, |w| w[20] ^= 0x10);
    c.start(1);
    assert!(c.node(1).refused().is_some());
    assert_eq!(c.observed(1, |o| matches!(o, Observation::Rejected { .. })).len(), 1);
    // It answers nothing, ever.
    let ballot = c.node(0).leading().unwrap();
    c.inject(1, n(0), PaxosMsg::Prepare { ballot, from: LogIndex(1) });
    c.client(1, get(2, 1));
    assert_eq!(c.count(|f| f.from == n(1)), 0);
    assert!(c.replies_for(2).is_empty());
    // The others carry on without it.
    c.client(0, put(3, 1, "b"));
    c.settle();
    assert_eq!(c.replies_for(3), vec![ClientReply::Ok { seq: ClientSeq(3), result: KvResult::Done }]);
}

#[test]
fn a_failed_fsync_crashes_the_server_and_it_recovers_what_was_durable() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.deliver_where(|f| kind(f, "Accept") && f.to == n(1));
    c.fail_sync(1);
    assert!(!c.up(1), "the server crashed itself");
    assert_eq!(c.count(|f| kind(f, "Accepted")), 0, "the acceptance was never acknowledged");
    c.start(1);
    c.settle();
    c.heartbeat(0);
    c.settle();
    assert_eq!(c.replies_for(1), vec![ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Done }]);
    c.assert_safe();
}
