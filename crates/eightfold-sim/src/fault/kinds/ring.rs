//! `ring`: every server reaches only its two neighbours in a ring (in a random order):
//! everyone has a majority path, nobody a majority of direct links.

use super::{CutState, FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::FaultKind;
use crate::net::Cut;
use crate::sim::NodeId;
use crate::sim::rng::Draw;

/// A ring of servers.
#[derive(Clone, Debug, Default)]
pub struct Ring {
    cut: CutState,
}

impl FaultType for Ring {
    fn kind(&self) -> FaultKind {
        FaultKind::Ring
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let blocked = with_rng(w, |view, rng| {
            let mut order: Vec<NodeId> = view.servers().to_vec();
            rng.shuffle(&mut order);
            let n = order.len();
            let mut blocked = Vec::new();
            for (i, &a) in order.iter().enumerate() {
                for (j, &b) in order.iter().enumerate() {
                    let gap = i.abs_diff(j);
                    if i != j && gap != 1 && gap != n - 1 {
                        blocked.push((a, b));
                    }
                }
            }
            blocked.sort();
            blocked
        });
        self.cut.start(w, Cut::Pairs(blocked))
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        self.cut.revert(w)
    }
}
