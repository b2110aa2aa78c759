//! Linearizable reads without writing the log (dissertation §6.4).
//!
//! **ReadIndex.** The leader (1) makes sure it has committed an entry of its term, so its
//! commit index is at least that of any earlier leader; (2) records its commit index as the
//! read index; (3) starts a new heartbeat round and waits until a majority acknowledged a
//! round at least that recent — proving no newer leader existed when the round was sent,
//! after the read arrived; (4) waits until it has applied the read index; then reads its
//! state machine. Reads arriving together share one round.
//!
//! **Lease (§6.4.1).** A follower that heard from a leader ignores RequestVote for
//! `election_timeout_min` (leader stickiness, `election.rs`). So once a majority
//! acknowledged a round sent at local time `t`, no other leader can be elected before
//! `t + election_timeout_min` — *as measured by clocks that run at the same rate*. The
//! leader serves reads locally (skipping step 3) while its local clock is below that bound.
//! This is only safe with bounded clock drift: a leader whose clock runs slow believes its
//! lease longer than the followers honour it, and a new leader may commit writes that the
//! old one's local reads miss. Real systems subtract a drift allowance; this
//! implementation deliberately does not, so the simulator's drift injection shows the
//! failure. Outside a valid lease the leader falls back to ReadIndex.

use crate::proto::kv::{ClientReply, Key};
use crate::sim::{Ctx, LogIndex, NodeId, Role, SimTime};

use super::config::ReadMode;
use super::node::{RaftHost, RaftNode};

/// A read waiting to be served.
#[derive(Clone, Copy, Debug)]
pub(super) struct PendingRead {
    pub to: NodeId,
    pub seq: u64,
    key: Key,
    /// The read index (`None` until this leader has committed an entry of its term).
    index: Option<LogIndex>,
    /// The heartbeat round that must be acknowledged by a majority (0: confirmed by lease).
    round: u64,
}

impl<M: RaftHost> RaftNode<M> {
    /// A leader received a read.
    pub(super) fn start_read(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, seq: u64, key: Key) {
        let index = self.committed_in_term().then_some(self.commit);
        let lease = self.cfg.read_mode == ReadMode::Lease && index.is_some() && self.lease_holds(ctx.now());
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let round = if lease { 0 } else { lead.round + 1 };
        lead.need_round |= !lease;
        lead.reads.push(PendingRead { to, seq, key, index, round });
        self.serve_reads(ctx);
    }

    /// The most recent round acknowledged by a majority of voters (the leader counts as
    /// acknowledging every round it sent).
    fn confirmed_round(&self) -> u64 {
        let Some(lead) = self.lead.as_ref() else {
            return 0;
        };
        let mut rounds: Vec<u64> =
            self.membership
                .voters()
                .iter()
                .map(|v| {
                    if *v == self.id { lead.round } else { lead.progress.get(v).map_or(0, |p| p.acked_round) }
                })
                .collect();
        rounds.sort_unstable_by(|a, b| b.cmp(a));
        rounds.get(self.membership.quorum() - 1).copied().unwrap_or(0)
    }

    /// True while a majority acknowledged a round sent less than `election_timeout_min`
    /// ago by this leader's clock.
    fn lease_holds(&self, now: SimTime) -> bool {
        let Some(lead) = self.lead.as_ref() else {
            return false;
        };
        let mut sent: Vec<Option<SimTime>> = self
            .membership
            .voters()
            .iter()
            .map(|v| if *v == self.id { Some(now) } else { lead.progress.get(v).and_then(|p| p.ack_sent_at) })
            .collect();
        sent.sort_unstable_by(|a, b| b.cmp(a));
        matches!(sent.get(self.membership.quorum() - 1), Some(Some(t)) if now < *t + self.cfg.election_timeout_min)
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
