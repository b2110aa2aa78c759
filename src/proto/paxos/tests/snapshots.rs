//! Compaction (memory stays bounded), crash points of compaction, and a far-behind replica
//! catching up from a snapshot.

use super::harness::*;
use crate::proto::kv::{ClientReply, KvResult};
use crate::proto::paxos::{PaxosConfig, SNAPSHOT, WAL};
use crate::sim::{DiskOp, LogIndex, Observation};

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
        vec![ClientReply::Ok { seq: 100, result: KvResult::Value(Some("v29".into())) }]
    );
    c.assert_safe();
}
