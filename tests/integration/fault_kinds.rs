//! A fault kind of one's own, through the [`FaultType`] trait alone: no edit to any shared
//! match, no registry line (it is put on a running World directly, not read from a scenario).
//! `deafen` takes down every link into one node for a while: that node hears nobody, while
//! everyone still hears it. Run on the kernel's ring (five nodes, each passing tokens to the
//! next over 1 ms links, twenty tokens in all), it must drop exactly the tokens sent into the
//! node during its window, record itself under its own name, and leave the links as they were
//! when its `"for"` runs out.

use eightfold::bench::ring;
use eightfold::fault::{Effect, FaultKind, FaultType, FaultWorld, LinkChange, Started, Undone};
use eightfold::net::LinkMod;
use eightfold::sim::{NodeId, SimDuration, SimTime};
use eightfold::world::World;

/// Every link into `node` carries nothing.
#[derive(Clone, Debug)]
struct Deafen {
    node: NodeId,
    /// The owner id of the link modifications it made, while they are in effect.
    owner: Option<u64>,
}

impl FaultType for Deafen {
    fn kind(&self) -> FaultKind {
        FaultKind::Custom("deafen")
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let owner = w.entry() as u64 + 1;
        let pairs: Vec<(NodeId, NodeId)> =
            w.view().servers().iter().copied().filter(|&n| n != self.node).map(|n| (n, self.node)).collect();
        for &(from, to) in &pairs {
            w.network().modify(from, to, owner, LinkMod::Down);
        }
        self.owner = Some(owner);
        Started { effect: Effect::Links { pairs, change: LinkChange::Down }, window: true }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        match self.owner.take() {
            Some(owner) => {
                w.network().unmodify(owner);
                Undone::Links
            }
            None => Undone::Nothing,
        }
    }
}

fn ms(n: u64) -> SimTime {
    SimTime(n * 1_000_000)
}

/// Deliveries of the ring in `(from, to]`, run with or without the toy fault.
fn deliveries(deafen: bool) -> (u64, u64, u64, World<ring::RingNode>) {
    let mut w = ring::world(5, 4);
    if deafen {
        let fault = Deafen { node: NodeId(2), owner: None };
        w.add_fault(ms(10), Some(SimDuration::from_micros(500)), Box::new(fault));
    }
    w.run_until(ms(9) + SimDuration::from_micros(500));
    let before = w.net_stats().delivered;
    w.run_until(ms(20) + SimDuration::from_micros(500));
    let mid = w.net_stats().delivered;
    w.run_until(ms(30) + SimDuration::from_micros(500));
    let after = w.net_stats().delivered;
    (before, mid, after, w)
}

#[test]
fn a_toy_fault_kind_runs_through_the_trait_alone_and_really_deafens_its_node() {
    let (b0, m0, a0, plain) = deliveries(false);
    let (b1, m1, a1, w) = deliveries(true);
    // Before the fault the two runs are the same run.
    assert_eq!(b0, b1);
    assert_eq!(plain.net_stats().dropped, 0);
    // At 10 ms node 2's predecessor passes its four tokens on to node 2: all four are lost,
    // and nothing else (the fault lasted half a millisecond, between two rounds of hops).
    assert_eq!(w.net_stats().dropped, 4, "{:?}", w.net_stats());
    // The ring goes on with the sixteen tokens left: 16 deliveries per millisecond instead of 20,
    // after the fault was undone as well as during it.
    assert_eq!(a0 - m0, 200);
    assert_eq!(a1 - m1, 160);
    // Undone: no link keeps a modification.
    for from in 0..5 {
        for to in 0..5 {
            if from != to {
                assert!(w.network().link_mods(NodeId(from), NodeId(to)).is_empty(), "{from}->{to}");
            }
        }
    }
    // Recorded under its own name, with its window and what it did, like any built-in kind.
    let log = w.fault_log();
    assert_eq!(log.len(), 1);
    let r = &log[0];
    assert_eq!(r.kind, FaultKind::Custom("deafen"));
    assert_eq!(r.kind.name(), "deafen");
    assert_eq!((r.start, r.end), (ms(10), Some(ms(10) + SimDuration::from_micros(500))));
    assert_eq!(r.nodes, (0..5).map(NodeId).collect::<Vec<_>>());
    assert_eq!(
        r.effect,
        Effect::Links {
            pairs: vec![
                (NodeId(0), NodeId(2)),
                (NodeId(1), NodeId(2)),
                (NodeId(3), NodeId(2)),
                (NodeId(4), NodeId(2))
            ],
            change: LinkChange::Down
        }
    );
    // And it changes the run's digest, as every fault does.
    assert_ne!(w.digest().hex(), plain.digest().hex());
}
