//! The words a report's page and charts use for a protocol's state, chosen from the run's
//! typed [`Protocol`] (never parsed from text).
//!
//! Each protocol is described in its own terms. Raft has leaders elected in *terms*, a log
//! of *entries* and a *commit index* (Ongaro & Ousterhout, "In Search of an Understandable
//! Consensus Algorithm", 2014). Multi-Paxos has a leader too, but it leads in a *ballot
//! round*, and its log is a sequence of *slots* whose values acceptors *accept* and that are
//! then *chosen* (Lamport, "Paxos Made Simple", 2001). The Dynamo-style quorum store and
//! gossip have neither leader, role, round nor log: a page about them shows only what they
//! have (which servers were up, crashed or paused; which side of a cut they were on; what
//! they said to each other), and uses none of the consensus words.

use crate::protocol::ServerView;
use crate::scenario::Protocol;

/// The words of a protocol with a leader, rounds and a replicated log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogWords {
    /// What a leader leads in: `term` / `ballot round`.
    pub round: &'static str,
    /// Its one-letter form, before a number on a crowded label: `t` / `b`.
    pub round_short: &'static str,
    /// The replicated sequence: `log` / `slots`.
    pub log: &'static str,
    /// The highest position a server holds: `last index` / `highest accepted slot`.
    pub last: &'static str,
    /// The round of that position: `last term` / `its ballot round`.
    pub last_round: &'static str,
    /// The short label of the committed prefix: `commit` / `chosen`.
    pub commit: &'static str,
    /// Its long name: `commit index` / `highest chosen slot`.
    pub commit_index: &'static str,
    /// The count of committed positions: `entries committed` / `slots chosen`.
    pub committed_count: &'static str,
    /// What becoming leader is called: `elections` / `new leaders`.
    pub leader_changes: &'static str,
    /// One position: `index` / `slot`.
    pub position: &'static str,
    /// Several positions: `entries` / `slots`.
    pub positions: &'static str,
    /// The step-through's label before a server's highest position: `log` / `accepted to`.
    pub stage_log: &'static str,
    /// …and before its committed prefix: `commit` / `chosen to`.
    pub stage_commit: &'static str,
    /// The subject of the sentence on thinned changes, with its verb: `a server’s log
    /// changes are` / `changes to a server’s slots are`.
    pub thinned: &'static str,
    /// True when the servers' logs should agree with the leader's position by position, so a
    /// difference is worth marking (Raft's Log Matching); false for Multi-Paxos, whose
    /// acceptors may hold a slot's value from different ballots without anything being
    /// wrong.
    pub compares_logs: bool,
}

/// The words of one protocol's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vocab {
    /// The protocol the words describe.
    pub protocol: Protocol,
    /// Leader, rounds and log words, if the protocol has them (Raft, Multi-Paxos).
    pub log: Option<LogWords>,
}

impl Vocab {
    /// The words of `protocol`.
    pub fn of(protocol: Protocol) -> Vocab {
        // The log words follow what the protocol declares its servers keep.
        let log = match protocol.capabilities().view {
            ServerView::Log => Some(LogWords {
                round: "term",
                round_short: "t",
                log: "log",
                last: "last index",
                last_round: "last term",
                commit: "commit",
                commit_index: "commit index",
                committed_count: "entries committed",
                leader_changes: "elections",
                position: "index",
                positions: "entries",
                stage_log: "log",
                stage_commit: "commit",
                thinned: "a server\u{2019}s log changes are",
                compares_logs: true,
            }),
            ServerView::Slots => Some(LogWords {
                round: "ballot round",
                round_short: "b",
                log: "slots",
                last: "highest accepted slot",
                last_round: "its ballot round",
                commit: "chosen",
                commit_index: "highest chosen slot",
                committed_count: "slots chosen",
                leader_changes: "new leaders",
                position: "slot",
                positions: "slots",
                stage_log: "accepted to",
                stage_commit: "chosen to",
                thinned: "changes to a server\u{2019}s slots are",
                compares_logs: false,
            }),
            ServerView::Role | ServerView::Versions | ServerView::Values => None,
        };
        Vocab { protocol, log }
    }

    /// What the protocol's servers are, for a sentence saying they have no leader:
    /// `quorum-store replicas` / `gossip peers`; `None` for protocols with leaders.
    pub fn leaderless(&self) -> Option<&'static str> {
        if self.protocol.capabilities().leader {
            return None;
        }
        Some(match self.protocol {
            Protocol::QUORUM => "quorum-store replicas",
            Protocol::GOSSIP => "gossip peers",
            _ => "servers",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_raft_and_paxos_have_log_words_and_paxos_says_ballot_and_slot() {
        assert!(Vocab::of(Protocol::GOSSIP).log.is_none());
        assert!(Vocab::of(Protocol::QUORUM).log.is_none());
        let raft = Vocab::of(Protocol::RAFT).log.expect("raft has a log");
        assert_eq!((raft.round, raft.commit_index), ("term", "commit index"));
        let paxos = Vocab::of(Protocol::PAXOS).log.expect("paxos has slots");
        assert_eq!(paxos.round, "ballot round");
        for w in [paxos.round, paxos.log, paxos.last, paxos.last_round, paxos.commit, paxos.commit_index] {
            assert!(!w.contains("term") && !w.contains("commit") && !w.contains("index"), "{w}");
        }
        assert!(Vocab::of(Protocol::RAFT).leaderless().is_none());
        assert!(Vocab::of(Protocol::GOSSIP).leaderless().is_some());
    }
}
