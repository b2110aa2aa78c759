//! Each named bug really misbehaves (and the correct code does not).

use super::harness::*;
use crate::bugs::NamedBugs;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, KvResult};
use crate::paxos::{PaxosBugs, PaxosConfig};
use eightfold_sim::sim::Role;

fn with(bugs: PaxosBugs) -> PaxosConfig {
    PaxosConfig { bugs, ..cfg() }
}

/// n1 leads (ballot 1) and proposes "old" at slot 2, but its Accepts are held back; n2
/// leads (ballot 2) with n3's promise and decides its no-op at slot 2. Returns the held
/// Accepts of n1.
fn deposed_leader_with_a_proposal_in_flight(c: &mut Cluster) -> Vec<Flight> {
    c.elect(0);
    c.heartbeat(0);
    c.settle();
    c.client(0, put(1, 1, "old"));
    c.sync(0);
    let held: Vec<Flight> = c.net.iter().filter(|f| kind(f, "Accept")).cloned().collect();
    c.drop_where(|f| kind(f, "Accept"));
    held
}

#[test]
fn no_promise_check_lets_a_deposed_leader_choose_a_second_value() {
    for bug in [false, true] {
        let mut c = Cluster::new(3, with(PaxosBugs { no_promise_check: bug, ..PaxosBugs::NONE }));
        let held = deposed_leader_with_a_proposal_in_flight(&mut c);
        c.timeout(1);
        c.settle_cut(|f| f.to == n(0) || f.from == n(0));
        assert_eq!(c.node(1).role(), Role::Leader);
        // The old Accept reaches n3, which promised ballot 2.
        let to_n3 = held.into_iter().find(|f| f.to == n(2)).unwrap();
        c.inject(2, to_n3.from, to_n3.msg);
        c.settle_cut(|f| f.to == n(1) || f.from == n(1));
        if bug {
            assert_eq!(c.replies_for(1), vec![ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Done }]);
            assert!(c.violated("two values chosen at slot 2"), "{:?}", c.checker.violations);
            assert!(c.violated("state-machine safety"), "{:?}", c.checker.violations);
        } else {
            assert_eq!(c.replies_for(1), vec![ClientReply::Unknown { seq: ClientSeq(1) }]);
            c.assert_safe();
        }
    }
}

#[test]
fn forget_promise_lets_a_restarted_acceptor_break_its_promise() {
    for bug in [false, true] {
        let mut c = Cluster::new(3, with(PaxosBugs { forget_promise: bug, ..PaxosBugs::NONE }));
        let held = deposed_leader_with_a_proposal_in_flight(&mut c);
        // n2 asks n3 for a promise; n3 answers (at once with the bug, after its fsync
        // without) and n2 leads; its Accept to n3 is held back.
        c.timeout(1);
        c.sync(1);
        c.deliver_where(|f| kind(f, "Prepare") && f.to == n(2));
        if bug {
            assert_eq!(c.count(|f| kind(f, "Promise")), 1, "the promise goes out before any fsync");
        }
        c.sync(2);
        c.deliver_where(|f| kind(f, "Promise"));
        c.sync(1);
        assert!(c.node(1).leading().is_some());
        let new_accept: Vec<Flight> =
            c.net.iter().filter(|f| kind(f, "Accept") && f.to == n(2)).cloned().collect();
        c.drop_where(|_| true);
        // n3 crashes and restarts, then receives n1's old Accept, then n2's.
        c.crash(2);
        c.start(2);
        let old = held.into_iter().find(|f| f.to == n(2)).unwrap();
        c.inject(2, old.from, old.msg);
        c.sync(2);
        c.deliver_where(|f| f.to == n(0));
        c.sync(0);
        for f in new_accept {
            c.inject(2, f.from, f.msg);
        }
        c.sync(2);
        c.deliver_where(|f| f.to == n(1));
        c.sync(1);
        if bug {
            assert_eq!(c.replies_for(1), vec![ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Done }]);
            assert!(c.violated("two values chosen at slot 2"), "{:?}", c.checker.violations);
        } else {
            assert!(c.replies_for(1).iter().all(|r| !matches!(r, ClientReply::Ok { .. })));
            c.assert_safe();
        }
    }
}

#[test]
fn ignore_accepted_loses_a_chosen_value() {
    for bug in [false, true] {
        let mut c = Cluster::new(3, with(PaxosBugs { ignore_accepted: bug, ..PaxosBugs::NONE }));
        c.elect(0);
        // "x" is chosen by n1 and n2 and acknowledged to the client; n2 never hears so.
        c.client(0, put(1, 1, "x"));
        c.sync(0);
        c.deliver_where(|f| kind(f, "Accept") && f.to == n(1));
        c.sync(1);
        c.deliver_where(|f| kind(f, "Accepted"));
        assert_eq!(c.replies_for(1), vec![ClientReply::Ok { seq: ClientSeq(1), result: KvResult::Done }]);
        c.drop_where(|_| true);
        c.crash(0);
        // n3 leads with n2's promise, which reports "x".
        c.advance(c.cfg.election_timeout_max);
        c.elect(2);
        c.client(2, get(2, 1));
        c.settle();
        let read = c.replies_for(2);
        if bug {
            assert_eq!(read, vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(None) }]);
            assert!(c.violated("two values chosen at slot 2"), "{:?}", c.checker.violations);
        } else {
            assert_eq!(
                read,
                vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Value(Some("x".into())) }]
            );
            c.assert_safe();
        }
    }
}

#[test]
fn stale_leader_reads_return_old_values() {
    for bug in [false, true] {
        let mut c = Cluster::new(3, with(PaxosBugs { stale_leader_reads: bug, ..PaxosBugs::NONE }));
        c.elect(0);
        c.client(0, put(1, 1, "old"));
        c.settle();
        // n1 is cut off; n2 leads and a newer write completes.
        let cut = |f: &Flight| f.to == n(0) || f.from == n(0);
        c.advance(c.cfg.election_timeout_max);
        c.timeout(1);
        c.settle_cut(cut);
        c.client(1, put(2, 1, "new"));
        c.settle_cut(cut);
        assert_eq!(c.replies_for(2), vec![ClientReply::Ok { seq: ClientSeq(2), result: KvResult::Done }]);
        // n1 still believes it leads.
        c.client(0, get(3, 1));
        c.settle_cut(cut);
        if bug {
            assert_eq!(
                c.replies_for(3),
                vec![ClientReply::Ok { seq: ClientSeq(3), result: KvResult::Value(Some("old".into())) }]
            );
        } else {
            assert!(c.replies_for(3).is_empty(), "a read goes through the log, which n1 cannot extend");
            // Once n1 hears again, a Nack tells it it was deposed.
            c.heartbeat(0);
            c.settle();
            assert_eq!(c.replies_for(3), vec![ClientReply::Unknown { seq: ClientSeq(3) }]);
        }
        c.assert_safe();
    }
}

#[test]
fn the_bugs_are_listed_in_the_description() {
    let mut bugs = PaxosBugs::NONE;
    assert!(bugs.enable("forget_promise") && bugs.enable("stale_leader_reads") && !bugs.enable("nonsense"));
    let text = PaxosConfig { bugs, ..PaxosConfig::default() }.describe().join("\n");
    assert!(text.contains("BUGS ENABLED: forget_promise, stale_leader_reads"), "{text}");
    assert!(!PaxosConfig::default().describe().join("\n").contains("BUGS"));
    for name in ["no_promise_check", "ignore_accepted", "forget_promise", "stale_leader_reads"] {
        let mut b = PaxosBugs::NONE;
        assert!(b.enable(name));
        assert_eq!(b.enabled(), vec![name]);
    }
}
