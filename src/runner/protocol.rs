//! The protocol of a run, resolved once.
//!
//! A scenario names its protocol in `cluster.protocol`; [`resolve`] looks that name up in
//! the process's registry ([`crate::protocol::registry`]) once, at the start of a run, and
//! the registration returns one object that answers every later question the runner asks:
//! which nodes to build (and from which settings), which parameter lines describe them,
//! which observers and checks apply, how the run is judged and what it records. The runner
//! itself never looks at the protocol's name again.
//!
//! Two levels, because the runs differ in two ways:
//!
//! - [`ProtocolRun`] is a whole run. Its implementations differ in their node type (a
//!   broadcast run's world holds [`BroadcastNode`]s, a key-value run's [`KvNode`]s), so each
//!   drives its own `World<N>` through the generic steps every run shares
//!   (`runner::simulate`, `runner::finish`).
//! - [`KvRun<P>`] is a key-value run of protocol `P` (a [`KvProtocol`]: Raft, Multi-Paxos,
//!   the quorum store, or one registered by a user). It is generic over `P`, so its world
//!   holds `KvNode<P::Server>` and every event reaches the protocol's code by a static call:
//!   a registered protocol costs a virtual call per question (a handful per run), none per
//!   event. Only the lab, which keeps one world of whichever protocol across requests,
//!   holds servers behind a pointer ([`DynServer`]).

use std::cell::RefCell;
use std::rc::Rc;

use crate::check::convergence::SpreadTracker;
use crate::check::invariants::{Invariant, Invariants};
use crate::check::leadership::Leadership;
use crate::check::linearizability as lin;
use crate::fault::AdminCommand;
use crate::proto::service::ServiceMsg;
use crate::protocol::{KvProtocol, read_settings};
use crate::scenario::{Protocol, Scenario};
use crate::sim::{
    Ctx, DiskEvent, Node, NodeId, RngStreams, SimDuration, SimTime, StorageView, TimerId, fire_inner,
};
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

/// Resolves the protocol of `s` into the object that runs it, through the process's
/// registry: the only place the runner looks at `cluster.protocol`.
pub fn resolve(s: &Scenario) -> Result<Box<dyn ProtocolRun>, RunError> {
    let name = s.cluster.protocol;
    let registration = crate::protocol::registry()
        .get(name.name())
        .ok_or_else(|| RunError::Protocol(format!("no protocol is registered as \"{name}\"")))?;
    registration.resolve(name, s)
}

/// A world a lab session can hold whatever the protocol: key-value servers behind a
/// pointer ([`DynServer`]), the checks of a run installed ([`KvRun::checked_world`]).
pub type LabNode = KvNode<DynServer>;

/// Builds the lab's world of a key-value run (made by a registration's
/// [`crate::protocol::Registration::lab`]).
pub trait LabWorld {
    /// The world of this run, with the checks every key-value run installs.
    fn checked_world(&self, s: &Scenario, streams: RngStreams, log: HistoryLog) -> World<LabNode>;

    /// The liveness bound ([`KvRun::liveness_bound`]).
    fn liveness_bound(&self) -> SimDuration;

    /// When the clients start and stop.
    fn clients(&self) -> (SimTime, SimTime);
}

/// The lab's key-value run of `s`, if its protocol serves the key-value workload.
pub fn lab_run(s: &Scenario) -> Option<Box<dyn LabWorld>> {
    let name = s.cluster.protocol;
    crate::protocol::registry().get(name.name())?.lab(name, s)
}

/// The lab's key-value world of `s`, if its protocol serves the key-value workload.
pub fn lab_world(s: &Scenario, streams: RngStreams, log: HistoryLog) -> Option<World<LabNode>> {
    Some(lab_run(s)?.checked_world(s, streams, log))
}

/// A key-value run of protocol `P`, resolved: its servers, its clients and the bounds its
/// checks use.
pub struct KvRun<P: KvProtocol> {
    servers: Rc<P>,
    /// The protocol's registered name.
    protocol: Protocol,
    /// Number of servers.
    nodes: u32,
    /// Number of clients, the client template (client 0) and when clients start.
    clients: (u32, KvClientConfig, SimTime),
    /// The liveness bound (the scenario's, or ten liveness units plus a second).
    liveness_bound: SimDuration,
    /// Each client's scripted operations.
    scripts: Rc<Vec<Vec<Scripted>>>,
}

impl<P: KvProtocol> KvRun<P> {
    /// The run of `s` with `P` registered as `protocol`: its settings read from
    /// `cluster.<protocol>` (refused if they do not read, which validation catches first).
    pub fn new(protocol: Protocol, s: &Scenario) -> Result<Self, RunError> {
        let settings = read_settings::<P::Settings>(s.cluster.settings_of(protocol.name())).map_err(|e| {
            let path = crate::scenario::json::join(&format!("cluster.{protocol}"), &e.path);
            RunError::Protocol(format!("{path}: {}", e.message))
        })?;
        let servers = P::configure(settings, s);
        let unit = servers.liveness_unit();
        let liveness_bound = s
            .checks
            .liveness_bound
            .map(|d| d.0)
            .unwrap_or_else(|| SimDuration(unit.as_nanos() * 10) + SimDuration::from_secs(1));
        Ok(KvRun {
            servers: Rc::new(servers),
            protocol,
            nodes: s.cluster.nodes,
            clients: kv::client_config(s),
            liveness_bound,
            scripts: Rc::new(kv::scripts(s)),
        })
    }

    /// The servers' protocol, configured.
    pub fn servers(&self) -> &P {
        &self.servers
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
    /// [`KvRun::factory`] and the operator's commands reaching the servers
    /// ([`KvProtocol::operator`]).
    pub fn world(&self, s: &Scenario, streams: RngStreams, log: HistoryLog) -> World<KvNode<P::Server>> {
        let servers = self.servers.clone();
        let factory = self.factory(streams, log, move |id, disk| servers.recover(id, disk));
        let mut world = build_world(s, streams, Box::new(factory), self.client_start());
        world.set_operator(P::operator);
        world
    }

    /// [`KvRun::world`] with the checks every key-value run installs, in their order (the
    /// protocol invariants, then the leadership figures): what `run` executes, and what a lab
    /// session re-simulates, so the two cannot drift apart.
    pub fn checked_world(
        &self,
        s: &Scenario,
        streams: RngStreams,
        log: HistoryLog,
    ) -> World<KvNode<P::Server>> {
        let mut world = self.world(s, streams, log);
        install_checks(&mut world, s, P::capabilities().invariants);
        world
    }

    /// A factory for the nodes of this run: servers first (built by `server`), then clients
    /// reporting their operations to `log`.
    pub fn factory<S: Node<Msg = ServiceMsg>>(
        &self,
        streams: RngStreams,
        log: HistoryLog,
        mut server: impl FnMut(NodeId, &dyn StorageView) -> S + 'static,
    ) -> impl FnMut(NodeId, &dyn StorageView) -> KvNode<S> + 'static {
        let nodes = self.nodes;
        let client = self.clients.1.clone();
        let scripts = self.scripts.clone();
        move |id: NodeId, disk: &dyn StorageView| {
            if id.0 < nodes {
                KvNode::Server(server(id, disk))
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

/// Installs the checks every key-value run has, in their order: the protocol invariants (the
/// families the protocol declares), the leadership figures, then the catch-up after each heal.
fn install_checks<S: Node<Msg = ServiceMsg>>(
    world: &mut World<KvNode<S>>,
    s: &Scenario,
    families: &[Invariant],
) {
    let servers = s.cluster.nodes as usize;
    world.add_observer(Box::new(Invariants::of(servers, families)));
    world.add_observer(Box::new(Leadership::new(servers)));
    world.add_observer(Box::new(crate::check::catch_up::CatchUp::new(
        servers,
        &crate::check::catch_up::heals(&s.faults),
    )));
}

impl<P: KvProtocol> LabWorld for KvRun<P> {
    fn checked_world(&self, s: &Scenario, streams: RngStreams, log: HistoryLog) -> World<LabNode> {
        let servers = self.servers.clone();
        let factory = self.factory(streams, log, move |id, disk| {
            DynServer(Box::new(Typed::<P>(servers.recover(id, disk))))
        });
        let mut world = build_world(s, streams, Box::new(factory), self.client_start());
        world.set_operator(|cmd| Some(cmd.clone()));
        install_checks(&mut world, s, P::capabilities().invariants);
        world
    }

    fn liveness_bound(&self) -> SimDuration {
        self.liveness_bound
    }

    fn clients(&self) -> (SimTime, SimTime) {
        (self.client_start(), self.client().stop)
    }
}

/// A key-value server of any registered protocol, behind a pointer: what a lab session's
/// world holds, so one session type serves every protocol. Runs never use it (their worlds
/// are typed, [`KvRun::world`]).
pub struct DynServer(Box<dyn ErasedServer>);

impl DynServer {
    /// The server inside, if it is of type `S`.
    pub fn downcast_ref<S: 'static>(&self) -> Option<&S> {
        self.0.as_any().downcast_ref::<S>()
    }
}

impl std::fmt::Debug for DynServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.debug(f)
    }
}

/// A server with its node type erased (timers by number, operator commands as typed in the
/// schedule, translated by its protocol).
trait ErasedServer {
    fn start(&mut self, ctx: &mut Ctx<'_, ServiceMsg>);
    fn message(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, from: NodeId, msg: ServiceMsg);
    fn timer(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, timer: TimerId);
    fn disk(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, event: DiskEvent);
    fn admin(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, cmd: &AdminCommand);
    fn as_any(&self) -> &dyn std::any::Any;
    fn debug(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result;
}

/// A server of protocol `P`, erased.
struct Typed<P: KvProtocol>(P::Server);

impl<P: KvProtocol> ErasedServer for Typed<P> {
    fn start(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        self.0.on_start(ctx)
    }
    fn message(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, from: NodeId, msg: ServiceMsg) {
        self.0.on_message(ctx, from, msg)
    }
    fn timer(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, timer: TimerId) {
        fire_inner(&mut self.0, ctx, timer)
    }
    fn disk(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, event: DiskEvent) {
        self.0.on_disk(ctx, event)
    }
    fn admin(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, cmd: &AdminCommand) {
        if let Some(a) = P::operator(cmd) {
            self.0.on_admin(ctx, &a)
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        &self.0
    }
    fn debug(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl Node for DynServer {
    type Msg = ServiceMsg;
    type Timer = TimerId;
    type Admin = AdminCommand;

    fn on_start(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        self.0.start(ctx)
    }
    fn on_message(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, from: NodeId, msg: ServiceMsg) {
        self.0.message(ctx, from, msg)
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, timer: TimerId) {
        self.0.timer(ctx, timer)
    }
    fn on_disk(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, event: DiskEvent) {
        self.0.disk(ctx, event)
    }
    fn on_admin(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, cmd: &AdminCommand) {
        self.0.admin(ctx, cmd)
    }
}

impl<P: KvProtocol> ProtocolRun for KvRun<P> {
    fn protocol(&self) -> Protocol {
        self.protocol
    }

    fn describe(&self) -> Vec<String> {
        let mut out = self.servers.describe();
        let (clients, c, start) = &self.clients;
        if *clients > 0 && !c.random {
            // Clients that only run their script draw nothing: no mix, no key distribution.
            out.push(format!(
                "workload: kv, {clients} clients issuing only the scenario's scripted operations, attempt timeout {}, give up after {}",
                c.timeout, c.op_timeout
            ));
        } else if *clients > 0 {
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

impl GossipRun {
    /// The broadcast run of `s`.
    pub fn new(s: &Scenario) -> GossipRun {
        GossipRun { settings: broadcast::settings(s) }
    }
}

impl ProtocolRun for GossipRun {
    fn protocol(&self) -> Protocol {
        Protocol::GOSSIP
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
    use crate::proto::quorum::QuorumConfig;
    use crate::proto::raft::RaftConfig;
    use crate::runner::shipped::{QuorumStore, Raft};
    use crate::scenario::parse;

    fn scenario(protocol: &str) -> Scenario {
        parse(&format!(
            r#"{{ "name": "x", "duration": "1s", "cluster": {{ "protocol": "{protocol}", "nodes": 3 }} }}"#
        ))
        .expect("valid")
    }

    /// Each protocol resolves to the object that names it, and only the key-value ones to
    /// a lab world.
    #[test]
    fn every_protocol_resolves_to_its_own_run() {
        for p in [Protocol::GOSSIP, Protocol::RAFT, Protocol::PAXOS, Protocol::QUORUM] {
            let s = scenario(p.name());
            assert_eq!(resolve(&s).expect("registered").protocol(), p);
            let lab = lab_world(&s, RngStreams::new(1), HistoryLog::discard());
            assert_eq!(lab.is_some(), p != Protocol::GOSSIP, "{p}");
        }
    }

    /// The default liveness bound is ten of the protocol's own unit plus a second; a
    /// scenario's bound replaces it.
    #[test]
    fn the_liveness_bound_comes_from_the_protocols_own_timeout() {
        let ms = |v: u64| SimDuration::from_millis(v);
        let raft = KvRun::<Raft>::new(Protocol::RAFT, &scenario("raft")).expect("kv");
        let expect = SimDuration(RaftConfig::default().election_timeout_max.as_nanos() * 10) + ms(1000);
        assert_eq!(raft.liveness_bound(), expect);
        let quorum = KvRun::<QuorumStore>::new(Protocol::QUORUM, &scenario("quorum")).expect("kv");
        let expect = SimDuration(QuorumConfig::default().request_timeout.as_nanos() * 10) + ms(1000);
        assert_eq!(quorum.liveness_bound(), expect);
        let s = parse(
            r#"{ "name": "x", "duration": "1s", "cluster": { "protocol": "raft", "nodes": 3 },
                 "checks": { "liveness_bound": "7s" } }"#,
        )
        .expect("valid");
        assert_eq!(KvRun::<Raft>::new(Protocol::RAFT, &s).expect("kv").liveness_bound(), ms(7000));
    }
}
