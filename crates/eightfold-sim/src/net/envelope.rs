//! Fallacy 4, *the network is secure*: every message travels in an authenticated envelope.
//!
//! The envelope carries the sender, the receiver, a sequence number and the message's
//! stable byte encoding, and a tag: a keyed 64-bit checksum (a MAC) over all of them under
//! a per-cluster key that only the cluster's nodes hold. A receiver recomputes the tag and
//! rejects the message if it differs — which is what happens to a message whose bits were
//! flipped in flight, or one an adversary forged without the key. An optional replay window
//! (as in IPsec and DTLS) also rejects a valid envelope seen before, so an adversary cannot
//! re-inject captured traffic either.
//!
//! The tag here is a keyed mixing function, not a cryptographic MAC: it models the
//! property (no key, no valid tag; any change, a different tag), with 2^-64 odds of a
//! forgery passing by luck.
//!
//! An untouched envelope always verifies, so the kernel materialises the bytes and the tag
//! only for envelopes something actually tampers with (or captures for replay); every
//! tampered envelope goes through the real check.

use crate::sim::NodeId;
use crate::sim::digest::{Digest, mix64};

/// The cluster's secret key.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ClusterKey(pub [u64; 2]);

impl ClusterKey {
    /// The key of a run, derived from its seed (the adversary never sees it).
    pub fn for_seed(seed: u64) -> Self {
        ClusterKey([mix64(seed ^ 0x6B65_795F_6B65_795F), mix64(seed.rotate_left(17) ^ 0xA11C_E5EC_2E7A_11ED)])
    }

    /// The tag of an envelope.
    pub fn tag(&self, from: NodeId, to: NodeId, seq: u64, bytes: &[u8]) -> u64 {
        let mut d = Digest::new();
        d.word(self.0[0]);
        d.word(((from.0 as u64) << 32) | to.0 as u64);
        d.word(seq);
        d.bytes(bytes);
        d.word(self.0[1]);
        mix64(d.finish() ^ self.0[0])
    }
}

/// An envelope as bytes on the wire (only materialised when something touches it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedEnvelope {
    /// The sender the envelope claims.
    pub from: NodeId,
    /// The receiver.
    pub to: NodeId,
    /// The sender's sequence number (the kernel's message id).
    pub seq: u64,
    /// The message's encoding, possibly damaged.
    pub bytes: Vec<u8>,
    /// The tag, as computed by whoever sealed the envelope.
    pub tag: u64,
    /// The message kind, for traces.
    pub kind: &'static str,
}

impl SealedEnvelope {
    /// True if the tag matches the contents under `key`.
    pub fn verify(&self, key: &ClusterKey) -> bool {
        key.tag(self.from, self.to, self.seq, &self.bytes) == self.tag
    }
}

/// A receiver's memory of the sequence numbers it accepted from one sender: the highest,
/// and which of the 64 below it (anti-replay window, RFC 4303 §3.4.3).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayWindow {
    highest: Option<u64>,
    seen: u64,
}

impl ReplayWindow {
    /// Accepts `seq` if it was not seen before and is not too old; records it.
    pub fn accept(&mut self, seq: u64) -> bool {
        match self.highest {
            None => {
                self.highest = Some(seq);
                self.seen = 1;
                true
            }
            Some(h) if seq > h => {
                let shift = seq - h;
                self.seen = if shift >= 64 { 1 } else { (self.seen << shift) | 1 };
                self.highest = Some(seq);
                true
            }
            Some(h) => {
                let age = h - seq;
                if age >= 64 || self.seen & (1 << age) != 0 {
                    return false;
                }
                self.seen |= 1 << age;
                true
            }
        }
    }
}

/// Why an envelope was rejected.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The tag did not verify (corrupted or forged).
    Mac,
    /// A valid envelope seen before (replayed).
    Replay,
    /// The bytes did not decode (only possible with authentication off).
    Decode,
}

impl Rejection {
    /// The reason as written in traces and reports.
    pub fn name(self) -> &'static str {
        match self {
            Rejection::Mac => "mac",
            Rejection::Replay => "replay",
            Rejection::Decode => "decode",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_bit_flip_breaks_the_tag() {
        let key = ClusterKey::for_seed(1);
        let bytes = b"AppendEntries term=3".to_vec();
        let env = SealedEnvelope {
            from: NodeId(0),
            to: NodeId(1),
            seq: 9,
            tag: key.tag(NodeId(0), NodeId(1), 9, &bytes),
            bytes,
            kind: "x",
        };
        assert!(env.verify(&key));
        for i in 0..env.bytes.len() * 8 {
            let mut e = env.clone();
            e.bytes[i / 8] ^= 1 << (i % 8);
            assert!(!e.verify(&key), "bit {i}");
        }
        let mut spoofed = env.clone();
        spoofed.from = NodeId(2);
        assert!(!spoofed.verify(&key));
        let other = ClusterKey::for_seed(2);
        assert!(!env.verify(&other), "a different key must not verify");
    }

    #[test]
    fn replay_window_accepts_each_sequence_once() {
        let mut w = ReplayWindow::default();
        assert!(w.accept(10));
        assert!(!w.accept(10));
        assert!(w.accept(12));
        assert!(w.accept(11), "reordered but new");
        assert!(!w.accept(11));
        assert!(w.accept(200));
        assert!(!w.accept(12), "too old");
        assert!(w.accept(150));
        assert!(!w.accept(150));
    }
}
