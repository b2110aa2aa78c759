//! Multi-Paxos settings: timeouts, batching, compaction.
//!
//! The defaults match Raft's (election timeout 150–300 ms, heartbeats every 50 ms), so the
//! two protocols can be compared under the same faults with the same timing.

use crate::bugs::NamedBugs;
use eightfold_sim::sim::SimDuration;

use super::bugs::PaxosBugs;

/// Settings of a Multi-Paxos server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaxosConfig {
    /// Lower bound of the randomized timeout after which a server that has not heard from
    /// a leader starts phase 1 (also the time a new leader has to establish itself).
    pub election_timeout_min: SimDuration,
    /// Upper bound of that timeout; a fresh one is drawn uniformly in `[min, max]` at every
    /// reset.
    pub election_timeout_max: SimDuration,
    /// Interval between a leader's heartbeats (which carry its decided prefix, and on
    /// which it retransmits unanswered proposals).
    pub heartbeat_interval: SimDuration,
    /// Most values carried by one Accept message.
    pub max_entries_per_msg: u32,
    /// Most payload bytes carried by one message: the values of an Accept or Learn (at
    /// least one value is always sent, however large) and a snapshot chunk. The default,
    /// 32 KiB, leaves a full message room in a link queue of the default 64 KiB: a message
    /// larger than a link's whole queue is dropped every time it is sent. A Learn is
    /// bounded by this alone, not by `max_entries_per_msg`: it answers a learner's only
    /// outstanding catch-up request, so it carries as much as one message can, or a
    /// learner fetching one value per round trip would never catch up with a busy leader.
    pub max_bytes_per_msg: u32,
    /// Snapshot the state machine once this many decided slots follow the last snapshot
    /// (0: never compact).
    pub snapshot_threshold: u64,
    /// Most proposals a leader lets wait undecided before it refuses new requests: a
    /// leader cut off from its majority must not grow without bound while clients retry.
    pub max_uncommitted: u64,
    /// How long a server waits before starting another snapshot transfer to the same peer,
    /// and how long a learner waits for a transfer to move before giving it up.
    pub snapshot_retry: SimDuration,
    /// A leader steps down if it has not heard from a majority within
    /// `election_timeout_max` (like Raft's check-quorum, dissertation §6.2): without it a
    /// leader whose answers are lost (a one-way partition) keeps the others from electing
    /// a new one while it decides nothing.
    pub check_quorum: bool,
    /// Deliberate bugs, for testing checkers.
    pub bugs: PaxosBugs,
}

impl Default for PaxosConfig {
    fn default() -> Self {
        PaxosConfig {
            election_timeout_min: SimDuration::from_millis(150),
            election_timeout_max: SimDuration::from_millis(300),
            heartbeat_interval: SimDuration::from_millis(50),
            max_entries_per_msg: 64,
            max_bytes_per_msg: 32 * 1024,
            snapshot_threshold: 1000,
            max_uncommitted: 4096,
            snapshot_retry: SimDuration::from_secs(1),
            check_quorum: true,
            bugs: PaxosBugs::NONE,
        }
    }
}

impl PaxosConfig {
    /// How far above the highest decided prefix it knows of an honest server's acceptances
    /// can lie: a leader proposes at most `max_uncommitted` undecided values (plus the ones
    /// it re-proposes, which earlier leaders bounded the same way), so eight pipelines — and
    /// never less than 65,536 slots — is a generous bound. A slot number beyond it can only
    /// come from a corrupted or forged message; a leader that believed it would propose a
    /// no-op in every slot up to it (the unbounded gap fill of issue 14), and an acceptor
    /// that stored it would carry it in every later promise.
    pub fn max_gap(&self) -> u64 {
        self.max_uncommitted.saturating_mul(8).max(1 << 16)
    }

    /// Parameter lines for the run's effective-parameter listing.
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![
            format!(
                "paxos: election timeout {}–{}, heartbeat {}, check-quorum {}",
                self.election_timeout_min,
                self.election_timeout_max,
                self.heartbeat_interval,
                if self.check_quorum { "on" } else { "off" }
            ),
            format!(
                "paxos: batches of up to {} values / {} bytes (catch-up: {} bytes), at most {} undecided proposals, reads through the log",
                self.max_entries_per_msg,
                self.max_bytes_per_msg,
                self.max_bytes_per_msg,
                self.max_uncommitted
            ),
            if self.snapshot_threshold == 0 {
                "paxos: no log compaction".to_string()
            } else {
                format!(
                    "paxos: snapshot every {} decided slots, sent in chunks of up to {} bytes, transfer retry {}",
                    self.snapshot_threshold, self.max_bytes_per_msg, self.snapshot_retry
                )
            },
        ];
        let bugs = self.bugs.enabled();
        if !bugs.is_empty() {
            out.push(format!("paxos: BUGS ENABLED: {}", bugs.join(", ")));
        }
        out
    }
}
