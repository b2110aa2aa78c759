//! The ring benchmark: the kernel alone, at full speed.
//!
//! Five nodes in a ring; each keeps four 64-byte messages in flight to its successor and,
//! on every delivery, sends one on. Links have a constant 1 ms latency. Everything a real
//! run uses is switched on: the `World`, the network model (partition check, bandwidth
//! queue, loss draw decisions, counters), the event queue and the digest.

use serde::Serialize;

use crate::disk::DiskConfig;
use crate::fault::Schedule;
use crate::net::{LinkProfile, LinkProfiles, Network};
use crate::sim::{Ctx, Message, Never, Node, NodeId, RngStreams, SimTime, StorageView};
use crate::world::{Membership, World, WorldConfig};

/// A ring message: 64 bytes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingMsg {
    /// How many hops this token has made.
    pub hops: u64,
}

impl Message for RingMsg {
    fn wire_size(&self) -> u32 {
        64
    }
    fn kind(&self) -> &'static str {
        "Token"
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.hops.to_le_bytes());
        out.resize(out.len() + 56, 0);
    }
    fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 64 {
            return None;
        }
        Some(RingMsg { hops: u64::from_le_bytes(bytes[..8].try_into().ok()?) })
    }
}

/// A ring member.
#[derive(Debug)]
pub struct RingNode {
    next: NodeId,
    in_flight: u32,
}

impl Node for RingNode {
    type Msg = RingMsg;
    type Timer = Never;
    type Admin = Never;
    fn on_start(&mut self, ctx: &mut Ctx<'_, RingMsg>) {
        for _ in 0..self.in_flight {
            ctx.send(self.next, RingMsg { hops: 0 });
        }
    }
    #[inline]
    fn on_message(&mut self, ctx: &mut Ctx<'_, RingMsg>, _from: NodeId, msg: RingMsg) {
        ctx.send(self.next, RingMsg { hops: msg.hops + 1 });
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<'_, RingMsg>, timer: Never) {
        match timer {}
    }
}

/// Benchmark figures, printed as one JSON line.
#[derive(Clone, Debug, Serialize)]
pub struct RingReport {
    /// Messages delivered.
    pub deliveries: u64,
    /// Virtual time simulated, seconds.
    pub sim_time_s: f64,
    /// Wall-clock time, seconds.
    pub wall_s: f64,
    /// Deliveries per wall-clock second.
    pub deliveries_per_s: f64,
    /// Peak resident memory of the process, KiB (Linux; 0 elsewhere).
    pub peak_rss_kb: u64,
    /// The run's digest (the same for every run of the same size).
    pub digest: String,
}

/// Builds the ring world: `nodes` nodes, `in_flight` tokens each.
pub fn world(nodes: u32, in_flight: u32) -> World<RingNode> {
    let streams = RngStreams::new(1);
    let net = Network::new(
        nodes as usize,
        streams.stream("net"),
        LinkProfiles::uniform(nodes as usize, LinkProfile::default()),
    );
    let factory =
        move |id: NodeId, _: &dyn StorageView| RingNode { next: NodeId((id.0 + 1) % nodes), in_flight };
    let config = WorldConfig {
        members: Membership::cluster(nodes, 0),
        streams,
        schedule: Schedule::default(),
        client_start: SimTime::ZERO,
        disk: DiskConfig::default(),
        security: Default::default(),
    };
    World::new(config, net, Box::new(factory))
}

/// Runs the ring until `deliveries` messages have been delivered.
pub fn run(deliveries: u64) -> RingReport {
    let mut w = world(5, 4);
    let started = std::time::Instant::now();
    while w.net_stats().delivered < deliveries && w.step() {}
    let wall = started.elapsed().as_secs_f64();
    let delivered = w.net_stats().delivered;
    RingReport {
        deliveries: delivered,
        sim_time_s: w.now().as_secs_f64(),
        wall_s: wall,
        deliveries_per_s: delivered as f64 / wall.max(1e-9),
        peak_rss_kb: peak_rss_kb(),
        digest: w.digest().hex(),
    }
}

/// The process's peak resident set size in KiB, from `/proc/self/status` (0 if unknown).
pub fn peak_rss_kb() -> u64 {
    super::proc_status_kb("VmHWM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_delivers_at_the_expected_rate_of_virtual_time() {
        let r = run(20_000);
        assert_eq!(r.deliveries, 20_000);
        // 20 tokens, each hop takes exactly 1 ms: 20 deliveries per virtual millisecond.
        assert!((r.sim_time_s - 1.0).abs() < 0.0011, "sim time {}", r.sim_time_s);
        assert_eq!(run(20_000).digest, r.digest);
    }
}
