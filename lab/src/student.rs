//! **Your Raft.** This is the file you edit. Each `todo!` below is an exercise; the grade
//! suite tells you which one it reached (a run that hits a `todo!` fails with its message),
//! which test failed, the seed and the command that replays it, and the shrunk scenario.
//!
//! Work in order — leader election, then log replication, then persistence — and grade
//! after each step:
//!
//! ```text
//! cargo run --release -p raft-lab -- grade lab/suite.json --protocol student
//! ```
//!
//! What you have: the server's state in [`Raft`] (Figure 2's fields, public), its log
//! ([`crate::Log`]: 1-based, `term_at(0)` is term 0), and four actions: [`Raft::send`],
//! [`Raft::persist`], [`Raft::reset_election_timer`], [`Raft::become_follower`] /
//! [`Raft::become_leader`]. The kit does the rest: timers fire your handlers, replies you
//! return are sent, clients' commands are appended by the leader and applied once you
//! commit them.
//!
//! Read the paper's Figure 2 beside this file: every rule you need is on it.

use eightfold::protocol::NodeId;

use crate::msg::{AppendEntries, AppendReply, RequestVote, VoteReply};
use crate::raft::Raft;
use crate::rules::Rules;
use crate::saved::Saved;

/// Your solution.
pub struct Student;

impl Rules for Student {
    // ---------------------------------------------------------------------------------
    // Exercise 1: leader election (§5.2)
    // ---------------------------------------------------------------------------------

    fn start_election(rf: &mut Raft) {
        // EXERCISE 1a. On election timeout a server becomes a candidate: it increments
        // `current_term`, votes for itself (`voted_for`, `votes`), and sends a RequestVote
        // to every other server (`rf.peers()`) carrying its last log index and term. In a
        // one-server cluster its own vote is a majority: it becomes leader at once.
        // (Exercise 3a: what must reach the disk before the RequestVotes leave?)
        let _ = rf;
        todo!("exercise 1a: start_election in lab/src/student.rs (Raft §5.2, Figure 2 'Candidates')")
    }

    fn handle_request_vote(rf: &mut Raft, args: &RequestVote) -> VoteReply {
        // EXERCISE 1b. Figure 2 'RequestVote RPC', receiver implementation:
        // 1. reply false if args.term < current_term;
        // 2. if voted_for is None or the candidate, and the candidate's log is at least as
        //    up-to-date as ours (§5.4.1: a higher last term, or the same last term and a last
        //    index at least as high), grant the vote (and reset the election timer).
        // And 'All Servers': a higher term in any message makes us a follower of that term
        // first. (Exercise 3a: the reply you return leaves after what you persisted.)
        let _ = (rf, args);
        todo!(
            "exercise 1b: handle_request_vote in lab/src/student.rs (Raft §5.2, §5.4.1, Figure 2 'RequestVote RPC')"
        )
    }

    fn handle_vote_reply(rf: &mut Raft, from: NodeId, reply: &VoteReply) {
        // EXERCISE 1c. A higher term makes us a follower. A vote granted in our current
        // term while we are still a candidate counts; votes from a majority of the whole
        // cluster (counting our own) make us leader (`rf.become_leader()`).
        let _ = (rf, from, reply);
        todo!("exercise 1c: handle_vote_reply in lab/src/student.rs (Raft §5.2, Figure 2 'Candidates')")
    }

    // ---------------------------------------------------------------------------------
    // Exercise 2: log replication (§5.3, §5.4)
    // ---------------------------------------------------------------------------------

    fn send_append_entries(rf: &mut Raft, to: NodeId) {
        // EXERCISE 2a. Send `to` the entries from `next_index[to]` on (`rf.batch_from`
        // hands out a batch: a follower far behind catches up over several), with the index
        // and term of the entry just before them, and the leader's commit index.
        let _ = (rf, to);
        todo!("exercise 2a: send_append_entries in lab/src/student.rs (Raft §5.3, Figure 2 'Leaders')")
    }

    fn handle_append_entries(rf: &mut Raft, args: &AppendEntries) -> AppendReply {
        // EXERCISE 2b. Figure 2 'AppendEntries RPC', receiver implementation:
        // 1. reply false if args.term < current_term (otherwise this is our leader: follow
        //    it and reset the election timer);
        // 2. reply false if the log holds no entry at prev_log_index with prev_log_term;
        // 3. if an existing entry conflicts with a new one (same index, different terms),
        //    delete it and all that follow — and only then (never truncate on a match: a
        //    delayed, shorter AppendEntries would cut committed entries);
        // 4. append any new entries not already in the log;
        // 5. if leader_commit > commit_index, set commit_index to the smaller of
        //    leader_commit and the index of the last new entry.
        let _ = (rf, args);
        todo!(
            "exercise 2b: handle_append_entries in lab/src/student.rs (Raft §5.3, Figure 2 'AppendEntries RPC')"
        )
    }

    fn handle_append_reply(rf: &mut Raft, from: NodeId, reply: &AppendReply) {
        // EXERCISE 2c. A higher term makes us a follower. On success, advance the
        // follower's match_index (never backwards: replies can arrive out of order) and
        // next_index after it; on failure, move next_index back (the reply's match_index
        // is the follower's last index: a good place to jump to) and try again.
        let _ = (rf, from, reply);
        todo!("exercise 2c: handle_append_reply in lab/src/student.rs (Raft §5.3, Figure 2 'Leaders')")
    }

    fn advance_commit_index(rf: &mut Raft) {
        // EXERCISE 2d. If there is an N > commit_index such that a majority of
        // match_index[i] >= N, and log[N].term == current_term, set commit_index = N
        // (§5.3, §5.4.2). Why only entries of the current term? Figure 8.
        let _ = rf;
        todo!("exercise 2d: advance_commit_index in lab/src/student.rs (Raft §5.3, §5.4.2, Figure 8)")
    }

    // ---------------------------------------------------------------------------------
    // Exercise 3: persistence and crash recovery (Figure 2 'Persistent state')
    // ---------------------------------------------------------------------------------
    //
    // EXERCISE 3a is not a function: call `rf.persist()` wherever current_term, voted_for
    // or the log change, before the message that depends on the change leaves. (A vote
    // granted and then forgotten in a crash lets a server vote twice in one term.)

    fn restore(rf: &mut Raft, saved: Saved) {
        // EXERCISE 3b. After a crash, put back what was persisted: current_term,
        // voted_for and the log. Everything else starts afresh.
        let _ = (rf, saved);
        todo!("exercise 3b: restore in lab/src/student.rs (Raft Figure 2 'Persistent state on all servers')")
    }
}
