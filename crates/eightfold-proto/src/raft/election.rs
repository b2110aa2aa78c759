//! Leader election (§5.2), the election restriction (§5.4.1), pre-vote (dissertation §9.6)
//! and leader stickiness (§4.2.3).
//!
//! - A follower whose election timer expires (a fresh random timeout in `[min, max]` at
//!   every reset, so split votes are rare) becomes a candidate: it increments its term,
//!   votes for itself, persists both, and asks every voter for its vote.
//! - A voter grants at most one vote per term (the vote is durable before the grant is
//!   sent) and only to a candidate whose log is at least as up-to-date as its own: a higher
//!   last term, or the same last term and a last index at least as high (§5.4.1).
//! - With `pre_vote`, a server first asks whether it *could* win (same checks, no state
//!   change on either side) and only increments its term with a majority of yes: a server
//!   partitioned away cannot inflate terms and depose a healthy leader when it returns.
//! - A server that heard from a leader within the minimum election timeout ignores
//!   RequestVote and refuses pre-votes: a removed or partitioned server cannot disrupt a
//!   working cluster. With leases, that window is also a *promise* the server reports to
//!   the leader and keeps whatever its settings become: until it runs out the server
//!   grants no vote, refuses pre-votes and does not campaign (`read.rs`).
//! - A candidate with the votes of a majority of the voters of its configuration becomes
//!   leader and immediately appends a no-op entry of its term (§8), which lets it commit
//!   entries of earlier terms (§5.4.2) and serve reads (§6.4).

use eightfold_sim::sim::{Ctx, LogIndex, NodeId, Role, SimDuration, Term};

use super::msg::RaftMsg;
use super::node::{RaftHost, RaftNode, RaftTimer};
use super::replication::LeaderState;

impl<M: RaftHost> RaftNode<M> {
    /// The election timer fired.
    pub(super) fn election_timeout(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.role == Role::Leader {
            return;
        }
        // A server installing a snapshot waits until its state is consistent on disk. A
        // server outside its latest configuration (a new server not yet added, a removed
        // one) does not campaign once that configuration is known committed; while it is
        // not, it may (see `membership.rs`: otherwise an uncommitted self-removal can leave
        // nobody able to win).
        let member = self.membership.is_voter(self.id) || self.membership.latest_index() > self.commit;
        if !member || self.snap_job.as_ref().is_some_and(|j| j.installing()) {
            self.reset_election_timer(ctx);
            return;
        }
        // A promise to a leader (leases) covers this server's own candidacy too: a vote for
        // itself is a vote. An operator may have lowered its timeout since it promised, so
        // the timer can fire early; it waits out the rest.
        let owed = self.promise_left(ctx.now());
        if owed > SimDuration::ZERO {
            self.arm_election_timer(ctx, owed);
            return;
        }
        if self.cfg.pre_vote {
            self.start_pre_vote(ctx);
        } else {
            self.start_election(ctx);
        }
    }

    fn other_voters(&self) -> Vec<NodeId> {
        self.membership.voters().iter().copied().filter(|&v| v != self.id).collect()
    }

    fn start_pre_vote(&mut self, ctx: &mut Ctx<'_, M>) {
        self.role = Role::Probing;
        self.leader = None;
        self.votes = vec![self.id];
        self.reset_election_timer(ctx);
        self.announce_role(ctx);
        let msg = RaftMsg::PreVote {
            term: Term(self.term.0 + 1),
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        };
        for v in self.other_voters() {
            self.send_now(ctx, v, msg.clone());
        }
        if self.membership.has_quorum(&self.votes) {
            self.start_election(ctx);
        }
    }

    fn start_election(&mut self, ctx: &mut Ctx<'_, M>) {
        self.term = Term(self.term.0 + 1);
        self.vote = Some(self.id);
        self.role = Role::Candidate;
        self.leader = None;
        self.persist_hard_state(ctx);
        self.self_vote_token = self.disk.write_token();
        self.votes = vec![self.id];
        self.reset_election_timer(ctx);
        self.announce_role(ctx);
        ctx.observe(eightfold_sim::sim::Observation::Voted { term: self.term, candidate: self.id });
        let msg = RaftMsg::RequestVote {
            term: self.term,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        };
        // Held until the term and self-vote are durable.
        for v in self.other_voters() {
            self.send_durable(ctx, v, msg.clone());
        }
        self.check_election_won(ctx);
    }

    /// §5.4.1: is a log ending at (`last_index`, `last_term`) at least as up-to-date as ours?
    fn log_ok(&self, last_index: LogIndex, last_term: Term) -> bool {
        self.cfg.bugs.no_log_check || (last_term, last_index) >= (self.log.last_term(), self.log.last_index())
    }

    pub(super) fn on_request_vote(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        term: Term,
        last_index: LogIndex,
        last_term: Term,
    ) {
        if self.leader_recent(ctx.now()) {
            return;
        }
        let granted = term == self.term
            && (self.vote.is_none() || self.vote == Some(from))
            && self.log_ok(last_index, last_term);
        let resp = RaftMsg::RequestVoteResp { term: self.term, granted };
        if granted {
            let first = self.vote.is_none();
            self.vote = Some(from);
            if first {
                ctx.observe(eightfold_sim::sim::Observation::Voted { term, candidate: from });
                if !self.cfg.bugs.forget_vote {
                    self.persist_hard_state(ctx);
                }
            }
            self.reset_election_timer(ctx);
            if self.cfg.bugs.forget_vote {
                // The bug: the grant leaves before (in fact without) the vote being durable.
                self.send_now(ctx, from, resp);
                return;
            }
        }
        self.send_durable(ctx, from, resp);
    }

    pub(super) fn on_vote_resp(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, term: Term, granted: bool) {
        if self.role != Role::Candidate || term != self.term || !granted {
            return;
        }
        if !self.votes.contains(&from) {
            self.votes.push(from);
        }
        self.check_election_won(ctx);
    }

    pub(super) fn on_pre_vote(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        term: Term,
        last_index: LogIndex,
        last_term: Term,
    ) {
        let granted =
            term > self.term && !self.leader_recent(ctx.now()) && self.log_ok(last_index, last_term);
        let term = if granted { term } else { self.term };
        self.send_durable(ctx, from, RaftMsg::PreVoteResp { term, granted });
    }

    pub(super) fn on_pre_vote_resp(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, term: Term, granted: bool) {
        if self.role != Role::Probing || !granted || term != Term(self.term.0 + 1) {
            return;
        }
        if !self.votes.contains(&from) {
            self.votes.push(from);
        }
        if self.membership.has_quorum(&self.votes) {
            self.start_election(ctx);
        }
    }

    /// Becomes leader once a majority voted and the self-vote is durable.
    pub(super) fn check_election_won(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.role == Role::Candidate
            && self.disk.synced() >= self.self_vote_token
            && self.membership.has_quorum(&self.votes)
        {
            self.become_leader(ctx);
        }
    }

    fn become_leader(&mut self, ctx: &mut Ctx<'_, M>) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.votes.clear();
        ctx.cancel_timer(RaftTimer::Election);
        ctx.observe(eightfold_sim::sim::Observation::Deadline { at: None });
        self.announce_role(ctx);
        let peers = self.other_voters();
        self.lead = Some(Box::new(LeaderState::new(&peers, self.log.last_index(), ctx.now())));
        // The no-op of §8: commits the entries of earlier terms and tells this leader what
        // is committed, for reads.
        let index = self.propose(ctx, super::log::RaftPayload::Noop);
        if let Some(lead) = self.lead.as_mut() {
            lead.term_start = index;
        }
        ctx.set_timer(RaftTimer::Heartbeat, self.cfg.heartbeat_interval);
        if self.cfg.check_quorum {
            ctx.set_timer(RaftTimer::Quorum, self.cfg.election_timeout_max);
        }
        // A single-voter cluster commits on its own durable write.
        self.maybe_commit(ctx);
    }
}
