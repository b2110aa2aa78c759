//! Identifiers shared by the kernel, the protocols and the checkers.
//!
//! Newtypes instead of bare integers, so a term can never be passed where a log index
//! was meant, and so every chart and message prints nodes the same way (`n1`, `n2`, …).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A virtual node: a server, a client or an adversary. Zero-based inside the simulator;
/// printed one-based as `n1`, `n2`, … because that is how people count servers.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The node's position in per-node vectors.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0 + 1)
    }
}

/// A consensus epoch: a Raft term, or the round of a Paxos ballot.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Term(pub u64);

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A position in a replicated log; the first entry has index 1, index 0 means "empty log".
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LogIndex(pub u64);

impl LogIndex {
    /// The index just after this one.
    #[inline]
    pub const fn next(self) -> LogIndex {
        LogIndex(self.0 + 1)
    }
    /// The index just before this one (saturating at zero).
    #[inline]
    pub const fn prev(self) -> LogIndex {
        LogIndex(self.0.saturating_sub(1))
    }
}

impl fmt::Display for LogIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A timer a node arms by name; a node has at most one pending timer per id, and arming it
/// again replaces the pending one (the way Raft resets its election timer).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TimerId(pub u16);

/// A message's identity, unique within a run; duplicates share the original's id.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgId(pub u64);
