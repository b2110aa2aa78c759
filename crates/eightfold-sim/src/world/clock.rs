//! Fallacy 6, *there is one administrator*, at the level of time: every node has its own
//! clock. A node's clock may be offset from virtual time (skew) and run fast or slow
//! (drift), so its timers fire early or late and its notion of "now" — the one leases and
//! timeouts rely on — disagrees with its peers'.
//!
//! `local(t) = offset + t × rate`. A timer a node arms for `d` of *local* time fires after
//! about `d / rate` of virtual time — precisely, when its local clock has advanced by `d`
//! ([`Clock::timer_deadline`]): a clock running 10% fast (`rate = 1.1`) fires its election
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

    /// The virtual time at which a timer armed at virtual time `t` for `after` of *local*
    /// time fires: the first instant at which this clock reads at least `local(t) + after`.
    ///
    /// That guarantee is what lets a node re-arm a timer for "the rest of the way to my
    /// deadline" and be sure that, when it fires, its clock has reached the deadline: were
    /// the conversion rounded down instead, a fast clock could fire a 1 ns timer at the
    /// same virtual instant, the node would find its deadline not yet reached, re-arm, and
    /// the run would never advance. A timer of positive length therefore always fires
    /// strictly later in virtual time.
    #[inline]
    pub fn timer_deadline(&self, t: SimTime, after: SimDuration) -> SimTime {
        if self.is_perfect() { t + after } else { self.skewed_deadline(t, after) }
    }

    #[inline(never)]
    fn skewed_deadline(&self, t: SimTime, after: SimDuration) -> SimTime {
        if after.as_nanos() == 0 {
            return t;
        }
        let target = self.local(t).as_nanos().saturating_add(after.as_nanos());
        // Solve offset + t' × rate ≥ target, then step over any float rounding.
        let exact = (target as f64 - self.offset_ns as f64) / self.rate;
        let mut at = SimTime(if exact <= 0.0 { 0 } else { exact.ceil().min(u64::MAX as f64) as u64 }).max(t);
        while self.local(at).as_nanos() < target && at.as_nanos() < u64::MAX {
            at = SimTime(at.as_nanos() + 1);
        }
        if at == t { SimTime(t.as_nanos().saturating_add(1)) } else { at }
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
        let behind = Clock { offset_ns: -10, rate: 1.0 };
        assert_eq!(behind.local(SimTime(3)), SimTime(0));
        assert!(Clock::PERFECT.is_perfect());
    }

    #[test]
    fn a_timer_fires_when_the_local_clock_has_reached_its_deadline() {
        let d = SimDuration::from_millis(100);
        let fast = Clock { offset_ns: 5_000_000, rate: 1.25 };
        assert_eq!(fast.timer_deadline(SimTime(0), d), SimTime(80_000_000));
        // A clock behind virtual time reads zero until it catches up; its timer waits for
        // the local reading, not for virtual time.
        let behind = Clock { offset_ns: -30_000_000, rate: 1.0 };
        assert_eq!(behind.timer_deadline(SimTime(0), d), SimTime(130_000_000));
        // Every combination of rate and start: the clock has reached the deadline when the
        // timer fires, and a positive timer always moves virtual time forward.
        for rate in [0.6, 0.999_999, 1.000_001, 1.653_845_939_693_181_5, 3.0] {
            let c = Clock { offset_ns: -30_000_000, rate };
            for t in [0u64, 1, 17_999_999, 471_000_001, 999_999_999_999] {
                for ns in [1u64, 2, 3, 999, 1_000_000] {
                    let at = c.timer_deadline(SimTime(t), SimDuration::from_nanos(ns));
                    assert!(at > SimTime(t), "rate {rate} t {t} +{ns}");
                    assert!(c.local(at).as_nanos() >= c.local(SimTime(t)).as_nanos() + ns);
                }
            }
        }
        assert_eq!(fast.timer_deadline(SimTime(7), SimDuration::from_nanos(0)), SimTime(7));
    }
}
