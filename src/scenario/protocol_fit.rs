//! Faults and node references that only make sense for some protocols.
//!
//! Raft is the only protocol with membership changes and runtime reconfiguration, so
//! `add_server`, `remove_server` and `reconfigure` are refused for the others (they would
//! otherwise be silently ignored). Raft and Multi-Paxos elect a leader; the quorum store
//! and gossip have none, so `"leader"` and `"follower"` would quietly fall back to a random
//! server there — they are refused too, in favour of `"random"` or a named server.
//! (Raft settings under `cluster.raft` and `cluster.overrides[].raft` are checked with the
//! rest of the cluster.)

use super::error::ScenarioError;
use super::model::{Fault, Protocol, Scenario};
use super::nodes::{GroupRef, NodeRef};

/// Checks that every fault fits the scenario's protocol.
pub fn validate(s: &Scenario) -> Result<(), ScenarioError> {
    let protocol = s.cluster.protocol;
    for (i, f) in s.faults.iter().enumerate() {
        let path = format!("faults[{i}]");
        raft_only(&f.fault, protocol, &path)?;
        if !has_leader(protocol) {
            let mut fault = f.fault.clone();
            for (field, t) in targets(&mut fault) {
                if let Target::Node(r) = t
                    && needs_leader(r)
                {
                    return Err(ScenarioError::at(
                        format!("{path}.{field}"),
                        format!(
                            "\"{r}\" needs a leader, but \"{}\" is leaderless; name a server like \"n1\" or use \"random\"",
                            protocol.name()
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// True for the protocols that declare a leader (what `"leader"` and `"follower"` resolve
/// against): [`crate::protocol::Capabilities::leader`].
pub fn has_leader(p: Protocol) -> bool {
    p.capabilities().leader
}

/// Refuses membership changes and runtime reconfiguration for protocols that do not declare
/// they take an operator's commands ([`crate::protocol::Capabilities::operator`]).
fn raft_only(f: &Fault, protocol: Protocol, path: &str) -> Result<(), ScenarioError> {
    if protocol.capabilities().operator {
        return Ok(());
    }
    let what = match f {
        Fault::AddServer { .. } | Fault::RemoveServer { .. } => "a Raft membership change",
        Fault::Reconfigure { .. } => "a runtime change of Raft settings",
        _ => return Ok(()),
    };
    Err(ScenarioError::at(
        format!("{path}.fault"),
        format!(
            "\"{}\" is {what}, which \"{}\" does not have (it runs on a fixed set of servers with fixed settings)",
            f.name(),
            protocol.name()
        ),
    ))
}

/// True for `"leader"` and `"follower"`, the references that resolve against a leader.
pub fn needs_leader(r: &NodeRef) -> bool {
    matches!(r, NodeRef::Leader | NodeRef::Follower)
}

/// A place in a fault that names nodes.
#[derive(Debug)]
pub enum Target<'a> {
    /// One node: a fault's `node`, or one member of an explicit list of nodes.
    Node(&'a mut NodeRef),
    /// A symbolic group: `"minority"` or `"majority"`.
    Group(&'a mut GroupRef),
}

/// Every node reference and symbolic group a fault makes, with the field it sits in
/// (relative to the fault); an explicit list of nodes comes node by node, under its field.
pub fn targets(f: &mut Fault) -> Vec<(String, Target<'_>)> {
    fn group<'a>(out: &mut Vec<(String, Target<'a>)>, field: String, g: &'a mut GroupRef) {
        match g {
            GroupRef::Nodes(nodes) => out.extend(nodes.iter_mut().map(|n| (field.clone(), Target::Node(n)))),
            symbolic => out.push((field, Target::Group(symbolic))),
        }
    }
    let mut out = Vec::new();
    match f {
        Fault::Partition { groups } => {
            for (k, g) in groups.iter_mut().enumerate() {
                group(&mut out, format!("groups[{k}]"), g);
            }
        }
        Fault::PartitionOneway { from, to }
        | Fault::LinkDown { from, to, .. }
        | Fault::LinkUp { from, to, .. }
        | Fault::Degrade { from, to, .. } => {
            group(&mut out, "from".into(), from);
            group(&mut out, "to".into(), to);
        }
        Fault::LatencySpike { node, from, to, .. } => {
            if let Some(g) = from {
                group(&mut out, "from".into(), g);
            }
            if let Some(g) = to {
                group(&mut out, "to".into(), g);
            }
            out.extend(node.as_mut().map(|n| ("node".to_string(), Target::Node(n))));
        }
        Fault::Bridge { node } => out.extend(node.as_mut().map(|n| ("node".to_string(), Target::Node(n)))),
        Fault::Bug { nodes, .. } => {
            if let Some(g) = nodes {
                group(&mut out, "nodes".into(), g);
            }
        }
        Fault::Isolate { node }
        | Fault::Crash { node }
        | Fault::Restart { node }
        | Fault::Pause { node }
        | Fault::Resume { node }
        | Fault::Clock { node, .. }
        | Fault::Reconfigure { node, .. }
        | Fault::AddServer { node }
        | Fault::RemoveServer { node }
        | Fault::SlowNode { node, .. }
        | Fault::SlowDisk { node, .. }
        | Fault::CorruptDisk { node }
        | Fault::FailFsync { node, .. } => out.push(("node".to_string(), Target::Node(node))),
        Fault::Heal {}
        | Fault::Ring {}
        | Fault::RollingRestart { .. }
        | Fault::Replay { .. }
        | Fault::Forge { .. } => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse;

    fn with(protocol: &str, fault: &str) -> Result<crate::scenario::Scenario, String> {
        parse(&format!(
            r#"{{ "name": "t", "duration": "2s", "cluster": {{ "protocol": "{protocol}", "nodes": 3 }},
                 "workload": {{ "type": "kv", "clients": 1 }}, "faults": [{fault}] }}"#
        ))
        .map_err(|e| e.to_string())
    }

    #[test]
    fn raft_only_faults_are_refused_elsewhere() {
        for fault in [
            // (n3 votes from the start: Raft can add it back only once it is removed.)
            r#"{"at": "1s", "fault": "add_server", "node": "n3"}, {"at": "0.5s", "fault": "remove_server", "node": "n3"}"#,
            r#"{"at": "1s", "fault": "remove_server", "node": "n3"}"#,
            r#"{"at": "1s", "fault": "reconfigure", "node": "n1", "raft": {"heartbeat": "10ms"}}"#,
        ] {
            assert!(with("raft", fault).is_ok(), "{fault}");
            for p in ["paxos", "quorum"] {
                let e = with(p, fault).expect_err(fault);
                assert!(e.starts_with("faults[0].fault: "), "{e}");
                assert!(e.contains(&format!("\"{p}\" does not have")), "{e}");
            }
        }
    }

    #[test]
    fn leader_references_need_a_protocol_with_a_leader() {
        let faults = [
            (r#"{"at": "1s", "fault": "crash", "node": "leader"}"#, "faults[0].node"),
            (r#"{"at": "1s", "fault": "isolate", "node": "follower"}"#, "faults[0].node"),
            (r#"{"at": "1s", "fault": "partition", "groups": [["n1"], ["leader"]]}"#, "faults[0].groups[1]"),
            (r#"{"at": "1s", "fault": "link_down", "from": "n1", "to": ["leader"]}"#, "faults[0].to"),
            (r#"{"at": "1s", "fault": "latency_spike", "node": "leader", "factor": 3}"#, "faults[0].node"),
            (r#"{"at": "1s", "fault": "bridge", "node": "leader"}"#, "faults[0].node"),
        ];
        for (fault, path) in faults {
            assert!(with("raft", fault).is_ok(), "{fault}");
            assert!(with("paxos", fault).is_ok(), "{fault}");
            let e = with("quorum", fault).expect_err(fault);
            assert!(e.starts_with(&format!("{path}: ")), "{e}");
            assert!(e.contains("\"quorum\" is leaderless"), "{e}");
        }
        // Random targets and symbolic groups stay fine: they need no leader.
        assert!(with("quorum", r#"{"at": "1s", "fault": "crash", "node": "random"}"#).is_ok());
        assert!(with("quorum", r#"{"at": "1s", "fault": "partition", "groups": ["minority"]}"#).is_ok());
    }
}
