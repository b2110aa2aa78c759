//! Reading a replica's files back after a crash, the same way for every protocol.
//!
//! A WAL is a sequence of framed records ([`eightfold_sim::disk::wal`]: length + CRC32). A torn last
//! record (a crash during an append that was never acknowledged) is cut off at start. A
//! record that is complete but fails its checksum is different: it may hold a promise the
//! server already made to others, and running on without it would be amnesia, so such a
//! server refuses to run ([`RecoveryError`]). A file written whole with `Replace` (a
//! snapshot) is one framed record, wholly the old or wholly the new one after a crash.

use thiserror::Error;

use eightfold_sim::disk::wal::{self, Tail};
use eightfold_sim::sim::LogIndex;

/// Why a server refuses to run on what it found on its disk.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum RecoveryError {
    /// A complete WAL record fails its checksum: durable promises may be lost.
    #[error("WAL record at byte {at} is corrupt")]
    CorruptWal {
        /// Byte offset of the record.
        at: u64,
    },
    /// A WAL record passes its checksum but does not make sense (unknown kind, entries
    /// that leave a gap, a truncation below the base).
    #[error("WAL record {n} is malformed")]
    MalformedWal {
        /// Position of the record in the file.
        n: usize,
    },
    /// The snapshot file is damaged or malformed.
    #[error("snapshot file is corrupt")]
    CorruptSnapshot,
    /// The WAL starts after the snapshot ends (the snapshot it was compacted against is
    /// missing).
    #[error("WAL base {wal} is past the snapshot index {snapshot}")]
    WalAhead {
        /// The WAL's base index.
        wal: LogIndex,
        /// The snapshot's last index.
        snapshot: LogIndex,
    },
}

/// The records of a WAL's bytes, and the length to cut the file to before appending if it
/// ends in a torn record; a corrupt complete record is refused.
pub fn read_wal(bytes: &[u8]) -> Result<(Vec<Vec<u8>>, Option<u64>), RecoveryError> {
    let found = wal::recover(bytes);
    let truncate_to = match found.tail {
        Tail::Clean => None,
        Tail::Torn { .. } => Some(found.valid_len),
        Tail::Corrupt { at } => return Err(RecoveryError::CorruptWal { at }),
    };
    Ok((found.records, truncate_to))
}

/// The one record of a snapshot file (`None` if there is no file); anything else — a torn
/// or corrupt record, or more than one — is refused as a corrupt snapshot.
pub fn read_snapshot_record(bytes: &[u8]) -> Result<Option<Vec<u8>>, RecoveryError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let mut found = wal::recover(bytes);
    if found.tail != Tail::Clean || found.records.len() != 1 {
        return Err(RecoveryError::CorruptSnapshot);
    }
    Ok(found.records.pop())
}
