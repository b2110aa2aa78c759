//! What an operator types at a node's console (fallacy 6: there is more than one
//! administrator), in the scenario's words: the commands the fault schedule delivers.
//!
//! The kernel does not read these: the World hands each one to the runner's translation
//! (`World::set_operator`), which turns it into the node's own admin type (Raft's
//! `RaftAdmin`, say), so no protocol's settings are named in `sim` or `world`.

use serde::{Deserialize, Serialize};

use crate::sim::{NodeId, SimDuration};

/// One setting an operator changes, with its new value. The name is the protocol's own (a
/// consensus server might have `"heartbeat"`, a store `"read_quorum"`): the kernel records,
/// folds and shows it, and only the protocol's translation reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// The setting's name, as the protocol calls it.
    pub name: String,
    /// Its new value.
    pub value: SettingValue,
}

impl Setting {
    /// The prefix of a named bug's setting: `bug:NAME`, on or off.
    const BUG: &'static str = "bug:";

    /// The setting that switches the named bug `name` on (`true`) or off: what a `bug` fault
    /// deploys, in the one form every protocol's operator translation reads.
    pub fn bug(name: &str, on: bool) -> Setting {
        Setting { name: format!("{}{name}", Self::BUG), value: SettingValue::Flag(on) }
    }

    /// The named bug this setting switches, and whether on, if it is one ([`Setting::bug`]).
    pub fn as_bug(&self) -> Option<(&str, bool)> {
        match (self.name.strip_prefix(Self::BUG), self.value) {
            (Some(name), SettingValue::Flag(on)) => Some((name, on)),
            _ => None,
        }
    }
}

/// The value of a [`Setting`]: the kinds of value a runtime setting takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingValue {
    /// On or off.
    Flag(bool),
    /// A span of virtual time.
    Duration(SimDuration),
    /// A range of virtual time (low, high), as a randomised timeout is given.
    Range(SimDuration, SimDuration),
}

/// Changes to a node's runtime settings, as a `reconfigure` fault carries them: settings in
/// the order the protocol gave them; a setting not named is left as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SettingsPatch(pub Vec<Setting>);

impl SettingsPatch {
    /// Adds `name` = `value` (builder style).
    #[must_use]
    pub fn with(mut self, name: &str, value: SettingValue) -> Self {
        self.0.push(Setting { name: name.to_string(), value });
        self
    }

    /// The settings, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Setting> {
        self.0.iter()
    }

    /// True when no setting is named.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for SettingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingValue::Flag(v) => f.write_str(if *v { "on" } else { "off" }),
            SettingValue::Duration(d) => write!(f, "{d}"),
            SettingValue::Range(lo, hi) => write!(f, "{lo}-{hi}"),
        }
    }
}

/// A command from an operator, delivered to a node by the fault schedule as if typed at
/// its console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    /// Add this server to the cluster's membership (sent to the leader).
    AddServer(NodeId),
    /// Remove this server from the membership (sent to the leader).
    RemoveServer(NodeId),
    /// Change this node's settings.
    Configure(SettingsPatch),
    /// Go back to the settings the node booted with.
    ResetConfig,
}
