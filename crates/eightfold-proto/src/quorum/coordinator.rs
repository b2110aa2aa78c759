//! The coordinator (*Dynamo* §4.5): any server that receives a client request runs it
//! against the key's replicas.
//!
//! - **put**: stamp the value with a fresh version (this server's clock, made strictly
//!   increasing), send it to the `n` preferred replicas, answer `Ok` after `w`
//!   acknowledgements (each sent once the replica's copy is durable).
//! - **get**: ask the `n` replicas, answer with the newest of the first `r` replies, then
//!   **read repair**: write the newest value back to every replica that answered with an
//!   older one (late replies included, until the request times out).
//! - **append, cas**: a get, then a put of the value computed from what was read. The two
//!   steps are *not atomic*: two coordinators appending to one key at once can both read
//!   `"a"` and write `"ab"` and `"ac"`, and one append is lost — by design, that is part of
//!   what a leaderless store teaches. Likewise a `cas` can succeed on a value that another
//!   write has just replaced.
//! - **Last writer wins by local clocks.** A version is a clock reading. If the clocks of
//!   two coordinators disagree, the one behind writes "older" versions: a put it completes
//!   after another coordinator's put can be silently shadowed by it — exactly what clock
//!   skew breaks in Cassandra-style stores.
//! - **No sessions.** There is no log and no single place to remember which requests were
//!   applied, so a client's retry of a put is a second put (with a newer version), and a
//!   retried append appends twice.
//! - **Sloppy quorum** (*Dynamo* §4.6, with `sloppy`): a preferred replica that has not
//!   answered within `replica_timeout` is replaced by the next server on the ring beyond the
//!   `n` preferred ones; a write to it carries a hint naming the replica it stands in for.
//!   (The coordinator's own copy is never replaced: it is only waiting for its disk.)
//! - **Failure.** A request that cannot gather its quorum within `request_timeout` is
//!   answered `NotLeader { leader: None }` ("definitely not applied") if no write was sent
//!   yet (a get, or the read step of append/cas), and `Unknown` once a write was sent —
//!   some replica may hold it, and a later read may see it.

use crate::kv::{ClientReply, ClientRequest, ClientSeq, Key, KvOp, KvResult};
use eightfold_sim::sim::{Ctx, NodeId, SimTime};

use super::msg::{QuorumMsg, Versioned};
use super::node::{QuorumHost, QuorumNode};

/// Where a request is.
#[derive(Debug)]
pub(super) enum Stage {
    /// Gathering read replies.
    Read,
    /// Gathering write acknowledgements for this value.
    Write(Versioned),
    /// A get was answered; late replies are still repaired.
    Repair(Versioned),
}

/// One replica asked.
#[derive(Debug)]
pub(super) struct Target {
    pub node: NodeId,
    /// The preferred replica this one stands in for (itself, unless a fallback).
    pub stands_for: NodeId,
    pub answered: bool,
    /// A fallback was already asked in its place.
    pub replaced: bool,
}

/// A client request being coordinated.
#[derive(Debug)]
pub(super) struct Op {
    pub client: NodeId,
    pub seq: ClientSeq,
    pub op: KvOp,
    pub stage: Stage,
    pub targets: Vec<Target>,
    pub replies: Vec<(NodeId, Option<Versioned>)>,
    pub acks: usize,
    /// When the request gives up.
    pub deadline: SimTime,
    /// When unanswered replicas are replaced by fallbacks (sloppy quorum only).
    pub fallback_at: Option<SimTime>,
    /// The scheduled wake-up.
    pub wake: SimTime,
}

impl Op {
    fn key(&self) -> Key {
        self.op.key()
    }
}

impl<M: QuorumHost> QuorumNode<M> {
    /// Starts coordinating a client request.
    pub(super) fn coordinate(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, req: ClientRequest) {
        let now = ctx.now();
        let rid = self.rid();
        let stage = match &req.op {
            KvOp::Put { value, .. } => {
                Stage::Write(Versioned { version: self.next_version(now), value: value.clone() })
            }
            _ => Stage::Read,
        };
        let op = Op {
            client: from,
            seq: req.seq,
            op: req.op,
            stage,
            targets: Vec::new(),
            replies: Vec::new(),
            acks: 0,
            deadline: now + self.cfg.request_timeout,
            fallback_at: None,
            wake: now,
        };
        self.ops.insert(rid, op);
        self.start_stage(ctx, rid);
    }

    /// Sends the stage's request to the key's preferred replicas.
    fn start_stage(&mut self, ctx: &mut Ctx<'_, M>, rid: u64) {
        let (n, _, _) = self.cfg.effective(self.servers.len());
        let Some(op) = self.ops.get(&rid) else {
            return;
        };
        let key = op.key();
        let preferred: Vec<NodeId> = self.ring(key).take(n).collect();
        let fallback_at = self.cfg.sloppy.then(|| ctx.now() + self.cfg.replica_timeout);
        let Some(op) = self.ops.get_mut(&rid) else {
            return;
        };
        op.targets = preferred
            .iter()
            .map(|&p| Target { node: p, stands_for: p, answered: false, replaced: false })
            .collect();
        op.replies.clear();
        op.acks = 0;
        op.fallback_at = fallback_at;
        let msg = match &op.stage {
            Stage::Write(value) => Some(QuorumMsg::Write { rid, key, value: value.clone(), hint: None }),
            Stage::Read => Some(QuorumMsg::Read { rid, key }),
            Stage::Repair(_) => None,
        };
        if let Some(msg) = msg {
            for p in preferred {
                self.send(ctx, p, msg.clone());
            }
        }
        self.schedule(rid);
    }

    /// (Re)schedules the request's next wake-up: its fallback time or its deadline.
    fn schedule(&mut self, rid: u64) {
        let Some(op) = self.ops.get_mut(&rid) else {
            return;
        };
        self.wakeups.remove(&(op.wake, rid));
        op.wake = op.fallback_at.map_or(op.deadline, |f| f.min(op.deadline));
        self.wakeups.insert((op.wake, rid));
    }

    /// Ends a request (answering the client if `reply` is given).
    fn finish(&mut self, ctx: &mut Ctx<'_, M>, rid: u64, reply: Option<ClientReply>) {
        if let Some(op) = self.ops.remove(&rid) {
            self.wakeups.remove(&(op.wake, rid));
            if let Some(r) = reply {
                self.reply(ctx, op.client, r);
            }
        }
    }

    /// Marks `from` as having answered; false for a server not asked or a duplicate.
    fn answered(op: &mut Op, from: NodeId) -> bool {
        match op.targets.iter_mut().find(|t| t.node == from && !t.answered) {
            Some(t) => {
                t.answered = true;
                true
            }
            None => false,
        }
    }

    /// A replica's read reply.
    pub(super) fn on_read_reply(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        rid: u64,
        value: Option<Versioned>,
    ) {
        let (_, r, _) = self.cfg.effective(self.servers.len());
        let read_repair = self.cfg.read_repair;
        let Some(op) = self.ops.get_mut(&rid) else {
            return;
        };
        if !matches!(op.stage, Stage::Read | Stage::Repair(_)) || !Self::answered(op, from) {
            return;
        }
        if let Stage::Repair(newest) = &op.stage {
            let (key, newest, done) = (op.key(), newest.clone(), op.targets.iter().all(|t| t.answered));
            if read_repair && value.as_ref().is_none_or(|v| v.version < newest.version) {
                self.send(ctx, from, QuorumMsg::Write { rid: 0, key, value: newest, hint: None });
            }
            if done {
                self.finish(ctx, rid, None);
            }
            return;
        }
        op.replies.push((from, value));
        if op.replies.len() >= r {
            self.read_done(ctx, rid);
        }
    }

    /// A read quorum answered: serve the get, or compute the write of append/cas.
    fn read_done(&mut self, ctx: &mut Ctx<'_, M>, rid: u64) {
        let now = ctx.now();
        let Some(op) = self.ops.get(&rid) else {
            return;
        };
        let newest: Option<Versioned> =
            op.replies.iter().filter_map(|(_, v)| v.as_ref()).max_by_key(|v| v.version).cloned();
        let current = newest.as_ref().map(|v| v.value.clone());
        let (key, seq) = (op.key(), op.seq);
        let write = match &op.op {
            KvOp::Get { .. } => None,
            KvOp::Put { value, .. } => Some(value.clone()),
            KvOp::Append { value, .. } => Some(format!("{}{value}", current.clone().unwrap_or_default())),
            KvOp::Cas { expected, new, .. } => {
                if current != *expected {
                    return self.finish(
                        ctx,
                        rid,
                        Some(ClientReply::Ok { seq, result: KvResult::Cas { applied: false } }),
                    );
                }
                Some(new.clone())
            }
        };
        match write {
            Some(value) => {
                let version = self.next_version(now);
                if let Some(op) = self.ops.get_mut(&rid) {
                    op.stage = Stage::Write(Versioned { version, value });
                }
                self.start_stage(ctx, rid);
            }
            None => {
                self.reply_to(ctx, rid, ClientReply::Ok { seq, result: KvResult::Value(current) });
                let Some(newest) = newest else {
                    return self.finish(ctx, rid, None);
                };
                let stale: Vec<NodeId> = match self.ops.get(&rid) {
                    Some(op) if self.cfg.read_repair => op
                        .replies
                        .iter()
                        .filter(|(_, v)| v.as_ref().is_none_or(|v| v.version < newest.version))
                        .map(|(n, _)| *n)
                        .collect(),
                    _ => Vec::new(),
                };
                for n in stale {
                    self.send(ctx, n, QuorumMsg::Write { rid: 0, key, value: newest.clone(), hint: None });
                }
                match self.ops.get_mut(&rid) {
                    Some(op) if op.targets.iter().any(|t| !t.answered) => {
                        op.stage = Stage::Repair(newest);
                        op.fallback_at = None;
                        self.schedule(rid);
                    }
                    _ => self.finish(ctx, rid, None),
                }
            }
        }
    }

    fn reply_to(&mut self, ctx: &mut Ctx<'_, M>, rid: u64, reply: ClientReply) {
        if let Some(to) = self.ops.get(&rid).map(|op| op.client) {
            self.reply(ctx, to, reply);
        }
    }

    /// A replica's write acknowledgement.
    pub(super) fn on_write_ack(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, rid: u64) {
        let (_, _, w) = self.cfg.effective(self.servers.len());
        let Some(op) = self.ops.get_mut(&rid) else {
            return;
        };
        if !matches!(op.stage, Stage::Write(_)) || !Self::answered(op, from) {
            return;
        }
        op.acks += 1;
        if op.acks >= w {
            let result = match op.op {
                KvOp::Cas { .. } => KvResult::Cas { applied: true },
                _ => KvResult::Done,
            };
            let seq = op.seq;
            self.finish(ctx, rid, Some(ClientReply::Ok { seq, result }));
        }
    }

    /// The coordinator's timer: requests past their deadline fail; sloppy requests past
    /// their fallback time ask fallbacks in place of silent replicas.
    pub(super) fn wake(&mut self, ctx: &mut Ctx<'_, M>) {
        let now = ctx.now();
        while let Some(&(at, rid)) = self.wakeups.first() {
            if at > now {
                break;
            }
            self.wakeups.remove(&(at, rid));
            let Some(op) = self.ops.get(&rid) else {
                continue;
            };
            if now >= op.deadline {
                let reply = match op.stage {
                    // Nothing was written anywhere: the client may safely try again.
                    Stage::Read => Some(ClientReply::NotLeader { seq: op.seq, leader: None }),
                    Stage::Write(_) => Some(ClientReply::Unknown { seq: op.seq }),
                    Stage::Repair(_) => None,
                };
                self.finish(ctx, rid, reply);
            } else {
                self.ask_fallbacks(ctx, rid);
                let next = now + self.cfg.replica_timeout;
                if let Some(op) = self.ops.get_mut(&rid) {
                    op.fallback_at = Some(next);
                }
                self.schedule(rid);
            }
        }
    }

    /// Sloppy quorum: every asked replica that has not answered is replaced by the next
    /// server on the ring not asked yet (a write to it carries a hint).
    fn ask_fallbacks(&mut self, ctx: &mut Ctx<'_, M>, rid: u64) {
        let Some(op) = self.ops.get(&rid) else {
            return;
        };
        let key = op.key();
        let ring: Vec<NodeId> = self.ring(key).collect();
        let Some(op) = self.ops.get_mut(&rid) else {
            return;
        };
        let mut sends = Vec::new();
        // This server's own copy is slow only because its disk is: it is never replaced.
        let me = self.id;
        let silent: Vec<usize> = (0..op.targets.len())
            .filter(|&k| !op.targets[k].answered && !op.targets[k].replaced && op.targets[k].node != me)
            .collect();
        for k in silent {
            let Some(&f) = ring.iter().find(|s| op.targets.iter().all(|t| t.node != **s)) else {
                break;
            };
            op.targets[k].replaced = true;
            let stands_for = op.targets[k].stands_for;
            op.targets.push(Target { node: f, stands_for, answered: false, replaced: false });
            let msg = match &op.stage {
                Stage::Read => QuorumMsg::Read { rid, key },
                Stage::Write(value) => {
                    QuorumMsg::Write { rid, key, value: value.clone(), hint: Some(stands_for) }
                }
                Stage::Repair(_) => continue,
            };
            sends.push((f, msg));
        }
        for (to, msg) in sends {
            self.send(ctx, to, msg);
        }
    }
}
