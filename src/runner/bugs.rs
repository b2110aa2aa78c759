//! The named bugs a scenario can switch on (`"bugs": [...]` or `--bug NAME`), to prove the
//! checkers catch real mistakes. `eightfold bugs` prints this table.

use crate::scenario::{Fault, Protocol, Scenario, ScenarioError};

/// One named bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BugInfo {
    /// The name used in scenarios and on the command line.
    pub name: &'static str,
    /// The protocols it applies to (`"any"` for the kernel's).
    pub protocols: &'static [Protocol],
    /// What the bug does.
    pub what: &'static str,
    /// What it breaks, and which check catches it.
    pub breaks: &'static str,
    /// A shipped scenario in which the check catches it within 200 seeds.
    pub caught_in: &'static str,
}

/// Every named bug.
pub const BUGS: &[BugInfo] = &[
    BugInfo {
        name: "stale_follower_reads",
        protocols: &[Protocol::RAFT],
        what: "a follower answers reads from its own state machine instead of redirecting to the leader",
        breaks: "linearizability: a client can read an old value after a newer write completed (linearizable check)",
        caught_in: "raft-leader-churn",
    },
    BugInfo {
        name: "commit_old_terms",
        protocols: &[Protocol::RAFT],
        what: "a leader commits entries of earlier terms by counting replicas, without an entry of its own term on top (Raft paper, Figure 8)",
        breaks: "state-machine safety and leader completeness: a committed, applied entry is later overwritten (invariants check)",
        caught_in: "raft-figure-8",
    },
    BugInfo {
        name: "forget_vote",
        protocols: &[Protocol::RAFT],
        what: "a server grants its vote without first writing it to disk",
        breaks: "election safety: after a crash it can vote twice in one term, electing two leaders (invariants check)",
        caught_in: "raft-vote-amnesia",
    },
    BugInfo {
        name: "ack_before_commit",
        protocols: &[Protocol::RAFT],
        what: "a leader acknowledges a write as soon as it appends it, before it is committed",
        breaks: "durability: an acknowledged write is lost when the leader fails (linearizable check)",
        caught_in: "raft-leader-churn",
    },
    BugInfo {
        name: "no_log_check",
        protocols: &[Protocol::RAFT],
        what: "votes are granted without checking that the candidate's log is at least as up-to-date (Raft paper §5.4.1)",
        breaks: "leader completeness: a leader missing committed entries overwrites them (invariants check)",
        caught_in: "raft-leader-churn",
    },
    BugInfo {
        name: "leader_local_lease",
        protocols: &[Protocol::RAFT],
        what: "with lease reads, the leader reckons its lease from its own minimum election timeout instead of from what each follower promised (fallacy 6: it assumes one administrator set every server's timeout alike)",
        breaks: "linearizability: a leader given a longer timeout than its followers keeps serving reads locally after they elected a new leader that committed writes (linearizable check)",
        caught_in: "raft-lease-differing-timeouts",
    },
    BugInfo {
        name: "no_promise_check",
        protocols: &[Protocol::PAXOS],
        what: "an acceptor accepts a proposal whose ballot is lower than the one it promised (Paxos Made Simple, P1a)",
        breaks: "agreement: a deposed leader's value is chosen in a slot the new leader fills with another, so two servers apply different values at one slot (invariants check)",
        caught_in: "paxos-leader-churn",
    },
    BugInfo {
        name: "ignore_accepted",
        protocols: &[Protocol::PAXOS],
        what: "a new leader proposes no-ops after phase 1 instead of the values its promises reported (Paxos Made Simple, P2c)",
        breaks: "agreement and durability: a value already chosen, applied and acknowledged is replaced by a no-op (invariants check)",
        caught_in: "paxos-leader-churn",
    },
    BugInfo {
        name: "forget_promise",
        protocols: &[Protocol::PAXOS],
        what: "an acceptor answers Prepare without first writing its promise to disk",
        breaks: "agreement: after a crash it has forgotten the promise and accepts a lower ballot, so two values are chosen for one slot (invariants check)",
        caught_in: "paxos-promise-amnesia",
    },
    BugInfo {
        name: "stale_leader_reads",
        protocols: &[Protocol::PAXOS],
        what: "the leader answers reads from its own state machine at once instead of putting them through the log",
        breaks: "linearizability: a leader deposed without noticing serves values older than writes already acknowledged (linearizable check)",
        caught_in: "paxos-leader-churn",
    },
    BugInfo {
        name: "no_auth",
        protocols: &[],
        what: "receivers stop verifying the envelope's MAC, so corrupted and forged messages that still decode reach the protocol",
        breaks: "whatever the tampered message says: safety of the protocol (invariants or linearizable check)",
        caught_in: "fallacy-4-secure-network",
    },
];

/// The bug with this name.
pub fn find(name: &str) -> Option<&'static BugInfo> {
    BUGS.iter().find(|b| b.name == name)
}

/// Checks that every bug a scenario names exists and applies to its protocol.
pub fn validate(s: &Scenario) -> Result<(), ScenarioError> {
    for (i, name) in s.bugs.iter().enumerate() {
        let path = format!("bugs[{i}]");
        let Some(b) = find(name) else {
            let names: Vec<&str> = BUGS.iter().map(|b| b.name).collect();
            return Err(ScenarioError::at(
                path,
                format!("unknown bug \"{name}\"; expected one of {}", names.join(", ")),
            ));
        };
        if !b.protocols.is_empty() && !b.protocols.contains(&s.cluster.protocol) {
            return Err(ScenarioError::at(
                path,
                format!(
                    "bug \"{name}\" is a bug of {}, not of \"{}\"",
                    protocols(b),
                    s.cluster.protocol.name()
                ),
            ));
        }
        if s.bugs[..i].contains(name) {
            return Err(ScenarioError::at(path, format!("bug \"{name}\" is listed twice")));
        }
    }
    for (i, f) in s.faults.iter().enumerate() {
        if let Fault::Bug { name, .. } = &f.fault {
            let at = format!("faults[{i}].name");
            deployable(name, s.cluster.protocol).map_err(|m| ScenarioError::at(at.clone(), m))?;
            if s.bugs.contains(name) {
                return Err(ScenarioError::at(
                    at,
                    format!(
                        "bug \"{name}\" is already on for the whole run (\"bugs\"); deploy it mid-run or list it there, not both"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks that bug `name` can be deployed mid-run (a `bug` fault) to servers of `protocol`:
/// it exists, it is a bug of that protocol, and it lives in the protocol's code (a bug of
/// the simulator's envelope is on for a whole run or not at all).
pub fn deployable(name: &str, protocol: Protocol) -> Result<&'static BugInfo, String> {
    let Some(b) = find(name) else {
        let names: Vec<&str> = BUGS.iter().filter(|b| !b.protocols.is_empty()).map(|b| b.name).collect();
        return Err(format!("unknown bug \"{name}\"; expected one of {}", names.join(", ")));
    };
    if b.protocols.is_empty() {
        return Err(format!(
            "bug \"{name}\" is in the simulator's envelope, not in a server's build: switch it on for the whole run with \"bugs\""
        ));
    }
    if !b.protocols.contains(&protocol) {
        return Err(format!("bug \"{name}\" is a bug of {}, not of \"{}\"", protocols(b), protocol.name()));
    }
    Ok(b)
}

/// The protocols a bug applies to, for messages.
pub fn protocols(b: &BugInfo) -> String {
    if b.protocols.is_empty() {
        "every protocol (the simulator's envelope)".to_string()
    } else {
        b.protocols.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
    }
}
