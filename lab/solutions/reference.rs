//! The reference solution: Figure 2's rules, all of them.

use eightfold::protocol::{LogIndex, NodeId};
use raft_lab::{AppendEntries, AppendReply, Raft, RequestVote, Role, Rules, Saved, VoteReply};

/// The reference solution.
pub struct Reference;

/// Whether a candidate's last entry (`index`, `term`) is at least as up-to-date as
/// `rf`'s log (§5.4.1).
pub fn up_to_date(rf: &Raft, args: &RequestVote) -> bool {
    (args.last_log_term, args.last_log_index) >= (rf.log.last_term(), rf.log.last_index())
}

/// 'All Servers' (Figure 2): a reply of a newer term makes this server a follower of that
/// term (persisted); returns whether it did.
fn newer_term(rf: &mut Raft, term: eightfold::protocol::Term) -> bool {
    if term <= rf.current_term {
        return false;
    }
    rf.become_follower(term);
    rf.persist();
    true
}

/// Grants or refuses a vote, given whether the candidate's log qualifies.
pub fn vote(rf: &mut Raft, args: &RequestVote, log_ok: bool) -> VoteReply {
    if args.term > rf.current_term {
        rf.become_follower(args.term);
    }
    let granted = args.term == rf.current_term && rf.voted_for.is_none_or(|v| v == args.candidate) && log_ok;
    if granted {
        rf.voted_for = Some(args.candidate);
        rf.reset_election_timer();
    }
    VoteReply { term: rf.current_term, granted }
}

/// Advances the commit index to the highest index a majority stores, counting only entries
/// `countable` allows.
pub fn commit_by_majority(rf: &mut Raft, countable: impl Fn(&Raft, LogIndex) -> bool) {
    let mut matched: Vec<LogIndex> = rf.match_index.clone();
    matched.sort_unstable_by(|a, b| b.cmp(a));
    // The highest index stored on a majority.
    let n = matched[rf.majority() - 1];
    let mut i = n;
    while i > rf.commit_index {
        if countable(rf, i) {
            rf.commit_index = i;
            return;
        }
        i = LogIndex(i.0 - 1);
    }
}

impl Rules for Reference {
    fn start_election(rf: &mut Raft) {
        rf.current_term.0 += 1;
        rf.role = Role::Candidate;
        rf.voted_for = Some(rf.me);
        rf.leader = None;
        rf.votes.clear();
        rf.votes.insert(rf.me);
        rf.persist();
        if rf.votes.len() >= rf.majority() {
            rf.become_leader();
            return;
        }
        let args = RequestVote {
            term: rf.current_term,
            candidate: rf.me,
            last_log_index: rf.log.last_index(),
            last_log_term: rf.log.last_term(),
        };
        for p in rf.peers() {
            rf.send(p, args.clone());
        }
    }

    fn handle_request_vote(rf: &mut Raft, args: &RequestVote) -> VoteReply {
        let log_ok = up_to_date(rf, args);
        let reply = vote(rf, args, log_ok);
        rf.persist();
        reply
    }

    fn handle_vote_reply(rf: &mut Raft, from: NodeId, reply: &VoteReply) {
        if newer_term(rf, reply.term) {
            return;
        }
        if rf.role != Role::Candidate || reply.term != rf.current_term || !reply.granted {
            return;
        }
        rf.votes.insert(from);
        if rf.votes.len() >= rf.majority() {
            rf.become_leader();
        }
    }

    fn send_append_entries(rf: &mut Raft, to: NodeId) {
        let next = rf.next_index[to.index()].max(LogIndex(1));
        let prev = LogIndex(next.0 - 1);
        let msg = AppendEntries {
            term: rf.current_term,
            leader: rf.me,
            prev_log_index: prev,
            prev_log_term: rf.log.term_at(prev).expect("next_index is at most last_index + 1"),
            entries: rf.batch_from(next),
            leader_commit: rf.commit_index,
        };
        rf.send(to, msg);
    }

    fn handle_append_entries(rf: &mut Raft, args: &AppendEntries) -> AppendReply {
        let reply = accept_entries(rf, args);
        rf.persist();
        reply
    }

    fn handle_append_reply(rf: &mut Raft, from: NodeId, reply: &AppendReply) {
        if newer_term(rf, reply.term) {
            return;
        }
        if rf.role != Role::Leader || reply.term != rf.current_term {
            return;
        }
        let i = from.index();
        if reply.success {
            if reply.match_index > rf.match_index[i] {
                rf.match_index[i] = reply.match_index;
            }
            rf.next_index[i] = rf.next_index[i].max(LogIndex(rf.match_index[i].0 + 1));
        } else if reply.match_index >= rf.match_index[i] {
            // Jump back to just past the follower's last entry, one step at least, and retry.
            let back = LogIndex(rf.next_index[i].0.saturating_sub(1).max(1));
            rf.next_index[i] =
                back.min(LogIndex(reply.match_index.0 + 1)).max(LogIndex(rf.match_index[i].0 + 1));
            Self::send_append_entries(rf, from);
        }
        // Otherwise the follower holds less than it acknowledged: a refusal overtaken by a
        // later success. The next heartbeat probes again; retrying at once would ping-pong.
    }

    fn advance_commit_index(rf: &mut Raft) {
        commit_by_majority(rf, |rf, i| rf.log.term_at(i) == Some(rf.current_term));
    }

    fn restore(rf: &mut Raft, saved: Saved) {
        rf.current_term = saved.current_term;
        rf.voted_for = saved.voted_for;
        rf.log = saved.log;
    }
}

/// AppendEntries' receiver rules (Figure 2), without persisting.
pub fn accept_entries(rf: &mut Raft, args: &AppendEntries) -> AppendReply {
    if args.term < rf.current_term {
        return AppendReply { term: rf.current_term, success: false, match_index: rf.log.last_index() };
    }
    rf.become_follower(args.term);
    rf.leader = Some(args.leader);
    rf.reset_election_timer();
    if rf.log.term_at(args.prev_log_index) != Some(args.prev_log_term) {
        let hint = LogIndex(rf.log.last_index().0.min(args.prev_log_index.0.saturating_sub(1)));
        return AppendReply { term: rf.current_term, success: false, match_index: hint };
    }
    for (k, e) in args.entries.iter().enumerate() {
        let index = LogIndex(args.prev_log_index.0 + 1 + k as u64);
        match rf.log.term_at(index) {
            Some(t) if t == e.term => {}
            Some(_) => {
                rf.log.truncate_from(index);
                rf.log.append(e.clone());
            }
            None => {
                rf.log.append(e.clone());
            }
        }
    }
    let last_new = LogIndex(args.prev_log_index.0 + args.entries.len() as u64);
    if args.leader_commit > rf.commit_index {
        rf.commit_index = rf.commit_index.max(args.leader_commit.min(last_new));
    }
    AppendReply { term: rf.current_term, success: true, match_index: last_new }
}
