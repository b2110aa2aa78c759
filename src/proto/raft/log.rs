//! The in-memory Raft log: entries after the last snapshot, with each entry's prefix hash.
//!
//! Log Matching (§5.3): if two logs hold an entry with the same index and term, they are
//! identical up to it. Every stored entry carries a *chain* hash of the whole prefix ending
//! at it (previous chain, term, payload), announced in `Observation::Appended`, so checkers
//! can verify the property by comparing two numbers.
//!
//! Terms never decrease along a log (a leader only appends entries of its current term on
//! top of entries from earlier terms), which lets the conflict searches of §5.3 be binary
//! searches. The prefix up to `base` lives in the snapshot; only its index, term and chain
//! are kept here.

use std::sync::Arc;

use crate::proto::wire::{Reader, Writer};
use crate::sim::digest::Digest;
use crate::sim::{LogIndex, NodeId, Term};

/// What a log entry carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Nothing: the entry a new leader appends to commit entries of earlier terms (§5.4.2,
    /// §8).
    Noop,
    /// A client command: the bytes of a [`crate::proto::kv::ClientRequest`].
    Command(Arc<[u8]>),
    /// A new cluster configuration: the voting members after a single-server change
    /// (dissertation §4.1), sorted.
    Config(Arc<[NodeId]>),
}

impl Payload {
    fn tag(&self) -> u8 {
        match self {
            Payload::Noop => 0,
            Payload::Command(_) => 1,
            Payload::Config(_) => 2,
        }
    }

    /// Bytes of the payload's encoding.
    pub fn encoded_len(&self) -> u32 {
        1 + match self {
            Payload::Noop => 0,
            Payload::Command(b) => 4 + b.len() as u32,
            Payload::Config(v) => 4 + 4 * v.len() as u32,
        }
    }

    /// Appends the stable encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.u8(self.tag());
        match self {
            Payload::Noop => {}
            Payload::Command(b) => {
                w.bytes(b);
            }
            Payload::Config(v) => {
                w.u32(v.len() as u32);
                for n in v.iter() {
                    w.u32(n.0);
                }
            }
        }
    }

    /// Decodes a payload (`None` for bad bytes; never allocates beyond the input's size).
    pub fn decode(r: &mut Reader<'_>) -> Option<Payload> {
        Some(match r.u8()? {
            0 => Payload::Noop,
            1 => Payload::Command(r.bytes()?.into()),
            2 => Payload::Config(decode_nodes(r)?),
            _ => return None,
        })
    }

    /// A stable hash of the payload (the `command` of `Observation::Applied`).
    pub fn hash(&self) -> u64 {
        let mut d = Digest::new();
        self.fold(&mut d);
        d.finish()
    }

    fn fold(&self, d: &mut Digest) {
        d.word(self.tag() as u64);
        match self {
            Payload::Noop => {}
            Payload::Command(b) => d.bytes(b),
            Payload::Config(v) => {
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

/// One log entry, as replicated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: Term,
    /// What it carries.
    pub payload: Payload,
}

impl Entry {
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
    pub fn decode(r: &mut Reader<'_>) -> Option<Entry> {
        Some(Entry { term: Term(r.u64()?), payload: Payload::decode(r)? })
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
struct Stored {
    entry: Entry,
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

/// The log entries after the snapshot.
#[derive(Clone, Debug, Default)]
pub struct RaftLog {
    base: LogBase,
    entries: Vec<Stored>,
}

impl RaftLog {
    /// An empty log starting after `base`.
    pub fn new(base: LogBase) -> Self {
        RaftLog { base, entries: Vec::new() }
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

    /// The entry at `i`, if held.
    pub fn entry(&self, i: LogIndex) -> Option<&Entry> {
        self.slot(i).map(|k| &self.entries[k].entry)
    }

    /// Appends an entry; returns its index and chain hash.
    pub fn append(&mut self, entry: Entry) -> (LogIndex, u64) {
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
    pub fn slice(&self, from: LogIndex, max_n: u32, max_bytes: u32) -> Vec<Entry> {
        let Some(start) = self.slot(from) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut bytes = 0u32;
        for s in self.entries[start..].iter().take(max_n.max(1) as usize) {
            let size = s.entry.encoded_len();
            if !out.is_empty() && bytes.saturating_add(size) > max_bytes {
                break;
            }
            bytes = bytes.saturating_add(size);
            out.push(s.entry.clone());
        }
        out
    }

    /// Entries from `from` to the end, for rewriting the WAL.
    pub fn tail(&self, from: LogIndex) -> impl Iterator<Item = &Entry> {
        let start = self.slot(from).unwrap_or(self.entries.len());
        self.entries[start..].iter().map(|s| &s.entry)
    }

    /// The first index holding an entry of `term`, searching only held entries; the index
    /// just after the base if every held entry before `term`'s first is of a lower term.
    /// Used by a follower to report a conflict (§5.3).
    pub fn first_index_of_term(&self, term: Term) -> LogIndex {
        let k = self.entries.partition_point(|s| s.entry.term < term);
        LogIndex(self.base.index.0 + 1 + k as u64)
    }

    /// The last index holding an entry of `term`, if the log has one. Used by a leader to
    /// skip a follower's whole conflicting term at once (§5.3).
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
        let mut log = RaftLog::default();
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
        let mut other = RaftLog::default();
        for t in [1, 1, 2] {
            other.append(e(t));
        }
        assert_eq!(other.chain_at(LogIndex(3)), Some(c3));
        let mut third = RaftLog::default();
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
        let mut log = RaftLog::default();
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
        let mut log = RaftLog::default();
        log.append(e(1));
        log.append(e(1));
        log.compact_to(LogBase { index: LogIndex(2), term: Term(3), chain: 7 });
        assert!(log.is_empty());
        assert_eq!(log.last_index(), LogIndex(2));
        assert_eq!(log.last_term(), Term(3));
    }
}
