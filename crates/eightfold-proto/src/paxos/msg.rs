//! The messages Multi-Paxos servers exchange, their honest wire sizes and their stable
//! encoding.
//!
//! Phase 1 is `Prepare`/`Promise` (Lamport's 1a/1b), phase 2 `Accept`/`Accepted` (2a/2b);
//! `Nack` tells a proposer its ballot was pre-empted (*Paxos Made Moderately Complex*
//! §3, "preempted"); `Heartbeat` keeps followers from starting phase 1 and carries the
//! leader's decided prefix; `Fetch`, `Learn` and `Snapshot` let a learner that is missing
//! decided values catch up.
//!
//! Decoding is total: a corrupted or forged message decodes to `None` (or to another
//! well-formed message, which [`PaxosMsg::plausible`] screens), never panics, and never
//! allocates more than the input could hold.

use std::sync::Arc;

use crate::replica::log::{Entry, LogBase, MIN_ENTRY_BYTES};
use crate::wire::HEADER;
use crate::wire::{Reader, Writer};
use eightfold_sim::sim::{Contents, LogIndex, Message};

use super::ballot::{Ballot, Round};

/// One slot an acceptor reports in a Promise: the value it accepted there and in which
/// ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedSlot {
    /// The slot.
    pub slot: LogIndex,
    /// The ballot the value was accepted in.
    pub ballot: Ballot,
    /// The value (its `term` is the round of the ballot that first proposed it).
    pub entry: Entry,
}

/// A Multi-Paxos message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaxosMsg {
    /// Phase 1a: a proposer asks acceptors to promise `ballot` for every slot from `from`
    /// on (the first slot it does not know decided).
    Prepare {
        /// The proposer's ballot.
        ballot: Ballot,
        /// First slot the promise is asked for.
        from: LogIndex,
    },
    /// Phase 1b: the acceptor promises to accept nothing below `ballot`, and reports what it
    /// accepted in every slot from the Prepare's `from` that is not in its decided prefix.
    Promise {
        /// The promised ballot.
        ballot: Ballot,
        /// The acceptor's decided prefix: every slot up to here is decided.
        decided: LogIndex,
        /// The values accepted above that prefix, by increasing slot.
        accepted: Vec<AcceptedSlot>,
    },
    /// Phase 2a: the leader asks acceptors to accept `entries` at `first`, `first + 1`, …
    /// in `ballot`. Carries the leader's decided prefix.
    Accept {
        /// The leader's ballot.
        ballot: Ballot,
        /// Slot of the first value.
        first: LogIndex,
        /// The values, for consecutive slots.
        entries: Vec<Entry>,
        /// The leader's decided prefix.
        commit: LogIndex,
    },
    /// Phase 2b: the acceptor accepted (durably) the values of slots `first .. first + count`
    /// in `ballot`.
    Accepted {
        /// The ballot accepted.
        ballot: Ballot,
        /// First slot.
        first: LogIndex,
        /// Number of slots.
        count: u32,
    },
    /// A Prepare, Accept or Heartbeat of a lower ballot was refused: the acceptor promised
    /// `promised`.
    Nack {
        /// The higher ballot the acceptor promised.
        promised: Ballot,
    },
    /// The leader is alive; every slot up to `commit` is decided.
    Heartbeat {
        /// The leader's ballot.
        ballot: Ballot,
        /// The leader's decided prefix.
        commit: LogIndex,
    },
    /// A follower heard the heartbeat (for the leader's check-quorum).
    HeartbeatAck {
        /// The heartbeat's ballot.
        ballot: Ballot,
    },
    /// A learner asks for the decided values from slot `from` on.
    Fetch {
        /// First slot wanted.
        from: LogIndex,
    },
    /// Decided values at `first`, `first + 1`, …; the sender has decided up to `decided`.
    Learn {
        /// Slot of the first value.
        first: LogIndex,
        /// The decided values.
        entries: Vec<Entry>,
        /// The sender's decided prefix (there is more to fetch if it is beyond the batch).
        decided: LogIndex,
    },
    /// One chunk of the sender's snapshot, for a learner that needs slots the sender has
    /// compacted (a snapshot larger than one message comes in several, each asked for
    /// with `FetchChunk`).
    Snapshot {
        /// The last slot the snapshot covers, with its value's term and prefix chain.
        base: LogBase,
        /// Byte offset of `data` in the serialized key-value store.
        offset: u64,
        /// True for the last chunk.
        done: bool,
        /// Bytes `offset ..` of the serialized key-value store.
        data: Arc<[u8]>,
    },
    /// A learner holding the first `offset` bytes of the sender's snapshot ending at slot
    /// `index` asks for the next chunk.
    FetchChunk {
        /// The last slot of the snapshot being transferred.
        index: LogIndex,
        /// Bytes already received, contiguous from offset 0.
        offset: u64,
    },
}

/// Bytes of an encoded [`AcceptedSlot`] besides its entry.
const SLOT_FIXED: usize = 8 + Ballot::ENCODED_LEN as usize;

impl PaxosMsg {
    /// The ballot the message speaks for, if it carries one.
    pub fn ballot(&self) -> Option<Ballot> {
        match self {
            PaxosMsg::Prepare { ballot, .. }
            | PaxosMsg::Promise { ballot, .. }
            | PaxosMsg::Accept { ballot, .. }
            | PaxosMsg::Accepted { ballot, .. }
            | PaxosMsg::Heartbeat { ballot, .. }
            | PaxosMsg::HeartbeatAck { ballot } => Some(*ballot),
            PaxosMsg::Nack { promised } => Some(*promised),
            PaxosMsg::Fetch { .. }
            | PaxosMsg::Learn { .. }
            | PaxosMsg::Snapshot { .. }
            | PaxosMsg::FetchChunk { .. } => None,
        }
    }

    /// False for messages no honest server sends: rounds, slots or counts near the top of
    /// their range (arithmetic on them could overflow), a value stamped with a later round
    /// than the ballot proposing it, or a Promise whose slots are out of order or accepted in
    /// a ballot above the promise. A corrupted message that still decodes is dropped before
    /// it reaches the protocol. (A membership configuration, Raft's own log value, does not
    /// even decode: Paxos's values are the shared [`crate::replica::Payload`].)
    pub fn plausible(&self) -> bool {
        const LIMIT: u64 = 1 << 62;
        let ok = |x: u64| x < LIMIT;
        let value = |e: &Entry, round: Round| e.term.0 <= round.0;
        if let Some(b) = self.ballot()
            && !ok(b.round.0)
        {
            return false;
        }
        match self {
            PaxosMsg::Prepare { from, .. } | PaxosMsg::Fetch { from } => ok(from.0),
            PaxosMsg::Promise { ballot, decided, accepted } => {
                ok(decided.0)
                    && accepted.windows(2).all(|w| w[0].slot < w[1].slot)
                    && accepted.iter().all(|a| {
                        a.slot > *decided
                            && ok(a.slot.0)
                            && a.ballot <= *ballot
                            && value(&a.entry, a.ballot.round)
                    })
            }
            PaxosMsg::Accept { ballot, first, entries, commit } => {
                first.0 > 0
                    && ok(first.0 + entries.len() as u64)
                    && ok(commit.0)
                    && entries.iter().all(|e| value(e, ballot.round))
            }
            PaxosMsg::Accepted { first, count, .. } => first.0 > 0 && ok(first.0 + *count as u64),
            PaxosMsg::Heartbeat { commit, .. } => ok(commit.0),
            PaxosMsg::Nack { .. } | PaxosMsg::HeartbeatAck { .. } => true,
            PaxosMsg::Learn { first, entries, decided } => {
                first.0 > 0
                    && ok(first.0 + entries.len() as u64)
                    && ok(decided.0)
                    && entries.iter().all(|e| value(e, Round(LIMIT)))
            }
            PaxosMsg::Snapshot { base, offset, .. } => ok(base.index.0) && ok(base.term.0) && ok(*offset),
            PaxosMsg::FetchChunk { index, offset } => ok(index.0) && ok(*offset),
        }
    }

    /// Bytes of the encoding produced by [`Message::encode`].
    pub fn encoded_len(&self) -> u32 {
        let entries = |v: &[Entry]| 4 + v.iter().map(Entry::encoded_len).sum::<u32>();
        1 + match self {
            PaxosMsg::Prepare { .. } => Ballot::ENCODED_LEN + 8,
            PaxosMsg::Promise { accepted, .. } => {
                Ballot::ENCODED_LEN
                    + 8
                    + 4
                    + accepted.iter().map(|a| SLOT_FIXED as u32 + a.entry.encoded_len()).sum::<u32>()
            }
            PaxosMsg::Accept { entries: e, .. } => Ballot::ENCODED_LEN + 16 + entries(e),
            PaxosMsg::Accepted { .. } => Ballot::ENCODED_LEN + 12,
            PaxosMsg::Nack { .. } | PaxosMsg::HeartbeatAck { .. } => Ballot::ENCODED_LEN,
            PaxosMsg::Heartbeat { .. } => Ballot::ENCODED_LEN + 8,
            PaxosMsg::Fetch { .. } => 8,
            PaxosMsg::Learn { entries: e, .. } => 16 + entries(e),
            PaxosMsg::Snapshot { data, .. } => 24 + 9 + 4 + data.len() as u32,
            PaxosMsg::FetchChunk { .. } => 16,
        }
    }
}

fn encode_entries(w: &mut Writer<'_>, entries: &[Entry]) {
    w.u32(entries.len() as u32);
    for e in entries {
        e.encode(w);
    }
}

/// Reads a count-prefixed list of entries, refusing counts the input cannot hold before
/// allocating.
pub(super) fn decode_entries(r: &mut Reader<'_>, input_len: usize) -> Option<Vec<Entry>> {
    let n = r.u32()? as usize;
    if n > input_len / MIN_ENTRY_BYTES {
        return None;
    }
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(Entry::decode(r)?);
    }
    Some(v)
}

impl Message for PaxosMsg {
    fn wire_size(&self) -> u32 {
        HEADER + self.encoded_len()
    }

    /// Ballots, slots and the decided prefix (Lamport's "Paxos Made Simple" §3 names).
    fn contents(&self, out: &mut Contents) {
        match self {
            PaxosMsg::Prepare { ballot, from } => {
                out.text("ballot", ballot).num("from slot", from.0);
            }
            PaxosMsg::Promise { ballot, decided, accepted } => {
                out.text("ballot", ballot).num("decided up to", decided.0);
                out.text("accepted slots", slots_in_words(accepted.iter().map(|a| a.slot.0)));
            }
            PaxosMsg::Accept { ballot, first, entries, commit } => {
                out.text("ballot", ballot)
                    .text("slots", slots_in_words((0..entries.len() as u64).map(|k| first.0 + k)))
                    .num("decided up to", commit.0);
            }
            PaxosMsg::Accepted { ballot, first, count } => {
                out.text("ballot", ballot)
                    .text("slots", slots_in_words((0..u64::from(*count)).map(|k| first.0 + k)));
            }
            PaxosMsg::Nack { promised } => {
                out.text("promised ballot", promised);
            }
            PaxosMsg::Heartbeat { ballot, commit } => {
                out.text("ballot", ballot).num("decided up to", commit.0);
            }
            PaxosMsg::HeartbeatAck { ballot } => {
                out.text("ballot", ballot);
            }
            PaxosMsg::Fetch { from } => {
                out.num("from slot", from.0);
            }
            PaxosMsg::Learn { first, entries, decided } => {
                out.text("slots", slots_in_words((0..entries.len() as u64).map(|k| first.0 + k)))
                    .num("decided up to", decided.0);
            }
            PaxosMsg::Snapshot { base, offset, done, data } => {
                out.num("snapshot up to slot", base.index.0)
                    .num("offset", *offset)
                    .num("bytes", data.len() as u64)
                    .flag("done", *done);
            }
            PaxosMsg::FetchChunk { index, offset } => {
                out.num("snapshot up to slot", index.0).num("offset", *offset);
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            PaxosMsg::Prepare { .. } => "Prepare",
            PaxosMsg::Promise { .. } => "Promise",
            PaxosMsg::Accept { .. } => "Accept",
            PaxosMsg::Accepted { .. } => "Accepted",
            PaxosMsg::Nack { .. } => "Nack",
            PaxosMsg::Heartbeat { .. } => "Heartbeat",
            PaxosMsg::HeartbeatAck { .. } => "HeartbeatAck",
            PaxosMsg::Fetch { .. } => "Fetch",
            PaxosMsg::Learn { .. } => "Learn",
            PaxosMsg::Snapshot { .. } => "Snapshot",
            PaxosMsg::FetchChunk { .. } => "FetchChunk",
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        match self {
            PaxosMsg::Prepare { ballot, from } => {
                w.u8(1);
                ballot.encode(&mut w);
                w.u64(from.0);
            }
            PaxosMsg::Promise { ballot, decided, accepted } => {
                w.u8(2);
                ballot.encode(&mut w);
                w.u64(decided.0).u32(accepted.len() as u32);
                for a in accepted {
                    w.u64(a.slot.0);
                    a.ballot.encode(&mut w);
                    a.entry.encode(&mut w);
                }
            }
            PaxosMsg::Accept { ballot, first, entries, commit } => {
                w.u8(3);
                ballot.encode(&mut w);
                w.u64(first.0).u64(commit.0);
                encode_entries(&mut w, entries);
            }
            PaxosMsg::Accepted { ballot, first, count } => {
                w.u8(4);
                ballot.encode(&mut w);
                w.u64(first.0).u32(*count);
            }
            PaxosMsg::Nack { promised } => {
                w.u8(5);
                promised.encode(&mut w);
            }
            PaxosMsg::Heartbeat { ballot, commit } => {
                w.u8(6);
                ballot.encode(&mut w);
                w.u64(commit.0);
            }
            PaxosMsg::HeartbeatAck { ballot } => {
                w.u8(7);
                ballot.encode(&mut w);
            }
            PaxosMsg::Fetch { from } => {
                w.u8(8).u64(from.0);
            }
            PaxosMsg::Learn { first, entries, decided } => {
                w.u8(9).u64(first.0).u64(decided.0);
                encode_entries(&mut w, entries);
            }
            PaxosMsg::Snapshot { base, offset, done, data } => {
                w.u8(10);
                base.encode(&mut w);
                w.u64(*offset).bool(*done).bytes(data);
            }
            PaxosMsg::FetchChunk { index, offset } => {
                w.u8(11).u64(index.0).u64(*offset);
            }
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        let m = match r.u8()? {
            1 => PaxosMsg::Prepare { ballot: Ballot::decode(&mut r)?, from: LogIndex(r.u64()?) },
            2 => {
                let ballot = Ballot::decode(&mut r)?;
                let decided = LogIndex(r.u64()?);
                let n = r.u32()? as usize;
                if n > bytes.len() / (SLOT_FIXED + MIN_ENTRY_BYTES) {
                    return None;
                }
                let mut accepted = Vec::with_capacity(n);
                for _ in 0..n {
                    accepted.push(AcceptedSlot {
                        slot: LogIndex(r.u64()?),
                        ballot: Ballot::decode(&mut r)?,
                        entry: Entry::decode(&mut r)?,
                    });
                }
                PaxosMsg::Promise { ballot, decided, accepted }
            }
            3 => PaxosMsg::Accept {
                ballot: Ballot::decode(&mut r)?,
                first: LogIndex(r.u64()?),
                commit: LogIndex(r.u64()?),
                entries: decode_entries(&mut r, bytes.len())?,
            },
            4 => PaxosMsg::Accepted {
                ballot: Ballot::decode(&mut r)?,
                first: LogIndex(r.u64()?),
                count: r.u32()?,
            },
            5 => PaxosMsg::Nack { promised: Ballot::decode(&mut r)? },
            6 => PaxosMsg::Heartbeat { ballot: Ballot::decode(&mut r)?, commit: LogIndex(r.u64()?) },
            7 => PaxosMsg::HeartbeatAck { ballot: Ballot::decode(&mut r)? },
            8 => PaxosMsg::Fetch { from: LogIndex(r.u64()?) },
            9 => PaxosMsg::Learn {
                first: LogIndex(r.u64()?),
                decided: LogIndex(r.u64()?),
                entries: decode_entries(&mut r, bytes.len())?,
            },
            10 => PaxosMsg::Snapshot {
                base: LogBase::decode(&mut r)?,
                offset: r.u64()?,
                done: r.bool()?,
                data: r.bytes()?.into(),
            },
            11 => PaxosMsg::FetchChunk { index: LogIndex(r.u64()?), offset: r.u64()? },
            _ => return None,
        };
        r.finish(m)
    }
}

/// Slot numbers in words: `none`, `7`, `7-9` (or `7, 9, 12` when not contiguous).
fn slots_in_words(slots: impl Iterator<Item = u64>) -> String {
    let v: Vec<u64> = slots.collect();
    match v.as_slice() {
        [] => "none".to_string(),
        [one] => one.to_string(),
        [first, .., last] if v.windows(2).all(|w| w[1] == w[0] + 1) => format!("{first}-{last}"),
        _ => v.iter().map(u64::to_string).collect::<Vec<_>>().join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::Payload;
    use eightfold_sim::sim::rng::Draw;
    use eightfold_sim::sim::{NodeId, RngStreams, Term};

    fn b(round: u64, node: u32) -> Ballot {
        Ballot { round: Round(round), node: NodeId(node) }
    }

    fn samples() -> Vec<PaxosMsg> {
        let cmd = |t: u64, x: u8| Entry { term: Term(t), payload: Payload::Command(vec![x; 3].into()) };
        let noop = |t: u64| Entry { term: Term(t), payload: Payload::Noop };
        vec![
            PaxosMsg::Prepare { ballot: b(4, 0), from: LogIndex(7) },
            PaxosMsg::Promise {
                ballot: b(4, 0),
                decided: LogIndex(6),
                accepted: vec![
                    AcceptedSlot { slot: LogIndex(7), ballot: b(2, 1), entry: cmd(2, 1) },
                    AcceptedSlot { slot: LogIndex(9), ballot: b(3, 2), entry: noop(1) },
                ],
            },
            PaxosMsg::Promise { ballot: b(4, 0), decided: LogIndex(0), accepted: vec![] },
            PaxosMsg::Accept {
                ballot: b(4, 0),
                first: LogIndex(7),
                entries: vec![cmd(2, 1), noop(4), cmd(4, 9)],
                commit: LogIndex(6),
            },
            PaxosMsg::Accept { ballot: b(4, 0), first: LogIndex(7), entries: vec![], commit: LogIndex(6) },
            PaxosMsg::Accepted { ballot: b(4, 0), first: LogIndex(7), count: 3 },
            PaxosMsg::Nack { promised: b(5, 1) },
            PaxosMsg::Heartbeat { ballot: b(4, 0), commit: LogIndex(9) },
            PaxosMsg::HeartbeatAck { ballot: b(4, 0) },
            PaxosMsg::Fetch { from: LogIndex(3) },
            PaxosMsg::Learn { first: LogIndex(3), entries: vec![noop(1), cmd(1, 2)], decided: LogIndex(9) },
            PaxosMsg::Snapshot {
                base: LogBase { index: LogIndex(9), term: Term(4), chain: 77 },
                offset: 2048,
                done: false,
                data: vec![5u8; 1000].into(),
            },
            PaxosMsg::FetchChunk { index: LogIndex(9), offset: 3048 },
        ]
    }

    #[test]
    fn every_message_round_trips_with_an_honest_size() {
        for m in samples() {
            let mut bytes = Vec::new();
            m.encode(&mut bytes);
            assert_eq!(bytes.len() as u32, m.encoded_len(), "{m:?}");
            assert_eq!(m.wire_size(), HEADER + bytes.len() as u32);
            assert_eq!(PaxosMsg::decode(&bytes), Some(m.clone()));
            assert!(m.plausible(), "{m:?}");
            for cut in 0..bytes.len() {
                assert_eq!(PaxosMsg::decode(&bytes[..cut]), None, "{} cut at {cut}", m.kind());
            }
        }
    }

    #[test]
    fn implausible_messages_are_recognised() {
        let future = PaxosMsg::Accept {
            ballot: b(2, 0),
            first: LogIndex(1),
            entries: vec![Entry { term: Term(3), payload: Payload::Noop }],
            commit: LogIndex(0),
        };
        assert!(!future.plausible());
        assert!(!PaxosMsg::Heartbeat { ballot: b(u64::MAX, 0), commit: LogIndex(0) }.plausible());
        assert!(!PaxosMsg::Accepted { ballot: b(1, 0), first: LogIndex(0), count: 1 }.plausible());
        let unordered = PaxosMsg::Promise {
            ballot: b(4, 0),
            decided: LogIndex(0),
            accepted: vec![
                AcceptedSlot {
                    slot: LogIndex(2),
                    ballot: b(1, 1),
                    entry: Entry { term: Term(1), payload: Payload::Noop },
                },
                AcceptedSlot {
                    slot: LogIndex(2),
                    ballot: b(1, 1),
                    entry: Entry { term: Term(1), payload: Payload::Noop },
                },
            ],
        };
        assert!(!unordered.plausible());
        let above = PaxosMsg::Promise {
            ballot: b(4, 0),
            decided: LogIndex(0),
            accepted: vec![AcceptedSlot {
                slot: LogIndex(2),
                ballot: b(5, 1),
                entry: Entry { term: Term(1), payload: Payload::Noop },
            }],
        };
        assert!(!above.plausible());
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = RngStreams::new(9).stream("fuzz");
        let encoded: Vec<Vec<u8>> = samples()
            .iter()
            .map(|m| {
                let mut v = Vec::new();
                m.encode(&mut v);
                v
            })
            .collect();
        for round in 0..20_000 {
            let mut bytes = encoded[round % encoded.len()].clone();
            for _ in 0..rng.between(1, 4) {
                let i = rng.below(bytes.len() as u64) as usize;
                bytes[i] ^= 1 << rng.below(8);
            }
            if let Some(m) = PaxosMsg::decode(&bytes) {
                let mut again = Vec::new();
                m.encode(&mut again);
                assert_eq!(again, bytes);
                let _ = m.plausible();
            }
            let random: Vec<u8> = (0..rng.below(64)).map(|_| rng.word() as u8).collect();
            let _ = PaxosMsg::decode(&random);
        }
        // Huge counts with tiny bodies are refused without allocating.
        for (tag, fixed) in [(2u8, 20), (3, 28), (9, 16)] {
            let mut bytes = vec![tag];
            bytes.extend_from_slice(&vec![0u8; fixed]);
            bytes.extend_from_slice(&u32::MAX.to_le_bytes());
            assert_eq!(PaxosMsg::decode(&bytes), None);
        }
    }

    #[test]
    fn slots_read_as_ranges_when_contiguous() {
        assert_eq!(slots_in_words(std::iter::empty()), "none");
        assert_eq!(slots_in_words([7].into_iter()), "7");
        assert_eq!(slots_in_words([7, 8, 9].into_iter()), "7-9");
        assert_eq!(slots_in_words([7, 9, 12].into_iter()), "7, 9, 12");
    }
}
