//! `replay` and `forge`: an adversary on the wire (the insecure-network fallacy). While
//! present it captures traffic and, every `interval`, strikes: `replay` sends one captured
//! envelope again (a replay attack); `forge` sends a captured message with altered bits,
//! claiming to come from a random server, tagged without the cluster key. With `"for"`, it
//! leaves afterwards. The two kinds differ only in how they strike, so they share this module.

use super::{FaultType, FaultWorld, Started, Undone};
use crate::fault::{Effect, FaultKind};
use crate::sim::SimDuration;

/// How an adversary strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strike {
    /// Send a captured envelope again.
    Replay,
    /// Send a captured message altered, under a random server's name, without the key.
    Forge,
}

impl Strike {
    /// The number folded into the digest for a strike of this kind.
    pub fn code(self) -> u32 {
        match self {
            Strike::Replay => 0,
            Strike::Forge => 1,
        }
    }
}

/// An adversary that strikes every `interval` while present.
#[derive(Clone, Debug)]
pub struct Adversary {
    strike: Strike,
    interval: SimDuration,
    present: bool,
}

impl Adversary {
    /// An adversary striking every `interval`, the way `strike` says.
    pub fn new(strike: Strike, interval: SimDuration) -> Self {
        Adversary { strike, interval, present: false }
    }
}

impl FaultType for Adversary {
    fn kind(&self) -> FaultKind {
        match self.strike {
            Strike::Replay => FaultKind::Replay,
            Strike::Forge => FaultKind::Forge,
        }
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
            w.strike(self.strike);
            w.wake_at(w.now() + self.interval);
        }
    }
}
