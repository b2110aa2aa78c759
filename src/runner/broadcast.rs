//! Running a gossip (broadcast) scenario: gossip servers plus broadcast clients.

use crate::check::CheckResult;
use crate::check::convergence::{SpreadTracker, judge};
use crate::proto::gossip::{GossipConfig, GossipMsg, GossipNode};
use crate::scenario::{GossipSpec, Scenario, WorkloadSpec};
use crate::sim::{
    Ctx, Never, Node, NodeId, RngStreams, SimDuration, SimTime, StorageView, TimerId, fire_inner,
};
use crate::workload::broadcast::{BroadcastClient, BroadcastConfig};
use crate::world::World;

use super::Finished;

/// A node of a broadcast run: a gossip server or a client.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per node; boxing would add a hop per event
pub enum BroadcastNode {
    /// A gossip server.
    Server(GossipNode),
    /// A client injecting values.
    Client(BroadcastClient),
}

impl Node for BroadcastNode {
    type Msg = GossipMsg;
    /// The inner node's timer, by the kernel's number.
    type Timer = TimerId;
    type Admin = Never;

    fn on_start(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        match self {
            BroadcastNode::Server(n) => n.on_start(ctx),
            BroadcastNode::Client(c) => c.on_start(ctx),
        }
    }

    #[inline]
    fn on_message(&mut self, ctx: &mut Ctx<'_, GossipMsg>, from: NodeId, msg: GossipMsg) {
        match self {
            BroadcastNode::Server(n) => n.on_message(ctx, from, msg),
            BroadcastNode::Client(c) => c.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, GossipMsg>, timer: TimerId) {
        match self {
            BroadcastNode::Server(n) => fire_inner(n, ctx, timer),
            BroadcastNode::Client(c) => fire_inner(c, ctx, timer),
        }
    }
}

/// The workload settings with defaults filled in.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Gossip settings.
    pub gossip: GossipConfig,
    /// Number of clients.
    pub clients: u32,
    /// Per-client settings template.
    pub client: BroadcastConfig,
    /// When clients start.
    pub start: SimTime,
}

/// Resolves the scenario's gossip and workload settings.
pub fn settings(s: &Scenario) -> Settings {
    let g = s.cluster.gossip.clone().unwrap_or_default();
    let GossipSpec { interval, fanout } = g;
    let gossip = GossipConfig { interval: interval.0, fanout };
    match &s.workload {
        Some(WorkloadSpec::Broadcast { clients, values, interval, start, timeout }) => Settings {
            gossip,
            clients: *clients,
            client: BroadcastConfig { client: 0, values: *values, interval: interval.0, timeout: timeout.0 },
            start: SimTime(start.0.as_nanos()),
        },
        _ => Settings {
            gossip,
            clients: 0,
            client: BroadcastConfig {
                client: 0,
                values: 0,
                interval: SimDuration::from_millis(10),
                timeout: SimDuration::from_millis(100),
            },
            start: SimTime::ZERO,
        },
    }
}

/// A factory for the nodes of a broadcast run.
pub fn factory(
    s: &Scenario,
    streams: RngStreams,
) -> impl FnMut(NodeId, &dyn StorageView) -> BroadcastNode + 'static {
    factory_of(settings(s), s.cluster.nodes, streams)
}

/// A factory for the nodes of a broadcast run with these settings and `servers` servers.
pub fn factory_of(
    set: Settings,
    servers: u32,
    streams: RngStreams,
) -> impl FnMut(NodeId, &dyn StorageView) -> BroadcastNode + 'static {
    move |id: NodeId, _disk: &dyn StorageView| {
        if id.0 < servers {
            BroadcastNode::Server(GossipNode::new(set.gossip))
        } else {
            let client = id.0 - servers;
            BroadcastNode::Client(BroadcastClient::new(
                BroadcastConfig { client, ..set.client },
                streams.indexed("workload", client as u64),
            ))
        }
    }
}

/// Judges a finished broadcast run.
pub fn evaluate(s: &Scenario, world: &World<BroadcastNode>, fin: &mut Finished) {
    let servers = s.cluster.nodes;
    let total = servers + s.client_count();
    let mut injected = 0u64;
    let mut acked: Vec<(u64, SimTime)> = Vec::new();
    for c in servers..total {
        if let Some(BroadcastNode::Client(client)) = world.node(NodeId(c)) {
            for inj in client.injections() {
                injected += 1;
                if let Some(t) = inj.acked {
                    acked.push((inj.value, t));
                }
            }
        }
    }
    let holdings: Vec<_> = (0..servers)
        .filter_map(|i| match world.node(NodeId(i)) {
            Some(BroadcastNode::Server(n)) => Some(n.values()),
            _ => None,
        })
        .collect();
    let tracker = world.observer::<SpreadTracker>().expect("the runner installs a spread tracker");
    let (passed, detail, figures) = judge(injected, &acked, &holdings, tracker, fin.quiet_after);
    fin.checks.insert(
        "convergence".into(),
        if passed { CheckResult::pass(detail) } else { CheckResult::fail(detail).at(world.now()) },
    );
    fin.useful_ops = acked.len() as u64;
    fin.broadcast = Some(figures);
}

/// Parameter lines specific to broadcast runs.
pub fn describe_settings(set: &Settings) -> Vec<String> {
    let mut out = vec![format!(
        "gossip: anti-entropy every {}, fanout {}",
        set.gossip.interval,
        if set.gossip.fanout == 0 { "all peers".to_string() } else { set.gossip.fanout.to_string() }
    )];
    if set.clients > 0 {
        out.push(format!(
            "workload: broadcast, {} clients x {} values every {} from {}, ack timeout {}",
            set.clients, set.client.values, set.client.interval, set.start, set.client.timeout
        ));
    }
    out
}
