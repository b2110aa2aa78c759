//! The host message of a replicated key-value server: the one message type of the cluster
//! it runs in (the runner's `ServiceMsg`, a test's own), which carries this protocol's
//! messages, client requests and client replies.
//!
//! A server is generic over its host `M` so the same protocol code runs in the simulator's
//! key-value service and in a protocol's unit tests. Sending wraps (`M: From<P>`,
//! `M: From<ClientReply>`); receiving opens the envelope with [`Host::open`], which is what
//! lets each protocol implement [`eightfold_sim::sim::Node`] itself.

use super::kv::{ClientReply, ClientRequest};
use eightfold_sim::sim::Message;

/// What a server finds in a message addressed to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound<P> {
    /// A message of its own protocol, from a peer server.
    Peer(P),
    /// A client's request.
    Client(ClientRequest),
}

/// A host message type that carries protocol `P`'s messages and the client protocol.
pub trait Host<P>: Message + From<P> + From<ClientReply> {
    /// What the message holds for a server of protocol `P`; `None` for anything else (a
    /// reply meant for a client, another protocol's message: a forged or misrouted one,
    /// which the server ignores).
    fn open(self) -> Option<Inbound<P>>;
}
