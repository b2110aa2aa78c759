//! The entries of one AppendEntries, shared by every follower they are sent to.
//!
//! A leader of `n` servers sends each new entry to `n - 1` followers, and each of them
//! writes it to its WAL as the same framed record (the record depends only on the entries
//! and the index of the first). Built per follower, that was `n - 1` vectors of the same
//! entries and `n - 1` encodings and checksums of the same bytes per client operation: at
//! 201 servers, the largest cost that grew with the cluster (issue 21). A [`Batch`] is
//! built once and shared (an [`Arc`]); the first server that writes it keeps the encoded
//! record in it, and every other copies those bytes.
//!
//! Sharing changes nothing a run can see: a batch never changes after it is built, and
//! the record it keeps is the one [`storage::entries_record`] writes for the same entries
//! at the same index, byte for byte, whichever server happens to encode it first.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use eightfold_sim::sim::LogIndex;

use super::log::Entry;
use super::storage;

/// An AppendEntries' entries: cheap to clone, compared and printed as the list of entries.
#[derive(Clone, Default)]
pub struct Batch(Option<Arc<Shared>>);

/// What the followers of one batch share.
struct Shared {
    entries: Box<[Entry]>,
    /// The framed WAL record of the entries placed at the index it names, once written.
    record: OnceLock<(LogIndex, Box<[u8]>)>,
}

impl Batch {
    /// A batch of no entries (a heartbeat): allocates nothing.
    pub fn empty() -> Self {
        Batch(None)
    }

    /// The entries, as a slice.
    pub fn entries(&self) -> &[Entry] {
        self.0.as_deref().map_or(&[], |s| &s.entries)
    }

    /// Appends the framed WAL record of the whole batch placed at `first` to `out`: the
    /// bytes of [`storage::entries_record`], encoded by the first caller for a given
    /// `first` and copied by the others.
    pub fn write_record(&self, out: &mut Vec<u8>, first: LogIndex) {
        let Some(shared) = &self.0 else {
            storage::entries_record(out, first, std::iter::empty());
            return;
        };
        let (at, bytes) = shared.record.get_or_init(|| {
            let mut v = Vec::new();
            storage::entries_record(&mut v, first, shared.entries.iter());
            (first, v.into_boxed_slice())
        });
        if *at == first {
            out.extend_from_slice(bytes);
        } else {
            // Placed elsewhere than where it was first written: no message a leader sends
            // does that (a decoded message gets a batch of its own), so this is a safety
            // net that keeps the bytes right whatever happens. Encode it afresh.
            storage::entries_record(out, first, shared.entries.iter());
        }
    }

    /// A batch whose record at `first` is already known: `record` must be what
    /// [`storage::entries_record`] writes for `entries` at `first` (the leader's own WAL
    /// write of the same entries).
    pub fn with_record(entries: Vec<Entry>, first: LogIndex, record: &[u8]) -> Self {
        debug_assert!({
            let mut v = Vec::new();
            storage::entries_record(&mut v, first, entries.iter());
            v == record
        });
        let b = Batch::from(entries);
        if let Some(s) = &b.0 {
            let _ = s.record.set((first, record.into()));
        }
        b
    }
}

impl From<Vec<Entry>> for Batch {
    fn from(entries: Vec<Entry>) -> Self {
        if entries.is_empty() {
            return Batch(None);
        }
        Batch(Some(Arc::new(Shared { entries: entries.into_boxed_slice(), record: OnceLock::new() })))
    }
}

impl Deref for Batch {
    type Target = [Entry];

    fn deref(&self) -> &[Entry] {
        self.entries()
    }
}

impl PartialEq for Batch {
    fn eq(&self, other: &Self) -> bool {
        self.entries() == other.entries()
    }
}

impl Eq for Batch {}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft::log::RaftPayload;
    use eightfold_sim::sim::Term;

    fn command(term: u64, bytes: &[u8]) -> Entry {
        Entry { term: Term(term), payload: RaftPayload::Command(bytes.into()) }
    }

    /// Every follower's record is the bytes `entries_record` writes, whether it encoded
    /// them, copied them from another follower, or was placed at another index.
    #[test]
    fn a_shared_record_is_the_record_each_follower_would_write() {
        let entries = vec![command(3, b"put k1 v"), Entry { term: Term(3), payload: RaftPayload::Noop }];
        let mut want = Vec::new();
        storage::entries_record(&mut want, LogIndex(7), entries.iter());
        let b = Batch::from(entries.clone());
        let copy = b.clone();
        for batch in [&b, &copy, &b] {
            let mut got = vec![0xAA];
            batch.write_record(&mut got, LogIndex(7));
            assert_eq!(got[1..], want[..], "appended after what was there");
        }
        let mut elsewhere = Vec::new();
        copy.write_record(&mut elsewhere, LogIndex(9));
        let mut want9 = Vec::new();
        storage::entries_record(&mut want9, LogIndex(9), entries.iter());
        assert_eq!(elsewhere, want9);
        assert_ne!(want9, want);
    }

    #[test]
    fn a_batch_reads_compares_and_prints_as_its_entries() {
        let entries = vec![command(1, b"a"), command(2, b"b")];
        let b = Batch::from(entries.clone());
        assert_eq!(b.len(), 2);
        assert_eq!(&b[..], &entries[..]);
        assert_eq!(b, Batch::from(entries.clone()));
        assert_ne!(b, Batch::from(vec![command(1, b"a")]));
        assert_eq!(format!("{b:?}"), format!("{entries:?}"));
        assert_eq!(Batch::from(Vec::new()), Batch::empty());
        assert!(Batch::empty().is_empty());
        let mut rec = Vec::new();
        Batch::empty().write_record(&mut rec, LogIndex(4));
        let mut want = Vec::new();
        storage::entries_record(&mut want, LogIndex(4), std::iter::empty());
        assert_eq!(rec, want);
    }

    #[test]
    fn a_record_given_up_front_is_used() {
        let entries = vec![command(5, b"x")];
        let mut record = Vec::new();
        storage::entries_record(&mut record, LogIndex(11), entries.iter());
        let b = Batch::with_record(entries, LogIndex(11), &record);
        let mut got = Vec::new();
        b.write_record(&mut got, LogIndex(11));
        assert_eq!(got, record);
    }
}
