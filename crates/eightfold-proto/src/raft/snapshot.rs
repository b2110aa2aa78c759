//! Log compaction and InstallSnapshot (§7).
//!
//! # Compaction, crash-safe at every step
//!
//! When the applied prefix beyond the last snapshot reaches `snapshot_threshold` entries,
//! the server serializes its key-value store (data and client sessions) and:
//! 1. writes the snapshot file with `Replace` (atomic: old or new content after a crash)
//!    and fsyncs it;
//! 2. only once that fsync completed, rewrites the WAL without the compacted prefix
//!    (`Replace`: a `Base` record, the hard state, the remaining entries) and fsyncs it.
//!
//! A crash at any point leaves a recoverable disk:
//! - before (1) is durable: old snapshot + old WAL, the state before compaction;
//! - after (1), before (2) is durable: new snapshot + old WAL. Recovery drops the WAL's
//!   entries up to the snapshot index (they are in the snapshot) and keeps the rest; the
//!   hard state is still in the old WAL. Nothing is lost;
//! - after (2): new snapshot + new WAL, consistent by construction.
//!
//! The reverse order would be unsafe: a durable new WAL without its snapshot would have
//! lost the compacted entries. That is why step 2 waits for step 1's completion instead of
//! being issued right behind it (the device may complete fsyncs of different files in any
//! order).
//!
//! # InstallSnapshot
//!
//! A follower whose next entry the leader has compacted receives the snapshot in chunks of
//! at most `max_bytes_per_msg` bytes (Figure 13's `offset` and `done`), one at a time: the
//! leader sends the next chunk when the follower acknowledges the previous one, and resends
//! the chunk after `snapshot_retry` without an answer. A snapshot in one message would be as
//! large as the whole store: on a bandwidth-limited link whose queue is smaller, it would be
//! dropped every time it was sent, and the follower would never catch up. The leader pins
//! the snapshot it is sending, so a compaction during the transfer does not restart it. The
//! follower reassembles the chunks in memory, in order (a chunk that does not continue what
//! it holds is answered with what it holds; one of a transfer it knows nothing of, with 0:
//! start over), and installs the snapshot once the last chunk arrives. If its log holds
//! the snapshot's last entry with the same term, it keeps the entries after it; otherwise
//! its whole log is discarded (§7). It installs the state machine at once, then persists
//! through the same two steps, and answers only when both are durable. While the snapshot
//! is not yet durable it ignores AppendEntries and does not campaign: its old WAL cannot
//! describe a log that continues a snapshot it does not have yet. Recovery after a crash
//! between the steps drops the old WAL's suffix if it conflicts with the snapshot, and
//! rewrites the WAL before appending anything (finishing step 2).

use std::sync::Arc;

use crate::kv::KvStore;
use crate::replica::{self, SnapStage as Stage, chunk};
use eightfold_sim::sim::{Ctx, DiskOp, LogIndex, NodeId, Observation, Role, SimDuration, Term};

use super::msg::{HeartbeatRound, RaftMsg};
use super::node::{RaftHost, RaftNode};
use super::replication::Phase;
use super::storage::{self, SNAPSHOT, SnapshotMeta, WAL};

/// A snapshot being made durable (local compaction, or one installed from a leader, with
/// whom to answer, in which term and round).
pub(super) type SnapJob = replica::SnapJob<SnapshotMeta, (NodeId, Term, HeartbeatRound)>;

/// A snapshot a follower is receiving from a leader, chunk by chunk: the transfer is named
/// by the leader's term and the snapshot's metadata.
pub(super) type Incoming = replica::Incoming<(Term, SnapshotMeta)>;

impl<M: RaftHost> RaftNode<M> {
    /// Starts a compaction if enough applied entries follow the last snapshot.
    pub(super) fn maybe_compact(&mut self, ctx: &mut Ctx<'_, M>) {
        let threshold = self.cfg.snapshot_threshold;
        let base = self.log.base().index;
        if threshold == 0 || self.snap_job.is_some() || self.applied.0.saturating_sub(base.0) < threshold {
            return;
        }
        let index = self.applied;
        let (Some(term), Some(chain)) = (self.log.term_at(index), self.log.chain_at(index)) else {
            return;
        };
        let meta = SnapshotMeta { index, term, chain, voters: self.membership.config_at(index) };
        let data: Arc<[u8]> = self.kv.snapshot().into();
        self.write_snapshot(ctx, SnapJob::local(meta, data));
    }

    fn write_snapshot(&mut self, ctx: &mut Ctx<'_, M>, job: SnapJob) {
        self.disk.write_snapshot(ctx, SNAPSHOT, storage::snapshot_file(&job.meta, &job.data));
        self.snap_job = Some(job);
    }

    /// Step 1 is durable: adopt the snapshot, compact, rewrite the WAL (step 2).
    pub(super) fn snapshot_durable(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(job) = self.snap_job.as_mut() else {
            return;
        };
        if job.stage != Stage::Writing {
            return;
        }
        let (meta, data, reply) = (job.meta.clone(), job.data.clone(), job.installed);
        if reply.is_none() {
            self.log.compact_to(meta.base());
            self.membership.compact(meta.index);
            ctx.observe(Observation::Snapshot { index: meta.index, term: meta.term });
        }
        self.disk.snapshot_persisted(meta.index, self.log.last_index());
        let wal = storage::rewritten_wal(&self.log, self.term, self.durable_vote());
        self.wal_write(ctx, DiskOp::Replace { file: WAL, data: wal });
        let token = self.disk.write_token();
        if let Some(job) = self.snap_job.as_mut() {
            job.stage = Stage::Rewriting(token);
        }
        let received = data.len() as u64;
        self.snapshot = Some((meta.clone(), data));
        if let Some((to, term, round)) = reply {
            let promise = self.promise_left(ctx.now());
            let resp = RaftMsg::InstallSnapshotResp {
                term,
                round,
                index: meta.index,
                received,
                installed: true,
                promise,
            };
            self.send_durable(ctx, to, resp);
        }
    }

    /// Leader: starts streaming its latest durable snapshot to `peer`, from the first chunk.
    pub(super) fn send_snapshot(&mut self, ctx: &mut Ctx<'_, M>, peer: NodeId) {
        let now = ctx.now();
        let Some(snapshot) = self.snapshot.clone() else {
            return;
        };
        let Some(pr) = self.lead.as_mut().and_then(|l| l.progress_mut(peer)) else {
            return;
        };
        pr.phase = Phase::Snapshot { index: snapshot.0.index, offset: 0, sent_at: now };
        pr.inflight.clear();
        pr.snapshot = Some(snapshot);
        self.send_snapshot_chunk(ctx, peer);
    }

    /// Leader: sends `peer` the chunk of its pinned snapshot that starts where the follower's
    /// acknowledgements got to.
    pub(super) fn send_snapshot_chunk(&mut self, ctx: &mut Ctx<'_, M>, peer: NodeId) {
        let now = ctx.now();
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let round = lead.round;
        let Some(pr) = lead.progress_mut(peer) else {
            return;
        };
        let (Phase::Snapshot { index, offset, .. }, Some((meta, data))) = (pr.phase, &pr.snapshot) else {
            return;
        };
        let c = chunk::at(data, offset, self.cfg.max_bytes_per_msg);
        let msg = RaftMsg::InstallSnapshot {
            term: self.term,
            round,
            meta: meta.clone(),
            offset: c.offset,
            done: c.done,
            data: c.data,
        };
        pr.phase = Phase::Snapshot { index, offset, sent_at: now };
        self.send_now(ctx, peer, msg);
    }

    /// Follower: a leader sent a chunk of its snapshot.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_install_snapshot(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        term: Term,
        round: HeartbeatRound,
        meta: SnapshotMeta,
        (offset, done): (u64, bool),
        data: Arc<[u8]>,
    ) {
        if term < self.term {
            let resp = RaftMsg::InstallSnapshotResp {
                term: self.term,
                round,
                index: LogIndex(0),
                received: 0,
                installed: false,
                promise: self.promise_left(ctx.now()),
            };
            self.send_durable(ctx, from, resp);
            return;
        }
        if self.role == Role::Leader {
            return;
        }
        self.heard_leader(ctx, from, term);
        let promise = self.promise_left(ctx.now());
        let index = meta.index;
        if index <= self.commit {
            if self.snap_job.is_some() {
                // A snapshot being persisted may be what covers it: the leader asks again.
                return;
            }
            // Already have it all (durably, once what was written so far is synced).
            self.incoming = None;
            let resp =
                RaftMsg::InstallSnapshotResp { term, round, index, received: 0, installed: true, promise };
            self.send_durable(ctx, from, resp);
            return;
        }
        // Reassemble: chunks are accepted in order only; the first chunk of another transfer
        // starts over (a late copy of this transfer's first chunk changes nothing).
        let now = ctx.now();
        let Some(inc) = Incoming::receive(&mut self.incoming, from, (term, meta.clone()), offset, now) else {
            // A chunk of a transfer this server knows nothing of (it restarted, or the first
            // chunk was lost): ask for the beginning.
            let resp =
                RaftMsg::InstallSnapshotResp { term, round, index, received: 0, installed: false, promise };
            self.send_durable(ctx, from, resp);
            return;
        };
        let held = inc.held();
        let complete = done && offset == held;
        if complete && self.snap_job.is_some() {
            // Still persisting another snapshot: the leader sends the last chunk again.
            return;
        }
        if offset == held {
            inc.extend(&data, now);
        }
        if !complete {
            let received = inc.held();
            let resp =
                RaftMsg::InstallSnapshotResp { term, round, index, received, installed: false, promise };
            self.send_durable(ctx, from, resp);
            return;
        }
        let Some(inc) = self.incoming.take() else {
            return;
        };
        let data = inc.into_data();
        let Some(kv) = KvStore::restore(&data) else {
            let resp =
                RaftMsg::InstallSnapshotResp { term, round, index, received: 0, installed: false, promise };
            self.send_durable(ctx, from, resp);
            return;
        };
        let keep = self.log.term_at(meta.index) == Some(meta.term);
        if !keep && self.log.last_index() > self.commit {
            let from_index = self.commit.next();
            self.disk.truncated(from_index);
            ctx.observe(Observation::Truncated { from: from_index });
        }
        self.log.compact_to(meta.base());
        if self.membership.install(meta.index, meta.voters.clone(), keep) {
            self.config_changed(ctx);
        }
        ctx.observe(Observation::Snapshot { index: meta.index, term: meta.term });
        self.kv = kv;
        self.applied = meta.index;
        self.commit = meta.index;
        ctx.observe(Observation::Committed { index: meta.index });
        self.write_snapshot(ctx, SnapJob::installed(meta, data, (from, term, round)));
    }

    /// Leader: a follower acknowledged a chunk, or installed (or already had) a snapshot.
    pub(super) fn on_install_snapshot_resp(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        (term, round, promise): (Term, HeartbeatRound, SimDuration),
        index: LogIndex,
        (received, installed): (u64, bool),
    ) {
        if term != self.term || self.role != Role::Leader || !self.acknowledged(from, round, promise) {
            return;
        }
        let last = self.log.last_index();
        let Some(pr) = self.lead.as_mut().and_then(|l| l.progress_mut(from)) else {
            return;
        };
        if !installed {
            // Only an answer about the chunk in flight moves the transfer: further along, or
            // back to the start if the follower lost what it had. Duplicates and stale
            // answers are ignored (a lost chunk is sent again after `snapshot_retry`).
            let Phase::Snapshot { index: sending, offset, sent_at } = pr.phase else {
                return;
            };
            let total = pr.snapshot.as_ref().map_or(0, |(_, d)| d.len() as u64);
            let received = received.min(total);
            let moved = received > offset || (received == 0 && offset > 0);
            if sending == index && moved {
                pr.phase = Phase::Snapshot { index, offset: received, sent_at };
                self.send_snapshot_chunk(ctx, from);
            }
            self.serve_reads(ctx);
            return;
        }
        pr.matched = pr.matched.max(index.min(last));
        if matches!(pr.phase, Phase::Snapshot { .. }) {
            let next = pr.matched.next();
            pr.probe_from(next);
        }
        self.maybe_commit(ctx);
        self.replicate(ctx, from);
        self.serve_reads(ctx);
    }
}
