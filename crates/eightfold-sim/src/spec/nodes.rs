//! References to nodes in scenario files: concrete (`"n3"`, `"c1"`) or symbolic
//! (`"leader"`, `"random"`), and groups of nodes (`["n1","n2"]`, `"minority"`).
//!
//! Symbolic references are resolved when the fault fires, from the cluster's state at that
//! instant and the run's `"faults"` random stream, so they stay deterministic.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A reference to one node.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum NodeRef {
    /// Server number `i` (zero-based; written `"n1"` for i = 0).
    Server(u32),
    /// Client number `i` (zero-based; written `"c1"` for i = 0).
    Client(u32),
    /// Whichever server is leader when the fault fires (the one with the highest term).
    Leader,
    /// A server chosen at random (from the faults stream) when the fault fires.
    Random,
    /// A server that is not the leader, chosen at random when the fault fires.
    Follower,
}

impl NodeRef {
    /// Parses `"n3"`, `"c1"`, `"leader"`, `"random"`, `"follower"`.
    pub fn parse(s: &str) -> Result<NodeRef, String> {
        let numbered = |rest: &str| -> Option<u32> {
            let n: u32 = rest.parse().ok()?;
            if n == 0 { None } else { Some(n - 1) }
        };
        match s {
            "leader" => Ok(NodeRef::Leader),
            "random" => Ok(NodeRef::Random),
            "follower" => Ok(NodeRef::Follower),
            _ => {
                if let Some(i) = s.strip_prefix('n').and_then(numbered) {
                    Ok(NodeRef::Server(i))
                } else if let Some(i) = s.strip_prefix('c').and_then(numbered) {
                    Ok(NodeRef::Client(i))
                } else {
                    Err(format!(
                        "expected a node like \"n1\", \"c1\", \"leader\", \"follower\" or \"random\", found \"{s}\""
                    ))
                }
            }
        }
    }
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Server(i) => write!(f, "n{}", i + 1),
            NodeRef::Client(i) => write!(f, "c{}", i + 1),
            NodeRef::Leader => f.write_str("leader"),
            NodeRef::Random => f.write_str("random"),
            NodeRef::Follower => f.write_str("follower"),
        }
    }
}

impl<'de> Deserialize<'de> for NodeRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NodeRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node like \"n1\" or \"leader\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<NodeRef, E> {
                NodeRef::parse(s).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<NodeRef, E> {
                if n == 0 || n > u32::MAX as u64 {
                    Err(E::custom(format!("expected a node number from 1, found {n}")))
                } else {
                    Ok(NodeRef::Server(n as u32 - 1))
                }
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<NodeRef, E> {
                Err(E::custom(format!("expected a node number from 1, found {n}")))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for NodeRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A group of nodes: an explicit list or a symbolic part of the servers.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum GroupRef {
    /// These nodes.
    Nodes(Vec<NodeRef>),
    /// A random minority of the servers (⌊(n−1)/2⌋ of them) chosen when the fault fires.
    Minority,
    /// A random majority of the servers, chosen when the fault fires.
    Majority,
}

impl<'de> Deserialize<'de> for GroupRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use de::Error;
        let v = serde_json::Value::deserialize(d)?;
        match &v {
            serde_json::Value::String(s) => match s.as_str() {
                "minority" => Ok(GroupRef::Minority),
                "majority" => Ok(GroupRef::Majority),
                _ => NodeRef::parse(s).map(|n| GroupRef::Nodes(vec![n])).map_err(|_| {
                    D::Error::custom(format!(
                        "expected a list of nodes, \"minority\" or \"majority\", found \"{s}\""
                    ))
                }),
            },
            serde_json::Value::Array(items) => {
                let mut nodes = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let n = NodeRef::deserialize(item)
                        .map_err(|e| super::json::fail_at::<D::Error>(&format!("[{i}]"), e))?;
                    nodes.push(n);
                }
                Ok(GroupRef::Nodes(nodes))
            }
            other => Err(D::Error::custom(format!(
                "expected a list of nodes, \"minority\" or \"majority\", found {other}"
            ))),
        }
    }
}

impl Serialize for GroupRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            GroupRef::Nodes(v) => v.serialize(s),
            GroupRef::Minority => s.serialize_str("minority"),
            GroupRef::Majority => s.serialize_str("majority"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_concrete_and_symbolic_references() {
        assert_eq!(NodeRef::parse("n1"), Ok(NodeRef::Server(0)));
        assert_eq!(NodeRef::parse("c12"), Ok(NodeRef::Client(11)));
        assert_eq!(NodeRef::parse("leader"), Ok(NodeRef::Leader));
        assert!(NodeRef::parse("n0").is_err());
        assert!(NodeRef::parse("node1").is_err());
        let g: GroupRef = serde_json::from_str(r#"["n1", 2]"#).unwrap();
        assert_eq!(g, GroupRef::Nodes(vec![NodeRef::Server(0), NodeRef::Server(1)]));
        let g: GroupRef = serde_json::from_str(r#""minority""#).unwrap();
        assert_eq!(g, GroupRef::Minority);
    }
}
