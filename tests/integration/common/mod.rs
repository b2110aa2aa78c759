//! Shared helpers for integration tests: a probe protocol that measures the network, and
//! helpers to run the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use eightfold::disk::DiskConfig;
use eightfold::net::{LinkProfile, LinkProfiles, Network};
use eightfold::scenario::FaultEntry;
use eightfold::sim::{Ctx, Message, Node, NodeId, RngStreams, SimDuration, SimTime, StorageView, TimerId};
use eightfold::world::{Membership, World, WorldConfig};

/// A probe message: its sequence number, send time and declared size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub seq: u64,
    pub sent: SimTime,
    pub size: u32,
}

impl Message for Probe {
    fn wire_size(&self) -> u32 {
        self.size
    }
    fn kind(&self) -> &'static str {
        "Probe"
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Option<Self> {
        Some(Probe { seq: u64::from_le_bytes(b.try_into().ok()?), sent: SimTime(0), size: 8 })
    }
}

/// A node that sends `count` probes to every target every `interval`, and records every
/// probe it receives as (from, seq, sent, arrived).
#[derive(Debug, Default)]
pub struct ProbeNode {
    pub targets: Vec<NodeId>,
    pub count: u64,
    pub interval: SimDuration,
    pub size: u32,
    pub sent: u64,
    pub received: Vec<(NodeId, u64, SimTime, SimTime)>,
}

impl Node for ProbeNode {
    type Msg = Probe;
    type Timer = TimerId;
    type Admin = eightfold::sim::Never;
    fn on_start(&mut self, ctx: &mut Ctx<'_, Probe>) {
        if self.count > 0 && !self.targets.is_empty() {
            ctx.set_timer(TimerId(0), SimDuration::ZERO);
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, Probe>, from: NodeId, msg: Probe) {
        self.received.push((from, msg.seq, msg.sent, ctx.now()));
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Probe>, _t: TimerId) {
        for &t in &self.targets.clone() {
            ctx.send(t, Probe { seq: self.sent, sent: ctx.now(), size: self.size });
        }
        self.sent += 1;
        if self.sent < self.count {
            ctx.set_timer(TimerId(0), self.interval);
        }
    }
}

/// A world of `n` probe nodes where node 0 sends `count` probes of `size` bytes to each
/// node in `targets` every `interval`; links from `profile(a, b)`; faults from JSON.
#[allow(clippy::too_many_arguments)]
pub fn probe_world(
    n: u32,
    targets: Vec<NodeId>,
    count: u64,
    interval: SimDuration,
    size: u32,
    profile: impl FnMut(NodeId, NodeId) -> LinkProfile,
    faults_json: &str,
    seed: u64,
) -> World<ProbeNode> {
    let streams = RngStreams::new(seed);
    let net = Network::new(n as usize, streams.stream("net"), LinkProfiles::from_fn(n as usize, profile));
    let faults: Vec<FaultEntry> = serde_json::from_str(faults_json).expect("test faults parse");
    let factory = move |id: NodeId, _: &dyn StorageView| {
        if id.0 == 0 {
            ProbeNode { targets: targets.clone(), count, interval, size, ..Default::default() }
        } else {
            ProbeNode::default()
        }
    };
    let config = WorldConfig {
        members: Membership::cluster(n, 0),
        streams,
        schedule: eightfold::runner::faults::schedule(&faults, n),
        client_start: SimTime::ZERO,
        disk: DiskConfig::default(),
        security: Default::default(),
    };
    World::new(config, net, Box::new(factory))
}

/// Nearest-rank percentile.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eightfold"))
}

/// Runs the binary with `args`; returns its output.
pub fn run_bin(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every shipped scenario file.
pub fn shipped_scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

/// A fresh empty temporary directory for one test.
pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eightfold-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// Reads and parses a JSON file.
pub fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("file exists")).expect("valid JSON")
}
