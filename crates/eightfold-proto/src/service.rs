//! The wire envelope of the replicated key-value service: one message type for everything
//! a key-value cluster sends — client requests and replies, and each consensus protocol's
//! own messages — so the same clients, faults and checks run on every protocol. A protocol
//! registered from outside the library carries its own messages in [`ServiceMsg::Peer`]
//! (see [`crate::peer`]).

use super::host::{Host, Inbound};
use super::kv::{ClientReply, ClientRequest};
use super::paxos::PaxosMsg;
use super::peer::{PeerMessage, PeerPayload};
use super::quorum::QuorumMsg;
use super::raft::RaftMsg;
use super::wire::{Reader, Writer};
use eightfold_sim::sim::{Contents, Message};

use crate::wire::HEADER;

/// A message of a key-value cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceMsg {
    /// Client → server.
    Request(ClientRequest),
    /// Server → client.
    Reply(ClientReply),
    /// Raft server ↔ Raft server.
    Raft(RaftMsg),
    /// Multi-Paxos server ↔ Multi-Paxos server.
    Paxos(PaxosMsg),
    /// Quorum-store server ↔ quorum-store server.
    Quorum(QuorumMsg),
    /// Server ↔ server of a protocol registered from outside the library: its own message
    /// ([`PeerMessage`]), encoded.
    Peer(PeerPayload),
}

/// A plugged-in protocol's message is sent wrapped (`ctx.send(to, msg.into())`).
impl<M: PeerMessage> From<M> for ServiceMsg {
    fn from(m: M) -> Self {
        ServiceMsg::Peer(PeerPayload::new(&m))
    }
}

/// A server of a plugged-in protocol opens its own messages and client requests.
impl<M: PeerMessage> Host<M> for ServiceMsg {
    fn open(self) -> Option<Inbound<M>> {
        match self {
            ServiceMsg::Peer(p) => p.open::<M>().map(Inbound::Peer),
            ServiceMsg::Request(r) => Some(Inbound::Client(r)),
            ServiceMsg::Reply(_) | ServiceMsg::Raft(_) | ServiceMsg::Paxos(_) | ServiceMsg::Quorum(_) => None,
        }
    }
}

impl From<RaftMsg> for ServiceMsg {
    fn from(m: RaftMsg) -> Self {
        ServiceMsg::Raft(m)
    }
}

impl From<PaxosMsg> for ServiceMsg {
    fn from(m: PaxosMsg) -> Self {
        ServiceMsg::Paxos(m)
    }
}

impl From<QuorumMsg> for ServiceMsg {
    fn from(m: QuorumMsg) -> Self {
        ServiceMsg::Quorum(m)
    }
}

impl From<ClientRequest> for ServiceMsg {
    fn from(r: ClientRequest) -> Self {
        ServiceMsg::Request(r)
    }
}

impl From<ClientReply> for ServiceMsg {
    fn from(r: ClientReply) -> Self {
        ServiceMsg::Reply(r)
    }
}

/// A Raft server of the service opens its own messages and client requests.
impl Host<RaftMsg> for ServiceMsg {
    fn open(self) -> Option<Inbound<RaftMsg>> {
        match self {
            ServiceMsg::Raft(m) => Some(Inbound::Peer(m)),
            ServiceMsg::Request(r) => Some(Inbound::Client(r)),
            ServiceMsg::Reply(_) | ServiceMsg::Paxos(_) | ServiceMsg::Quorum(_) | ServiceMsg::Peer(_) => None,
        }
    }
}

/// A Multi-Paxos server of the service opens its own messages and client requests.
impl Host<PaxosMsg> for ServiceMsg {
    fn open(self) -> Option<Inbound<PaxosMsg>> {
        match self {
            ServiceMsg::Paxos(m) => Some(Inbound::Peer(m)),
            ServiceMsg::Request(r) => Some(Inbound::Client(r)),
            ServiceMsg::Reply(_) | ServiceMsg::Raft(_) | ServiceMsg::Quorum(_) | ServiceMsg::Peer(_) => None,
        }
    }
}

/// A quorum-store server of the service opens its own messages and client requests.
impl Host<QuorumMsg> for ServiceMsg {
    fn open(self) -> Option<Inbound<QuorumMsg>> {
        match self {
            ServiceMsg::Quorum(m) => Some(Inbound::Peer(m)),
            ServiceMsg::Request(r) => Some(Inbound::Client(r)),
            ServiceMsg::Reply(_) | ServiceMsg::Raft(_) | ServiceMsg::Paxos(_) | ServiceMsg::Peer(_) => None,
        }
    }
}

impl Message for ServiceMsg {
    #[inline]
    fn wire_size(&self) -> u32 {
        match self {
            ServiceMsg::Request(r) => HEADER + r.wire_size(),
            ServiceMsg::Reply(r) => HEADER + r.wire_size(),
            ServiceMsg::Raft(m) => m.wire_size(),
            ServiceMsg::Paxos(m) => m.wire_size(),
            ServiceMsg::Quorum(m) => m.wire_size(),
            ServiceMsg::Peer(p) => p.wire_size(),
        }
    }

    fn contents(&self, out: &mut Contents) {
        match self {
            ServiceMsg::Request(r) => r.contents(out),
            ServiceMsg::Reply(r) => r.contents(out),
            ServiceMsg::Raft(m) => m.contents(out),
            ServiceMsg::Paxos(m) => m.contents(out),
            ServiceMsg::Quorum(m) => m.contents(out),
            ServiceMsg::Peer(p) => p.contents(out),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ServiceMsg::Request(_) => "Request",
            ServiceMsg::Reply(_) => "Reply",
            ServiceMsg::Raft(m) => m.kind(),
            ServiceMsg::Paxos(m) => m.kind(),
            ServiceMsg::Quorum(m) => m.kind(),
            ServiceMsg::Peer(p) => p.kind(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ServiceMsg::Request(r) => {
                let mut w = Writer::new(out);
                w.u8(1);
                r.encode(&mut w);
            }
            ServiceMsg::Reply(r) => {
                let mut w = Writer::new(out);
                w.u8(2);
                r.encode(&mut w);
            }
            ServiceMsg::Raft(m) => {
                out.push(3);
                m.encode(out);
            }
            ServiceMsg::Paxos(m) => {
                out.push(4);
                m.encode(out);
            }
            ServiceMsg::Quorum(m) => {
                out.push(5);
                m.encode(out);
            }
            ServiceMsg::Peer(p) => {
                out.push(6);
                p.encode(out);
            }
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (&tag, rest) = bytes.split_first()?;
        match tag {
            1 => {
                let mut r = Reader::new(rest);
                let req = ClientRequest::decode(&mut r)?;
                r.finish(ServiceMsg::Request(req))
            }
            2 => {
                let mut r = Reader::new(rest);
                let rep = ClientReply::decode(&mut r)?;
                r.finish(ServiceMsg::Reply(rep))
            }
            3 => RaftMsg::decode(rest).map(ServiceMsg::Raft),
            4 => PaxosMsg::decode(rest).map(ServiceMsg::Paxos),
            5 => QuorumMsg::decode(rest).map(ServiceMsg::Quorum),
            6 => PeerPayload::decode(rest).map(ServiceMsg::Peer),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::{ClientSeq, KvOp, KvResult};
    use eightfold_sim::sim::Term;

    #[test]
    fn every_variant_round_trips_and_garbage_is_refused() {
        let msgs = [
            ServiceMsg::Request(ClientRequest { client: 1, seq: ClientSeq(2), op: KvOp::Get { key: 3 } }),
            ServiceMsg::Reply(ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Done }),
            ServiceMsg::Raft(RaftMsg::RequestVoteResp { term: Term(4), granted: true }),
            ServiceMsg::Paxos(PaxosMsg::Fetch { from: eightfold_sim::sim::LogIndex(3) }),
            ServiceMsg::Quorum(QuorumMsg::WriteAck { rid: 9 }),
        ];
        for m in msgs {
            let mut b = Vec::new();
            m.encode(&mut b);
            assert_eq!(ServiceMsg::decode(&b), Some(m));
        }
        assert_eq!(ServiceMsg::decode(&[]), None);
        assert_eq!(ServiceMsg::decode(&[9, 1, 2]), None);
    }
}
