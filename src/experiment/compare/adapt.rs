//! Adapting one key-value scenario to each protocol of a comparison.
//!
//! Raft, Multi-Paxos and the quorum store take the same network, disks, workload, checks and
//! almost every fault, so most of a scenario carries over unchanged: only
//! `cluster.protocol` is switched. What cannot carry over is removed, and every removal is
//! recorded as a [`Change`] with its JSON path and the reason, so the report says exactly
//! what each protocol did *not* face:
//!
//! - settings of another protocol (`cluster.raft`, `cluster.paxos`, `cluster.quorum`). Raft
//!   and Multi-Paxos share their timing knobs (one [`crate::scenario::ConsensusTiming`]:
//!   election timeout, heartbeat, check-quorum, snapshot interval, batch size), so when the
//!   target has no settings of its own those are *translated* (carried over whole) rather
//!   than dropped: both leader-based protocols then run with the same
//!   timeouts, which is what a fair comparison needs. Knobs with no counterpart are dropped;
//! - per-server Raft settings in `cluster.overrides[i].raft` (an override left with nothing
//!   else to say is dropped whole);
//! - Raft-only faults: `reconfigure`, `add_server` and `remove_server` are operator commands
//!   only a Raft server acts on (the other protocols have no membership changes);
//! - named bugs of another protocol.
//!
//! Some things carry over but mean something different, and are recorded as notes rather
//! than changes: a fault aimed at `"leader"`, `"follower"`, `"minority"` or `"majority"` on the
//! quorum store, which has no leader, hits a server (or a group) chosen at random.
//!
//! The adapted scenario is validated again like a scenario file; if it is rejected the
//! comparison stops with [`AdaptError::Invalid`] naming the protocol and the JSON path.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::runner::bugs;
use crate::scenario::protocol_fit::{Target, has_leader, needs_leader, targets};
use crate::scenario::{
    Fault, NodeOverride, NodeRef, PaxosSpec, Protocol, RaftSpec, Scenario, ScenarioError, WorkloadSpec,
    validate,
};

/// Why a scenario could not be adapted to a protocol.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AdaptError {
    /// The scenario has no key-value workload (a gossip scenario), so there is nothing the
    /// key-value protocols could be compared on.
    #[error(
        "\"{scenario}\" is a {protocol} scenario; only key-value scenarios (raft, paxos, quorum with a \"kv\" workload) can be compared"
    )]
    NotKeyValue {
        /// The scenario.
        scenario: String,
        /// Its protocol.
        protocol: &'static str,
    },
    /// The target is not a key-value protocol.
    #[error("{0} cannot take part in a comparison: it does not run the key-value workload")]
    NotComparable(&'static str),
    /// The adapted scenario failed validation.
    #[error("adapted to {protocol}, the scenario is invalid: {source}")]
    Invalid {
        /// The target protocol.
        protocol: &'static str,
        /// What validation said.
        source: ScenarioError,
    },
}

/// What an adaptation did to one part of the scenario.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Removed: the protocol never sees it.
    Dropped,
    /// Moved to the target protocol's equivalent setting.
    Translated,
    /// Kept, but it means something different for this protocol.
    Note,
}

/// One change (or note) made when adapting a scenario to a protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The JSON path in the original scenario (`cluster.raft.pre_vote`, `faults[6]`).
    pub path: String,
    /// Dropped, translated or noted.
    pub kind: ChangeKind,
    /// What it was and why it could not carry over, in one sentence.
    pub why: String,
}

/// A scenario adapted to one protocol.
#[derive(Clone, Debug)]
pub struct Adapted {
    /// The protocol it now runs.
    pub protocol: Protocol,
    /// The adapted (and validated) scenario.
    pub scenario: Scenario,
    /// What was changed, in the order of the scenario file.
    pub changes: Vec<Change>,
    /// For each fault of the adapted scenario, its index in the original `faults`.
    pub kept_faults: Vec<usize>,
}

/// A protocol's name in sentences: "Raft", "Multi-Paxos", "the quorum store".
pub fn display_name(p: Protocol) -> &'static str {
    match p {
        Protocol::RAFT => "Raft",
        Protocol::PAXOS => "Multi-Paxos",
        Protocol::QUORUM => "the quorum store",
        other => other.title(),
    }
}

/// Adapts `s` to run on `target`, recording every change.
pub fn adapt(s: &Scenario, target: Protocol) -> Result<Adapted, AdaptError> {
    if target == Protocol::GOSSIP {
        return Err(AdaptError::NotComparable("gossip"));
    }
    if s.cluster.protocol == Protocol::GOSSIP || !matches!(s.workload, None | Some(WorkloadSpec::Kv(_))) {
        return Err(AdaptError::NotKeyValue {
            scenario: s.name.clone(),
            protocol: s.cluster.protocol.name(),
        });
    }
    let mut out = s.clone();
    let mut changes = Vec::new();
    out.cluster.protocol = target;
    settings(&mut out, target, &mut changes);
    overrides(&mut out, target, &mut changes);
    let kept_faults = faults(&mut out, target, &mut changes);
    named_bugs(&mut out, target, &mut changes);
    if !has_leader(target) {
        leaderless_notes(s, &mut changes);
        aim_at_random(&mut out);
    }
    changes.sort_by_key(|c| file_order(&c.path));
    validate::validate(&out).map_err(|source| AdaptError::Invalid { protocol: target.name(), source })?;
    bugs::validate(&out).map_err(|source| AdaptError::Invalid { protocol: target.name(), source })?;
    Ok(Adapted { protocol: target, scenario: out, changes, kept_faults })
}

/// Where a path comes in a scenario file: cluster settings, then faults, then bugs, each by
/// index (the sort is stable, so changes at one path keep their order).
fn file_order(path: &str) -> (u8, usize) {
    let section = if path.starts_with("cluster") {
        0
    } else if path.starts_with("faults") {
        1
    } else {
        2
    };
    let index = path
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0);
    (section, if section == 0 { 0 } else { index })
}

fn change(path: impl Into<String>, kind: ChangeKind, why: impl Into<String>) -> Change {
    Change { path: path.into(), kind, why: why.into() }
}

/// The shipped protocols' settings for a protocol registered beside them: what its
/// registration carries over ([`crate::protocol::KvProtocol::adopt`]) is translated into its
/// own settings object, every other setting dropped.
fn adopted(s: &mut Scenario, target: Protocol, changes: &mut Vec<Change>) {
    let who = display_name(target);
    let own = s.cluster.settings.contains_key(target.name());
    let adoption = if own {
        crate::protocol::Adoption::default()
    } else {
        crate::protocol::registry().get(target.name()).map(|r| r.adopt(s)).unwrap_or_default()
    };
    let carried: Vec<&str> = adoption.carried.iter().map(|(p, _)| p.as_str()).collect();
    let mut given: Vec<String> = Vec::new();
    if let Some(r) = s.cluster.raft.take() {
        given.extend(r.set().into_iter().map(|f| format!("cluster.raft.{f}")));
    }
    if let Some(p) = s.cluster.paxos.take() {
        given.extend(p.timing.set().into_iter().map(|f| format!("cluster.paxos.{f}")));
    }
    if s.cluster.quorum.take().is_some() {
        given.push("cluster.quorum".into());
    }
    for (path, why) in &adoption.carried {
        changes.push(change(
            path.clone(),
            ChangeKind::Translated,
            format!("carried over to cluster.{target}: {why}"),
        ));
    }
    for path in given.into_iter().filter(|p| !carried.contains(&p.as_str())) {
        let why = if own {
            format!("the scenario's own cluster.{target} settings are used instead")
        } else {
            format!("{who} does not take this setting")
        };
        changes.push(change(path, ChangeKind::Dropped, why));
    }
    if let Some(v) = adoption.settings {
        s.cluster.settings.insert(target.name().to_string(), v);
    }
}

/// `cluster.raft`, `cluster.paxos`, `cluster.quorum`.
fn settings(s: &mut Scenario, target: Protocol, changes: &mut Vec<Change>) {
    let who = display_name(target);
    if ![Protocol::RAFT, Protocol::PAXOS, Protocol::QUORUM].contains(&target) {
        adopted(s, target, changes);
    }
    if target != Protocol::RAFT
        && let Some(r) = s.cluster.raft.take()
    {
        if target == Protocol::PAXOS && s.cluster.paxos.is_none() {
            let knobs = r.timing.set();
            if !knobs.is_empty() {
                changes.push(change(
                    "cluster.raft",
                    ChangeKind::Translated,
                    format!(
                        "Raft's {} carried over to cluster.paxos: Multi-Paxos has the same knobs, and both \
                         leader-based protocols should run with the same timeouts",
                        knobs.join(", ")
                    ),
                ));
                s.cluster.paxos = Some(PaxosSpec { timing: r.timing.clone() });
            }
            let others = [
                ("pre_vote", r.pre_vote.is_some(), "Multi-Paxos here has no pre-vote phase"),
                ("read_mode", r.read_mode.is_some(), "Multi-Paxos serves every read through the log"),
                (
                    "initial_voters",
                    r.initial_voters.is_some(),
                    "Multi-Paxos has no membership changes: every server votes from the start",
                ),
            ];
            for (name, set, why) in others {
                if set {
                    changes.push(change(format!("cluster.raft.{name}"), ChangeKind::Dropped, why));
                }
            }
        } else {
            let why = if target == Protocol::PAXOS {
                "Raft settings; the scenario's own cluster.paxos settings are used instead".to_string()
            } else {
                format!("Raft settings (timeouts, elections, log); {who} has no leader, elections or log")
            };
            changes.push(change("cluster.raft", ChangeKind::Dropped, why));
        }
    }
    if target != Protocol::PAXOS
        && let Some(p) = s.cluster.paxos.take()
    {
        if target == Protocol::RAFT && s.cluster.raft.is_none() {
            s.cluster.raft = Some(RaftSpec { timing: p.timing, ..RaftSpec::default() });
            changes.push(change(
                "cluster.paxos",
                ChangeKind::Translated,
                "Multi-Paxos timing carried over to cluster.raft: Raft has the same knobs, and both \
                 leader-based protocols should run with the same timeouts",
            ));
        } else {
            let why = if target == Protocol::RAFT {
                "Multi-Paxos settings; the scenario's own cluster.raft settings are used instead".to_string()
            } else {
                format!(
                    "Multi-Paxos settings (timeouts, elections, log); {who} has no leader, elections or log"
                )
            };
            changes.push(change("cluster.paxos", ChangeKind::Dropped, why));
        }
    }
    // A registered protocol's own settings object is read by that protocol alone.
    let others: Vec<String> =
        s.cluster.settings.keys().filter(|k| k.as_str() != target.name()).cloned().collect();
    for k in others {
        s.cluster.settings.remove(&k);
        changes.push(change(
            format!("cluster.{k}"),
            ChangeKind::Dropped,
            format!("{k}'s own settings; {who} does not read them"),
        ));
    }
    if target != Protocol::QUORUM && s.cluster.quorum.take().is_some() {
        changes.push(change(
            "cluster.quorum",
            ChangeKind::Dropped,
            format!(
                "quorum-store settings (N, R, W, sloppy quorum); {who} replicates a log to a majority instead"
            ),
        ));
    }
}

/// Per-server Raft settings in `cluster.overrides`.
fn overrides(s: &mut Scenario, target: Protocol, changes: &mut Vec<Change>) {
    if target == Protocol::RAFT {
        return;
    }
    let who = display_name(target);
    let old = std::mem::take(&mut s.cluster.overrides);
    for (i, o) in old.into_iter().enumerate() {
        if o.raft.is_none() {
            s.cluster.overrides.push(o);
            continue;
        }
        let nodes: Vec<String> = o.nodes.iter().map(|n| n.to_string()).collect();
        let kept = NodeOverride { raft: None, ..o };
        if kept.clock.is_none() && kept.slowness.is_none() {
            changes.push(change(
                format!("cluster.overrides[{i}]"),
                ChangeKind::Dropped,
                format!(
                    "Raft settings for {} only (configuration drift); {who} has no per-server settings",
                    nodes.join(", ")
                ),
            ));
        } else {
            changes.push(change(
                format!("cluster.overrides[{i}].raft"),
                ChangeKind::Dropped,
                format!(
                    "Raft settings for {} only (configuration drift); {who} has no per-server settings (the \
                     override's clock and speed are kept)",
                    nodes.join(", ")
                ),
            ));
            s.cluster.overrides.push(kept);
        }
    }
}

/// Raft-only faults, and bugs deployed mid-run that the target does not have; returns the
/// original index of every fault kept.
fn faults(s: &mut Scenario, target: Protocol, changes: &mut Vec<Change>) -> Vec<usize> {
    let old = std::mem::take(&mut s.faults);
    let mut kept = Vec::with_capacity(old.len());
    let who = display_name(target);
    for (i, f) in old.into_iter().enumerate() {
        let why = match (&f.fault, target) {
            // A bug deployed mid-run is a bug of one protocol's code.
            (Fault::Bug { name, .. }, _) => {
                bugs::deployable(name, target).err().map(|why| format!("bug (deployed mid-run): {why}"))
            }
            _ if target.capabilities().operator => None,
            (Fault::AddServer { .. } | Fault::RemoveServer { .. }, _) => Some(format!(
                "{}: a Raft membership change; {who} has a fixed set of servers and ignores the command",
                f.fault.name()
            )),
            (Fault::Reconfigure { .. }, _) => Some(format!(
                "reconfigure: changes a server's Raft settings at runtime; {who} has no such settings"
            )),
            _ => None,
        };
        match why {
            Some(why) => changes.push(change(format!("faults[{i}]"), ChangeKind::Dropped, why)),
            None => {
                kept.push(i);
                s.faults.push(f);
            }
        }
    }
    kept
}

/// Named bugs that do not apply to the target.
fn named_bugs(s: &mut Scenario, target: Protocol, changes: &mut Vec<Change>) {
    let old = std::mem::take(&mut s.bugs);
    for (i, name) in old.into_iter().enumerate() {
        let applies =
            bugs::find(&name).is_none_or(|b| b.protocols.is_empty() || b.protocols.contains(&target));
        if applies {
            s.bugs.push(name);
        } else {
            changes.push(change(
                format!("bugs[{i}]"),
                ChangeKind::Dropped,
                format!(
                    "the bug \"{name}\" is in another protocol's code; {} has no such code",
                    display_name(target)
                ),
            ));
        }
    }
}

/// Rewrites `"leader"` and `"follower"` targets as `"random"`: validation refuses them for
/// a leaderless protocol, and a server chosen at random is what they come to there.
fn aim_at_random(s: &mut Scenario) {
    for f in &mut s.faults {
        for (_, t) in targets(&mut f.fault) {
            if let Target::Node(n) = t
                && needs_leader(n)
            {
                *n = NodeRef::Random;
            }
        }
    }
}

/// Notes for faults whose symbolic targets assume a leader.
fn leaderless_notes(original: &Scenario, changes: &mut Vec<Change>) {
    for (i, f) in original.faults.iter().enumerate() {
        let mut fault = f.fault.clone();
        let targets = targets(&mut fault);
        let node = targets.iter().any(|(_, t)| matches!(t, Target::Node(n) if needs_leader(n)));
        let group = targets.iter().any(|(_, t)| matches!(t, Target::Group(_)));
        let why = match (node, group) {
            (true, _) => {
                "aimed at the leader (or a follower); the quorum store has no leader, so it hits a server \
                          chosen at random"
            }
            (false, true) => {
                "the minority is chosen to strand the leader; the quorum store has no leader, so the \
                              groups are chosen at random"
            }
            _ => continue,
        };
        changes.push(change(format!("faults[{i}]"), ChangeKind::Note, why));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn scenario() -> Scenario {
        parse(
            r#"{
              "name": "mixed", "duration": "5s",
              "cluster": {
                "protocol": "raft", "nodes": 5,
                "raft": { "election_timeout": { "min": "300ms", "max": "600ms" }, "heartbeat": "75ms", "pre_vote": true },
                "overrides": [
                  { "nodes": ["n4"], "clock": { "offset": "-200ms", "drift": 0.1 } },
                  { "nodes": ["n2"], "raft": { "heartbeat": "10ms" } },
                  { "nodes": ["n3"], "raft": { "heartbeat": "10ms" }, "slowness": 2.0 }
                ]
              },
              "workload": { "type": "kv", "clients": 2 },
              "faults": [
                { "at": "1s", "for": "1s", "fault": "partition", "groups": ["minority"] },
                { "at": "2s", "fault": "remove_server", "node": "n5" },
                { "at": "3s", "for": "500ms", "fault": "crash", "node": "leader" }
              ],
              "bugs": ["forget_vote", "no_auth"]
            }"#,
        )
        .expect("valid")
    }

    fn paths(a: &Adapted, kind: ChangeKind) -> Vec<&str> {
        a.changes.iter().filter(|c| c.kind == kind).map(|c| c.path.as_str()).collect()
    }

    #[test]
    fn the_same_protocol_changes_nothing() {
        let a = adapt(&scenario(), Protocol::RAFT).unwrap();
        assert!(a.changes.is_empty());
        assert_eq!(a.kept_faults, [0, 1, 2]);
        assert_eq!(a.scenario.to_json_pretty(), scenario().to_json_pretty());
    }

    #[test]
    fn paxos_gets_raft_timing_and_loses_what_only_raft_has() {
        let a = adapt(&scenario(), Protocol::PAXOS).unwrap();
        assert_eq!(a.scenario.cluster.protocol, Protocol::PAXOS);
        assert!(a.scenario.cluster.raft.is_none());
        let p = a.scenario.cluster.paxos.as_ref().expect("translated");
        assert_eq!(p.timing.heartbeat.map(|h| h.0.as_nanos()), Some(75_000_000));
        assert_eq!(paths(&a, ChangeKind::Translated), ["cluster.raft"]);
        assert_eq!(
            paths(&a, ChangeKind::Dropped),
            [
                "cluster.raft.pre_vote",
                "cluster.overrides[1]",
                "cluster.overrides[2].raft",
                "faults[1]",
                "bugs[0]"
            ]
        );
        // The clock override and n3's slowness stay; the membership change goes.
        assert_eq!(a.scenario.cluster.overrides.len(), 2);
        assert_eq!(a.scenario.cluster.overrides[1].slowness, Some(2.0));
        assert_eq!(a.kept_faults, [0, 2]);
        assert_eq!(a.scenario.bugs, ["no_auth"]);
        assert!(paths(&a, ChangeKind::Note).is_empty());
    }

    #[test]
    fn the_quorum_store_is_told_it_has_no_leader() {
        let a = adapt(&scenario(), Protocol::QUORUM).unwrap();
        assert!(a.scenario.cluster.raft.is_none() && a.scenario.cluster.paxos.is_none());
        assert_eq!(paths(&a, ChangeKind::Note), ["faults[0]", "faults[2]"]);
        assert!(a.changes.iter().any(|c| c.path == "cluster.raft" && c.kind == ChangeKind::Dropped));
    }

    #[test]
    fn a_bug_deployed_mid_run_is_kept_only_for_the_protocol_that_has_it() {
        let mut s = scenario();
        let entry: crate::scenario::FaultEntry =
            serde_json::from_str(r#"{"at": "2s", "fault": "bug", "name": "stale_follower_reads"}"#)
                .expect("parses");
        s.faults.push(entry);
        assert_eq!(adapt(&s, Protocol::RAFT).unwrap().kept_faults, [0, 1, 2, 3]);
        let a = adapt(&s, Protocol::PAXOS).unwrap();
        assert!(!a.kept_faults.contains(&3));
        let c = a.changes.iter().find(|c| c.path == "faults[3]").expect("said");
        assert_eq!(c.kind, ChangeKind::Dropped);
        assert!(c.why.contains("is a bug of raft"), "{}", c.why);
    }

    #[test]
    fn an_adapted_scenario_survives_a_round_trip_through_json() {
        for p in [Protocol::RAFT, Protocol::PAXOS, Protocol::QUORUM] {
            let a = adapt(&scenario(), p).unwrap();
            let back = parse(&a.scenario.to_json_pretty()).expect("re-parses");
            assert_eq!(back.to_json_pretty(), a.scenario.to_json_pretty());
        }
    }

    #[test]
    fn gossip_cannot_be_compared() {
        let g = parse(
            r#"{ "name": "g", "duration": "1s", "cluster": { "protocol": "gossip", "nodes": 3 },
                 "workload": { "type": "broadcast", "values": 1, "interval": "10ms" } }"#,
        )
        .unwrap();
        assert!(matches!(adapt(&g, Protocol::RAFT), Err(AdaptError::NotKeyValue { .. })));
        assert_eq!(adapt(&scenario(), Protocol::GOSSIP).unwrap_err(), AdaptError::NotComparable("gossip"));
    }
}
