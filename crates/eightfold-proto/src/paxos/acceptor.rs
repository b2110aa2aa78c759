//! The acceptor (*Paxos Made Simple* §2.2, P1a and the promise of §2.3): it promises not to
//! accept proposals below the highest ballot it answered a Prepare for, and reports what
//! it accepted, so that a new proposer can find any value that might have been chosen.
//!
//! - **Prepare** with a ballot at least as high as the promise: promise it (durably, before
//!   answering) and report every acceptance from the requested slot on, above the decided
//!   prefix; the decided prefix itself is reported by its end alone. A lower ballot gets a
//!   `Nack` naming the promise, which pre-empts the proposer.
//! - **Accept** with a ballot at least as high as the promise: adopt the ballot, store the
//!   values (durably, before acknowledging) except in slots already decided, and learn
//!   the leader's decided prefix. A lower ballot gets a `Nack` (unless the
//!   `no_promise_check` bug is on). Values at slots more than
//!   [`super::PaxosConfig::max_gap`] above every decided prefix the acceptor knows of are
//!   implausible (no honest leader proposes there) and dropped unanswered.
//! - **Heartbeat**: the same ballot rule; it resets the election timer and carries the
//!   leader's decided prefix.
//!
//! A server installing a snapshot answers neither Prepare nor Accept until the snapshot
//! is durable (its WAL cannot describe a prefix it has not stored yet); proposers retry.

use crate::replica::log::Entry;
use eightfold_sim::sim::{Ctx, DiskOp, LogIndex, NodeId, Observation, Role};

use super::ballot::Ballot;
use super::msg::{AcceptedSlot, PaxosMsg};
use super::node::{PaxosHost, PaxosNode};
use super::storage::{self, AcceptedValue, WAL};

impl<M: PaxosHost> PaxosNode<M> {
    /// Phase 1b.
    pub(super) fn on_prepare(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, ballot: Ballot, slot: LogIndex) {
        if self.installing() {
            return;
        }
        if ballot < self.promised {
            let promised = self.promised;
            self.send_now(ctx, from, PaxosMsg::Nack { promised });
            return;
        }
        if ballot > self.promised {
            self.raise_promise(ctx, ballot);
            self.leader = None;
            // Give the proposer the time to finish phase 1 before competing with it.
            self.reset_election_timer(ctx);
        }
        let decided = self.decided.last_index();
        let accepted = self
            .accepted
            .range(slot.max(decided.next())..)
            .map(|(&slot, a)| AcceptedSlot { slot, ballot: a.ballot, entry: a.entry.clone() })
            .collect();
        let msg = PaxosMsg::Promise { ballot, decided, accepted };
        if self.cfg.bugs.forget_promise {
            self.send_now(ctx, from, msg);
        } else {
            self.send_durable(ctx, from, msg);
        }
    }

    /// Phase 2b.
    pub(super) fn on_accept(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        ballot: Ballot,
        first: LogIndex,
        entries: Vec<Entry>,
        commit: LogIndex,
    ) {
        if self.installing() {
            return;
        }
        let current = ballot >= self.promised;
        if !current && !self.cfg.bugs.no_promise_check {
            let promised = self.promised;
            self.send_now(ctx, from, PaxosMsg::Nack { promised });
            return;
        }
        // Values far above every decided prefix this acceptor knows of (its own, the one the
        // leader reports) cannot come from an honest leader (`max_gap`): stored, they would
        // ride along in every later promise. Dropped unanswered, like any implausible message.
        let horizon = self.decided.last_index().max(commit).0.saturating_add(self.cfg.max_gap());
        if first.0.saturating_add(entries.len() as u64) > horizon.saturating_add(1) {
            ctx.observe(Observation::Rejected { reason: "implausible".into() });
            return;
        }
        if ballot > self.promised {
            self.raise_promise(ctx, ballot);
        }
        if current {
            self.follow(ctx, from);
        }
        let count = entries.len() as u32;
        self.accept_values(ctx, ballot, first, entries);
        self.send_durable(ctx, from, PaxosMsg::Accepted { ballot, first, count });
        if current {
            self.learn_commit(ctx, from, ballot, commit);
        }
    }

    /// Stores `entries` accepted in `ballot` at `first`, `first + 1`, … (slots already
    /// decided are skipped; values already accepted in this ballot are not rewritten).
    fn accept_values(&mut self, ctx: &mut Ctx<'_, M>, ballot: Ballot, first: LogIndex, entries: Vec<Entry>) {
        let decided = self.decided.last_index();
        let skip = decided.0.saturating_sub(first.0 - 1).min(entries.len() as u64) as usize;
        let start = LogIndex(first.0 + skip as u64);
        let fresh = entries[skip..].iter().enumerate().any(|(k, e)| {
            let slot = LogIndex(start.0 + k as u64);
            self.accepted.get(&slot).is_none_or(|a| a.ballot != ballot || a.entry != *e)
        });
        if !fresh {
            return;
        }
        let mut data = ctx.buffer();
        storage::accept_record(&mut data, ballot, start, entries[skip..].iter());
        self.wal_write(ctx, DiskOp::Append { file: WAL, data });
        let mut last = start;
        for (k, entry) in entries.into_iter().skip(skip).enumerate() {
            last = LogIndex(start.0 + k as u64);
            self.accepted.insert(last, AcceptedValue { ballot, entry });
        }
        ctx.observe(Observation::Accepted { first: start, last, term: ballot.term() });
    }

    /// A leader's heartbeat.
    pub(super) fn on_heartbeat(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        ballot: Ballot,
        commit: LogIndex,
    ) {
        if ballot < self.promised {
            let promised = self.promised;
            self.send_now(ctx, from, PaxosMsg::Nack { promised });
            return;
        }
        if ballot > self.promised {
            self.raise_promise(ctx, ballot);
        }
        self.follow(ctx, from);
        self.send_now(ctx, from, PaxosMsg::HeartbeatAck { ballot });
        self.learn_commit(ctx, from, ballot, commit);
    }

    /// The proposer of the promised ballot spoke as leader: follow it.
    fn follow(&mut self, ctx: &mut Ctx<'_, M>, leader: NodeId) {
        self.leader = Some(leader);
        if self.role == Role::Follower {
            self.reset_election_timer(ctx);
        }
    }
}
