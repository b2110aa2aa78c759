//! The protocol of a run, resolved once.
//!
//! A scenario names its protocol in `cluster.protocol`; [`resolve`] reads that name once, at
//! the start of a run, and returns one object that answers every later question the runner
//! asks: which nodes to build (and from which settings), which parameter lines describe
//! them, which observers and checks apply, how the run is judged and what it records. The
//! runner itself never looks at the protocol's name again, so the settings flow down from
//! one place, and a fourth protocol is one more implementation plus one line in
//! [`resolve`].
//!
//! Two levels, because the runs differ in two ways:
//!
//! - [`ProtocolRun`] is a whole run. Its implementations differ in their node type (a
//!   broadcast run's world holds [`BroadcastNode`]s, a key-value run's [`KvNode`]s), so each
//!   drives its own `World<N>` through the generic steps every run shares
//!   (`runner::simulate`, `runner::finish`).
//! - [`Replicas`] is the servers of a key-value run: Raft, Multi-Paxos or the quorum store.
//!   They share the node type, the clients, the history and its checks; they differ only in
//!   how a server is built, how it is described, the unit of the liveness bound and what
//!   the invariant checker's verdict says.
//!
//! Both are trait objects rather than enums: the protocol is chosen at run time from the
//! scenario, and with a trait each protocol's answers sit together in one `impl` instead
//! of being spread over one `match` per question (which is what this module replaced).
//! The cost is a virtual call per question, a handful per run and none per event (the
//! [`KvNode`] enum still dispatches each event statically).

use std::cell::RefCell;
use std::rc::Rc;

use crate::check::convergence::SpreadTracker;
use crate::check::invariants::{InvariantStats, Invariants};
use crate::check::leadership::Leadership;
use crate::check::linearizability as lin;
use crate::proto::paxos::{PaxosConfig, PaxosNode};
use crate::proto::quorum::{QuorumConfig, QuorumNode};
use crate::proto::raft::{RaftConfig, RaftNode};
use crate::scenario::{Protocol, Scenario};
use crate::sim::{NodeId, RngStreams, SimDuration, SimTime, StorageView};
use crate::workload::keys::KeyDist;
use crate::workload::kv::{KvClient, KvClientConfig, Scripted};
use crate::workload::stream::{HistoryLog, HistoryStream};
use crate::world::World;

use super::broadcast::{self, BroadcastNode};
use super::history::Recorder;
use super::kv::{self, KvNode};
use super::{RunError, RunOptions, RunOutput, build_world, finish, simulate};

/// One run's protocol, resolved from its scenario: everything the runner asks of it.
pub trait ProtocolRun {
    /// The protocol (named in the outcome and the recording).
    fn protocol(&self) -> Protocol;

    /// The parameter lines of the protocol's settings and workload (the effective values,
    /// defaults filled in), for [`super::parameters`].
    fn describe(&self) -> Vec<String>;

    /// Builds the world, runs it to the scenario's end and judges it.
    fn run(&self, s: &Scenario, opts: RunOptions, started: std::time::Instant)
    -> Result<RunOutput, RunError>;
}

/// Resolves the protocol of `s` into the object that runs it: the only place the runner
/// looks at `cluster.protocol`.
pub fn resolve(s: &Scenario) -> Box<dyn ProtocolRun> {
    match kv_run(s) {
        Some(kv) => Box::new(kv),
        None => Box::new(GossipRun { settings: broadcast::settings(s) }),
    }
}

/// The key-value run of `s`, if its protocol replicates the key-value store.
pub fn kv_run(s: &Scenario) -> Option<KvRun> {
    let servers: Rc<dyn Replicas> = match s.cluster.protocol {
        Protocol::Gossip => return None,
        Protocol::Raft => Rc::new(RaftServers {
            cluster: kv::raft_config(s),
            each: (0..s.cluster.nodes).map(|i| kv::raft_config_for(s, NodeId(i))).collect(),
        }),
        Protocol::Paxos => Rc::new(PaxosServers(kv::paxos_config(s))),
        Protocol::Quorum => Rc::new(QuorumServers(kv::quorum_config(s))),
    };
    Some(KvRun::new(s, servers))
}

/// The servers of a key-value run: what differs between Raft, Multi-Paxos and the quorum
/// store once the scenario is resolved.
pub trait Replicas {
    /// The protocol they run.
    fn protocol(&self) -> Protocol;

    /// Server `id`, recovered from what survived on its disk.
    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> KvNode;

    /// Their parameter lines.
    fn describe(&self) -> Vec<String>;

    /// The unit of the default liveness bound (ten of them plus a second): the longest
    /// election timeout, or for a leaderless store its request timeout.
    fn liveness_unit(&self) -> SimDuration;

    /// What the invariant checker's pass says, from what it saw.
    fn invariants_held(&self, st: &InvariantStats) -> String;
}

/// Raft servers: the cluster's settings, and each server's with its overrides.
struct RaftServers {
    cluster: RaftConfig,
    each: Vec<RaftConfig>,
}

impl Replicas for RaftServers {
    fn protocol(&self) -> Protocol {
        Protocol::Raft
    }

    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> KvNode {
        KvNode::Raft(RaftNode::recover(id, self.each[id.index()].clone(), disk))
    }

    fn describe(&self) -> Vec<String> {
        self.cluster.describe()
    }

    fn liveness_unit(&self) -> SimDuration {
        self.cluster.election_timeout_max
    }

    fn invariants_held(&self, st: &InvariantStats) -> String {
        format!(
            "election safety, log matching, leader completeness and state-machine safety held over {} observations ({} leaders, {} entries committed)",
            st.observations, st.leaders, st.committed
        )
    }
}

/// Multi-Paxos servers (every server has the cluster's settings).
struct PaxosServers(PaxosConfig);

impl Replicas for PaxosServers {
    fn protocol(&self) -> Protocol {
        Protocol::Paxos
    }

    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> KvNode {
        KvNode::Paxos(PaxosNode::recover(id, self.0.clone(), disk))
    }

    fn describe(&self) -> Vec<String> {
        self.0.describe()
    }

    fn liveness_unit(&self) -> SimDuration {
        self.0.election_timeout_max
    }

    fn invariants_held(&self, st: &InvariantStats) -> String {
        format!(
            "one leader per ballot round, agreement on every slot's value and no chosen value lost held over {} observations ({} leaders, {} slots chosen)",
            st.observations, st.leaders, st.committed
        )
    }
}

/// Quorum-store servers (every server has the cluster's settings).
struct QuorumServers(QuorumConfig);

impl Replicas for QuorumServers {
    fn protocol(&self) -> Protocol {
        Protocol::Quorum
    }

    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> KvNode {
        KvNode::Quorum(QuorumNode::recover(id, self.0.clone(), disk))
    }

    fn describe(&self) -> Vec<String> {
        self.0.describe()
    }

    fn liveness_unit(&self) -> SimDuration {
        self.0.request_timeout
    }

    fn invariants_held(&self, st: &InvariantStats) -> String {
        format!(
            "leaderless store: no replicated order to check while it runs ({} observations); consistency is judged on the history",
            st.observations
        )
    }
}

/// A key-value run, resolved: its servers, its clients and the bounds its checks use.
pub struct KvRun {
    servers: Rc<dyn Replicas>,
    /// Number of servers.
    nodes: u32,
    /// Number of clients, the client template (client 0) and when clients start.
    clients: (u32, KvClientConfig, SimTime),
    /// The liveness bound (the scenario's, or ten liveness units plus a second).
    liveness_bound: SimDuration,
    /// Each client's scripted operations.
    scripts: Rc<Vec<Vec<Scripted>>>,
}

impl KvRun {
    fn new(s: &Scenario, servers: Rc<dyn Replicas>) -> Self {
        let unit = servers.liveness_unit();
        let liveness_bound = s
            .checks
            .liveness_bound
            .map(|d| d.0)
            .unwrap_or_else(|| SimDuration(unit.as_nanos() * 10) + SimDuration::from_secs(1));
        KvRun {
            servers,
            nodes: s.cluster.nodes,
            clients: kv::client_config(s),
            liveness_bound,
            scripts: Rc::new(kv::scripts(s)),
        }
    }

    /// The servers.
    pub fn servers(&self) -> &dyn Replicas {
        &*self.servers
    }

    /// The liveness bound: each client makes progress on each kind of operation within it,
    /// once the faults have healed.
    pub fn liveness_bound(&self) -> SimDuration {
        self.liveness_bound
    }

    /// The client template (client number 0; the factory sets each one's).
    pub fn client(&self) -> &KvClientConfig {
        &self.clients.1
    }

    /// When the clients start.
    pub fn client_start(&self) -> SimTime {
        self.clients.2
    }

    /// The world of this run: the scenario's world ([`build_world`]) with its nodes built by
    /// [`KvRun::factory`] and the operator's commands reaching the servers ([`kv::operator`]).
    pub fn world(&self, s: &Scenario, streams: RngStreams, log: HistoryLog) -> World<KvNode> {
        let mut world = build_world(s, streams, Box::new(self.factory(streams, log)), self.client_start());
        world.set_operator(kv::operator);
        world
    }

    /// [`KvRun::world`] with the checks every key-value run installs, in their order (the
    /// protocol invariants, then the leadership figures): what `run` executes, and what a lab
    /// session re-simulates, so the two cannot drift apart.
    pub fn checked_world(&self, s: &Scenario, streams: RngStreams, log: HistoryLog) -> World<KvNode> {
        let mut world = self.world(s, streams, log);
        let servers = s.cluster.nodes as usize;
        world.add_observer(Box::new(Invariants::new(servers)));
        world.add_observer(Box::new(Leadership::new(servers)));
        world.add_observer(Box::new(crate::check::catch_up::CatchUp::new(
            servers,
            &crate::check::catch_up::heals(&s.faults),
        )));
        world
    }

    /// A factory for the nodes of this run: servers first, then clients reporting their
    /// operations to `log`.
    pub fn factory(
        &self,
        streams: RngStreams,
        log: HistoryLog,
    ) -> impl FnMut(NodeId, &dyn StorageView) -> KvNode + use<> {
        let servers = self.servers.clone();
        let nodes = self.nodes;
        let client = self.clients.1.clone();
        let scripts = self.scripts.clone();
        move |id: NodeId, disk: &dyn StorageView| {
            if id.0 < nodes {
                servers.recover(id, disk)
            } else {
                let n = id.0 - nodes;
                KvNode::Client(KvClient::scripted(
                    KvClientConfig { client: n, ..client.clone() },
                    streams.indexed("workload", n as u64),
                    log.clone(),
                    scripts.get(n as usize).cloned().unwrap_or_default(),
                ))
            }
        }
    }
}

impl ProtocolRun for KvRun {
    fn protocol(&self) -> Protocol {
        self.servers.protocol()
    }

    fn describe(&self) -> Vec<String> {
        let mut out = self.servers.describe();
        let (clients, c, start) = &self.clients;
        if *clients > 0 {
            out.push(format!(
                "workload: kv, {clients} closed-loop clients from {start} to {}, mix get {} put {} append {} cas {}, {} keys ({}), attempt timeout {}, give up after {}, think {}",
                c.stop,
                c.mix.get,
                c.mix.put,
                c.mix.append,
                c.mix.cas,
                c.keys.keys(),
                match c.keys {
                    KeyDist::Uniform { .. } => "uniform",
                    KeyDist::Zipf { .. } => "zipf",
                },
                c.timeout,
                c.op_timeout,
                c.think
            ));
        }
        out.push(format!("liveness bound: {} (each client makes progress on each kind of operation within it, once the faults have healed)", self.liveness_bound));
        out
    }

    fn run(
        &self,
        s: &Scenario,
        opts: RunOptions,
        started: std::time::Instant,
    ) -> Result<RunOutput, RunError> {
        let options: lin::Options = kv::linearizability_options(s);
        let recorder = Recorder::new(s, opts.history, options, self.liveness_bound);
        let stream = Rc::new(RefCell::new(HistoryStream::new(s.client_count(), recorder)));
        let log = HistoryLog::new(stream.clone());
        let streams = RngStreams::new(opts.seed);
        let mut world = self.checked_world(s, streams, log);
        let seed = opts.seed;
        let mut fin = simulate(s, &mut world, opts.interrupt, opts.trace, opts.record, opts.checkpoint)?;
        let recorded = {
            let mut stream = stream.borrow_mut();
            kv::end_history(s, &world, &mut stream);
            stream.sink_mut().take()
        };
        kv::evaluate(s, self, &world, &recorded, &mut fin);
        let (outcome, recording) = finish(s, self, seed, &mut world, fin, started);
        Ok(RunOutput { outcome, history: recorded.history, recording, history_written: recorded.written })
    }
}

/// A broadcast run: gossip servers and broadcast clients.
pub struct GossipRun {
    settings: broadcast::Settings,
}

impl ProtocolRun for GossipRun {
    fn protocol(&self) -> Protocol {
        Protocol::Gossip
    }

    fn describe(&self) -> Vec<String> {
        broadcast::describe_settings(&self.settings)
    }

    fn run(
        &self,
        s: &Scenario,
        opts: RunOptions,
        started: std::time::Instant,
    ) -> Result<RunOutput, RunError> {
        let streams = RngStreams::new(opts.seed);
        let factory = broadcast::factory_of(self.settings.clone(), s.cluster.nodes, streams);
        let mut world = build_world::<BroadcastNode>(s, streams, Box::new(factory), self.settings.start);
        world.add_observer(Box::new(SpreadTracker::new(s.cluster.nodes as usize)));
        let seed = opts.seed;
        let mut fin = simulate(s, &mut world, opts.interrupt, opts.trace, opts.record, opts.checkpoint)?;
        broadcast::evaluate(s, &world, &mut fin);
        let (outcome, recording) = finish(s, self, seed, &mut world, fin, started);
        Ok(RunOutput { outcome, history: None, recording, history_written: Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn scenario(protocol: &str) -> Scenario {
        parse(&format!(
            r#"{{ "name": "x", "duration": "1s", "cluster": {{ "protocol": "{protocol}", "nodes": 3 }} }}"#
        ))
        .expect("valid")
    }

    /// Each protocol resolves to the object that names it, and only the key-value ones to
    /// a key-value run.
    #[test]
    fn every_protocol_resolves_to_its_own_run() {
        for p in [Protocol::Gossip, Protocol::Raft, Protocol::Paxos, Protocol::Quorum] {
            let s = scenario(p.name());
            assert_eq!(resolve(&s).protocol(), p);
            assert_eq!(kv_run(&s).map(|k| k.servers().protocol()), (p != Protocol::Gossip).then_some(p));
        }
    }

    /// The default liveness bound is ten of the protocol's own unit plus a second; a
    /// scenario's bound replaces it.
    #[test]
    fn the_liveness_bound_comes_from_the_protocols_own_timeout() {
        let ms = |v: u64| SimDuration::from_millis(v);
        let raft = kv_run(&scenario("raft")).expect("kv");
        let expect = SimDuration(RaftConfig::default().election_timeout_max.as_nanos() * 10) + ms(1000);
        assert_eq!(raft.liveness_bound(), expect);
        let quorum = kv_run(&scenario("quorum")).expect("kv");
        let expect = SimDuration(QuorumConfig::default().request_timeout.as_nanos() * 10) + ms(1000);
        assert_eq!(quorum.liveness_bound(), expect);
        let s = parse(
            r#"{ "name": "x", "duration": "1s", "cluster": { "protocol": "paxos", "nodes": 3 },
                 "checks": { "liveness_bound": "7s" } }"#,
        )
        .expect("valid");
        assert_eq!(kv_run(&s).expect("kv").liveness_bound(), ms(7000));
    }
}
