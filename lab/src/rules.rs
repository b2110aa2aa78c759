//! The rules a solution implements: the paper's Figure 2, "Rules for Servers", cut into the
//! three exercises of the lab. The kit calls them; each gets the server's state
//! ([`Raft`]) to read, change and act through.
//!
//! Exercise 1, **leader election** (§5.2): [`Rules::start_election`],
//! [`Rules::handle_request_vote`], [`Rules::handle_vote_reply`].
//!
//! Exercise 2, **log replication** (§5.3, §5.4): [`Rules::send_append_entries`],
//! [`Rules::handle_append_entries`], [`Rules::handle_append_reply`],
//! [`Rules::advance_commit_index`]. The election restriction of §5.4.1 belongs to
//! `handle_request_vote`.
//!
//! Exercise 3, **persistence and crash recovery** (Figure 2, "Persistent state"): call
//! [`Raft::persist`] wherever `current_term`, `voted_for` or the log change, before the
//! message that depends on it leaves; and [`Rules::restore`] the state after a crash.

use eightfold::protocol::NodeId;

use crate::msg::{AppendEntries, AppendReply, RequestVote, VoteReply};
use crate::raft::Raft;
use crate::saved::Saved;

/// A solution to the lab: the rules of Raft a server follows.
pub trait Rules: 'static {
    /// Exercise 1a: the election timer fired and this server is not the leader — start an
    /// election (§5.2): a new term, a vote for itself, RequestVote to every other server.
    fn start_election(rf: &mut Raft);

    /// Exercise 1b (and 2, the election restriction of §5.4.1): answer a candidate's
    /// RequestVote. The kit sends the reply you return to the candidate.
    fn handle_request_vote(rf: &mut Raft, args: &RequestVote) -> VoteReply;

    /// Exercise 1c: a reply to this server's RequestVote arrived from `from`.
    fn handle_vote_reply(rf: &mut Raft, from: NodeId, reply: &VoteReply);

    /// Exercise 2a: send `to` an AppendEntries carrying the entries from its `next_index`
    /// on (none: a heartbeat). The kit calls it for every other server when this server
    /// becomes leader, every heartbeat interval, and when a client's command is appended.
    fn send_append_entries(rf: &mut Raft, to: NodeId);

    /// Exercise 2b: answer a leader's AppendEntries. The kit sends the reply you return to
    /// the leader.
    fn handle_append_entries(rf: &mut Raft, args: &AppendEntries) -> AppendReply;

    /// Exercise 2c: a reply to this leader's AppendEntries arrived from `from`.
    fn handle_append_reply(rf: &mut Raft, from: NodeId, reply: &AppendReply);

    /// Exercise 2d: a leader's `match_index` changed — advance `commit_index` if a
    /// majority now stores more of the log (§5.3, and §5.4.2 for which entries may be
    /// counted). The kit calls it after `handle_append_reply` and when the leader's own
    /// write becomes durable.
    fn advance_commit_index(rf: &mut Raft);

    /// Exercise 3b: the server restarts after a crash and `saved` is what it had persisted
    /// (called only when the disk holds something): put the persistent state back. The
    /// volatile state starts afresh (a follower, nothing known committed).
    fn restore(rf: &mut Raft, saved: Saved);
}
