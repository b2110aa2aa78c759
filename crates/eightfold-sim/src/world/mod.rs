//! The World: the simulation kernel that runs a cluster of sans-IO nodes over the simulated
//! network and disks, under a fault schedule, one event at a time.
//!
//! The loop is the classic discrete-event one: pop the earliest event, advance the virtual
//! clock to it, hand it to the node it concerns, then carry out what the node asked for
//! (messages become routed deliveries, timers and fsync completions become future events,
//! writes land on the node's disk). Each handled event is folded into the run's
//! [`Digest`]; with a trace attached, each is also written out.
//!
//! Nothing here reads the OS clock, spawns a thread, or iterates a hash map: a run is a
//! pure function of `(scenario, seed)`.

mod budget;
pub mod clock;
mod dispatch;
mod faults;
mod lifecycle;
pub mod recorder;
pub mod security;
pub mod trace;

use std::collections::VecDeque;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::disk::{Disk, DiskConfig, Epoch};
use crate::fault::{ClusterView, FaultRecord, Schedule};
use crate::net::{NetStats, Network};
use crate::sim::queue::EventQueue;
use crate::sim::{
    Digest, MsgId, Node, NodeFactory, NodeId, Observation, Outbox, RngStreams, Role, SimDuration, SimRng,
    SimTime, Term, TimerId,
};

pub use budget::EventBudget;
pub use clock::Clock;
pub use recorder::{ProtocolName, Recorder, RecorderConfig, Recording};
pub use security::{Security, SecurityStats};
pub use trace::Trace;

/// What kind of participant a node is.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// Runs the cluster's protocol.
    Server,
    /// Issues the workload.
    Client,
}

/// Digest codes of event kinds.
mod code {
    pub const SEND: u8 = 1;
    pub const DELIVER: u8 = 2;
    pub const DROP: u8 = 3;
    pub const TIMER: u8 = 4;
    pub const START: u8 = 5;
    pub const FAULT: u8 = 6;
    pub const OBSERVE: u8 = 7;
    pub const DISK: u8 = 8;
    pub const CRASH: u8 = 9;
    pub const PAUSE: u8 = 10;
    pub const RESUME: u8 = 11;
    pub const REJECT: u8 = 12;
    pub const ADVERSARY: u8 = 13;
}

/// A scheduled event.
enum Event<M> {
    /// A message reaches the destination's network interface.
    Deliver { from: NodeId, to: NodeId, id: MsgId, msg: security::Payload<M> },
    /// A message that already passed the network, held while its destination was paused.
    Arrived { from: NodeId, to: NodeId, id: MsgId, msg: M },
    /// A timer's one queued wake-up (void unless `wake` is the timer's current one): the
    /// timer fires if it is due now; re-armed for later, it is queued again for then.
    Wake { node: NodeId, timer: TimerId, wake: u32 },
    /// A timer fires (if `generation` is still current; a firing held while its node was
    /// paused or busy may have been re-armed or cancelled meanwhile).
    Timer { node: NodeId, timer: TimerId, generation: u32 },
    /// An fsync completes.
    Disk { node: NodeId, epoch: Epoch, event: crate::sim::DiskEvent },
    /// A node boots.
    Start { node: NodeId },
    /// The fault schedule's action number `action` happens.
    Fault { action: u32 },
    /// The adversary of schedule entry `entry` strikes (replay or forge).
    Adversary { entry: u32 },
}

/// A node lifecycle event, as observers see it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// The node booted (first start or restart after a crash).
    Start,
    /// The node crashed: its memory is gone.
    Crash,
    /// The node stalled: it handles nothing until resumed.
    Pause,
    /// The node resumed after a pause.
    Resume,
}

/// A check that watches observations and may stop the run (an invariant checker, say).
pub trait Observer: std::any::Any {
    /// Sees one observation; returns `Err(detail)` to stop the run with a violation.
    fn observe(&mut self, now: SimTime, node: NodeId, obs: &Observation) -> Result<(), String>;
    /// Sees a node start, crash, pause or resume.
    fn lifecycle(&mut self, now: SimTime, node: NodeId, event: Lifecycle) {
        let _ = (now, node, event);
    }
    /// The check's name, as reported in `outcome.json` when it stops the run.
    fn name(&self) -> &str;
}

/// The name of the check a run fails when it exceeds its [`EventBudget`].
pub const BUDGET_CHECK: &str = "event_budget";

/// Why a run stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halt {
    /// When.
    pub at: SimTime,
    /// Which node's observation triggered it (for the event budget: the node that handled
    /// the most events while the budget ran out).
    pub node: String,
    /// The check that failed.
    pub check: String,
    /// What it saw.
    pub detail: String,
}

/// Counts of handled events by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCounts {
    /// All events handled.
    pub total: u64,
    /// Message deliveries (including dropped-in-flight).
    pub messages: u64,
    /// Timer firings, including firings held while their node was paused or busy that a
    /// re-arm or cancel voided meanwhile. A timer re-armed before it fired is not counted
    /// (its wake-up is moved in the queue, not handled).
    pub timers: u64,
    /// Fsync completions handled.
    pub disk: u64,
    /// Fault actions applied.
    pub faults: u64,
    /// Events deferred because their node was paused or busy.
    pub deferred: u64,
}

/// One node of a world: its name, kind, clock and speed.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    /// Display name (`n1`, `c2`).
    pub name: String,
    /// Server or client.
    pub kind: NodeKind,
    /// The node's clock.
    pub clock: Clock,
}

/// Static description of the nodes of a world.
#[derive(Clone, Debug)]
pub struct Membership {
    /// The nodes, indexed by node id.
    pub nodes: Vec<NodeSpec>,
}

impl Membership {
    /// `servers` servers named `n1..`, then `clients` clients named `c1..`, perfect clocks.
    pub fn cluster(servers: u32, clients: u32) -> Self {
        let mut nodes = Vec::new();
        for i in 0..servers {
            nodes.push(NodeSpec {
                name: format!("n{}", i + 1),
                kind: NodeKind::Server,
                clock: Clock::PERFECT,
            });
        }
        for i in 0..clients {
            nodes.push(NodeSpec {
                name: format!("c{}", i + 1),
                kind: NodeKind::Client,
                clock: Clock::PERFECT,
            });
        }
        Membership { nodes }
    }
}

/// Everything a world is built from besides its network and its nodes' code.
pub struct WorldConfig {
    /// The nodes.
    pub members: Membership,
    /// The run's random streams (nodes, disks and faults draw from their own).
    pub streams: RngStreams,
    /// The fault schedule.
    pub schedule: Schedule,
    /// When clients boot (servers boot at time zero).
    pub client_start: SimTime,
    /// Every node's disk.
    pub disk: DiskConfig,
    /// Message authentication.
    pub security: Security,
}

/// Per-node state the kernel keeps outside the node itself.
struct Slot<N: Node> {
    node: Option<N>,
    name: String,
    kind: NodeKind,
    clock: Clock,
    rng: SimRng,
    disk_rng: SimRng,
    /// Each timer id's state.
    timers: Vec<TimerState>,
    role: (Role, Term),
    paused: bool,
    /// Events that arrived while the node was paused, in arrival order.
    deferred: VecDeque<Event<N::Msg>>,
    /// The node's CPU is busy until then (transport-cost model).
    busy_until: SimTime,
    /// Multiplier of CPU costs (a slow node has > 1).
    slowness: f64,
}

/// One timer of a node.
///
/// A timer re-armed before it fires (a Raft follower's election timer, re-armed by every
/// AppendEntries) keeps one wake-up in the event queue instead of leaving a stale event per
/// arming: the wake-up stays where it is when the new deadline is later; when it comes up
/// early it is queued again at the deadline, under the sequence number the last arming
/// reserved, so the timer fires exactly where an event pushed at that arming would have.
/// Before (issue 21) the stale events were a quarter of the queue's work at 201 Raft servers.
#[derive(Copy, Clone, Debug, Default)]
struct TimerState {
    /// Bumped at every arm and cancel, and at a crash: a held firing of an older
    /// generation is void.
    generation: u32,
    /// When the armed timer fires and its rank among events at that time (the sequence
    /// number reserved when it was armed); `None` when it is not armed.
    due: Option<(u64, u64)>,
    /// The number of the current wake-up; a wake-up in the queue with another is void.
    wake: u32,
    /// The time of the current wake-up, while it is in the queue.
    queued: Option<u64>,
}

/// CPU time charged for handling and sending messages (fallacy 7, transport cost).
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct CpuCost {
    /// Fixed cost per message handled or sent.
    pub per_message: SimDuration,
    /// Cost per byte handled or sent, in nanoseconds (may be fractional).
    pub per_byte_ns: f64,
}

impl CpuCost {
    /// The CPU time a message of `size` bytes costs at one end.
    #[inline(never)]
    pub fn of(&self, size: u32) -> u64 {
        self.per_message.as_nanos() + (self.per_byte_ns * size as f64).round() as u64
    }
}

/// How a world turns an operator's command from the fault schedule into its nodes' own
/// admin type ([`Node::Admin`]); `None` for a command the node does not take.
pub type Operator<N> = fn(&crate::fault::AdminCommand) -> Option<<N as Node>::Admin>;

/// The simulation kernel: nodes, network, disks, fault schedule, event queue, digest.
pub struct World<N: Node> {
    now: SimTime,
    queue: EventQueue<Event<N::Msg>>,
    slots: Vec<Slot<N>>,
    disks: Vec<Disk>,
    servers: Vec<NodeId>,
    clients: Vec<NodeId>,
    net: Network,
    factory: Box<dyn NodeFactory<N>>,
    /// Turns an operator's command from the fault schedule into the node's own admin type
    /// (`None`: the node takes no such command).
    operator: Operator<N>,
    digest: Digest,
    counts: EventCounts,
    next_msg: u64,
    out: Outbox<N::Msg>,
    observers: Vec<Box<dyn Observer>>,
    trace: Option<Trace>,
    schedule: Schedule,
    fault_rng: SimRng,
    /// Each schedule entry's fault, with what it keeps in effect (its own copy per run).
    faults: Vec<Option<Box<dyn crate::fault::FaultType>>>,
    fault_log: Vec<FaultRecord>,
    /// Settings deployed to nodes by the schedule (a `bug` fault): (entry, node, settings),
    /// handed to the node again each time it boots while the entry keeps them in place.
    deployed: Vec<(usize, NodeId, crate::fault::SettingsPatch)>,
    halted: Option<Halt>,
    cpu: Option<CpuCost>,
    cpu_time: u64,
    guard: security::Guard,
    recorder: Option<Recorder>,
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    interrupted: bool,
    budget: budget::Budget,
}

impl<N: Node> World<N> {
    /// A world of the configured nodes over `net`, built by `factory`. Node `i` draws from
    /// the stream `("node", i)`, its disk from `("disk", i)`, symbolic fault targets from
    /// `"faults"`. Servers boot at time zero, clients at `client_start`.
    pub fn new(config: WorldConfig, net: Network, factory: Box<dyn NodeFactory<N>>) -> Self {
        let WorldConfig { members, streams, schedule, client_start, disk, security } = config;
        assert_eq!(members.nodes.len(), net.nodes(), "network size must match the membership");
        let mut slots = Vec::with_capacity(members.nodes.len());
        let mut servers = Vec::new();
        let mut clients = Vec::new();
        for (i, spec) in members.nodes.into_iter().enumerate() {
            let id = NodeId(i as u32);
            match spec.kind {
                NodeKind::Server => servers.push(id),
                NodeKind::Client => clients.push(id),
            }
            slots.push(Slot {
                node: None,
                name: spec.name,
                kind: spec.kind,
                clock: spec.clock,
                rng: streams.indexed("node", i as u64),
                disk_rng: streams.indexed("disk", i as u64),
                timers: Vec::new(),
                role: (Role::Peer, Term(0)),
                paused: false,
                deferred: VecDeque::new(),
                busy_until: SimTime::ZERO,
                slowness: 1.0,
            });
        }
        let n = slots.len();
        let mut w = World {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            slots,
            disks: (0..n).map(|_| Disk::new(disk)).collect(),
            servers,
            clients,
            net,
            factory,
            operator: |_| None,
            digest: Digest::new(),
            counts: EventCounts::default(),
            next_msg: 0,
            // Views go to a flight recording alone, and there is none yet.
            out: Outbox { views: false, ..Outbox::default() },
            observers: Vec::new(),
            trace: None,
            faults: schedule.entries.iter().map(|e| Some(e.fault.clone())).collect(),
            schedule,
            fault_rng: streams.stream("faults"),
            fault_log: Vec::new(),
            deployed: Vec::new(),
            halted: None,
            cpu: None,
            cpu_time: 0,
            guard: security::Guard::new(
                n,
                crate::net::envelope::ClusterKey::for_seed(streams.seed()),
                security,
                streams.stream("adversary"),
            ),
            recorder: None,
            interrupt: None,
            interrupted: false,
            budget: budget::Budget::new(EventBudget::DEFAULT),
        };
        for i in 0..w.slots.len() {
            let at = if w.slots[i].kind == NodeKind::Client { client_start } else { SimTime::ZERO };
            w.queue.push(at, Event::Start { node: NodeId(i as u32) });
        }
        for (i, a) in w.schedule.actions.iter().enumerate() {
            w.queue.push(a.at, Event::Fault { action: i as u32 });
        }
        w
    }

    /// Streams every event to `trace` from now on.
    pub fn set_trace(&mut self, trace: Trace) {
        self.trace = Some(trace);
    }

    /// Keeps a bounded flight recording for charts from now on. Attach it before the run
    /// starts: until a recording is attached, nodes are told no one takes views
    /// ([`crate::sim::Ctx::views`]) and may skip them, so a recording attached later would
    /// miss what they skipped.
    pub fn set_recorder(&mut self, config: RecorderConfig) {
        let nodes =
            self.slots.iter().map(|s| recorder::RecNode { name: s.name.clone(), kind: s.kind }).collect();
        self.recorder = Some(Recorder::new(config, nodes));
        self.out.views = true;
    }

    /// Detaches the flight recording.
    #[must_use = "the recording is taken out of the world; dropping it loses it"]
    pub fn take_recording(&mut self) -> Option<Recording> {
        let now = self.now;
        self.out.views = false;
        self.recorder.take().map(|r| r.finish(now))
    }

    /// Detaches the trace (to flush it).
    #[must_use = "the trace is taken out of the world; it must be finished (flushed), or its tail is lost"]
    pub fn take_trace(&mut self) -> Option<Trace> {
        self.trace.take()
    }

    /// Adds a check that sees every observation and lifecycle event.
    pub fn add_observer(&mut self, o: Box<dyn Observer>) {
        self.observers.push(o);
    }

    /// Sets how the fault schedule's operator commands (`reconfigure`, `add_server`,
    /// `remove_server`) reach the nodes: `operator` translates each into the nodes' own
    /// admin type. Without it a world's nodes are handed no command (the fault is still
    /// recorded as delivered to a running target). Set it before the run starts.
    pub fn set_operator(&mut self, operator: Operator<N>) {
        self.operator = operator;
    }

    /// Limits the events the run may handle per simulated second (by default
    /// [`EventBudget::DEFAULT`]); past it the run halts with the check `event_budget`.
    /// Set it before the run starts.
    pub fn set_event_budget(&mut self, budget: EventBudget) {
        self.budget = budget::Budget::new(budget);
    }

    /// The most events handled in any one simulated second so far.
    pub fn peak_events_per_second(&self) -> u64 {
        self.budget.peak()
    }

    /// Charges CPU time for every message handled and sent (fallacy 7).
    pub fn set_cpu_cost(&mut self, cost: CpuCost) {
        self.cpu = Some(cost);
    }

    /// Sets a node's clock (skew and drift, fallacy 6).
    pub fn set_clock(&mut self, node: NodeId, clock: Clock) {
        self.slots[node.index()].clock = clock;
    }

    /// Makes a node's CPU `factor` times slower (fallacy 8: nodes of different speed).
    pub fn set_slowness(&mut self, node: NodeId, factor: f64) {
        self.slots[node.index()].slowness = factor.max(0.0);
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The run's digest so far.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Handled-event counts.
    pub fn counts(&self) -> EventCounts {
        self.counts
    }

    /// Total CPU time charged by the transport-cost model, ns.
    pub fn cpu_time(&self) -> u64 {
        self.cpu_time
    }

    /// What the envelope guard rejected and the adversary did.
    pub fn security_stats(&self) -> SecurityStats {
        self.guard.stats
    }

    /// Network counters.
    pub fn net_stats(&self) -> &NetStats {
        self.net.stats()
    }

    /// The network (link counters, partitions).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// A node's disk.
    pub fn disk(&self, id: NodeId) -> &Disk {
        &self.disks[id.index()]
    }

    /// The node with this id, if it is running.
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.slots[id.index()].node.as_ref()
    }

    /// True if the node is up (not crashed) — it may be paused.
    pub fn is_up(&self, id: NodeId) -> bool {
        self.slots[id.index()].node.is_some()
    }

    /// True if the node is paused.
    pub fn is_paused(&self, id: NodeId) -> bool {
        self.slots[id.index()].paused
    }

    /// The display name of a node (`n1`, `c2`).
    pub fn name(&self, id: NodeId) -> &str {
        &self.slots[id.index()].name
    }

    /// The servers, in id order.
    pub fn servers(&self) -> &[NodeId] {
        &self.servers
    }

    /// The clients, in id order.
    pub fn clients(&self) -> &[NodeId] {
        &self.clients
    }

    /// Schedules a fault of any kind (a [`FaultType`](crate::fault::FaultType) of one's own,
    /// or a built-in one from [`crate::fault::kinds`]) on this World: it starts at `at`
    /// and, with `lasts`, is undone after that long (a time already past counts as now). Its
    /// actions come after the schedule's own at equal times.
    pub fn add_fault(
        &mut self,
        at: SimTime,
        lasts: Option<SimDuration>,
        fault: Box<dyn crate::fault::FaultType>,
    ) {
        let at = at.max(self.now);
        self.faults.push(Some(fault.clone()));
        let servers = self.servers.len() as u32;
        for action in self.schedule.append(at, lasts, fault, servers) {
            let at = self.schedule.actions[action].at;
            self.queue.push(at, Event::Fault { action: action as u32 });
        }
    }

    /// The faults applied so far, with their windows.
    pub fn fault_log(&self) -> &[FaultRecord] {
        &self.fault_log
    }

    /// Why the run stopped early, if a check stopped it.
    pub fn halted(&self) -> Option<&Halt> {
        self.halted.as_ref()
    }

    /// The first observer of type `T`, to collect its findings after the run.
    pub fn observer<T: Observer>(&self) -> Option<&T> {
        self.observers.iter().find_map(|o| (o.as_ref() as &dyn std::any::Any).downcast_ref::<T>())
    }

    /// Stops [`World::run_until`] early when `flag` is set (from a signal handler, say).
    pub fn set_interrupt(&mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// True if the last run stopped because the interrupt flag was set.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Runs until virtual time `end` (inclusive), until a check halts the run, or until
    /// the interrupt flag is set (checked every few thousand events).
    pub fn run_until(&mut self, end: SimTime) {
        let mut budget = 0u32;
        while self.halted.is_none() {
            if budget == 0 {
                budget = 4096;
                if self.interrupt.as_ref().is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed)) {
                    self.interrupted = true;
                    return;
                }
            }
            budget -= 1;
            let Some((t, seq, ev)) = self.queue.pop_ranked(end) else { break };
            if let Some(ev) = self.due(t, seq, ev) {
                self.handle(t, ev);
            }
        }
        if self.halted.is_none() {
            self.now = self.now.max(end);
        }
        for d in &mut self.disks {
            d.advance(self.now);
        }
    }

    /// Handles exactly one event; returns false if the queue is empty or the run halted.
    #[inline]
    pub fn step(&mut self) -> bool {
        if self.halted.is_some() {
            return false;
        }
        while let Some((t, seq, ev)) = self.queue.pop_ranked(SimTime::MAX) {
            if let Some(ev) = self.due(t, seq, ev) {
                self.handle(t, ev);
                return true;
            }
        }
        false
    }

    /// The event to handle for one popped from the queue at `(t, seq)`: the event itself,
    /// or for a timer's wake-up, the timer's firing if it is due now. A wake-up of a timer
    /// re-armed for later goes back in the queue at the new deadline; one of a cancelled
    /// timer (or of a node that crashed since) is dropped. Neither counts as an event.
    #[inline]
    fn due(&mut self, t: SimTime, seq: u64, ev: Event<N::Msg>) -> Option<Event<N::Msg>> {
        let Event::Wake { node, timer, wake } = ev else { return Some(ev) };
        let st = &mut self.slots[node.index()].timers[timer.0 as usize];
        if st.wake != wake {
            return None; // superseded by a wake-up queued earlier than it
        }
        st.queued = None;
        let (at, rank) = st.due?;
        if (at, rank) != (t.0, seq) {
            st.queued = Some(at);
            self.queue.push_at(SimTime(at), rank, Event::Wake { node, timer, wake });
            return None;
        }
        st.due = None;
        Some(Event::Timer { node, timer, generation: st.generation })
    }
}

/// The cluster as fault kinds resolve their targets against it.
impl<N: Node> ClusterView for World<N> {
    fn servers(&self) -> &[NodeId] {
        &self.servers
    }
    fn clients(&self) -> &[NodeId] {
        &self.clients
    }
    fn role(&self, node: NodeId) -> (Role, Term) {
        self.slots[node.index()].role
    }
    fn is_up(&self, node: NodeId) -> bool {
        self.slots[node.index()].node.is_some()
    }
}

impl<N: Node> fmt::Debug for World<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World").field("now", &self.now).field("events", &self.counts.total).finish()
    }
}
