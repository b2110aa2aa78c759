//! The kit's side of a server: everything around the rules. It is an eightfold
//! [`Node`] (sans-IO: it reacts to messages, timers and disk completions and acts only
//! through its [`Ctx`]) that
//!
//! - calls your [`Rules`] when a message or a timer calls for them;
//! - carries out what they asked, in order: sends, writes to disk (holding every message
//!   sent after a [`Raft::persist`] until the write is durable), timer resets;
//! - keeps the leader's own `match_index` at what it has made durable;
//! - serves clients: a leader appends their command, anyone else redirects them; once an
//!   entry is committed it is applied to the key-value store and its client answered;
//! - tells eightfold's checkers and report what changed after each handler: role and term,
//!   votes, entries appended and truncated (with prefix hashes), the commit index, entries
//!   applied, a leader's view of each follower, the election deadline.

use std::collections::{BTreeMap, VecDeque};
use std::marker::PhantomData;

use eightfold::proto::kv::KvStore;
use eightfold::proto::replica::random_timeout;
use eightfold::protocol::{
    ClientReply, ClientRequest, Ctx, DiskEvent, Host, Inbound, LogIndex, Never, Node, NodeId, Observation,
    ServiceMsg, SimDuration, StorageView, Term, Timer, TimerId,
};
use eightfold::sim::Role as SimRole;

use crate::log::command_hash;
use crate::msg::{Entry, LabMsg};
use crate::raft::{Effect, Raft, Role};
use crate::rules::Rules;
use crate::saved::{Saved, Written, shared_prefix};

/// The kit's timers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LabTimer {
    /// A follower's or candidate's election timeout.
    Election,
    /// A leader's heartbeat interval.
    Heartbeat,
}

impl Timer for LabTimer {
    const ALL: &'static [Self] = &[LabTimer::Election, LabTimer::Heartbeat];
    fn id(self) -> TimerId {
        match self {
            LabTimer::Election => TimerId(0),
            LabTimer::Heartbeat => TimerId(1),
        }
    }
}

/// The timing every server of a run uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// The shortest election timeout.
    pub election_min: SimDuration,
    /// The longest election timeout.
    pub election_max: SimDuration,
    /// The leader's heartbeat interval.
    pub heartbeat: SimDuration,
    /// The most entries one AppendEntries carries.
    pub max_batch: usize,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            election_min: SimDuration::from_millis(150),
            election_max: SimDuration::from_millis(300),
            heartbeat: SimDuration::from_millis(50),
            max_batch: 64,
        }
    }
}

/// What the checkers were last told.
#[derive(Debug)]
struct Told {
    role: (Role, Term),
    vote: (Term, Option<NodeId>),
    chains: Vec<u64>,
    commit: LogIndex,
    progress: Vec<(LogIndex, LogIndex)>,
}

/// A client's command waiting in the log for its answer.
#[derive(Debug)]
struct Waiting {
    client: NodeId,
    term: Term,
    command: ClientRequest,
}

/// One server of the lab: the state your rules work on, and the kit around it.
pub struct LabServer<R> {
    rf: Raft,
    timing: Timing,
    store: KvStore,
    last_applied: LogIndex,
    waiting: BTreeMap<LogIndex, Waiting>,
    written: Written,
    next_token: u64,
    /// Fsyncs not yet done, by token (a write may fsync two files under one token).
    syncing: BTreeMap<u64, u32>,
    /// The log's last index (and its prefix hash) each write covered, by token.
    covers: BTreeMap<u64, (LogIndex, u64)>,
    /// The last write's token: messages sent after it wait for it.
    barrier: u64,
    /// Messages waiting for a write: (its token, to, message).
    held: VecDeque<(u64, NodeId, ServiceMsg)>,
    /// The last index (and its prefix hash) of the log the last completed write covered.
    durable: (LogIndex, u64),
    told: Told,
    rules: PhantomData<fn() -> R>,
}

impl<R> std::fmt::Debug for LabServer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabServer")
            .field("rf", &self.rf)
            .field("last_applied", &self.last_applied)
            .field("durable", &self.durable)
            .field("held", &self.held.len())
            .finish_non_exhaustive()
    }
}

impl<R: Rules> LabServer<R> {
    /// Server `me` of `servers`, rebuilt from `disk` (through [`Rules::restore`] when it
    /// holds anything).
    pub fn recover(me: NodeId, servers: Vec<NodeId>, timing: Timing, disk: &dyn StorageView) -> LabServer<R> {
        let mut rf = Raft::new(me, servers, timing.max_batch.max(1));
        let (saved, log_len) = Saved::read(disk);
        let written = Written::of(saved.as_ref(), log_len);
        let durable = saved.as_ref().map_or((LogIndex(0), 0), |s| {
            let last = s.log.last_index();
            (last, s.log.chain_at(last).expect("in range"))
        });
        if let Some(saved) = saved {
            R::restore(&mut rf, saved);
        }
        let n = rf.servers.len();
        LabServer {
            rf,
            timing,
            store: KvStore::new(),
            last_applied: LogIndex(0),
            waiting: BTreeMap::new(),
            written,
            next_token: 1,
            syncing: BTreeMap::new(),
            covers: BTreeMap::new(),
            barrier: 0,
            held: VecDeque::new(),
            durable,
            told: Told {
                role: (Role::Follower, Term(0)),
                vote: (Term(0), None),
                chains: Vec::new(),
                commit: LogIndex(0),
                progress: vec![(LogIndex(0), LogIndex(0)); n],
            },
            rules: PhantomData,
        }
    }

    /// The server's state (for tests and the report).
    pub fn raft(&self) -> &Raft {
        &self.rf
    }

    /// How much of the log is durable here: all the last completed write covered, if the
    /// log still holds that prefix (a leader's does: it never deletes its own entries);
    /// otherwise nothing is counted until the next write completes.
    fn durable_here(&self) -> LogIndex {
        let (index, chain) = self.durable;
        if self.rf.log.chain_at(index) == Some(chain) { index } else { LogIndex(0) }
    }

    fn arm_election(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        let after = random_timeout(ctx, self.timing.election_min, self.timing.election_max);
        ctx.set_timer(LabTimer::Election, after);
        ctx.observe(Observation::Deadline { at: Some(ctx.now() + after) });
    }

    /// Sends now, or after the last write if one is still on its way to the disk.
    fn send(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, to: NodeId, msg: ServiceMsg) {
        if self.syncing.range(..=self.barrier).next().is_some() {
            self.held.push_back((self.barrier, to, msg));
        } else {
            ctx.send(to, msg);
        }
    }

    /// Carries out what the rules asked, reacts to a change of role, tells the checkers,
    /// applies what is committed; until nothing more is asked.
    fn finish(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        loop {
            let was_leader = self.told.role.0 == Role::Leader;
            for effect in std::mem::take(&mut self.rf.effects) {
                match effect {
                    Effect::Send(to, msg) => self.send(ctx, to, msg.into()),
                    Effect::Answer(to, reply) => self.send(ctx, to, reply.into()),
                    Effect::Persist => {
                        let token = self.next_token;
                        self.next_token += 1;
                        let syncs = self.written.write(&self.rf, ctx, token);
                        if syncs > 0 {
                            self.syncing.insert(token, syncs);
                            let last = self.rf.log.last_index();
                            self.covers.insert(token, (last, self.rf.log.chain_at(last).expect("in range")));
                            self.barrier = token;
                        }
                    }
                    Effect::ResetElectionTimer => {
                        if self.rf.role != Role::Leader {
                            self.arm_election(ctx);
                        }
                    }
                }
            }
            let leader = self.rf.role == Role::Leader;
            if leader && !was_leader {
                ctx.cancel_timer(LabTimer::Election);
                ctx.observe(Observation::Deadline { at: None });
                ctx.set_timer(LabTimer::Heartbeat, self.timing.heartbeat);
                self.rf.match_index[self.rf.me.index()] = self.durable_here();
                self.broadcast_append();
            } else if !leader && was_leader {
                ctx.cancel_timer(LabTimer::Heartbeat);
                self.arm_election(ctx);
            }
            self.tell(ctx);
            if self.rf.effects.is_empty() {
                break;
            }
        }
        self.apply(ctx);
    }

    fn broadcast_append(&mut self) {
        for peer in self.rf.peers() {
            R::send_append_entries(&mut self.rf, peer);
        }
    }

    /// Tells the checkers what changed since they were last told.
    fn tell(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        let rf = &self.rf;
        if self.told.role != (rf.role, rf.current_term) {
            self.told.role = (rf.role, rf.current_term);
            let role = match rf.role {
                Role::Follower => SimRole::Follower,
                Role::Candidate => SimRole::Candidate,
                Role::Leader => SimRole::Leader,
            };
            ctx.observe(Observation::Role { role, term: rf.current_term });
        }
        if self.told.vote != (rf.current_term, rf.voted_for) {
            self.told.vote = (rf.current_term, rf.voted_for);
            if let Some(candidate) = rf.voted_for {
                ctx.observe(Observation::Voted { term: rf.current_term, candidate });
            }
        }
        let same = shared_prefix(&self.told.chains, &rf.log);
        if same < self.told.chains.len() {
            self.told.chains.truncate(same);
            ctx.observe(Observation::Truncated { from: LogIndex(same as u64 + 1) });
        }
        for i in same + 1..=rf.log.len() {
            let index = LogIndex(i as u64);
            let chain = rf.log.chain_at(index).expect("in range");
            let term = rf.log.term_at(index).expect("in range");
            self.told.chains.push(chain);
            ctx.observe(Observation::Appended { index, term, chain });
        }
        if rf.commit_index > self.told.commit {
            self.told.commit = rf.commit_index;
            ctx.observe(Observation::Committed { index: rf.commit_index });
        }
        if rf.role == Role::Leader {
            for peer in rf.peer_ids() {
                let i = peer.index();
                let now = (rf.next_index[i], rf.match_index[i]);
                if self.told.progress[i] != now {
                    self.told.progress[i] = now;
                    ctx.observe(Observation::Progress { peer, next: now.0, matched: now.1 });
                }
            }
        }
    }

    /// Applies the committed entries not yet applied and answers their clients.
    fn apply(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        let upto = self.rf.commit_index.min(self.rf.log.last_index());
        while self.last_applied < upto {
            let index = LogIndex(self.last_applied.0 + 1);
            let entry = self.rf.log.get(index).expect("in range").clone();
            self.last_applied = index;
            let result = self.store.apply(&entry.command);
            ctx.observe(Observation::Applied { index, term: entry.term, command: command_hash(&entry) });
            if let Some(w) = self.waiting.remove(&index) {
                let reply = if w.term == entry.term && w.command == entry.command {
                    ClientReply::Ok { seq: w.command.seq, result }
                } else {
                    // Another leader's entry took its place: it may or may not be in the
                    // log elsewhere.
                    ClientReply::Unknown { seq: w.command.seq }
                };
                self.send(ctx, w.client, reply.into());
            }
        }
    }

    fn on_client(&mut self, from: NodeId, req: ClientRequest) {
        if self.rf.role != Role::Leader {
            let reply = ClientReply::NotLeader { seq: req.seq, leader: self.rf.leader };
            self.rf.effects.push(Effect::Answer(from, reply));
            return;
        }
        let term = self.rf.current_term;
        let index = self.rf.log.append(Entry { term, command: req.clone() });
        self.waiting.insert(index, Waiting { client: from, term, command: req });
        self.rf.persist();
        self.broadcast_append();
    }

    fn on_peer(&mut self, from: NodeId, msg: LabMsg) {
        match msg {
            LabMsg::RequestVote(args) => {
                let reply = R::handle_request_vote(&mut self.rf, &args);
                self.rf.send(from, reply);
            }
            LabMsg::VoteReply(reply) => R::handle_vote_reply(&mut self.rf, from, &reply),
            LabMsg::AppendEntries(args) => {
                let reply = R::handle_append_entries(&mut self.rf, &args);
                if self.rf.role == Role::Follower && self.rf.current_term == args.term {
                    self.rf.leader = Some(args.leader);
                }
                self.rf.send(from, reply);
            }
            LabMsg::AppendReply(reply) => {
                R::handle_append_reply(&mut self.rf, from, &reply);
                if self.rf.role == Role::Leader {
                    R::advance_commit_index(&mut self.rf);
                }
            }
        }
    }
}

impl<R: Rules> Node for LabServer<R> {
    type Msg = ServiceMsg;
    type Timer = LabTimer;
    type Admin = Never;

    fn on_start(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        self.arm_election(ctx);
        self.finish(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, from: NodeId, msg: ServiceMsg) {
        match Host::<LabMsg>::open(msg) {
            Some(Inbound::Peer(m)) => self.on_peer(from, m),
            Some(Inbound::Client(req)) => self.on_client(from, req),
            None => return,
        }
        self.finish(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, timer: LabTimer) {
        match timer {
            LabTimer::Election => {
                if self.rf.role != Role::Leader {
                    // Armed again first: a split vote retries after a fresh timeout.
                    self.arm_election(ctx);
                    R::start_election(&mut self.rf);
                }
            }
            LabTimer::Heartbeat => {
                if self.rf.role == Role::Leader {
                    ctx.set_timer(LabTimer::Heartbeat, self.timing.heartbeat);
                    self.broadcast_append();
                }
            }
        }
        self.finish(ctx);
    }

    fn on_disk(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, event: DiskEvent) {
        let token = match event {
            DiskEvent::Synced { token } => token,
            // The device promises nothing about those writes: crashing is the only safe answer.
            DiskEvent::SyncFailed { .. } => return ctx.crash_self(),
        };
        if let Some(left) = self.syncing.get_mut(&token) {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.syncing.remove(&token);
            }
        }
        // Everything up to the oldest write still on its way is durable.
        let done_below = self.syncing.keys().next().copied().unwrap_or(u64::MAX);
        while let Some(write) = self.covers.first_entry().filter(|w| *w.key() < done_below) {
            self.durable = write.remove();
        }
        while self.held.front().is_some_and(|(t, _, _)| *t < done_below) {
            let (_, to, msg) = self.held.pop_front().expect("checked");
            ctx.send(to, msg);
        }
        if self.rf.role == Role::Leader {
            let (me, durable) = (self.rf.me.index(), self.durable_here());
            if self.rf.match_index[me] != durable {
                self.rf.match_index[me] = durable;
                R::advance_commit_index(&mut self.rf);
            }
        }
        self.finish(ctx);
    }
}
