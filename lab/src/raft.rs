//! A server's state (the paper's Figure 2, "State") and the few actions the rules need:
//! send a message, persist, reset the election timer, change role.
//!
//! The fields are yours to read and write from the exercises. Everything else — timers,
//! the disk, clients, applying committed entries to the key-value store, telling the
//! checkers what happened — the kit does around your code.

use std::collections::BTreeSet;

use eightfold::protocol::{ClientReply, LogIndex, NodeId, Term};

use crate::log::Log;
use crate::msg::{Entry, LabMsg};

/// A server's role (§5.1).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Answers RPCs; becomes a candidate when its election timer fires.
    Follower,
    /// Campaigns for leadership in its current term.
    Candidate,
    /// Replicates its log to the others and serves clients.
    Leader,
}

/// What your code asked the kit to do, in order.
#[derive(Debug)]
pub(crate) enum Effect {
    Send(NodeId, LabMsg),
    Answer(NodeId, ClientReply),
    Persist,
    ResetElectionTimer,
}

/// One server: Figure 2's state, and the actions the rules take.
#[derive(Debug)]
pub struct Raft {
    /// This server.
    pub me: NodeId,
    /// Every server of the cluster, this one included, in id order.
    pub servers: Vec<NodeId>,

    // Persistent state on all servers (Figure 2): on disk before answering any RPC.
    /// The latest term this server has seen (0 at first boot, increases monotonically).
    pub current_term: Term,
    /// The candidate this server voted for in `current_term` (`None`: no vote yet).
    pub voted_for: Option<NodeId>,
    /// The log.
    pub log: Log,

    // Volatile state on all servers.
    /// This server's role.
    pub role: Role,
    /// The highest log entry known to be committed (0 at boot, increases monotonically).
    /// The kit applies entries up to it to the key-value store and answers their clients.
    pub commit_index: LogIndex,
    /// The leader of `current_term`, if this server knows it (clients are sent there).
    pub leader: Option<NodeId>,

    // Volatile state on candidates.
    /// The servers that granted this candidate their vote in `current_term`.
    pub votes: BTreeSet<NodeId>,

    // Volatile state on leaders (reset by `become_leader`), indexed by `NodeId::index()`.
    /// For each server, the index of the next log entry to send it.
    pub next_index: Vec<LogIndex>,
    /// For each server, the highest log entry known to be replicated on it. The kit keeps
    /// the leader's own at the last index it has made durable.
    pub match_index: Vec<LogIndex>,

    pub(crate) effects: Vec<Effect>,
    /// The most entries one AppendEntries carries.
    pub(crate) max_batch: usize,
}

impl Raft {
    /// A follower in term 0 with an empty log (what a first boot looks like).
    pub(crate) fn new(me: NodeId, servers: Vec<NodeId>, max_batch: usize) -> Raft {
        let n = servers.len();
        Raft {
            me,
            servers,
            current_term: Term(0),
            voted_for: None,
            log: Log::new(),
            role: Role::Follower,
            commit_index: LogIndex(0),
            leader: None,
            votes: BTreeSet::new(),
            next_index: vec![LogIndex(1); n],
            match_index: vec![LogIndex(0); n],
            effects: Vec::new(),
            max_batch,
        }
    }

    /// Copies of the entries one AppendEntries carries from `index` (1-based) on: at most
    /// the scenario's batch size (a follower far behind catches up over several).
    pub fn batch_from(&self, index: LogIndex) -> Vec<Entry> {
        self.log.entries_between(index, self.max_batch)
    }

    /// The other servers.
    pub fn peers(&self) -> Vec<NodeId> {
        self.peer_ids().collect()
    }

    /// The other servers, without collecting them (for the kit's per-handler loops).
    pub fn peer_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.servers.iter().copied().filter(move |&s| s != self.me)
    }

    /// How many servers make a majority of the cluster.
    pub fn majority(&self) -> usize {
        self.servers.len() / 2 + 1
    }

    /// Sends `msg` to `to`. If you called [`Raft::persist`] earlier in this handler (or in
    /// an earlier one whose write is not yet on disk), the message leaves only once that
    /// write is durable: persist first, then send, and what you send never runs ahead of
    /// what you have stored.
    pub fn send(&mut self, to: NodeId, msg: impl Into<LabMsg>) {
        self.effects.push(Effect::Send(to, msg.into()));
    }

    /// Writes `current_term`, `voted_for` and the log to disk and fsyncs them. Every
    /// message sent after this call (including the reply your handler returns) is held
    /// until the write is durable. Not calling it means a crash forgets the change.
    pub fn persist(&mut self) {
        self.effects.push(Effect::Persist);
    }

    /// Restarts the election timer with a fresh random timeout (§5.2): call it when you
    /// grant a vote, and when you hear from the current leader.
    pub fn reset_election_timer(&mut self) {
        self.effects.push(Effect::ResetElectionTimer);
    }

    /// Moves to `term` (if it is newer: forgetting the vote of the old term) and becomes a
    /// follower.
    pub fn become_follower(&mut self, term: Term) {
        if term > self.current_term {
            self.current_term = term;
            self.voted_for = None;
            self.leader = None;
        }
        self.role = Role::Follower;
        self.votes.clear();
    }

    /// Becomes the leader of `current_term`: `next_index` of every server is set to the
    /// last log index + 1, `match_index` to 0. The kit then sends the first round of
    /// AppendEntries (through your `send_append_entries`) and keeps sending them every
    /// heartbeat.
    pub fn become_leader(&mut self) {
        self.role = Role::Leader;
        self.leader = Some(self.me);
        let next = LogIndex(self.log.last_index().0 + 1);
        self.next_index.iter_mut().for_each(|n| *n = next);
        self.match_index.iter_mut().for_each(|m| *m = LogIndex(0));
    }
}
