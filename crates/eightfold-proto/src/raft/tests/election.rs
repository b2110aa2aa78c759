//! Elections: §5.2, §5.4.1, pre-vote (§9.6), check-quorum (§6.2), stickiness (§4.2.3).

use super::harness::*;
use crate::kv::ClientSeq;
use crate::raft::log::{LogPayload, RaftPayload};
use crate::raft::{HeartbeatRound, RaftConfig, RaftMsg, RaftTimer};
use eightfold_sim::sim::{LogIndex, Observation, Role, SimDuration, Term};

#[test]
fn a_candidate_with_a_majority_leads_and_commits_a_noop() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    assert_eq!(c.node(0).term(), Term(1));
    for i in 0..3 {
        assert_eq!(c.node(i).last_index(), LogIndex(1), "{} holds the no-op", n(i));
    }
    assert_eq!(c.node(0).commit_index(), LogIndex(1));
    // Followers learn the commit index from the next heartbeat.
    c.heartbeat(0);
    c.settle();
    for i in 0..3 {
        assert_eq!(c.node(i).commit_index(), LogIndex(1));
        assert_eq!(c.node(i).leader(), Some(n(0)));
        let applied = c.observed(i, |o| matches!(o, Observation::Applied { .. }));
        assert_eq!(
            applied,
            vec![Observation::Applied {
                index: LogIndex(1),
                term: Term(1),
                command: RaftPayload::Noop.hash()
            }]
        );
    }
    c.assert_safe();
}

#[test]
fn a_vote_is_granted_once_per_term() {
    let mut c = Cluster::new(3, cfg());
    c.timeout(0);
    c.timeout(1);
    c.sync_all(); // both candidates' self-votes durable: RequestVotes leave
    assert_eq!((c.node(0).term(), c.node(1).term()), (Term(1), Term(1)));
    // n3 hears n1 first, then n2.
    c.deliver_where(|f| f.from == n(0) && f.to == n(2));
    c.deliver_where(|f| f.from == n(1) && f.to == n(2));
    c.sync(2);
    let grants: Vec<(eightfold_sim::sim::NodeId, bool)> = c
        .net
        .iter()
        .filter_map(|f| match f.msg {
            RaftMsg::RequestVoteResp { granted, .. } if f.from == n(2) => Some((f.to, granted)),
            _ => None,
        })
        .collect();
    assert_eq!(grants, vec![(n(0), true), (n(1), false)]);
    // Asking again (a retransmission) gets the same answer.
    c.net.push(Flight {
        from: n(0),
        to: n(2),
        msg: RaftMsg::RequestVote { term: Term(1), last_index: LogIndex(0), last_term: Term(0) },
    });
    c.net.push(Flight {
        from: n(1),
        to: n(2),
        msg: RaftMsg::RequestVote { term: Term(1), last_index: LogIndex(0), last_term: Term(0) },
    });
    c.drop_where(|f| kind(f, "RequestVoteResp"));
    c.deliver_where(|f| f.to == n(2));
    let again: Vec<bool> = c
        .net
        .iter()
        .filter_map(|f| match f.msg {
            RaftMsg::RequestVoteResp { granted, .. } => Some(granted),
            _ => None,
        })
        .collect();
    assert_eq!(again, vec![true, false]);
    c.settle();
    assert_eq!(c.leaders(), vec![(0, Term(1))]);
    c.assert_safe();
}

#[test]
fn votes_go_only_to_logs_at_least_as_up_to_date() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.client(0, put(1, 1, "a"));
    // The entry reaches n2 but not n3.
    c.settle_cut(|f| f.to == n(2) || f.from == n(2));
    assert_eq!(c.node(1).last_index(), LogIndex(2));
    assert_eq!(c.node(2).last_index(), LogIndex(1));
    c.crash(0);
    // n3 (shorter log) campaigns: n2 refuses.
    c.timeout(2);
    c.settle();
    assert_eq!(c.node(2).role(), Role::Candidate);
    // n2 then wins with n3's vote: its log is more up-to-date.
    c.elect(1);
    assert_eq!(c.node(1).term(), Term(3));
    // A higher last term beats a longer log with a lower last term.
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    for s in 1..=4 {
        c.client(0, put(s, 1, "x"));
    }
    c.settle();
    let t = c.node(1).term();
    c.advance(SimDuration::from_secs(1));
    let last = c.node(1).last_index();
    c.drop_where(|_| true);
    c.net.push(Flight {
        from: n(2),
        to: n(1),
        msg: RaftMsg::RequestVote { term: Term(t.0 + 1), last_index: LogIndex(2), last_term: Term(t.0 + 1) },
    });
    c.net.push(Flight {
        from: n(0),
        to: n(1),
        msg: RaftMsg::RequestVote { term: Term(t.0 + 2), last_index: LogIndex(last.0 - 1), last_term: t },
    });
    c.deliver_where(|f| f.from == n(2));
    c.sync_all();
    assert!(c.net.iter().any(|f| matches!(f.msg, RaftMsg::RequestVoteResp { granted: true, .. })));
    c.drop_where(|f| f.from == n(1));
    c.deliver_where(|_| true);
    c.sync_all();
    assert!(c.net.iter().any(|f| matches!(f.msg, RaftMsg::RequestVoteResp { granted: false, .. })));
}

#[test]
fn a_higher_term_makes_a_leader_step_down() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.net.push(Flight {
        from: n(1),
        to: n(0),
        msg: RaftMsg::AppendEntriesResp {
            term: Term(7),
            round: HeartbeatRound(1),
            promise: SimDuration::ZERO,
            outcome: crate::raft::AppendOutcome::Match { index: LogIndex(0) },
        },
    });
    c.deliver_where(|_| true);
    assert_eq!(c.node(0).role(), Role::Follower);
    assert_eq!(c.node(0).term(), Term(7));
    assert!(
        c.observed(0, |o| matches!(o, Observation::Role { role: Role::Follower, term: Term(7) })).len() == 1
    );
    // Stale leader contact the other way: an AppendEntries of an old term is refused with
    // the newer term.
    c.net.push(Flight {
        from: n(2),
        to: n(0),
        msg: RaftMsg::AppendEntries {
            term: Term(3),
            round: HeartbeatRound(1),
            prev_index: LogIndex(0),
            prev_term: Term(0),
            commit: LogIndex(0),
            entries: crate::raft::Batch::empty(),
        },
    });
    c.deliver_where(|f| f.to == n(0));
    c.sync_all();
    assert!(
        c.net
            .iter()
            .any(|f| matches!(f.msg, RaftMsg::AppendEntriesResp { term: Term(7), .. }) && f.to == n(2))
    );
}

#[test]
fn a_server_that_hears_a_leader_ignores_vote_requests() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    c.net.push(Flight {
        from: n(2),
        to: n(1),
        msg: RaftMsg::RequestVote { term: Term(9), last_index: LogIndex(9), last_term: Term(9) },
    });
    c.deliver_where(|_| true);
    assert_eq!(c.node(1).term(), Term(1), "term not adopted");
    assert!(c.net.is_empty(), "no answer");
    // After the minimum election timeout without a leader, it votes.
    c.advance(c.cfg.election_timeout_min);
    c.net.push(Flight {
        from: n(2),
        to: n(1),
        msg: RaftMsg::RequestVote { term: Term(9), last_index: LogIndex(9), last_term: Term(9) },
    });
    c.deliver_where(|_| true);
    c.sync_all();
    assert_eq!(c.node(1).term(), Term(9));
    assert!(matches!(c.net[0].msg, RaftMsg::RequestVoteResp { granted: true, .. }));
}

#[test]
fn pre_vote_keeps_a_partitioned_server_from_inflating_terms() {
    for pre_vote in [true, false] {
        let mut c = Cluster::new(3, RaftConfig { pre_vote, ..cfg() });
        c.elect(0);
        c.heartbeat(0);
        c.settle();
        // n3 is cut off and times out again and again.
        for _ in 0..5 {
            c.timeout(2);
            c.sync_all();
            c.drop_where(|f| f.from == n(2) || f.to == n(2));
            c.heartbeat(0);
            c.settle_cut(|f| f.from == n(2) || f.to == n(2));
        }
        let t = c.node(2).term();
        // Heal: the leader's next heartbeat reaches n3.
        c.heartbeat(0);
        c.settle();
        if pre_vote {
            assert_eq!(t, Term(1), "pre-candidates never increment their term");
            assert_eq!(c.node(2).role(), Role::Follower);
            assert_eq!(c.leaders(), vec![(0, Term(1))], "the leader is undisturbed");
        } else {
            assert_eq!(t, Term(6), "each timeout started an election");
            assert_eq!(c.node(0).role(), Role::Follower, "the returning server deposes the leader");
            assert_eq!(c.node(0).term(), Term(6));
        }
        c.assert_safe();
    }
}

#[test]
fn pre_vote_is_refused_while_a_leader_is_heard_and_granted_after() {
    let mut c = Cluster::new(3, RaftConfig { pre_vote: true, ..cfg() });
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    c.crash(0);
    // n2 times out first; n3 still heard the leader recently? Both heard it at the same
    // time, and n2's timeout is at least the minimum, so n3 grants.
    c.timeout(1);
    c.settle();
    assert_eq!(c.node(1).role(), Role::Leader);
    assert_eq!(c.node(1).term(), Term(2));
    c.assert_safe();
}

#[test]
fn check_quorum_makes_an_isolated_leader_step_down() {
    let mut c = Cluster::new(3, RaftConfig { check_quorum: true, ..cfg() });
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    assert!(c.fire(0, RaftTimer::Quorum));
    assert_eq!(c.node(0).role(), Role::Leader, "a majority answered");
    // Isolated: heartbeats go nowhere.
    c.heartbeat(0);
    c.drop_where(|_| true);
    assert!(c.fire(0, RaftTimer::Quorum));
    assert_eq!(c.node(0).role(), Role::Follower);
    assert_eq!(c.node(0).term(), Term(1));
    // Without check-quorum it would lead forever.
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    for _ in 0..10 {
        c.heartbeat(0);
        c.drop_where(|_| true);
    }
    assert_eq!(c.node(0).role(), Role::Leader);
}

#[test]
fn a_single_server_elects_itself_once_its_vote_is_durable() {
    let mut c = Cluster::new(1, cfg());
    c.timeout(0);
    assert_eq!(c.node(0).role(), Role::Candidate);
    c.sync(0);
    assert_eq!(c.node(0).role(), Role::Leader);
    c.sync(0);
    assert_eq!(c.node(0).commit_index(), LogIndex(1));
    c.client(0, put(1, 1, "v"));
    assert!(c.replies.is_empty(), "not before the write is durable");
    c.sync(0);
    assert_eq!(
        c.replies_for(1),
        vec![crate::kv::ClientReply::Ok { seq: ClientSeq(1), result: crate::kv::KvResult::Done }]
    );
}
