//! Persist before answering, with group commit: the durability bookkeeping of every
//! replica (Raft, Multi-Paxos and the quorum store).
//!
//! Every change a server must not forget is written to its WAL as it happens; at the end of
//! each handler one fsync covers everything the handler wrote. An answer that promises
//! something written (a vote, a promise, an acknowledgement) is *held*, tagged with the
//! token of the fsync covering the latest write, until that fsync — or a later one: an
//! fsync covers every earlier write of the file — completes.
//!
//! The pipeline also keeps the fsyncs in flight ([`SyncKind`]): WAL fsyncs, each with the
//! end of the log it makes durable, and the fsync of a snapshot file written whole. When one
//! completes, [`Pipeline::complete`] says which it was and advances what is known durable:
//! the highest WAL token ([`Pipeline::synced`]) and the durable prefix of the log
//! ([`Pipeline::persisted`]), which a Raft leader counts toward a commit.
//!
//! Tokens start at a random point at every boot ([`Pipeline::boot`]), so a completion meant
//! for a previous incarnation never matches one of ours.

use std::collections::VecDeque;

use eightfold_sim::sim::rng::Draw;
use eightfold_sim::sim::{Ctx, DiskOp, FileId, LogIndex, NodeId};

/// The token of one fsync request: the kernel reports the fsync's completion with it.
/// Tokens of one incarnation increase; a WAL fsync covers every WAL write before it, so a
/// token compares with another as the fsyncs they name are ordered.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyncToken(pub u64);

/// What an fsync in flight makes durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncKind {
    /// A WAL fsync, issued when the log ended at `last`.
    Wal {
        /// The end of the log when the fsync was requested.
        last: LogIndex,
    },
    /// The fsync of a snapshot file written whole.
    Snapshot,
}

/// The WAL's group-commit bookkeeping, holding answers of type `P` until they are durable,
/// and the fsyncs in flight.
#[derive(Debug)]
pub struct Pipeline<P> {
    /// The next fsync token.
    next_token: u64,
    /// Something was written to the WAL since the last fsync request.
    dirty: bool,
    /// The token of the fsync that covers the latest WAL write.
    write_token: SyncToken,
    /// The highest WAL token known complete.
    synced: SyncToken,
    /// Messages waiting for an fsync: (token, destination, message).
    held: VecDeque<(SyncToken, NodeId, P)>,
    /// Fsyncs requested and not yet complete.
    pending: VecDeque<(SyncToken, SyncKind)>,
    /// The log prefix up to here is durable (in the snapshot or the WAL).
    persisted: LogIndex,
}

impl<P> Default for Pipeline<P> {
    fn default() -> Self {
        Pipeline {
            next_token: 0,
            dirty: false,
            write_token: SyncToken(0),
            synced: SyncToken(0),
            held: VecDeque::new(),
            pending: VecDeque::new(),
            persisted: LogIndex(0),
        }
    }
}

impl<P> Pipeline<P> {
    /// At boot (also after every restart): draws the first token of this incarnation from
    /// the server's random stream; nothing written so far is pending.
    pub fn boot<M>(&mut self, ctx: &mut Ctx<'_, M>) {
        let base = (ctx.rng().word() >> 2) | 1;
        self.next_token = base;
        self.synced = SyncToken(base - 1);
        self.write_token = SyncToken(base - 1);
    }

    /// A fresh fsync token.
    fn token(&mut self) -> SyncToken {
        self.next_token += 1;
        SyncToken(self.next_token - 1)
    }

    /// Queues a WAL write; the fsync covering it is requested by [`Pipeline::flush`].
    pub fn write<M>(&mut self, ctx: &mut Ctx<'_, M>, op: DiskOp) {
        ctx.disk(op);
        if !self.dirty {
            self.dirty = true;
            self.write_token = self.token();
        }
    }

    /// The token of the fsync that covers the latest write.
    pub fn write_token(&self) -> SyncToken {
        self.write_token
    }

    /// The highest token known complete: every write it covers is durable.
    pub fn synced(&self) -> SyncToken {
        self.synced
    }

    /// True while some write is not yet known durable.
    pub fn unsynced(&self) -> bool {
        self.write_token > self.synced
    }

    /// Holds `msg` for `to` until everything written so far is durable, or gives it back
    /// if that is already the case (the caller sends it now).
    #[must_use = "a message given back must be sent now, or it is lost"]
    pub fn hold(&mut self, to: NodeId, msg: P) -> Option<P> {
        if self.unsynced() {
            self.held.push_back((self.write_token, to, msg));
            None
        } else {
            Some(msg)
        }
    }

    /// End of a handler: requests one fsync of `file` covering every write since the last
    /// request, if there was any, and remembers that it makes the log up to `log_end`
    /// durable (a server without a log passes `LogIndex(0)`).
    pub fn flush<M>(&mut self, ctx: &mut Ctx<'_, M>, file: FileId, log_end: LogIndex) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let token = self.write_token;
        ctx.disk(DiskOp::Fsync { file, token: token.0 });
        self.pending.push_back((token, SyncKind::Wal { last: log_end }));
    }

    /// Writes `file` whole with `data` (a snapshot: `Replace` leaves the old or the new
    /// content after a crash) and requests its fsync, whose completion
    /// [`Pipeline::complete`] reports as [`SyncKind::Snapshot`].
    pub fn write_snapshot<M>(&mut self, ctx: &mut Ctx<'_, M>, file: FileId, data: Vec<u8>) {
        ctx.disk(DiskOp::Replace { file, data });
        let token = self.token();
        ctx.disk(DiskOp::Fsync { file, token: token.0 });
        self.pending.push_back((token, SyncKind::Snapshot));
    }

    /// The fsync `token` completed: which kind it was (`None` if this incarnation did not
    /// request it). A WAL fsync covers every WAL write before it, so earlier WAL fsyncs are
    /// complete too: the log is durable up to the furthest end they recorded (but never
    /// past `log_end`, the log's end now).
    pub fn complete(&mut self, token: SyncToken, log_end: LogIndex) -> Option<SyncKind> {
        let pos = self.pending.iter().position(|(t, _)| *t == token)?;
        let kind = self.pending[pos].1;
        match kind {
            SyncKind::Snapshot => {
                self.pending.remove(pos);
            }
            SyncKind::Wal { .. } => {
                let mut durable = self.persisted;
                self.pending.retain(|(t, kind)| match kind {
                    SyncKind::Wal { last } if *t <= token => {
                        durable = durable.max(*last);
                        false
                    }
                    _ => true,
                });
                self.persisted = durable.min(log_end);
                self.synced = self.synced.max(token);
            }
        }
        Some(kind)
    }

    /// The WAL fsync `token` completed, for a server that does not track what its fsyncs
    /// make durable (the quorum store): every write before it is durable.
    pub fn synced_upto(&mut self, token: SyncToken) {
        self.pending.retain(|(t, kind)| !(matches!(kind, SyncKind::Wal { .. }) && *t <= token));
        self.synced = self.synced.max(token);
    }

    /// The oldest held message, once the fsync it waits for has completed.
    #[must_use = "a released message must be sent, or it is lost"]
    pub fn release(&mut self) -> Option<(NodeId, P)> {
        match self.held.front() {
            Some((token, _, _)) if *token <= self.synced => {
                self.held.pop_front().map(|(_, to, msg)| (to, msg))
            }
            _ => None,
        }
    }

    /// The log prefix known durable (in the snapshot or the WAL).
    pub fn persisted(&self) -> LogIndex {
        self.persisted
    }

    /// At recovery: everything read back from disk, the log up to `log_end`, is durable.
    pub fn recovered(&mut self, log_end: LogIndex) {
        self.persisted = log_end;
    }

    /// A snapshot covering the log up to `index` is durable: so is that prefix (but never
    /// past `log_end`, the log's end now).
    pub fn snapshot_persisted(&mut self, index: LogIndex, log_end: LogIndex) {
        self.persisted = self.persisted.max(index).min(log_end);
    }

    /// The log was cut from `from` on: what is known durable, and what the WAL fsyncs in
    /// flight will make durable, ends before it.
    pub fn truncated(&mut self, from: LogIndex) {
        let keep = from.prev();
        self.persisted = self.persisted.min(keep);
        for (_, kind) in self.pending.iter_mut() {
            if let SyncKind::Wal { last } = kind {
                *last = (*last).min(keep);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal(p: &mut Pipeline<()>, token: u64, last: u64) {
        p.pending.push_back((SyncToken(token), SyncKind::Wal { last: LogIndex(last) }));
    }

    #[test]
    fn a_wal_fsync_completes_every_earlier_one_and_the_snapshot_stays_pending() {
        let mut p = Pipeline::<()>::default();
        wal(&mut p, 1, 3);
        p.pending.push_back((SyncToken(2), SyncKind::Snapshot));
        wal(&mut p, 3, 5);
        wal(&mut p, 4, 8);
        assert_eq!(p.complete(SyncToken(9), LogIndex(8)), None, "not ours");
        assert_eq!(p.complete(SyncToken(3), LogIndex(8)), Some(SyncKind::Wal { last: LogIndex(5) }));
        assert_eq!((p.persisted(), p.synced()), (LogIndex(5), SyncToken(3)));
        assert_eq!(p.complete(SyncToken(1), LogIndex(8)), None, "covered by token 3 already");
        assert_eq!(p.complete(SyncToken(2), LogIndex(8)), Some(SyncKind::Snapshot));
        assert_eq!(p.synced(), SyncToken(3), "a snapshot fsync says nothing of the WAL");
        p.truncated(LogIndex(4));
        assert_eq!(p.persisted(), LogIndex(3));
        assert_eq!(p.complete(SyncToken(4), LogIndex(3)), Some(SyncKind::Wal { last: LogIndex(3) }));
        assert_eq!(p.persisted(), LogIndex(3), "what was cut is not durable");
    }

    #[test]
    fn held_answers_wait_for_the_fsync_covering_them() {
        let mut p = Pipeline::<&str>::default();
        assert_eq!(p.hold(NodeId(1), "now"), Some("now"), "nothing unsynced: send now");
        p.dirty = true;
        p.write_token = SyncToken(2);
        assert_eq!(p.hold(NodeId(1), "later"), None);
        assert_eq!(p.release(), None);
        p.synced_upto(SyncToken(1));
        assert_eq!(p.release(), None);
        p.synced_upto(SyncToken(2));
        assert_eq!(p.release(), Some((NodeId(1), "later")));
    }
}
