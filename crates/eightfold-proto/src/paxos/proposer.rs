//! The proposer and the distinguished leader (*Paxos Made Simple* §2.4 and §3; *Paxos Made
//! Moderately Complex* §3, scouts and commanders).
//!
//! - **Phase 1, once per leadership.** A server that has not heard from a leader for a
//!   randomized election timeout draws a ballot above every round it has seen, promises it
//!   to itself (durably, before its Prepare goes out: a ballot must never be reused after
//!   a restart) and asks every acceptor for a promise covering all slots it does not know
//!   decided. With promises from a majority it becomes leader.
//! - **Choosing what to propose (P2c).** For every slot above the highest decided prefix a
//!   promise reported, the leader re-proposes the value accepted in the highest ballot,
//!   and fills slots nobody reported with no-ops; then it proposes a no-op of its own
//!   (like Raft's, §8 of the Raft paper), and clients' commands after it. A value keeps the
//!   round of the ballot that first proposed it as its `term`, so a value is the same
//!   `(term, command)` wherever it is decided.
//! - **Phase 2, pipelined.** Each proposal is written to the leader's own WAL (its own
//!   acceptance counts once durable) and sent to every acceptor, batched per handler; a
//!   value is chosen once a majority accepted it in this ballot. Unanswered proposals are
//!   retransmitted on heartbeats.
//! - **Decided prefix.** The leader extends its decided prefix — and applies, answers
//!   clients, and tells followers through Accept and Heartbeat messages — only in steps
//!   that end on a value of its own ballot: the old values it re-proposed are decided with
//!   its first no-op. This changes nothing for Paxos (they are pipelined in one round
//!   trip), and it makes every newly announced commit point carry the announcing leader's
//!   round, which is what the invariant checker's leader-completeness rule expects (see
//!   the module documentation).
//! - **Establishment.** The leader announces `Role::Leader` once its first no-op and
//!   everything below it are decided (it then holds every value chosen before its ballot).
//!   If that takes longer than an election timeout (say the acceptor it must fetch decided
//!   values from went down), it starts over with a higher ballot.
//! - **Pre-emption.** A `Nack` or any message of a higher ballot makes a proposer step down;
//!   its waiting clients get `Unknown`. With `check_quorum`, a leader that heard from no
//!   majority during an election timeout steps down too.

use std::collections::BTreeMap;

use crate::kv::{ClientReply, ClientRequest, ClientSeq, KvOp};
use crate::replica::SyncToken;
use crate::replica::log::{Entry, Payload};
use eightfold_sim::sim::rng::Draw;
use eightfold_sim::sim::{Ctx, DiskOp, LogIndex, NodeId, Role, SimTime};

use super::ballot::Ballot;
use super::msg::{AcceptedSlot, PaxosMsg};
use super::node::{PaxosHost, PaxosNode, PaxosTimer};
use super::storage::{self, AcceptedValue, WAL};

/// A proposer in phase 1.
#[derive(Debug)]
pub(super) struct Campaign {
    /// The ballot asked for.
    pub ballot: Ballot,
    /// The WAL token covering the proposer's promise to itself.
    pub token: SyncToken,
    /// Promises received: each acceptor's decided prefix and acceptances.
    pub promises: BTreeMap<NodeId, (LogIndex, Vec<AcceptedSlot>)>,
}

/// One value proposed in phase 2.
#[derive(Debug)]
pub(super) struct Proposal {
    pub entry: Entry,
    /// Servers known to have accepted it durably in this ballot (the leader included).
    pub acks: Vec<NodeId>,
    /// A majority accepted it.
    pub chosen: bool,
    /// The WAL token covering the leader's own acceptance.
    pub token: SyncToken,
    /// When it was last sent.
    pub sent_at: SimTime,
}

/// A client waiting for its command to be decided and applied.
#[derive(Clone, Copy, Debug)]
pub(super) struct Waiter {
    pub to: NodeId,
    pub seq: ClientSeq,
}

/// Volatile state of a leader (a proposer that completed phase 1).
#[derive(Debug)]
pub(super) struct LeaderState {
    pub ballot: Ballot,
    /// Undecided proposals, consecutive slots from the decided prefix (or the highest
    /// decided prefix reported in phase 1) on.
    pub proposals: BTreeMap<LogIndex, Proposal>,
    pub next_slot: LogIndex,
    /// The slot of this leadership's first no-op.
    pub first_own: LogIndex,
    /// The first no-op and everything below it are decided.
    pub established: bool,
    pub pending: BTreeMap<LogIndex, Waiter>,
    /// Peers heard from since the last check-quorum.
    pub heard: Vec<NodeId>,
    /// Proposals below this slot count the leader's own acceptance.
    pub self_acked: LogIndex,
    /// The first proposal made during the current handler, not yet sent.
    pub unsent: Option<LogIndex>,
    /// Acceptors whose promise reported a longer decided prefix than this leader's, and
    /// its end: where to fetch the decided values from.
    pub sources: Vec<(NodeId, LogIndex)>,
}

impl Proposal {
    fn ack(&mut self, who: NodeId, quorum: usize) {
        if !self.acks.contains(&who) {
            self.acks.push(who);
        }
        self.chosen = self.acks.len() >= quorum;
    }
}

impl<M: PaxosHost> PaxosNode<M> {
    /// The election timer fired: start phase 1 (or over, for a leader that did not
    /// establish itself in time).
    pub(super) fn election_timeout(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.lead.as_ref().is_some_and(|l| l.established) {
            return;
        }
        if self.installing() {
            self.reset_election_timer(ctx);
            return;
        }
        if self.lead.is_some() {
            self.step_down(ctx, None);
        }
        self.start_phase1(ctx);
    }

    fn start_phase1(&mut self, ctx: &mut Ctx<'_, M>) {
        let Ok(k) = self.servers.binary_search(&self.id) else {
            return;
        };
        let ballot =
            Ballot::next_for(self.id, k, self.servers.len(), self.max_round.max(self.promised.round));
        self.role = Role::Candidate;
        self.leader = None;
        self.campaign = Some(Campaign { ballot, token: SyncToken(0), promises: BTreeMap::new() });
        self.raise_promise(ctx, ballot);
        let token = self.disk.write_token();
        if let Some(c) = self.campaign.as_mut() {
            c.token = token;
        }
        self.reset_election_timer(ctx);
        let from = self.decided.last_index().next();
        for p in self.peers() {
            self.send_durable(ctx, p, PaxosMsg::Prepare { ballot, from });
        }
        self.check_phase1(ctx);
    }

    /// Phase 1b received.
    pub(super) fn on_promise(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        ballot: Ballot,
        decided: LogIndex,
        accepted: Vec<AcceptedSlot>,
    ) {
        let commit = self.decided.last_index();
        let span = self.cfg.max_gap();
        let Some(c) = self.campaign.as_mut() else {
            return;
        };
        if c.ballot != ballot || !self.servers.contains(&from) {
            return;
        }
        // An honest acceptor's acceptances lie within a few pipelines of the decided
        // prefix (`max_gap`); a report far beyond would make this leader fill millions of
        // gaps. It is not counted (ignoring a promise is always safe, it only costs a retry).
        if accepted.last().is_some_and(|a| a.slot.0 - decided.max(commit).0.min(a.slot.0) > span) {
            ctx.observe(eightfold_sim::sim::Observation::Rejected { reason: "implausible".into() });
            return;
        }
        c.promises.insert(from, (decided, accepted));
        self.check_phase1(ctx);
    }

    /// Becomes leader once a majority promised (this proposer's own promise counting once
    /// durable).
    pub(super) fn check_phase1(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(c) = self.campaign.as_ref() else {
            return;
        };
        let own = usize::from(self.disk.synced() >= c.token);
        if c.promises.len() + own < self.quorum() {
            return;
        }
        let c = self.campaign.take().expect("checked above");
        self.become_leader(ctx, c);
    }

    fn become_leader(&mut self, ctx: &mut Ctx<'_, M>, c: Campaign) {
        let ballot = c.ballot;
        let commit = self.decided.last_index();
        let mut max_decided = commit;
        let mut sources = Vec::new();
        for (&n, (d, _)) in &c.promises {
            max_decided = max_decided.max(*d);
            if *d > commit {
                sources.push((n, *d));
            }
        }
        // P2c: in every slot above the decided prefixes, the value of the highest ballot —
        // up to `max_gap` slots above them. The promises counted lie within that bound
        // (`on_promise`); this server's own acceptances are held to it too. An acceptance
        // beyond it cannot be honest (it came from a corrupted Accept that slipped past a
        // switched-off authentication); filling every slot up to it would exhaust memory.
        let limit = LogIndex(max_decided.0.saturating_add(self.cfg.max_gap()));
        if self.accepted.range(limit.next()..).next().is_some() {
            ctx.observe(eightfold_sim::sim::Observation::Rejected { reason: "implausible".into() });
        }
        let mut best: BTreeMap<LogIndex, (Ballot, Entry)> = BTreeMap::new();
        let own = self.accepted.range(max_decided.next()..=limit).map(|(&s, a)| (s, a.ballot, &a.entry));
        let reported = c
            .promises
            .values()
            .flat_map(|(_, acc)| acc.iter())
            .filter(|a| a.slot > max_decided && a.slot <= limit)
            .map(|a| (a.slot, a.ballot, &a.entry));
        for (slot, b, e) in own.chain(reported) {
            if best.get(&slot).is_none_or(|(held, _)| b > *held) {
                best.insert(slot, (b, e.clone()));
            }
        }
        let max_slot = best.keys().next_back().copied().unwrap_or(max_decided).max(max_decided);
        self.role = Role::Leader;
        self.leader = Some(self.id);
        let next = max_decided.next();
        self.lead = Some(Box::new(LeaderState {
            ballot,
            proposals: BTreeMap::new(),
            next_slot: next,
            first_own: LogIndex(u64::MAX),
            established: false,
            pending: BTreeMap::new(),
            heard: Vec::new(),
            self_acked: next,
            unsent: None,
            sources,
        }));
        let noop = Entry { term: ballot.term(), payload: Payload::Noop };
        let mut slot = next;
        while slot <= max_slot {
            let entry = match best.remove(&slot) {
                Some((_, e)) if !self.cfg.bugs.ignore_accepted => e,
                _ => noop.clone(),
            };
            self.propose(ctx, entry);
            slot = slot.next();
        }
        let first_own = self.propose(ctx, noop);
        if let Some(l) = self.lead.as_mut() {
            l.first_own = first_own;
        }
        // The leader must establish itself within an election timeout.
        self.reset_election_timer(ctx);
        self.heartbeat_tick(ctx);
        if self.cfg.check_quorum {
            ctx.set_timer(PaxosTimer::Quorum, self.cfg.election_timeout_max);
        }
        self.announce_role(ctx);
        self.catch_up_leader(ctx);
    }

    /// Proposes `entry` at the next slot: the leader accepts it itself (durably) and sends
    /// it at the end of the handler. Returns the slot.
    pub(super) fn propose(&mut self, ctx: &mut Ctx<'_, M>, entry: Entry) -> LogIndex {
        let now = ctx.now();
        let Some(ballot) = self.lead.as_ref().map(|l| l.ballot) else {
            return LogIndex(0);
        };
        let slot = self.lead.as_ref().map_or(LogIndex(0), |l| l.next_slot);
        let mut data = ctx.buffer();
        storage::accept_record(&mut data, ballot, slot, std::iter::once(&entry));
        self.wal_write(ctx, DiskOp::Append { file: WAL, data });
        self.accepted.insert(slot, AcceptedValue { ballot, entry: entry.clone() });
        ctx.observe(eightfold_sim::sim::Observation::Accepted {
            first: slot,
            last: slot,
            term: ballot.term(),
        });
        let token = self.disk.write_token();
        if let Some(l) = self.lead.as_mut() {
            l.next_slot = slot.next();
            l.proposals
                .insert(slot, Proposal { entry, acks: Vec::new(), chosen: false, token, sent_at: now });
            l.unsent.get_or_insert(slot);
        }
        slot
    }

    /// End of a handler: the proposals it made go to every acceptor.
    pub(super) fn send_fresh_proposals(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(from) = self.lead.as_mut().and_then(|l| l.unsent.take()) else {
            return;
        };
        let end = self.lead.as_ref().map_or(from, |l| l.next_slot);
        for p in self.peers() {
            let mut slot = from;
            while slot < end {
                slot = self.send_accept(ctx, p, slot, end);
            }
        }
    }

    /// Sends one Accept to `peer` with the proposals from `first` (before `end`), as many as
    /// a batch holds; returns the slot after the last one sent.
    fn send_accept(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        peer: NodeId,
        first: LogIndex,
        end: LogIndex,
    ) -> LogIndex {
        // A peer being sent a snapshot gets no Accepts until the transfer ends: they would
        // compete with the chunks for its link, and on a slow one crowd them out of the
        // queue for good (Raft likewise sends a follower in its snapshot phase nothing else).
        // Its acceptances are not needed while a majority of the others answers.
        if self.sending_snapshot_to(peer, ctx.now()) {
            return end;
        }
        let commit = self.decided.last_index();
        let Some(lead) = self.lead.as_ref() else {
            return end;
        };
        let mut entries = Vec::new();
        let mut bytes = 0u32;
        for (_, p) in lead.proposals.range(first..end).take(self.cfg.max_entries_per_msg.max(1) as usize) {
            let size = p.entry.encoded_len();
            if !entries.is_empty() && bytes.saturating_add(size) > self.cfg.max_bytes_per_msg {
                break;
            }
            bytes = bytes.saturating_add(size);
            entries.push(p.entry.clone());
        }
        if entries.is_empty() {
            return end;
        }
        let next = LogIndex(first.0 + entries.len() as u64);
        let msg = PaxosMsg::Accept { ballot: lead.ballot, first, entries, commit };
        self.send_now(ctx, peer, msg);
        next
    }

    /// Phase 2b received.
    pub(super) fn on_accepted(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        ballot: Ballot,
        first: LogIndex,
        count: u32,
    ) {
        let quorum = self.quorum();
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if lead.ballot != ballot || !self.servers.contains(&from) {
            return;
        }
        if !lead.heard.contains(&from) {
            lead.heard.push(from);
        }
        let end = LogIndex(first.0 + count as u64);
        for (_, p) in lead.proposals.range_mut(first..end) {
            p.ack(from, quorum);
        }
        self.try_advance(ctx);
    }

    /// The leader's own acceptances that became durable count.
    pub(super) fn self_accepted(&mut self, ctx: &mut Ctx<'_, M>) {
        let (quorum, synced, me) = (self.quorum(), self.disk.synced(), self.id);
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if let Some((&low, _)) = lead.proposals.first_key_value() {
            lead.self_acked = lead.self_acked.max(low);
        }
        while let Some(p) = lead.proposals.get_mut(&lead.self_acked) {
            if p.token > synced {
                break;
            }
            p.ack(me, quorum);
            lead.self_acked = lead.self_acked.next();
        }
        self.try_advance(ctx);
    }

    /// Extends the decided prefix over chosen proposals, up to the last one of this
    /// leader's own ballot.
    pub(super) fn try_advance(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.installing() {
            return;
        }
        let commit = self.decided.last_index();
        let Some(lead) = self.lead.as_ref() else {
            return;
        };
        let own = lead.ballot.term();
        let mut upto = None;
        let mut expect = commit.next();
        for (&slot, p) in lead.proposals.range(commit.next()..) {
            if slot != expect || !p.chosen {
                break;
            }
            if p.entry.term == own {
                upto = Some(slot);
            }
            expect = slot.next();
        }
        let Some(upto) = upto else {
            return;
        };
        let entries: Vec<Entry> =
            lead.proposals.range(commit.next()..=upto).map(|(_, p)| p.entry.clone()).collect();
        let data = storage::decide_record(upto);
        self.wal_write(ctx, DiskOp::Append { file: WAL, data });
        self.extend_decided(ctx, entries);
    }

    /// After the decided prefix grew: drop decided proposals; a new leader whose first
    /// no-op is decided is established (or, if another value was decided there, it was
    /// pre-empted without noticing and steps down).
    pub(super) fn leader_decided(&mut self, ctx: &mut Ctx<'_, M>) {
        let commit = self.decided.last_index();
        let term_at_first_own = self.lead.as_ref().and_then(|l| self.decided.term_at(l.first_own));
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        lead.proposals = lead.proposals.split_off(&commit.next());
        if lead.next_slot <= commit {
            lead.next_slot = commit.next();
        }
        if lead.established || commit < lead.first_own {
            return;
        }
        if term_at_first_own == Some(lead.ballot.term()) {
            lead.established = true;
            ctx.cancel_timer(PaxosTimer::Election);
            self.announce_role(ctx);
        } else {
            self.step_down(ctx, None);
        }
    }

    /// A new leader behind the decided prefix some acceptor reported fetches it.
    pub(super) fn catch_up_leader(&mut self, ctx: &mut Ctx<'_, M>) {
        let commit = self.decided.last_index();
        let Some(lead) = self.lead.as_ref() else {
            return;
        };
        let ahead: Vec<NodeId> = lead.sources.iter().filter(|(_, d)| *d > commit).map(|(n, _)| *n).collect();
        if ahead.is_empty() {
            return;
        }
        let target = *ctx.rng().pick(&ahead);
        self.maybe_fetch(ctx, target);
    }

    /// The heartbeat timer fired (and right after phase 1): heartbeats to every acceptor,
    /// retransmission of proposals not acknowledged for a heartbeat interval.
    pub(super) fn heartbeat_tick(&mut self, ctx: &mut Ctx<'_, M>) {
        let now = ctx.now();
        let interval = self.cfg.heartbeat_interval;
        let commit = self.decided.last_index();
        let Some(lead) = self.lead.as_ref() else {
            return;
        };
        let ballot = lead.ballot;
        let peers = self.peers();
        let mut resend: Vec<(NodeId, LogIndex)> = Vec::new();
        for &p in &peers {
            let stale = lead.proposals.iter().find(|(_, x)| {
                !x.chosen && !x.acks.contains(&p) && now.saturating_since(x.sent_at) >= interval
            });
            if let Some((&slot, _)) = stale {
                resend.push((p, slot));
            }
        }
        let end = lead.next_slot;
        for p in peers {
            self.send_now(ctx, p, PaxosMsg::Heartbeat { ballot, commit });
        }
        for (p, slot) in resend {
            self.send_accept(ctx, p, slot, end);
        }
        if let Some(lead) = self.lead.as_mut() {
            for x in lead.proposals.values_mut() {
                if !x.chosen && now.saturating_since(x.sent_at) >= interval {
                    x.sent_at = now;
                }
            }
            if !lead.established {
                self.catch_up_leader(ctx);
            }
        }
        ctx.set_timer(PaxosTimer::Heartbeat, interval);
    }

    /// A follower heard a heartbeat.
    pub(super) fn on_heartbeat_ack(&mut self, from: NodeId, ballot: Ballot) {
        if let Some(lead) = self.lead.as_mut()
            && lead.ballot == ballot
            && !lead.heard.contains(&from)
            && self.servers.contains(&from)
        {
            lead.heard.push(from);
        }
    }

    /// The check-quorum timer fired: step down unless a majority was heard from.
    pub(super) fn check_quorum(&mut self, ctx: &mut Ctx<'_, M>) {
        let quorum = self.quorum();
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if lead.heard.len() + 1 >= quorum {
            lead.heard.clear();
            ctx.set_timer(PaxosTimer::Quorum, self.cfg.election_timeout_max);
        } else {
            self.step_down(ctx, None);
        }
    }

    /// An acceptor refused this proposer's ballot: a higher one exists.
    pub(super) fn on_nack(&mut self, ctx: &mut Ctx<'_, M>, promised: Ballot) {
        self.max_round = self.max_round.max(promised.round);
        let mine = self.campaign.as_ref().map(|c| c.ballot).or(self.lead.as_ref().map(|l| l.ballot));
        if mine.is_some_and(|b| b < promised) {
            self.step_down(ctx, Some(promised.node));
        }
    }

    /// A client request: only a leader (one that completed phase 1) accepts it.
    pub(super) fn handle_client(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, req: ClientRequest) {
        let seq = req.seq;
        let Some(lead) = self.lead.as_ref() else {
            let leader = if self.role == Role::Follower { self.leader } else { None };
            return self.reply(ctx, from, ClientReply::NotLeader { seq, leader });
        };
        if let KvOp::Get { key } = req.op
            && self.cfg.bugs.stale_leader_reads
        {
            let result = self.kv.read(key);
            return self.reply(ctx, from, ClientReply::Ok { seq, result });
        }
        if lead.proposals.len() as u64 >= self.cfg.max_uncommitted {
            // Not accepted: this leader is not getting anything chosen (probably cut off).
            return self.reply(ctx, from, ClientReply::NotLeader { seq, leader: None });
        }
        let term = lead.ballot.term();
        let slot = self.propose(ctx, Entry { term, payload: Payload::Command(req.to_bytes().into()) });
        if let Some(lead) = self.lead.as_mut() {
            lead.pending.insert(slot, Waiter { to: from, seq });
        }
    }
}
