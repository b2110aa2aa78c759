//! Fallacy 6, *there is one administrator*, at the level of time: every node has its own
//! clock. A node's clock may be offset from virtual time (skew) and run fast or slow
//! (drift), so its timers fire early or late and its notion of "now" — the one leases and
//! timeouts rely on — disagrees with its peers'.
//!
//! `local(t) = offset + t × rate`. A timer a node arms for `d` of *local* time fires after
//! `d / rate` of virtual time: a clock running 10% fast (`rate = 1.1`) fires its election
//! timer early.

use serde::{Deserialize, Serialize};

use crate::sim::{SimDuration, SimTime};

/// A node's clock: an offset and a rate against virtual time.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    /// Local minus virtual time at time zero, in nanoseconds (may be negative).
    pub offset_ns: i64,
    /// Local seconds per virtual second (1.0 = perfect; must be positive).
    pub rate: f64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::PERFECT
    }
}

impl Clock {
    /// A clock that agrees with virtual time exactly.
    pub const PERFECT: Clock = Clock { offset_ns: 0, rate: 1.0 };

    /// True if the clock agrees with virtual time.
    #[inline]
    pub fn is_perfect(&self) -> bool {
        self.offset_ns == 0 && self.rate == 1.0
    }

    /// The local reading at virtual time `t` (never below zero).
    #[inline]
    pub fn local(&self, t: SimTime) -> SimTime {
        if self.is_perfect() { t } else { self.skewed(t) }
    }

    // Kept out of line: inlined, the compiler evaluates the float rounding speculatively
    // on every event even for perfect clocks.
    #[inline(never)]
    fn skewed(&self, t: SimTime) -> SimTime {
        let v = self.offset_ns as f64 + t.as_nanos() as f64 * self.rate;
        SimTime(if v <= 0.0 { 0 } else { v.round() as u64 })
    }

    /// The virtual duration a local duration `d` takes.
    #[inline]
    pub fn to_virtual(&self, d: SimDuration) -> SimDuration {
        if self.rate == 1.0 { d } else { d.mul_f64(1.0 / self.rate) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_clocks_fire_early_and_read_ahead() {
        let c = Clock { offset_ns: 5_000_000, rate: 1.25 };
        assert_eq!(c.local(SimTime(0)), SimTime(5_000_000));
        assert_eq!(c.local(SimTime(1_000_000_000)), SimTime(1_255_000_000));
        assert_eq!(c.to_virtual(SimDuration::from_millis(100)), SimDuration::from_millis(80));
        let behind = Clock { offset_ns: -10, rate: 1.0 };
        assert_eq!(behind.local(SimTime(3)), SimTime(0));
        assert!(Clock::PERFECT.is_perfect());
    }
}
