//! Log compaction and InstallSnapshot (§7).

use super::harness::*;
use crate::proto::kv::KvResult;
use crate::proto::raft::{RaftConfig, RaftMsg, SNAPSHOT, WAL};
use crate::sim::{DiskOp, LogIndex, Message, Observation};

fn compacting(threshold: u64) -> RaftConfig {
    RaftConfig { snapshot_threshold: threshold, ..cfg() }
}

fn write(c: &mut Cluster, leader: usize, seqs: std::ops::RangeInclusive<u64>) {
    for s in seqs {
        c.client(leader, put(s, (s % 7) as u32, &format!("v{s}")));
        c.settle();
    }
    c.heartbeat(leader);
    c.settle();
}

#[test]
fn compaction_bounds_the_log_and_survives_restarts() {
    let mut c = Cluster::new(3, compacting(5));
    c.elect(0);
    write(&mut c, 0, 1..=40);
    for i in 0..3 {
        assert!(c.node(i).log_len() <= 6, "{} holds {} entries", n(i), c.node(i).log_len());
        assert!(!c.observed(i, |o| matches!(o, Observation::Snapshot { .. })).is_empty());
        assert!(!c.disks[i].durable[&SNAPSHOT].is_empty());
    }
    let fp = c.node(0).store().fingerprint();
    let wal_len = c.disks[1].durable[&WAL].len();
    // The WAL was rewritten: it is far smaller than 40 entries.
    assert!(wal_len < 40 * 20, "WAL is {wal_len} bytes");
    c.crash(1);
    c.start(1);
    assert!(c.node(1).applied_index() >= LogIndex(35), "state restored from the snapshot");
    for _ in 0..3 {
        c.heartbeat(0);
        c.settle();
    }
    assert_eq!(c.node(1).store().fingerprint(), fp);
    c.assert_safe();
}

#[test]
fn a_crash_at_any_step_of_compaction_loses_nothing() {
    // The crash point: 0 = before the snapshot is durable, 1 = after the snapshot but before
    // the WAL rewrite, 2 = after both.
    for point in 0..3 {
        let mut c = Cluster::new(3, compacting(4));
        c.elect(0);
        write(&mut c, 0, 1..=2);
        // The next write makes n2 reach the threshold when it applies.
        c.client(0, put(3, 1, "x"));
        c.settle();
        c.heartbeat(0);
        c.sync_all();
        c.deliver_where(|f| f.to == n(1));
        assert!(c.disks[1].pending() > 0, "point {point}: the compaction is under way");
        assert!(c.disks[1].ops.iter().any(|op| matches!(op, DiskOp::Replace { file: SNAPSHOT, .. })));
        match point {
            0 => {}
            1 => assert!(c.sync_file(1, SNAPSHOT)),
            _ => c.sync(1),
        }
        let before = c.node(1).store().fingerprint();
        c.crash(1);
        c.start(1);
        assert!(c.node(1).refused().is_none(), "point {point}");
        assert_eq!(c.node(1).last_index(), LogIndex(4), "point {point}: every durable entry is kept");
        for _ in 0..3 {
            c.heartbeat(0);
            c.settle();
        }
        assert_eq!(c.node(1).store().fingerprint(), before, "point {point}");
        write(&mut c, 0, 4..=12);
        c.crash(1);
        c.start(1);
        for _ in 0..3 {
            c.heartbeat(0);
            c.settle();
        }
        assert_eq!(c.node(1).store().fingerprint(), c.node(0).store().fingerprint(), "point {point}");
        c.assert_safe();
    }
}

#[test]
fn install_snapshot_brings_a_lagging_follower_up_to_date() {
    let mut c = Cluster::new(3, compacting(5));
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    // n3 is cut off while the others write and compact.
    c.crash(2);
    write(&mut c, 0, 1..=30);
    assert!(c.node(0).log_len() <= 6);
    c.start(2);
    // The leader probes, finds n3's next entry compacted away, and sends the snapshot.
    let mut snapshot_size = 0;
    for _ in 0..4 {
        c.heartbeat(0);
        c.sync_all();
        for f in c.net.iter().filter(|f| f.to == n(2)) {
            if let RaftMsg::InstallSnapshot { data, .. } = &f.msg {
                snapshot_size = data.len();
                assert!(f.msg.wire_size() as usize > data.len(), "its wire size includes the snapshot");
            }
        }
        c.deliver_where(|f| f.to == n(2));
        assert_eq!(c.count(|f| kind(f, "InstallSnapshotResp")), 0, "answered only once durable");
        c.settle();
    }
    assert!(snapshot_size > 50, "a snapshot of the store was sent ({snapshot_size} bytes)");
    assert_eq!(c.observed(2, |o| matches!(o, Observation::Snapshot { .. })).len(), 1);
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    assert_eq!(c.node(2).store().read(2), KvResult::Value(Some("v30".into())));
    // It then follows normally, and survives a restart from the installed snapshot.
    write(&mut c, 0, 31..=33);
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.crash(2);
    c.start(2);
    assert!(c.node(2).applied_index() >= LogIndex(25));
    for _ in 0..3 {
        c.heartbeat(0);
        c.settle();
    }
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}

#[test]
fn memory_does_not_grow_with_the_run() {
    let mut c = Cluster::new(3, compacting(50));
    c.elect(0);
    for round in 0..10 {
        write(&mut c, 0, round * 100 + 1..=round * 100 + 100);
        for i in 0..3 {
            assert!(c.node(i).log_len() <= 101, "{} holds {} entries", n(i), c.node(i).log_len());
        }
    }
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}
