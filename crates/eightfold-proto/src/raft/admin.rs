//! What an operator can tell a Raft server at runtime: membership changes (sent to the
//! leader) and changes of its timing settings (fallacy 6: more than one administrator).

use eightfold_sim::fault::{SettingValue, SettingsPatch};
use eightfold_sim::sim::{NodeId, SimDuration};

use super::bugs::RaftBugs;
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

/// An operator's command to a Raft server: the server's [`eightfold_sim::sim::Node::Admin`] type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaftAdmin {
    /// Add this server to the membership (a leader starts the change; others refuse it).
    AddServer(NodeId),
    /// Remove this server from the membership (likewise).
    RemoveServer(NodeId),
    /// Change these settings; each takes effect at the next timer it concerns.
    Configure(RaftPatch),
    /// Go back to the settings the server booted with (named bugs are not settings: they
    /// stay as the last deployment left them).
    ResetConfig,
    /// A build deployed mid-run: switch on the bugs `on` names, then off those `off` names
    /// (a `bug` fault).
    Bugs {
        /// Bugs to switch on.
        on: RaftBugs,
        /// Bugs to switch off.
        off: RaftBugs,
    },
}

impl RaftPatch {
    /// The names under which a patch travels through the kernel's fault schedule (a
    /// `reconfigure` fault's [`SettingsPatch`]): Raft's words for its settings.
    pub const ELECTION_TIMEOUT: &'static str = "election_timeout";
    /// See [`RaftPatch::ELECTION_TIMEOUT`].
    pub const HEARTBEAT: &'static str = "heartbeat";
    /// See [`RaftPatch::ELECTION_TIMEOUT`].
    pub const PRE_VOTE: &'static str = "pre_vote";
    /// See [`RaftPatch::ELECTION_TIMEOUT`].
    pub const CHECK_QUORUM: &'static str = "check_quorum";

    /// The patch as the kernel carries it: each setting it changes, by name, in this order.
    pub fn to_settings(&self) -> SettingsPatch {
        let mut p = SettingsPatch::default();
        if let Some((lo, hi)) = self.election_timeout {
            p = p.with(Self::ELECTION_TIMEOUT, SettingValue::Range(lo, hi));
        }
        if let Some(h) = self.heartbeat {
            p = p.with(Self::HEARTBEAT, SettingValue::Duration(h));
        }
        if let Some(v) = self.pre_vote {
            p = p.with(Self::PRE_VOTE, SettingValue::Flag(v));
        }
        if let Some(q) = self.check_quorum {
            p = p.with(Self::CHECK_QUORUM, SettingValue::Flag(q));
        }
        p
    }

    /// Reads back what [`RaftPatch::to_settings`] wrote; a setting Raft does not have, or a
    /// value of the wrong shape, is refused with its name.
    pub fn from_settings(p: &SettingsPatch) -> Result<RaftPatch, UnknownSetting> {
        let mut out = RaftPatch::default();
        for s in p.iter() {
            match (s.name.as_str(), s.value) {
                (Self::ELECTION_TIMEOUT, SettingValue::Range(lo, hi)) => {
                    out.election_timeout = Some((lo, hi))
                }
                (Self::HEARTBEAT, SettingValue::Duration(h)) => out.heartbeat = Some(h),
                (Self::PRE_VOTE, SettingValue::Flag(v)) => out.pre_vote = Some(v),
                (Self::CHECK_QUORUM, SettingValue::Flag(q)) => out.check_quorum = Some(q),
                _ => return Err(UnknownSetting(s.name.clone())),
            }
        }
        Ok(out)
    }
}

/// A runtime setting Raft does not have (or one given a value of the wrong kind).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Raft has no runtime setting `{0}` of that kind")]
pub struct UnknownSetting(pub String);

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
    fn a_patch_travels_through_the_kernel_as_named_settings_and_comes_back_whole() {
        let ms = SimDuration::from_millis;
        let patch = RaftPatch {
            election_timeout: Some((ms(40), ms(60))),
            heartbeat: None,
            pre_vote: Some(false),
            check_quorum: Some(true),
        };
        let settings = patch.to_settings();
        assert_eq!(settings.iter().count(), 3, "only what the patch changes");
        assert_eq!(RaftPatch::from_settings(&settings), Ok(patch));
        let foreign = SettingsPatch::default().with("read_quorum", SettingValue::Flag(true));
        assert_eq!(RaftPatch::from_settings(&foreign), Err(UnknownSetting("read_quorum".into())));
        let misshapen = SettingsPatch::default().with(RaftPatch::PRE_VOTE, SettingValue::Duration(ms(1)));
        assert!(RaftPatch::from_settings(&misshapen).is_err());
    }

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
