//! Node lifecycle in the kernel: a crash really loses what was not fsynced, a restart
//! rebuilds the node from its disk alone, and a pause holds everything back and then
//! delivers it in one burst.

use super::common::probe_world;
use eightfold::disk::DiskConfig;
use eightfold::net::{Latency, LinkProfile, LinkProfiles, Network};
use eightfold::scenario::FaultEntry;
use eightfold::sim::{
    Ctx, DiskEvent, DiskOp, FileId, Node, NodeId, RngStreams, SimDuration, SimTime, StorageView, TimerId,
};
use eightfold::world::{Membership, RecorderConfig, World, WorldConfig};

const LOG: FileId = FileId(0);

/// Appends one 8-byte record every 10 ms and fsyncs after every second record; remembers
/// which records it knows are durable and what it found on disk at boot.
#[derive(Debug, Default)]
struct Writer {
    next: u64,
    recovered: Vec<u64>,
    acked: Vec<u64>,
    pending: Vec<(u64, Vec<u64>)>,
    unsynced: Vec<u64>,
    /// Appends built in a buffer an earlier append left behind (`ctx.buffer()`).
    reused: u64,
    /// What `ctx.views()` said at start.
    views: Option<bool>,
}

impl Node for Writer {
    type Msg = super::common::Probe;
    type Timer = TimerId;
    type Admin = eightfold::sim::Never;
    fn on_start(&mut self, ctx: &mut Ctx<'_, super::common::Probe>) {
        self.next = self.recovered.last().map_or(0, |l| l + 1);
        self.views = Some(ctx.views());
        ctx.set_timer(TimerId(0), SimDuration::from_millis(10));
    }
    fn on_message(&mut self, _: &mut Ctx<'_, super::common::Probe>, _: NodeId, _: super::common::Probe) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, super::common::Probe>, _: TimerId) {
        let mut data = ctx.buffer();
        assert!(data.is_empty(), "a buffer is handed out empty");
        self.reused += u64::from(data.capacity() > 0);
        data.extend_from_slice(&self.next.to_le_bytes());
        ctx.disk(DiskOp::Append { file: LOG, data });
        self.unsynced.push(self.next);
        if self.next % 2 == 1 {
            let batch = std::mem::take(&mut self.unsynced);
            self.pending.push((self.next, batch));
            ctx.disk(DiskOp::Fsync { file: LOG, token: self.next });
        }
        self.next += 1;
        ctx.set_timer(TimerId(0), SimDuration::from_millis(10));
    }
    fn on_disk(&mut self, _: &mut Ctx<'_, super::common::Probe>, ev: DiskEvent) {
        if let DiskEvent::Synced { token } = ev {
            let i = self.pending.iter().position(|p| p.0 == token).expect("known token");
            let (_, batch) = self.pending.remove(i);
            self.acked.extend(batch);
        }
    }
}

fn records(bytes: &[u8]) -> Vec<u64> {
    bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect()
}

fn writer_world(faults: &str, fsync: Latency) -> World<Writer> {
    let streams = RngStreams::new(4);
    let net = Network::new(1, streams.stream("net"), LinkProfiles::uniform(1, LinkProfile::default()));
    let faults: Vec<FaultEntry> = serde_json::from_str(faults).expect("faults parse");
    let factory = |_: NodeId, disk: &dyn StorageView| Writer {
        recovered: records(&disk.read(LOG)),
        ..Writer::default()
    };
    let config = WorldConfig {
        members: Membership::cluster(1, 0),
        streams,
        schedule: eightfold::runner::faults::schedule(&faults, 1),
        client_start: SimTime::ZERO,
        disk: DiskConfig { fsync_latency: fsync, torn_writes: false },
        security: Default::default(),
    };
    World::new(config, net, Box::new(factory))
}

#[test]
fn a_crash_loses_exactly_the_unsynced_writes_and_restart_reads_the_disk() {
    // fsync takes 15 ms, so at any instant some appends are written but not durable.
    let mut w = writer_world(
        r#"[{"at": "205ms", "fault": "crash", "node": "n1"}, {"at": "300ms", "fault": "restart", "node": "n1"}]"#,
        Latency::Constant(15_000_000),
    );
    w.run_until(SimTime(204_999_999));
    let before = w.node(NodeId(0)).expect("up");
    let acked = before.acked.clone();
    let written = before.next;
    assert!(acked.len() >= 16 && (acked.len() as u64) < written, "acked {} of {written}", acked.len());
    w.run_until(SimTime(250_000_000));
    assert!(w.node(NodeId(0)).is_none(), "crashed");
    w.run_until(SimTime(300_000_000));
    let after_recovered = w.node(NodeId(0)).expect("restarted").recovered.clone();
    // Everything acknowledged as durable survived; nothing written after the last
    // completed fsync did (torn writes are off here, so the cut is exact).
    assert_eq!(after_recovered, acked, "recovered exactly the fsynced records");
    assert!(after_recovered.len() < written as usize, "unsynced writes must be lost");
    // The restarted node carries on from what survived.
    w.run_until(SimTime(400_000_000));
    assert!(w.node(NodeId(0)).expect("up").next > after_recovered.len() as u64);
    let s = w.disk(NodeId(0)).stats();
    assert_eq!(s.crashes, 1);
    assert!(s.fsyncs_dropped >= 1, "an fsync was in flight at the crash");
}

/// The kernel hands an append's emptied vector back out (`ctx.buffer()`), so a node that
/// writes a record per handler allocates nothing for it in steady state; what reaches the
/// disk is exactly what was written, record by record.
#[test]
fn append_buffers_are_reused_and_the_disk_holds_every_record() {
    let mut w = writer_world("[]", Latency::Constant(1_000_000));
    w.run_until(SimTime(500_000_000));
    let n = w.node(NodeId(0)).expect("up");
    assert!(n.next >= 49, "wrote {} records", n.next);
    assert_eq!(n.reused, n.next - 1, "every append after the first reused a buffer");
    assert_eq!(records(&w.disk(NodeId(0)).read(LOG)), (0..n.next).collect::<Vec<_>>());
}

/// Views (observations for the report alone) reach only a flight recording, so a node is
/// told whether one is attached and may skip building them otherwise.
#[test]
fn views_are_wanted_exactly_when_a_flight_recording_is_attached() {
    let mut plain = writer_world("[]", Latency::Constant(1_000_000));
    plain.run_until(SimTime(5_000_000));
    assert_eq!(plain.node(NodeId(0)).expect("up").views, Some(false));
    let mut recorded = writer_world("[]", Latency::Constant(1_000_000));
    recorded.set_recorder(RecorderConfig::for_run(SimDuration::from_secs(1), None));
    recorded.run_until(SimTime(5_000_000));
    assert_eq!(recorded.node(NodeId(0)).expect("up").views, Some(true));
}

#[test]
fn a_crash_voids_pending_timers_and_fsync_completions() {
    let mut w = writer_world(
        r#"[{"at": "55ms", "for": "1s", "fault": "crash", "node": "n1"}]"#,
        Latency::Constant(30_000_000),
    );
    w.run_until(SimTime(1_054_000_000));
    // While down, no timer fired and no completion was delivered to anyone.
    assert!(w.node(NodeId(0)).is_none());
    let fired_while_down = w.counts().timers;
    w.run_until(SimTime(1_054_500_000));
    assert_eq!(w.counts().timers, fired_while_down);
    w.run_until(SimTime(1_200_000_000));
    assert!(w.node(NodeId(0)).is_some(), "restarted by the fault's `for`");
    assert_eq!(w.fault_log()[0].end, Some(SimTime(1_055_000_000)));
}

#[test]
fn a_paused_node_receives_nothing_then_everything_in_a_burst() {
    let faults = r#"[{"at": "100ms", "for": "50ms", "fault": "pause", "node": "n2"}]"#;
    let mut w = probe_world(
        2,
        vec![NodeId(1)],
        300,
        SimDuration::from_millis(1),
        64,
        |_, _| LinkProfile::default(),
        faults,
        1,
    );
    w.run_until(SimTime::MAX);
    let r = &w.node(NodeId(1)).expect("up").received;
    assert_eq!(r.len(), 300, "a pause loses nothing");
    let during = r.iter().filter(|x| x.3 > SimTime(100_000_000) && x.3 < SimTime(150_000_000)).count();
    assert_eq!(during, 0, "nothing handled while paused");
    let burst = r.iter().filter(|x| x.3 == SimTime(150_000_000)).count();
    assert!(burst >= 49, "the backlog arrives at once on resume, got {burst}");
    // In order.
    assert!(r.windows(2).all(|p| p[0].1 < p[1].1));
}
