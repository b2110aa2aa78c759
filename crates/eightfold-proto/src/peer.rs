//! A plugged-in protocol's own server-to-server messages, carried in the key-value
//! service's envelope ([`crate::service::ServiceMsg::Peer`]).
//!
//! The shipped protocols have a variant of the envelope each (`Raft`, `Paxos`, `Quorum`); a
//! protocol registered from outside the library cannot add one. It defines its messages as
//! its own type instead, implements [`PeerMessage`] for it (a stable encoding, a kind label,
//! an honest wire size), and sends them wrapped: `ServiceMsg::from(msg)` (or `.into()`). A
//! receiving server opens them back, typed, through [`crate::host::Host`], exactly as the
//! shipped servers open theirs. On the wire a payload is the message's family name followed
//! by its own bytes, so everything the simulated network does to messages — MACs, replays,
//! bit flips — works on them unchanged: a corrupted payload that no longer decodes is
//! refused as undecodable, like any other.
//!
//! Decoding bytes back into a payload needs the family's decoder, found by the family's
//! name in a process-wide table that a family joins when its first message is made. A family
//! name must therefore be unique in a program (a second type claiming a taken name is a
//! programming error and panics at its first message).

use std::any::TypeId;
use std::fmt;
use std::sync::RwLock;

use eightfold_sim::sim::Contents;

/// A protocol's own server-to-server message, carried by the service's envelope.
pub trait PeerMessage: Sized + 'static {
    /// The message family's name, unique in the program (the protocol's name will do): it
    /// tags each payload on the wire so a receiver can tell its own messages from others'.
    const FAMILY: &'static str;

    /// A short label for traces and space-time diagrams (`"RequestVote"`).
    fn kind(&self) -> &'static str;

    /// Bytes the message occupies on the wire, header included (drives bandwidth, MTU and
    /// transport-cost models): say what a real implementation would send.
    fn wire_size(&self) -> u32;

    /// Appends the message's stable byte encoding.
    fn encode(&self, out: &mut Vec<u8>);

    /// Decodes bytes produced by [`PeerMessage::encode`]; `None` for bytes that do not parse
    /// (a corrupted message).
    fn decode(bytes: &[u8]) -> Option<Self>;

    /// Lists the message's contents for people to read (the step-through shows them).
    fn contents(&self, _out: &mut Contents) {}
}

/// What the envelope needs to handle a family's payloads without knowing its type.
struct Family {
    name: &'static str,
    ty: TypeId,
    kind_of: fn(&[u8]) -> Option<(&'static str, u32)>,
    contents_of: fn(&[u8], &mut Contents),
}

fn kind_of<M: PeerMessage>(bytes: &[u8]) -> Option<(&'static str, u32)> {
    M::decode(bytes).map(|m| (m.kind(), m.wire_size()))
}

fn contents_of<M: PeerMessage>(bytes: &[u8], out: &mut Contents) {
    if let Some(m) = M::decode(bytes) {
        m.contents(out);
    }
}

/// The families whose messages this process has made.
static FAMILIES: RwLock<Vec<&'static Family>> = RwLock::new(Vec::new());

/// The family of `M`, joining the table at its first message.
fn family_of<M: PeerMessage>() -> &'static Family {
    let ty = TypeId::of::<M>();
    let find = |table: &[&'static Family]| table.iter().copied().find(|f| f.name == M::FAMILY);
    let check = |f: &'static Family| {
        assert!(
            f.ty == ty,
            "two peer message types claim the family name {:?}: each needs a name of its own",
            M::FAMILY
        );
        f
    };
    if let Some(f) = find(&FAMILIES.read().unwrap_or_else(|e| e.into_inner())) {
        return check(f);
    }
    assert!(M::FAMILY.len() <= 255, "a peer message family name takes at most 255 bytes: {:?}", M::FAMILY);
    let mut table = FAMILIES.write().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = find(&table) {
        return check(f);
    }
    let f: &'static Family = Box::leak(Box::new(Family {
        name: M::FAMILY,
        ty,
        kind_of: kind_of::<M>,
        contents_of: contents_of::<M>,
    }));
    table.push(f);
    f
}

/// The family named `name`, if this process has made one of its messages.
fn family_named(name: &[u8]) -> Option<&'static Family> {
    FAMILIES.read().unwrap_or_else(|e| e.into_inner()).iter().copied().find(|f| f.name.as_bytes() == name)
}

/// A protocol's own message, encoded, with what the network and traces need of it.
#[derive(Clone)]
pub struct PeerPayload {
    family: &'static Family,
    kind: &'static str,
    size: u32,
    bytes: Vec<u8>,
}

impl PeerPayload {
    /// Wraps `msg`.
    pub fn new<M: PeerMessage>(msg: &M) -> PeerPayload {
        let mut bytes = Vec::new();
        msg.encode(&mut bytes);
        PeerPayload { family: family_of::<M>(), kind: msg.kind(), size: msg.wire_size(), bytes }
    }

    /// The message, if it is one of family `M` and decodes.
    pub fn open<M: PeerMessage>(&self) -> Option<M> {
        if self.family.ty != TypeId::of::<M>() {
            return None;
        }
        M::decode(&self.bytes)
    }

    /// The family's name.
    pub fn family(&self) -> &'static str {
        self.family.name
    }

    /// The message's kind label.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The message's wire size.
    pub fn wire_size(&self) -> u32 {
        self.size
    }

    /// The message's contents for people to read.
    pub fn contents(&self, out: &mut Contents) {
        (self.family.contents_of)(&self.bytes, out);
    }

    /// Appends the payload's encoding: the family name (a length byte, then the name), then
    /// the message's bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let name = self.family.name.as_bytes();
        out.push(name.len() as u8); // at most 255: checked when the family joined
        out.extend_from_slice(name);
        out.extend_from_slice(&self.bytes);
    }

    /// Decodes a payload from [`PeerPayload::encode`]'s bytes: `None` if the family is not
    /// one this process knows, or its message does not decode.
    pub fn decode(bytes: &[u8]) -> Option<PeerPayload> {
        let (&len, rest) = bytes.split_first()?;
        let name = rest.get(..usize::from(len))?;
        let body = &rest[usize::from(len)..];
        let family = family_named(name)?;
        let (kind, size) = (family.kind_of)(body)?;
        Some(PeerPayload { family, kind, size, bytes: body.to_vec() })
    }
}

impl PartialEq for PeerPayload {
    fn eq(&self, other: &Self) -> bool {
        self.family.ty == other.family.ty && self.bytes == other.bytes
    }
}

impl Eq for PeerPayload {}

impl fmt::Debug for PeerPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{} ({} bytes)", self.family.name, self.kind, self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Ping(u8);

    impl PeerMessage for Ping {
        const FAMILY: &'static str = "test-ping";
        fn kind(&self) -> &'static str {
            "Ping"
        }
        fn wire_size(&self) -> u32 {
            17
        }
        fn encode(&self, out: &mut Vec<u8>) {
            out.push(self.0);
        }
        fn decode(bytes: &[u8]) -> Option<Self> {
            match bytes {
                [b] if *b < 200 => Some(Ping(*b)),
                _ => None,
            }
        }
        fn contents(&self, out: &mut Contents) {
            out.num("n", u64::from(self.0));
        }
    }

    #[derive(Debug)]
    struct Impostor;

    impl PeerMessage for Impostor {
        const FAMILY: &'static str = "test-ping";
        fn kind(&self) -> &'static str {
            "Impostor"
        }
        fn wire_size(&self) -> u32 {
            1
        }
        fn encode(&self, _out: &mut Vec<u8>) {}
        fn decode(_bytes: &[u8]) -> Option<Self> {
            Some(Impostor)
        }
    }

    #[test]
    fn a_payload_round_trips_opens_only_as_its_own_type_and_refuses_garbage() {
        let p = PeerPayload::new(&Ping(7));
        assert_eq!((p.family(), p.kind(), p.wire_size()), ("test-ping", "Ping", 17));
        assert_eq!(p.open::<Ping>(), Some(Ping(7)));
        let mut bytes = Vec::new();
        p.encode(&mut bytes);
        let back = PeerPayload::decode(&bytes).expect("decodes");
        assert_eq!(back, p);
        assert_eq!(back.kind(), "Ping");
        let mut c = Contents::default();
        back.contents(&mut c);
        assert!(c.get("n").is_some());
        // A message that no longer decodes, an unknown family, a cut name: refused.
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() = 250;
        assert!(PeerPayload::decode(&bad).is_none());
        bad = bytes.clone();
        bad[1] ^= 1;
        assert!(PeerPayload::decode(&bad).is_none());
        assert!(PeerPayload::decode(&[40, b'x']).is_none());
        assert!(PeerPayload::decode(&[]).is_none());
    }

    #[test]
    #[should_panic(expected = "claim the family name")]
    fn two_types_cannot_share_a_family_name() {
        let _ = PeerPayload::new(&Ping(1));
        let _ = PeerPayload::new(&Impostor);
    }
}
