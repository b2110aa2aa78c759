//! The messages Raft servers exchange (Figure 2 of the paper, plus pre-vote, §9.6 of the
//! dissertation, and an administrative membership request, §4.1), their honest wire sizes
//! and their stable encoding.
//!
//! Decoding is total: a corrupted or forged message decodes to `None` (or to another
//! well-formed message, which the protocol treats like any message from the network), never
//! panics, and never allocates more than the input could hold.

use std::sync::Arc;

use crate::wire::{Reader, Writer};
use eightfold_sim::sim::{Contents, LogIndex, Message, NodeId, SimDuration, Term};

use super::batch::Batch;
use super::log::{Entry, MIN_ENTRY_BYTES};
use super::storage::SnapshotMeta;

use crate::wire::HEADER;

/// A leader's heartbeat round: it numbers the broadcasts of one leadership, each follower
/// echoes the round it answers, and a read is served once a majority acknowledged a round
/// sent after the read arrived (ReadIndex, thesis §6.4) or a lease holds. Round 0 is never
/// sent (a leader starts at 1): a read confirmed by a lease waits for round 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HeartbeatRound(pub u64);

impl HeartbeatRound {
    /// The round after this one.
    #[must_use]
    pub fn next(self) -> HeartbeatRound {
        HeartbeatRound(self.0 + 1)
    }
}

impl std::fmt::Display for HeartbeatRound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "round {}", self.0)
    }
}

/// A single-server membership change (dissertation §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipChange {
    /// Make this server a voting member.
    Add(NodeId),
    /// Remove this server from the voting members.
    Remove(NodeId),
}

/// A follower's answer to AppendEntries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The follower's log matches the leader's up to `index` (durably).
    Match {
        /// Highest index known to match.
        index: LogIndex,
    },
    /// The consistency check failed at `prev` (§5.3). The hint lets the leader skip back a
    /// whole term at once: `term` is the follower's term at `prev` (`None` if its log is
    /// shorter) and `index` the first index of that term in its log (or its last index + 1).
    Conflict {
        /// The `prev_index` of the rejected request.
        prev: LogIndex,
        /// The conflicting term, if the follower has an entry at `prev`.
        term: Option<Term>,
        /// Where the leader should look next.
        index: LogIndex,
    },
}

/// A Raft message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftMsg {
    /// Candidate → voter: vote for me in `term` (§5.2); my log ends at
    /// (`last_index`, `last_term`) (§5.4.1).
    RequestVote {
        /// The candidate's term.
        term: Term,
        /// Index of the candidate's last entry.
        last_index: LogIndex,
        /// Term of the candidate's last entry.
        last_term: Term,
    },
    /// Voter → candidate.
    RequestVoteResp {
        /// The voter's term.
        term: Term,
        /// True if the vote was granted.
        granted: bool,
    },
    /// Pre-candidate → voter: would you vote for me in `term` (my term + 1)? Changes no
    /// state on either side (§9.6).
    PreVote {
        /// The term the sender would campaign in.
        term: Term,
        /// Index of the sender's last entry.
        last_index: LogIndex,
        /// Term of the sender's last entry.
        last_term: Term,
    },
    /// Voter → pre-candidate.
    PreVoteResp {
        /// The requested term if granted, else the voter's own term.
        term: Term,
        /// True if the voter would vote.
        granted: bool,
    },
    /// Leader → follower: replicate entries after (`prev_index`, `prev_term`) (§5.3); also
    /// the heartbeat (no entries).
    AppendEntries {
        /// The leader's term.
        term: Term,
        /// The leader's heartbeat round when sent (echoed, for ReadIndex and leases).
        round: HeartbeatRound,
        /// Index of the entry preceding `entries`.
        prev_index: LogIndex,
        /// Its term.
        prev_term: Term,
        /// The leader's commit index.
        commit: LogIndex,
        /// Entries to store (empty for a heartbeat), shared by every follower sent the
        /// same batch.
        entries: Batch,
    },
    /// Follower → leader.
    AppendEntriesResp {
        /// The follower's term.
        term: Term,
        /// The round of the request answered.
        round: HeartbeatRound,
        /// How much longer, from when this answer was written, the follower will grant no
        /// vote and start no election (its own promise, by its own clock; zero when it
        /// promises nothing). A leader's lease rests on these (`read.rs`).
        promise: SimDuration,
        /// Match or conflict.
        outcome: AppendOutcome,
    },
    /// Leader → follower whose next entry was compacted away: one chunk of the snapshot
    /// (§7, Figure 13). A snapshot larger than one message is sent as consecutive chunks.
    InstallSnapshot {
        /// The leader's term.
        term: Term,
        /// The leader's heartbeat round when sent.
        round: HeartbeatRound,
        /// What the snapshot covers.
        meta: SnapshotMeta,
        /// Byte offset of `data` in the serialized snapshot.
        offset: u64,
        /// True for the last chunk.
        done: bool,
        /// Bytes `offset ..` of the state machine's serialized state.
        data: Arc<[u8]>,
    },
    /// Follower → leader: how much of the snapshot ending at `index` it holds, or that it is
    /// installed and durable.
    InstallSnapshotResp {
        /// The follower's term.
        term: Term,
        /// The round of the request answered.
        round: HeartbeatRound,
        /// Last index covered by the snapshot this answer is about.
        index: LogIndex,
        /// Bytes of that snapshot received so far, contiguous from offset 0 (the offset of
        /// the chunk the follower wants next).
        received: u64,
        /// True once the whole snapshot is installed and durable (or the follower already
        /// had everything it covers).
        installed: bool,
        /// The follower's promise, as in [`RaftMsg::AppendEntriesResp`].
        promise: SimDuration,
    },
    /// Operator → leader: change the membership by one server (§4.1).
    AdminChange {
        /// The change.
        change: MembershipChange,
    },
}

impl RaftMsg {
    /// The term the message speaks for, if it carries one.
    pub fn term(&self) -> Option<Term> {
        match self {
            RaftMsg::RequestVote { term, .. }
            | RaftMsg::RequestVoteResp { term, .. }
            | RaftMsg::PreVote { term, .. }
            | RaftMsg::PreVoteResp { term, .. }
            | RaftMsg::AppendEntries { term, .. }
            | RaftMsg::AppendEntriesResp { term, .. }
            | RaftMsg::InstallSnapshot { term, .. }
            | RaftMsg::InstallSnapshotResp { term, .. } => Some(*term),
            RaftMsg::AdminChange { .. } => None,
        }
    }

    /// False for messages no honest server sends: indexes or terms near the top of their
    /// range (no real log gets there; arithmetic on them could overflow), or entries of a
    /// later term than the leader's own. A corrupted message that still decodes is dropped
    /// before it reaches the protocol.
    pub fn plausible(&self) -> bool {
        const LIMIT: u64 = 1 << 62;
        let ok = |x: u64| x < LIMIT;
        match self {
            RaftMsg::RequestVote { term, last_index, last_term }
            | RaftMsg::PreVote { term, last_index, last_term } => {
                ok(term.0) && ok(last_index.0) && last_term <= term
            }
            RaftMsg::RequestVoteResp { term, .. } | RaftMsg::PreVoteResp { term, .. } => ok(term.0),
            RaftMsg::AppendEntries { term, prev_index, prev_term, commit, entries, .. } => {
                ok(term.0)
                    && ok(prev_index.0)
                    && ok(commit.0)
                    && prev_term <= term
                    && entries.iter().all(|e| e.term <= *term && e.term >= *prev_term)
            }
            RaftMsg::AppendEntriesResp { term, promise, outcome, .. } => {
                ok(term.0)
                    && ok(promise.as_nanos())
                    && match outcome {
                        AppendOutcome::Match { index } => ok(index.0),
                        AppendOutcome::Conflict { prev, index, .. } => ok(prev.0) && ok(index.0),
                    }
            }
            RaftMsg::InstallSnapshot { term, meta, offset, .. } => {
                ok(term.0) && ok(meta.index.0) && ok(*offset) && meta.term <= *term
            }
            RaftMsg::InstallSnapshotResp { term, index, received, promise, .. } => {
                ok(term.0) && ok(index.0) && ok(*received) && ok(promise.as_nanos())
            }
            RaftMsg::AdminChange { .. } => true,
        }
    }

    /// Bytes of the encoding produced by [`Message::encode`].
    pub fn encoded_len(&self) -> u32 {
        1 + match self {
            RaftMsg::RequestVote { .. } | RaftMsg::PreVote { .. } => 24,
            RaftMsg::RequestVoteResp { .. } | RaftMsg::PreVoteResp { .. } => 9,
            RaftMsg::AppendEntries { entries, .. } => {
                40 + 4 + entries.iter().map(Entry::encoded_len).sum::<u32>()
            }
            RaftMsg::AppendEntriesResp { outcome, .. } => {
                24 + match outcome {
                    AppendOutcome::Match { .. } => 9,
                    AppendOutcome::Conflict { term, .. } => 17 + if term.is_some() { 9 } else { 1 },
                }
            }
            RaftMsg::InstallSnapshot { meta, data, .. } => {
                16 + meta.encoded_len() + 9 + 4 + data.len() as u32
            }
            RaftMsg::InstallSnapshotResp { .. } => 41,
            RaftMsg::AdminChange { .. } => 5,
        }
    }
}

impl Message for RaftMsg {
    fn wire_size(&self) -> u32 {
        HEADER + self.encoded_len()
    }

    fn kind(&self) -> &'static str {
        match self {
            RaftMsg::RequestVote { .. } => "RequestVote",
            RaftMsg::RequestVoteResp { .. } => "RequestVoteResp",
            RaftMsg::PreVote { .. } => "PreVote",
            RaftMsg::PreVoteResp { .. } => "PreVoteResp",
            RaftMsg::AppendEntries { .. } => "AppendEntries",
            RaftMsg::AppendEntriesResp { .. } => "AppendEntriesResp",
            RaftMsg::InstallSnapshot { .. } => "InstallSnapshot",
            RaftMsg::InstallSnapshotResp { .. } => "InstallSnapshotResp",
            RaftMsg::AdminChange { .. } => "AdminChange",
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        match self {
            RaftMsg::RequestVote { term, last_index, last_term } => {
                w.u8(1).u64(term.0).u64(last_index.0).u64(last_term.0);
            }
            RaftMsg::RequestVoteResp { term, granted } => {
                w.u8(2).u64(term.0).bool(*granted);
            }
            RaftMsg::PreVote { term, last_index, last_term } => {
                w.u8(3).u64(term.0).u64(last_index.0).u64(last_term.0);
            }
            RaftMsg::PreVoteResp { term, granted } => {
                w.u8(4).u64(term.0).bool(*granted);
            }
            RaftMsg::AppendEntries { term, round, prev_index, prev_term, commit, entries } => {
                w.u8(5).u64(term.0).u64(round.0).u64(prev_index.0).u64(prev_term.0).u64(commit.0);
                w.u32(entries.len() as u32);
                for e in entries.iter() {
                    e.encode(&mut w);
                }
            }
            RaftMsg::AppendEntriesResp { term, round, promise, outcome } => {
                w.u8(6).u64(term.0).u64(round.0).u64(promise.as_nanos());
                match outcome {
                    AppendOutcome::Match { index } => {
                        w.u8(1).u64(index.0);
                    }
                    AppendOutcome::Conflict { prev, term, index } => {
                        w.u8(2).u64(prev.0).u64(index.0);
                        match term {
                            Some(t) => w.u8(1).u64(t.0),
                            None => w.u8(0),
                        };
                    }
                }
            }
            RaftMsg::InstallSnapshot { term, round, meta, offset, done, data } => {
                w.u8(7).u64(term.0).u64(round.0);
                meta.encode(&mut w);
                w.u64(*offset).bool(*done).bytes(data);
            }
            RaftMsg::InstallSnapshotResp { term, round, index, received, installed, promise } => {
                w.u8(8).u64(term.0).u64(round.0).u64(index.0).u64(*received).bool(*installed);
                w.u64(promise.as_nanos());
            }
            RaftMsg::AdminChange { change } => {
                match change {
                    MembershipChange::Add(n) => w.u8(9).u8(1).u32(n.0),
                    MembershipChange::Remove(n) => w.u8(9).u8(2).u32(n.0),
                };
            }
        }
    }

    /// The fields of Figure 2 of the Raft paper, under its names.
    fn contents(&self, out: &mut Contents) {
        match self {
            RaftMsg::RequestVote { term, last_index, last_term }
            | RaftMsg::PreVote { term, last_index, last_term } => {
                out.num("term", term.0).num("lastLogIndex", last_index.0).num("lastLogTerm", last_term.0);
            }
            RaftMsg::RequestVoteResp { term, granted } | RaftMsg::PreVoteResp { term, granted } => {
                out.num("term", term.0).flag("voteGranted", *granted);
            }
            RaftMsg::AppendEntries { term, round, prev_index, prev_term, commit, entries } => {
                out.num("term", term.0)
                    .num("prevLogIndex", prev_index.0)
                    .num("prevLogTerm", prev_term.0)
                    .text("entries", describe_entries(*prev_index, entries))
                    .num("leaderCommit", commit.0)
                    .num("round", round.0);
            }
            RaftMsg::AppendEntriesResp { term, round, promise, outcome } => {
                out.num("term", term.0);
                match outcome {
                    AppendOutcome::Match { index } => {
                        out.flag("success", true).num("matchIndex", index.0);
                    }
                    AppendOutcome::Conflict { prev, term: at, index } => {
                        out.flag("success", false).num("prevLogIndex", prev.0);
                        match at {
                            Some(t) => out.num("conflictTerm", t.0),
                            None => out.text("conflictTerm", "none (log too short)"),
                        };
                        out.num("conflictIndex", index.0);
                    }
                }
                out.num("round", round.0);
                if promise.as_nanos() > 0 {
                    out.text("promise", promise);
                }
            }
            RaftMsg::InstallSnapshot { term, round, meta, offset, done, data } => {
                out.num("term", term.0)
                    .num("lastIncludedIndex", meta.index.0)
                    .num("lastIncludedTerm", meta.term.0)
                    .num("offset", *offset)
                    .num("bytes", data.len() as u64)
                    .flag("done", *done)
                    .num("round", round.0);
            }
            RaftMsg::InstallSnapshotResp { term, round, index, received, installed, .. } => {
                out.num("term", term.0)
                    .num("lastIncludedIndex", index.0)
                    .num("received", *received)
                    .flag("installed", *installed)
                    .num("round", round.0);
            }
            RaftMsg::AdminChange { change } => {
                match change {
                    MembershipChange::Add(n) => out.num("add server", n.0 as u64),
                    MembershipChange::Remove(n) => out.num("remove server", n.0 as u64),
                };
            }
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        let m = match r.u8()? {
            1 => RaftMsg::RequestVote {
                term: Term(r.u64()?),
                last_index: LogIndex(r.u64()?),
                last_term: Term(r.u64()?),
            },
            2 => RaftMsg::RequestVoteResp { term: Term(r.u64()?), granted: r.bool()? },
            3 => RaftMsg::PreVote {
                term: Term(r.u64()?),
                last_index: LogIndex(r.u64()?),
                last_term: Term(r.u64()?),
            },
            4 => RaftMsg::PreVoteResp { term: Term(r.u64()?), granted: r.bool()? },
            5 => {
                let term = Term(r.u64()?);
                let round = HeartbeatRound(r.u64()?);
                let prev_index = LogIndex(r.u64()?);
                let prev_term = Term(r.u64()?);
                let commit = LogIndex(r.u64()?);
                let n = r.u32()? as usize;
                // Every entry takes at least MIN_ENTRY_BYTES: a count the remaining input
                // cannot hold is corruption, refused before allocating.
                if n > bytes.len() / MIN_ENTRY_BYTES {
                    return None;
                }
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    entries.push(Entry::decode(&mut r)?);
                }
                RaftMsg::AppendEntries { term, round, prev_index, prev_term, commit, entries: entries.into() }
            }
            6 => {
                let term = Term(r.u64()?);
                let round = HeartbeatRound(r.u64()?);
                let promise = SimDuration::from_nanos(r.u64()?);
                let outcome = match r.u8()? {
                    1 => AppendOutcome::Match { index: LogIndex(r.u64()?) },
                    2 => {
                        let prev = LogIndex(r.u64()?);
                        let index = LogIndex(r.u64()?);
                        let term = match r.u8()? {
                            0 => None,
                            1 => Some(Term(r.u64()?)),
                            _ => return None,
                        };
                        AppendOutcome::Conflict { prev, term, index }
                    }
                    _ => return None,
                };
                RaftMsg::AppendEntriesResp { term, round, promise, outcome }
            }
            7 => RaftMsg::InstallSnapshot {
                term: Term(r.u64()?),
                round: HeartbeatRound(r.u64()?),
                meta: SnapshotMeta::decode(&mut r)?,
                offset: r.u64()?,
                done: r.bool()?,
                data: r.bytes()?.into(),
            },
            8 => RaftMsg::InstallSnapshotResp {
                term: Term(r.u64()?),
                round: HeartbeatRound(r.u64()?),
                index: LogIndex(r.u64()?),
                received: r.u64()?,
                installed: r.bool()?,
                promise: SimDuration::from_nanos(r.u64()?),
            },
            9 => {
                let change = match r.u8()? {
                    1 => MembershipChange::Add(NodeId(r.u32()?)),
                    2 => MembershipChange::Remove(NodeId(r.u32()?)),
                    _ => return None,
                };
                RaftMsg::AdminChange { change }
            }
            _ => return None,
        };
        r.finish(m)
    }
}

/// An AppendEntries' entries in words: `none (heartbeat)`, or their indices, count and
/// terms (`1394-1396: 3 entries, term 1`).
fn describe_entries(prev: LogIndex, entries: &[Entry]) -> String {
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return "none (heartbeat)".to_string();
    };
    let (lo, hi) = (prev.0 + 1, prev.0 + entries.len() as u64);
    let at = if lo == hi { format!("{lo}") } else { format!("{lo}-{hi}") };
    let n = entries.len();
    let terms = if first.term == last.term {
        format!("term {}", first.term.0)
    } else {
        format!("terms {}-{}", first.term.0, last.term.0)
    };
    format!("{at}: {n} entr{}, {terms}", if n == 1 { "y" } else { "ies" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft::log::RaftPayload;
    use eightfold_sim::sim::RngStreams;
    use eightfold_sim::sim::rng::Draw;
    use eightfold_sim::sim::{Contents, FieldValue};

    fn samples() -> Vec<RaftMsg> {
        let entries = vec![
            Entry { term: Term(3), payload: RaftPayload::Noop },
            Entry { term: Term(3), payload: RaftPayload::Command(vec![1, 2, 3].into()) },
            Entry { term: Term(4), payload: RaftPayload::Config(vec![NodeId(0), NodeId(2)].into()) },
        ];
        let meta = SnapshotMeta {
            index: LogIndex(9),
            term: Term(2),
            chain: 77,
            voters: vec![NodeId(0), NodeId(1), NodeId(2)].into(),
        };
        vec![
            RaftMsg::RequestVote { term: Term(5), last_index: LogIndex(9), last_term: Term(4) },
            RaftMsg::RequestVoteResp { term: Term(5), granted: true },
            RaftMsg::PreVote { term: Term(6), last_index: LogIndex(1), last_term: Term(1) },
            RaftMsg::PreVoteResp { term: Term(6), granted: false },
            RaftMsg::AppendEntries {
                term: Term(4),
                round: HeartbeatRound(8),
                prev_index: LogIndex(3),
                prev_term: Term(2),
                commit: LogIndex(2),
                entries: entries.into(),
            },
            RaftMsg::AppendEntries {
                term: Term(4),
                round: HeartbeatRound(8),
                prev_index: LogIndex(3),
                prev_term: Term(2),
                commit: LogIndex(2),
                entries: Batch::empty(),
            },
            RaftMsg::AppendEntriesResp {
                term: Term(4),
                round: HeartbeatRound(8),
                promise: SimDuration::from_millis(150),
                outcome: AppendOutcome::Match { index: LogIndex(6) },
            },
            RaftMsg::AppendEntriesResp {
                term: Term(4),
                round: HeartbeatRound(8),
                promise: SimDuration::from_millis(150),
                outcome: AppendOutcome::Conflict {
                    prev: LogIndex(6),
                    term: Some(Term(2)),
                    index: LogIndex(3),
                },
            },
            RaftMsg::AppendEntriesResp {
                term: Term(4),
                round: HeartbeatRound(8),
                promise: SimDuration::from_millis(150),
                outcome: AppendOutcome::Conflict { prev: LogIndex(6), term: None, index: LogIndex(3) },
            },
            RaftMsg::InstallSnapshot {
                term: Term(4),
                round: HeartbeatRound(2),
                meta,
                offset: 4096,
                done: true,
                data: vec![9u8; 1000].into(),
            },
            RaftMsg::InstallSnapshotResp {
                term: Term(4),
                round: HeartbeatRound(2),
                index: LogIndex(9),
                received: 5096,
                installed: false,
                promise: SimDuration::from_millis(120),
            },
            RaftMsg::AdminChange { change: MembershipChange::Add(NodeId(4)) },
            RaftMsg::AdminChange { change: MembershipChange::Remove(NodeId(1)) },
        ]
    }

    #[test]
    fn every_message_round_trips_with_an_honest_size() {
        for m in samples() {
            let mut b = Vec::new();
            m.encode(&mut b);
            assert_eq!(b.len() as u32, m.encoded_len(), "{m:?}");
            assert_eq!(m.wire_size(), HEADER + b.len() as u32);
            assert_eq!(RaftMsg::decode(&b), Some(m.clone()));
            // Every truncation is refused.
            for cut in 0..b.len() {
                assert_eq!(RaftMsg::decode(&b[..cut]), None, "{} cut at {cut}", m.kind());
            }
        }
    }

    #[test]
    fn implausible_messages_are_recognised() {
        assert!(samples().iter().all(RaftMsg::plausible));
        let huge = RaftMsg::AppendEntriesResp {
            term: Term(1),
            round: HeartbeatRound(0),
            promise: SimDuration::ZERO,
            outcome: AppendOutcome::Match { index: LogIndex(u64::MAX) },
        };
        assert!(!huge.plausible());
        let forever = RaftMsg::AppendEntriesResp {
            term: Term(1),
            round: HeartbeatRound(0),
            promise: SimDuration::from_nanos(u64::MAX),
            outcome: AppendOutcome::Match { index: LogIndex(1) },
        };
        assert!(!forever.plausible(), "a promise no clock could keep is refused");
        let future = RaftMsg::AppendEntries {
            term: Term(2),
            round: HeartbeatRound(0),
            prev_index: LogIndex(0),
            prev_term: Term(0),
            commit: LogIndex(0),
            entries: vec![Entry { term: Term(3), payload: crate::raft::log::RaftPayload::Noop }].into(),
        };
        assert!(!future.plausible());
    }

    #[test]
    fn snapshots_weigh_what_they_carry() {
        let small = RaftMsg::InstallSnapshotResp {
            term: Term(1),
            round: HeartbeatRound(0),
            index: LogIndex(1),
            received: 0,
            installed: true,
            promise: SimDuration::ZERO,
        };
        let big = samples().into_iter().find(|m| m.kind() == "InstallSnapshot").unwrap();
        assert!(big.wire_size() > 1000 && small.wire_size() < 64);
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = RngStreams::new(5).stream("fuzz");
        let encoded: Vec<Vec<u8>> = samples()
            .iter()
            .map(|m| {
                let mut b = Vec::new();
                m.encode(&mut b);
                b
            })
            .collect();
        for round in 0..20_000 {
            let mut b = encoded[round % encoded.len()].clone();
            for _ in 0..rng.between(1, 4) {
                let i = rng.below(b.len() as u64) as usize;
                b[i] ^= 1 << rng.below(8);
            }
            if let Some(m) = RaftMsg::decode(&b) {
                // Whatever decodes re-encodes to the same bytes (no hidden state).
                let mut again = Vec::new();
                m.encode(&mut again);
                assert_eq!(again, b);
            }
            let random: Vec<u8> = (0..rng.below(64)).map(|_| rng.word() as u8).collect();
            let _ = RaftMsg::decode(&random);
        }
        // A huge entry count with a tiny body is refused without allocating.
        let mut b = vec![5u8];
        b.extend_from_slice(&[0u8; 40]);
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(RaftMsg::decode(&b), None);
    }

    #[test]
    fn an_append_entries_reads_as_figure_2_says() {
        let msg = RaftMsg::AppendEntries {
            term: Term(4),
            round: HeartbeatRound(9),
            prev_index: LogIndex(11),
            prev_term: Term(3),
            commit: LogIndex(10),
            entries: vec![
                Entry { term: Term(3), payload: RaftPayload::Noop },
                Entry { term: Term(4), payload: RaftPayload::Noop },
            ]
            .into(),
        };
        let mut c = Contents::default();
        msg.contents(&mut c);
        let names: Vec<&str> = c.0.iter().map(|f| f.0.as_ref()).collect();
        assert_eq!(names, ["term", "prevLogIndex", "prevLogTerm", "entries", "leaderCommit", "round"]);
        assert_eq!(c.get("prevLogIndex"), Some(&FieldValue::Num(11)));
        assert_eq!(c.get("entries"), Some(&FieldValue::Text("12-13: 2 entries, terms 3-4".into())));
        let beat = RaftMsg::AppendEntries {
            term: Term(4),
            round: HeartbeatRound(9),
            prev_index: LogIndex(13),
            prev_term: Term(4),
            commit: LogIndex(12),
            entries: Batch::empty(),
        };
        let mut c = Contents::default();
        beat.contents(&mut c);
        assert_eq!(c.get("entries"), Some(&FieldValue::Text("none (heartbeat)".into())));
        let refused = RaftMsg::AppendEntriesResp {
            term: Term(4),
            round: HeartbeatRound(9),
            promise: SimDuration::ZERO,
            outcome: AppendOutcome::Conflict { prev: LogIndex(11), term: None, index: LogIndex(8) },
        };
        let mut c = Contents::default();
        refused.contents(&mut c);
        assert_eq!(c.get("success"), Some(&FieldValue::Flag(false)));
        assert_eq!(c.get("conflictIndex"), Some(&FieldValue::Num(8)));
        assert_eq!(c.get("promise"), None, "a zero promise is not shown");
    }
}
