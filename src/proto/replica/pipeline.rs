//! Persist before answering, with group commit.
//!
//! Every change a server must not forget is written to its WAL as it happens; at the end of
//! each handler one fsync covers everything the handler wrote. An answer that promises
//! something written (a vote, a promise, an acknowledgement) is *held*, tagged with the
//! token of the fsync covering the latest write, until that fsync — or a later one: an
//! fsync covers every earlier write of the file — completes.
//!
//! Tokens start at a random point at every boot ([`Pipeline::boot`]), so a completion meant
//! for a previous incarnation never matches one of ours.

use std::collections::VecDeque;

use crate::sim::rng::Draw;
use crate::sim::{Ctx, DiskOp, FileId, NodeId};

/// The WAL's group-commit bookkeeping, holding answers of type `P` until they are durable.
#[derive(Debug)]
pub struct Pipeline<P> {
    /// The next fsync token.
    next_token: u64,
    /// Something was written to the WAL since the last fsync request.
    dirty: bool,
    /// The token of the fsync that covers the latest WAL write.
    write_token: u64,
    /// The highest WAL token known complete.
    synced: u64,
    /// Messages waiting for an fsync: (token, destination, message).
    held: VecDeque<(u64, NodeId, P)>,
}

impl<P> Default for Pipeline<P> {
    fn default() -> Self {
        Pipeline { next_token: 0, dirty: false, write_token: 0, synced: 0, held: VecDeque::new() }
    }
}

impl<P> Pipeline<P> {
    /// At boot (also after every restart): draws the first token of this incarnation from
    /// the server's random stream; nothing written so far is pending.
    pub fn boot<M>(&mut self, ctx: &mut Ctx<'_, M>) {
        let base = (ctx.rng().word() >> 2) | 1;
        self.next_token = base;
        self.synced = base - 1;
        self.write_token = base - 1;
    }

    /// A fresh fsync token (for an fsync of another file, say).
    pub fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token - 1
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
    pub fn write_token(&self) -> u64 {
        self.write_token
    }

    /// The highest token known complete: every write it covers is durable.
    pub fn synced(&self) -> u64 {
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
    /// request, if there was any; returns its token.
    pub fn flush<M>(&mut self, ctx: &mut Ctx<'_, M>, file: FileId) -> Option<u64> {
        if !self.dirty {
            return None;
        }
        self.dirty = false;
        let token = self.write_token;
        ctx.disk(DiskOp::Fsync { file, token });
        Some(token)
    }

    /// The fsync `token` of the WAL completed: every write before it is durable.
    pub fn synced_upto(&mut self, token: u64) {
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
}
