//! `partition_oneway`: messages from the `from` nodes to the `to` nodes are dropped; the
//! other direction still flows.

use super::{CutState, FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::FaultKind;
use crate::fault::resolve::group;
use crate::net::Cut;
use crate::spec::GroupRef;

/// A one-way cut.
#[derive(Clone, Debug)]
pub struct PartitionOneway {
    from: GroupRef,
    to: GroupRef,
    cut: CutState,
}

impl PartitionOneway {
    /// A cut of the messages from `from` to `to`.
    pub fn new(from: &GroupRef, to: &GroupRef) -> Self {
        PartitionOneway { from: from.clone(), to: to.clone(), cut: CutState::default() }
    }
}

impl FaultType for PartitionOneway {
    fn kind(&self) -> FaultKind {
        FaultKind::PartitionOneway
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let (from, to) = with_rng(w, |view, rng| {
            let from = group(&self.from, view, rng);
            let mut to = group(&self.to, view, rng);
            to.retain(|n| !from.contains(n));
            (from, to)
        });
        self.cut.start(w, Cut::OneWay { from, to })
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        self.cut.revert(w)
    }
}
