//! What a server keeps on its disk, and reading it back after a crash.
//!
//! Two files: `HARD` holds `current_term` and `voted_for`, replaced whole on every change
//! (the simulated disk renames the new file over the old: after a crash it holds one or the
//! other, never half); `LOG` holds the log as a sequence of records framed as the kernel's
//! write-ahead log frames them (a length and checksums, `eightfold::disk::wal`), appended
//! as entries are added and cut back when a suffix is deleted. A
//! crash may leave the last record torn (a simulated disk loses or mangles unsynced bytes);
//! reading stops at the first record that does not check out, which is exactly the part
//! that was never fsynced, so never acknowledged.

use eightfold::disk::wal;
use eightfold::proto::wire::{Reader, Writer};
use eightfold::protocol::{Ctx, DiskOp, FileId, NodeId, ServiceMsg, StorageView, Term};

use crate::log::Log;
use crate::msg::Entry;
use crate::raft::Raft;

/// The file holding `current_term` and `voted_for`.
pub const HARD: FileId = FileId(1);
/// The file holding the log.
pub const LOG: FileId = FileId(2);

/// What a server had persisted when it crashed, handed to [`crate::Rules::restore`].
#[derive(Clone, Debug, Default)]
pub struct Saved {
    /// The persisted `current_term`.
    pub current_term: Term,
    /// The persisted `voted_for`.
    pub voted_for: Option<NodeId>,
    /// The persisted log (a torn last record left out).
    pub log: Log,
}

impl Saved {
    /// Reads what survived on `disk` (`None` when the server never persisted anything), and
    /// the log file's length.
    pub(crate) fn read(disk: &dyn StorageView) -> (Option<Saved>, u64) {
        let hard = disk.read(HARD);
        let log = disk.read(LOG);
        let len = log.len() as u64;
        if hard.is_empty() && log.is_empty() {
            return (None, len);
        }
        let (current_term, voted_for) = decode_hard(&hard).unwrap_or((Term(0), None));
        let mut saved = Saved { current_term, voted_for, log: Log::new() };
        for e in records(&log) {
            saved.log.append(e);
        }
        (Some(saved), len)
    }
}

fn encode_hard(term: Term, vote: Option<NodeId>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = Writer::new(&mut out);
    w.u64(term.0).bool(vote.is_some()).u32(vote.map_or(0, |v| v.0));
    out
}

fn decode_hard(bytes: &[u8]) -> Option<(Term, Option<NodeId>)> {
    let mut r = Reader::new(bytes);
    let term = Term(r.u64()?);
    let voted = r.bool()?;
    let vote = NodeId(r.u32()?);
    r.finish((term, voted.then_some(vote)))
}

/// One log record: the entry, framed as the kernel's write-ahead log frames a record
/// (length and checksums, [`eightfold::disk::wal`]).
fn record(e: &Entry) -> Vec<u8> {
    let mut body = Vec::new();
    e.encode(&mut Writer::new(&mut body));
    wal::framed(&body)
}

/// The entries of a log file, up to the first record that is torn or fails its checksum.
fn records(bytes: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    for body in wal::recover(bytes).records {
        let mut r = Reader::new(&body);
        let Some(e) = Entry::decode(&mut r).and_then(|e| r.finish(e)) else { break };
        out.push(e);
    }
    out
}

/// How many leading entries of `log` have the prefix hashes `chains` (a hash covers the
/// whole prefix, so equal hashes at `k` mean equal prefixes up to `k`: a binary search).
pub(crate) fn shared_prefix(chains: &[u64], log: &Log) -> usize {
    let same = |k: usize| log.chain_at(eightfold::protocol::LogIndex(k as u64)) == Some(chains[k - 1]);
    let (mut lo, mut hi) = (0, chains.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if same(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// What the kit has written to the disk so far, to write only what changed.
#[derive(Debug, Default)]
pub(crate) struct Written {
    hard: (Term, Option<NodeId>),
    /// Prefix hashes of the entries in the log file.
    chains: Vec<u64>,
    /// Byte offset where each entry's record starts, and the file's end.
    offsets: Vec<u64>,
    end: u64,
    /// The file holds bytes past `end` (a torn record left by a crash): cut them off before
    /// appending, or every record appended after them would be unreadable.
    torn_tail: bool,
}

impl Written {
    /// What a disk holding `saved` (or nothing) in a log file of `file_len` bytes holds.
    pub(crate) fn of(saved: Option<&Saved>, file_len: u64) -> Written {
        let mut w = Written::default();
        if let Some(s) = saved {
            w.hard = (s.current_term, s.voted_for);
            for i in 1..=s.log.last_index().0 {
                let i = eightfold::protocol::LogIndex(i);
                let e = s.log.get(i).expect("in range");
                w.offsets.push(w.end);
                w.end += record(e).len() as u64;
                w.chains.push(s.log.chain_at(i).expect("in range"));
            }
        }
        w.torn_tail = file_len > w.end;
        w
    }

    /// Writes what differs between the disk and `rf`, and fsyncs the files written with
    /// `token`. Returns how many fsyncs it asked for (0: nothing differed).
    pub(crate) fn write(&mut self, rf: &Raft, ctx: &mut Ctx<'_, ServiceMsg>, token: u64) -> u32 {
        let mut syncs = 0;
        let mut wrote = false;
        if self.hard != (rf.current_term, rf.voted_for) {
            self.hard = (rf.current_term, rf.voted_for);
            ctx.disk(DiskOp::Replace { file: HARD, data: encode_hard(rf.current_term, rf.voted_for) });
            ctx.disk(DiskOp::Fsync { file: HARD, token });
            syncs += 1;
        }
        // How many leading entries the file and the log share.
        let same = shared_prefix(&self.chains, &rf.log);
        if same < self.chains.len() || self.torn_tail {
            self.torn_tail = false;
            self.end = self.offsets.get(same).copied().unwrap_or(self.end);
            self.offsets.truncate(same);
            self.chains.truncate(same);
            ctx.disk(DiskOp::Truncate { file: LOG, len: self.end });
            wrote = true;
        }
        if rf.log.len() > same {
            let mut data = Vec::new();
            for i in same + 1..=rf.log.len() {
                let i = eightfold::protocol::LogIndex(i as u64);
                let rec = record(rf.log.get(i).expect("in range"));
                self.offsets.push(self.end + data.len() as u64);
                data.extend_from_slice(&rec);
                self.chains.push(rf.log.chain_at(i).expect("in range"));
            }
            self.end += data.len() as u64;
            ctx.disk(DiskOp::Append { file: LOG, data });
            wrote = true;
        }
        if wrote {
            ctx.disk(DiskOp::Fsync { file: LOG, token });
            syncs += 1;
        }
        syncs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eightfold::proto::kv::{ClientRequest, ClientSeq, KvOp};

    fn entry(term: u64) -> Entry {
        Entry {
            term: Term(term),
            command: ClientRequest { client: 1, seq: ClientSeq(term), op: KvOp::Get { key: 2 } },
        }
    }

    #[test]
    fn records_read_back_up_to_a_torn_one() {
        let mut file = Vec::new();
        for t in 1..=3 {
            file.extend_from_slice(&record(&entry(t)));
        }
        assert_eq!(records(&file).len(), 3);
        let cut = file.len() - 3;
        assert_eq!(records(&file[..cut]).len(), 2, "a short last record is left out");
        let last = file.len() - 1;
        file[last] ^= 0x40;
        assert_eq!(records(&file).len(), 2, "a mangled last record is left out");
        assert_eq!(decode_hard(&encode_hard(Term(4), Some(NodeId(2)))), Some((Term(4), Some(NodeId(2)))));
        assert_eq!(decode_hard(&encode_hard(Term(4), None)), Some((Term(4), None)));
        assert_eq!(decode_hard(&[1, 2]), None);
    }
}
