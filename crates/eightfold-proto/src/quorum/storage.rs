//! What a quorum-store replica keeps on disk, and how it is read back after a crash.
//!
//! One write-ahead log, file [`WAL`], of framed records ([`eightfold_sim::disk::wal`]):
//! - `Put{key, version, value}` — a value this server stores (as a replica, or as a
//!   fallback standing in for one);
//! - `Hint{intended, key, version, value}` — a value to hand back to `intended` (sloppy
//!   quorum, *Dynamo* §4.6);
//! - `Handed{intended, key, version}` — that hint was delivered.
//!
//! A replica acknowledges a write only once the record is durable, so a crash loses nothing
//! it acknowledged. Replay keeps the highest version per key. The log is rewritten (one
//! `Replace`, atomic) with only the live state once it holds many more records than keys.
//! A torn last record is cut off at start; a complete record failing its checksum makes the
//! server refuse to run ([`crate::replica::RecoveryError`]), as in Raft and Paxos: a
//! replica that silently lost acknowledged values would make a quorum lie.

use std::collections::BTreeMap;

use crate::kv::Key;
use crate::replica::{RecoveryError, recovery};
use crate::wire::{Reader, Writer};
use eightfold_sim::disk::wal;
use eightfold_sim::sim::{FileId, NodeId, StorageView};

use super::msg::{Version, Versioned};

/// The write-ahead log file.
pub const WAL: FileId = FileId(0);

const PUT: u8 = 1;
const HINT: u8 = 2;
const HANDED: u8 = 3;

/// A framed `Put` record.
pub fn put_record(key: Key, v: &Versioned) -> Vec<u8> {
    let mut p = Vec::with_capacity(5 + v.encoded_len() as usize);
    let mut w = Writer::new(&mut p);
    w.u8(PUT).u32(key);
    v.encode(&mut w);
    wal::framed(&p)
}

/// A framed `Hint` record.
pub fn hint_record(intended: NodeId, key: Key, v: &Versioned) -> Vec<u8> {
    let mut p = Vec::with_capacity(9 + v.encoded_len() as usize);
    let mut w = Writer::new(&mut p);
    w.u8(HINT).u32(intended.0).u32(key);
    v.encode(&mut w);
    wal::framed(&p)
}

/// A framed `Handed` record.
pub fn handed_record(intended: NodeId, key: Key, version: Version) -> Vec<u8> {
    let mut p = Vec::with_capacity(21);
    Writer::new(&mut p).u8(HANDED).u32(intended.0).u32(key).u64(version.stamp).u32(version.node.0);
    wal::framed(&p)
}

/// The whole content of a rewritten WAL: every stored value and every pending hint.
pub fn rewritten_wal(
    store: &BTreeMap<Key, Versioned>,
    hints: &BTreeMap<(NodeId, Key), Versioned>,
) -> Vec<u8> {
    let mut out = Vec::new();
    for (&key, v) in store {
        out.extend_from_slice(&put_record(key, v));
    }
    for (&(intended, key), v) in hints {
        out.extend_from_slice(&hint_record(intended, key, v));
    }
    out
}

/// The durable state read back at start.
#[derive(Debug, Default)]
pub struct Recovered {
    /// The newest value of every key stored here.
    pub store: BTreeMap<Key, Versioned>,
    /// Values to hand back: (intended replica, key) → value.
    pub hints: BTreeMap<(NodeId, Key), Versioned>,
    /// Records in the log (to decide when to rewrite it).
    pub records: usize,
    /// Set if the WAL ended in a torn record: cut it to this length before appending.
    pub truncate_wal_to: Option<u64>,
}

/// Keeps `v` under `key` if it is newer than what is there; true if it was.
pub fn keep_newer<K: Ord>(map: &mut BTreeMap<K, Versioned>, key: K, v: Versioned) -> bool {
    match map.get(&key) {
        Some(old) if old.version >= v.version => false,
        _ => {
            map.insert(key, v);
            true
        }
    }
}

/// Reads a replica's durable state.
pub fn recover(storage: &dyn StorageView) -> Result<Recovered, RecoveryError> {
    let bytes = storage.read(WAL);
    let (records, truncate_wal_to) = recovery::read_wal(&bytes)?;
    let mut out = Recovered { records: records.len(), truncate_wal_to, ..Recovered::default() };
    for (n, payload) in records.iter().enumerate() {
        let bad = || RecoveryError::MalformedWal { n };
        let mut r = Reader::new(payload);
        match r.u8().ok_or_else(bad)? {
            PUT => {
                let key = r.u32().ok_or_else(bad)?;
                let v = Versioned::decode(&mut r).ok_or_else(bad)?;
                r.finish(()).ok_or_else(bad)?;
                keep_newer(&mut out.store, key, v);
            }
            HINT => {
                let intended = NodeId(r.u32().ok_or_else(bad)?);
                let key = r.u32().ok_or_else(bad)?;
                let v = Versioned::decode(&mut r).ok_or_else(bad)?;
                r.finish(()).ok_or_else(bad)?;
                keep_newer(&mut out.hints, (intended, key), v);
            }
            HANDED => {
                let intended = NodeId(r.u32().ok_or_else(bad)?);
                let key = r.u32().ok_or_else(bad)?;
                let version =
                    Version { stamp: r.u64().ok_or_else(bad)?, node: NodeId(r.u32().ok_or_else(bad)?) };
                r.finish(()).ok_or_else(bad)?;
                if out.hints.get(&(intended, key)).is_some_and(|h| h.version <= version) {
                    out.hints.remove(&(intended, key));
                }
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eightfold_sim::sim::FileId;

    struct Files(Vec<u8>);
    impl StorageView for Files {
        fn read(&self, file: FileId) -> Vec<u8> {
            if file == WAL { self.0.clone() } else { Vec::new() }
        }
    }

    fn v(stamp: u64, s: &str) -> Versioned {
        Versioned { version: Version { stamp, node: NodeId(0) }, value: s.into() }
    }

    #[test]
    fn replay_keeps_the_newest_value_and_live_hints() {
        let mut w = put_record(1, &v(5, "new"));
        w.extend(put_record(1, &v(3, "old")));
        w.extend(hint_record(NodeId(2), 1, &v(5, "new")));
        w.extend(hint_record(NodeId(2), 4, &v(6, "h")));
        w.extend(handed_record(NodeId(2), 1, Version { stamp: 5, node: NodeId(0) }));
        let r = recover(&Files(w.clone())).unwrap();
        assert_eq!(r.store.get(&1), Some(&v(5, "new")));
        assert_eq!(r.hints.keys().copied().collect::<Vec<_>>(), vec![(NodeId(2), 4)]);
        assert_eq!(r.records, 5);
        let again = recover(&Files(rewritten_wal(&r.store, &r.hints))).unwrap();
        assert_eq!((again.store, again.hints), (r.store, r.hints));
        // Torn tails are cut, corruption is refused.
        let mut torn = w.clone();
        torn.extend_from_slice(&put_record(9, &v(1, "x"))[..10]);
        assert_eq!(recover(&Files(torn)).unwrap().truncate_wal_to, Some(w.len() as u64));
        let mut bad = w;
        bad[15] ^= 1;
        assert!(matches!(recover(&Files(bad)), Err(RecoveryError::CorruptWal { .. })));
    }
}
