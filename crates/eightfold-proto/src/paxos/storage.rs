//! What a Multi-Paxos server keeps on disk, and how it is read back after a crash.
//!
//! An acceptor's promises and acceptances are the whole of Paxos's safety (*Paxos Made
//! Simple* §2.3: "an acceptor must remember this information even if it fails and then
//! restarts"), so they live in a write-ahead log, file [`WAL`], as framed records
//! ([`eightfold_sim::disk::wal`]: length + CRC32):
//! - `Promise{ballot}` — the highest ballot promised;
//! - `Accept{ballot, first, values}` — values accepted in `ballot` at consecutive slots;
//! - `Decide{upto}` — every slot up to `upto` is decided with the value accepted there
//!   (written when a learner concludes a slot is chosen from its own acceptance in the
//!   leader's ballot);
//! - `Learned{first, values}` — decided values learned from a peer (a learner whose own
//!   acceptance was missing or from another ballot);
//! - `Base{index, term, chain}` — the first record of a WAL rewritten after a snapshot: the
//!   decided prefix continues after this point.
//!
//! The snapshot lives in file [`SNAPSHOT`] as one framed record (last slot, its value's
//! term and prefix chain, then the key-value store), written with `Replace`, so after a
//! crash it is wholly the old or wholly the new one. Compaction is the two-step dance of
//! Raft's (`raft/snapshot.rs`): the snapshot is made durable first, the WAL is rewritten
//! only after.
//!
//! Recovery ([`recover`]) starts from the snapshot and replays the WAL on top, skipping
//! whatever the snapshot already covers, so an old WAL next to a newer snapshot (a crash
//! between the two steps) reads back correctly; the server then rewrites it before
//! appending. A torn last record is cut off; a complete record that fails its checksum
//! makes the server refuse to run ([`RecoveryError`]): it may hold a promise this acceptor
//! already made, and forgetting a promise is exactly how two values get chosen.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::kv::KvStore;
use crate::replica::log::{Entry, LogBase, ReplicaLog};
use crate::replica::{RecoveryError, recovery};
use crate::wire::{Reader, Writer};
use eightfold_sim::disk::wal;
use eightfold_sim::sim::{FileId, LogIndex, StorageView};

use super::ballot::Ballot;

/// The write-ahead log file: promises, acceptances and decisions.
pub const WAL: FileId = FileId(0);
/// The snapshot file.
pub const SNAPSHOT: FileId = FileId(1);

/// Values per record when a whole WAL is rewritten.
const REWRITE_CHUNK: usize = 1024;

const PROMISE: u8 = 1;
const ACCEPT: u8 = 2;
const DECIDE: u8 = 3;
const LEARNED: u8 = 4;
const BASE: u8 = 5;

/// What an acceptor accepted in one slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedValue {
    /// The ballot it was accepted in.
    pub ballot: Ballot,
    /// The value.
    pub entry: Entry,
}

/// A snapshot: the decided prefix it covers and the serialized state machine.
pub type Snapshot = (LogBase, Arc<[u8]>);

/// A framed `Promise` record.
pub fn promise_record(ballot: Ballot) -> Vec<u8> {
    let mut p = Vec::with_capacity(13);
    let mut w = Writer::new(&mut p);
    w.u8(PROMISE);
    ballot.encode(&mut w);
    wal::framed(&p)
}

/// Appends a framed `Accept` record: `entries` accepted in `ballot` at `first`, `first + 1`, ….
pub fn accept_record<'a>(
    out: &mut Vec<u8>,
    ballot: Ballot,
    first: LogIndex,
    entries: impl ExactSizeIterator<Item = &'a Entry>,
) {
    let mut p = Vec::new();
    let mut w = Writer::new(&mut p);
    w.u8(ACCEPT);
    ballot.encode(&mut w);
    w.u64(first.0).u32(entries.len() as u32);
    for e in entries {
        e.encode(&mut w);
    }
    wal::frame(&p, out);
}

/// A framed `Decide` record.
pub fn decide_record(upto: LogIndex) -> Vec<u8> {
    let mut p = Vec::with_capacity(9);
    Writer::new(&mut p).u8(DECIDE).u64(upto.0);
    wal::framed(&p)
}

/// Appends a framed `Learned` record: decided `entries` at `first`, `first + 1`, ….
pub fn learned_record<'a>(
    out: &mut Vec<u8>,
    first: LogIndex,
    entries: impl ExactSizeIterator<Item = &'a Entry>,
) {
    let mut p = Vec::new();
    let mut w = Writer::new(&mut p);
    w.u8(LEARNED).u64(first.0).u32(entries.len() as u32);
    for e in entries {
        e.encode(&mut w);
    }
    wal::frame(&p, out);
}

/// The whole content of a WAL rewritten after a snapshot: the base, the promise, the
/// decided values after the base, and every acceptance above them.
pub fn rewritten_wal(
    decided: &ReplicaLog,
    promised: Ballot,
    accepted: &BTreeMap<LogIndex, AcceptedValue>,
) -> Vec<u8> {
    let base = decided.base();
    let mut p = Vec::with_capacity(25);
    base.encode(Writer::new(&mut p).u8(BASE));
    let mut out = wal::framed(&p);
    out.extend_from_slice(&promise_record(promised));
    let mut next = base.index.next();
    let all: Vec<&Entry> = decided.tail(next).collect();
    for chunk in all.chunks(REWRITE_CHUNK) {
        learned_record(&mut out, next, chunk.iter().copied());
        next = LogIndex(next.0 + chunk.len() as u64);
    }
    for (&slot, a) in accepted.range(decided.last_index().next()..) {
        accept_record(&mut out, a.ballot, slot, std::iter::once(&a.entry));
    }
    out
}

/// The content of the snapshot file.
pub fn snapshot_file(base: &LogBase, data: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(28 + data.len());
    let mut w = Writer::new(&mut payload);
    base.encode(&mut w);
    w.bytes(data);
    wal::framed(&payload)
}

/// The durable state read back at start.
#[derive(Debug)]
pub struct Recovered {
    /// The highest ballot promised.
    pub promised: Ballot,
    /// The decided prefix (after the snapshot).
    pub decided: ReplicaLog,
    /// Acceptances above the decided prefix.
    pub accepted: BTreeMap<LogIndex, AcceptedValue>,
    /// The snapshot, if there is one.
    pub snapshot: Option<Snapshot>,
    /// The state machine as of the snapshot (empty without one).
    pub kv: KvStore,
    /// Set if the WAL ended in a torn record: the file must be cut to this length before
    /// anything is appended.
    pub truncate_wal_to: Option<u64>,
    /// Set if the WAL predates the snapshot (a crash interrupted a compaction or an
    /// installation between its two steps): it must be rewritten before anything is
    /// appended.
    pub rewrite_wal: bool,
}

/// Reads a server's durable state.
pub fn recover(storage: &dyn StorageView) -> Result<Recovered, RecoveryError> {
    let snapshot = read_snapshot(&storage.read(SNAPSHOT))?;
    let bytes = storage.read(WAL);
    let (records, truncate_wal_to) = recovery::read_wal(&bytes)?;
    let snap_base = snapshot.as_ref().map(|(b, _)| *b).unwrap_or_default();
    let mut decided = ReplicaLog::new(snap_base);
    let mut promised = Ballot::ZERO;
    let mut accepted: BTreeMap<LogIndex, AcceptedValue> = BTreeMap::new();
    let mut wal_base = LogIndex(0);
    for (n, payload) in records.iter().enumerate() {
        let bad = || RecoveryError::MalformedWal { n };
        let mut r = Reader::new(payload);
        match r.u8().ok_or_else(bad)? {
            PROMISE => {
                let b = Ballot::decode(&mut r).ok_or_else(bad)?;
                r.finish(()).ok_or_else(bad)?;
                promised = promised.max(b);
            }
            ACCEPT => {
                let ballot = Ballot::decode(&mut r).ok_or_else(bad)?;
                let first = r.u64().ok_or_else(bad)?;
                let count = r.u32().ok_or_else(bad)?;
                if first == 0 {
                    return Err(bad());
                }
                // Accepting in a ballot promises it too (P1a).
                promised = promised.max(ballot);
                for k in 0..count as u64 {
                    let entry = Entry::decode(&mut r).ok_or_else(bad)?;
                    let slot = LogIndex(first + k);
                    if slot > decided.last_index() {
                        accepted.insert(slot, AcceptedValue { ballot, entry });
                    }
                }
                r.finish(()).ok_or_else(bad)?;
            }
            DECIDE => {
                let upto = LogIndex(r.u64().ok_or_else(bad)?);
                r.finish(()).ok_or_else(bad)?;
                while decided.last_index() < upto {
                    let slot = decided.last_index().next();
                    let a = accepted.remove(&slot).ok_or_else(bad)?;
                    decided.append(a.entry);
                }
            }
            LEARNED => {
                let first = LogIndex(r.u64().ok_or_else(bad)?);
                let count = r.u32().ok_or_else(bad)?;
                if first.0 == 0 || first > decided.last_index().next() {
                    return Err(bad());
                }
                for k in 0..count as u64 {
                    let entry = Entry::decode(&mut r).ok_or_else(bad)?;
                    let slot = LogIndex(first.0 + k);
                    if slot > decided.last_index() {
                        accepted.remove(&slot);
                        decided.append(entry);
                    }
                }
                r.finish(()).ok_or_else(bad)?;
            }
            BASE => {
                let base = LogBase::decode(&mut r).ok_or_else(bad)?;
                r.finish(()).ok_or_else(bad)?;
                if n != 0 {
                    return Err(bad());
                }
                if base.index > snap_base.index {
                    return Err(RecoveryError::WalAhead { wal: base.index, snapshot: snap_base.index });
                }
                if base.index == snap_base.index && base != snap_base {
                    return Err(RecoveryError::CorruptSnapshot);
                }
                wal_base = base.index;
            }
            _ => return Err(bad()),
        }
    }
    let accepted = accepted.split_off(&decided.last_index().next());
    let mut kv = KvStore::new();
    if let Some((_, data)) = &snapshot {
        kv = KvStore::restore(data).ok_or(RecoveryError::CorruptSnapshot)?;
    }
    let rewrite_wal = wal_base < snap_base.index;
    Ok(Recovered { promised, decided, accepted, snapshot, kv, truncate_wal_to, rewrite_wal })
}

fn read_snapshot(bytes: &[u8]) -> Result<Option<Snapshot>, RecoveryError> {
    let Some(record) = recovery::read_snapshot_record(bytes)? else {
        return Ok(None);
    };
    let mut r = Reader::new(&record);
    let bad = || RecoveryError::CorruptSnapshot;
    let base = LogBase::decode(&mut r).ok_or_else(bad)?;
    let data = r.bytes().ok_or_else(bad)?;
    r.finish(()).ok_or_else(bad)?;
    Ok(Some((base, data.into())))
}

/// Every acceptance recorded in a WAL's bytes, in order: (ballot, slot, value). For tests
/// that judge what was chosen from what acceptors durably accepted.
#[cfg(test)]
pub(crate) fn acceptances(bytes: &[u8]) -> Vec<(Ballot, LogIndex, Entry)> {
    let mut out = Vec::new();
    for payload in wal::recover(bytes).records {
        let mut r = Reader::new(&payload);
        if r.u8() != Some(ACCEPT) {
            continue;
        }
        let (Some(ballot), Some(first), Some(count)) = (Ballot::decode(&mut r), r.u64(), r.u32()) else {
            continue;
        };
        for k in 0..count as u64 {
            let Some(e) = Entry::decode(&mut r) else { break };
            out.push((ballot, LogIndex(first + k), e));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paxos::Round;
    use crate::replica::log::Payload;
    use eightfold_sim::sim::{NodeId, Term};

    struct Files(BTreeMap<FileId, Vec<u8>>);
    impl StorageView for Files {
        fn read(&self, file: FileId) -> Vec<u8> {
            self.0.get(&file).cloned().unwrap_or_default()
        }
    }

    fn e(term: u64, x: u8) -> Entry {
        Entry { term: Term(term), payload: Payload::Command(vec![x].into()) }
    }
    fn b(round: u64) -> Ballot {
        Ballot { round: Round(round), node: NodeId(0) }
    }

    #[test]
    fn records_replay_in_order() {
        let mut w = promise_record(b(1));
        accept_record(&mut w, b(1), LogIndex(1), [e(1, 1), e(1, 2), e(1, 3)].iter());
        w.extend(promise_record(b(4)));
        accept_record(&mut w, b(4), LogIndex(2), [e(4, 9)].iter());
        w.extend(decide_record(LogIndex(2)));
        learned_record(&mut w, LogIndex(3), [e(3, 7)].iter());
        accept_record(&mut w, b(4), LogIndex(6), [e(4, 6)].iter());
        let r = recover(&Files(BTreeMap::from([(WAL, w.clone())]))).unwrap();
        assert_eq!(r.promised, b(4));
        assert_eq!(r.decided.last_index(), LogIndex(3));
        assert_eq!(r.decided.entry(LogIndex(2)), Some(&e(4, 9)), "the later acceptance is the one decided");
        assert_eq!(
            r.decided.entry(LogIndex(3)),
            Some(&e(3, 7)),
            "a learned value overrides the accepted one"
        );
        assert_eq!(r.accepted.keys().copied().collect::<Vec<_>>(), vec![LogIndex(6)]);
        assert!(!r.rewrite_wal && r.truncate_wal_to.is_none());
        // A torn tail is cut off.
        let mut torn = w.clone();
        torn.extend_from_slice(&promise_record(b(9))[..5]);
        let r = recover(&Files(BTreeMap::from([(WAL, torn)]))).unwrap();
        assert_eq!(r.truncate_wal_to, Some(w.len() as u64));
        assert_eq!(r.promised, b(4));
        // A flipped bit in a complete record is refused.
        let mut bad = w.clone();
        bad[30] ^= 2;
        assert!(matches!(
            recover(&Files(BTreeMap::from([(WAL, bad)]))),
            Err(RecoveryError::CorruptWal { .. })
        ));
        // A decision without the acceptance it refers to is refused.
        let orphan = decide_record(LogIndex(1));
        assert_eq!(
            recover(&Files(BTreeMap::from([(WAL, orphan)]))).unwrap_err(),
            RecoveryError::MalformedWal { n: 0 }
        );
    }

    #[test]
    fn a_snapshot_with_an_old_or_a_rewritten_wal_reads_back_the_same() {
        let mut old = promise_record(b(1));
        accept_record(&mut old, b(1), LogIndex(1), [e(1, 1), e(1, 2), e(1, 3), e(1, 4)].iter());
        old.extend(decide_record(LogIndex(3)));
        let full = recover(&Files(BTreeMap::from([(WAL, old.clone())]))).unwrap();
        let mut compacted = full.decided.clone();
        let base =
            LogBase { index: LogIndex(2), term: Term(1), chain: compacted.chain_at(LogIndex(2)).unwrap() };
        compacted.compact_to(base);
        let snap = snapshot_file(&base, &KvStore::new().snapshot());
        let new = rewritten_wal(&compacted, full.promised, &full.accepted);
        for (w, rewrite) in [(old, true), (new, false)] {
            let r = recover(&Files(BTreeMap::from([(WAL, w), (SNAPSHOT, snap.clone())]))).unwrap();
            assert_eq!(r.rewrite_wal, rewrite);
            assert_eq!(r.decided.base(), base);
            assert_eq!(r.decided.last_index(), LogIndex(3));
            assert_eq!(r.decided.chain_at(LogIndex(3)), full.decided.chain_at(LogIndex(3)));
            assert_eq!(r.accepted, full.accepted);
            assert_eq!(r.promised, b(1));
        }
        // A WAL compacted past the snapshot it needs is refused, and so is a damaged snapshot.
        let ahead = rewritten_wal(&compacted, b(1), &BTreeMap::new());
        assert!(matches!(
            recover(&Files(BTreeMap::from([(WAL, ahead)]))),
            Err(RecoveryError::WalAhead { .. })
        ));
        let mut damaged = snap.clone();
        damaged[14] ^= 1;
        assert_eq!(
            recover(&Files(BTreeMap::from([(SNAPSHOT, damaged)]))).unwrap_err(),
            RecoveryError::CorruptSnapshot
        );
    }
}
