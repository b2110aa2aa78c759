//! `replay`: an adversary on the wire captures traffic and, every `interval`, sends one
//! captured envelope again (a replay attack). With `"for"`, it leaves afterwards.

use super::{FaultType, FaultWorld, Started, Undone};
use crate::fault::{Effect, FaultKind};
use crate::sim::SimDuration;

/// An adversary that strikes every `interval` while present.
#[derive(Clone, Debug)]
pub struct Replay {
    interval: SimDuration,
    present: bool,
}

impl Replay {
    /// An adversary striking every `interval`.
    pub fn new(interval: SimDuration) -> Self {
        Replay { interval, present: false }
    }
}

impl FaultType for Replay {
    fn kind(&self) -> FaultKind {
        FaultKind::Replay
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
            w.strike(false);
            w.wake_at(w.now() + self.interval);
        }
    }
}
