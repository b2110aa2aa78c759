//! `slow_disk`: a server's fsyncs `factor` times slower. With `"for"`, back to its old speed.

use super::{FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::resolve::node;
use crate::fault::{Effect, FaultKind};
use crate::sim::NodeId;
use crate::spec::NodeRef;

/// A slowed disk.
#[derive(Clone, Debug)]
pub struct SlowDisk {
    node: NodeRef,
    factor: f64,
    previous: Option<(NodeId, f64)>,
}

impl SlowDisk {
    /// `node`'s fsyncs `factor` times slower.
    pub fn new(node: NodeRef, factor: f64) -> Self {
        SlowDisk { node, factor, previous: None }
    }
}

impl FaultType for SlowDisk {
    fn kind(&self) -> FaultKind {
        FaultKind::SlowDisk
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.node, view, rng));
        let t = w.now();
        let (disk, _) = w.disk(n);
        disk.advance(t);
        self.previous = Some((n, disk.slowness()));
        disk.set_slowness(self.factor);
        Started { effect: Effect::Slow { node: n, factor: self.factor }, window: true }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        match self.previous.take() {
            Some((n, previous)) => {
                w.disk(n).0.set_slowness(previous);
                Undone::SlowDisk(n)
            }
            None => Undone::Nothing,
        }
    }
}
