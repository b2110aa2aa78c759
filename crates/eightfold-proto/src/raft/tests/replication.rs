//! Log replication: the consistency check, conflict back-off and repair (§5.3),
//! persistence before acknowledging, batching and pipelining.

use super::harness::*;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, KvResult};
use crate::raft::{AppendOutcome, HeartbeatRound, RaftConfig, RaftMsg};
use eightfold_sim::sim::{LogIndex, Observation, Role, Term};

fn append_entries(f: &Flight) -> Option<(LogIndex, usize)> {
    match &f.msg {
        RaftMsg::AppendEntries { prev_index, entries, .. } => Some((*prev_index, entries.len())),
        _ => None,
    }
}

#[test]
fn a_mismatched_prev_entry_is_rejected_and_the_leader_repairs_the_log() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    c.client(0, put(2, 1, "b"));
    c.settle();
    // Three more entries of term 1 stay on n1 alone.
    for s in 3..=5 {
        c.client(0, put(s, 2, "lost"));
    }
    c.sync(0);
    c.drop_where(|_| true);
    assert_eq!(c.node(0).last_index(), LogIndex(6));
    c.crash(0);
    // n2 leads term 2 and writes three entries of its own, then crashes.
    c.elect(1);
    for s in 6..=7 {
        c.client(1, put(s, 3, "kept"));
    }
    c.settle();
    assert_eq!(c.node(1).last_index(), LogIndex(6));
    assert_eq!(c.node(1).commit_index(), LogIndex(6));
    c.crash(1);
    // n1 returns with a conflicting suffix (indexes 4..6 of term 1) and votes for n3, whose
    // log ends in term 2.
    c.start(0);
    c.advance(c.cfg.election_timeout_min);
    c.timeout(2);
    c.sync(2);
    c.deliver_where(|f| f.to == n(0));
    c.sync(0);
    c.deliver_where(|f| f.to == n(2));
    assert_eq!(c.node(2).role(), Role::Leader);
    // n3's first append to n1 (prev = 6, of term 2) fails the check: n1 reports its
    // conflicting term and the first index it holds of it.
    c.deliver_where(|f| f.to == n(0));
    c.sync(0);
    let conflict = c.net.iter().find_map(|f| match f.msg {
        RaftMsg::AppendEntriesResp { outcome: o @ AppendOutcome::Conflict { .. }, .. } => Some(o),
        _ => None,
    });
    assert_eq!(
        conflict,
        Some(AppendOutcome::Conflict { prev: LogIndex(6), term: Some(Term(1)), index: LogIndex(1) })
    );
    c.deliver_where(|f| f.to == n(2));
    // The leader skips the whole term: its last entry of term 1 is index 3, so it resends
    // from 4 in one step.
    let retry: Vec<(LogIndex, usize)> =
        c.net.iter().filter(|f| f.to == n(0)).filter_map(append_entries).collect();
    assert_eq!(retry, vec![(LogIndex(3), 4)]);
    c.settle_cut(|f| f.to == n(1));
    c.heartbeat(2);
    c.settle_cut(|f| f.to == n(1));
    assert_eq!(
        c.observed(0, |o| matches!(o, Observation::Truncated { .. })),
        vec![Observation::Truncated { from: LogIndex(4) }]
    );
    assert_eq!(c.node(0).last_index(), LogIndex(7));
    assert_eq!(c.node(0).commit_index(), LogIndex(7));
    assert_eq!(c.node(0).store().fingerprint(), c.node(2).store().fingerprint());
    assert_eq!(c.node(0).store().read(3), KvResult::Value(Some("kept".into())));
    assert_eq!(c.node(0).store().read(2), KvResult::Value(None), "the uncommitted writes are gone");
    c.assert_safe();
}

#[test]
fn a_shorter_follower_log_hints_its_length() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.settle();
    c.net.push(Flight {
        from: n(0),
        to: n(1),
        msg: RaftMsg::AppendEntries {
            term: Term(1),
            round: HeartbeatRound(1),
            prev_index: LogIndex(9),
            prev_term: Term(1),
            commit: LogIndex(0),
            entries: crate::raft::Batch::empty(),
        },
    });
    c.deliver_where(|_| true);
    c.sync_all();
    assert!(matches!(
        c.net[0].msg,
        RaftMsg::AppendEntriesResp {
            outcome: AppendOutcome::Conflict { prev: LogIndex(9), term: None, index: LogIndex(2) },
            ..
        }
    ));
}

#[test]
fn a_delayed_append_never_truncates_matching_entries() {
    let mut c = Cluster::new(3, RaftConfig { max_entries_per_msg: 1, ..cfg() });
    c.elect(0);
    c.settle();
    c.client(0, put(1, 1, "a"));
    // Keep a copy of the AppendEntries carrying index 2, deliver it, then more.
    let early = c.net.iter().find(|f| f.to == n(1)).cloned().expect("an append to n2");
    c.settle();
    c.client(0, put(2, 1, "b"));
    c.settle();
    assert_eq!(c.node(1).last_index(), LogIndex(3));
    // The stale copy arrives late: it matches, so nothing is truncated.
    c.net.push(early);
    c.deliver_where(|_| true);
    c.sync_all();
    assert_eq!(c.node(1).last_index(), LogIndex(3));
    assert!(c.observed(1, |o| matches!(o, Observation::Truncated { .. })).is_empty());
    // And its acknowledgement claims only what it covered.
    assert!(c.net.iter().any(|f| matches!(
        f.msg,
        RaftMsg::AppendEntriesResp { outcome: AppendOutcome::Match { index: LogIndex(2) }, .. }
    )));
    c.settle();
    c.assert_safe();
}

#[test]
fn nothing_is_acknowledged_before_it_is_durable() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.settle();
    c.client(0, put(1, 1, "a"));
    c.deliver_where(|f| f.to == n(1) || f.to == n(2));
    assert_eq!(c.node(1).last_index(), LogIndex(2));
    assert_eq!(c.count(|f| kind(f, "AppendEntriesResp")), 0, "held until fsync");
    assert!(c.disks[1].pending() > 0);
    c.sync(1);
    assert_eq!(c.count(|f| kind(f, "AppendEntriesResp")), 1);
    // The leader has n2's durable ack, but its own write is not durable yet: with n3 silent,
    // nothing commits.
    c.deliver_where(|f| f.from == n(1));
    assert_eq!(c.node(0).commit_index(), LogIndex(1));
    assert!(c.replies.is_empty());
    c.sync(0);
    assert_eq!(c.node(0).commit_index(), LogIndex(2));
    assert_eq!(c.replies_for(1), vec![ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Done }]);
    // Votes too: a granted vote leaves only once durable.
    let mut c = Cluster::new(3, cfg());
    c.timeout(0);
    c.sync(0);
    c.deliver_where(|f| f.to == n(1));
    assert_eq!(c.count(|f| kind(f, "RequestVoteResp")), 0);
    c.sync(1);
    assert_eq!(c.count(|f| kind(f, "RequestVoteResp")), 1);
}

#[test]
fn batches_and_pipeline_are_bounded() {
    let cfg = RaftConfig { max_entries_per_msg: 2, max_inflight: 2, ..cfg() };
    let mut c = Cluster::new(3, cfg);
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    for s in 1..=10 {
        c.client(0, put(s, 1, "x"));
    }
    let to_n2: Vec<(LogIndex, usize)> =
        c.net.iter().filter(|f| f.to == n(1)).filter_map(append_entries).collect();
    // Each proposal went out at once while the pipeline had room, then they queue up.
    assert_eq!(to_n2.len(), 2, "{to_n2:?}");
    assert!(to_n2.iter().all(|(_, k)| *k <= 2));
    c.settle();
    assert_eq!(c.node(1).last_index(), LogIndex(11));
    assert_eq!(c.node(0).commit_index(), LogIndex(11));
    assert_eq!(c.replies.len(), 10);
    c.assert_safe();
}

#[test]
fn lost_batches_are_resent_after_a_stall() {
    let mut c = Cluster::new(3, RaftConfig { max_entries_per_msg: 1, max_inflight: 3, ..cfg() });
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    for s in 1..=3 {
        c.client(0, put(s, 1, "x"));
    }
    c.sync(0);
    // Everything to n3 is lost; n2 keeps up.
    c.drop_where(|f| f.to == n(2));
    c.settle();
    assert_eq!(c.node(2).last_index(), LogIndex(1));
    // Heartbeats reach n3 but carry no entries while the pipeline is believed full; after
    // two silent ticks the leader probes again from n3's match index.
    for _ in 0..3 {
        c.heartbeat(0);
        c.settle();
    }
    assert_eq!(c.node(2).last_index(), LogIndex(4));
    assert_eq!(c.node(2).commit_index(), LogIndex(4));
    c.assert_safe();
}

#[test]
fn followers_apply_what_the_leader_commits() {
    let mut c = Cluster::new(5, cfg());
    c.elect(3);
    for s in 1..=5 {
        c.client(3, put(s, s as u32, "v"));
    }
    c.settle();
    c.heartbeat(3);
    c.settle();
    let fp = c.node(3).store().fingerprint();
    for i in 0..5 {
        assert_eq!(c.node(i).applied_index(), LogIndex(6));
        assert_eq!(c.node(i).store().fingerprint(), fp);
        assert_eq!(c.node(i).role(), if i == 3 { Role::Leader } else { Role::Follower });
    }
    c.assert_safe();
}
