//! The World: the simulation kernel that runs a cluster of sans-IO nodes over the simulated
//! network, under a fault schedule, one event at a time.
//!
//! The loop is the classic discrete-event one: pop the earliest event, advance the virtual
//! clock to it, hand it to the node it concerns, then carry out what the node asked for
//! (messages become routed deliveries, timers become future events). Each handled event is
//! folded into the run's [`Digest`]; with a trace attached, each is also written out.
//!
//! Nothing here reads the OS clock, spawns a thread, or iterates a hash map: a run is a
//! pure function of `(scenario, seed)`.

pub mod trace;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fault::{self, ClusterView, Phase, Resolved, Schedule};
use crate::net::{CutId, DropReason, NetStats, Network, Route};
use crate::sim::queue::EventQueue;
use crate::sim::{
    Ctx, Digest, Message, MsgId, Node, NodeFactory, NodeId, Observation, Outbox, Role, SimRng, SimTime,
    StorageView, Term, TimerId,
};

pub use trace::Trace;

/// What kind of participant a node is.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Serialize)]
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
}

enum Event<M> {
    Deliver { from: NodeId, to: NodeId, id: MsgId, msg: M },
    Timer { node: NodeId, timer: TimerId, generation: u32 },
    Start { node: NodeId },
    Fault { action: u32 },
}

/// An empty disk, for nodes rebuilt before the storage layer exists.
struct NoStorage;
impl StorageView for NoStorage {
    fn read(&self, _file: crate::sim::FileId) -> Vec<u8> {
        Vec::new()
    }
}

/// Per-node state the kernel keeps outside the node itself.
struct Slot<N> {
    node: Option<N>,
    name: String,
    kind: NodeKind,
    rng: SimRng,
    /// Generation of each timer id; an event whose generation is stale is ignored.
    timers: Vec<u32>,
    role: (Role, Term),
}

/// A check that watches observations and may stop the run (an invariant checker, say).
pub trait Observer: std::any::Any {
    /// Sees one observation; returns `Err(detail)` to stop the run with a violation.
    fn observe(&mut self, now: SimTime, node: NodeId, obs: &Observation) -> Result<(), String>;
    /// The check's name, as reported in `outcome.json` when it stops the run.
    fn name(&self) -> &str;
}

/// Why a run stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Halt {
    /// When.
    pub at: SimTime,
    /// Which node's observation triggered it.
    pub node: String,
    /// The check that failed.
    pub check: String,
    /// What it saw.
    pub detail: String,
}

/// One applied fault, with the window during which it was in effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRecord {
    /// Index of the schedule entry (`faults[i]`).
    pub entry: usize,
    /// The fault's name (`partition`, `heal`, …).
    pub fault: String,
    /// What it did, with concrete nodes (`{n1,n2} | {n3,n4,n5}`).
    pub detail: String,
    /// When it started.
    pub start: SimTime,
    /// When it was undone (`None` if it lasted to the end, or is instantaneous).
    pub end: Option<SimTime>,
    /// The nodes it affected.
    pub nodes: Vec<String>,
}

/// Counts of handled events by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EventCounts {
    /// All events handled.
    pub total: u64,
    /// Message deliveries (including dropped-in-flight).
    pub messages: u64,
    /// Timer firings (including stale ones).
    pub timers: u64,
    /// Faults applied.
    pub faults: u64,
}

/// Static description of the nodes of a world.
pub struct Membership {
    /// Names and kinds, indexed by node id.
    pub nodes: Vec<(String, NodeKind)>,
}

impl Membership {
    /// `servers` servers named `n1..`, then `clients` clients named `c1..`.
    pub fn cluster(servers: u32, clients: u32) -> Self {
        let mut nodes = Vec::new();
        for i in 0..servers {
            nodes.push((format!("n{}", i + 1), NodeKind::Server));
        }
        for i in 0..clients {
            nodes.push((format!("c{}", i + 1), NodeKind::Client));
        }
        Membership { nodes }
    }
}

/// The simulation kernel: nodes, network, fault schedule, event queue, digest.
pub struct World<N: Node> {
    now: SimTime,
    queue: EventQueue<Event<N::Msg>>,
    slots: Vec<Slot<N>>,
    servers: Vec<NodeId>,
    clients: Vec<NodeId>,
    net: Network,
    factory: Box<dyn NodeFactory<N>>,
    digest: Digest,
    counts: EventCounts,
    next_msg: u64,
    out: Outbox<N::Msg>,
    observers: Vec<Box<dyn Observer>>,
    trace: Option<Trace>,
    schedule: Schedule,
    fault_rng: SimRng,
    fault_cuts: Vec<Option<CutId>>,
    fault_log: Vec<FaultRecord>,
    halted: Option<Halt>,
}

impl<N: Node> World<N> {
    /// A world of the given nodes over `net`, with the fault `schedule`. Node `i` draws from
    /// `node_rng(i)`; symbolic fault targets draw from `fault_rng`. Servers start at time
    /// zero; each client starts at `client_start`.
    pub fn new(
        members: Membership,
        net: Network,
        factory: Box<dyn NodeFactory<N>>,
        mut node_rng: impl FnMut(NodeId) -> SimRng,
        schedule: Schedule,
        fault_rng: SimRng,
        client_start: SimTime,
    ) -> Self {
        assert_eq!(members.nodes.len(), net.nodes(), "network size must match the membership");
        let mut slots = Vec::with_capacity(members.nodes.len());
        let mut servers = Vec::new();
        let mut clients = Vec::new();
        for (i, (name, kind)) in members.nodes.into_iter().enumerate() {
            let id = NodeId(i as u32);
            match kind {
                NodeKind::Server => servers.push(id),
                NodeKind::Client => clients.push(id),
            }
            slots.push(Slot {
                node: None,
                name,
                kind,
                rng: node_rng(id),
                timers: Vec::new(),
                role: (Role::Peer, Term(0)),
            });
        }
        let mut w = World {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            slots,
            servers,
            clients,
            net,
            factory,
            digest: Digest::new(),
            counts: EventCounts::default(),
            next_msg: 0,
            out: Outbox::default(),
            observers: Vec::new(),
            trace: None,
            fault_cuts: vec![None; schedule.entries.len()],
            schedule,
            fault_rng,
            fault_log: Vec::new(),
            halted: None,
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

    /// Detaches the trace (to flush it).
    pub fn take_trace(&mut self) -> Option<Trace> {
        self.trace.take()
    }

    /// Adds a check that sees every observation.
    pub fn add_observer(&mut self, o: Box<dyn Observer>) {
        self.observers.push(o);
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

    /// Network counters.
    pub fn net_stats(&self) -> &NetStats {
        self.net.stats()
    }

    /// The network (link counters, partitions).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The node with this id, if it is running.
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.slots[id.index()].node.as_ref()
    }

    /// The display name of a node (`n1`, `c2`).
    pub fn name(&self, id: NodeId) -> &str {
        &self.slots[id.index()].name
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

    /// Runs until virtual time `end` (inclusive) or until a check halts the run.
    pub fn run_until(&mut self, end: SimTime) {
        while self.halted.is_none() {
            let Some((t, ev)) = self.queue.pop_until(end) else { break };
            self.handle(t, ev);
        }
        if self.halted.is_none() {
            self.now = self.now.max(end);
        }
    }

    /// Handles exactly one event; returns false if the queue is empty or the run halted.
    #[inline]
    pub fn step(&mut self) -> bool {
        if self.halted.is_some() {
            return false;
        }
        match self.queue.pop_until(SimTime::MAX) {
            Some((t, ev)) => {
                self.handle(t, ev);
                true
            }
            None => false,
        }
    }

    #[inline]
    fn handle(&mut self, t: SimTime, ev: Event<N::Msg>) {
        self.now = t;
        self.counts.total += 1;
        match ev {
            Event::Deliver { from, to, id, msg } => self.deliver(from, to, id, msg),
            Event::Timer { node, timer, generation } => {
                self.counts.timers += 1;
                let slot = &mut self.slots[node.index()];
                if slot.timers.get(timer.0 as usize) != Some(&generation) || slot.node.is_none() {
                    return; // re-armed, cancelled, or the node crashed since
                }
                self.digest.event(t.0, code::TIMER, node.0, timer.0 as u64, 0);
                if let Some(tr) = &mut self.trace {
                    tr.timer(t, &slot.name, timer.0);
                }
                let node_ref = slot.node.as_mut().expect("checked above");
                let mut ctx = Ctx::new(node, t, &self.servers, &mut slot.rng, &mut self.out);
                node_ref.on_timer(&mut ctx, timer);
                self.flush(node);
            }
            Event::Start { node } => {
                self.digest.event(t.0, code::START, node.0, 0, 0);
                let built = self.factory.build(node, &NoStorage);
                let slot = &mut self.slots[node.index()];
                if let Some(tr) = &mut self.trace {
                    tr.lifecycle(t, &slot.name, "start");
                }
                let node_ref = slot.node.insert(built);
                let mut ctx = Ctx::new(node, t, &self.servers, &mut slot.rng, &mut self.out);
                node_ref.on_start(&mut ctx);
                self.flush(node);
            }
            Event::Fault { action } => self.apply_fault(action as usize),
        }
    }

    #[inline]
    fn deliver(&mut self, from: NodeId, to: NodeId, id: MsgId, msg: N::Msg) {
        let t = self.now;
        self.counts.messages += 1;
        let size = msg.wire_size();
        let why = if self.net.blocks(from, to) {
            Some(DropReason::Partition)
        } else if self.slots[to.index()].node.is_none() {
            Some(DropReason::NodeDown)
        } else {
            None
        };
        if let Some(why) = why {
            self.net.note_dropped(from, to, why);
            self.digest.event(t.0, code::DROP, to.0, id.0, size);
            if let Some(tr) = &mut self.trace {
                tr.drop(
                    t,
                    &self.slots[from.index()].name,
                    &self.slots[to.index()].name,
                    id,
                    msg.kind(),
                    why.name(),
                );
            }
            return;
        }
        self.net.note_delivered();
        self.digest.event(t.0, code::DELIVER, to.0, id.0, size);
        if let Some(tr) = &mut self.trace {
            tr.deliver(t, &self.slots[from.index()].name, &self.slots[to.index()].name, id, msg.kind(), size);
        }
        let slot = &mut self.slots[to.index()];
        let node = slot.node.as_mut().expect("checked above");
        let mut ctx = Ctx::new(to, t, &self.servers, &mut slot.rng, &mut self.out);
        node.on_message(&mut ctx, from, msg);
        self.flush(to);
    }

    /// Carries out what node `from` asked for in its last handler call.
    #[inline]
    fn flush(&mut self, from: NodeId) {
        let t = self.now;
        if !self.out.sends.is_empty() {
            let mut sends = std::mem::take(&mut self.out.sends);
            for (to, msg) in sends.drain(..) {
                self.send(t, from, to, msg);
            }
            self.out.sends = sends;
        }
        if !self.out.timers.is_empty() {
            let slot = &mut self.slots[from.index()];
            for (timer, after) in self.out.timers.drain(..) {
                let i = timer.0 as usize;
                if slot.timers.len() <= i {
                    slot.timers.resize(i + 1, 0);
                }
                slot.timers[i] = slot.timers[i].wrapping_add(1);
                if let Some(after) = after {
                    self.queue
                        .push(t + after, Event::Timer { node: from, timer, generation: slot.timers[i] });
                }
            }
        }
        if !self.out.observations.is_empty() {
            let mut obs = std::mem::take(&mut self.out.observations);
            for o in obs.drain(..) {
                self.observe(from, o);
            }
            self.out.observations = obs;
        }
        self.out.disk.clear();
        self.out.crash = false;
    }

    #[inline]
    fn send(&mut self, t: SimTime, from: NodeId, to: NodeId, msg: N::Msg) {
        let id = MsgId(self.next_msg);
        self.next_msg += 1;
        let size = msg.wire_size();
        let route = self.net.route(t, from, to, size);
        self.digest.event(t.0, code::SEND, from.0, id.0, size);
        match route {
            Route::Drop(why) => {
                self.digest.word(((to.0 as u64) << 8) | why as u64);
                if let Some(tr) = &mut self.trace {
                    let (f, d) = (&self.slots[from.index()].name, &self.slots[to.index()].name);
                    tr.send(t, f, d, id, msg.kind(), size, why.name(), None);
                }
            }
            Route::Deliver { at, duplicate, reordered } => {
                self.digest.word(((to.0 as u64) << 8) | 0xFF);
                self.digest.word(at.0);
                if let Some(tr) = &mut self.trace {
                    let (f, d) = (&self.slots[from.index()].name, &self.slots[to.index()].name);
                    let fate = if reordered { "reorder" } else { "deliver" };
                    tr.send(t, f, d, id, msg.kind(), size, fate, Some(at));
                    if let Some(dup) = duplicate {
                        tr.send(t, f, d, id, msg.kind(), size, "duplicate", Some(dup));
                    }
                }
                if let Some(dup) = duplicate {
                    self.digest.word(dup.0);
                    self.queue.push(dup, Event::Deliver { from, to, id, msg: msg.clone() });
                }
                self.queue.push(at, Event::Deliver { from, to, id, msg });
            }
        }
    }

    fn observe(&mut self, node: NodeId, obs: Observation) {
        let t = self.now;
        self.digest.event(t.0, code::OBSERVE, node.0, obs.code() as u64, 0);
        if let Observation::Role { role, term } = obs {
            self.slots[node.index()].role = (role, term);
        }
        if let Some(tr) = &mut self.trace {
            tr.observation(t, &self.slots[node.index()].name, &obs);
        }
        for o in &mut self.observers {
            if let Err(detail) = o.observe(t, node, &obs) {
                if self.halted.is_none() {
                    self.halted = Some(Halt {
                        at: t,
                        node: self.slots[node.index()].name.clone(),
                        check: o.name().to_string(),
                        detail,
                    });
                }
            }
        }
    }

    fn apply_fault(&mut self, action: usize) {
        let t = self.now;
        self.counts.faults += 1;
        let a = self.schedule.actions[action].clone();
        self.digest.event(t.0, code::FAULT, 0, action as u64, a.entry as u32);
        let fault = self.schedule.fault(&a).clone();
        let (name, detail, nodes) = match a.phase {
            Phase::Revert => {
                if let Some(cut) = self.fault_cuts[a.entry].take() {
                    self.net.partitions_mut().remove(cut);
                }
                self.close_window(a.entry, t);
                (format!("end of {}", fault.name()), format!("faults[{}] ends", a.entry), Vec::new())
            }
            Phase::Start => {
                let mut rng = self.fault_rng.clone();
                let resolved = fault::resolve::fault(&fault, &View(self), &mut rng);
                self.fault_rng = rng;
                match resolved {
                    Resolved::Cut(cut) => {
                        let names = |n: NodeId| self.slots[n.index()].name.clone();
                        let detail = fault::resolve::describe_cut(&cut, names);
                        let mut nodes: Vec<NodeId> =
                            cut.blocked_pairs().into_iter().flat_map(|(a, b)| [a, b]).collect();
                        nodes.sort();
                        nodes.dedup();
                        let nodes: Vec<String> =
                            nodes.iter().map(|&n| self.slots[n.index()].name.clone()).collect();
                        let id = self.net.partitions_mut().add(cut);
                        self.fault_cuts[a.entry] = Some(id);
                        self.fault_log.push(FaultRecord {
                            entry: a.entry,
                            fault: fault.name().to_string(),
                            detail: detail.clone(),
                            start: t,
                            end: None,
                            nodes: nodes.clone(),
                        });
                        (fault.name().to_string(), detail, nodes)
                    }
                    Resolved::Heal => {
                        self.net.partitions_mut().heal();
                        for c in &mut self.fault_cuts {
                            *c = None;
                        }
                        for r in &mut self.fault_log {
                            if r.end.is_none() && is_partition(&r.fault) {
                                r.end = Some(t);
                            }
                        }
                        ("heal".to_string(), "every partition lifted".to_string(), Vec::new())
                    }
                }
            }
        };
        let _ = nodes;
        self.digest.bytes(detail.as_bytes());
        if let Some(tr) = &mut self.trace {
            tr.fault(t, &name, &detail);
        }
    }

    fn close_window(&mut self, entry: usize, t: SimTime) {
        if let Some(r) = self.fault_log.iter_mut().rev().find(|r| r.entry == entry && r.end.is_none()) {
            r.end = Some(t);
        }
    }
}

fn is_partition(name: &str) -> bool {
    matches!(name, "partition" | "partition_oneway" | "isolate")
}

/// The cluster as the fault resolver sees it.
struct View<'a, N: Node>(&'a World<N>);

impl<N: Node> ClusterView for View<'_, N> {
    fn servers(&self) -> &[NodeId] {
        &self.0.servers
    }
    fn clients(&self) -> &[NodeId] {
        &self.0.clients
    }
    fn role(&self, node: NodeId) -> (Role, Term) {
        self.0.slots[node.index()].role
    }
    fn is_up(&self, node: NodeId) -> bool {
        self.0.slots[node.index()].node.is_some()
    }
}

impl<N: Node> fmt::Debug for World<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World").field("now", &self.now).field("events", &self.counts.total).finish()
    }
}
