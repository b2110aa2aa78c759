//! The Multi-Paxos server: its state (acceptor, learner, proposer), the handlers the kernel
//! calls, role changes, and the persistence pipeline that makes "persist before answering"
//! real.
//!
//! # Persistence before answering (*Paxos Made Simple* §2.3)
//!
//! Every change to the promise, the acceptances or the decided prefix is written to the
//! WAL as it happens; at the end of each handler one fsync covers everything the handler
//! wrote (group commit). Promises and Accepted acknowledgements (and a proposer's Prepare,
//! which carries its self-promise and so its claim on the ballot) are *held* until the fsync
//! covering the latest write completes. A leader counts its own acceptance of a proposal
//! only once that acceptance is durable, while its Accept messages go out in parallel.
//!
//! `DiskEvent::SyncFailed` ⇒ the server crashes itself: after a failed fsync no write since
//! the last good one can be trusted (see `raft/node.rs` for the "fsyncgate" reasoning).

use crate::bugs::NamedBugs;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use crate::host::{Host, Inbound};
use crate::kv::{ClientReply, ClientRequest, KvStore};
use crate::replica::chunk::Chunk;
use crate::replica::log::ReplicaLog;
use crate::replica::{Pipeline, RecoveryError, Status, SyncKind, SyncToken, random_timeout};
use eightfold_sim::sim::{
    Ctx, DiskEvent, DiskOp, LogIndex, Node, NodeId, Observation, Role, SimTime, StorageView, Term, Timer,
    TimerId,
};

use super::ballot::{Ballot, Round};
use super::bugs::PaxosBugs;
use super::config::PaxosConfig;
use super::learner::{Incoming, Request, SnapJob};
use super::msg::PaxosMsg;
use super::proposer::{Campaign, LeaderState};
use super::storage::{self, AcceptedValue, Snapshot, WAL};

/// The kernel message type a Paxos server is embedded in: it must carry Paxos messages,
/// client requests and client replies. Implemented for every such type.
pub trait PaxosHost: Host<PaxosMsg> {}
impl<M: Host<PaxosMsg>> PaxosHost for M {}

/// The timers of a Multi-Paxos server.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum PaxosTimer {
    /// No leader heard from (followers), phase 1 unanswered (candidates), leadership not
    /// established in time (a new leader).
    Election,
    /// The leader's heartbeat interval (heartbeats and retransmissions).
    Heartbeat,
    /// The leader's check-quorum interval (when `check_quorum` is on).
    Quorum,
}

impl Timer for PaxosTimer {
    const ALL: &'static [Self] = &[PaxosTimer::Election, PaxosTimer::Heartbeat, PaxosTimer::Quorum];
    fn id(self) -> TimerId {
        TimerId(match self {
            PaxosTimer::Election => 1,
            PaxosTimer::Heartbeat => 2,
            PaxosTimer::Quorum => 3,
        })
    }
}

/// A Multi-Paxos server, embedded in the kernel message type `M`.
///
/// Every server plays the three roles of *Paxos Made Simple*: acceptor (the durable
/// promise and acceptances), learner (the decided prefix, applied to the key-value store)
/// and proposer (phase 1 once per leadership, then phase 2 per slot). Build it with
/// [`PaxosNode::recover`] and drive it through its [`Node`] implementation (or, by hand,
/// [`PaxosNode::on_peer`] and [`PaxosNode::on_client`]).
pub struct PaxosNode<M> {
    pub(super) id: NodeId,
    pub(super) cfg: PaxosConfig,
    pub(super) status: Status,
    /// Every server, in id order (from the first context seen).
    pub(super) servers: Vec<NodeId>,
    // Acceptor (persistent).
    /// The highest ballot promised.
    pub(super) promised: Ballot,
    /// The highest promise written to the WAL (below `promised` only with the
    /// `forget_promise` bug).
    pub(super) written_promise: Ballot,
    /// Acceptances above the decided prefix.
    pub(super) accepted: BTreeMap<LogIndex, AcceptedValue>,
    // Learner (persistent decided prefix; the store is rebuilt from it).
    /// The decided values after the snapshot, in slot order.
    pub(super) decided: ReplicaLog,
    pub(super) applied: LogIndex,
    pub(super) kv: KvStore,
    /// The highest decided slot a peer reported, and who reported it (the catch-up goal).
    pub(super) commit_hint: (LogIndex, Option<NodeId>),
    /// The catch-up request (Fetch or FetchChunk) outstanding, if any.
    pub(super) fetching: Option<Request>,
    /// A peer's snapshot being received, chunk by chunk.
    pub(super) incoming: Option<Incoming>,
    /// When a snapshot transfer to each peer last started.
    pub(super) snap_sent: BTreeMap<NodeId, SimTime>,
    /// The snapshot each peer is being sent, pinned so a compaction during the transfer
    /// does not pull it from under the remaining chunks, and when a chunk of it last went
    /// out.
    pub(super) serving: BTreeMap<NodeId, (Snapshot, SimTime)>,
    /// The latest durable snapshot.
    pub(super) snapshot: Option<Snapshot>,
    pub(super) snap_job: Option<SnapJob>,
    // Proposer (volatile).
    pub(super) role: Role,
    pub(super) announced: Option<(Role, eightfold_sim::sim::Term)>,
    /// The leader this server believes in, if any (a hint for clients).
    pub(super) leader: Option<NodeId>,
    /// The highest round seen in any ballot: a new ballot is drawn above it.
    pub(super) max_round: Round,
    pub(super) campaign: Option<Campaign>,
    pub(super) lead: Option<Box<LeaderState>>,
    /// The WAL's group commit, holding answers until what they promise is durable, and the
    /// fsyncs in flight.
    pub(super) disk: Pipeline<PaxosMsg>,
    /// What the WAL needs at start: cut a torn tail, or a rewrite after an interrupted
    /// compaction.
    startup_repair: Option<DiskOp>,
    _msg: PhantomData<fn(M)>,
}

impl<M> std::fmt::Debug for PaxosNode<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaxosNode")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("promised", &self.promised)
            .field("decided", &self.decided.last_index())
            .field("accepted", &self.accepted.len())
            .field("leader", &self.leader)
            .finish_non_exhaustive()
    }
}

/// An operator's command to a Paxos server: the server's [`Node::Admin`] type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaxosAdmin {
    /// A build deployed mid-run: switch on the bugs `on` names, then off those `off` names
    /// (a `bug` fault).
    Bugs {
        /// Bugs to switch on.
        on: PaxosBugs,
        /// Bugs to switch off.
        off: PaxosBugs,
    },
}

/// The kernel drives a Paxos server through this (the runner's node enum delegates to it);
/// a message is opened with [`Host::open`] into a peer's [`PaxosMsg`]
/// ([`PaxosNode::on_peer`]) or a client's request ([`PaxosNode::on_client`]). The one
/// operator command a Paxos server takes is a build deployed mid-run ([`PaxosAdmin`]).
impl<M: PaxosHost> Node for PaxosNode<M> {
    type Msg = M;
    type Timer = PaxosTimer;
    type Admin = PaxosAdmin;

    fn on_start(&mut self, ctx: &mut Ctx<'_, M>) {
        self.start(ctx);
    }

    fn on_admin(&mut self, _ctx: &mut Ctx<'_, M>, cmd: &PaxosAdmin) {
        match cmd {
            PaxosAdmin::Bugs { on, off } => self.cfg.bugs.switch(on, off),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: M) {
        match msg.open() {
            Some(Inbound::Peer(m)) => self.on_peer(ctx, from, m),
            Some(Inbound::Client(r)) => self.on_client(ctx, from, r),
            None => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, M>, timer: PaxosTimer) {
        if !self.running() {
            return;
        }
        match timer {
            PaxosTimer::Election => self.election_timeout(ctx),
            PaxosTimer::Heartbeat => self.heartbeat_tick(ctx),
            PaxosTimer::Quorum => self.check_quorum(ctx),
        }
        self.flush(ctx);
    }

    /// An fsync completed or failed.
    fn on_disk(&mut self, ctx: &mut Ctx<'_, M>, event: DiskEvent) {
        if !self.running() {
            return;
        }
        match event {
            DiskEvent::Synced { token } => self.synced(ctx, token),
            DiskEvent::SyncFailed { .. } => return self.status.halt(ctx),
        }
        self.flush(ctx);
    }
}

impl<M: PaxosHost> PaxosNode<M> {
    /// Builds server `id` from what survived on its disk. A fresh disk gives a fresh server;
    /// a disk whose durable records are damaged gives a server that refuses to run (it
    /// announces `Observation::Rejected { reason: "disk-corrupt" }` at start and then stays
    /// silent), because an acceptor that forgot a promise can let two values be chosen.
    pub fn recover(id: NodeId, config: PaxosConfig, storage: &dyn StorageView) -> Self {
        let mut node = PaxosNode {
            id,
            cfg: config,
            status: Status::Running,
            servers: Vec::new(),
            promised: Ballot::ZERO,
            written_promise: Ballot::ZERO,
            accepted: BTreeMap::new(),
            decided: ReplicaLog::default(),
            applied: LogIndex(0),
            kv: KvStore::new(),
            commit_hint: (LogIndex(0), None),
            fetching: None,
            incoming: None,
            snap_sent: BTreeMap::new(),
            serving: BTreeMap::new(),
            snapshot: None,
            snap_job: None,
            role: Role::Follower,
            announced: None,
            leader: None,
            max_round: Round(0),
            campaign: None,
            lead: None,
            disk: Pipeline::default(),
            startup_repair: None,
            _msg: PhantomData,
        };
        match storage::recover(storage) {
            Ok(r) => {
                node.promised = r.promised;
                node.written_promise = r.promised;
                node.max_round = r.promised.round;
                node.accepted = r.accepted;
                node.decided = r.decided;
                node.kv = r.kv;
                node.applied = node.decided.base().index;
                node.disk.recovered(node.decided.last_index());
                node.snapshot = r.snapshot;
                node.startup_repair = if r.rewrite_wal {
                    let data = storage::rewritten_wal(&node.decided, node.promised, &node.accepted);
                    Some(DiskOp::Replace { file: WAL, data })
                } else {
                    r.truncate_wal_to.map(|len| DiskOp::Truncate { file: WAL, len })
                };
            }
            Err(e) => node.status = Status::Refused(e),
        }
        node
    }

    /// This server's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The role: `Leader` once its leadership is established (its first own value and
    /// everything below it decided), `Candidate` during phase 1 and until then.
    pub fn role(&self) -> Role {
        match (&self.lead, self.role) {
            (Some(l), Role::Leader) if !l.established => Role::Candidate,
            _ => self.role,
        }
    }

    /// The highest ballot this acceptor promised.
    pub fn promised(&self) -> Ballot {
        self.promised
    }

    /// The ballot this server leads with, if it completed phase 1.
    pub fn leading(&self) -> Option<Ballot> {
        self.lead.as_ref().map(|l| l.ballot)
    }

    /// The named bugs its build has now (from its configuration, or deployed mid-run).
    pub fn bugs(&self) -> PaxosBugs {
        self.cfg.bugs
    }

    /// The leader this server believes in, if any.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The end of the decided prefix (the commit index).
    pub fn commit_index(&self) -> LogIndex {
        self.decided.last_index()
    }

    /// The last applied slot.
    pub fn applied_index(&self) -> LogIndex {
        self.applied
    }

    /// The decided value at `slot`, if held (compacted slots are not).
    pub fn decided_at(&self, slot: LogIndex) -> Option<&crate::replica::Entry> {
        self.decided.entry(slot)
    }

    /// The prefix hash of the decided prefix ending at `slot`, if known.
    pub fn chain_at(&self, slot: LogIndex) -> Option<u64> {
        self.decided.chain_at(slot)
    }

    /// What this acceptor accepted above its decided prefix.
    pub fn acceptances(&self) -> &BTreeMap<LogIndex, AcceptedValue> {
        &self.accepted
    }

    /// The replicated state machine.
    pub fn store(&self) -> &KvStore {
        &self.kv
    }

    /// Decided values held in memory (bounded by compaction).
    pub fn log_len(&self) -> usize {
        self.decided.len()
    }

    /// The last slot covered by the latest durable snapshot (0 before the first).
    pub fn snapshot_index(&self) -> LogIndex {
        self.snapshot.as_ref().map_or(LogIndex(0), |(base, _)| base.index)
    }

    /// Why this server refuses to run, if it does.
    pub fn refused(&self) -> Option<&RecoveryError> {
        self.status.refused()
    }

    fn running(&self) -> bool {
        self.status.running()
    }

    /// Boot (also after every restart): repair the WAL, announce the recovered state,
    /// re-apply the decided prefix, arm the election timer.
    fn start(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.status.boot(ctx) {
            return;
        }
        self.servers = ctx.servers().to_vec();
        self.disk.boot(ctx);
        if let Some(op) = self.startup_repair.take() {
            self.wal_write(ctx, op);
        }
        self.announce_role(ctx);
        self.announce_promise(ctx);
        let base = self.decided.base();
        if self.snapshot.is_some() {
            ctx.observe(Observation::Snapshot { index: base.index, term: base.term });
        }
        let mut i = base.index.next();
        while let Some(e) = self.decided.entry(i) {
            let chain = self.decided.chain_at(i).unwrap_or(0);
            ctx.observe(Observation::Appended { index: i, term: e.term, chain });
            i = i.next();
        }
        if self.decided.last_index() > base.index {
            ctx.observe(Observation::Committed { index: self.decided.last_index() });
        }
        // The acceptances recovered above the decided prefix, one announcement per run of
        // consecutive slots accepted in the same round.
        let mut run: Option<(LogIndex, LogIndex, Term)> = None;
        for (&slot, a) in &self.accepted {
            match run {
                Some((first, last, term)) if slot == last.next() && term == a.ballot.term() => {
                    run = Some((first, slot, term));
                }
                _ => {
                    if let Some((first, last, term)) = run {
                        ctx.observe(Observation::Accepted { first, last, term });
                    }
                    run = Some((slot, slot, a.ballot.term()));
                }
            }
        }
        if let Some((first, last, term)) = run {
            ctx.observe(Observation::Accepted { first, last, term });
        }
        self.apply_decided(ctx);
        self.reset_election_timer(ctx);
        self.flush(ctx);
    }

    /// A Paxos message from another server.
    pub fn on_peer(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: PaxosMsg) {
        if !self.running() || from == self.id {
            return;
        }
        if !msg.plausible() {
            ctx.observe(Observation::Rejected { reason: "implausible".into() });
            return;
        }
        match msg {
            PaxosMsg::Prepare { ballot, from: slot } if ballot.node == from => {
                self.on_prepare(ctx, from, ballot, slot)
            }
            PaxosMsg::Promise { ballot, decided, accepted } => {
                self.on_promise(ctx, from, ballot, decided, accepted)
            }
            PaxosMsg::Accept { ballot, first, entries, commit } if ballot.node == from => {
                self.on_accept(ctx, from, ballot, first, entries, commit)
            }
            PaxosMsg::Accepted { ballot, first, count } => self.on_accepted(ctx, from, ballot, first, count),
            PaxosMsg::Nack { promised } => self.on_nack(ctx, promised),
            PaxosMsg::Heartbeat { ballot, commit } if ballot.node == from => {
                self.on_heartbeat(ctx, from, ballot, commit)
            }
            PaxosMsg::HeartbeatAck { ballot } => self.on_heartbeat_ack(from, ballot),
            PaxosMsg::Fetch { from: slot } => self.on_fetch(ctx, from, slot),
            PaxosMsg::Learn { first, entries, decided } => self.on_learn(ctx, from, first, entries, decided),
            PaxosMsg::Snapshot { base, offset, done, data } => {
                self.on_snapshot(ctx, from, base, Chunk { offset, done, data })
            }
            PaxosMsg::FetchChunk { index, offset } => self.on_fetch_chunk(ctx, from, index, offset),
            // Phase 1a, 2a and heartbeats come from the ballot's own proposer; anything else
            // is forged or misrouted.
            _ => ctx.observe(Observation::Rejected { reason: "implausible".into() }),
        }
        self.flush(ctx);
    }

    /// A client request.
    pub fn on_client(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, req: ClientRequest) {
        if !self.running() {
            return;
        }
        self.handle_client(ctx, from, req);
        self.flush(ctx);
    }

    // ---- persistence pipeline ----

    /// Queues a WAL write; the fsync covering it is requested at the end of the handler.
    pub(super) fn wal_write(&mut self, ctx: &mut Ctx<'_, M>, op: DiskOp) {
        self.disk.write(ctx, op);
    }

    /// Sends a message once everything written so far is durable.
    pub(super) fn send_durable(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: PaxosMsg) {
        if let Some(msg) = self.disk.hold(to, msg) {
            ctx.send(to, M::from(msg));
        }
    }

    /// Sends a message now.
    pub(super) fn send_now(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: PaxosMsg) {
        ctx.send(to, M::from(msg));
    }

    /// Answers a client.
    pub(super) fn reply(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, reply: ClientReply) {
        ctx.send(to, M::from(reply));
    }

    /// End of every handler: one fsync for everything written, then the proposals made
    /// during the handler go out in batches.
    fn flush(&mut self, ctx: &mut Ctx<'_, M>) {
        self.disk.flush(ctx, WAL, self.decided.last_index());
        self.send_fresh_proposals(ctx);
    }

    fn synced(&mut self, ctx: &mut Ctx<'_, M>, token: u64) {
        match self.disk.complete(SyncToken(token), self.decided.last_index()) {
            None => {}
            Some(SyncKind::Snapshot) => self.snapshot_durable(ctx),
            Some(SyncKind::Wal { .. }) => {
                self.release_held(ctx);
                self.wal_synced(ctx);
            }
        }
    }

    fn release_held(&mut self, ctx: &mut Ctx<'_, M>) {
        while let Some((to, msg)) = self.disk.release() {
            // A Prepare for a ballot this server no longer campaigns with is pointless.
            let stale = matches!(&msg, PaxosMsg::Prepare { ballot, .. }
                if self.campaign.as_ref().is_none_or(|c| c.ballot != *ballot));
            if !stale {
                ctx.send(to, M::from(msg));
            }
        }
    }

    /// Reactions to newly durable WAL content.
    fn wal_synced(&mut self, ctx: &mut Ctx<'_, M>) {
        if let Some(job) = &self.snap_job
            && job.rewrite_done(self.disk.synced())
        {
            self.snap_job = None;
        }
        if self.campaign.is_some() {
            self.check_phase1(ctx);
        }
        if self.lead.is_some() {
            self.self_accepted(ctx);
        }
    }

    // ---- roles ----

    /// The majority of the servers.
    pub(super) fn quorum(&self) -> usize {
        self.servers.len() / 2 + 1
    }

    /// The other servers.
    pub(super) fn peers(&self) -> Vec<NodeId> {
        self.servers.iter().copied().filter(|&s| s != self.id).collect()
    }

    /// Announces the role and term if either changed. The term is the round of the promised
    /// ballot (a proposer promises its own ballot first, so while it campaigns or leads it
    /// is that ballot's round).
    pub(super) fn announce_role(&mut self, ctx: &mut Ctx<'_, M>) {
        let now = (self.role(), self.promised.term());
        if self.announced != Some(now) {
            self.announced = Some(now);
            ctx.observe(Observation::Role { role: now.0, term: now.1 });
        }
    }

    /// Announces the promise (a view for the report: see [`Observation::Promised`]); called
    /// where it rises and at every start, never per message.
    fn announce_promise(&self, ctx: &mut Ctx<'_, M>) {
        let Ballot { round, node } = self.promised;
        ctx.observe(Observation::Promised { round: Term(round.0), proposer: node });
    }

    /// This acceptor promises `ballot` (higher than its promise): it is written to the WAL
    /// (except, with the `forget_promise` bug, a promise to another proposer), and a
    /// proposer with a lower ballot gives up.
    pub(super) fn raise_promise(&mut self, ctx: &mut Ctx<'_, M>, ballot: Ballot) {
        debug_assert!(ballot > self.promised);
        self.max_round = self.max_round.max(ballot.round);
        self.promised = ballot;
        self.announce_promise(ctx);
        if !(self.cfg.bugs.forget_promise && ballot.node != self.id) {
            self.written_promise = ballot;
            let data = storage::promise_record(ballot);
            self.wal_write(ctx, DiskOp::Append { file: WAL, data });
        }
        let mine = self.campaign.as_ref().map(|c| c.ballot).or(self.lead.as_ref().map(|l| l.ballot));
        if mine.is_some_and(|b| b < ballot) {
            self.step_down(ctx, None);
        }
        self.announce_role(ctx);
    }

    /// Gives up campaigning or leading and follows. Clients waiting on this leader learn
    /// that their fate is unknown: their values may still be chosen by a later leader.
    pub(super) fn step_down(&mut self, ctx: &mut Ctx<'_, M>, leader: Option<NodeId>) {
        self.campaign = None;
        if let Some(lead) = self.lead.take() {
            ctx.cancel_timer(PaxosTimer::Heartbeat);
            ctx.cancel_timer(PaxosTimer::Quorum);
            for (_, w) in lead.pending {
                self.reply(ctx, w.to, ClientReply::Unknown { seq: w.seq });
            }
        }
        self.role = Role::Follower;
        self.leader = leader;
        self.reset_election_timer(ctx);
        self.announce_role(ctx);
    }

    /// Arms the election timer with a fresh random timeout in `[min, max]`.
    pub(super) fn reset_election_timer(&mut self, ctx: &mut Ctx<'_, M>) {
        let after = random_timeout(ctx, self.cfg.election_timeout_min, self.cfg.election_timeout_max);
        ctx.set_timer(PaxosTimer::Election, after);
    }
}
