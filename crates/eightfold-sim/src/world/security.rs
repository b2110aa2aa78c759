//! The envelope guard at every receiver, and the adversary on the wire (fallacy 4).
//!
//! Messages normally travel as typed values; an envelope's bytes and tag are produced only
//! when something touches it: a link that corrupts bits in flight, or an adversary that
//! captures traffic to replay it later or to forge new messages from it. Every such
//! envelope is checked for real at the receiver: tag, then (optionally) the replay window,
//! then decoding. With authentication switched off (the documented `no-auth` bug), a
//! damaged or forged message that still decodes is handed to the protocol — which is how a
//! simulation shows what authentication is for.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::net::envelope::{ClusterKey, Rejection, ReplayWindow, SealedEnvelope};
use crate::sim::rng::Draw;
use crate::sim::{Message, MsgId, NodeId, SimRng};

/// How messages are protected.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Security {
    /// Receivers verify every envelope's tag (off only as the `no-auth` bug).
    pub auth: bool,
    /// Receivers reject envelopes they have seen before (anti-replay window).
    pub replay_window: bool,
}

impl Default for Security {
    fn default() -> Self {
        Security { auth: true, replay_window: false }
    }
}

/// What the guard and the adversary did, for `outcome.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityStats {
    /// Messages whose bits were flipped in flight.
    pub corrupted: u64,
    /// Captured envelopes the adversary sent again.
    pub replayed: u64,
    /// Messages the adversary forged.
    pub forged: u64,
    /// Envelopes rejected because their tag did not verify.
    pub rejected_mac: u64,
    /// Envelopes rejected as replays.
    pub rejected_replay: u64,
    /// Envelopes rejected because their bytes did not decode.
    pub rejected_decode: u64,
    /// Corrupted or forged messages that reached a protocol (must be 0 with auth on).
    pub accepted_tampered: u64,
    /// Replayed messages that reached a protocol (valid tags: only the window stops them).
    pub accepted_replays: u64,
}

impl SecurityStats {
    /// All rejections.
    pub fn rejected(&self) -> u64 {
        self.rejected_mac + self.rejected_replay + self.rejected_decode
    }
}

/// A message in flight: a typed value, or an envelope something has touched.
pub(super) enum Payload<M> {
    /// Untouched.
    Plain(M),
    /// Materialised as bytes and a tag.
    Sealed(Box<Sealed>),
}

/// A materialised envelope and what was done to it.
pub(super) struct Sealed {
    pub env: SealedEnvelope,
    /// Its contents were changed after the sender sealed it (corruption, forgery).
    pub tampered: bool,
    /// It is a re-send of a captured envelope.
    pub replayed: bool,
    /// The original message's wire size.
    pub size: u32,
}

impl<M: Message> Payload<M> {
    pub(super) fn wire_size(&self) -> u32 {
        match self {
            Payload::Plain(m) => m.wire_size(),
            Payload::Sealed(s) => s.size,
        }
    }
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Payload::Plain(m) => m.kind(),
            Payload::Sealed(s) => s.env.kind,
        }
    }
}

/// Most envelopes the adversary keeps for replays and forgeries.
const CAPTURE: usize = 256;

/// The receivers' guard and the adversary's state.
pub(super) struct Guard {
    pub key: ClusterKey,
    pub config: Security,
    /// Per receiver, the anti-replay window of each sender it has heard from, sorted by
    /// sender: created on first use, so memory grows with the links used, not with the
    /// square of the node count.
    windows: Vec<Vec<(NodeId, ReplayWindow)>>,
    pub stats: SecurityStats,
    /// Active adversary faults; capturing happens only while there is one.
    pub adversaries: u32,
    captured: VecDeque<SealedEnvelope>,
    pub rng: SimRng,
}

impl Guard {
    pub(super) fn new(n: usize, key: ClusterKey, config: Security, rng: SimRng) -> Self {
        let windows = if config.replay_window { vec![Vec::new(); n] } else { Vec::new() };
        Guard {
            key,
            config,
            windows,
            stats: SecurityStats::default(),
            adversaries: 0,
            captured: VecDeque::new(),
            rng,
        }
    }

    /// Seals a message as its honest sender would.
    pub(super) fn seal<M: Message>(&self, from: NodeId, to: NodeId, id: MsgId, msg: &M) -> SealedEnvelope {
        let mut bytes = Vec::with_capacity(msg.wire_size() as usize);
        msg.encode(&mut bytes);
        let tag = self.key.tag(from, to, id.0, &bytes);
        SealedEnvelope { from, to, seq: id.0, bytes, tag, kind: msg.kind() }
    }

    /// Flips one to three random bits of a sealed message (corruption in flight).
    pub(super) fn corrupt(&mut self, env: &mut SealedEnvelope) {
        self.stats.corrupted += 1;
        if env.bytes.is_empty() {
            env.tag ^= 1;
            return;
        }
        // One to three *different* bits: flipping the same bit twice would give back the
        // sender's bytes, a message marked corrupted that is not (and that the MAC rightly
        // accepts).
        let bits = env.bytes.len() as u64 * 8;
        let flips = (1 + self.rng.below(3)).min(bits);
        let mut flipped = [u64::MAX; 3];
        for i in 0..flips as usize {
            let mut bit = self.rng.below(bits);
            while flipped[..i].contains(&bit) {
                bit = self.rng.below(bits);
            }
            flipped[i] = bit;
            env.bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
        }
    }

    /// Keeps a copy of an honest envelope for later replay or forgery.
    pub(super) fn capture(&mut self, env: SealedEnvelope) {
        if self.captured.len() == CAPTURE {
            self.captured.pop_front();
        }
        self.captured.push_back(env);
    }

    /// True while an adversary is listening.
    #[inline]
    pub(super) fn capturing(&self) -> bool {
        self.adversaries > 0
    }

    /// A captured envelope to send again, unchanged (its tag is valid).
    pub(super) fn replay(&mut self) -> Option<SealedEnvelope> {
        if self.captured.is_empty() {
            return None;
        }
        let i = self.rng.below(self.captured.len() as u64) as usize;
        self.stats.replayed += 1;
        Some(self.captured[i].clone())
    }

    /// A forged envelope: a captured message with altered bits, claiming to come from
    /// `from`, addressed to `to`, tagged without the cluster key.
    pub(super) fn forge(&mut self, from: NodeId, to: NodeId, seq: u64) -> Option<SealedEnvelope> {
        if self.captured.is_empty() {
            return None;
        }
        let i = self.rng.below(self.captured.len() as u64) as usize;
        let mut env = self.captured[i].clone();
        env.from = from;
        env.to = to;
        env.seq = seq;
        if !env.bytes.is_empty() {
            let bit = self.rng.below(env.bytes.len() as u64 * 8);
            env.bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
        }
        // The adversary does not hold the key: its best guess is a key of its own.
        let guess = ClusterKey([self.rng.word(), self.rng.word()]);
        env.tag = guess.tag(from, to, seq, &env.bytes);
        self.stats.forged += 1;
        Some(env)
    }

    /// The anti-replay check for an envelope's (receiver, sender, sequence).
    #[inline]
    pub(super) fn fresh(&mut self, to: NodeId, from: NodeId, seq: u64) -> bool {
        if !self.config.replay_window {
            return true;
        }
        let Some(row) = self.windows.get_mut(to.index()) else { return true };
        let i = match row.binary_search_by_key(&from, |(f, _)| *f) {
            Ok(i) => i,
            Err(i) => {
                row.insert(i, (from, ReplayWindow::default()));
                i
            }
        };
        row[i].1.accept(seq)
    }

    /// Opens a materialised envelope at its receiver: tag, window, decoding.
    pub(super) fn open<M: Message>(&mut self, s: &Sealed) -> Result<M, Rejection> {
        if self.config.auth && !s.env.verify(&self.key) {
            self.stats.rejected_mac += 1;
            return Err(Rejection::Mac);
        }
        if !self.fresh(s.env.to, s.env.from, s.env.seq) {
            self.stats.rejected_replay += 1;
            return Err(Rejection::Replay);
        }
        match M::decode(&s.env.bytes) {
            None => {
                self.stats.rejected_decode += 1;
                Err(Rejection::Decode)
            }
            Some(m) => {
                if s.tampered {
                    self.stats.accepted_tampered += 1;
                }
                if s.replayed {
                    self.stats.accepted_replays += 1;
                }
                Ok(m)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;

    /// A corrupted envelope always differs from what its sender sealed, even a one-byte
    /// message where two flips of the same bit are likely: corruption that happened to undo
    /// itself was counted as a tampered message that got through the MAC.
    #[test]
    fn corruption_always_changes_the_bytes() {
        let mut g =
            Guard::new(2, ClusterKey([1, 2]), Security::default(), RngStreams::new(7).stream("guard"));
        for len in [1usize, 2, 3, 40] {
            for i in 0..2_000u64 {
                let honest = SealedEnvelope {
                    from: NodeId(0),
                    to: NodeId(1),
                    seq: i,
                    bytes: (0..len as u8).collect(),
                    tag: 0,
                    kind: "test",
                };
                let mut env = honest.clone();
                g.corrupt(&mut env);
                assert_ne!(env.bytes, honest.bytes, "length {len}, envelope {i}");
                let changed: u32 =
                    env.bytes.iter().zip(&honest.bytes).map(|(a, b)| (a ^ b).count_ones()).sum();
                assert!((1..=3).contains(&changed), "{changed} bits changed");
            }
        }
    }
}
