//! Raft's log: the shared replicated log ([`crate::replica::log`]) holding Raft's own
//! payload, which adds membership configurations (dissertation §4.1) to the no-ops and
//! client commands every replicated log carries.
//!
//! Log Matching (§5.3): if two logs hold an entry with the same index and term, they are
//! identical up to it; the shared log's chain hashes let checkers verify it by comparing
//! two numbers. Only Raft's log can hold a configuration: Multi-Paxos's log holds the
//! shared [`crate::replica::Payload`], whose decoder refuses the configuration tag.

use std::sync::Arc;

use crate::replica::log::{self as replica_log, ReplicaLog};
pub use crate::replica::log::{LogBase, LogPayload, MIN_ENTRY_BYTES, Payload};
use crate::wire::{Reader, Writer};
use eightfold_sim::sim::NodeId;
use eightfold_sim::sim::digest::Digest;

/// One entry of Raft's log.
pub type Entry = replica_log::Entry<RaftPayload>;

/// Raft's log: the entries after the snapshot, with their prefix hashes.
pub type RaftLog = ReplicaLog<RaftPayload>;

/// What a Raft log entry carries: the shared no-op and client command (same tags, same
/// bytes, same hashes as [`Payload`]), or a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftPayload {
    /// Nothing: the entry a new leader appends to commit entries of earlier terms (§5.4.2,
    /// §8).
    Noop,
    /// A client command: the bytes of a [`crate::kv::ClientRequest`].
    Command(Arc<[u8]>),
    /// A new cluster configuration: the voting members after a single-server change
    /// (dissertation §4.1), sorted.
    Config(Arc<[NodeId]>),
}

impl RaftPayload {
    /// The tag of [`RaftPayload::Config`] (the first one above the shared tags).
    pub const CONFIG_TAG: u8 = 2;
}

impl From<Payload> for RaftPayload {
    fn from(p: Payload) -> Self {
        match p {
            Payload::Noop => RaftPayload::Noop,
            Payload::Command(b) => RaftPayload::Command(b),
        }
    }
}

impl LogPayload for RaftPayload {
    fn tag(&self) -> u8 {
        match self {
            RaftPayload::Noop => Payload::NOOP_TAG,
            RaftPayload::Command(_) => Payload::COMMAND_TAG,
            RaftPayload::Config(_) => Self::CONFIG_TAG,
        }
    }

    fn body_len(&self) -> u32 {
        match self {
            RaftPayload::Noop => 0,
            RaftPayload::Command(b) => Payload::command_len(b),
            RaftPayload::Config(v) => 4 + 4 * v.len() as u32,
        }
    }

    fn encode_body(&self, w: &mut Writer<'_>) {
        match self {
            RaftPayload::Noop => {}
            RaftPayload::Command(b) => {
                w.bytes(b);
            }
            RaftPayload::Config(v) => encode_nodes(w, v),
        }
    }

    fn decode_body(tag: u8, r: &mut Reader<'_>) -> Option<RaftPayload> {
        match tag {
            Self::CONFIG_TAG => Some(RaftPayload::Config(decode_nodes(r)?)),
            shared => Payload::decode_body(shared, r).map(RaftPayload::from),
        }
    }

    fn fold_body(&self, d: &mut Digest) {
        match self {
            RaftPayload::Noop => {}
            RaftPayload::Command(b) => d.bytes(b),
            RaftPayload::Config(v) => {
                for n in v.iter() {
                    d.word(n.0 as u64);
                }
            }
        }
    }
}

/// Writes a list of node ids.
pub fn encode_nodes(w: &mut Writer<'_>, nodes: &[NodeId]) {
    w.u32(nodes.len() as u32);
    for n in nodes {
        w.u32(n.0);
    }
}

/// Reads a list of node ids written by [`encode_nodes`]; refuses counts the input cannot
/// hold and unsorted or repeated ids.
pub fn decode_nodes(r: &mut Reader<'_>) -> Option<Arc<[NodeId]>> {
    let n = r.u32()? as usize;
    if n > 4096 {
        return None;
    }
    let mut v = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        let id = NodeId(r.u32()?);
        if v.last().is_some_and(|&last| last >= id) {
            return None;
        }
        v.push(id);
    }
    Some(v.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use eightfold_sim::sim::Term;

    fn encoded<P: LogPayload>(p: &P) -> Vec<u8> {
        let mut out = Vec::new();
        p.encode(&mut Writer::new(&mut out));
        out
    }

    #[test]
    fn shared_variants_encode_and_hash_as_the_shared_payload() {
        let cmd: Arc<[u8]> = vec![1u8, 2, 3].into();
        for (raft, shared) in [
            (RaftPayload::Noop, Payload::Noop),
            (RaftPayload::Command(cmd.clone()), Payload::Command(cmd.clone())),
        ] {
            assert_eq!(encoded(&raft), encoded(&shared));
            assert_eq!(raft.encoded_len(), shared.encoded_len());
            assert_eq!(raft.hash(), shared.hash());
            let e = Entry { term: Term(3), payload: raft.clone() };
            let s = replica_log::Entry { term: Term(3), payload: shared.clone() };
            assert_eq!(e.chain(7), s.chain(7), "same chain hash in either log");
            let bytes = encoded(&shared);
            assert_eq!(RaftPayload::decode(&mut Reader::new(&bytes)), Some(raft));
        }
    }

    #[test]
    fn a_configuration_round_trips_in_raft_and_is_refused_by_the_shared_payload() {
        let cfg = RaftPayload::Config(vec![NodeId(1), NodeId(4)].into());
        let bytes = encoded(&cfg);
        assert_eq!(bytes.len() as u32, cfg.encoded_len());
        assert_eq!(bytes[0], RaftPayload::CONFIG_TAG);
        assert_eq!(RaftPayload::decode(&mut Reader::new(&bytes)), Some(cfg));
        assert_eq!(Payload::decode(&mut Reader::new(&bytes)), None, "not a value of Paxos's log");
    }
}
