//! The learner (*Paxos Made Simple* §2.3, "Learning a Chosen Value"; §3 for the state
//! machine): the decided prefix, its application to the key-value store, catching up, and
//! compaction.
//!
//! - **Learning from the leader.** Accept and Heartbeat messages carry the leader's decided
//!   prefix. A slot in it that this acceptor accepted *in the leader's ballot* holds the
//!   decided value (a ballot proposes one value per slot), so it is decided here without
//!   more traffic (`Decide` record).
//! - **Catching up.** A slot the learner did not accept in that ballot (it missed the
//!   Accept, or accepted an older proposal) is fetched: `Fetch{from}` to the peer that
//!   reported the longer prefix, answered by `Learn` (a batch of decided values) or, if the
//!   peer has compacted them, its snapshot. A learner has **at most one request
//!   outstanding** ([`Request`]); the slot (or chunk offset) it asked for is the request's
//!   identity, and only the answer to it ends the request and sends the next one at once
//!   (the pull pipeline of a catching-up learner). A duplicated, stale or unasked-for
//!   answer is used for what it holds but sends nothing: otherwise each duplicate would
//!   start a request-answer chain of its own, and with 20 % duplication the chains
//!   multiply until the run drowns (the "fetch storm" of issue 14). A request that gets no
//!   answer is sent again once it is two heartbeat intervals old, so catching up is paced
//!   by the leader's heartbeats and Accepts, which are what tell a learner it is behind. A snapshot is as large as the store, so it comes
//!   in `Snapshot` chunks of at most `max_bytes_per_msg` bytes ([`crate::replica::chunk`]):
//!   the learner asks for each next one with `FetchChunk` (its offset is what it holds), asks
//!   again for the same one if it is lost, and gives the transfer up if it stops making
//!   progress for `snapshot_retry` (the sender crashed). The sender pins the snapshot it is
//!   sending to each peer, so its own compactions do not restart the transfer. A new leader
//!   behind the decided prefix some promise reported does the same before it can establish
//!   itself.
//! - **Applying.** Every server applies the decided prefix in slot order to its
//!   [`crate::kv::KvStore`] and announces `Appended` (the value and the chain hash of
//!   the decided prefix ending there), `Committed` and `Applied` for each slot. The leader
//!   answers the client whose command it proposed there, once applied.
//! - **Compaction (Raft §7, the same two steps).** Once `snapshot_threshold` decided slots
//!   follow the last snapshot, the store is serialized and written to the snapshot file
//!   with `Replace`; only when that is durable is the WAL rewritten without the compacted
//!   prefix. An installed snapshot follows the same two steps; until it is durable the
//!   server answers neither Prepare nor Accept and learns nothing more.

use std::sync::Arc;

use crate::kv::{ClientReply, ClientRequest, KvStore};
use crate::replica::chunk::{self, Chunk};
use crate::replica::log::{Entry, LogBase, LogPayload, Payload, ReplicaLog};
use crate::replica::{self, SnapStage as Stage};
use eightfold_sim::sim::{Ctx, DiskOp, LogIndex, NodeId, Observation, SimDuration, SimTime};

use super::ballot::Ballot;
use super::msg::PaxosMsg;
use super::node::{PaxosHost, PaxosNode};
use super::storage::{self, SNAPSHOT, WAL};

/// A snapshot being made durable (local compaction or one installed from a peer), named by
/// the decided prefix it covers.
pub(super) type SnapJob = replica::SnapJob<LogBase>;

/// A peer's snapshot a learner is receiving, chunk by chunk, named by the decided prefix it
/// covers.
pub(super) type Incoming = replica::Incoming<LogBase>;

/// What a learner asked a peer for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Want {
    /// Decided values from this slot on (`Fetch`).
    Slots(LogIndex),
    /// The chunk at this offset of the snapshot ending at this slot (`FetchChunk`).
    Chunk(LogIndex, u64),
}

/// The catch-up request a learner has outstanding (at most one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Request {
    /// What it asks for, which is also how its answer is recognised: a `Learn` starting at
    /// the slot asked for, the chunk at the offset asked for.
    pub want: Want,
    /// The peer asked.
    pub to: NodeId,
    /// When it was sent.
    pub at: SimTime,
}

impl Request {
    /// True if `Learn{first, ..}` from `from` answers this request.
    fn answered_by_learn(&self, from: NodeId, first: LogIndex) -> bool {
        self.to == from && self.want == Want::Slots(first)
    }

    /// True if the chunk at `offset` of `from`'s snapshot ending at `index` answers this
    /// request: the chunk asked for, or the first chunk of a snapshot sent in place of the
    /// decided values a `Fetch` asked for (the peer had compacted them).
    fn answered_by_chunk(&self, from: NodeId, index: LogIndex, offset: u64) -> bool {
        self.to == from
            && match self.want {
                Want::Slots(first) => offset == 0 && index >= first,
                Want::Chunk(i, o) => i == index && o == offset,
            }
    }
}

impl<M: PaxosHost> PaxosNode<M> {
    /// True while an installed snapshot is not yet durable.
    pub(super) fn installing(&self) -> bool {
        self.snap_job.as_ref().is_some_and(|j| j.installing())
    }

    /// The leader of `ballot` says every slot up to `commit` is decided.
    pub(super) fn learn_commit(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        ballot: Ballot,
        commit: LogIndex,
    ) {
        if self.installing() {
            return;
        }
        if commit > self.commit_hint.0 {
            self.commit_hint = (commit, Some(from));
        }
        let last = self.decided.last_index();
        let mut upto = last;
        while upto < commit {
            match self.accepted.get(&upto.next()) {
                Some(a) if a.ballot == ballot => upto = upto.next(),
                _ => break,
            }
        }
        if upto > last {
            let entries: Vec<Entry> =
                self.accepted.range(last.next()..=upto).map(|(_, a)| a.entry.clone()).collect();
            let data = storage::decide_record(upto);
            self.wal_write(ctx, DiskOp::Append { file: WAL, data });
            self.extend_decided(ctx, entries);
        }
        if self.decided.last_index() < self.commit_hint.0 {
            let target = self.commit_hint.1.unwrap_or(from);
            self.maybe_fetch(ctx, target);
        }
    }

    /// Asks `target` for the decided values after this server's prefix (or the sender of
    /// the snapshot being received for its next chunk), unless a request is outstanding: one
    /// sent less than two heartbeat intervals ago and not answered yet.
    pub(super) fn maybe_fetch(&mut self, ctx: &mut Ctx<'_, M>, target: NodeId) {
        if self.installing() || target == self.id {
            return;
        }
        let now = ctx.now();
        // A transfer that stopped moving (its sender crashed or lost the snapshot) is given
        // up; the plain Fetch below starts a new one.
        if self
            .incoming
            .as_ref()
            .is_some_and(|i| now.saturating_since(i.progress_at) >= self.cfg.snapshot_retry)
        {
            self.incoming = None;
        }
        let (to, want, msg) = match &self.incoming {
            Some(i) => {
                let offset = i.held();
                (
                    i.from,
                    Want::Chunk(i.key.index, offset),
                    PaxosMsg::FetchChunk { index: i.key.index, offset },
                )
            }
            None => {
                let from = self.decided.last_index().next();
                (target, Want::Slots(from), PaxosMsg::Fetch { from })
            }
        };
        let retry = SimDuration(self.cfg.heartbeat_interval.as_nanos().saturating_mul(2));
        if self.fetching.is_some_and(|r| now.saturating_since(r.at) < retry) {
            return;
        }
        self.fetching = Some(Request { want, to, at: now });
        self.send_now(ctx, to, msg);
    }

    /// A peer asks for decided values.
    pub(super) fn on_fetch(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, from: LogIndex) {
        let base = self.decided.base().index;
        if from <= base {
            let now = ctx.now();
            let recent =
                self.snap_sent.get(&to).is_some_and(|&t| now.saturating_since(t) < self.cfg.snapshot_retry);
            if let Some(snapshot) = self.snapshot.clone()
                && snapshot.0.index >= from
                && !recent
            {
                self.snap_sent.insert(to, now);
                self.send_chunk(ctx, to, snapshot, 0);
            }
            return;
        }
        // As many values as one message holds: the learner asks again only once this arrives.
        let entries = self.decided.slice(from, u32::MAX, self.cfg.max_bytes_per_msg);
        if !entries.is_empty() {
            let decided = self.decided.last_index();
            self.send_now(ctx, to, PaxosMsg::Learn { first: from, entries, decided });
        }
    }

    /// A peer asks for the next chunk of the snapshot ending at `index`: served from the
    /// snapshot pinned for it, or from the current one if that is the same. A request for
    /// any other is not answered (the learner gives up and starts over).
    pub(super) fn on_fetch_chunk(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, index: LogIndex, offset: u64) {
        let pinned = self.serving.get(&to).map(|(s, _)| s).filter(|s| s.0.index == index);
        let Some(snapshot) = pinned.or(self.snapshot.as_ref().filter(|s| s.0.index == index)).cloned() else {
            return;
        };
        self.send_chunk(ctx, to, snapshot, offset);
    }

    /// Sends `to` the chunk of `snapshot` at `offset`, keeping the snapshot pinned for it
    /// until the last chunk has gone out.
    fn send_chunk(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, snapshot: storage::Snapshot, offset: u64) {
        let (base, data) = &snapshot;
        let Chunk { offset, done, data } = chunk::at(data, offset, self.cfg.max_bytes_per_msg);
        let msg = PaxosMsg::Snapshot { base: *base, offset, done, data };
        if done {
            // The transfer is over: the next one (the learner may need a newer snapshot
            // already) need not wait for `snapshot_retry`.
            self.serving.remove(&to);
            self.snap_sent.remove(&to);
        } else {
            self.serving.insert(to, (snapshot, ctx.now()));
        }
        self.send_now(ctx, to, msg);
    }

    /// True while this server is sending `peer` a snapshot: a chunk went out within
    /// `snapshot_retry` and the last one has not.
    pub(super) fn sending_snapshot_to(&self, peer: NodeId, now: SimTime) -> bool {
        self.serving.get(&peer).is_some_and(|(_, at)| now.saturating_since(*at) < self.cfg.snapshot_retry)
    }

    /// Decided values from a peer.
    pub(super) fn on_learn(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        first: LogIndex,
        entries: Vec<Entry>,
        decided: LogIndex,
    ) {
        if self.installing() {
            return;
        }
        // Only the answer to the outstanding request ends it (a duplicate or a late answer to
        // an earlier request is not one: the request it answered is gone).
        if self.fetching.is_some_and(|r| r.answered_by_learn(from, first)) {
            self.fetching = None;
        }
        if decided > self.commit_hint.0 {
            self.commit_hint = (decided, Some(from));
        }
        let last = self.decided.last_index();
        if first > last.next() {
            return;
        }
        let skip = (last.0 + 1 - first.0) as usize;
        if skip < entries.len() {
            let fresh = &entries[skip..];
            let mut data = Vec::new();
            storage::learned_record(&mut data, last.next(), fresh.iter());
            self.wal_write(ctx, DiskOp::Append { file: WAL, data });
            self.extend_decided(ctx, entries[skip..].to_vec());
        }
        if self.decided.last_index() < self.commit_hint.0 {
            self.maybe_fetch(ctx, from);
        }
        self.try_advance(ctx);
    }

    /// Appends newly decided values (already written to the WAL) to the decided prefix,
    /// announces them, and applies them.
    pub(super) fn extend_decided(&mut self, ctx: &mut Ctx<'_, M>, entries: Vec<Entry>) {
        if entries.is_empty() {
            return;
        }
        for e in entries {
            let term = e.term;
            let (index, chain) = self.decided.append(e);
            self.accepted.remove(&index);
            ctx.observe(Observation::Appended { index, term, chain });
        }
        ctx.observe(Observation::Committed { index: self.decided.last_index() });
        self.apply_decided(ctx);
        self.leader_decided(ctx);
    }

    /// Applies every decided value not yet applied, answering waiting clients.
    pub(super) fn apply_decided(&mut self, ctx: &mut Ctx<'_, M>) {
        while self.applied < self.decided.last_index() {
            let index = self.applied.next();
            let Some(entry) = self.decided.entry(index) else {
                break;
            };
            let (term, command) = (entry.term, entry.payload.hash());
            let result = match &entry.payload {
                Payload::Command(bytes) => ClientRequest::from_bytes(bytes).map(|req| self.kv.apply(&req)),
                Payload::Noop => None,
            };
            self.applied = index;
            ctx.observe(Observation::Applied { index, term, command });
            let waiter =
                self.lead.as_mut().and_then(|l| l.pending.remove(&index).map(|w| (w, l.ballot.term())));
            if let Some((w, own)) = waiter {
                let reply = match result {
                    Some(result) if term == own => ClientReply::Ok { seq: w.seq, result },
                    _ => ClientReply::Unknown { seq: w.seq },
                };
                self.reply(ctx, w.to, reply);
            }
        }
        self.maybe_compact(ctx);
    }

    /// Starts a compaction if enough applied slots follow the last snapshot.
    fn maybe_compact(&mut self, ctx: &mut Ctx<'_, M>) {
        let threshold = self.cfg.snapshot_threshold;
        let base = self.decided.base().index;
        if threshold == 0 || self.snap_job.is_some() || self.applied.0.saturating_sub(base.0) < threshold {
            return;
        }
        let Some(base) = self.decided.base_at(self.applied) else {
            return;
        };
        let data: Arc<[u8]> = self.kv.snapshot().into();
        self.write_snapshot(ctx, SnapJob::local(base, data));
    }

    fn write_snapshot(&mut self, ctx: &mut Ctx<'_, M>, job: SnapJob) {
        self.disk.write_snapshot(ctx, SNAPSHOT, storage::snapshot_file(&job.meta, &job.data));
        self.snap_job = Some(job);
    }

    /// Step 1 is durable: compact (for a local snapshot), rewrite the WAL (step 2).
    pub(super) fn snapshot_durable(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(job) = self.snap_job.as_ref() else {
            return;
        };
        if job.stage != Stage::Writing {
            return;
        }
        let (base, data, installed) = (job.meta, job.data.clone(), job.installed.is_some());
        if !installed {
            self.decided.compact_to(base);
            ctx.observe(Observation::Snapshot { index: base.index, term: base.term });
        }
        self.disk.snapshot_persisted(base.index, self.decided.last_index());
        let wal = storage::rewritten_wal(&self.decided, self.written_promise, &self.accepted);
        self.wal_write(ctx, DiskOp::Replace { file: WAL, data: wal });
        let token = self.disk.write_token();
        if let Some(job) = self.snap_job.as_mut() {
            job.stage = Stage::Rewriting(token);
        }
        self.snapshot = Some((base, data));
        if installed && self.decided.last_index() < self.commit_hint.0 {
            if let Some(target) = self.commit_hint.1 {
                self.maybe_fetch(ctx, target);
            }
        }
    }

    /// A chunk of a peer's snapshot, answering a Fetch for slots it compacted or a
    /// FetchChunk. Chunks are taken in order only; the first chunk of another transfer
    /// starts over. The last one installs the snapshot.
    pub(super) fn on_snapshot(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, base: LogBase, c: Chunk) {
        let answers = self.fetching.is_some_and(|r| r.answered_by_chunk(from, base.index, c.offset));
        if base.index <= self.decided.last_index() {
            self.incoming = None;
            if answers {
                self.fetching = None;
            }
            return;
        }
        let now = ctx.now();
        let Some(inc) = Incoming::receive(&mut self.incoming, from, base, c.offset, now) else {
            // A chunk of a transfer this learner gave up or never started.
            return;
        };
        if c.offset != inc.held() {
            // A duplicate, or a chunk after a lost one: the next FetchChunk says what is held.
            return;
        }
        // Still persisting another snapshot: the last chunk is asked for again later.
        if c.done && self.snap_job.is_some() {
            return;
        }
        inc.extend(&c.data, now);
        if answers {
            self.fetching = None;
        }
        if !c.done {
            self.maybe_fetch(ctx, from);
            return;
        }
        let Some(inc) = self.incoming.take() else {
            return;
        };
        let data = inc.into_data();
        let Some(kv) = KvStore::restore(&data) else {
            return;
        };
        self.kv = kv;
        self.decided = ReplicaLog::new(base);
        self.applied = base.index;
        self.accepted = self.accepted.split_off(&base.index.next());
        ctx.observe(Observation::Snapshot { index: base.index, term: base.term });
        ctx.observe(Observation::Committed { index: base.index });
        let waiting = self.lead.as_mut().map(|l| {
            let later = l.pending.split_off(&base.index.next());
            std::mem::replace(&mut l.pending, later)
        });
        for (_, w) in waiting.into_iter().flatten() {
            self.reply(ctx, w.to, ClientReply::Unknown { seq: w.seq });
        }
        self.write_snapshot(ctx, SnapJob::installed(base, data, ()));
        self.leader_decided(ctx);
    }
}
