//! Log replication (§5.3) and commitment (§5.4.2), with batching and pipelining.
//!
//! - **Consistency check.** AppendEntries names the entry preceding the new ones
//!   (`prev_index`, `prev_term`); a follower whose log does not hold it rejects, reporting
//!   the conflicting term and the first index it holds of that term, so the leader skips a
//!   whole term per round trip instead of one entry (§5.3, "the leader can decrement
//!   nextIndex to bypass all of the conflicting entries in that term").
//! - **Conflicts.** A follower deletes an existing entry that conflicts with a new one (same
//!   index, different term) and everything after it, and never touches entries that match:
//!   a delayed, reordered AppendEntries must not truncate entries it does not contradict.
//! - **Commitment (§5.4.2, Figure 8).** The leader advances its commit index to the highest
//!   index stored (durably) on a majority of voters *and of its current term*; entries of
//!   earlier terms are committed only indirectly, beneath one of its own. Counting replicas
//!   of an older-term entry is unsafe: Figure 8 shows such an entry overwritten by a later
//!   leader (see the `commit_old_terms` bug).
//! - **Batching and pipelining.** Per follower, the leader probes (one AppendEntries at a
//!   time) until it learns where the logs match, then replicates optimistically with up to
//!   `max_inflight` batches of at most `max_entries_per_msg` entries / `max_bytes_per_msg`
//!   bytes in flight, as etcd/raft does. A follower that acknowledges no batch for two
//!   heartbeat intervals while batches are in flight is probed again from its match index
//!   (the batches were probably lost).
//! - **Heartbeats** are AppendEntries without entries anchored at the follower's match
//!   index, so they pass the check and carry the commit index. Each carries the leader's
//!   *round*, echoed by the follower: ReadIndex and leases count acknowledged rounds.

use std::collections::{BTreeMap, VecDeque};

use crate::kv::ClientSeq;
use eightfold_sim::sim::{Ctx, DiskOp, LogIndex, NodeId, Observation, Role, SimDuration, SimTime, Term};

use super::batch::Batch;
use super::by_node::ByNode;
use super::log::{Entry, RaftPayload};
use super::msg::{AppendOutcome, HeartbeatRound, RaftMsg};
use super::node::{RaftHost, RaftNode, RaftTimer};
use super::read::PendingRead;
use super::storage::{self, Snapshot, WAL};

/// How many heartbeat intervals without an acknowledged batch make in-flight batches lost
/// (heartbeat answers do not count: they may overtake batches that are merely slow).
const STALL_TICKS: u8 = 2;
/// Rounds whose send times a leader remembers (older acknowledgements do not extend a lease).
const ROUND_MEMORY: usize = 128;

/// How the leader replicates to one follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Looking for the point where the logs match: one AppendEntries at a time.
    Probe,
    /// Streaming entries, up to `max_inflight` batches ahead.
    Replicate,
    /// Streaming the snapshot covering `index` (kept in [`Progress::snapshot`]) one chunk at a
    /// time: the follower acknowledged `offset` bytes; the latest chunk was sent at `sent_at`.
    Snapshot { index: LogIndex, offset: u64, sent_at: SimTime },
}

/// The leader's view of one follower (Figure 2's nextIndex and matchIndex, and more).
#[derive(Clone, Debug)]
pub(super) struct Progress {
    /// Highest index known replicated (durably) on the follower.
    pub matched: LogIndex,
    /// Next index to send.
    pub next: LogIndex,
    pub phase: Phase,
    /// Last index of each batch in flight.
    pub inflight: VecDeque<LogIndex>,
    /// Highest heartbeat round the follower acknowledged.
    pub acked_round: HeartbeatRound,
    /// Leader-clock send time of that round (for the `leader_local_lease` bug's lease).
    pub ack_sent_at: Option<SimTime>,
    /// Leader-clock time until which this follower has promised to vote for no one: the
    /// latest of `send time of the round + promise` over its answers (for the lease).
    pub lease_until: Option<SimTime>,
    /// Heard from since the last check-quorum.
    pub heard: bool,
    /// Heartbeat ticks since an in-flight batch was last acknowledged.
    pub stalled_ticks: u8,
    /// The snapshot being streamed in [`Phase::Snapshot`]. Pinned, so that a compaction in
    /// the middle of a transfer does not restart it with a newer snapshot.
    pub snapshot: Option<Snapshot>,
    /// (next, matched) as last announced ([`Observation::Progress`]), so that only changes
    /// are announced.
    pub shown: Option<(LogIndex, LogIndex)>,
}

impl Progress {
    fn new(next: LogIndex) -> Self {
        Progress {
            matched: LogIndex(0),
            next,
            phase: Phase::Probe,
            inflight: VecDeque::new(),
            acked_round: HeartbeatRound(0),
            ack_sent_at: None,
            lease_until: None,
            heard: false,
            stalled_ticks: 0,
            snapshot: None,
            shown: None,
        }
    }

    pub(super) fn probe_from(&mut self, next: LogIndex) {
        self.phase = Phase::Probe;
        self.next = next;
        self.inflight.clear();
        self.snapshot = None;
    }
}

/// A client waiting for its write (or log read) to be applied.
#[derive(Clone, Copy, Debug)]
pub(super) struct Waiter {
    pub to: NodeId,
    pub seq: ClientSeq,
    pub term: Term,
}

/// Volatile state of a leader, rebuilt at each election.
#[derive(Debug)]
pub(super) struct LeaderState {
    pub progress: ByNode<Progress>,
    /// Followers whose progress was handed out for change since it was last announced
    /// ([`LeaderState::progress_mut`]): the announcement looks at these alone, not at every
    /// follower.
    pub touched: Vec<NodeId>,
    /// The current heartbeat round.
    pub round: HeartbeatRound,
    /// Send time of rounds `round_base ..= round`.
    round_times: VecDeque<SimTime>,
    round_base: HeartbeatRound,
    /// A broadcast round is wanted at the end of the handler (for reads).
    pub need_round: bool,
    /// Index of this term's no-op: once committed, this leader knows what is committed.
    pub term_start: LogIndex,
    pub pending: BTreeMap<LogIndex, Waiter>,
    pub reads: Vec<PendingRead>,
    /// `(c, k)`: when the commit index was `c`, `k` followers had matched beyond it (kept
    /// up by acknowledgements). While fewer than a quorum (counting the leader) have, the
    /// commit index cannot move, so an acknowledgement skips [`RaftNode::maybe_commit`] and
    /// its look at every follower: the leader's work per acknowledgement does not grow
    /// with the cluster (issue 21). `None`, or a `c` that is not the commit index: unknown.
    pub beyond_commit: Option<(LogIndex, usize)>,
    /// Scratch space reused by every handler: the followers to send to, and the match
    /// indices a commit is chosen from (no allocation per client operation or
    /// acknowledgement).
    peers: Vec<NodeId>,
    matches: Vec<LogIndex>,
    /// The last batch of entries sent, starting at the index it names: followers sent the
    /// same entries get the same batch (see [`Batch`]).
    batch: Option<(LogIndex, Batch)>,
}

impl LeaderState {
    pub fn new(peers: &[NodeId], last: LogIndex, now: SimTime) -> Self {
        LeaderState {
            progress: peers.iter().map(|&p| (p, Progress::new(last.next()))).collect(),
            touched: peers.to_vec(),
            round: HeartbeatRound(1),
            round_times: VecDeque::from([now]),
            round_base: HeartbeatRound(1),
            need_round: false,
            term_start: LogIndex(u64::MAX),
            pending: BTreeMap::new(),
            reads: Vec::new(),
            beyond_commit: None,
            peers: Vec::new(),
            matches: Vec::new(),
            batch: None,
        }
    }

    /// The followers, in order, in a buffer taken from the leader (give it back with
    /// [`LeaderState::give_back`]).
    fn take_peers(&mut self) -> Vec<NodeId> {
        let mut peers = std::mem::take(&mut self.peers);
        peers.clear();
        peers.extend(self.progress.keys());
        peers
    }

    /// Returns the buffer [`LeaderState::take_peers`] lent.
    fn give_back(&mut self, peers: Vec<NodeId>) {
        self.peers = peers;
    }

    fn new_round(&mut self, now: SimTime) {
        self.round = self.round.next();
        self.round_times.push_back(now);
        if self.round_times.len() > ROUND_MEMORY {
            self.round_times.pop_front();
            self.round_base = self.round_base.next();
        }
    }

    fn round_time(&self, round: HeartbeatRound) -> Option<SimTime> {
        let k = round.0.checked_sub(self.round_base.0)?;
        self.round_times.get(k as usize).copied()
    }

    /// Adds and removes followers to match a new configuration.
    pub fn track(&mut self, voters: &[NodeId], me: NodeId, last: LogIndex) {
        self.progress.retain(|p, _| voters.contains(p));
        for &v in voters {
            if v != me && !self.progress.contains_key(&v) {
                self.progress.insert(v, Progress::new(last.next()));
                self.touched.push(v);
            }
        }
    }

    /// A follower's progress, to change: every change of nextIndex or matchIndex goes
    /// through here, so the follower is announced at the end of the handler.
    pub fn progress_mut(&mut self, peer: NodeId) -> Option<&mut Progress> {
        let pr = self.progress.get_mut(&peer)?;
        self.touched.push(peer);
        Some(pr)
    }

    /// [`LeaderState::progress_mut`], with the last batch sent beside it.
    fn progress_and_batch(
        &mut self,
        peer: NodeId,
    ) -> Option<(&mut Progress, &mut Option<(LogIndex, Batch)>)> {
        let pr = self.progress.get_mut(&peer)?;
        self.touched.push(peer);
        Some((pr, &mut self.batch))
    }
}

impl<M: RaftHost> RaftNode<M> {
    /// Appends an entry of the current term to the leader's log, writes it, and starts
    /// replicating it. Returns its index.
    pub(super) fn propose(&mut self, ctx: &mut Ctx<'_, M>, payload: RaftPayload) -> LogIndex {
        let entry = Entry { term: self.term, payload };
        let mut data = ctx.buffer();
        let first = self.log.last_index().next();
        storage::entries_record(&mut data, first, std::iter::once(&entry));
        // The followers get this entry as one shared batch, its record already written.
        let batch = Batch::with_record(vec![entry.clone()], first, &data);
        self.wal_write(ctx, DiskOp::Append { file: WAL, data });
        let index = self.append_entry(ctx, entry);
        if let Some(l) = self.lead.as_mut() {
            l.batch = Some((first, batch));
        }
        let peers = self.lead.as_mut().map(|l| l.take_peers()).unwrap_or_default();
        for &p in &peers {
            self.replicate(ctx, p);
        }
        if let Some(l) = self.lead.as_mut() {
            l.give_back(peers);
        }
        index
    }

    /// Appends an (already written) entry to the in-memory log and announces it.
    pub(super) fn append_entry(&mut self, ctx: &mut Ctx<'_, M>, entry: Entry) -> LogIndex {
        let term = entry.term;
        let config = matches!(entry.payload, RaftPayload::Config(_));
        let (index, chain) = self.log.append(entry);
        ctx.observe(Observation::Appended { index, term, chain });
        if config {
            let payload = self.log.entry(index).map(|e| e.payload.clone());
            if let Some(p) = payload
                && self.membership.on_append(index, &p)
            {
                self.config_changed(ctx);
            }
        }
        index
    }

    /// Discards the log from `from` on (a conflicting suffix).
    fn truncate_log(&mut self, ctx: &mut Ctx<'_, M>, from: LogIndex) {
        self.log.truncate_from(from);
        self.disk.truncated(from);
        ctx.observe(Observation::Truncated { from });
        if self.membership.truncate(from) {
            self.config_changed(ctx);
        }
    }

    /// Sends as many batches to `peer` as its phase and pipeline allow.
    pub(super) fn replicate(&mut self, ctx: &mut Ctx<'_, M>, peer: NodeId) {
        while self.send_append(ctx, peer) {}
    }

    /// Sends one AppendEntries (or InstallSnapshot) to `peer` if allowed; true if it sent a
    /// batch and another might follow.
    fn send_append(&mut self, ctx: &mut Ctx<'_, M>, peer: NodeId) -> bool {
        let (max_n, max_bytes, max_inflight) =
            (self.cfg.max_entries_per_msg, self.cfg.max_bytes_per_msg, self.cfg.max_inflight.max(1) as usize);
        let base = self.log.base().index;
        let last = self.log.last_index();
        let Some(lead) = self.lead.as_mut() else {
            return false;
        };
        let round = lead.round;
        let Some((pr, batch)) = lead.progress_and_batch(peer) else {
            return false;
        };
        match pr.phase {
            Phase::Snapshot { .. } => return false,
            Phase::Probe if !pr.inflight.is_empty() => return false,
            Phase::Replicate if pr.inflight.len() >= max_inflight || pr.next > last => {
                return false;
            }
            _ => {}
        }
        if pr.next <= base {
            self.send_snapshot(ctx, peer);
            return false;
        }
        // Never probe beyond our own log, whatever a (possibly forged) reply claimed.
        if pr.next > last.next() {
            pr.next = last.next();
        }
        let prev_index = pr.next.prev();
        let Some(prev_term) = self.log.term_at(prev_index) else {
            return false;
        };
        // The same entries as the last batch: share it (the usual case, every follower
        // being sent the entry just proposed); otherwise build one for the next followers.
        let n = self.log.slice_len(pr.next, max_n, max_bytes);
        let entries = match batch {
            _ if n == 0 => Batch::empty(),
            Some((first, b))
                if *first == pr.next && b.len() == n && b.iter().eq(self.log.tail(pr.next).take(n)) =>
            {
                b.clone()
            }
            _ => {
                let b = Batch::from(self.log.tail(pr.next).take(n).cloned().collect::<Vec<_>>());
                *batch = Some((pr.next, b.clone()));
                b
            }
        };
        let end = LogIndex(prev_index.0 + n as u64);
        pr.inflight.push_back(end);
        let streaming = pr.phase == Phase::Replicate;
        if streaming {
            pr.next = end.next();
        }
        let msg = RaftMsg::AppendEntries {
            term: self.term,
            round,
            prev_index,
            prev_term,
            commit: self.commit,
            entries,
        };
        self.send_now(ctx, peer, msg);
        streaming
    }

    /// An AppendEntries without entries, anchored where the follower is known to match.
    fn send_heartbeat(&mut self, ctx: &mut Ctx<'_, M>, peer: NodeId) {
        let Some(lead) = self.lead.as_ref() else {
            return;
        };
        let Some(pr) = lead.progress.get(&peer) else {
            return;
        };
        let base = self.log.base();
        let (prev_index, prev_term) = match self.log.term_at(pr.matched) {
            Some(t) => (pr.matched, t),
            None => (base.index, base.term),
        };
        let msg = RaftMsg::AppendEntries {
            term: self.term,
            round: lead.round,
            prev_index,
            prev_term,
            commit: self.commit,
            entries: Batch::empty(),
        };
        self.send_now(ctx, peer, msg);
    }

    /// Starts a new heartbeat round to every follower. On the periodic tick it also
    /// retransmits probes, re-probes stalled pipelines and resends old snapshots.
    pub(super) fn broadcast_round(&mut self, ctx: &mut Ctx<'_, M>, tick: bool) {
        let now = ctx.now();
        let retry = self.cfg.snapshot_retry;
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        lead.need_round = false;
        lead.new_round(now);
        let peers = lead.take_peers();
        for &p in &peers {
            let Some(pr) = self.lead.as_mut().and_then(|l| l.progress_mut(p)) else {
                continue;
            };
            let mut resend = false;
            let mut snapshot = false;
            if tick {
                if pr.inflight.is_empty() {
                    pr.stalled_ticks = 0;
                } else {
                    pr.stalled_ticks = pr.stalled_ticks.saturating_add(1);
                }
                match pr.phase {
                    Phase::Probe => {
                        pr.inflight.clear();
                        resend = true;
                    }
                    Phase::Replicate if !pr.inflight.is_empty() && pr.stalled_ticks >= STALL_TICKS => {
                        let from = pr.matched.next();
                        pr.probe_from(from);
                        resend = true;
                    }
                    Phase::Snapshot { sent_at, .. } => snapshot = now.saturating_since(sent_at) >= retry,
                    _ => {}
                }
            }
            if snapshot {
                // The chunk (or its answer) was lost: send it again.
                self.send_snapshot_chunk(ctx, p);
            } else if resend {
                self.replicate(ctx, p);
            } else {
                self.send_heartbeat(ctx, p);
            }
        }
        if let Some(l) = self.lead.as_mut() {
            l.give_back(peers);
        }
        // A leader that is the only voter confirms rounds on its own.
        self.serve_reads(ctx);
    }

    /// The heartbeat timer fired.
    pub(super) fn heartbeat_tick(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.role != Role::Leader {
            return;
        }
        self.broadcast_round(ctx, true);
        ctx.set_timer(RaftTimer::Heartbeat, self.cfg.heartbeat_interval);
    }

    /// The check-quorum timer fired: step down unless a majority was heard from during the
    /// last interval (dissertation §6.2).
    pub(super) fn check_quorum(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.role != Role::Leader {
            return;
        }
        let mut heard = vec![self.id];
        if let Some(lead) = self.lead.as_mut() {
            for (p, pr) in lead.progress.iter_mut() {
                if pr.heard {
                    heard.push(p);
                }
                pr.heard = false;
            }
        }
        if self.membership.has_quorum(&heard) {
            ctx.set_timer(RaftTimer::Quorum, self.cfg.election_timeout_max);
        } else {
            let term = self.term;
            self.become_follower(ctx, term, None);
        }
    }

    /// Follower side of AppendEntries.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_entries(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        term: Term,
        round: HeartbeatRound,
        (prev_index, prev_term): (LogIndex, Term),
        leader_commit: LogIndex,
        entries: Batch,
    ) {
        if term < self.term {
            // Tell a stale leader about the newer term.
            let outcome =
                AppendOutcome::Conflict { prev: prev_index, term: None, index: self.log.last_index().next() };
            let promise = self.promise_left(ctx.now());
            let resp = RaftMsg::AppendEntriesResp { term: self.term, round, promise, outcome };
            self.send_durable(ctx, from, resp);
            return;
        }
        if self.role == Role::Leader {
            // Two leaders in one term cannot happen; a forged message is ignored.
            return;
        }
        self.heard_leader(ctx, from, term);
        let promise = self.promise_left(ctx.now());
        if self.snap_job.as_ref().is_some_and(|j| j.installing()) {
            // The log is being replaced by a snapshot; the leader retries.
            return;
        }
        let matched = LogIndex(prev_index.0 + entries.len() as u64);
        // Entries up to the snapshot are committed, hence equal to the leader's: skip them.
        let base = self.log.base();
        let (mut prev, mut prev_t) = (prev_index, prev_term);
        let mut skip = 0;
        if prev < base.index {
            skip = (base.index.0 - prev.0) as usize;
            if skip >= entries.len() {
                let resp = RaftMsg::AppendEntriesResp {
                    term,
                    round,
                    promise,
                    outcome: AppendOutcome::Match { index: matched },
                };
                self.send_durable(ctx, from, resp);
                return;
            }
            prev_t = entries[skip - 1].term;
            prev = base.index;
        }
        let rest = &entries[skip..];
        if self.log.term_at(prev) != Some(prev_t) {
            let outcome = match self.log.term_at(prev) {
                None => AppendOutcome::Conflict {
                    prev: prev_index,
                    term: None,
                    index: self.log.last_index().next(),
                },
                Some(t) => AppendOutcome::Conflict {
                    prev: prev_index,
                    term: Some(t),
                    index: self.log.first_index_of_term(t).max(self.commit.next()),
                },
            };
            self.send_durable(ctx, from, RaftMsg::AppendEntriesResp { term, round, promise, outcome });
            return;
        }
        // Skip the entries already held; truncate at the first conflict.
        let mut fresh = rest.len();
        for (k, e) in rest.iter().enumerate() {
            let i = LogIndex(prev.0 + 1 + k as u64);
            match self.log.term_at(i) {
                Some(t) if t == e.term => continue,
                Some(_) => {
                    self.truncate_log(ctx, i);
                    fresh = k;
                }
                None => fresh = k,
            }
            break;
        }
        if fresh < rest.len() {
            let first = LogIndex(prev.0 + 1 + fresh as u64);
            let mut data = ctx.buffer();
            if skip == 0 && fresh == 0 {
                // The whole batch: the record another server may already have encoded.
                entries.write_record(&mut data, first);
            } else {
                storage::entries_record(&mut data, first, rest[fresh..].iter());
            }
            self.wal_write(ctx, DiskOp::Append { file: WAL, data });
            for e in &rest[fresh..] {
                self.append_entry(ctx, e.clone());
            }
        }
        let resp = RaftMsg::AppendEntriesResp {
            term,
            round,
            promise,
            outcome: AppendOutcome::Match { index: matched },
        };
        self.send_durable(ctx, from, resp);
        self.set_commit(ctx, leader_commit.min(matched));
    }

    /// Leader side: a follower answered AppendEntries.
    pub(super) fn on_append_resp(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        (term, round, promise): (Term, HeartbeatRound, SimDuration),
        outcome: AppendOutcome,
    ) {
        if term != self.term || self.role != Role::Leader {
            return;
        }
        if !self.acknowledged(from, round, promise) {
            return;
        }
        let last = self.log.last_index();
        let Some(pr) = self.lead.as_mut().and_then(|l| l.progress_mut(from)) else {
            return;
        };
        match outcome {
            AppendOutcome::Match { index } => {
                let index = index.min(last);
                let matched_before = pr.matched;
                pr.matched = pr.matched.max(index);
                let matched_after = pr.matched;
                let before = pr.inflight.len();
                pr.inflight.retain(|&end| end > index);
                if pr.inflight.len() < before {
                    pr.stalled_ticks = 0;
                }
                match pr.phase {
                    Phase::Probe if index >= pr.next.prev() => {
                        pr.phase = Phase::Replicate;
                        pr.inflight.clear();
                        pr.next = pr.matched.next();
                    }
                    Phase::Snapshot { index: s, .. } if index >= s => pr.probe_from(pr.matched.next()),
                    Phase::Replicate => pr.next = pr.next.max(pr.matched.next()),
                    _ => {}
                }
                if self.may_commit_after(matched_before, matched_after) {
                    self.maybe_commit(ctx);
                }
            }
            AppendOutcome::Conflict { prev, term: hint_term, index: hint_index } => {
                let stale = match pr.phase {
                    Phase::Snapshot { .. } => true,
                    Phase::Replicate => prev <= pr.matched,
                    Phase::Probe => prev != pr.next.prev(),
                };
                if stale {
                    self.serve_reads(ctx);
                    return;
                }
                let hinted = match hint_term.and_then(|t| self.log.last_index_of_term(t)) {
                    Some(j) => j.next(),
                    None => hint_index,
                };
                let next = hinted.min(prev).max(pr.matched.next());
                pr.probe_from(next);
            }
        }
        self.replicate(ctx, from);
        self.serve_reads(ctx);
    }

    /// Records that `from` answered a message of heartbeat round `round` in this term,
    /// promising `promise` more of no votes: liveness for check-quorum, leadership
    /// confirmation for reads, lease extension. False if `from` is not a follower this
    /// leader tracks.
    ///
    /// The follower's promise runs from when it wrote the answer, which is after it received
    /// the round, which is after this leader sent it: counting it from the round's send
    /// time ends it no later than the follower keeps it (with clocks at the same rate).
    pub(super) fn acknowledged(&mut self, from: NodeId, round: HeartbeatRound, promise: SimDuration) -> bool {
        let Some(lead) = self.lead.as_mut() else {
            return false;
        };
        let sent_at = lead.round_time(round);
        let current = lead.round;
        let Some(pr) = lead.progress_mut(from) else {
            return false;
        };
        pr.heard = true;
        if round > current {
            return true;
        }
        if round > pr.acked_round {
            pr.acked_round = round;
            if sent_at.is_some() {
                pr.ack_sent_at = sent_at;
            }
        }
        if let Some(sent) = sent_at
            && promise > SimDuration::ZERO
        {
            let until = sent + promise;
            pr.lease_until = Some(pr.lease_until.map_or(until, |u| u.max(until)));
        }
        true
    }

    /// A follower's match index went from `before` to `after`: false if the commit index
    /// certainly cannot move, so [`Self::maybe_commit`] would do nothing.
    ///
    /// The commit index moves only to an index matched by a quorum of voters, so only if at
    /// least a quorum have matched beyond it. The count of followers that have is kept in
    /// [`LeaderState::beyond_commit`] (set by `maybe_commit`, raised here when a follower
    /// crosses the commit index); the leader counts as one whatever its own disk holds, which
    /// can only make this say true too often, never wrongly false. With the count unknown it
    /// says true. Every other change that could move the commit index (the leader's disk, a
    /// snapshot's acknowledgement, a new configuration, a new entry) calls `maybe_commit`
    /// itself.
    fn may_commit_after(&mut self, before: LogIndex, after: LogIndex) -> bool {
        let (commit, quorum) = (self.commit, self.membership.quorum());
        let Some(lead) = self.lead.as_mut() else {
            return false;
        };
        match &mut lead.beyond_commit {
            Some((c, k)) if *c == commit => {
                if before <= commit && after > commit {
                    *k += 1;
                }
                after > before && *k + 1 >= quorum
            }
            _ => true,
        }
    }

    /// Advances the commit index to the highest index durable on a majority — only if that
    /// entry is of the current term (§5.4.2), unless the `commit_old_terms` bug is on.
    pub(super) fn maybe_commit(&mut self, ctx: &mut Ctx<'_, M>) {
        self.advance_commit(ctx);
        let commit = self.commit;
        if let Some(lead) = self.lead.as_mut() {
            let k = lead.progress.values().filter(|p| p.matched > commit).count();
            lead.beyond_commit = Some((commit, k));
        }
    }

    /// [`Self::maybe_commit`] without counting the followers beyond the commit index.
    fn advance_commit(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let voters = self.membership.voters();
        let mut matches = std::mem::take(&mut lead.matches);
        matches.clear();
        matches.extend(voters.iter().map(|v| {
            if *v == self.id {
                self.disk.persisted().min(self.log.last_index())
            } else {
                lead.progress.get(v).map_or(LogIndex(0), |p| p.matched)
            }
        }));
        if matches.is_empty() {
            lead.matches = matches;
            return;
        }
        // The quorum-th largest (a selection, not a sort).
        let (_, &mut n, _) = matches.select_nth_unstable_by(self.membership.quorum() - 1, |a, b| b.cmp(a));
        lead.matches = matches;
        if n > self.commit && (self.cfg.bugs.commit_old_terms || self.log.term_at(n) == Some(self.term)) {
            self.set_commit(ctx, n);
        }
    }

    /// After the leader's commit index advanced: a leader removed from the configuration
    /// steps down once that configuration is committed (dissertation §4.2.2); reads waiting
    /// for this term's first commit can proceed.
    pub(super) fn leader_committed(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.membership.is_voter(self.id) && self.commit >= self.membership.latest_index() {
            let term = self.term;
            self.become_follower(ctx, term, None);
            return;
        }
        self.serve_reads(ctx);
    }

    /// The configuration in force changed (appended or truncated).
    pub(super) fn config_changed(&mut self, ctx: &mut Ctx<'_, M>) {
        ctx.observe(Observation::Membership { voters: self.membership.voters().to_vec() });
        let last = self.log.last_index();
        if let Some(lead) = self.lead.as_mut() {
            lead.track(self.membership.voters(), self.id, last);
        }
    }
}
