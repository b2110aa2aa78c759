//! `bridge`: the servers split into two halves with one bridge server that still reaches
//! both (Jepsen's `bridge` nemesis): each half may elect a leader the other cannot see, while
//! the bridge votes in both.

use super::{CutState, FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::FaultKind;
use crate::fault::resolve::node;
use crate::net::Cut;
use crate::sim::NodeId;
use crate::sim::rng::Draw;
use crate::spec::NodeRef;

/// Two halves joined by one server.
#[derive(Clone, Debug)]
pub struct Bridge {
    node: Option<NodeRef>,
    cut: CutState,
}

impl Bridge {
    /// A bridge through `node` (default: a random server).
    pub fn new(node: Option<NodeRef>) -> Self {
        Bridge { node, cut: CutState::default() }
    }
}

impl FaultType for Bridge {
    fn kind(&self) -> FaultKind {
        FaultKind::Bridge
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let sides = with_rng(w, |view, rng| {
            let servers = view.servers();
            let bridge = match self.node {
                Some(r) => node(r, view, rng),
                None => *rng.pick(servers),
            };
            let mut others: Vec<NodeId> = servers.iter().copied().filter(|&n| n != bridge).collect();
            rng.shuffle(&mut others);
            let half = others.len() / 2;
            let (mut a, mut b) = (others[..half].to_vec(), others[half..].to_vec());
            a.sort();
            b.sort();
            vec![a, b]
        });
        self.cut.start(w, Cut::Groups(sides))
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        self.cut.revert(w)
    }
}
