//! The replicated log: entries after the last snapshot, each with the hash of the prefix
//! ending at it. Raft keeps its log in it (Log Matching, Raft §5.3), Multi-Paxos its
//! decided prefix (slots instead of indexes, ballot rounds instead of terms).
//!
//! Every stored entry carries a *chain* hash of the whole prefix ending at it (previous
//! chain, term, payload), announced in `Observation::Appended`, so checkers can verify that
//! two replicas agree on a prefix by comparing two numbers.
//!
//! Terms never decrease along a log (a leader only appends entries of its current term on
//! top of entries from earlier terms), which lets the conflict searches of Raft §5.3 be
//! binary searches. The prefix up to `base` lives in the snapshot; only its index, term and
//! chain are kept here.
//!
//! # Payloads
//!
//! The log is generic over what its entries carry ([`LogPayload`]). [`Payload`] is what
//! every protocol's log can hold — a no-op or a client command — and is the whole of
//! Multi-Paxos's payload. A protocol with values of its own defines its own payload enum
//! (Raft's `RaftPayload` adds membership configurations) with the same tags for the shared
//! variants, so a value one protocol does not know can never appear in its log: Paxos's
//! decoder refuses Raft's configuration tag.

use std::fmt::Debug;
use std::sync::Arc;

use crate::wire::{Reader, Writer};
use eightfold_sim::sim::digest::Digest;
use eightfold_sim::sim::{LogIndex, Term};

/// What a log entry can carry: a value with a stable, tagged encoding and a stable hash.
///
/// The encoding is one tag byte followed by the body; the hash folds the tag and then the
/// body. Tags [`Payload::NOOP_TAG`] and [`Payload::COMMAND_TAG`] are the shared variants; a
/// protocol's own variants use tags above them.
pub trait LogPayload: Clone + Debug + PartialEq + Eq {
    /// The tag byte that starts the encoding.
    fn tag(&self) -> u8;

    /// Bytes of the body (the encoding without its tag).
    fn body_len(&self) -> u32;

    /// Appends the body (the tag is written by [`LogPayload::encode`]).
    fn encode_body(&self, w: &mut Writer<'_>);

    /// Decodes the body of a payload tagged `tag` (`None` for an unknown tag or bad bytes;
    /// never allocates beyond the input's size).
    fn decode_body(tag: u8, r: &mut Reader<'_>) -> Option<Self>;

    /// Folds the body into a digest (the tag is folded by [`LogPayload::fold`]).
    fn fold_body(&self, d: &mut Digest);

    /// Bytes of the payload's encoding.
    fn encoded_len(&self) -> u32 {
        1 + self.body_len()
    }

    /// Appends the stable encoding.
    fn encode(&self, w: &mut Writer<'_>) {
        w.u8(self.tag());
        self.encode_body(w);
    }

    /// Decodes a payload.
    fn decode(r: &mut Reader<'_>) -> Option<Self> {
        let tag = r.u8()?;
        Self::decode_body(tag, r)
    }

    /// Folds the payload into a digest.
    fn fold(&self, d: &mut Digest) {
        d.word(self.tag() as u64);
        self.fold_body(d);
    }

    /// A stable hash of the payload (the `command` of `Observation::Applied`).
    fn hash(&self) -> u64 {
        let mut d = Digest::new();
        self.fold(&mut d);
        d.finish()
    }
}

/// What every replicated log can carry; Multi-Paxos's whole payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Nothing: the entry a new leader appends to commit entries of earlier terms (Raft
    /// §5.4.2, §8), or the value a Paxos leader proposes to fill a gap.
    Noop,
    /// A client command: the bytes of a [`crate::kv::ClientRequest`].
    Command(Arc<[u8]>),
}

impl Payload {
    /// The tag of [`Payload::Noop`].
    pub const NOOP_TAG: u8 = 0;
    /// The tag of [`Payload::Command`].
    pub const COMMAND_TAG: u8 = 1;

    /// Bytes of a command's body (its length prefix and its bytes).
    pub fn command_len(bytes: &[u8]) -> u32 {
        4 + bytes.len() as u32
    }
}

impl LogPayload for Payload {
    fn tag(&self) -> u8 {
        match self {
            Payload::Noop => Self::NOOP_TAG,
            Payload::Command(_) => Self::COMMAND_TAG,
        }
    }

    fn body_len(&self) -> u32 {
        match self {
            Payload::Noop => 0,
            Payload::Command(b) => Self::command_len(b),
        }
    }

    fn encode_body(&self, w: &mut Writer<'_>) {
        match self {
            Payload::Noop => {}
            Payload::Command(b) => {
                w.bytes(b);
            }
        }
    }

    fn decode_body(tag: u8, r: &mut Reader<'_>) -> Option<Payload> {
        match tag {
            Self::NOOP_TAG => Some(Payload::Noop),
            Self::COMMAND_TAG => Some(Payload::Command(r.bytes()?.into())),
            _ => None,
        }
    }

    fn fold_body(&self, d: &mut Digest) {
        match self {
            Payload::Noop => {}
            Payload::Command(b) => d.bytes(b),
        }
    }
}

/// One log entry, as replicated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<P = Payload> {
    /// The term of the leader that created it (Paxos: the round of the ballot that
    /// proposed it).
    pub term: Term,
    /// What it carries.
    pub payload: P,
}

impl<P: LogPayload> Entry<P> {
    /// Bytes of the entry's encoding.
    pub fn encoded_len(&self) -> u32 {
        8 + self.payload.encoded_len()
    }

    /// Appends the stable encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.u64(self.term.0);
        self.payload.encode(w);
    }

    /// Decodes an entry.
    pub fn decode(r: &mut Reader<'_>) -> Option<Entry<P>> {
        Some(Entry { term: Term(r.u64()?), payload: P::decode(r)? })
    }

    /// The chain hash of the prefix ending at this entry, given the previous entry's chain.
    pub fn chain(&self, prev: u64) -> u64 {
        let mut d = Digest::new();
        d.word(prev);
        d.word(self.term.0);
        self.payload.fold(&mut d);
        d.finish()
    }
}

/// Smallest encoding of an entry (term + payload tag), used to bound decoders.
pub const MIN_ENTRY_BYTES: usize = 9;

#[derive(Clone, Debug)]
struct Stored<P> {
    entry: Entry<P>,
    chain: u64,
}

/// The point a log starts after: the last entry covered by the snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogBase {
    /// Index of the last compacted entry (0: nothing compacted).
    pub index: LogIndex,
    /// Its term.
    pub term: Term,
    /// Its chain hash (0 for the empty prefix).
    pub chain: u64,
}

impl LogBase {
    /// Bytes of the encoding.
    pub const ENCODED_LEN: u32 = 24;

    /// Appends the stable encoding (index, term, chain).
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.u64(self.index.0).u64(self.term.0).u64(self.chain);
    }

    /// Decodes a base.
    pub fn decode(r: &mut Reader<'_>) -> Option<LogBase> {
        Some(LogBase { index: LogIndex(r.u64()?), term: Term(r.u64()?), chain: r.u64()? })
    }
}

/// The log entries after the snapshot.
#[derive(Clone, Debug)]
pub struct ReplicaLog<P = Payload> {
    base: LogBase,
    entries: Vec<Stored<P>>,
}

impl<P> Default for ReplicaLog<P> {
    fn default() -> Self {
        ReplicaLog { base: LogBase::default(), entries: Vec::new() }
    }
}

impl<P: LogPayload> ReplicaLog<P> {
    /// An empty log starting after `base`.
    pub fn new(base: LogBase) -> Self {
        ReplicaLog { base, entries: Vec::new() }
    }

    /// The snapshot point.
    pub fn base(&self) -> LogBase {
        self.base
    }

    /// Index of the last entry (the base if no entry follows it).
    pub fn last_index(&self) -> LogIndex {
        LogIndex(self.base.index.0 + self.entries.len() as u64)
    }

    /// Term of the last entry.
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.base.term, |s| s.entry.term)
    }

    /// Number of entries held in memory.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no entry follows the base.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn slot(&self, i: LogIndex) -> Option<usize> {
        if i <= self.base.index {
            return None;
        }
        let k = (i.0 - self.base.index.0 - 1) as usize;
        (k < self.entries.len()).then_some(k)
    }

    /// Term of the entry at `i`, if known (the base or a held entry).
    pub fn term_at(&self, i: LogIndex) -> Option<Term> {
        if i == self.base.index {
            return Some(self.base.term);
        }
        self.slot(i).map(|k| self.entries[k].entry.term)
    }

    /// Chain hash of the prefix ending at `i`, if known.
    pub fn chain_at(&self, i: LogIndex) -> Option<u64> {
        if i == self.base.index {
            return Some(self.base.chain);
        }
        self.slot(i).map(|k| self.entries[k].chain)
    }

    /// The base the log would have if compacted up to `i` (`None` unless `i` is the base
    /// or a held entry).
    pub fn base_at(&self, i: LogIndex) -> Option<LogBase> {
        Some(LogBase { index: i, term: self.term_at(i)?, chain: self.chain_at(i)? })
    }

    /// The entry at `i`, if held.
    pub fn entry(&self, i: LogIndex) -> Option<&Entry<P>> {
        self.slot(i).map(|k| &self.entries[k].entry)
    }

    /// Appends an entry; returns its index and chain hash.
    pub fn append(&mut self, entry: Entry<P>) -> (LogIndex, u64) {
        let chain = entry.chain(self.chain_at(self.last_index()).unwrap_or(0));
        self.entries.push(Stored { entry, chain });
        (self.last_index(), chain)
    }

    /// Discards every entry from `from` on (never the base).
    pub fn truncate_from(&mut self, from: LogIndex) {
        let keep = from.0.saturating_sub(self.base.index.0 + 1) as usize;
        self.entries.truncate(keep);
    }

    /// Drops the entries up to `base.index`, which a snapshot now covers. If the log does not
    /// hold that entry with that term, the whole log is discarded (it conflicts with the
    /// snapshot, whose content is committed).
    pub fn compact_to(&mut self, base: LogBase) {
        if base.index <= self.base.index {
            return;
        }
        if self.term_at(base.index) == Some(base.term) {
            let k = (base.index.0 - self.base.index.0) as usize;
            self.entries.drain(..k);
        } else {
            self.entries.clear();
        }
        self.base = base;
    }

    /// Up to `max_n` entries (and about `max_bytes` of them, at least one) from `from` on.
    pub fn slice(&self, from: LogIndex, max_n: u32, max_bytes: u32) -> Vec<Entry<P>> {
        self.tail(from).take(self.slice_len(from, max_n, max_bytes)).cloned().collect()
    }

    /// How many entries [`Self::slice`] would return, without copying them.
    pub fn slice_len(&self, from: LogIndex, max_n: u32, max_bytes: u32) -> usize {
        let Some(start) = self.slot(from) else {
            return 0;
        };
        let mut n = 0;
        let mut bytes = 0u32;
        for s in self.entries[start..].iter().take(max_n.max(1) as usize) {
            let size = s.entry.encoded_len();
            if n > 0 && bytes.saturating_add(size) > max_bytes {
                break;
            }
            bytes = bytes.saturating_add(size);
            n += 1;
        }
        n
    }

    /// Entries from `from` to the end, for rewriting the WAL.
    pub fn tail(&self, from: LogIndex) -> impl Iterator<Item = &Entry<P>> {
        let start = self.slot(from).unwrap_or(self.entries.len());
        self.entries[start..].iter().map(|s| &s.entry)
    }

    /// The first index holding an entry of `term`, searching only held entries; the index
    /// just after the base if every held entry before `term`'s first is of a lower term.
    /// Used by a Raft follower to report a conflict (§5.3).
    pub fn first_index_of_term(&self, term: Term) -> LogIndex {
        let k = self.entries.partition_point(|s| s.entry.term < term);
        LogIndex(self.base.index.0 + 1 + k as u64)
    }

    /// The last index holding an entry of `term`, if the log has one. Used by a Raft leader
    /// to skip a follower's whole conflicting term at once (§5.3).
    pub fn last_index_of_term(&self, term: Term) -> Option<LogIndex> {
        let k = self.entries.partition_point(|s| s.entry.term <= term);
        if k > 0 && self.entries[k - 1].entry.term == term {
            Some(LogIndex(self.base.index.0 + k as u64))
        } else if k == 0 && self.base.term == term && self.base.index.0 > 0 {
            Some(self.base.index)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(term: u64) -> Entry {
        Entry { term: Term(term), payload: Payload::Noop }
    }

    #[test]
    fn indexes_terms_and_chains() {
        let mut log = ReplicaLog::<Payload>::default();
        assert_eq!(log.last_index(), LogIndex(0));
        assert_eq!(log.term_at(LogIndex(0)), Some(Term(0)));
        for t in [1, 1, 2, 4, 4] {
            log.append(e(t));
        }
        assert_eq!(log.last_index(), LogIndex(5));
        assert_eq!(log.term_at(LogIndex(3)), Some(Term(2)));
        assert_eq!(log.term_at(LogIndex(6)), None);
        assert_eq!(log.first_index_of_term(Term(4)), LogIndex(4));
        assert_eq!(log.first_index_of_term(Term(3)), LogIndex(4));
        assert_eq!(log.last_index_of_term(Term(1)), Some(LogIndex(2)));
        assert_eq!(log.last_index_of_term(Term(3)), None);
        let c3 = log.chain_at(LogIndex(3)).unwrap();
        // Same entries, same chain; a different term below changes everything above.
        let mut other = ReplicaLog::<Payload>::default();
        for t in [1, 1, 2] {
            other.append(e(t));
        }
        assert_eq!(other.chain_at(LogIndex(3)), Some(c3));
        let mut third = ReplicaLog::<Payload>::default();
        for t in [1, 2, 2] {
            third.append(e(t));
        }
        assert_ne!(third.chain_at(LogIndex(3)), Some(c3));
        log.truncate_from(LogIndex(4));
        assert_eq!(log.last_index(), LogIndex(3));
        log.compact_to(LogBase {
            index: LogIndex(2),
            term: Term(1),
            chain: log.chain_at(LogIndex(2)).unwrap(),
        });
        assert_eq!(log.len(), 1);
        assert_eq!(log.chain_at(LogIndex(3)), Some(c3));
        assert_eq!(log.term_at(LogIndex(1)), None);
        assert_eq!(log.last_index_of_term(Term(1)), Some(LogIndex(2)));
        assert_eq!(log.slice(LogIndex(3), 10, 10).len(), 1);
        assert!(log.slice(LogIndex(2), 10, 10).is_empty());
    }

    #[test]
    fn slices_respect_count_and_bytes() {
        let mut log = ReplicaLog::<Payload>::default();
        for _ in 0..10 {
            log.append(Entry { term: Term(1), payload: Payload::Command(vec![0u8; 100].into()) });
        }
        assert_eq!(log.slice(LogIndex(1), 3, 1 << 20).len(), 3);
        assert_eq!(log.slice(LogIndex(1), 100, 250).len(), 2);
        assert_eq!(log.slice(LogIndex(1), 100, 1).len(), 1, "at least one entry");
        assert_eq!(log.slice(LogIndex(9), 100, 1 << 20).len(), 2);
    }

    #[test]
    fn compacting_past_a_conflict_discards_the_log() {
        let mut log = ReplicaLog::<Payload>::default();
        log.append(e(1));
        log.append(e(1));
        log.compact_to(LogBase { index: LogIndex(2), term: Term(3), chain: 7 });
        assert!(log.is_empty());
        assert_eq!(log.last_index(), LogIndex(2));
        assert_eq!(log.last_term(), Term(3));
    }

    #[test]
    fn the_shared_payload_knows_only_its_own_tags() {
        for tag in 2..=u8::MAX {
            let bytes = [tag, 0, 0, 0, 0];
            assert_eq!(Payload::decode(&mut Reader::new(&bytes)), None, "tag {tag}");
        }
        let cmd = Payload::Command(vec![7u8; 5].into());
        let mut bytes = Vec::new();
        cmd.encode(&mut Writer::new(&mut bytes));
        assert_eq!(bytes.len() as u32, cmd.encoded_len());
        assert_eq!(Payload::decode(&mut Reader::new(&bytes)), Some(cmd));
    }

    #[test]
    fn a_base_round_trips_in_its_encoded_length() {
        let base = LogBase { index: LogIndex(9), term: Term(4), chain: 77 };
        let mut bytes = Vec::new();
        base.encode(&mut Writer::new(&mut bytes));
        assert_eq!(bytes.len() as u32, LogBase::ENCODED_LEN);
        assert_eq!(LogBase::decode(&mut Reader::new(&bytes)), Some(base));
        assert_eq!(LogBase::decode(&mut Reader::new(&bytes[..23])), None);
    }
}
