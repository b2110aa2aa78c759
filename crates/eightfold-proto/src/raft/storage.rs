//! What a Raft server keeps on disk, and how it is read back after a crash.
//!
//! Figure 2's persistent state (`currentTerm`, `votedFor`, `log[]`) lives in a write-ahead
//! log, file [`WAL`], as framed records ([`eightfold_sim::disk::wal`]: length + CRC32):
//! - `HardState{term, vote}` — written whenever the term or the vote changes;
//! - `Entries{first, entries}` — entries appended at `first` (anything from `first` on is
//!   replaced, so a record following a conflict implicitly truncates);
//! - `Truncate{from}` — entries from `from` on are discarded (a conflicting suffix, §5.3);
//! - `Base{index, term, chain}` — the first record of a WAL rewritten after a snapshot: the
//!   log continues after this point.
//!
//! The snapshot (§7) lives in file [`SNAPSHOT`] as a single framed record: its metadata
//! (last included index, term and prefix chain, the configuration as of that index) and
//! the key-value store's serialized state. It is written with `Replace` (atomic rename), so
//! after a crash it is wholly the old or wholly the new one.
//!
//! Nothing is trusted until fsynced: the node holds every answer that depends on a write
//! until the fsync covering it completes (see `node.rs`).
//!
//! Recovery ([`recover`]) replays the records in order. A torn last record (a crash during
//! an append that was never acknowledged) is dropped and the file truncated to the valid
//! length at start. A record that is complete but fails its checksum is different: it may
//! hold a vote or an entry this server already promised to others, and running on without
//! it would be amnesia — a second vote in the same term, or a lost committed entry. Such a
//! server refuses to run (see [`RecoveryError`]).

use std::sync::Arc;

use crate::kv::KvStore;
pub use crate::replica::RecoveryError;
use crate::replica::recovery;
use crate::wire::{Reader, Writer};
use eightfold_sim::disk::wal;
use eightfold_sim::sim::{FileId, LogIndex, NodeId, StorageView, Term};

use super::log::{Entry, LogBase, RaftLog, decode_nodes, encode_nodes};

/// The write-ahead log file: hard state and log entries.
pub const WAL: FileId = FileId(0);
/// The snapshot file.
pub const SNAPSHOT: FileId = FileId(1);

/// Entries per record when a whole log is rewritten.
const REWRITE_CHUNK: usize = 1024;

/// What a snapshot covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotMeta {
    /// The last log index the snapshot includes.
    pub index: LogIndex,
    /// The term of that entry.
    pub term: Term,
    /// The chain hash of the prefix ending at that entry.
    pub chain: u64,
    /// The voting members as of that entry.
    pub voters: Arc<[NodeId]>,
}

impl SnapshotMeta {
    /// Bytes of the encoding.
    pub fn encoded_len(&self) -> u32 {
        24 + 4 + 4 * self.voters.len() as u32
    }

    /// Appends the stable encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.u64(self.index.0).u64(self.term.0).u64(self.chain);
        encode_nodes(w, &self.voters);
    }

    /// Decodes metadata.
    pub fn decode(r: &mut Reader<'_>) -> Option<SnapshotMeta> {
        Some(SnapshotMeta {
            index: LogIndex(r.u64()?),
            term: Term(r.u64()?),
            chain: r.u64()?,
            voters: decode_nodes(r)?,
        })
    }

    /// The log base this snapshot establishes.
    pub fn base(&self) -> LogBase {
        LogBase { index: self.index, term: self.term, chain: self.chain }
    }
}

/// A snapshot: what it covers and the serialized state machine.
pub type Snapshot = (SnapshotMeta, Arc<[u8]>);

/// The content of the snapshot file.
pub fn snapshot_file(meta: &SnapshotMeta, data: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(meta.encoded_len() as usize + 4 + data.len());
    let mut w = Writer::new(&mut payload);
    meta.encode(&mut w);
    w.bytes(data);
    wal::framed(&payload)
}

const HARD_STATE: u8 = 1;
const ENTRIES: u8 = 2;
const TRUNCATE: u8 = 3;
const BASE: u8 = 4;

/// A framed `HardState` record.
pub fn hard_state_record(term: Term, vote: Option<NodeId>) -> Vec<u8> {
    let mut p = Vec::with_capacity(13);
    Writer::new(&mut p).u8(HARD_STATE).u64(term.0).u32(vote.map_or(u32::MAX, |v| v.0));
    wal::framed(&p)
}

/// Appends a framed `Entries` record for `entries` placed at `first`, `first + 1`, ….
pub fn entries_record<'a>(
    out: &mut Vec<u8>,
    first: LogIndex,
    entries: impl ExactSizeIterator<Item = &'a Entry> + Clone,
) {
    // Sized up front and written in place: one allocation for the record, not a payload
    // vector grown step by step and then copied.
    let size = 13 + entries.clone().map(|e| e.encoded_len() as usize).sum::<usize>();
    wal::frame_in_place(out, size, |p| {
        let mut w = Writer::new(p);
        w.u8(ENTRIES).u64(first.0).u32(entries.len() as u32);
        for e in entries {
            e.encode(&mut w);
        }
    });
}

/// A framed `Truncate` record.
pub fn truncate_record(from: LogIndex) -> Vec<u8> {
    let mut p = Vec::with_capacity(9);
    Writer::new(&mut p).u8(TRUNCATE).u64(from.0);
    wal::framed(&p)
}

/// The whole content of a WAL rewritten after a snapshot: the base, the hard state and
/// every entry after the base.
pub fn rewritten_wal(log: &RaftLog, term: Term, vote: Option<NodeId>) -> Vec<u8> {
    let base = log.base();
    let mut p = Vec::with_capacity(25);
    base.encode(Writer::new(&mut p).u8(BASE));
    let mut out = wal::framed(&p);
    out.extend_from_slice(&hard_state_record(term, vote));
    let mut next = base.index.next();
    let all: Vec<&Entry> = log.tail(next).collect();
    for chunk in all.chunks(REWRITE_CHUNK) {
        entries_record(&mut out, next, chunk.iter().copied());
        next = LogIndex(next.0 + chunk.len() as u64);
    }
    out
}

/// The durable state read back at start.
#[derive(Debug)]
pub struct Recovered {
    /// `currentTerm`.
    pub term: Term,
    /// `votedFor` in that term.
    pub vote: Option<NodeId>,
    /// The log (after the snapshot).
    pub log: RaftLog,
    /// The snapshot, if there is one.
    pub snapshot: Option<Snapshot>,
    /// The state machine as of the snapshot (empty without one).
    pub kv: KvStore,
    /// Set if the WAL ended in a torn record: the file must be cut to this length before
    /// anything is appended.
    pub truncate_wal_to: Option<u64>,
    /// Set if the WAL predates the snapshot (a crash interrupted a compaction or an
    /// installation between its two steps): the WAL must be rewritten from the recovered
    /// state before anything is appended, or new entries would follow a log that does not
    /// reach the snapshot.
    pub rewrite_wal: bool,
}

/// Reads a server's durable state.
pub fn recover(storage: &dyn StorageView) -> Result<Recovered, RecoveryError> {
    let snapshot = read_snapshot(&storage.read(SNAPSHOT))?;
    let bytes = storage.read(WAL);
    let (records, truncate_wal_to) = recovery::read_wal(&bytes)?;
    let mut term = Term(0);
    let mut vote = None;
    let mut log = RaftLog::default();
    for (n, payload) in records.iter().enumerate() {
        let bad = || RecoveryError::MalformedWal { n };
        let mut r = Reader::new(payload);
        match r.u8().ok_or_else(bad)? {
            HARD_STATE => {
                let (t, v) = (r.u64().ok_or_else(bad)?, r.u32().ok_or_else(bad)?);
                r.finish(()).ok_or_else(bad)?;
                term = Term(t);
                vote = (v != u32::MAX).then_some(NodeId(v));
            }
            ENTRIES => {
                let first = LogIndex(r.u64().ok_or_else(bad)?);
                let count = r.u32().ok_or_else(bad)?;
                if first <= log.base().index || first > log.last_index().next() {
                    return Err(bad());
                }
                log.truncate_from(first);
                for _ in 0..count {
                    log.append(Entry::decode(&mut r).ok_or_else(bad)?);
                }
                r.finish(()).ok_or_else(bad)?;
            }
            TRUNCATE => {
                let from = LogIndex(r.u64().ok_or_else(bad)?);
                r.finish(()).ok_or_else(bad)?;
                if from <= log.base().index {
                    return Err(bad());
                }
                log.truncate_from(from);
            }
            BASE => {
                let base = LogBase::decode(&mut r).ok_or_else(bad)?;
                r.finish(()).ok_or_else(bad)?;
                log = RaftLog::new(base);
            }
            _ => return Err(bad()),
        }
    }
    let mut kv = KvStore::new();
    let mut rewrite_wal = false;
    if let Some((meta, data)) = &snapshot {
        let wal_base = log.base();
        if wal_base.index > meta.index {
            return Err(RecoveryError::WalAhead { wal: wal_base.index, snapshot: meta.index });
        }
        if wal_base.index == meta.index && wal_base.term != meta.term {
            return Err(RecoveryError::CorruptSnapshot);
        }
        // A crash between the snapshot's fsync and the WAL rewrite leaves an older WAL: its
        // entries up to the snapshot are covered by it (and dropped here); if it does not
        // hold the snapshot's last entry, its suffix conflicts with committed state and is
        // dropped too (`compact_to`).
        rewrite_wal = wal_base.index < meta.index;
        log.compact_to(meta.base());
        kv = KvStore::restore(data).ok_or(RecoveryError::CorruptSnapshot)?;
    }
    Ok(Recovered { term, vote, log, snapshot, kv, truncate_wal_to, rewrite_wal })
}

fn read_snapshot(bytes: &[u8]) -> Result<Option<Snapshot>, RecoveryError> {
    let Some(record) = recovery::read_snapshot_record(bytes)? else {
        return Ok(None);
    };
    let mut r = Reader::new(&record);
    let meta = SnapshotMeta::decode(&mut r).ok_or(RecoveryError::CorruptSnapshot)?;
    let data = r.bytes().ok_or(RecoveryError::CorruptSnapshot)?;
    r.finish(()).ok_or(RecoveryError::CorruptSnapshot)?;
    Ok(Some((meta, data.into())))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::raft::log::RaftPayload;

    struct Files(BTreeMap<FileId, Vec<u8>>);
    impl StorageView for Files {
        fn read(&self, file: FileId) -> Vec<u8> {
            self.0.get(&file).cloned().unwrap_or_default()
        }
    }

    fn e(term: u64, b: u8) -> Entry {
        Entry { term: Term(term), payload: RaftPayload::Command(vec![b].into()) }
    }

    #[test]
    fn records_replay_in_order() {
        let mut w = hard_state_record(Term(2), Some(NodeId(1)));
        entries_record(&mut w, LogIndex(1), [e(1, 1), e(2, 2), e(2, 3)].iter());
        w.extend(truncate_record(LogIndex(3)));
        entries_record(&mut w, LogIndex(3), [e(3, 4)].iter());
        w.extend(hard_state_record(Term(3), None));
        let files = Files(BTreeMap::from([(WAL, w.clone())]));
        let r = recover(&files).unwrap();
        assert_eq!((r.term, r.vote), (Term(3), None));
        assert_eq!(r.log.last_index(), LogIndex(3));
        assert_eq!(r.log.entry(LogIndex(3)), Some(&e(3, 4)));
        assert_eq!(r.truncate_wal_to, None);
        // A torn tail is cut off.
        let mut torn = w.clone();
        torn.extend_from_slice(&hard_state_record(Term(9), None)[..7]);
        let r = recover(&Files(BTreeMap::from([(WAL, torn)]))).unwrap();
        assert_eq!(r.truncate_wal_to, Some(w.len() as u64));
        assert_eq!(r.term, Term(3));
        // A flipped bit in a complete record is refused.
        let mut bad = w.clone();
        bad[20] ^= 4;
        assert!(matches!(
            recover(&Files(BTreeMap::from([(WAL, bad)]))),
            Err(RecoveryError::CorruptWal { .. })
        ));
        // Entries that leave a gap are refused.
        let mut gap = Vec::new();
        entries_record(&mut gap, LogIndex(2), [e(1, 1)].iter());
        assert!(matches!(
            recover(&Files(BTreeMap::from([(WAL, gap)]))),
            Err(RecoveryError::MalformedWal { n: 0 })
        ));
    }

    #[test]
    fn snapshot_and_old_or_new_wal_agree() {
        let mut log = RaftLog::default();
        for (t, b) in [(1, 1), (1, 2), (2, 3), (2, 4)] {
            log.append(e(t, b));
        }
        let mut old_wal = hard_state_record(Term(2), None);
        entries_record(&mut old_wal, LogIndex(1), log.tail(LogIndex(1)).collect::<Vec<_>>().into_iter());
        let meta = SnapshotMeta {
            index: LogIndex(2),
            term: Term(1),
            chain: log.chain_at(LogIndex(2)).unwrap(),
            voters: vec![NodeId(0)].into(),
        };
        let snap = snapshot_file(&meta, &KvStore::new().snapshot());
        let mut compacted = log.clone();
        compacted.compact_to(meta.base());
        let new_wal = rewritten_wal(&compacted, Term(2), None);
        for w in [old_wal, new_wal] {
            let r = recover(&Files(BTreeMap::from([(WAL, w), (SNAPSHOT, snap.clone())]))).unwrap();
            assert_eq!(r.log.base(), meta.base());
            assert_eq!(r.log.last_index(), LogIndex(4));
            assert_eq!(r.log.chain_at(LogIndex(4)), log.chain_at(LogIndex(4)));
            assert_eq!(r.snapshot.as_ref().unwrap().0, meta);
        }
        assert!(
            recover(&Files(BTreeMap::from([
                (WAL, hard_state_record(Term(1), None)),
                (SNAPSHOT, snap.clone())
            ])))
            .unwrap()
            .rewrite_wal
        );
        // A snapshot from a leader that conflicts with the old WAL's suffix wins.
        let foreign =
            SnapshotMeta { index: LogIndex(3), term: Term(5), chain: 1, voters: vec![NodeId(0)].into() };
        let mut w = Vec::new();
        entries_record(&mut w, LogIndex(1), log.tail(LogIndex(1)).collect::<Vec<_>>().into_iter());
        let files = Files(BTreeMap::from([
            (WAL, w),
            (SNAPSHOT, snapshot_file(&foreign, &KvStore::new().snapshot())),
        ]));
        let r = recover(&files).unwrap();
        assert!(r.log.is_empty());
        assert_eq!(r.log.last_index(), LogIndex(3));
        // A damaged snapshot is refused.
        let mut bad = snap.clone();
        bad[10] ^= 1;
        assert_eq!(
            recover(&Files(BTreeMap::from([(SNAPSHOT, bad)]))).unwrap_err(),
            RecoveryError::CorruptSnapshot
        );
    }
}
