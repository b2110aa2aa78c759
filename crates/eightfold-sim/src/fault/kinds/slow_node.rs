//! `slow_node`: a node's CPU `factor` times slower (fallacy 8). With `"for"`, back to its
//! old speed.

use super::{FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::resolve::node;
use crate::fault::{Effect, FaultKind};
use crate::sim::NodeId;
use crate::spec::NodeRef;

/// A slowed CPU.
#[derive(Clone, Debug)]
pub struct SlowNode {
    node: NodeRef,
    factor: f64,
    previous: Option<(NodeId, f64)>,
}

impl SlowNode {
    /// `node`'s CPU `factor` times slower.
    pub fn new(node: NodeRef, factor: f64) -> Self {
        SlowNode { node, factor, previous: None }
    }
}

impl FaultType for SlowNode {
    fn kind(&self) -> FaultKind {
        FaultKind::SlowNode
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.node, view, rng));
        self.previous = Some((n, w.slowness(n)));
        w.set_slowness(n, self.factor);
        Started { effect: Effect::Slow { node: n, factor: self.factor }, window: true }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        match self.previous.take() {
            Some((n, previous)) => {
                w.set_slowness(n, previous);
                Undone::SlowNode(n)
            }
            None => Undone::Nothing,
        }
    }
}
