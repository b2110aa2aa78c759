use super::harness::*;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, KvResult};
use crate::quorum::QuorumMsg;
use crate::quorum::{QuorumConfig, WAL};
use eightfold_sim::sim::{DiskOp, Observation, Role, SimDuration, StorageView, Term, VersionStamp};

const DONE: KvResult = KvResult::Done;

fn ok(seq: u64, result: KvResult) -> Vec<ClientReply> {
    vec![ClientReply::Ok { seq: ClientSeq(seq), result }]
}

fn value(s: Option<&str>) -> KvResult {
    KvResult::Value(s.map(String::from))
}

#[test]
fn with_overlapping_quorums_a_read_after_a_completed_write_sees_it() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    let r = c.replicas(1);
    let (a, stale) = (r[0], r[2]);
    // The write completes with two acknowledgements; the third replica never gets it.
    c.request(a, 0, put(1, 1, "x"));
    c.settle_cut(|f| f.to == n(stale) && kind(f, "Write"));
    assert_eq!(c.replies_for(0, 1), ok(1, DONE));
    assert_eq!(c.held(stale, 1), None);
    // A read coordinated by the stale replica counts its own (empty) answer, but any
    // second answer comes from a replica that has the write.
    c.request(stale, 0, get(2, 1));
    c.settle();
    assert_eq!(c.replies_for(0, 2), ok(2, value(Some("x"))));
}

#[test]
fn with_r_plus_w_at_most_n_a_read_can_miss_a_completed_write() {
    let cfg = QuorumConfig { r: 1, w: 1, ..QuorumConfig::default() };
    let mut c = Cluster::new(3, cfg);
    let r = c.replicas(1);
    c.request(r[0], 0, put(1, 1, "x"));
    c.sync(r[0]);
    assert_eq!(c.replies_for(0, 1), ok(1, DONE), "one durable copy is enough for w = 1");
    c.drop_where(|_| true);
    c.request(r[1], 0, get(2, 1));
    assert_eq!(c.replies_for(0, 2), ok(2, value(None)), "one stale copy is enough for r = 1");
}

#[test]
fn read_repair_fixes_stale_replicas() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    let r = c.replicas(1);
    let (a, b, stale) = (r[0], r[1], r[2]);
    c.request(a, 0, put(1, 1, "x"));
    c.settle_cut(|f| f.to == n(stale) && kind(f, "Write"));
    // The stale replica's answer is among the first two: the read returns "x" and repairs.
    c.request(a, 0, get(2, 1));
    c.deliver_where(|f| kind(f, "Read"));
    c.deliver_where(|f| kind(f, "ReadReply") && f.from == n(stale));
    assert_eq!(c.replies_for(0, 2), ok(2, value(Some("x"))));
    assert!(c.net.iter().any(|f| kind(f, "ReadRepair") && f.to == n(stale)));
    c.settle();
    assert_eq!(c.held(stale, 1), Some("x".into()));
    // A stale answer arriving after the quorum is repaired too.
    c.request(a, 0, put(3, 1, "y"));
    c.settle_cut(|f| f.to == n(stale) && kind(f, "Write"));
    c.request(a, 0, get(4, 1));
    c.deliver_where(|f| kind(f, "Read"));
    c.deliver_where(|f| kind(f, "ReadReply") && f.from == n(b));
    assert_eq!(c.replies_for(0, 4), ok(4, value(Some("y"))));
    c.settle();
    assert_eq!(c.held(stale, 1), Some("y".into()));
    assert_eq!(c.node(a).ops_in_flight(), 0);
}

fn outage(sloppy: bool) -> (Cluster, Vec<usize>) {
    let cfg = QuorumConfig { sloppy, ..QuorumConfig::default() };
    let mut c = Cluster::new(5, cfg);
    let r = c.replicas(1);
    c.crash(r[1]);
    c.crash(r[2]);
    c.request(r[0], 0, put(1, 1, "x"));
    c.settle();
    c.run_cut(SimDuration::from_millis(400), |_| false);
    (c, r)
}

#[test]
fn a_strict_quorum_fails_a_write_when_two_replicas_are_down() {
    let (c, _) = outage(false);
    assert_eq!(c.replies_for(0, 1), vec![ClientReply::Unknown { seq: ClientSeq(1) }]);
}

#[test]
fn a_sloppy_quorum_keeps_writes_available_and_hands_them_off_later() {
    let (mut c, r) = outage(true);
    assert_eq!(c.replies_for(0, 1), ok(1, DONE));
    // The fallbacks hold the value with hints naming the replicas they stood in for.
    let hinted: Vec<(usize, usize)> = [r[3], r[4]]
        .iter()
        .flat_map(|&f| c.node(f).hints().keys().map(move |(to, _)| (f, to.index())))
        .collect();
    assert_eq!(hinted.len(), 2, "{hinted:?}");
    assert!(hinted.iter().all(|&(_, to)| to == r[1] || to == r[2]));
    // A read during the outage is served by the coordinator and a fallback.
    c.request(r[0], 0, get(2, 1));
    c.run_cut(SimDuration::from_millis(400), |_| false);
    assert_eq!(c.replies_for(0, 2), ok(2, value(Some("x"))));
    // The replicas come back; the hints are handed off and dropped.
    c.start(r[1]);
    c.start(r[2]);
    c.run_cut(SimDuration::from_millis(500), |_| false);
    assert_eq!(c.held(r[1], 1), Some("x".into()));
    assert_eq!(c.held(r[2], 1), Some("x".into()));
    assert!(c.node(r[3]).hints().is_empty() && c.node(r[4]).hints().is_empty());
}

#[test]
fn hints_are_durable_until_handed_off() {
    let (mut c, r) = outage(true);
    let f = (3..5).map(|k| r[k]).find(|&f| !c.node(f).hints().is_empty()).unwrap();
    c.crash(f);
    c.start(f);
    assert_eq!(c.node(f).hints().len(), 1);
    c.start(r[1]);
    c.start(r[2]);
    c.run_cut(SimDuration::from_millis(500), |_| false);
    assert!(c.node(f).hints().is_empty());
    c.crash(f);
    c.start(f);
    assert!(c.node(f).hints().is_empty(), "the handoff was recorded");
}

#[test]
fn a_replica_acknowledges_only_durable_writes() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    let r = c.replicas(1);
    let (a, b) = (r[0], r[1]);
    c.request(a, 0, put(1, 1, "x"));
    c.deliver_where(|f| kind(f, "Write") && f.to == n(b));
    assert_eq!(c.net.iter().filter(|f| kind(f, "WriteAck")).count(), 0);
    assert_eq!(c.held(b, 1), Some("x".into()), "stored in memory at once");
    c.crash(b);
    c.start(b);
    assert_eq!(c.held(b, 1), None, "lost in the crash, but never acknowledged");
    c.request(a, 0, put(2, 1, "y"));
    c.deliver_where(|f| kind(f, "Write") && f.to == n(b));
    c.sync(b);
    assert_eq!(c.net.iter().filter(|f| kind(f, "WriteAck")).count(), 1);
    c.crash(b);
    c.start(b);
    assert_eq!(c.held(b, 1), Some("y".into()));
}

#[test]
fn append_is_read_then_write_and_concurrent_appends_lose_one() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    let r = c.replicas(1);
    c.request(r[0], 0, append(1, 1, "A"));
    c.request(r[1], 1, append(1, 1, "B"));
    c.settle();
    assert_eq!(c.replies_for(0, 1), ok(1, DONE));
    assert_eq!(c.replies_for(1, 1), ok(1, DONE));
    c.request(r[2], 2, get(1, 1));
    c.settle();
    let read = c.replies_for(2, 1);
    assert!(
        read == ok(1, value(Some("A"))) || read == ok(1, value(Some("B"))),
        "both appends were acknowledged, one of them is lost: {read:?}"
    );
}

#[test]
fn last_writer_wins_by_clock_so_skew_shadows_a_later_write() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    let r = c.replicas(1);
    c.ahead[r[0]] = SimDuration::from_secs(1);
    c.request(r[0], 0, put(1, 1, "first"));
    c.settle();
    c.request(r[1], 0, put(2, 1, "second"));
    c.settle();
    assert_eq!(c.replies_for(0, 2), ok(2, DONE), "the later write is acknowledged");
    c.request(r[2], 0, get(3, 1));
    c.settle();
    assert_eq!(c.replies_for(0, 3), ok(3, value(Some("first"))), "… and invisible");
}

#[test]
fn a_request_without_a_quorum_fails_definitely_or_unknowably() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    let r = c.replicas(1);
    c.crash(r[1]);
    c.crash(r[2]);
    c.request(r[0], 0, put(1, 1, "x"));
    c.request(r[0], 1, get(1, 1));
    c.request(r[0], 2, append(1, 1, "y"));
    c.run_cut(SimDuration::from_millis(400), |_| false);
    // A write was sent (and stored by the coordinator itself): its fate is unknown.
    assert_eq!(c.replies_for(0, 1), vec![ClientReply::Unknown { seq: ClientSeq(1) }]);
    // Nothing was written for the read or the append (its read step failed).
    assert_eq!(c.replies_for(1, 1), vec![ClientReply::NotLeader { seq: ClientSeq(1), leader: None }]);
    assert_eq!(c.replies_for(2, 1), vec![ClientReply::NotLeader { seq: ClientSeq(1), leader: None }]);
    assert_eq!(c.node(r[0]).ops_in_flight(), 0);
}

#[test]
fn cas_applies_only_on_a_match() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    let cas = |seq, expected: Option<&str>, new: &str| crate::kv::ClientRequest {
        client: 0,
        seq: crate::kv::ClientSeq(seq),
        op: crate::kv::KvOp::Cas { key: 1, expected: expected.map(String::from), new: new.into() },
    };
    c.request(0, 0, cas(1, None, "a"));
    c.settle();
    c.request(1, 0, cas(2, Some("b"), "c"));
    c.settle();
    c.request(2, 0, cas(3, Some("a"), "d"));
    c.settle();
    assert_eq!(c.replies_for(0, 1), ok(1, KvResult::Cas { applied: true }));
    assert_eq!(c.replies_for(0, 2), ok(2, KvResult::Cas { applied: false }));
    assert_eq!(c.replies_for(0, 3), ok(3, KvResult::Cas { applied: true }));
    c.request(0, 0, get(4, 1));
    c.settle();
    assert_eq!(c.replies_for(0, 4), ok(4, value(Some("d"))));
}

#[test]
fn recovery_keeps_values_cuts_torn_tails_and_refuses_corrupt_disks() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    for k in 0..5 {
        c.request(0, 0, put(k as u64 + 1, k, &format!("v{k}")));
        c.settle();
    }
    c.crash(1);
    c.start(1);
    let held = (0..5).filter(|&k| c.held(1, k).is_some()).count();
    assert!(held >= 3, "every value has a majority of replicas; n2 holds {held} of them");
    // A torn tail is cut off.
    c.crash(1);
    let len = c.disks[1].read(WAL).len() as u64;
    c.disks[1].damage(WAL, |w| w.extend_from_slice(&[9, 0, 0]));
    c.disks[1].ops.clear();
    c.start(1);
    assert!(c.node(1).refused().is_none());
    assert_eq!(c.disks[1].ops.first(), Some(&DiskOp::Truncate { file: WAL, len }));
    // A flipped bit in a complete record is refused.
    c.crash(1);
    c.disks[1].damage(WAL, |w| w[14] ^= 4);
    c.start(1);
    assert!(c.node(1).refused().is_some());
    assert!(c.obs.iter().any(|(who, o)| *who == n(1) && matches!(o, Observation::Rejected { .. })));
    c.request(1, 0, get(100, 0));
    assert!(c.replies_for(0, 100).is_empty() && c.net.iter().all(|f| f.from != n(1)));
}

#[test]
fn the_wal_is_rewritten_when_it_outgrows_the_data() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    for seq in 1..=1500 {
        c.request(0, 0, put(seq, seq as u32 % 2, &format!("v{seq}")));
        c.settle();
    }
    assert!(c.disks[0].ops.iter().any(|op| matches!(op, DiskOp::Replace { file: WAL, .. })));
    let wal = c.disks[0].read(WAL).len();
    assert!(wal < 1500 * 20, "WAL of {wal} bytes");
    c.crash(0);
    c.start(0);
    assert_eq!(c.held(0, 0), Some("v1500".into()));
    assert_eq!(c.held(0, 1), Some("v1499".into()));
}

#[test]
fn a_leaderless_server_announces_no_consensus_facts() {
    let mut c = Cluster::new(3, QuorumConfig::default());
    c.request(0, 0, put(1, 1, "x"));
    c.settle();
    c.crash(2);
    c.start(2);
    // Beside the views for the report (versions and hints held), only its role-less role.
    let facts: Vec<&Observation> = c.obs.iter().map(|(_, o)| o).filter(|o| !o.is_view()).collect();
    for o in &facts {
        assert_eq!(*o, &Observation::Role { role: Role::Peer, term: Term(0) });
    }
    assert_eq!(facts.len(), 4);
    assert!(c.obs.iter().any(|(_, o)| matches!(o, Observation::Stored { key: 1, .. })));
}

#[test]
fn the_description_names_the_tradeoffs() {
    let text = QuorumConfig::default().describe().join("\n");
    assert!(
        text.contains("N 3 R 2 W 2") && text.contains("overlap") && text.contains("not atomic"),
        "{text}"
    );
    let sloppy = QuorumConfig { sloppy: true, r: 1, w: 1, ..QuorumConfig::default() }.describe().join("\n");
    assert!(sloppy.contains("may miss") && sloppy.contains("hinted handoff"), "{sloppy}");
    assert_eq!(QuorumConfig { n: 9, r: 0, w: 12, ..QuorumConfig::default() }.effective(5), (5, 1, 5));
}

/// The views a replica announces for the report: [`Observation::Stored`] when it comes to
/// hold a newer version of a key (never for an older or equal one), [`Observation::Hinted`]
/// when it takes a hint and again (with no version) when the hint is handed back, and at a
/// restart what it recovered.
#[test]
fn versions_and_hints_are_announced_when_and_only_when_they_change() {
    let stored = |o: &Observation| matches!(o, Observation::Stored { key: 1, .. });
    let hinted = |o: &Observation| matches!(o, Observation::Hinted { key: 1, .. });
    let (mut c, r) = outage(true);
    // Each fallback stood in for one replica: one hint and one version each.
    let f = (3..5).map(|k| r[k]).find(|&f| !c.node(f).hints().is_empty()).unwrap();
    let (intended, held) = c.node(f).hints().iter().map(|(&(to, _), v)| (to, v.version)).next().unwrap();
    let version = VersionStamp { stamp: held.stamp, node: held.node };
    assert_eq!(c.observed(f, stored), vec![Observation::Stored { key: 1, version }]);
    assert_eq!(c.observed(f, hinted), vec![Observation::Hinted { intended, key: 1, version: Some(version) }]);
    // The same write again (a read repair, a retry) changes nothing and says nothing.
    let value = crate::quorum::Versioned { version: held, value: "x".into() };
    c.inject(f, n(r[0]), QuorumMsg::Write { rid: 0, key: 1, value, hint: Some(intended) });
    assert_eq!(c.observed(f, stored).len(), 1);
    assert_eq!(c.observed(f, hinted).len(), 1);
    // The replicas return: the hint is handed back, once.
    c.start(r[1]);
    c.start(r[2]);
    c.run_cut(SimDuration::from_millis(500), |_| false);
    assert_eq!(
        c.observed(f, hinted),
        vec![
            Observation::Hinted { intended, key: 1, version: Some(version) },
            Observation::Hinted { intended, key: 1, version: None }
        ]
    );
    assert_eq!(c.observed(intended.index(), stored), vec![Observation::Stored { key: 1, version }]);
    // A restart announces what it recovered: the version, no hint (handed back).
    let before = c.observed(f, |_| true).len();
    c.crash(f);
    c.start(f);
    let after: Vec<Observation> = c.observed(f, |_| true).into_iter().skip(before).collect();
    assert_eq!(after.iter().filter(|o| stored(o)).count(), 1, "{after:?}");
    assert!(!after.iter().any(hinted), "{after:?}");
}
