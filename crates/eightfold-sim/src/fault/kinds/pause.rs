//! `pause`: a node stalls (a GC pause, a stopped VM): it handles nothing until resumed, then
//! gets everything that arrived meanwhile. With `"for"`, it resumes afterwards (unless a
//! `resume` did already).

use super::{FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::resolve::node;
use crate::fault::{Effect, FaultKind};
use crate::sim::NodeId;
use crate::spec::NodeRef;

/// A pause.
#[derive(Clone, Debug)]
pub struct Pause {
    node: NodeRef,
    paused: Option<NodeId>,
}

impl Pause {
    /// Pauses `node`.
    pub fn new(node: NodeRef) -> Self {
        Pause { node, paused: None }
    }
}

impl FaultType for Pause {
    fn kind(&self) -> FaultKind {
        FaultKind::Pause
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.node, view, rng));
        let paused = w.pause(n);
        self.paused = paused.then_some(n);
        Started { effect: Effect::Node { node: n, changed: paused }, window: paused }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        match self.paused.take() {
            Some(n) if w.window_open() => {
                w.resume(n);
                Undone::Resumed(n)
            }
            _ => Undone::Nothing,
        }
    }
}
