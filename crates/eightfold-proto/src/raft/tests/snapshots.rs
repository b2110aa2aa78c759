//! Log compaction and InstallSnapshot (§7).

use super::harness::*;
use crate::kv::KvResult;
use crate::raft::{RaftConfig, RaftMsg, SNAPSHOT, WAL};
use eightfold_sim::sim::{DiskOp, LogIndex, Message, Observation, SimDuration};

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

/// A follower that missed 30 writes of 100-byte values, restarted, behind a leader that
/// compacted: it needs a snapshot of several hundred bytes.
fn lagging_follower(cfg: RaftConfig) -> Cluster {
    let mut c = Cluster::new(3, cfg);
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    c.crash(2);
    for s in 1..=30 {
        c.client(0, put(s, (s % 7) as u32, &format!("{s:0>100}")));
        c.settle();
    }
    c.heartbeat(0);
    c.settle();
    c.start(2);
    c
}

/// One chunk seen on the wire: (offset, bytes, done).
fn chunk(f: &Flight) -> Option<(u64, usize, bool)> {
    match &f.msg {
        RaftMsg::InstallSnapshot { offset, done, data, .. } => Some((*offset, data.len(), *done)),
        _ => None,
    }
}

/// Heartbeat rounds with every message delivered, except those larger than `limit` bytes:
/// a bandwidth-limited link drops a message larger than its whole queue every time it is
/// sent. Returns the chunks sent to n3 and how many messages were too large.
fn pump_through_queue(c: &mut Cluster, rounds: usize, limit: u32) -> (Vec<(u64, usize, bool)>, usize) {
    let (mut chunks, mut oversized) = (Vec::new(), 0);
    for _ in 0..rounds {
        c.heartbeat(0);
        for _ in 0..1000 {
            c.sync_all();
            chunks.extend(c.net.iter().filter(|f| f.to == n(2)).filter_map(chunk));
            oversized += c.drop_where(|f| f.msg.wire_size() > limit);
            if c.deliver_where(|_| true) == 0 {
                break;
            }
        }
    }
    (chunks, oversized)
}

#[test]
fn a_snapshot_larger_than_a_link_queue_arrives_in_chunks() {
    const QUEUE: u32 = 600;
    // In one message the snapshot is larger than the queue: it is dropped every time the
    // leader sends it, and the follower never catches up.
    let mut whole = lagging_follower(compacting(5));
    let (chunks, oversized) = pump_through_queue(&mut whole, 25, QUEUE);
    assert!(chunks.len() >= 2, "sent again at each retry: {chunks:?}");
    assert!(chunks.iter().all(|&(at, len, done)| at == 0 && len > QUEUE as usize && done));
    assert_eq!(oversized, chunks.len());
    assert!(whole.observed(2, |o| matches!(o, Observation::Snapshot { .. })).is_empty());
    assert_ne!(whole.node(2).store().fingerprint(), whole.node(0).store().fingerprint());

    // Bounded messages: the same snapshot goes in consecutive chunks, each one answered
    // before the next is sent, and is installed once, when complete.
    let mut c = lagging_follower(RaftConfig { max_bytes_per_msg: 200, ..compacting(5) });
    let (chunks, oversized) = pump_through_queue(&mut c, 3, QUEUE);
    assert_eq!(oversized, 0, "every message fits the queue");
    assert!(chunks.len() >= 3, "{chunks:?}");
    let mut offset = 0;
    for (k, &(at, len, done)) in chunks.iter().enumerate() {
        assert_eq!(at, offset, "chunk {k} continues the previous one: {chunks:?}");
        assert!(len <= 200 && len > 0);
        assert_eq!(done, k == chunks.len() - 1);
        offset += len as u64;
    }
    let installed = c.observed(2, |o| matches!(o, Observation::Snapshot { .. }));
    assert_eq!(installed.len(), 1, "installed once, when complete");
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    write(&mut c, 0, 31..=33);
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}

#[test]
fn a_lost_chunk_is_sent_again_and_a_restarted_follower_starts_over() {
    let retry = SimDuration::from_millis(120);
    let cfg = RaftConfig { max_bytes_per_msg: 200, snapshot_retry: retry, ..compacting(5) };
    let mut c = lagging_follower(cfg);
    // Deliver everything until the first chunk is on its way to n3.
    c.heartbeat(0);
    while c.count(|f| chunk(f).is_some()) == 0 {
        c.sync_all();
        assert!(c.deliver_where(|_| true) > 0, "the leader never sent its snapshot");
    }
    c.deliver_where(|f| chunk(f).is_some());
    c.sync_all();
    c.deliver_where(|f| kind(f, "InstallSnapshotResp"));
    // The answer moved the transfer on: the second chunk is lost.
    let second: Vec<_> = c.net.iter().filter_map(chunk).collect();
    assert_eq!(second.len(), 1);
    let (offset, _, _) = second[0];
    assert!(offset > 0);
    let lost_at = c.now;
    c.drop_where(|f| chunk(f).is_some());
    // Heartbeats keep the follower quiet, and after `snapshot_retry` the lost chunk is sent
    // again from the same offset.
    let resent = loop {
        c.heartbeat(0);
        c.sync_all();
        c.deliver_where(|f| chunk(f).is_none());
        c.sync_all();
        c.deliver_where(|f| chunk(f).is_none());
        if let Some(again) = c.net.iter().find_map(chunk) {
            break again;
        }
        assert!(c.now.saturating_since(lost_at) <= retry + SimDuration::from_millis(100));
    };
    assert!(c.now.saturating_since(lost_at) >= retry, "not before the retry interval");
    assert_eq!(resent.0, offset, "the lost chunk again, not the whole snapshot");
    // n3 restarts before it arrives: it lost the chunks it had and asks for the beginning.
    c.crash(2);
    c.start(2);
    c.deliver_where(|f| chunk(f).is_some());
    c.sync_all();
    c.deliver_where(|f| kind(f, "InstallSnapshotResp"));
    let restarted: Vec<_> = c.net.iter().filter_map(chunk).collect();
    assert_eq!(restarted.iter().map(|c| c.0).collect::<Vec<_>>(), vec![0]);
    c.settle();
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}

#[test]
fn a_late_copy_of_the_first_chunk_does_not_restart_the_transfer() {
    let mut c = lagging_follower(RaftConfig { max_bytes_per_msg: 200, ..compacting(5) });
    c.heartbeat(0);
    while c.count(|f| chunk(f).is_some()) == 0 {
        c.sync_all();
        assert!(c.deliver_where(|_| true) > 0, "the leader never sent its snapshot");
    }
    let first = c.net.iter().find(|f| chunk(f).is_some()).cloned().expect("first chunk");
    for _ in 0..2 {
        c.deliver_where(|f| chunk(f).is_some());
        c.sync_all();
        c.deliver_where(|f| kind(f, "InstallSnapshotResp"));
    }
    // The first chunk arrives again (a copy the network held back, or a resend).
    c.net.push(first);
    c.deliver_where(|f| chunk(f).is_some_and(|(at, _, _)| at == 0));
    c.sync_all();
    let received: Vec<u64> = c
        .net
        .iter()
        .filter_map(|f| match f.msg {
            RaftMsg::InstallSnapshotResp { received, .. } => Some(received),
            _ => None,
        })
        .collect();
    assert_eq!(received, vec![400], "n3 still holds both chunks");
    c.settle();
    assert_eq!(c.node(2).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}
