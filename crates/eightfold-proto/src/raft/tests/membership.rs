//! Single-server membership changes (dissertation §4.1–§4.2).

use super::harness::*;
use crate::raft::{MembershipChange, RaftConfig};
use eightfold_sim::sim::{LogIndex, NodeId, Observation, Role};

fn three_of_five() -> RaftConfig {
    RaftConfig { initial_voters: Some(vec![n(0), n(1), n(2)]), ..cfg() }
}

fn rejected(c: &Cluster, i: usize, why: &str) -> usize {
    c.observed(i, |o| matches!(o, Observation::Rejected { reason } if reason == why)).len()
}

#[test]
fn servers_outside_the_configuration_do_not_campaign_until_added() {
    let mut c = Cluster::new(5, three_of_five());
    assert_eq!(c.node(4).voters(), &[n(0), n(1), n(2)][..]);
    c.timeout(3);
    c.timeout(4);
    assert!(c.net.is_empty(), "non-voters send nothing");
    assert_eq!(c.node(3).role(), Role::Follower);
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    assert_eq!(c.node(3).last_index(), LogIndex(0), "the leader does not replicate to non-members");
    c.admin(0, MembershipChange::Add(n(3)));
    // One change at a time.
    c.admin(0, MembershipChange::Add(n(4)));
    assert_eq!(rejected(&c, 0, "membership-busy"), 1);
    c.settle();
    c.heartbeat(0);
    c.settle();
    assert_eq!(c.node(3).voters(), &[n(0), n(1), n(2), n(3)][..]);
    assert_eq!(c.node(3).commit_index(), c.node(0).commit_index(), "the new server caught up");
    c.admin(0, MembershipChange::Add(n(4)));
    c.settle();
    c.heartbeat(0);
    c.settle();
    let all: Vec<NodeId> = (0..5).map(n).collect();
    for i in 0..5 {
        assert_eq!(c.node(i).voters(), &all[..]);
    }
    // Adding what is there is refused.
    c.admin(0, MembershipChange::Add(n(4)));
    assert_eq!(rejected(&c, 0, "membership-noop"), 1);
    // Five voters: a write needs three durable copies.
    c.client(0, put(1, 1, "x"));
    c.sync(0);
    c.deliver_where(|f| f.to == n(1));
    c.sync(1);
    c.deliver_where(|f| f.from == n(1));
    assert!(c.replies_for(1).is_empty());
    c.deliver_where(|f| f.to == n(4));
    c.sync(4);
    c.deliver_where(|f| f.from == n(4));
    assert_eq!(c.replies_for(1).len(), 1);
    // A new voter may now win an election.
    c.settle();
    c.crash(0);
    c.advance(c.cfg.election_timeout_min);
    c.elect(4);
    c.assert_safe();
}

#[test]
fn a_removed_server_does_not_disrupt_the_cluster() {
    for pre_vote in [false, true] {
        let mut c = Cluster::new(3, RaftConfig { pre_vote, ..cfg() });
        c.elect(0);
        c.heartbeat(0);
        c.settle();
        c.admin(0, MembershipChange::Remove(n(2)));
        // The leader uses the new configuration at once: n3 hears nothing more.
        c.settle();
        c.heartbeat(0);
        c.settle();
        assert_eq!(c.node(0).voters(), &[n(0), n(1)][..]);
        assert_eq!(c.node(2).voters(), &[n(0), n(1), n(2)][..], "n3 was not told");
        let committed = c.node(0).commit_index();
        assert_eq!(c.node(1).commit_index(), committed);
        // Time passes: n3 times out again and again, while the others keep hearing the
        // leader's heartbeats and so ignore it.
        let term = c.node(2).term();
        c.run_cut(eightfold_sim::sim::SimDuration::from_secs(3), |_| false);
        if pre_vote {
            assert_eq!(c.node(2).term(), term, "pre-votes are refused: no term inflation");
        } else {
            assert!(c.node(2).term().0 > term.0 + 5, "it campaigns in vain");
        }
        assert_eq!(c.leaders(), vec![(0, eightfold_sim::sim::Term(1))], "pre-vote {pre_vote}");
        assert_eq!(c.node(1).term(), eightfold_sim::sim::Term(1));
        // Two voters commit on their own.
        c.client(0, put(1, 1, "x"));
        c.settle();
        assert_eq!(c.replies_for(1).len(), 1);
        c.assert_safe();
    }
}

#[test]
fn a_leader_that_removes_itself_steps_down_once_the_change_commits() {
    let mut c = Cluster::new(3, cfg());
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    c.admin(0, MembershipChange::Remove(n(0)));
    assert_eq!(c.node(0).role(), Role::Leader, "it leads until the change commits");
    // It still replicates, without counting itself.
    c.client(0, put(1, 1, "x"));
    c.sync(0);
    c.deliver_where(|f| f.to == n(1));
    c.sync(1);
    c.deliver_where(|f| f.to == n(0));
    assert_eq!(c.node(0).role(), Role::Leader, "one of the two new voters is not a majority");
    c.settle();
    assert_eq!(c.node(0).role(), Role::Follower);
    assert_eq!(c.replies_for(1).len(), 1, "the write committed under the new configuration");
    // It never campaigns again; the remaining two elect a leader.
    c.advance(c.cfg.election_timeout_max);
    c.timeout(0);
    assert!(c.net.is_empty());
    c.advance(c.cfg.election_timeout_min);
    c.elect(1);
    assert_eq!(c.node(1).voters(), &[n(1), n(2)][..]);
    c.assert_safe();
}

#[test]
fn a_new_server_catches_up_from_a_snapshot() {
    let mut c = Cluster::new(
        4,
        RaftConfig { snapshot_threshold: 5, initial_voters: Some(vec![n(0), n(1), n(2)]), ..cfg() },
    );
    c.elect(0);
    for s in 1..=20 {
        c.client(0, put(s, 1, &format!("v{s}")));
        c.settle();
    }
    c.heartbeat(0);
    c.settle();
    c.admin(0, MembershipChange::Add(n(3)));
    for _ in 0..4 {
        c.heartbeat(0);
        c.settle();
    }
    assert_eq!(c.observed(3, |o| matches!(o, Observation::Snapshot { .. })).len(), 1);
    assert_eq!(c.node(3).voters().len(), 4);
    assert_eq!(c.node(3).store().fingerprint(), c.node(0).store().fingerprint());
    c.assert_safe();
}
