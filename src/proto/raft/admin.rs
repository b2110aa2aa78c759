//! What an operator can tell a Raft server at runtime: membership changes (sent to the
//! leader) and changes of its timing settings (fallacy 6: more than one administrator).

use crate::sim::{NodeId, SimDuration};

use super::config::RaftConfig;

/// Changes to a Raft server's runtime settings; `None` leaves a setting as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RaftPatch {
    /// New election timeout range (min, max).
    pub election_timeout: Option<(SimDuration, SimDuration)>,
    /// New heartbeat interval.
    pub heartbeat: Option<SimDuration>,
    /// Pre-vote on or off (§9.6).
    pub pre_vote: Option<bool>,
    /// Check-quorum on or off (§6.2).
    pub check_quorum: Option<bool>,
}

/// An operator's command to a Raft server: the server's [`crate::sim::Node::Admin`] type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaftAdmin {
    /// Add this server to the membership (a leader starts the change; others refuse it).
    AddServer(NodeId),
    /// Remove this server from the membership (likewise).
    RemoveServer(NodeId),
    /// Change these settings; each takes effect at the next timer it concerns.
    Configure(RaftPatch),
    /// Go back to the settings the server booted with.
    ResetConfig,
}

impl RaftConfig {
    /// Sets what `patch` names. The upper end of the election timeout is never set below
    /// the lower end (a validated scenario never asks for that).
    pub fn apply(&mut self, patch: &RaftPatch) {
        if let Some((lo, hi)) = patch.election_timeout {
            self.election_timeout_min = lo;
            self.election_timeout_max = hi.max(lo);
        }
        if let Some(h) = patch.heartbeat {
            self.heartbeat_interval = h;
        }
        if let Some(v) = patch.pre_vote {
            self.pre_vote = v;
        }
        if let Some(q) = patch.check_quorum {
            self.check_quorum = q;
        }
    }

    /// Puts back every setting a [`RaftPatch`] can change as it is in `boot`.
    pub fn reset_to(&mut self, boot: &RaftConfig) {
        self.election_timeout_min = boot.election_timeout_min;
        self.election_timeout_max = boot.election_timeout_max;
        self.heartbeat_interval = boot.heartbeat_interval;
        self.pre_vote = boot.pre_vote;
        self.check_quorum = boot.check_quorum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_sets_what_it_names_and_a_reset_undoes_it() {
        let boot = RaftConfig::default();
        let mut c = boot.clone();
        let ms = SimDuration::from_millis;
        c.apply(&RaftPatch {
            election_timeout: Some((ms(40), ms(60))),
            pre_vote: Some(!boot.pre_vote),
            ..RaftPatch::default()
        });
        assert_eq!((c.election_timeout_min, c.election_timeout_max), (ms(40), ms(60)));
        assert_eq!(c.pre_vote, !boot.pre_vote);
        assert_eq!((c.heartbeat_interval, c.check_quorum), (boot.heartbeat_interval, boot.check_quorum));
        c.apply(&RaftPatch { election_timeout: Some((ms(90), ms(10))), ..RaftPatch::default() });
        assert_eq!((c.election_timeout_min, c.election_timeout_max), (ms(90), ms(90)));
        c.reset_to(&boot);
        assert_eq!(
            (
                c.election_timeout_min,
                c.election_timeout_max,
                c.heartbeat_interval,
                c.pre_vote,
                c.check_quorum
            ),
            (
                boot.election_timeout_min,
                boot.election_timeout_max,
                boot.heartbeat_interval,
                boot.pre_vote,
                boot.check_quorum
            )
        );
    }
}
