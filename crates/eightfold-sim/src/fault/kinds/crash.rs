//! `crash`: a node loses its memory; only what it fsynced survives. With `"for"`, it boots
//! from its disk afterwards (unless a `restart` did already).

use super::{FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::resolve::node;
use crate::fault::{Effect, FaultKind};
use crate::sim::NodeId;
use crate::spec::NodeRef;

/// A crash.
#[derive(Clone, Debug)]
pub struct Crash {
    node: NodeRef,
    crashed: Option<NodeId>,
}

impl Crash {
    /// Crashes `node`.
    pub fn new(node: NodeRef) -> Self {
        Crash { node, crashed: None }
    }
}

impl FaultType for Crash {
    fn kind(&self) -> FaultKind {
        FaultKind::Crash
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.node, view, rng));
        let crashed = w.crash(n, &format!("faults[{}]", w.entry()));
        self.crashed = crashed.then_some(n);
        Started { effect: Effect::Node { node: n, changed: crashed }, window: crashed }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        match self.crashed.take() {
            Some(n) if w.window_open() => {
                w.boot(n);
                Undone::Restarted(n)
            }
            _ => Undone::Nothing,
        }
    }
}
