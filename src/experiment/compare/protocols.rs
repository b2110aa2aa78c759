//! The `--protocols` list: which key-value protocols a comparison runs, in the order the
//! table and charts show them.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::scenario::Protocol;

/// The protocols a comparison can run, in their default order: every registered protocol
/// that serves the key-value workload ([`crate::protocol::Capabilities::key_value`]), in
/// registration order (the shipped `raft`, `paxos`, `quorum`, then the user's).
pub fn comparable() -> Vec<Protocol> {
    crate::protocol::registry()
        .names()
        .into_iter()
        .filter_map(Protocol::named)
        .filter(|p| p.capabilities().key_value)
        .collect()
}

/// The comparable protocol with this scenario name (`"raft"`).
pub fn protocol_of(name: &str) -> Option<Protocol> {
    comparable().into_iter().find(|p| p.name() == name)
}

/// The comparable protocols' names, for an error message: `raft, paxos or quorum`.
fn expected() -> String {
    let names: Vec<&str> = comparable().iter().map(|p| p.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.to_string(),
        None => "none is registered".to_string(),
    }
}

/// Why a `--protocols` list could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProtocolsError {
    /// Nothing listed.
    #[error("--protocols: expected a comma-separated list such as \"raft,paxos,quorum\", found nothing")]
    Empty,
    /// A name that is not a protocol.
    #[error("--protocols: unknown protocol {0:?}; expected {expected}", expected = expected())]
    Unknown(String),
    /// A protocol that does not serve the key-value workload (gossip runs a broadcast one).
    #[error(
        "--protocols: {0} cannot be compared with the key-value protocols; expected {expected}",
        expected = expected()
    )]
    NotKeyValue(&'static str),
    /// The same protocol twice.
    #[error("--protocols: {0} is listed twice")]
    Duplicate(&'static str),
}

/// A non-empty list of distinct key-value protocols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolList(pub Vec<Protocol>);

impl Default for ProtocolList {
    fn default() -> Self {
        ProtocolList(comparable())
    }
}

impl FromStr for ProtocolList {
    type Err = ProtocolsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out: Vec<Protocol> = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let lower = name.to_ascii_lowercase();
            let lower = if lower == "multi-paxos" { "paxos".to_string() } else { lower };
            let p = match Protocol::named(&lower) {
                Some(p) if p.capabilities().key_value => p,
                Some(p) => return Err(ProtocolsError::NotKeyValue(p.name())),
                None => return Err(ProtocolsError::Unknown(name.to_string())),
            };
            if out.contains(&p) {
                return Err(ProtocolsError::Duplicate(p.name()));
            }
            out.push(p);
        }
        if out.is_empty() {
            return Err(ProtocolsError::Empty);
        }
        Ok(ProtocolList(out))
    }
}

impl fmt::Display for ProtocolList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|p| p.name()).collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_order_and_refuse_nonsense() {
        assert_eq!("quorum, raft".parse(), Ok(ProtocolList(vec![Protocol::QUORUM, Protocol::RAFT])));
        assert_eq!("raft,paxos,quorum".parse::<ProtocolList>().unwrap(), ProtocolList::default());
        assert_eq!("".parse::<ProtocolList>(), Err(ProtocolsError::Empty));
        assert_eq!(" , ".parse::<ProtocolList>(), Err(ProtocolsError::Empty));
        assert_eq!("raft,zab".parse::<ProtocolList>(), Err(ProtocolsError::Unknown("zab".into())));
        assert_eq!("raft,raft".parse::<ProtocolList>(), Err(ProtocolsError::Duplicate("raft")));
        assert_eq!("gossip".parse::<ProtocolList>(), Err(ProtocolsError::NotKeyValue("gossip")));
        assert!(
            ProtocolsError::Unknown("zab".into()).to_string().ends_with("expected raft, paxos or quorum"),
            "{}",
            ProtocolsError::Unknown("zab".into())
        );
        assert!(ProtocolsError::Unknown("zab".into()).to_string().starts_with("--protocols: "));
        assert_eq!(ProtocolList::default().to_string(), "raft,paxos,quorum");
    }
}
