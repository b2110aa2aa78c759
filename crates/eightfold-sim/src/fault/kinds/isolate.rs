//! `isolate`: one node cut off from every other node (servers and clients), both ways.

use super::{CutState, FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::FaultKind;
use crate::fault::resolve::node;
use crate::net::Cut;
use crate::sim::NodeId;
use crate::spec::NodeRef;

/// An isolated node.
#[derive(Clone, Debug)]
pub struct Isolate {
    node: NodeRef,
    cut: CutState,
}

impl Isolate {
    /// Isolates `node`.
    pub fn new(node: NodeRef) -> Self {
        Isolate { node, cut: CutState::default() }
    }
}

impl FaultType for Isolate {
    fn kind(&self) -> FaultKind {
        FaultKind::Isolate
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let sides = with_rng(w, |view, rng| {
            let n = node(self.node, view, rng);
            let others: Vec<NodeId> =
                view.servers().iter().chain(view.clients()).copied().filter(|&m| m != n).collect();
            vec![vec![n], others]
        });
        self.cut.start(w, Cut::Groups(sides))
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        self.cut.revert(w)
    }
}
