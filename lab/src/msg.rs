//! The lab's messages: Raft's two RPCs and their replies, exactly the fields of the paper's
//! Figure 2 ("RequestVote RPC", "AppendEntries RPC"), plus a match index in the
//! AppendEntries reply so a leader knows what a success acknowledges.
//!
//! They travel in eightfold's envelope as a protocol's own messages
//! ([`eightfold::protocol::PeerMessage`]): the encoding below is what the simulated network
//! authenticates, replays and corrupts. You never encode or decode them yourself.

use eightfold::proto::kv::ClientRequest;
use eightfold::proto::wire::{HEADER, Reader, Writer};
use eightfold::protocol::{LogIndex, NodeId, PeerMessage, Term};
use eightfold::sim::Contents;

/// One entry of the replicated log: the term it was created in and the client's command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The leader's term when it received the command.
    pub term: Term,
    /// The client's request, applied to the key-value store once committed.
    pub command: ClientRequest,
}

impl Entry {
    /// Bytes of the encoding.
    pub(crate) fn encoded_len(&self) -> u32 {
        8 + self.command.wire_size()
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        w.u64(self.term.0);
        self.command.encode(w);
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Option<Entry> {
        Some(Entry { term: Term(r.u64()?), command: ClientRequest::decode(r)? })
    }
}

/// RequestVote RPC (Figure 2): a candidate asks for a server's vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestVote {
    /// The candidate's term.
    pub term: Term,
    /// The candidate requesting the vote.
    pub candidate: NodeId,
    /// Index of the candidate's last log entry (§5.4).
    pub last_log_index: LogIndex,
    /// Term of the candidate's last log entry (§5.4).
    pub last_log_term: Term,
}

/// The answer to a [`RequestVote`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteReply {
    /// The voter's current term, for the candidate to update itself.
    pub term: Term,
    /// Whether the candidate received the vote.
    pub granted: bool,
}

/// AppendEntries RPC (Figure 2): a leader replicates entries (none: a heartbeat).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntries {
    /// The leader's term.
    pub term: Term,
    /// The leader, so followers can redirect clients.
    pub leader: NodeId,
    /// Index of the log entry immediately preceding the new ones.
    pub prev_log_index: LogIndex,
    /// Term of the entry at `prev_log_index`.
    pub prev_log_term: Term,
    /// Entries to store (empty for a heartbeat).
    pub entries: Vec<Entry>,
    /// The leader's commit index.
    pub leader_commit: LogIndex,
}

/// The answer to an [`AppendEntries`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendReply {
    /// The follower's current term, for the leader to update itself.
    pub term: Term,
    /// Whether the follower held an entry matching `prev_log_index` and `prev_log_term`
    /// (and so now holds the leader's entries after it).
    pub success: bool,
    /// On success, the index of the last entry the follower now knows matches the leader's
    /// log (`prev_log_index` + the number of entries sent). On failure, a hint: the
    /// follower's last log index, so the leader can jump back instead of stepping one by one.
    pub match_index: LogIndex,
}

/// Every message the lab's servers exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabMsg {
    /// A candidate asks for a vote.
    RequestVote(RequestVote),
    /// A vote granted or refused.
    VoteReply(VoteReply),
    /// A leader replicates entries or beats its heart.
    AppendEntries(AppendEntries),
    /// A follower answers AppendEntries.
    AppendReply(AppendReply),
}

impl From<RequestVote> for LabMsg {
    fn from(m: RequestVote) -> Self {
        LabMsg::RequestVote(m)
    }
}

impl From<VoteReply> for LabMsg {
    fn from(m: VoteReply) -> Self {
        LabMsg::VoteReply(m)
    }
}

impl From<AppendEntries> for LabMsg {
    fn from(m: AppendEntries) -> Self {
        LabMsg::AppendEntries(m)
    }
}

impl From<AppendReply> for LabMsg {
    fn from(m: AppendReply) -> Self {
        LabMsg::AppendReply(m)
    }
}

impl PeerMessage for LabMsg {
    const FAMILY: &'static str = "raft-lab";

    fn kind(&self) -> &'static str {
        match self {
            LabMsg::RequestVote(_) => "RequestVote",
            LabMsg::VoteReply(_) => "RequestVoteResp",
            LabMsg::AppendEntries(_) => "AppendEntries",
            LabMsg::AppendReply(_) => "AppendEntriesResp",
        }
    }

    fn wire_size(&self) -> u32 {
        HEADER
            + match self {
                LabMsg::RequestVote(_) => 8 + 4 + 8 + 8,
                LabMsg::VoteReply(_) => 8 + 1,
                LabMsg::AppendEntries(m) => {
                    8 + 4 + 8 + 8 + 8 + 4 + m.entries.iter().map(Entry::encoded_len).sum::<u32>()
                }
                LabMsg::AppendReply(_) => 8 + 1 + 8,
            }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        match self {
            LabMsg::RequestVote(m) => {
                w.u8(1).u64(m.term.0).u32(m.candidate.0).u64(m.last_log_index.0).u64(m.last_log_term.0);
            }
            LabMsg::VoteReply(m) => {
                w.u8(2).u64(m.term.0).bool(m.granted);
            }
            LabMsg::AppendEntries(m) => {
                w.u8(3)
                    .u64(m.term.0)
                    .u32(m.leader.0)
                    .u64(m.prev_log_index.0)
                    .u64(m.prev_log_term.0)
                    .u64(m.leader_commit.0)
                    .u32(u32::try_from(m.entries.len()).unwrap_or(u32::MAX));
                for e in &m.entries {
                    e.encode(&mut w);
                }
            }
            LabMsg::AppendReply(m) => {
                w.u8(4).u64(m.term.0).bool(m.success).u64(m.match_index.0);
            }
        }
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        let msg = match r.u8()? {
            1 => LabMsg::RequestVote(RequestVote {
                term: Term(r.u64()?),
                candidate: NodeId(r.u32()?),
                last_log_index: LogIndex(r.u64()?),
                last_log_term: Term(r.u64()?),
            }),
            2 => LabMsg::VoteReply(VoteReply { term: Term(r.u64()?), granted: r.bool()? }),
            3 => {
                let (term, leader) = (Term(r.u64()?), NodeId(r.u32()?));
                let (prev_log_index, prev_log_term) = (LogIndex(r.u64()?), Term(r.u64()?));
                let leader_commit = LogIndex(r.u64()?);
                let n = r.u32()?;
                // Every entry takes at least a term and a request header: a count the bytes
                // cannot hold is a corrupted message, not a reason to allocate.
                if u64::from(n) > bytes.len() as u64 / 9 {
                    return None;
                }
                let entries = (0..n).map(|_| Entry::decode(&mut r)).collect::<Option<Vec<_>>>()?;
                LabMsg::AppendEntries(AppendEntries {
                    term,
                    leader,
                    prev_log_index,
                    prev_log_term,
                    entries,
                    leader_commit,
                })
            }
            4 => LabMsg::AppendReply(AppendReply {
                term: Term(r.u64()?),
                success: r.bool()?,
                match_index: LogIndex(r.u64()?),
            }),
            _ => return None,
        };
        r.finish(msg)
    }

    fn contents(&self, out: &mut Contents) {
        match self {
            LabMsg::RequestVote(m) => {
                out.num("term", m.term.0)
                    .node("candidate", m.candidate)
                    .num("last_log_index", m.last_log_index.0)
                    .num("last_log_term", m.last_log_term.0);
            }
            LabMsg::VoteReply(m) => {
                out.num("term", m.term.0).flag("granted", m.granted);
            }
            LabMsg::AppendEntries(m) => {
                out.num("term", m.term.0)
                    .node("leader", m.leader)
                    .num("prev_log_index", m.prev_log_index.0)
                    .num("prev_log_term", m.prev_log_term.0)
                    .num("entries", m.entries.len() as u64)
                    .num("leader_commit", m.leader_commit.0);
            }
            LabMsg::AppendReply(m) => {
                out.num("term", m.term.0).flag("success", m.success).num("match_index", m.match_index.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eightfold::proto::kv::{ClientSeq, KvOp};

    #[test]
    fn every_message_round_trips_and_garbage_is_refused() {
        let put = ClientRequest { client: 9, seq: ClientSeq(3), op: KvOp::Put { key: 1, value: "v".into() } };
        let msgs = [
            LabMsg::RequestVote(RequestVote {
                term: Term(3),
                candidate: NodeId(1),
                last_log_index: LogIndex(7),
                last_log_term: Term(2),
            }),
            LabMsg::VoteReply(VoteReply { term: Term(3), granted: true }),
            LabMsg::AppendEntries(AppendEntries {
                term: Term(3),
                leader: NodeId(1),
                prev_log_index: LogIndex(6),
                prev_log_term: Term(2),
                entries: vec![Entry { term: Term(3), command: put }],
                leader_commit: LogIndex(5),
            }),
            LabMsg::AppendReply(AppendReply { term: Term(3), success: false, match_index: LogIndex(4) }),
        ];
        for m in msgs {
            let mut b = Vec::new();
            m.encode(&mut b);
            assert_eq!(LabMsg::decode(&b), Some(m.clone()));
            assert!(m.wire_size() > HEADER);
            b.push(0);
            assert_eq!(LabMsg::decode(&b), None, "trailing bytes are refused");
        }
        assert_eq!(LabMsg::decode(&[]), None);
        assert_eq!(LabMsg::decode(&[3, 0, 0]), None);
        // A huge entry count in a short message is refused without allocating.
        let mut b = Vec::new();
        Writer::new(&mut b).u8(3).u64(1).u32(0).u64(0).u64(0).u64(0).u32(u32::MAX);
        assert_eq!(LabMsg::decode(&b), None);
    }
}
