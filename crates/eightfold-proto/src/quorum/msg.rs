//! The messages quorum-store servers exchange, their honest wire sizes and their stable
//! encoding. Decoding is total: bad bytes give `None`, never a panic or an unbounded
//! allocation.

use std::fmt;

use crate::kv::Key;
use crate::kv::op::key_name;
use crate::kv::op::string;
use crate::wire::HEADER;
use crate::wire::{Reader, Writer};
use eightfold_sim::sim::{Contents, Message, NodeId};

/// A value's version: the coordinator's clock reading when it wrote the value (made
/// strictly increasing per coordinator) and the coordinator, ordered lexicographically.
/// Last writer wins: replicas keep the value with the highest version.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Version {
    /// Nanoseconds on the coordinator's local clock.
    pub stamp: u64,
    /// The coordinator (the tie-breaker).
    pub node: NodeId,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.stamp, self.node)
    }
}

/// A value with its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    /// The version.
    pub version: Version,
    /// The value.
    pub value: String,
}

impl Versioned {
    /// Bytes of the encoding.
    pub fn encoded_len(&self) -> u32 {
        12 + 4 + self.value.len() as u32
    }

    /// Appends the stable encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.u64(self.version.stamp).u32(self.version.node.0).bytes(self.value.as_bytes());
    }

    /// Decodes a versioned value.
    pub fn decode(r: &mut Reader<'_>) -> Option<Versioned> {
        let version = Version { stamp: r.u64()?, node: NodeId(r.u32()?) };
        Some(Versioned { version, value: string(r)? })
    }
}

/// A quorum-store message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuorumMsg {
    /// Coordinator → replica: what do you hold for `key`?
    Read {
        /// The coordinator's request id.
        rid: u64,
        /// The key.
        key: Key,
    },
    /// Replica → coordinator: the value held (`None`: never written here).
    ReadReply {
        /// The request id.
        rid: u64,
        /// The value held.
        value: Option<Versioned>,
    },
    /// Coordinator → replica: store this value if it is newer than yours. `rid` 0 asks
    /// for no acknowledgement (read repair). `hint` names the preferred replica this
    /// server stands in for (sloppy quorum).
    Write {
        /// The request id (0: no acknowledgement wanted).
        rid: u64,
        /// The key.
        key: Key,
        /// The value.
        value: Versioned,
        /// The replica this write is meant for, if the receiver stands in for it.
        hint: Option<NodeId>,
    },
    /// Replica → coordinator: the write is durable here (or a newer value already was).
    WriteAck {
        /// The request id.
        rid: u64,
    },
    /// A server holding a hinted value hands it to the replica it was meant for.
    Handoff {
        /// The key.
        key: Key,
        /// The value.
        value: Versioned,
    },
    /// The replica stored (durably) the handed-off value: the hint can go.
    HandoffAck {
        /// The key.
        key: Key,
        /// The version handed off.
        version: Version,
    },
}

impl QuorumMsg {
    /// Bytes of the encoding produced by [`Message::encode`].
    pub fn encoded_len(&self) -> u32 {
        1 + match self {
            QuorumMsg::Read { .. } => 12,
            QuorumMsg::ReadReply { value, .. } => 8 + 1 + value.as_ref().map_or(0, Versioned::encoded_len),
            QuorumMsg::Write { value, hint, .. } => {
                12 + value.encoded_len() + if hint.is_some() { 5 } else { 1 }
            }
            QuorumMsg::WriteAck { .. } => 8,
            QuorumMsg::Handoff { value, .. } => 4 + value.encoded_len(),
            QuorumMsg::HandoffAck { .. } => 16,
        }
    }
}

impl Message for QuorumMsg {
    fn wire_size(&self) -> u32 {
        HEADER + self.encoded_len()
    }

    /// Keys, values and their last-writer-wins versions.
    fn contents(&self, out: &mut Contents) {
        let versioned = |out: &mut Contents, v: &Versioned| {
            out.text("value", &v.value).text("version", v.version);
        };
        match self {
            QuorumMsg::Read { rid, key } => {
                out.num("request", *rid).text("key", key_name(*key));
            }
            QuorumMsg::ReadReply { rid, value } => {
                out.num("request", *rid);
                match value {
                    Some(v) => versioned(out, v),
                    None => {
                        out.text("value", "(absent)");
                    }
                }
            }
            QuorumMsg::Write { rid, key, value, hint } => {
                out.num("request", *rid).text("key", key_name(*key));
                versioned(out, value);
                if let Some(h) = hint {
                    out.node("held for", *h);
                }
            }
            QuorumMsg::WriteAck { rid } => {
                out.num("request", *rid);
            }
            QuorumMsg::Handoff { key, value } => {
                out.text("key", key_name(*key));
                versioned(out, value);
            }
            QuorumMsg::HandoffAck { key, version } => {
                out.text("key", key_name(*key)).text("version", version);
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            QuorumMsg::Read { .. } => "Read",
            QuorumMsg::ReadReply { .. } => "ReadReply",
            QuorumMsg::Write { rid: 0, .. } => "ReadRepair",
            QuorumMsg::Write { hint: Some(_), .. } => "HintedWrite",
            QuorumMsg::Write { .. } => "Write",
            QuorumMsg::WriteAck { .. } => "WriteAck",
            QuorumMsg::Handoff { .. } => "Handoff",
            QuorumMsg::HandoffAck { .. } => "HandoffAck",
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        match self {
            QuorumMsg::Read { rid, key } => {
                w.u8(1).u64(*rid).u32(*key);
            }
            QuorumMsg::ReadReply { rid, value } => {
                w.u8(2).u64(*rid);
                match value {
                    Some(v) => {
                        w.u8(1);
                        v.encode(&mut w);
                    }
                    None => {
                        w.u8(0);
                    }
                }
            }
            QuorumMsg::Write { rid, key, value, hint } => {
                w.u8(3).u64(*rid).u32(*key);
                value.encode(&mut w);
                match hint {
                    Some(h) => w.u8(1).u32(h.0),
                    None => w.u8(0),
                };
            }
            QuorumMsg::WriteAck { rid } => {
                w.u8(4).u64(*rid);
            }
            QuorumMsg::Handoff { key, value } => {
                w.u8(5).u32(*key);
                value.encode(&mut w);
            }
            QuorumMsg::HandoffAck { key, version } => {
                w.u8(6).u32(*key).u64(version.stamp).u32(version.node.0);
            }
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        let m = match r.u8()? {
            1 => QuorumMsg::Read { rid: r.u64()?, key: r.u32()? },
            2 => {
                let rid = r.u64()?;
                let value = match r.u8()? {
                    0 => None,
                    1 => Some(Versioned::decode(&mut r)?),
                    _ => return None,
                };
                QuorumMsg::ReadReply { rid, value }
            }
            3 => {
                let rid = r.u64()?;
                let key = r.u32()?;
                let value = Versioned::decode(&mut r)?;
                let hint = match r.u8()? {
                    0 => None,
                    1 => Some(NodeId(r.u32()?)),
                    _ => return None,
                };
                QuorumMsg::Write { rid, key, value, hint }
            }
            4 => QuorumMsg::WriteAck { rid: r.u64()? },
            5 => QuorumMsg::Handoff { key: r.u32()?, value: Versioned::decode(&mut r)? },
            6 => QuorumMsg::HandoffAck {
                key: r.u32()?,
                version: Version { stamp: r.u64()?, node: NodeId(r.u32()?) },
            },
            _ => return None,
        };
        r.finish(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eightfold_sim::sim::RngStreams;
    use eightfold_sim::sim::rng::Draw;

    fn v(stamp: u64, s: &str) -> Versioned {
        Versioned { version: Version { stamp, node: NodeId(2) }, value: s.into() }
    }

    fn samples() -> Vec<QuorumMsg> {
        vec![
            QuorumMsg::Read { rid: 7, key: 3 },
            QuorumMsg::ReadReply { rid: 7, value: Some(v(9, "abc")) },
            QuorumMsg::ReadReply { rid: 7, value: None },
            QuorumMsg::Write { rid: 8, key: 3, value: v(10, "x"), hint: None },
            QuorumMsg::Write { rid: 0, key: 3, value: v(10, ""), hint: Some(NodeId(4)) },
            QuorumMsg::WriteAck { rid: 8 },
            QuorumMsg::Handoff { key: 1, value: v(11, "h") },
            QuorumMsg::HandoffAck { key: 1, version: Version { stamp: 11, node: NodeId(0) } },
        ]
    }

    #[test]
    fn every_message_round_trips_with_an_honest_size() {
        for m in samples() {
            let mut b = Vec::new();
            m.encode(&mut b);
            assert_eq!(b.len() as u32, m.encoded_len(), "{m:?}");
            assert_eq!(m.wire_size(), HEADER + b.len() as u32);
            assert_eq!(QuorumMsg::decode(&b), Some(m.clone()));
            for cut in 0..b.len() {
                assert_eq!(QuorumMsg::decode(&b[..cut]), None, "{} cut at {cut}", m.kind());
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = RngStreams::new(3).stream("fuzz");
        let encoded: Vec<Vec<u8>> = samples()
            .iter()
            .map(|m| {
                let mut b = Vec::new();
                m.encode(&mut b);
                b
            })
            .collect();
        for round in 0..20_000 {
            let mut b = encoded[round % encoded.len()].clone();
            for _ in 0..rng.between(1, 4) {
                let i = rng.below(b.len() as u64) as usize;
                b[i] ^= 1 << rng.below(8);
            }
            if let Some(m) = QuorumMsg::decode(&b) {
                let mut again = Vec::new();
                m.encode(&mut again);
                assert_eq!(again, b);
            }
            let random: Vec<u8> = (0..rng.below(64)).map(|_| rng.word() as u8).collect();
            let _ = QuorumMsg::decode(&random);
        }
    }

    #[test]
    fn versions_order_by_stamp_then_coordinator() {
        let a = Version { stamp: 5, node: NodeId(3) };
        let b = Version { stamp: 6, node: NodeId(0) };
        let c = Version { stamp: 6, node: NodeId(1) };
        assert!(a < b && b < c);
    }
}
