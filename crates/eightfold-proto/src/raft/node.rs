//! The Raft server: its state (Figure 2), the handlers the kernel calls, role changes, and
//! the persistence pipeline that makes "persist before answering" real.
//!
//! # Persistence before answering (Figure 2, "Persistent state … updated on stable storage
//! before responding to RPCs")
//!
//! Every change to the term, the vote or the log is written to the WAL as it happens; at
//! the end of each handler one fsync covers everything the handler wrote (group commit).
//! Each outgoing response (and a candidate's RequestVote, which carries its self-vote) is
//! tagged with the token of the fsync covering the latest write and *held* until
//! `DiskEvent::Synced` for that token (or a later one: an fsync covers every earlier
//! write). A held response whose term is no longer the server's term is dropped on release:
//! an acknowledgement for a term the server has left could claim entries a newer leader
//! has since truncated. A leader's own log counts toward a commit only up to what is
//! durable (`persisted`), while AppendEntries go out in parallel with its own write
//! (dissertation §10.2.1). A candidate counts itself only once its self-vote is durable.
//!
//! `DiskEvent::SyncFailed` ⇒ the server crashes itself (`ctx.crash_self()`) and does
//! nothing more. After a failed fsync the kernel's page cache may have dropped the dirty
//! pages while reporting them clean (the 2018 "fsyncgate" lesson): retrying the fsync can
//! succeed without the data being on disk, so no write since the last good fsync can be
//! trusted. Restarting from what is really durable is the only safe path.

use crate::bugs::NamedBugs;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::host::{Host, Inbound};
use crate::kv::{ClientReply, ClientRequest, KvStore};
use crate::replica::{Pipeline, Status, SyncKind, SyncToken, random_timeout};
use eightfold_sim::sim::{
    Ctx, DiskEvent, DiskOp, LogIndex, Node, NodeId, Observation, Role, SimDuration, SimTime, StorageView,
    Term, Timer, TimerId,
};

use super::admin::RaftAdmin;

use super::config::RaftConfig;
use super::log::RaftLog;
use super::membership::Membership;
use super::msg::{MembershipChange, RaftMsg};
use super::replication::LeaderState;
use super::snapshot::{Incoming, SnapJob};
use super::storage::{self, RecoveryError, Snapshot, WAL};

/// The kernel message type a Raft server is embedded in: it must carry Raft messages,
/// client requests and client replies. Implemented for every such type.
pub trait RaftHost: Host<RaftMsg> {}
impl<M: Host<RaftMsg>> RaftHost for M {}

/// The timers of a Raft server.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum RaftTimer {
    /// The election timeout (followers and candidates).
    Election,
    /// The leader's heartbeat interval.
    Heartbeat,
    /// The leader's check-quorum interval (when `check_quorum` is on).
    Quorum,
}

impl Timer for RaftTimer {
    const ALL: &'static [Self] = &[RaftTimer::Election, RaftTimer::Heartbeat, RaftTimer::Quorum];
    fn id(self) -> TimerId {
        TimerId(match self {
            RaftTimer::Election => 1,
            RaftTimer::Heartbeat => 2,
            RaftTimer::Quorum => 3,
        })
    }
}

/// A Raft server, embedded in the kernel message type `M`.
///
/// Build it with [`RaftNode::recover`] (a fresh disk gives a fresh server) and drive it
/// through its [`Node`] implementation (or, by hand, [`RaftNode::on_peer`] and
/// [`RaftNode::on_client`]).
pub struct RaftNode<M> {
    pub(super) id: NodeId,
    pub(super) cfg: RaftConfig,
    /// The settings the server booted with (what `ResetConfig` returns to).
    pub(super) boot_cfg: RaftConfig,
    pub(super) status: Status,
    // Persistent state (Figure 2).
    pub(super) term: Term,
    pub(super) vote: Option<NodeId>,
    pub(super) log: RaftLog,
    // Volatile state.
    pub(super) role: Role,
    pub(super) announced: Option<(Role, Term)>,
    pub(super) leader: Option<NodeId>,
    /// Local time this server last heard from a leader of its current term (§4.2.3).
    pub(super) leader_seen: Option<SimTime>,
    /// With leases: the local time until which this server has promised to grant no vote
    /// and start no election (see `read.rs`). Kept as an instant, not recomputed from the
    /// settings, so a promise already given outlives an operator lowering the timeout.
    pub(super) promised_until: Option<SimTime>,
    pub(super) commit: LogIndex,
    pub(super) applied: LogIndex,
    pub(super) kv: KvStore,
    pub(super) membership: Membership,
    /// Votes (or pre-votes) received in the current election, self included.
    pub(super) votes: Vec<NodeId>,
    /// The WAL token covering this candidate's self-vote.
    pub(super) self_vote_token: SyncToken,
    pub(super) lead: Option<Box<LeaderState>>,
    /// The WAL's group commit, holding answers until what they promise is durable; the
    /// fsyncs in flight and the durable log prefix.
    pub(super) disk: Pipeline<RaftMsg>,
    /// The latest durable snapshot (what a leader sends to lagging followers).
    pub(super) snapshot: Option<Snapshot>,
    pub(super) snap_job: Option<SnapJob>,
    /// A snapshot being received from a leader, chunk by chunk.
    pub(super) incoming: Option<Incoming>,
    /// What the WAL needs at start: cut a torn tail, or a rewrite after an interrupted
    /// compaction.
    startup_repair: Option<DiskOp>,
    _msg: PhantomData<fn(M)>,
}

impl<M> std::fmt::Debug for RaftNode<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftNode")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("term", &self.term)
            .field("last", &self.log.last_index())
            .field("commit", &self.commit)
            .field("applied", &self.applied)
            .finish_non_exhaustive()
    }
}

/// The kernel drives a Raft server through this (the runner's node enum delegates to it);
/// a message is opened with [`Host::open`] into a peer's [`RaftMsg`] ([`RaftNode::on_peer`])
/// or a client's request ([`RaftNode::on_client`]).
impl<M: RaftHost> Node for RaftNode<M> {
    type Msg = M;
    type Timer = RaftTimer;
    type Admin = RaftAdmin;

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

    fn on_timer(&mut self, ctx: &mut Ctx<'_, M>, timer: RaftTimer) {
        if !self.running() {
            return;
        }
        match timer {
            RaftTimer::Election => self.election_timeout(ctx),
            RaftTimer::Heartbeat => self.heartbeat_tick(ctx),
            RaftTimer::Quorum => self.check_quorum(ctx),
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
            // See the module documentation: nothing written since the last good fsync can
            // be trusted, and retrying would lie. Crash and recover from disk.
            DiskEvent::SyncFailed { .. } => return self.status.halt(ctx),
        }
        self.flush(ctx);
    }

    /// An operator's command: a membership change (to the leader) or a change of settings.
    /// A settings change takes effect at the next timer it concerns; `ResetConfig` restores
    /// the settings the server booted with.
    fn on_admin(&mut self, ctx: &mut Ctx<'_, M>, cmd: &RaftAdmin) {
        if !self.running() {
            return;
        }
        match cmd {
            RaftAdmin::AddServer(n) => self.on_admin_change(ctx, MembershipChange::Add(*n)),
            RaftAdmin::RemoveServer(n) => self.on_admin_change(ctx, MembershipChange::Remove(*n)),
            RaftAdmin::Configure(p) => self.cfg.apply(p),
            RaftAdmin::ResetConfig => self.cfg.reset_to(&self.boot_cfg),
            RaftAdmin::Bugs { on, off } => self.cfg.bugs.switch(on, off),
        }
        // A new build or setting may let the commit index move where it could not (the
        // `commit_old_terms` bug): the next answer looks at every follower again, as every
        // answer did before the leader kept its count (`LeaderState::beyond_commit`).
        if let Some(lead) = self.lead.as_mut() {
            lead.beyond_commit = None;
        }
        self.flush(ctx);
    }
}

impl<M: RaftHost> RaftNode<M> {
    /// Builds server `id` from what survived on its disk. A fresh disk gives a fresh server;
    /// a disk whose durable records are damaged gives a server that refuses to run (it
    /// announces `Observation::Rejected { reason: "disk-corrupt" }` at start and then stays
    /// silent: no votes, no acknowledgements, no client answers), because running on with
    /// some of its promises forgotten could break safety.
    pub fn recover(id: NodeId, config: RaftConfig, storage: &dyn StorageView) -> Self {
        let mut node = RaftNode {
            id,
            boot_cfg: config.clone(),
            cfg: config,
            status: Status::Running,
            term: Term(0),
            vote: None,
            log: RaftLog::default(),
            role: Role::Follower,
            announced: None,
            leader: None,
            leader_seen: None,
            promised_until: None,
            commit: LogIndex(0),
            applied: LogIndex(0),
            kv: KvStore::new(),
            membership: Membership::default(),
            votes: Vec::new(),
            self_vote_token: SyncToken(0),
            lead: None,
            disk: Pipeline::default(),
            snapshot: None,
            snap_job: None,
            incoming: None,
            startup_repair: None,
            _msg: PhantomData,
        };
        match storage::recover(storage) {
            Ok(r) => {
                node.term = r.term;
                node.vote = r.vote;
                node.log = r.log;
                node.kv = r.kv;
                // Commit is volatile: the state machine restarts from the snapshot and
                // entries after it are applied again once a leader says they are committed.
                node.commit = node.log.base().index;
                node.applied = node.log.base().index;
                node.disk.recovered(node.log.last_index());
                node.snapshot = r.snapshot;
                node.startup_repair = if r.rewrite_wal {
                    let data = storage::rewritten_wal(&node.log, node.term, node.durable_vote());
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

    /// The named bugs its build has now (from its configuration, or deployed mid-run).
    pub fn bugs(&self) -> super::bugs::RaftBugs {
        self.cfg.bugs
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current term.
    pub fn term(&self) -> Term {
        self.term
    }

    /// The leader this server believes in, if any.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The commit index.
    pub fn commit_index(&self) -> LogIndex {
        self.commit
    }

    /// The index of the last applied entry.
    pub fn applied_index(&self) -> LogIndex {
        self.applied
    }

    /// The last log index.
    pub fn last_index(&self) -> LogIndex {
        self.log.last_index()
    }

    /// The term of the entry at `index`, if the log holds it (or it is the snapshot's last).
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        self.log.term_at(index)
    }

    /// The replicated state machine.
    pub fn store(&self) -> &KvStore {
        &self.kv
    }

    /// The voting members this server currently uses (the latest configuration in its log).
    pub fn voters(&self) -> &[NodeId] {
        self.membership.voters()
    }

    /// Why this server refuses to run, if it does.
    pub fn refused(&self) -> Option<&RecoveryError> {
        self.status.refused()
    }

    /// Entries held in memory (bounded by compaction).
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    fn running(&self) -> bool {
        self.status.running()
    }

    /// Boot (also after every restart): repair the WAL (cut a torn tail, or finish a
    /// compaction a crash interrupted), announce the recovered state, arm the election
    /// timer.
    fn start(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.status.boot(ctx) {
            return;
        }
        self.disk.boot(ctx);
        if let Some(op) = self.startup_repair.take() {
            self.wal_write(ctx, op);
        }
        let initial: Arc<[NodeId]> = match (&self.snapshot, &self.cfg.initial_voters) {
            (Some((meta, _)), _) => meta.voters.clone(),
            (None, Some(v)) => {
                let mut v = v.clone();
                v.sort();
                v.dedup();
                v.into()
            }
            (None, None) => ctx.servers().into(),
        };
        self.membership = Membership::new(self.log.base().index, initial);
        self.announce_role(ctx);
        if let Some((meta, _)) = &self.snapshot {
            ctx.observe(Observation::Snapshot { index: meta.index, term: meta.term });
        }
        let mut i = self.log.base().index.next();
        while let Some(e) = self.log.entry(i) {
            self.membership.on_append(i, &e.payload);
            let (term, chain) = (e.term, self.log.chain_at(i).unwrap_or(0));
            ctx.observe(Observation::Appended { index: i, term, chain });
            i = i.next();
        }
        ctx.observe(Observation::Membership { voters: self.membership.voters().to_vec() });
        // With leases, a restarted server may have promised a leader, just before it
        // crashed, to vote for no one for a while; the promise was in memory and is gone.
        // It never promised longer than the election timeout it boots with (`promise`), so
        // promising that again from now covers whatever it promised before the crash,
        // without an fsync per heartbeat. Without leases nothing depends on it, and plain
        // Raft has no such rule.
        if self.cfg.read_mode == super::ReadMode::Lease {
            self.promised_until = Some(ctx.now() + self.boot_cfg.election_timeout_min);
        }
        self.reset_election_timer(ctx);
        self.flush(ctx);
    }

    /// A Raft message from another server (or an operator's `AdminChange`).
    pub fn on_peer(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: RaftMsg) {
        if !self.running() {
            return;
        }
        self.handle_peer(ctx, from, msg);
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

    fn handle_peer(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: RaftMsg) {
        if !msg.plausible() {
            ctx.observe(Observation::Rejected { reason: "implausible".into() });
            return;
        }
        if let Some(term) = msg.term()
            && term > self.term
        {
            match &msg {
                // Pre-votes change no state (§9.6); a granted pre-vote carries the
                // proposed term, not the voter's.
                RaftMsg::PreVote { .. } | RaftMsg::PreVoteResp { granted: true, .. } => {}
                // Leader stickiness (§4.2.3): a server that heard from a leader within the
                // minimum election timeout neither grants nor adopts the term.
                RaftMsg::RequestVote { .. } if self.leader_recent(ctx.now()) => return,
                RaftMsg::AppendEntries { .. } | RaftMsg::InstallSnapshot { .. } => {
                    self.become_follower(ctx, term, Some(from));
                }
                _ => self.become_follower(ctx, term, None),
            }
        }
        match msg {
            RaftMsg::RequestVote { term, last_index, last_term } => {
                self.on_request_vote(ctx, from, term, last_index, last_term)
            }
            RaftMsg::RequestVoteResp { term, granted } => self.on_vote_resp(ctx, from, term, granted),
            RaftMsg::PreVote { term, last_index, last_term } => {
                self.on_pre_vote(ctx, from, term, last_index, last_term)
            }
            RaftMsg::PreVoteResp { term, granted } => self.on_pre_vote_resp(ctx, from, term, granted),
            RaftMsg::AppendEntries { term, round, prev_index, prev_term, commit, entries } => {
                self.on_append_entries(ctx, from, term, round, (prev_index, prev_term), commit, entries)
            }
            RaftMsg::AppendEntriesResp { term, round, promise, outcome } => {
                self.on_append_resp(ctx, from, (term, round, promise), outcome)
            }
            RaftMsg::InstallSnapshot { term, round, meta, offset, done, data } => {
                self.on_install_snapshot(ctx, from, term, round, meta, (offset, done), data)
            }
            RaftMsg::InstallSnapshotResp { term, round, index, received, installed, promise } => {
                self.on_install_snapshot_resp(ctx, from, (term, round, promise), index, (received, installed))
            }
            RaftMsg::AdminChange { change } => self.on_admin_change(ctx, change),
        }
    }

    // ---- persistence pipeline ----

    /// Queues a WAL write; the fsync covering it is requested at the end of the handler.
    pub(super) fn wal_write(&mut self, ctx: &mut Ctx<'_, M>, op: DiskOp) {
        self.disk.write(ctx, op);
    }

    /// Writes the current term and vote.
    pub(super) fn persist_hard_state(&mut self, ctx: &mut Ctx<'_, M>) {
        let data = storage::hard_state_record(self.term, self.durable_vote());
        self.wal_write(ctx, DiskOp::Append { file: WAL, data });
    }

    /// The vote as written to disk (the `forget_vote` bug never writes a vote for another).
    pub(super) fn durable_vote(&self) -> Option<NodeId> {
        match self.vote {
            Some(v) if self.cfg.bugs.forget_vote && v != self.id => None,
            v => v,
        }
    }

    /// Sends a Raft message once everything written so far is durable.
    pub(super) fn send_durable(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: RaftMsg) {
        if let Some(msg) = self.disk.hold(to, msg) {
            ctx.send(to, M::from(msg));
        }
    }

    /// Sends a Raft message now.
    pub(super) fn send_now(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: RaftMsg) {
        ctx.send(to, M::from(msg));
    }

    /// Answers a client.
    pub(super) fn reply(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, reply: ClientReply) {
        ctx.send(to, M::from(reply));
    }

    /// End of every handler: one fsync for everything written, then pending broadcasts.
    fn flush(&mut self, ctx: &mut Ctx<'_, M>) {
        self.disk.flush(ctx, WAL, self.log.last_index());
        if self.lead.as_ref().is_some_and(|l| l.need_round) {
            self.broadcast_round(ctx, false);
        }
        self.announce_progress(ctx);
    }

    fn synced(&mut self, ctx: &mut Ctx<'_, M>, token: u64) {
        match self.disk.complete(SyncToken(token), self.log.last_index()) {
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
            let stale = match &msg {
                RaftMsg::RequestVote { term, .. }
                | RaftMsg::RequestVoteResp { term, .. }
                | RaftMsg::AppendEntriesResp { term, .. }
                | RaftMsg::InstallSnapshotResp { term, .. } => *term != self.term,
                _ => false,
            };
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
        match self.role {
            Role::Candidate => self.check_election_won(ctx),
            Role::Leader => self.maybe_commit(ctx),
            _ => {}
        }
    }

    // ---- roles ----

    /// Announces the role and term if either changed.
    pub(super) fn announce_role(&mut self, ctx: &mut Ctx<'_, M>) {
        let now = (self.role, self.term);
        if self.announced != Some(now) {
            self.announced = Some(now);
            ctx.observe(Observation::Role { role: self.role, term: self.term });
        }
    }

    /// Becomes a follower, adopting `term` if it is newer (and forgetting the vote).
    pub(super) fn become_follower(&mut self, ctx: &mut Ctx<'_, M>, term: Term, leader: Option<NodeId>) {
        if term > self.term {
            self.term = term;
            self.vote = None;
            self.persist_hard_state(ctx);
        }
        self.leader = leader;
        if self.role == Role::Leader {
            self.step_down(ctx);
        }
        self.role = Role::Follower;
        self.votes.clear();
        self.reset_election_timer(ctx);
        self.announce_role(ctx);
    }

    /// Leaves leadership: pending clients learn their fate is unknown (writes) or that
    /// they were not served (reads).
    fn step_down(&mut self, ctx: &mut Ctx<'_, M>) {
        ctx.cancel_timer(RaftTimer::Heartbeat);
        ctx.cancel_timer(RaftTimer::Quorum);
        if let Some(lead) = self.lead.take() {
            for (_, w) in lead.pending {
                self.reply(ctx, w.to, ClientReply::Unknown { seq: w.seq });
            }
            for r in lead.reads {
                self.reply(ctx, r.to, ClientReply::NotLeader { seq: r.seq, leader: self.leader });
            }
        }
    }

    /// A leader of the current term spoke (AppendEntries, InstallSnapshot): follow it, reset
    /// the election timer, remember when (leader stickiness, §4.2.3) and, with leases,
    /// promise it a while without voting.
    pub(super) fn heard_leader(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, term: Term) {
        if self.role != Role::Follower || self.leader != Some(from) {
            self.become_follower(ctx, term, Some(from));
        } else {
            self.reset_election_timer(ctx);
        }
        self.leader_seen = Some(ctx.now());
        self.promise(ctx.now());
    }

    /// With leases: promises, from `now`, to grant no vote and start no election for this
    /// server's minimum election timeout — but never longer than the one it boots with,
    /// which is what it honours again after a crash (`on_start`), since the promise itself
    /// lives only in memory. A later promise never shortens an earlier one.
    fn promise(&mut self, now: SimTime) {
        if self.cfg.read_mode != super::ReadMode::Lease {
            return;
        }
        let span = self.cfg.election_timeout_min.min(self.boot_cfg.election_timeout_min);
        let until = now + span;
        self.promised_until = Some(self.promised_until.map_or(until, |u| u.max(until)));
    }

    /// How much of its promise this server still owes at `now` (zero: none). Every answer
    /// to a leader carries it.
    pub(super) fn promise_left(&self, now: SimTime) -> SimDuration {
        self.promised_until.map_or(SimDuration::ZERO, |u| u.saturating_since(now))
    }

    /// True if a leader was heard from within the minimum election timeout, or a promise is
    /// still owed, or this server is the leader: such a server ignores RequestVote and
    /// refuses pre-votes (§4.2.3).
    pub(super) fn leader_recent(&self, now: SimTime) -> bool {
        self.role == Role::Leader
            || self.promise_left(now) > SimDuration::ZERO
            || self.leader_seen.is_some_and(|t| now.saturating_since(t) < self.cfg.election_timeout_min)
    }

    /// Arms the election timer with a fresh random timeout in `[min, max]`.
    pub(super) fn reset_election_timer(&mut self, ctx: &mut Ctx<'_, M>) {
        let after = random_timeout(ctx, self.cfg.election_timeout_min, self.cfg.election_timeout_max);
        self.arm_election_timer(ctx, after);
    }

    /// Arms the election timer to fire `after` from now, and announces its deadline (a view
    /// for the report: see [`Observation::Deadline`]).
    pub(super) fn arm_election_timer(&mut self, ctx: &mut Ctx<'_, M>, after: SimDuration) {
        ctx.set_timer(RaftTimer::Election, after);
        if ctx.views() {
            ctx.observe(Observation::Deadline { at: Some(ctx.now() + after) });
        }
    }

    /// Announces each change of the leader's nextIndex/matchIndex for a follower since the
    /// last announcement (a view for the report: see [`Observation::Progress`]). Looks only at
    /// the followers whose progress the handler took to change, in id order; no allocation.
    fn announce_progress(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(lead) = self.lead.as_mut() else { return };
        if lead.touched.is_empty() {
            return;
        }
        if !ctx.views() {
            // No one records views in this run (a recording is attached before a run
            // starts, or never): forget what was touched.
            lead.touched.clear();
            return;
        }
        let mut touched = std::mem::take(&mut lead.touched);
        touched.sort_unstable();
        touched.dedup();
        for &peer in &touched {
            let Some(pr) = lead.progress.get_mut(&peer) else { continue };
            let now = (pr.next, pr.matched);
            if pr.shown != Some(now) {
                pr.shown = Some(now);
                ctx.observe(Observation::Progress { peer, next: pr.next, matched: pr.matched });
            }
        }
        touched.clear();
        lead.touched = touched;
    }

    /// Advances the commit index and applies what became committed.
    pub(super) fn set_commit(&mut self, ctx: &mut Ctx<'_, M>, index: LogIndex) {
        if index <= self.commit {
            return;
        }
        self.commit = index;
        ctx.observe(Observation::Committed { index });
        self.apply_committed(ctx);
        if self.role == Role::Leader {
            self.leader_committed(ctx);
        }
    }
}
