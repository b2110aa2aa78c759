//! `link_down`: the links between two groups carry nothing (a cable pulled, a route
//! withdrawn) until its `"for"` runs out or a `link_up` brings them back.

use super::{FaultType, FaultWorld, LinkState, Started, Undone, with_rng};
use crate::fault::FaultKind;
use crate::fault::resolve::pairs;
use crate::net::LinkMod;
use crate::spec::GroupRef;

/// Links taken down.
#[derive(Clone, Debug)]
pub struct LinkDown {
    from: GroupRef,
    to: GroupRef,
    both_ways: bool,
    links: LinkState,
}

impl LinkDown {
    /// The links from `from` to `to` (and back, if `both_ways`).
    pub fn new(from: &GroupRef, to: &GroupRef, both_ways: bool) -> Self {
        LinkDown { from: from.clone(), to: to.clone(), both_ways, links: LinkState::default() }
    }
}

impl FaultType for LinkDown {
    fn kind(&self) -> FaultKind {
        FaultKind::LinkDown
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let p = with_rng(w, |view, rng| pairs(&self.from, &self.to, self.both_ways, view, rng));
        self.links.start(w, p, LinkMod::Down)
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        self.links.revert(w)
    }
}
