//! Cluster membership: single-server changes (dissertation §4.1).
//!
//! A configuration is a log entry listing the voters. Every server uses the *latest*
//! configuration in its log, committed or not, from the moment it appends it (and reverts
//! to the previous one if that entry is truncated). Because consecutive configurations
//! differ by one server, any majority of the old one and any majority of the new one
//! overlap, so no two leaders can be elected in a term even mid-change. The leader accepts
//! a change only when the previous one is committed and it has committed an entry of its
//! own term (the fix of §4.1's "bug in single-server changes" noted on the raft-dev list:
//! without it, changes proposed by successive leaders can form disjoint majorities).
//!
//! A leader that removes itself keeps replicating (without counting itself) until the new
//! configuration commits, then steps down (§4.2.2). A removed server is not told; it stops
//! hearing from the leader and would time out, but pre-vote, check-quorum and leader
//! stickiness (§4.2.3) keep it from disrupting the cluster. A new server starts with an
//! empty disk as a non-voter (it is not in the initial configuration) that never campaigns;
//! it catches up through ordinary replication or a snapshot and becomes a voter when the
//! configuration entry naming it reaches its log.
//!
//! Candidates count votes of the voters of their latest configuration, whether or not they
//! belong to it (servers answer RPCs without consulting their configuration, §4.1). So a
//! server whose latest configuration excludes it but is *not known committed* still
//! campaigns. Without that, a leader that appended its own removal and then lost
//! leadership before replicating it could hold the only copy of the change, refuse to
//! campaign, and refuse its vote to the remaining voters (their logs are behind its own):
//! nobody could ever win. Safety does not depend on who campaigns, only on majorities of
//! configurations that differ by one server overlapping.

use std::sync::Arc;

use eightfold_sim::sim::{Ctx, LogIndex, NodeId, Observation, Role};

use super::log::RaftPayload;
use super::msg::MembershipChange;
use super::node::{RaftHost, RaftNode};

/// The configurations a server knows: the one in force at its log's base, then every
/// configuration entry after it, oldest first. The last one is in force.
#[derive(Clone, Debug, Default)]
pub(super) struct Membership {
    configs: Vec<(LogIndex, Arc<[NodeId]>)>,
}

impl Membership {
    /// The configuration in force at `base` (the snapshot's, or the initial one).
    pub fn new(base: LogIndex, voters: Arc<[NodeId]>) -> Self {
        Membership { configs: vec![(base, voters)] }
    }

    /// The voters in force.
    pub fn voters(&self) -> &[NodeId] {
        self.configs.last().map_or(&[], |(_, v)| v)
    }

    /// Index of the entry that established the configuration in force.
    pub fn latest_index(&self) -> LogIndex {
        self.configs.last().map_or(LogIndex(0), |(i, _)| *i)
    }

    /// True if `id` votes in the configuration in force.
    pub fn is_voter(&self, id: NodeId) -> bool {
        self.voters().contains(&id)
    }

    /// Votes needed for a majority.
    pub fn quorum(&self) -> usize {
        self.voters().len() / 2 + 1
    }

    /// True if the voters among `ids` form a majority.
    pub fn has_quorum(&self, ids: &[NodeId]) -> bool {
        let voters = self.voters();
        if voters.is_empty() {
            return false;
        }
        // Configurations are kept sorted, so each look-up is a binary search (a linear one
        // made the check-quorum tick quadratic in the cluster size); an unsorted one, which
        // only a hand-built configuration could be, is searched linearly.
        let count = if voters.is_sorted() {
            ids.iter().filter(|i| voters.binary_search(i).is_ok()).count()
        } else {
            ids.iter().filter(|i| voters.contains(i)).count()
        };
        count >= self.quorum()
    }

    /// The configuration in force at `index`.
    pub fn config_at(&self, index: LogIndex) -> Arc<[NodeId]> {
        self.configs
            .iter()
            .rev()
            .find(|(i, _)| *i <= index)
            .or(self.configs.first())
            .map_or_else(|| Arc::from(Vec::new()), |(_, v)| v.clone())
    }

    /// An entry was appended at `index`; true if it changed the configuration.
    pub fn on_append(&mut self, index: LogIndex, payload: &RaftPayload) -> bool {
        match payload {
            RaftPayload::Config(v) => {
                let changed = **v != *self.voters();
                self.configs.push((index, v.clone()));
                changed
            }
            _ => false,
        }
    }

    /// Entries from `from` on were discarded; true if the configuration in force changed.
    pub fn truncate(&mut self, from: LogIndex) -> bool {
        let before = self.voters().to_vec();
        while self.configs.len() > 1 && self.configs.last().is_some_and(|(i, _)| *i >= from) {
            self.configs.pop();
        }
        before != self.voters()
    }

    /// The log was compacted up to `base`: forget configurations superseded before it.
    pub fn compact(&mut self, base: LogIndex) {
        let keep_from = self.configs.iter().rposition(|(i, _)| *i <= base).unwrap_or(0);
        self.configs.drain(..keep_from);
    }

    /// A snapshot up to `index` with configuration `voters` was installed; configuration
    /// entries after it survive only if the log suffix was kept. True if the
    /// configuration in force changed.
    pub fn install(&mut self, index: LogIndex, voters: Arc<[NodeId]>, keep_suffix: bool) -> bool {
        let before = self.voters().to_vec();
        let later: Vec<_> = if keep_suffix {
            self.configs.iter().filter(|(i, _)| *i > index).cloned().collect()
        } else {
            Vec::new()
        };
        self.configs = vec![(index, voters)];
        self.configs.extend(later);
        before != self.voters()
    }
}

impl<M: RaftHost> RaftNode<M> {
    /// An operator asks for a membership change. Accepted only by a leader with no change
    /// in progress that has committed an entry of its term; otherwise announced as
    /// rejected (`membership-not-leader`, `membership-busy`, `membership-noop`).
    pub(super) fn on_admin_change(&mut self, ctx: &mut Ctx<'_, M>, change: MembershipChange) {
        let reject =
            |ctx: &mut Ctx<'_, M>, why: &str| ctx.observe(Observation::Rejected { reason: why.into() });
        if self.role != Role::Leader {
            return reject(ctx, "membership-not-leader");
        }
        if !self.committed_in_term() || self.membership.latest_index() > self.commit {
            return reject(ctx, "membership-busy");
        }
        let mut voters = self.membership.voters().to_vec();
        match change {
            MembershipChange::Add(n) if !voters.contains(&n) => voters.push(n),
            MembershipChange::Remove(n) if voters.contains(&n) && voters.len() > 1 => {
                voters.retain(|&v| v != n)
            }
            _ => return reject(ctx, "membership-noop"),
        }
        voters.sort();
        self.propose(ctx, RaftPayload::Config(voters.into()));
        self.maybe_commit(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Arc<[NodeId]> {
        v.iter().map(|&i| NodeId(i)).collect()
    }

    #[test]
    fn latest_configuration_rules_and_reverts_on_truncation() {
        let mut m = Membership::new(LogIndex(0), ids(&[0, 1, 2]));
        assert_eq!(m.quorum(), 2);
        assert!(m.on_append(LogIndex(3), &RaftPayload::Config(ids(&[0, 1, 2, 3]))));
        assert_eq!(m.quorum(), 3);
        assert!(!m.has_quorum(&[NodeId(0), NodeId(1), NodeId(9)]));
        assert!(m.has_quorum(&[NodeId(0), NodeId(1), NodeId(3)]));
        assert_eq!(m.config_at(LogIndex(2)).len(), 3);
        assert!(m.truncate(LogIndex(3)));
        assert_eq!(m.voters().len(), 3);
        assert!(!m.truncate(LogIndex(1)), "the base configuration stays");
        m.on_append(LogIndex(5), &RaftPayload::Config(ids(&[0, 1])));
        m.on_append(LogIndex(8), &RaftPayload::Config(ids(&[0])));
        m.compact(LogIndex(6));
        assert_eq!(m.config_at(LogIndex(6)).len(), 2);
        assert_eq!(m.voters(), &[NodeId(0)][..]);
        assert!(m.install(LogIndex(9), ids(&[0, 1, 2]), false));
        assert_eq!(m.latest_index(), LogIndex(9));
    }
}
