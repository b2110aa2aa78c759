//! `partition`: split the nodes into groups that cannot reach each other, both ways; the
//! servers left out of every group form one more group.

use super::{CutState, FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::FaultKind;
use crate::fault::resolve::group;
use crate::net::Cut;
use crate::sim::NodeId;
use crate::spec::GroupRef;

/// A partition into groups (a node named twice stays on its first side).
#[derive(Clone, Debug)]
pub struct Partition {
    groups: Vec<GroupRef>,
    cut: CutState,
}

impl Partition {
    /// A partition into `groups`.
    pub fn new(groups: &[GroupRef]) -> Self {
        Partition { groups: groups.to_vec(), cut: CutState::default() }
    }
}

impl FaultType for Partition {
    fn kind(&self) -> FaultKind {
        FaultKind::Partition
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let sides = with_rng(w, |view, rng| {
            let mut sides: Vec<Vec<NodeId>> = Vec::new();
            for g in &self.groups {
                let mut side = group(g, view, rng);
                side.retain(|n| !sides.iter().any(|s| s.contains(n)));
                sides.push(side);
            }
            let rest: Vec<NodeId> =
                view.servers().iter().copied().filter(|n| !sides.iter().any(|s| s.contains(n))).collect();
            if !rest.is_empty() {
                sides.push(rest);
            }
            sides.retain(|s| !s.is_empty());
            sides
        });
        self.cut.start(w, Cut::Groups(sides))
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        self.cut.revert(w)
    }
}
