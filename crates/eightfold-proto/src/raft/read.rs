//! Linearizable reads without writing the log (dissertation §6.4).
//!
//! **ReadIndex.** The leader (1) makes sure it has committed an entry of its term, so its
//! commit index is at least that of any earlier leader; (2) records its commit index as the
//! read index; (3) starts a new heartbeat round and waits until a majority acknowledged a
//! round at least that recent — proving no newer leader existed when the round was sent,
//! after the read arrived; (4) waits until it has applied the read index; then reads its
//! state machine. Reads arriving together share one round.
//!
//! **Lease (§6.4.1).** A newer leader needs the votes of a majority. So if a majority has
//! promised to vote for no one until some instant, no newer leader can exist before it, and
//! the leader may serve reads locally (skipping step 3) until then. The dissertation's rule
//! takes the promise for granted: a follower that heard from a leader ignores RequestVote
//! for `election_timeout_min` (leader stickiness, `election.rs`), so once a majority
//! acknowledged a round sent at `t`, the lease lasts until `t + election_timeout_min`.
//! That holds only if every server's `election_timeout_min` is the leader's — fallacy 6,
//! "there is one administrator". An operator who gives the leader a longer timeout (a
//! runtime `reconfigure`, a per-server override) makes it believe in a lease its followers
//! never agreed to: they elect a new leader, which commits writes while the old one still
//! answers reads from its state machine (`scenarios/raft-lease-differing-timeouts.json`;
//! the old rule survives as the `leader_local_lease` bug).
//!
//! So here the lease rests on what the followers themselves promise:
//! - A follower that hears from a leader promises to grant no vote — to anyone, itself
//!   included: it does not campaign either — for its own `election_timeout_min`, measured
//!   by its own clock from that moment. It keeps the promise as an instant
//!   (`promised_until`): if an operator then lowers its timeout, the promise already given
//!   still runs to its end (the election timer, firing early, waits out the rest).
//! - Every AppendEntries and InstallSnapshot answer carries what is left of the promise
//!   when the answer is written. The leader adds it to the time it *sent* the round the
//!   answer echoes — earlier than the follower received it, so the leader's reckoning ends
//!   no later than the follower's — and keeps, per follower, the latest such end.
//! - The lease holds while a majority of voters (the leader counting itself: a leader
//!   votes for no one) are within their promise.
//! - A promise lives in memory, and a crash forgets it. Rather than fsync it at every
//!   heartbeat, a server never promises longer than the `election_timeout_min` it boots
//!   with, and a restarted server promises that again from its start (it grants no vote and
//!   does not campaign until then), which covers anything it promised before the crash.
//!   (CockroachDB's first lease design, cockroachdb/cockroach#230, asks the same: no
//!   server calls an election before the lease timeout has passed, just after starting up
//!   included.)
//! - Pre-vote changes no state, so it cannot break a promise; a promised follower refuses
//!   pre-votes anyway, since it would refuse the vote. Check-quorum is not needed for
//!   safety: a leader cut off from its followers simply stops receiving promises, and its
//!   lease runs out on its own (etcd's lease reads, by contrast, lean on check-quorum and
//!   on one election timeout shared by every server).
//!
//! **Clocks.** A promise is a span of *local* time on one server, which the leader counts on
//! its own clock: offsets cancel, but rates must agree. A leader whose clock runs slow, or
//! a follower whose clock runs fast, ends the promise sooner in real time than the other
//! believes, and the stale read is back. Real systems shorten the lease by a drift
//! allowance; this implementation deliberately does not, so the simulator's drift
//! injection (`clock` faults and overrides) still shows that failure — bounded clock drift
//! is an assumption, not something the protocol can check. Outside a valid lease the leader
//! falls back to ReadIndex.

use crate::kv::{ClientReply, ClientSeq, Key};
use eightfold_sim::sim::{Ctx, LogIndex, NodeId, Role, SimTime};

use super::config::ReadMode;
use super::msg::HeartbeatRound;
use super::node::{RaftHost, RaftNode};

/// A read waiting to be served.
#[derive(Clone, Copy, Debug)]
pub(super) struct PendingRead {
    pub to: NodeId,
    pub seq: ClientSeq,
    key: Key,
    /// The read index (`None` until this leader has committed an entry of its term).
    index: Option<LogIndex>,
    /// The heartbeat round that must be acknowledged by a majority (round 0: confirmed by
    /// a lease).
    round: HeartbeatRound,
}

impl<M: RaftHost> RaftNode<M> {
    /// A leader received a read.
    pub(super) fn start_read(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, seq: ClientSeq, key: Key) {
        let index = self.committed_in_term().then_some(self.commit);
        let lease = self.cfg.read_mode == ReadMode::Lease && index.is_some() && self.lease_holds(ctx.now());
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let round = if lease { HeartbeatRound(0) } else { lead.round.next() };
        lead.need_round |= !lease;
        lead.reads.push(PendingRead { to, seq, key, index, round });
        self.serve_reads(ctx);
    }

    /// The most recent round acknowledged by a majority of voters (the leader counts as
    /// acknowledging every round it sent).
    fn confirmed_round(&self) -> HeartbeatRound {
        let Some(lead) = self.lead.as_ref() else {
            return HeartbeatRound(0);
        };
        let mut rounds: Vec<HeartbeatRound> = self
            .membership
            .voters()
            .iter()
            .map(|v| {
                if *v == self.id {
                    lead.round
                } else {
                    lead.progress.get(v).map_or(HeartbeatRound(0), |p| p.acked_round)
                }
            })
            .collect();
        rounds.sort_unstable_by(|a, b| b.cmp(a));
        rounds.get(self.membership.quorum() - 1).copied().unwrap_or_default()
    }

    /// True while a majority of voters have promised to vote for no one (the leader counts
    /// itself). With the `leader_local_lease` bug: while a majority acknowledged a round
    /// sent less than this leader's own `election_timeout_min` ago.
    fn lease_holds(&self, now: SimTime) -> bool {
        let Some(lead) = self.lead.as_ref() else {
            return false;
        };
        let local = self.cfg.bugs.leader_local_lease;
        let mut until: Vec<Option<SimTime>> = self
            .membership
            .voters()
            .iter()
            .map(|v| {
                if *v == self.id {
                    Some(SimTime::MAX)
                } else {
                    let p = lead.progress.get(v);
                    if local {
                        p.and_then(|p| p.ack_sent_at).map(|t| t + self.cfg.election_timeout_min)
                    } else {
                        p.and_then(|p| p.lease_until)
                    }
                }
            })
            .collect();
        until.sort_unstable_by(|a, b| b.cmp(a));
        matches!(until.get(self.membership.quorum() - 1), Some(Some(t)) if now < *t)
    }

    /// Serves every read whose round is confirmed and whose index is applied.
    pub(super) fn serve_reads(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.role != Role::Leader || self.lead.as_ref().is_none_or(|l| l.reads.is_empty()) {
            return;
        }
        let confirmed = self.confirmed_round();
        let known = self.committed_in_term().then_some(self.commit);
        let applied = self.applied;
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let mut ready = Vec::new();
        lead.reads.retain_mut(|r| {
            r.index = r.index.or(known);
            let go = r.round <= confirmed && r.index.is_some_and(|i| i <= applied);
            if go {
                ready.push((r.to, r.seq, r.key));
            }
            !go
        });
        for (to, seq, key) in ready {
            let result = self.kv.read(key);
            self.reply(ctx, to, ClientReply::Ok { seq, result });
        }
    }
}
