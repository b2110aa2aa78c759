//! What an operator types at a node's console (fallacy 6: there is more than one
//! administrator), in the scenario's words: the commands the fault schedule delivers.
//!
//! The kernel does not read these: the World hands each one to the runner's translation
//! (`World::set_operator`), which turns it into the node's own admin type (Raft's
//! `RaftAdmin`, say), so no protocol's settings are named in `sim` or `world`.

use serde::{Deserialize, Serialize};

use crate::sim::{NodeId, SimDuration};

/// Changes to a consensus server's runtime settings, as a `reconfigure` fault writes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigPatch {
    /// New election timeout range (min, max).
    pub election_timeout: Option<(SimDuration, SimDuration)>,
    /// New heartbeat interval.
    pub heartbeat: Option<SimDuration>,
    /// Pre-vote on or off.
    pub pre_vote: Option<bool>,
    /// Check-quorum on or off.
    pub check_quorum: Option<bool>,
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
    Configure(ConfigPatch),
    /// Go back to the settings the node booted with.
    ResetConfig,
}
