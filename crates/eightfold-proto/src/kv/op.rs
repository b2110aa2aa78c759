//! Key-value operations, their results, and the client protocol every replicated store
//! (Raft, Multi-Paxos, the quorum store) speaks.

use super::super::wire::{Reader, Writer};
use eightfold_sim::sim::{Contents, NodeId};

/// A key: a small number, printed `k3`.
pub type Key = u32;

/// A key as histories, reports and message contents write it: `k1` for key 0.
pub fn key_name(key: Key) -> String {
    use std::fmt::Write as _;
    // Sized up front: this runs once per recorded operation.
    let mut name = String::with_capacity(11);
    name.push('k');
    write!(name, "{}", key + 1).expect("writing to a String cannot fail");
    name
}

/// An operation on the key-value store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvOp {
    /// Read a key.
    Get {
        /// The key.
        key: Key,
    },
    /// Overwrite a key.
    Put {
        /// The key.
        key: Key,
        /// The new value.
        value: String,
    },
    /// Append to a key's value (an absent key counts as empty).
    Append {
        /// The key.
        key: Key,
        /// The suffix.
        value: String,
    },
    /// Set a key to `new` only if it currently holds `expected` (`None` = absent).
    Cas {
        /// The key.
        key: Key,
        /// The value required.
        expected: Option<String>,
        /// The value written if it matches.
        new: String,
    },
}

impl KvOp {
    /// The key the operation touches.
    pub fn key(&self) -> Key {
        match self {
            KvOp::Get { key } | KvOp::Put { key, .. } | KvOp::Append { key, .. } | KvOp::Cas { key, .. } => {
                *key
            }
        }
    }

    /// True for operations that change nothing.
    pub fn is_read(&self) -> bool {
        matches!(self, KvOp::Get { .. })
    }

    /// The operation's name (`get`, `put`, `append`, `cas`).
    pub fn name(&self) -> &'static str {
        match self {
            KvOp::Get { .. } => "get",
            KvOp::Put { .. } => "put",
            KvOp::Append { .. } => "append",
            KvOp::Cas { .. } => "cas",
        }
    }

    /// Bytes the operation occupies on the wire.
    pub fn wire_size(&self) -> u32 {
        8 + match self {
            KvOp::Get { .. } => 0,
            KvOp::Put { value, .. } | KvOp::Append { value, .. } => 4 + value.len() as u32,
            KvOp::Cas { expected, new, .. } => {
                9 + expected.as_ref().map_or(0, |e| e.len() as u32) + new.len() as u32
            }
        }
    }

    /// Appends the stable encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        match self {
            KvOp::Get { key } => w.u8(1).u32(*key),
            KvOp::Put { key, value } => w.u8(2).u32(*key).bytes(value.as_bytes()),
            KvOp::Append { key, value } => w.u8(3).u32(*key).bytes(value.as_bytes()),
            KvOp::Cas { key, expected, new } => {
                w.u8(4).u32(*key);
                match expected {
                    Some(e) => w.u8(1).bytes(e.as_bytes()),
                    None => w.u8(0),
                };
                w.bytes(new.as_bytes())
            }
        };
    }

    /// Decodes an operation.
    pub fn decode(r: &mut Reader<'_>) -> Option<KvOp> {
        Some(match r.u8()? {
            1 => KvOp::Get { key: r.u32()? },
            2 => KvOp::Put { key: r.u32()?, value: string(r)? },
            3 => KvOp::Append { key: r.u32()?, value: string(r)? },
            4 => {
                let key = r.u32()?;
                let expected = match r.u8()? {
                    0 => None,
                    1 => Some(string(r)?),
                    _ => return None,
                };
                KvOp::Cas { key, expected, new: string(r)? }
            }
            _ => return None,
        })
    }
}

/// Reads a length-prefixed UTF-8 string.
pub fn string(r: &mut Reader<'_>) -> Option<String> {
    String::from_utf8(r.bytes()?).ok()
}

/// The result of an applied operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvResult {
    /// A get's value (`None`: the key is absent).
    Value(Option<String>),
    /// A put or append took effect.
    Done,
    /// A cas: whether it matched and was applied.
    Cas {
        /// True if the value matched and was replaced.
        applied: bool,
    },
}

impl KvResult {
    /// Appends the stable encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        match self {
            KvResult::Value(None) => w.u8(1),
            KvResult::Value(Some(v)) => w.u8(2).bytes(v.as_bytes()),
            KvResult::Done => w.u8(3),
            KvResult::Cas { applied } => w.u8(4).bool(*applied),
        };
    }

    /// Decodes a result.
    pub fn decode(r: &mut Reader<'_>) -> Option<KvResult> {
        Some(match r.u8()? {
            1 => KvResult::Value(None),
            2 => KvResult::Value(Some(string(r)?)),
            3 => KvResult::Done,
            4 => KvResult::Cas { applied: r.bool()? },
            _ => return None,
        })
    }

    /// Bytes the result occupies on the wire.
    pub fn wire_size(&self) -> u32 {
        match self {
            KvResult::Value(Some(v)) => 5 + v.len() as u32,
            _ => 2,
        }
    }
}

/// A client's sequence number for one operation (from 1). Retries of the operation reuse
/// it; the store's sessions compare them to apply each operation at most once.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientSeq(pub u64);

impl std::fmt::Display for ClientSeq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A client's request: operation `op`, the `seq`-th of client `client`. Retries of the same
/// operation reuse the sequence number, so the store applies it at most once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRequest {
    /// The client's number.
    pub client: u32,
    /// The client's sequence number for this operation (from 1).
    pub seq: ClientSeq,
    /// The operation.
    pub op: KvOp,
}

impl ClientRequest {
    /// The request's contents for people to read: which of its client's operations it is,
    /// and the operation with its key and value.
    pub fn contents(&self, out: &mut Contents) {
        // The sender (the client) is named by the report beside the contents.
        out.num("seq", self.seq.0).text("op", self.op.name());
        out.text("key", key_name(self.op.key()));
        match &self.op {
            KvOp::Get { .. } => {}
            KvOp::Put { value, .. } | KvOp::Append { value, .. } => {
                out.text("value", value);
            }
            KvOp::Cas { expected, new, .. } => {
                out.text("expected", expected.as_deref().unwrap_or("(absent)")).text("new", new);
            }
        }
    }

    /// Appends the stable encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.u32(self.client).u64(self.seq.0);
        self.op.encode(w);
    }

    /// Decodes a request.
    pub fn decode(r: &mut Reader<'_>) -> Option<ClientRequest> {
        Some(ClientRequest { client: r.u32()?, seq: ClientSeq(r.u64()?), op: KvOp::decode(r)? })
    }

    /// Bytes on the wire.
    pub fn wire_size(&self) -> u32 {
        12 + self.op.wire_size()
    }

    /// The request as a standalone byte string (a log entry's command).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.wire_size() as usize);
        self.encode(&mut Writer::new(&mut v));
        v
    }

    /// Parses a log entry's command.
    pub fn from_bytes(b: &[u8]) -> Option<ClientRequest> {
        let mut r = Reader::new(b);
        let c = ClientRequest::decode(&mut r)?;
        r.finish(c)
    }
}

/// A server's answer to a client request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientReply {
    /// The operation was applied (or, for reads, served linearizably) with this result.
    Ok {
        /// The request's sequence number.
        seq: ClientSeq,
        /// The result.
        result: KvResult,
    },
    /// This server cannot serve the request; try `leader` if known. The operation was *not*
    /// accepted by this server (it is definitely not applied through it).
    NotLeader {
        /// The request's sequence number.
        seq: ClientSeq,
        /// The leader, if this server knows one.
        leader: Option<NodeId>,
    },
    /// The server accepted the request but could not finish it (it lost leadership, say);
    /// the operation may or may not take effect.
    Unknown {
        /// The request's sequence number.
        seq: ClientSeq,
    },
}

impl ClientReply {
    /// The reply's contents for people to read: which request it answers and how.
    pub fn contents(&self, out: &mut Contents) {
        out.num("seq", self.seq().0);
        match self {
            ClientReply::Ok { result, .. } => {
                out.text("outcome", "ok");
                match result {
                    KvResult::Value(v) => out.text("value", v.as_deref().unwrap_or("(absent)")),
                    KvResult::Done => out.text("result", "done"),
                    KvResult::Cas { applied } => out.flag("applied", *applied),
                };
            }
            ClientReply::NotLeader { leader, .. } => {
                out.text("outcome", "not the leader");
                if let Some(l) = leader {
                    out.node("leader hint", *l);
                }
            }
            ClientReply::Unknown { .. } => {
                out.text("outcome", "unknown (may or may not take effect)");
            }
        }
    }

    /// The sequence number the reply answers.
    pub fn seq(&self) -> ClientSeq {
        match self {
            ClientReply::Ok { seq, .. }
            | ClientReply::NotLeader { seq, .. }
            | ClientReply::Unknown { seq } => *seq,
        }
    }

    /// Appends the stable encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        match self {
            ClientReply::Ok { seq, result } => {
                w.u8(1).u64(seq.0);
                result.encode(w);
            }
            ClientReply::NotLeader { seq, leader } => {
                w.u8(2).u64(seq.0).u32(leader.map_or(u32::MAX, |l| l.0));
            }
            ClientReply::Unknown { seq } => {
                w.u8(3).u64(seq.0);
            }
        }
    }

    /// Decodes a reply.
    pub fn decode(r: &mut Reader<'_>) -> Option<ClientReply> {
        Some(match r.u8()? {
            1 => ClientReply::Ok { seq: ClientSeq(r.u64()?), result: KvResult::decode(r)? },
            2 => {
                let seq = ClientSeq(r.u64()?);
                let l = r.u32()?;
                ClientReply::NotLeader { seq, leader: if l == u32::MAX { None } else { Some(NodeId(l)) } }
            }
            3 => ClientReply::Unknown { seq: ClientSeq(r.u64()?) },
            _ => return None,
        })
    }

    /// Bytes on the wire.
    pub fn wire_size(&self) -> u32 {
        match self {
            ClientReply::Ok { result, .. } => 9 + result.wire_size(),
            _ => 13,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_round_trip() {
        let ops = [
            KvOp::Get { key: 3 },
            KvOp::Put { key: 1, value: "x".into() },
            KvOp::Append { key: 2, value: "yz".into() },
            KvOp::Cas { key: 4, expected: None, new: "n".into() },
            KvOp::Cas { key: 4, expected: Some("o".into()), new: "n".into() },
        ];
        for op in ops {
            let req = ClientRequest { client: 7, seq: ClientSeq(9), op };
            assert_eq!(ClientRequest::from_bytes(&req.to_bytes()), Some(req.clone()));
        }
        for rep in [
            ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Value(Some("v".into())) },
            ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Cas { applied: true } },
            ClientReply::NotLeader { seq: ClientSeq(2), leader: Some(NodeId(3)) },
            ClientReply::NotLeader { seq: ClientSeq(2), leader: None },
            ClientReply::Unknown { seq: ClientSeq(5) },
        ] {
            let mut b = Vec::new();
            rep.encode(&mut Writer::new(&mut b));
            let mut r = Reader::new(&b);
            assert_eq!(ClientReply::decode(&mut r), Some(rep));
        }
    }

    #[test]
    fn contents_name_keys_as_histories_do_and_leave_node_names_to_the_report() {
        let mut c = Contents::default();
        let req = ClientRequest { client: 0, seq: ClientSeq(4), op: KvOp::Put { key: 0, value: "v".into() } };
        req.contents(&mut c);
        assert_eq!(
            c.get("key"),
            Some(&eightfold_sim::sim::FieldValue::Text("k1".into())),
            "key 0 is k1, as in history.json"
        );
        assert_eq!(c.get("client"), None, "the sender is named by the report, not by the message");
        let mut c = Contents::default();
        ClientReply::NotLeader { seq: ClientSeq(4), leader: Some(NodeId(2)) }.contents(&mut c);
        assert_eq!(c.get("leader hint"), Some(&eightfold_sim::sim::FieldValue::Node { node: 2 }));
    }
}
