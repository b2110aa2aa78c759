//! Raft settings: timeouts, batching, compaction, read path and optional refinements.
//!
//! The defaults suit a LAN (election timeout 150–300 ms and 50 ms heartbeats, the values
//! suggested in §5.6 of the paper and §9.3 of the dissertation, where the broadcast time is
//! an order of magnitude below the election timeout).

use crate::bugs::NamedBugs;
use eightfold_sim::sim::{NodeId, SimDuration};

use super::bugs::RaftBugs;

/// How a leader serves linearizable reads (dissertation §6.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadMode {
    /// Reads are log entries like writes: simple, and as slow as a write.
    #[default]
    Log,
    /// The leader records its commit index, confirms it is still leader with a round of
    /// heartbeats acknowledged by a majority, waits until it has applied that index, then
    /// reads its state machine (§6.4). A new leader first commits an entry of its term.
    ReadIndex,
    /// The leader reads locally while its lease holds: a majority of voters promised, in
    /// their acknowledgements, to vote for no one until then (each for its own
    /// `election_timeout_min`, counted by the leader from when it sent the round; §6.4.1 and
    /// `read.rs`). Safe only if clocks drift by a bounded amount; falls back to ReadIndex
    /// when the lease lapsed.
    Lease,
}

impl ReadMode {
    /// The mode's name (`log`, `read_index`, `lease`).
    pub fn name(self) -> &'static str {
        match self {
            ReadMode::Log => "log",
            ReadMode::ReadIndex => "read_index",
            ReadMode::Lease => "lease",
        }
    }
}

/// Settings of a Raft server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaftConfig {
    /// Lower bound of the randomized election timeout (also the leader-stickiness window of
    /// §4.2.3 and, with leases, how long this server promises a leader it heard from to
    /// vote for no one — never longer than the value it booted with).
    pub election_timeout_min: SimDuration,
    /// Upper bound of the randomized election timeout; a fresh timeout is drawn uniformly in
    /// `[min, max]` at every reset.
    pub election_timeout_max: SimDuration,
    /// Interval between a leader's heartbeat rounds.
    pub heartbeat_interval: SimDuration,
    /// Most entries carried by one AppendEntries.
    pub max_entries_per_msg: u32,
    /// Most payload bytes carried by one message: the entries of an AppendEntries (at least
    /// one entry is always sent, however large) and the chunk of an InstallSnapshot (a larger
    /// snapshot is sent in chunks, §7). The default, 32 KiB, leaves a full message room in a
    /// link queue of the default 64 KiB: a message larger than a link's whole queue is
    /// dropped every time it is sent, so it could never arrive.
    pub max_bytes_per_msg: u32,
    /// Most AppendEntries carrying entries in flight to one follower (the pipeline depth).
    pub max_inflight: u32,
    /// Snapshot the state machine once this many applied entries follow the last snapshot
    /// (0: never compact).
    pub snapshot_threshold: u64,
    /// Most entries a leader lets pile up uncommitted (and most reads it lets wait) before it
    /// refuses new requests: a leader cut off from its majority must not grow without bound
    /// while clients retry.
    pub max_uncommitted: u64,
    /// How long a leader waits for an InstallSnapshot answer before sending the chunk again.
    pub snapshot_retry: SimDuration,
    /// How linearizable reads are served.
    pub read_mode: ReadMode,
    /// Run a pre-vote round before incrementing the term (dissertation §9.6).
    pub pre_vote: bool,
    /// A leader steps down if it has not heard from a majority within an election timeout
    /// (dissertation §6.2).
    pub check_quorum: bool,
    /// The voting members at the start of the cluster's life (`None`: every server of the
    /// run). A server outside it starts as a non-voter that never campaigns until a
    /// configuration entry adds it.
    pub initial_voters: Option<Vec<NodeId>>,
    /// Deliberate bugs, for testing checkers.
    pub bugs: RaftBugs,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            election_timeout_min: SimDuration::from_millis(150),
            election_timeout_max: SimDuration::from_millis(300),
            heartbeat_interval: SimDuration::from_millis(50),
            max_entries_per_msg: 64,
            max_bytes_per_msg: 32 * 1024,
            max_inflight: 4,
            snapshot_threshold: 1000,
            max_uncommitted: 4096,
            snapshot_retry: SimDuration::from_secs(1),
            read_mode: ReadMode::Log,
            pre_vote: true,
            check_quorum: true,
            initial_voters: None,
            bugs: RaftBugs::NONE,
        }
    }
}

impl RaftConfig {
    /// Parameter lines for the run's effective-parameter listing.
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![
            format!(
                "raft: election timeout {}–{}, heartbeat {}",
                self.election_timeout_min, self.election_timeout_max, self.heartbeat_interval
            ),
            format!(
                "raft: batches of up to {} entries / {} bytes, {} in flight per follower, at most {} uncommitted",
                self.max_entries_per_msg, self.max_bytes_per_msg, self.max_inflight, self.max_uncommitted
            ),
            if self.snapshot_threshold == 0 {
                "raft: no log compaction".to_string()
            } else {
                format!(
                    "raft: snapshot every {} applied entries, sent in chunks of up to {} bytes, InstallSnapshot retry {}",
                    self.snapshot_threshold, self.max_bytes_per_msg, self.snapshot_retry
                )
            },
            format!(
                "raft: reads via {}, pre-vote {}, check-quorum {}",
                self.read_mode.name(),
                on_off(self.pre_vote),
                on_off(self.check_quorum)
            ),
        ];
        if let Some(v) = &self.initial_voters {
            let names: Vec<String> = v.iter().map(|n| n.to_string()).collect();
            out.push(format!("raft: initial voters {}", names.join(", ")));
        }
        let bugs = self.bugs.enabled();
        if !bugs.is_empty() {
            out.push(format!("raft: BUGS ENABLED: {}", bugs.join(", ")));
        }
        out
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}
