//! Compaction (memory stays bounded), crash points of compaction, and a far-behind replica
//! catching up from a snapshot.

use super::harness::*;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, KvResult};
use crate::paxos::{PaxosConfig, PaxosMsg, SNAPSHOT, WAL};
use eightfold_sim::sim::SimDuration;
use eightfold_sim::sim::{DiskOp, LogIndex, Observation};

fn small() -> PaxosConfig {
    PaxosConfig { snapshot_threshold: 4, ..cfg() }
}

#[test]
fn compaction_keeps_the_decided_prefix_in_memory_bounded() {
    let mut c = Cluster::new(3, small());
    c.elect(0);
    for seq in 1..=40 {
        c.client(0, put(seq, seq as u32 % 5, &format!("v{seq}")));
        c.settle();
        c.heartbeat(0);
        c.settle();
    }
    for i in 0..3 {
        assert!(c.node(i).log_len() <= 8, "n{} holds {} decided values", i + 1, c.node(i).log_len());
        assert!(!c.observed(i, |o| matches!(o, Observation::Snapshot { .. })).is_empty());
    }
    // A restart reads the snapshot and the rewritten WAL back.
    let fingerprint = c.node(1).store().fingerprint();
    c.crash(1);
    c.start(1);
    assert_eq!(c.node(1).store().fingerprint(), fingerprint);
    c.assert_safe();
}

#[test]
fn a_crash_between_the_snapshot_and_the_wal_rewrite_loses_nothing() {
    let mut c = Cluster::new(3, small());
    c.elect(0);
    for seq in 1..=3 {
        c.client(0, put(seq, 1, &format!("v{seq}")));
        c.settle();
    }
    // n2 knows slots 1–3 decided; the heartbeat tells it about slot 4, which triggers a
    // compaction: the snapshot becomes durable, the WAL rewrite does not.
    assert_eq!(c.node(1).commit_index(), LogIndex(3));
    c.heartbeat(0);
    c.deliver_where(|f| f.to == n(1));
    assert!(c.disks[1].ops.iter().any(|op| matches!(op, DiskOp::Replace { file: SNAPSHOT, .. })));
    assert!(c.sync_file(1, SNAPSHOT));
    let fingerprint = c.node(1).store().fingerprint();
    c.crash(1);
    c.disks[1].ops.clear();
    c.start(1);
    assert_eq!(c.node(1).store().fingerprint(), fingerprint);
    assert!(
        matches!(c.disks[1].ops.first(), Some(DiskOp::Replace { file: WAL, .. })),
        "the old WAL is rewritten before anything is appended: {:?}",
        c.disks[1].ops.first()
    );
    c.settle();
    c.heartbeat(0);
    c.settle();
    c.assert_safe();
}

#[test]
fn a_replica_behind_the_compacted_prefix_installs_a_snapshot() {
    let mut c = Cluster::new(3, small());
    c.elect(0);
    let cut = |f: &Flight| f.to == n(2) || f.from == n(2);
    for seq in 1..=30 {
        c.client(0, put(seq, seq as u32 % 5, &format!("v{seq}")));
        c.settle_cut(cut);
    }
    c.heartbeat(0);
    c.settle_cut(cut);
    assert!(c.node(0).log_len() < 30);
    assert_eq!(c.node(2).commit_index(), LogIndex(0));
    // Healed: the next heartbeat makes n3 fetch; n1 has compacted what it needs.
    c.heartbeat(0);
    c.settle();
    assert!(!c.observed(2, |o| matches!(o, Observation::Snapshot { .. })).is_empty());
    assert_eq!(c.node(2).commit_index(), c.node(0).commit_index());
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    // The snapshot is durable: n3 survives a crash with it.
    c.crash(2);
    c.start(2);
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    // And it takes part again: with n1 down, n2 and n3 decide.
    c.crash(0);
    c.advance(c.cfg.election_timeout_max);
    c.elect(2);
    c.client(2, get(100, 4));
    c.settle();
    assert_eq!(
        c.replies_for(100),
        vec![ClientReply::Ok { seq: ClientSeq(100), result: KvResult::Value(Some("v29".into())) }]
    );
    c.assert_safe();
}

/// Small snapshots and tiny messages: the store's snapshot takes several chunks.
fn chunked() -> PaxosConfig {
    PaxosConfig { snapshot_threshold: 4, max_bytes_per_msg: 64, ..cfg() }
}

/// n1 leads and compacts while n3 hears nothing; returns the cluster, n3 still cut off.
fn n3_behind_a_compaction(cfg: PaxosConfig) -> Cluster {
    let mut c = Cluster::new(3, cfg);
    c.elect(0);
    let cut = |f: &Flight| f.to == n(2) || f.from == n(2);
    for seq in 1..=30 {
        c.client(0, put(seq, seq as u32 % 5, &format!("value-{seq:02}-{}", "x".repeat(40))));
        c.settle_cut(cut);
    }
    c.heartbeat(0);
    c.settle_cut(cut);
    assert!(c.node(0).log_len() < 30);
    assert_eq!(c.node(2).commit_index(), LogIndex(0));
    c
}

/// The snapshot chunks in flight: (offset, done, bytes).
fn chunks_in_flight(c: &Cluster) -> Vec<(u64, bool, usize)> {
    c.net
        .iter()
        .filter_map(|f| match &f.msg {
            PaxosMsg::Snapshot { offset, done, data, .. } => Some((*offset, *done, data.len())),
            _ => None,
        })
        .collect()
}

/// Delivers everything, step by step, until quiet; returns every snapshot chunk sent.
fn settle_watching_chunks(c: &mut Cluster, drop_once: Option<u64>) -> Vec<(u64, bool, usize)> {
    let mut seen = Vec::new();
    let mut dropped = false;
    for _ in 0..10_000 {
        c.sync_all();
        seen.extend(chunks_in_flight(c));
        if let (Some(at), false) = (drop_once, dropped) {
            let gone = c.drop_where(|f| matches!(&f.msg, PaxosMsg::Snapshot { offset, .. } if *offset == at));
            dropped = gone > 0;
        }
        if c.net.is_empty() {
            return seen;
        }
        c.deliver_where(|_| true);
    }
    panic!("the cluster did not settle");
}

#[test]
fn a_snapshot_larger_than_one_message_arrives_in_chunks() {
    let mut c = n3_behind_a_compaction(chunked());
    c.heartbeat(0);
    let chunks = settle_watching_chunks(&mut c, None);
    assert!(chunks.len() >= 3, "the snapshot should take several messages: {chunks:?}");
    assert!(chunks.iter().all(|&(_, _, len)| len <= 64), "a chunk exceeds max_bytes_per_msg: {chunks:?}");
    let mut next = 0;
    for (i, &(offset, done, len)) in chunks.iter().enumerate() {
        assert_eq!(offset, next, "chunks go out in order, each where the last ended: {chunks:?}");
        assert_eq!(done, i == chunks.len() - 1, "only the last chunk is done: {chunks:?}");
        next += len as u64;
    }
    assert!(!c.observed(2, |o| matches!(o, Observation::Snapshot { .. })).is_empty());
    assert_eq!(c.node(2).commit_index(), c.node(0).commit_index());
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}

#[test]
fn a_lost_chunk_is_asked_for_again_on_the_next_heartbeat() {
    let mut c = n3_behind_a_compaction(chunked());
    c.heartbeat(0);
    let first = settle_watching_chunks(&mut c, Some(64));
    assert!(first.iter().all(|&(_, done, _)| !done), "the transfer stalls at the lost chunk: {first:?}");
    assert!(c.observed(2, |o| matches!(o, Observation::Snapshot { .. })).is_empty());
    // Two heartbeat intervals later the learner asks for the chunk it lacks, and the rest
    // follows.
    c.advance(SimDuration(c.cfg.heartbeat_interval.as_nanos() * 2));
    c.heartbeat(0);
    let rest = settle_watching_chunks(&mut c, None);
    assert_eq!(rest.first().map(|&(offset, _, _)| offset), Some(64), "resumes at the lost chunk: {rest:?}");
    assert!(rest.last().is_some_and(|&(_, done, _)| done), "{rest:?}");
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}

#[test]
fn a_compaction_during_a_transfer_does_not_restart_it() {
    let mut c = n3_behind_a_compaction(chunked());
    c.heartbeat(0);
    // Only the first chunk reaches n3; its request for the second is held back.
    c.deliver_where(|f| f.to == n(2) && matches!(f.msg, PaxosMsg::Heartbeat { .. }));
    c.sync_all();
    c.deliver_where(|f| f.to == n(0) && matches!(f.msg, PaxosMsg::Fetch { .. }));
    let first = chunks_in_flight(&c);
    assert_eq!(first.len(), 1, "{first:?}");
    let base = |c: &Cluster| {
        c.net.iter().find_map(|f| match &f.msg {
            PaxosMsg::Snapshot { base, .. } => Some(base.index),
            _ => None,
        })
    };
    let sending = base(&c).expect("a chunk in flight");
    c.deliver_where(|f| f.to == n(2));
    c.sync_all();
    let held: Vec<Flight> = std::mem::take(&mut c.net);
    // n1 and n2 decide more and compact again past the snapshot being sent.
    for seq in 31..=40 {
        c.client(0, put(seq, seq as u32 % 5, &format!("later-{seq}")));
        c.settle_cut(|f| f.to == n(2) || f.from == n(2));
    }
    assert!(c.node(0).snapshot_index() > sending, "n1 compacted again");
    // The chunk request arrives now: it is served from the pinned snapshot.
    c.net = held;
    let rest = settle_watching_chunks(&mut c, None);
    let end = rest.iter().position(|&(_, done, _)| done).expect("the transfer finishes");
    assert!(rest[..=end].iter().all(|&(offset, _, _)| offset > 0), "no restart from offset 0: {rest:?}");
    assert!(
        c.observed(2, |o| matches!(o, Observation::Snapshot { index, .. } if *index == sending)).len() == 1
    );
    // Installed, n3 is still behind n1's newer snapshot and fetches it at once (the finished
    // transfer does not hold the next one back for `snapshot_retry`).
    assert!(rest.len() > end + 1 && rest[end + 1].0 == 0, "a second transfer follows: {rest:?}");
    c.heartbeat(0);
    c.settle();
    assert_eq!(c.node(2).commit_index(), c.node(0).commit_index());
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}
