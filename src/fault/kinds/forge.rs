//! `forge`: an adversary on the wire, every `interval`, forges a message: a captured one
//! with altered bits, claiming to come from a random server, tagged without the cluster key.

use super::{FaultType, FaultWorld, Started, Undone};
use crate::fault::{Effect, FaultKind};
use crate::sim::SimDuration;

/// An adversary that strikes every `interval` while present.
#[derive(Clone, Debug)]
pub struct Forge {
    interval: SimDuration,
    present: bool,
}

impl Forge {
    /// An adversary striking every `interval`.
    pub fn new(interval: SimDuration) -> Self {
        Forge { interval, present: false }
    }
}

impl FaultType for Forge {
    fn kind(&self) -> FaultKind {
        FaultKind::Forge
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        w.adversary(true);
        self.present = true;
        w.wake_at(w.now() + self.interval);
        Started { effect: Effect::Adversary { interval: self.interval }, window: true }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        if !std::mem::take(&mut self.present) {
            return Undone::Nothing;
        }
        w.adversary(false);
        Undone::Adversary
    }

    fn wake(&mut self, w: &mut dyn FaultWorld) {
        if self.present {
            w.strike(true);
            w.wake_at(w.now() + self.interval);
        }
    }
}
