//! Client requests and the state machine (§8, dissertation §6.3).
//!
//! Only the leader accepts requests: a follower or candidate answers
//! `NotLeader { leader: hint }` (nothing was accepted, the client may retry elsewhere), and
//! so does a leader with `max_uncommitted` entries (or reads) already waiting, which bounds
//! its memory when it cannot reach a majority. The leader proposes the request's bytes as
//! a log entry and answers `Ok` with the result once the entry is committed and applied;
//! the store's client sessions make a retried request apply once. If the leader loses leadership first, every waiting client gets `Unknown`:
//! its entry may or may not survive in a later leader's log. Reads go through the log too,
//! unless `read_mode` selects ReadIndex or leases (`read.rs`).
//!
//! Every server applies committed entries in log order and announces each one
//! (`Observation::Applied`), so checkers can compare what each replica applied at each index.

use crate::kv::{ClientReply, ClientRequest, KvOp, KvResult};
use eightfold_sim::sim::{Ctx, NodeId, Observation, Role};

use super::config::ReadMode;
use super::log::{LogPayload, RaftPayload};
use super::node::{RaftHost, RaftNode};
use super::replication::Waiter;

impl<M: RaftHost> RaftNode<M> {
    pub(super) fn handle_client(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, req: ClientRequest) {
        let seq = req.seq;
        if self.role != Role::Leader {
            let reply = match req.op {
                // The bug: serve from whatever this replica happens to have applied.
                KvOp::Get { key } if self.cfg.bugs.stale_follower_reads => {
                    ClientReply::Ok { seq, result: self.kv.read(key) }
                }
                _ => ClientReply::NotLeader { seq, leader: self.leader },
            };
            return self.reply(ctx, from, reply);
        }
        let local_read = matches!(req.op, KvOp::Get { .. }) && self.cfg.read_mode != ReadMode::Log;
        let backlog = if local_read {
            self.lead.as_ref().map_or(0, |l| l.reads.len() as u64)
        } else {
            self.log.last_index().0.saturating_sub(self.commit.0)
        };
        if backlog >= self.cfg.max_uncommitted {
            // Not accepted: this leader is not making progress (probably cut off).
            return self.reply(ctx, from, ClientReply::NotLeader { seq, leader: None });
        }
        if let KvOp::Get { key } = req.op
            && local_read
        {
            return self.start_read(ctx, from, seq, key);
        }
        let guess = self.cfg.bugs.ack_before_commit.then(|| self.guess(&req.op));
        let index = self.propose(ctx, RaftPayload::Command(req.to_bytes().into()));
        match guess {
            Some(result) => self.reply(ctx, from, ClientReply::Ok { seq, result }),
            None => {
                let term = self.term;
                if let Some(lead) = self.lead.as_mut() {
                    lead.pending.insert(index, Waiter { to: from, seq, term });
                }
            }
        }
        self.maybe_commit(ctx);
    }

    /// The `ack_before_commit` bug's answer, computed before the operation is applied.
    fn guess(&self, op: &KvOp) -> KvResult {
        match op {
            KvOp::Get { key } => self.kv.read(*key),
            KvOp::Put { .. } | KvOp::Append { .. } => KvResult::Done,
            KvOp::Cas { key, expected, .. } => {
                KvResult::Cas { applied: self.kv.read(*key) == KvResult::Value(expected.clone()) }
            }
        }
    }

    /// True once this leader has committed an entry of its own term (its no-op), so its
    /// commit index covers everything any earlier leader committed.
    pub(super) fn committed_in_term(&self) -> bool {
        self.lead.as_ref().is_some_and(|l| self.commit >= l.term_start)
    }

    /// Applies every committed entry not yet applied, answering waiting clients.
    pub(super) fn apply_committed(&mut self, ctx: &mut Ctx<'_, M>) {
        while self.applied < self.commit {
            let index = self.applied.next();
            let Some(entry) = self.log.entry(index) else {
                break;
            };
            let (term, payload) = (entry.term, entry.payload.clone());
            self.applied = index;
            let result = match &payload {
                RaftPayload::Command(bytes) => {
                    ClientRequest::from_bytes(bytes).map(|req| self.kv.apply_owned(req))
                }
                RaftPayload::Noop | RaftPayload::Config(_) => None,
            };
            // Only a leader with the client waiting copies the result, to answer it.
            let reply = self.lead.as_mut().and_then(|l| l.pending.remove(&index)).map(|w| {
                let reply = match result {
                    Some(result) if w.term == term => ClientReply::Ok { seq: w.seq, result: result.clone() },
                    _ => ClientReply::Unknown { seq: w.seq },
                };
                (w.to, reply)
            });
            ctx.observe(Observation::Applied { index, term, command: payload.hash() });
            if let Some((to, reply)) = reply {
                self.reply(ctx, to, reply);
            }
        }
        self.maybe_compact(ctx);
    }
}
