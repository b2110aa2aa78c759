//! The faults a schedule can inject into a disk, and the state they leave on the device.
//!
//! - *failed fsyncs* — a count of upcoming fsyncs that must fail and/or a failure
//!   probability per fsync: a failing fsync completes with `SyncFailed`, makes nothing
//!   durable, and poisons the file (see [`crate::disk`] for the fsyncgate model);
//! - *slowness* — a factor multiplying every fsync latency (a slow or degraded disk);
//! - *corruption* — a flipped bit in durable data (see [`Corruption`]).
//!
//! The fault state belongs to the device, not to the node's memory: it survives a crash.

use crate::sim::SimDuration;
use crate::sim::rng::Draw;

/// A bit flipped in a file's durable content, as reported to the fault log.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Corruption {
    /// Byte offset in the file's durable content.
    pub offset: u64,
    /// Bit within the byte (0 = least significant).
    pub bit: u8,
}

/// Fault state of one device.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct DiskFaults {
    /// Upcoming fsyncs that fail for certain.
    fail_next: u64,
    /// Probability that any other fsync fails.
    fail_rate: f64,
    /// Factor applied to every fsync latency.
    slowness: f64,
}

impl Default for DiskFaults {
    fn default() -> Self {
        DiskFaults { fail_next: 0, fail_rate: 0.0, slowness: 1.0 }
    }
}

impl DiskFaults {
    /// Makes the next `n` fsyncs issued fail (added to any already pending).
    pub(crate) fn fail_next(&mut self, n: u64) {
        self.fail_next = self.fail_next.saturating_add(n);
    }

    /// Sets the probability that an fsync fails (0 turns random failures off).
    pub(crate) fn set_fail_rate(&mut self, p: f64) {
        assert!((0.0..=1.0).contains(&p), "fsync failure rate {p} is not a probability");
        self.fail_rate = p;
    }

    /// Sets the slowness factor (1 = nominal speed).
    pub(crate) fn set_slowness(&mut self, factor: f64) {
        assert!(factor.is_finite() && factor >= 0.0, "slowness {factor} must be finite and non-negative");
        self.slowness = factor;
    }

    /// The current slowness factor.
    pub(crate) fn slowness(&self) -> f64 {
        self.slowness
    }

    /// Decides whether an fsync issued now fails. Draws only when a failure rate strictly
    /// between 0 and 1 is set, so a disk without this fault consumes no randomness for it.
    pub(crate) fn next_fails(&mut self, rng: &mut impl Draw) -> bool {
        if self.fail_next > 0 {
            self.fail_next -= 1;
            true
        } else {
            rng.chance(self.fail_rate)
        }
    }

    /// A nominal latency stretched by the slowness factor.
    pub(crate) fn stretch(&self, latency: SimDuration) -> SimDuration {
        if self.slowness == 1.0 { latency } else { latency.mul_f64(self.slowness) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;

    #[test]
    fn counted_failures_come_first_then_the_rate_applies() {
        let mut rng = RngStreams::new(1).stream("faults-test");
        let mut f = DiskFaults::default();
        assert!(!f.next_fails(&mut rng));
        f.fail_next(2);
        assert!(f.next_fails(&mut rng));
        assert!(f.next_fails(&mut rng));
        assert!(!f.next_fails(&mut rng));
        f.set_fail_rate(0.25);
        let failures = (0..4000).filter(|_| f.next_fails(&mut rng)).count();
        assert!((900..1100).contains(&failures), "{failures}");
    }

    #[test]
    fn slowness_scales_latency() {
        let mut f = DiskFaults::default();
        assert_eq!(f.stretch(SimDuration::from_millis(3)), SimDuration::from_millis(3));
        f.set_slowness(10.0);
        assert_eq!(f.stretch(SimDuration::from_millis(3)), SimDuration::from_millis(30));
    }
}
