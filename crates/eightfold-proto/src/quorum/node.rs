//! The quorum-store server: its replica state, the handlers the kernel calls, and the
//! persistence pipeline (a replica acknowledges a write, answers a read and accepts a
//! handoff only once everything it wrote before is durable).

use std::collections::{BTreeMap, VecDeque};
use std::marker::PhantomData;

use crate::host::{Host, Inbound};
use crate::kv::{ClientReply, ClientRequest, Key};
use crate::replica::{Pipeline, RecoveryError, Status, SyncToken};
use eightfold_sim::sim::digest::mix64;
use eightfold_sim::sim::rng::Draw;
use eightfold_sim::sim::{
    Ctx, DiskEvent, DiskOp, LogIndex, Never, Node, NodeId, Observation, Role, SimTime, StorageView, Term,
    Timer, TimerId, VersionStamp,
};

use super::config::QuorumConfig;
use super::coordinator::Op;
use super::msg::{QuorumMsg, Version, Versioned};
use super::storage::{self, WAL, keep_newer};

/// The kernel message type a quorum-store server is embedded in: it must carry quorum
/// messages, client requests and client replies. Implemented for every such type.
pub trait QuorumHost: Host<QuorumMsg> {}
impl<M: Host<QuorumMsg>> QuorumHost for M {}

/// The timers of a quorum-store server.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum QuorumTimer {
    /// The earliest coordinator deadline (a request timeout, or a sloppy quorum's fallback
    /// time).
    Op,
    /// Retry handing hinted values back to their replicas.
    Handoff,
}

impl Timer for QuorumTimer {
    const ALL: &'static [Self] = &[QuorumTimer::Op, QuorumTimer::Handoff];
    fn id(self) -> TimerId {
        TimerId(match self {
            QuorumTimer::Op => 1,
            QuorumTimer::Handoff => 2,
        })
    }
}

/// Hinted values handed back per replica per handoff round.
const HANDOFF_BATCH: usize = 64;

/// A quorum-store server, embedded in the kernel message type `M`: a replica of the keys
/// whose preference lists name it, and a coordinator for any client request it receives.
///
/// Build it with [`QuorumNode::recover`] and drive it through its [`Node`] implementation
/// (or, by hand, [`QuorumNode::on_peer`] and [`QuorumNode::on_client`]).
pub struct QuorumNode<M> {
    pub(super) id: NodeId,
    pub(super) cfg: QuorumConfig,
    status: Status,
    /// Every server, in id order (from the first context seen).
    pub(super) servers: Vec<NodeId>,
    // Replica (persistent).
    /// The newest value of every key stored here.
    pub(super) store: BTreeMap<Key, Versioned>,
    /// Values held for another replica: (intended, key) → value.
    pub(super) hints: BTreeMap<(NodeId, Key), Versioned>,
    /// Records in the WAL.
    records: usize,
    /// The WAL's group commit, holding answers until what they promise is durable.
    disk: Pipeline<QuorumMsg>,
    /// Messages this server sends itself (it coordinates for keys it also stores).
    loopback: VecDeque<QuorumMsg>,
    // Coordinator (volatile).
    pub(super) ops: BTreeMap<u64, Op>,
    /// Coordinator wake-ups: (time, request id).
    pub(super) wakeups: std::collections::BTreeSet<(SimTime, u64)>,
    armed: Option<SimTime>,
    next_rid: u64,
    last_stamp: u64,
    handoff_armed: bool,
    startup_repair: Option<DiskOp>,
    _msg: PhantomData<fn(M)>,
}

impl<M> std::fmt::Debug for QuorumNode<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuorumNode")
            .field("id", &self.id)
            .field("keys", &self.store.len())
            .field("hints", &self.hints.len())
            .field("ops", &self.ops.len())
            .finish_non_exhaustive()
    }
}

/// The kernel drives a quorum-store server through this (the runner's node enum delegates
/// to it); a message is opened with [`Host::open`] into a peer's [`QuorumMsg`]
/// ([`QuorumNode::on_peer`]) or a client's request ([`QuorumNode::on_client`]). A
/// quorum-store server takes no operator commands.
impl<M: QuorumHost> Node for QuorumNode<M> {
    type Msg = M;
    type Timer = QuorumTimer;
    type Admin = Never;

    fn on_start(&mut self, ctx: &mut Ctx<'_, M>) {
        self.start(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: M) {
        match msg.open() {
            Some(Inbound::Peer(m)) => self.on_peer(ctx, from, m),
            Some(Inbound::Client(r)) => self.on_client(ctx, from, r),
            None => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, M>, timer: QuorumTimer) {
        if !self.running() {
            return;
        }
        match timer {
            QuorumTimer::Op => {
                self.armed = None;
                self.wake(ctx);
            }
            QuorumTimer::Handoff => {
                self.handoff_armed = false;
                self.hand_off(ctx);
            }
        }
        self.flush(ctx);
    }

    /// An fsync completed or failed.
    fn on_disk(&mut self, ctx: &mut Ctx<'_, M>, event: DiskEvent) {
        if !self.running() {
            return;
        }
        match event {
            DiskEvent::Synced { token } => {
                self.disk.synced_upto(SyncToken(token));
                while let Some((to, msg)) = self.disk.release() {
                    self.send(ctx, to, msg);
                }
            }
            DiskEvent::SyncFailed { .. } => return self.status.halt(ctx),
        }
        self.flush(ctx);
    }
}

impl<M: QuorumHost> QuorumNode<M> {
    /// Builds server `id` from what survived on its disk (a damaged disk gives a server
    /// that refuses to run: it announces `Rejected { reason: "disk-corrupt" }` and stays
    /// silent).
    pub fn recover(id: NodeId, config: QuorumConfig, storage: &dyn StorageView) -> Self {
        let mut node = QuorumNode {
            id,
            cfg: config,
            status: Status::Running,
            servers: Vec::new(),
            store: BTreeMap::new(),
            hints: BTreeMap::new(),
            records: 0,
            disk: Pipeline::default(),
            loopback: VecDeque::new(),
            ops: BTreeMap::new(),
            wakeups: std::collections::BTreeSet::new(),
            armed: None,
            next_rid: 1,
            last_stamp: 0,
            handoff_armed: false,
            startup_repair: None,
            _msg: PhantomData,
        };
        match storage::recover(storage) {
            Ok(r) => {
                node.store = r.store;
                node.hints = r.hints;
                node.records = r.records;
                node.startup_repair = r.truncate_wal_to.map(|len| DiskOp::Truncate { file: WAL, len });
            }
            Err(e) => node.status = Status::Refused(e),
        }
        node
    }

    /// This server's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The value this replica holds for `key`, if any.
    pub fn held(&self, key: Key) -> Option<&Versioned> {
        self.store.get(&key)
    }

    /// Hinted values waiting to be handed back: (intended replica, key) → value.
    pub fn hints(&self) -> &BTreeMap<(NodeId, Key), Versioned> {
        &self.hints
    }

    /// The key's preference list: its `n` replicas first, then the fallbacks, in ring
    /// order (empty before the server started).
    pub fn preference_list(&self, key: Key) -> Vec<NodeId> {
        self.ring(key).collect()
    }

    /// Client requests being coordinated.
    pub fn ops_in_flight(&self) -> usize {
        self.ops.len()
    }

    /// Why this server refuses to run, if it does.
    pub fn refused(&self) -> Option<&RecoveryError> {
        self.status.refused()
    }

    fn running(&self) -> bool {
        self.status.running()
    }

    /// Boot (also after every restart): repair the WAL, announce the (role-less) role,
    /// resume handing off hints.
    fn start(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.status.boot(ctx) {
            return;
        }
        self.servers = ctx.servers().to_vec();
        // Ids of a previous incarnation's tokens and requests must never match ours.
        self.disk.boot(ctx);
        self.next_rid = (ctx.rng().word() >> 2) | 1;
        ctx.observe(Observation::Role { role: Role::Peer, term: Term(0) });
        // What it recovered, for the report (views: once per start, not per message).
        for (&key, v) in &self.store {
            ctx.observe(Observation::Stored { key: key.into(), version: stamp(v.version) });
        }
        for (&(intended, key), v) in &self.hints {
            ctx.observe(Observation::Hinted { intended, key: key.into(), version: Some(stamp(v.version)) });
        }
        if let Some(op) = self.startup_repair.take() {
            self.wal_write(ctx, op);
        }
        self.arm_handoff(ctx);
        self.flush(ctx);
    }

    /// A message from another server.
    pub fn on_peer(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: QuorumMsg) {
        if !self.running() {
            return;
        }
        self.handle_peer(ctx, from, msg);
        self.flush(ctx);
    }

    /// A client request: this server coordinates it.
    pub fn on_client(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, req: ClientRequest) {
        if !self.running() {
            return;
        }
        self.coordinate(ctx, from, req);
        self.flush(ctx);
    }

    fn handle_peer(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: QuorumMsg) {
        match msg {
            QuorumMsg::Read { rid, key } => {
                let value = self.store.get(&key).cloned();
                self.send_durable(ctx, from, QuorumMsg::ReadReply { rid, value });
            }
            QuorumMsg::Write { rid, key, value, hint } => {
                self.replica_write(ctx, key, value, hint.filter(|&h| h != self.id));
                if rid != 0 {
                    self.send_durable(ctx, from, QuorumMsg::WriteAck { rid });
                }
            }
            QuorumMsg::Handoff { key, value } => {
                let version = value.version;
                self.replica_write(ctx, key, value, None);
                self.send_durable(ctx, from, QuorumMsg::HandoffAck { key, version });
            }
            QuorumMsg::HandoffAck { key, version } => {
                if self.hints.get(&(from, key)).is_some_and(|h| h.version <= version) {
                    self.hints.remove(&(from, key));
                    ctx.observe(Observation::Hinted { intended: from, key: key.into(), version: None });
                    self.log(ctx, storage::handed_record(from, key, version));
                }
            }
            QuorumMsg::ReadReply { rid, value } => self.on_read_reply(ctx, from, rid, value),
            QuorumMsg::WriteAck { rid } => self.on_write_ack(ctx, from, rid),
        }
    }

    /// Stores `value` if it is newer than what this replica holds (and, standing in for
    /// `hint`, remembers to hand it back).
    fn replica_write(&mut self, ctx: &mut Ctx<'_, M>, key: Key, value: Versioned, hint: Option<NodeId>) {
        if let Some(h) = hint
            && self.servers.contains(&h)
            && keep_newer(&mut self.hints, (h, key), value.clone())
        {
            ctx.observe(Observation::Hinted {
                intended: h,
                key: key.into(),
                version: Some(stamp(value.version)),
            });
            self.log(ctx, storage::hint_record(h, key, &value));
            self.arm_handoff(ctx);
        }
        if keep_newer(&mut self.store, key, value.clone()) {
            ctx.observe(Observation::Stored { key: key.into(), version: stamp(value.version) });
            self.log(ctx, storage::put_record(key, &value));
        }
    }

    /// Hands hinted values back to the replicas they were meant for.
    fn hand_off(&mut self, ctx: &mut Ctx<'_, M>) {
        let mut sent: Vec<(NodeId, usize)> = Vec::new();
        let mut out = Vec::new();
        for (&(to, key), value) in &self.hints {
            let k = match sent.iter_mut().find(|(n, _)| *n == to) {
                Some((_, k)) => k,
                None => {
                    sent.push((to, 0));
                    &mut sent.last_mut().expect("just pushed").1
                }
            };
            if *k < HANDOFF_BATCH {
                *k += 1;
                out.push((to, QuorumMsg::Handoff { key, value: value.clone() }));
            }
        }
        for (to, msg) in out {
            self.send(ctx, to, msg);
        }
        self.arm_handoff(ctx);
    }

    fn arm_handoff(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.hints.is_empty() && !self.handoff_armed {
            self.handoff_armed = true;
            ctx.set_timer(QuorumTimer::Handoff, self.cfg.handoff_interval);
        }
    }

    // ---- persistence pipeline ----

    fn wal_write(&mut self, ctx: &mut Ctx<'_, M>, op: DiskOp) {
        self.disk.write(ctx, op);
    }

    /// Appends a record to the WAL; rewrites the WAL once it holds far more records than
    /// live values.
    fn log(&mut self, ctx: &mut Ctx<'_, M>, record: Vec<u8>) {
        self.wal_write(ctx, DiskOp::Append { file: WAL, data: record });
        self.records += 1;
        let live = self.store.len() + self.hints.len();
        if self.records > 1024 + 4 * live {
            let data = storage::rewritten_wal(&self.store, &self.hints);
            self.wal_write(ctx, DiskOp::Replace { file: WAL, data });
            self.records = live;
        }
    }

    /// Sends once everything written so far is durable.
    fn send_durable(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: QuorumMsg) {
        if let Some(msg) = self.disk.hold(to, msg) {
            self.send(ctx, to, msg);
        }
    }

    /// Sends a message (to itself through the loopback queue).
    pub(super) fn send(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: QuorumMsg) {
        if to == self.id {
            self.loopback.push_back(msg);
        } else {
            ctx.send(to, M::from(msg));
        }
    }

    /// Answers a client.
    pub(super) fn reply(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, reply: ClientReply) {
        ctx.send(to, M::from(reply));
    }

    /// End of every handler: messages to itself, one fsync, the coordinator's timer.
    fn flush(&mut self, ctx: &mut Ctx<'_, M>) {
        while let Some(msg) = self.loopback.pop_front() {
            let me = self.id;
            self.handle_peer(ctx, me, msg);
        }
        self.disk.flush(ctx, WAL, LogIndex(0));
        let first = self.wakeups.first().map(|(t, _)| *t);
        if first != self.armed {
            match first {
                Some(t) => ctx.set_timer(QuorumTimer::Op, t.saturating_since(ctx.now())),
                None => ctx.cancel_timer(QuorumTimer::Op),
            }
            self.armed = first;
        }
    }

    // ---- placement and versions ----

    /// The key's preference list: every server, starting at the key's hash and going
    /// round the ring. The first `n` are its replicas; the rest are fallbacks.
    pub(super) fn ring(&self, key: Key) -> impl Iterator<Item = NodeId> + '_ {
        let s = self.servers.len().max(1);
        let start = (mix64(key as u64 ^ 0x5157_4F52_554D) % s as u64) as usize;
        (0..self.servers.len()).map(move |k| self.servers[(start + k) % s])
    }

    /// A fresh version: the local clock, strictly above every version this coordinator
    /// issued before.
    pub(super) fn next_version(&mut self, now: SimTime) -> Version {
        self.last_stamp = now.as_nanos().max(self.last_stamp + 1);
        Version { stamp: self.last_stamp, node: self.id }
    }

    /// A fresh request id.
    pub(super) fn rid(&mut self) -> u64 {
        self.next_rid = self.next_rid.wrapping_add(1).max(1);
        self.next_rid
    }
}

/// A version as the report's views carry it ([`Observation::Stored`], [`Observation::Hinted`]).
fn stamp(v: Version) -> VersionStamp {
    VersionStamp { stamp: v.stamp, node: v.node }
}
