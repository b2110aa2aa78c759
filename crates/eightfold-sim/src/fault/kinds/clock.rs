//! `clock`: a node's clock set off true time (skew and drift) — an NTP mishap. With `"for"`,
//! the old clock comes back.

use super::{FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::resolve::node;
use crate::fault::{Effect, FaultKind};
use crate::sim::NodeId;
use crate::spec::NodeRef;

/// A clock set off.
#[derive(Clone, Debug)]
pub struct ClockFault {
    node: NodeRef,
    offset_ns: i64,
    drift: f64,
    previous: Option<(NodeId, i64, f64)>,
}

impl ClockFault {
    /// `node`'s clock reads `offset_ns` off at time zero and runs `drift` fast (0.1: 10%).
    pub fn new(node: NodeRef, offset_ns: i64, drift: f64) -> Self {
        ClockFault { node, offset_ns, drift, previous: None }
    }
}

impl FaultType for ClockFault {
    fn kind(&self) -> FaultKind {
        FaultKind::Clock
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.node, view, rng));
        let rate = 1.0 + self.drift;
        let (offset, old_rate) = w.clock(n);
        self.previous = Some((n, offset, old_rate));
        w.set_clock(n, self.offset_ns, rate.max(0.01));
        Started { effect: Effect::Clock { node: n, offset_ns: self.offset_ns, rate }, window: true }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        match self.previous.take() {
            Some((n, offset, rate)) => {
                w.set_clock(n, offset, rate);
                Undone::Clock(n)
            }
            None => Undone::Nothing,
        }
    }
}
