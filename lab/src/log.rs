//! The replicated log, indexed from 1 as in the paper: index 0 is the empty prefix (term 0),
//! always present, so `prev_log_index = 0` matches every log.
//!
//! You change it with [`Log::append`] and [`Log::truncate_from`]; the kit notices what
//! changed after each of your handlers and tells the checkers (each new entry with a hash
//! of the whole prefix ending at it, so Log Matching, §5.3, is one comparison) and, when you
//! call [`crate::Raft::persist`], the disk.

use eightfold::protocol::{LogIndex, Term};
use eightfold::sim::Digest;

use crate::msg::Entry;

/// A server's log.
#[derive(Clone, Debug, Default)]
pub struct Log {
    entries: Vec<Entry>,
    /// `chains[i]`: hash of the prefix ending at entry `i + 1`.
    chains: Vec<u64>,
}

impl Log {
    /// An empty log.
    pub fn new() -> Log {
        Log::default()
    }

    /// The index of the last entry (0 when empty).
    pub fn last_index(&self) -> LogIndex {
        LogIndex(self.entries.len() as u64)
    }

    /// The term of the last entry (0 when empty).
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(Term(0), |e| e.term)
    }

    /// The term of the entry at `index`: `Some(Term(0))` at index 0, `None` past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index.0 == 0 {
            return Some(Term(0));
        }
        self.get(index).map(|e| e.term)
    }

    /// The entry at `index` (1-based), if the log holds one.
    pub fn get(&self, index: LogIndex) -> Option<&Entry> {
        let i = usize::try_from(index.0).ok()?.checked_sub(1)?;
        self.entries.get(i)
    }

    /// Copies of the entries from `index` (1-based) to the end (empty past the end).
    pub fn entries_from(&self, index: LogIndex) -> Vec<Entry> {
        let from = usize::try_from(index.0.max(1) - 1).unwrap_or(usize::MAX);
        self.entries.get(from..).map(<[Entry]>::to_vec).unwrap_or_default()
    }

    /// Copies of at most `max` entries from `index` (1-based) on.
    pub fn entries_between(&self, index: LogIndex, max: usize) -> Vec<Entry> {
        let from = usize::try_from(index.0.max(1) - 1).unwrap_or(usize::MAX);
        let to = from.saturating_add(max).min(self.entries.len());
        self.entries.get(from..to).map(<[Entry]>::to_vec).unwrap_or_default()
    }

    /// Appends `entry` at `last_index() + 1`; returns its index.
    pub fn append(&mut self, entry: Entry) -> LogIndex {
        let prev = self.chains.last().copied().unwrap_or(0);
        self.chains.push(chain(prev, &entry));
        self.entries.push(entry);
        self.last_index()
    }

    /// Deletes the entry at `index` and every entry after it (nothing if `index` is past
    /// the end; index 0 empties the log).
    pub fn truncate_from(&mut self, index: LogIndex) {
        let keep = usize::try_from(index.0.max(1) - 1).unwrap_or(usize::MAX);
        self.entries.truncate(keep);
        self.chains.truncate(keep);
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The hash of the prefix ending at `index` (0 for the empty prefix).
    pub(crate) fn chain_at(&self, index: LogIndex) -> Option<u64> {
        if index.0 == 0 {
            return Some(0);
        }
        let i = usize::try_from(index.0).ok()? - 1;
        self.chains.get(i).copied()
    }
}

/// The hash of the prefix ending at `entry`, given the hash of the prefix before it.
pub(crate) fn chain(prev: u64, entry: &Entry) -> u64 {
    let mut d = Digest::new();
    d.word(prev);
    d.word(entry.term.0);
    d.word(command_hash(entry));
    d.finish()
}

/// A hash of an entry's command (what the state-machine safety check compares).
pub(crate) fn command_hash(entry: &Entry) -> u64 {
    let mut d = Digest::new();
    d.bytes(&entry.command.to_bytes());
    d.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use eightfold::proto::kv::{ClientRequest, ClientSeq, KvOp};

    fn entry(term: u64, seq: u64) -> Entry {
        Entry {
            term: Term(term),
            command: ClientRequest { client: 1, seq: ClientSeq(seq), op: KvOp::Get { key: 1 } },
        }
    }

    #[test]
    fn indices_start_at_one_and_chains_name_prefixes() {
        let mut a = Log::new();
        assert_eq!(
            (a.last_index(), a.last_term(), a.term_at(LogIndex(0))),
            (LogIndex(0), Term(0), Some(Term(0)))
        );
        assert_eq!(a.term_at(LogIndex(1)), None);
        a.append(entry(1, 1));
        a.append(entry(2, 2));
        assert_eq!((a.last_index(), a.last_term()), (LogIndex(2), Term(2)));
        assert_eq!(a.entries_from(LogIndex(2)), vec![entry(2, 2)]);
        assert_eq!(a.entries_from(LogIndex(0)).len(), 2);
        assert!(a.entries_from(LogIndex(9)).is_empty());
        let mut b = a.clone();
        b.truncate_from(LogIndex(2));
        b.append(entry(3, 2));
        assert_eq!(a.chain_at(LogIndex(1)), b.chain_at(LogIndex(1)));
        assert_ne!(a.chain_at(LogIndex(2)), b.chain_at(LogIndex(2)));
        b.truncate_from(LogIndex(0));
        assert!(b.is_empty());
    }
}
