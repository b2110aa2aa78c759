//! Observations: what a protocol reports about itself, for checkers, charts and the trace.
//!
//! A sans-IO node cannot be inspected mid-run by the kernel without knowing its type, so it
//! *announces* the facts that matter through its context: "I became leader of term 4",
//! "I appended entry 17 of term 3", "I applied entry 17". The kernel timestamps each one,
//! folds it into the trace and hands it to the run's observers (invariant checkers, chart
//! recorders). Nothing here changes what the simulation does.

use serde::{Deserialize, Serialize};

use super::ids::{LogIndex, NodeId, Term};
use super::time::SimTime;

/// A node's role in its protocol, as drawn on the timeline chart: a generic vocabulary of
/// leader-based and leaderless replication, which protocols map their states onto.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Following a leader (or waiting for one).
    Follower,
    /// Sounding out its peers on whether it could win an election, before campaigning and
    /// without claiming a new term or ballot (Raft's pre-vote, dissertation §9.6, is such a
    /// step). Its name in traces, recordings and charts is `pre_candidate` /
    /// `pre-candidate`, as it always was.
    #[serde(rename = "pre_candidate")]
    Probing,
    /// Campaigning for leadership in a new term (Raft) or ballot (Paxos phase 1).
    Candidate,
    /// The leader of its term (Raft) or the distinguished proposer (Paxos).
    Leader,
    /// A node without a consensus role (gossip peers, leaderless replicas, clients).
    Peer,
}

impl Role {
    /// The lower-case name used in traces and charts.
    pub fn name(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Probing => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
            Role::Peer => "peer",
        }
    }
}

/// One fact a node announces about its protocol state.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "obs", rename_all = "snake_case")]
pub enum Observation {
    /// The node's role or term changed.
    Role {
        /// The new role.
        role: Role,
        /// The term (or ballot round) the role belongs to.
        term: Term,
    },
    /// The node granted its vote in `term` to `candidate`.
    Voted {
        /// The election's term.
        term: Term,
        /// Who received the vote.
        candidate: NodeId,
    },
    /// The node's log now holds, at `index`, an entry of `term`; `chain` is a hash of the
    /// entire log prefix up to and including it (so two equal chains mean equal prefixes).
    Appended {
        /// Position of the entry.
        index: LogIndex,
        /// Term the entry was created in.
        term: Term,
        /// Hash of the log prefix ending at this entry.
        chain: u64,
    },
    /// The node (a Paxos acceptor) accepted values for the slots `first..=last`, in a ballot
    /// of round `term`, and holds them until they are decided. Paxos only: Raft's log
    /// entries are [`Observation::Appended`]. Acceptances are not decisions (two acceptors
    /// may hold different values at one slot), so checkers of decided logs ignore them; the
    /// flight recorder uses them to show how far each acceptor's log reaches.
    Accepted {
        /// First slot accepted.
        first: LogIndex,
        /// Last slot accepted.
        last: LogIndex,
        /// The ballot's round.
        term: Term,
    },
    /// The node discarded every log entry from `from` onward (a conflicting suffix).
    Truncated {
        /// First discarded index.
        from: LogIndex,
    },
    /// The node learned that every entry up to `index` is committed.
    Committed {
        /// Highest committed index.
        index: LogIndex,
    },
    /// The node applied the entry at `index` (of `term`, with command hash `command`) to its
    /// state machine.
    Applied {
        /// Position of the entry.
        index: LogIndex,
        /// Term of the entry.
        term: Term,
        /// Hash of the command bytes.
        command: u64,
    },
    /// The node replaced its log prefix up to `index` with a snapshot.
    Snapshot {
        /// Last index covered by the snapshot.
        index: LogIndex,
        /// Term of that entry.
        term: Term,
    },
    /// The node learned a broadcast value (gossip).
    Learned {
        /// The value.
        value: u64,
    },
    /// The node's cluster configuration changed (membership change).
    Membership {
        /// The voting members after the change.
        voters: Vec<NodeId>,
    },
    /// The node rejected a message (bad MAC, replay, undecodable bytes).
    Rejected {
        /// Why, in a word (`mac`, `replay`, `decode`).
        reason: String,
    },
    /// The node will act on its own at `at` unless something reaches it first (Raft: the
    /// election deadline of a follower or candidate, re-armed by every heartbeat); `None`:
    /// it has no such deadline (a leader). A view for the report only ([`Self::is_view`]).
    Deadline {
        /// When the node's timer fires, if it is armed.
        at: Option<SimTime>,
    },
    /// A leader's view of one follower's log (Raft's nextIndex and matchIndex, Figure 2):
    /// the next position it will send to `peer`, and the highest it knows `peer` holds as
    /// its own log does. Announced when either changes. A view ([`Self::is_view`]).
    Progress {
        /// The follower.
        peer: NodeId,
        /// Next position to send it.
        next: LogIndex,
        /// Highest position known to match.
        matched: LogIndex,
    },
    /// A Paxos acceptor's promise (*Paxos Made Simple* §2.2, P1a): it will accept no
    /// proposal of a ballot below `(round, proposer)`. Announced when the promise rises, and
    /// at every start with the promise recovered from its disk (round 0: none yet). A view
    /// ([`Self::is_view`]).
    Promised {
        /// The ballot's round.
        round: Term,
        /// The proposer owning the ballot (the tie-breaker of equal rounds).
        proposer: NodeId,
    },
    /// A leaderless store's replica now holds `version` of `key` (newer than what it held),
    /// and at every start each version it recovered from its disk. A view
    /// ([`Self::is_view`]).
    Stored {
        /// The key (0 is the workload's `k1`).
        key: u64,
        /// The version it now holds.
        version: VersionStamp,
    },
    /// What a leaderless store's node holds to hand back to `intended` for `key` (a hinted
    /// handoff, *Dynamo* §4.6) changed: `version` is the hinted version now waiting, or
    /// `None` once `intended` acknowledged it. Announced at every start for the hints it
    /// recovered from its disk. A view ([`Self::is_view`]).
    Hinted {
        /// The replica the value was meant for.
        intended: NodeId,
        /// The key.
        key: u64,
        /// The version waiting to be handed back, if any.
        version: Option<VersionStamp>,
    },
}

/// A last-writer-wins version as a leaderless store orders it: the coordinator's clock
/// reading when it stamped the write, then the coordinator (the tie-breaker).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct VersionStamp {
    /// Nanoseconds on the coordinator's local clock (which may be skewed).
    pub stamp: u64,
    /// The coordinator.
    pub node: NodeId,
}

impl Observation {
    /// A short kind code folded into the digest.
    pub fn code(&self) -> u8 {
        match self {
            Observation::Role { .. } => 1,
            Observation::Voted { .. } => 2,
            Observation::Appended { .. } => 3,
            Observation::Truncated { .. } => 4,
            Observation::Committed { .. } => 5,
            Observation::Applied { .. } => 6,
            Observation::Snapshot { .. } => 7,
            Observation::Learned { .. } => 8,
            Observation::Membership { .. } => 9,
            Observation::Rejected { .. } => 10,
            Observation::Accepted { .. } => 11,
            Observation::Deadline { .. } => 12,
            Observation::Progress { .. } => 13,
            Observation::Promised { .. } => 14,
            Observation::Stored { .. } => 15,
            Observation::Hinted { .. } => 16,
        }
    }

    /// True for facts announced only so the report can draw them (timers, a leader's view
    /// of its followers, an acceptor's promise, a replica's versions and hints). Announcing them must not change a run: the kernel hands them to
    /// the flight recorder alone, never to the digest, the trace or the checks, so a
    /// protocol may add or drop them without moving any digest.
    pub fn is_view(&self) -> bool {
        matches!(
            self,
            Observation::Deadline { .. }
                | Observation::Progress { .. }
                | Observation::Promised { .. }
                | Observation::Stored { .. }
                | Observation::Hinted { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Roles keep the names every trace, recording and chart has always used.
    #[test]
    fn roles_keep_their_names_in_every_output() {
        let names: Vec<(String, &str)> =
            [Role::Follower, Role::Probing, Role::Candidate, Role::Leader, Role::Peer]
                .into_iter()
                .map(|r| (serde_json::to_string(&r).expect("serialises"), r.name()))
                .collect();
        let expected = [
            ("\"follower\"", "follower"),
            ("\"pre_candidate\"", "pre-candidate"),
            ("\"candidate\"", "candidate"),
            ("\"leader\"", "leader"),
            ("\"peer\"", "peer"),
        ];
        assert_eq!(names, expected.map(|(s, n)| (s.to_string(), n)).to_vec());
        assert_eq!(serde_json::from_str::<Role>("\"pre_candidate\"").expect("parses"), Role::Probing);
    }
}
