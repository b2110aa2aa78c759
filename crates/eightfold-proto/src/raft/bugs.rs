//! Named bugs: deliberate, switchable departures from Raft, so the checkers can be shown
//! catching what each rule of the algorithm prevents.
//!
//! Every flag is `false` by default. Each one really produces the misbehaviour it names —
//! the unit tests in `tests/bugs.rs` drive a small cluster into the situation and show the
//! violation (two leaders in a term, an acknowledged write lost, two different commands
//! applied at one index, a stale read).

use crate::bugs::NamedBugs;

/// Switchable departures from the algorithm (all off by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RaftBugs {
    /// A follower (or candidate) answers `get` requests from its own state machine instead
    /// of redirecting to the leader. Its state may be arbitrarily stale (it may be
    /// partitioned away from a leader that has since committed new writes), so reads are
    /// not linearizable: a client can read an old value after a newer write completed.
    pub stale_follower_reads: bool,
    /// A leader commits an entry of an earlier term as soon as a majority stores it, without
    /// requiring an entry of its own term on top (the rule of §5.4.2). This is the scenario
    /// of Figure 8: such an entry can still be overwritten by a later leader whose last term
    /// is higher, so an index reported committed — and applied — changes content.
    pub commit_old_terms: bool,
    /// A vote granted to another candidate is never written to stable storage, and the
    /// grant is sent without waiting for an fsync (Figure 2 "persistent state": votedFor).
    /// A voter that crashes and restarts forgets it voted and can vote again in the same
    /// term for a different candidate: two leaders in one term (election safety, §5.2).
    pub forget_vote: bool,
    /// A leader answers a client write as soon as it appends the entry to its own log,
    /// before the entry is committed. If the leader then crashes or is deposed before the
    /// entry reaches a majority, a later leader never has it: an acknowledged write is lost.
    /// (Conditional operations are answered with a guess from the leader's current state.)
    pub ack_before_commit: bool,
    /// Votes are granted without the election restriction of §5.4.1 (the candidate's log
    /// must be at least as up-to-date as the voter's). A candidate missing committed entries
    /// can win and then overwrite them on its followers (leader completeness, state-machine
    /// safety).
    pub no_log_check: bool,
    /// With `read_mode: lease`, the leader reckons its lease from its *own* minimum
    /// election timeout (counted from the send time of the latest round a majority
    /// acknowledged) instead of from what each follower promised. That is the textbook
    /// rule (dissertation §6.4.1), and it assumes every server waits as long as the leader:
    /// when an operator gave the leader a longer timeout than its followers (a runtime
    /// reconfiguration, a per-server override), the followers elect a new leader that
    /// commits writes while the old one still serves reads locally — stale reads.
    pub leader_local_lease: bool,
}

impl RaftBugs {
    /// No bug enabled.
    pub const NONE: RaftBugs = RaftBugs {
        stale_follower_reads: false,
        commit_old_terms: false,
        forget_vote: false,
        ack_before_commit: false,
        no_log_check: false,
        leader_local_lease: false,
    };
}

impl NamedBugs for RaftBugs {
    /// The names of the enabled bugs, for the parameter listing.
    fn enabled(&self) -> Vec<&'static str> {
        let flags = [
            (self.stale_follower_reads, "stale_follower_reads"),
            (self.commit_old_terms, "commit_old_terms"),
            (self.forget_vote, "forget_vote"),
            (self.ack_before_commit, "ack_before_commit"),
            (self.no_log_check, "no_log_check"),
            (self.leader_local_lease, "leader_local_lease"),
        ];
        flags.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect()
    }

    /// Switches a bug on or off by name (a `bug` fault deploying, or taking back, a build
    /// with it); `false` if the name is unknown.
    fn set(&mut self, name: &str, on: bool) -> bool {
        let flag = match name {
            "stale_follower_reads" => &mut self.stale_follower_reads,
            "commit_old_terms" => &mut self.commit_old_terms,
            "forget_vote" => &mut self.forget_vote,
            "ack_before_commit" => &mut self.ack_before_commit,
            "no_log_check" => &mut self.no_log_check,
            "leader_local_lease" => &mut self.leader_local_lease,
            _ => return false,
        };
        *flag = on;
        true
    }
}
