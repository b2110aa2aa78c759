//! `degrade`: some links' profile overridden for a while (more loss, less bandwidth, …).

use super::{FaultType, FaultWorld, LinkState, Started, Undone, with_rng};
use crate::fault::FaultKind;
use crate::fault::resolve::pairs;
use crate::net::LinkMod;
use crate::spec::{GroupRef, LinkSpec};

/// Degraded links.
#[derive(Clone, Debug)]
pub struct Degrade {
    from: GroupRef,
    to: GroupRef,
    both_ways: bool,
    profile: LinkSpec,
    links: LinkState,
}

impl Degrade {
    /// The links from `from` to `to` (and back, if `both_ways`) get `profile`'s fields.
    pub fn new(from: &GroupRef, to: &GroupRef, both_ways: bool, profile: &LinkSpec) -> Self {
        Degrade {
            from: from.clone(),
            to: to.clone(),
            both_ways,
            profile: profile.clone(),
            links: LinkState::default(),
        }
    }
}

impl FaultType for Degrade {
    fn kind(&self) -> FaultKind {
        FaultKind::Degrade
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let p = with_rng(w, |view, rng| pairs(&self.from, &self.to, self.both_ways, view, rng));
        self.links.start(w, p, LinkMod::Overlay(Box::new(self.profile.clone())))
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        self.links.revert(w)
    }
}
