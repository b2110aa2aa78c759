//! Four student solutions with one classic mistake each. Every rule but the broken one is
//! the reference's; the grade suite must catch each with a named check, a replay command
//! and a shrunk scenario.

use eightfold::protocol::NodeId;
use raft_lab::{AppendEntries, AppendReply, Raft, RequestVote, Rules, Saved, VoteReply};

use crate::reference::{Reference, accept_entries, commit_by_majority, up_to_date, vote};

/// Grants votes without the election restriction (§5.4.1): a candidate missing committed
/// entries can win, and its log then overwrites them.
pub struct VotesWithoutLogCheck;

/// Commits an entry as soon as a majority stores it, whatever its term: Figure 8's
/// mistake. An entry of an old term counted this way can still be overwritten.
pub struct CommitWithoutCurrentTerm;

/// Deletes everything after `prev_log_index` on every AppendEntries, matching or not: a
/// delayed, shorter AppendEntries then cuts entries already acknowledged (and committed).
pub struct TruncateOnMatch;

/// Answers RequestVote and AppendEntries without persisting first: a server that crashes
/// right after voting (or acknowledging entries) forgets it, and can vote twice in a term.
pub struct NoPersistBeforeReply;

/// The reference's rules, by name, for the rules a broken solution keeps.
macro_rules! from_reference {
    (start_election) => {
        fn start_election(rf: &mut Raft) {
            Reference::start_election(rf)
        }
    };
    (handle_request_vote) => {
        fn handle_request_vote(rf: &mut Raft, args: &RequestVote) -> VoteReply {
            Reference::handle_request_vote(rf, args)
        }
    };
    (handle_vote_reply) => {
        fn handle_vote_reply(rf: &mut Raft, from: NodeId, reply: &VoteReply) {
            Reference::handle_vote_reply(rf, from, reply)
        }
    };
    (send_append_entries) => {
        fn send_append_entries(rf: &mut Raft, to: NodeId) {
            Reference::send_append_entries(rf, to)
        }
    };
    (handle_append_entries) => {
        fn handle_append_entries(rf: &mut Raft, args: &AppendEntries) -> AppendReply {
            Reference::handle_append_entries(rf, args)
        }
    };
    (handle_append_reply) => {
        fn handle_append_reply(rf: &mut Raft, from: NodeId, reply: &AppendReply) {
            Reference::handle_append_reply(rf, from, reply)
        }
    };
    (advance_commit_index) => {
        fn advance_commit_index(rf: &mut Raft) {
            Reference::advance_commit_index(rf)
        }
    };
    (restore) => {
        fn restore(rf: &mut Raft, saved: Saved) {
            Reference::restore(rf, saved)
        }
    };
    ($($rule:ident),+) => {
        $(from_reference!($rule);)+
    };
}

impl Rules for VotesWithoutLogCheck {
    fn handle_request_vote(rf: &mut Raft, args: &RequestVote) -> VoteReply {
        // The student forgot the candidate's log: any candidate of a current term wins.
        let reply = vote(rf, args, true);
        rf.persist();
        reply
    }

    from_reference!(
        start_election,
        handle_vote_reply,
        send_append_entries,
        handle_append_entries,
        handle_append_reply,
        advance_commit_index,
        restore
    );
}

impl Rules for CommitWithoutCurrentTerm {
    fn advance_commit_index(rf: &mut Raft) {
        // The student counted replicas of any entry, not only the current term's.
        commit_by_majority(rf, |_, _| true);
    }

    from_reference!(
        start_election,
        handle_request_vote,
        handle_vote_reply,
        send_append_entries,
        handle_append_entries,
        handle_append_reply,
        restore
    );
}

impl Rules for NoPersistBeforeReply {
    fn handle_request_vote(rf: &mut Raft, args: &RequestVote) -> VoteReply {
        // The student answers at once; the vote reaches the disk only with some later write.
        let log_ok = up_to_date(rf, args);
        vote(rf, args, log_ok)
    }

    fn handle_append_entries(rf: &mut Raft, args: &AppendEntries) -> AppendReply {
        accept_entries(rf, args)
    }

    from_reference!(
        start_election,
        handle_vote_reply,
        send_append_entries,
        handle_append_reply,
        advance_commit_index,
        restore
    );
}

impl Rules for TruncateOnMatch {
    fn handle_append_entries(rf: &mut Raft, args: &AppendEntries) -> AppendReply {
        if args.term >= rf.current_term && rf.log.term_at(args.prev_log_index) == Some(args.prev_log_term) {
            // The student replaces the suffix instead of merging it.
            rf.log.truncate_from(eightfold::protocol::LogIndex(args.prev_log_index.0 + 1));
        }
        let reply = accept_entries(rf, args);
        rf.persist();
        reply
    }

    from_reference!(
        start_election,
        handle_request_vote,
        handle_vote_reply,
        send_append_entries,
        handle_append_reply,
        advance_commit_index,
        restore
    );
}
