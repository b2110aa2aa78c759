//! One directed link: its profile (what the scenario configured) and its state (the
//! bandwidth queue, counters), kept only for links that carried traffic or were changed.
//!
//! Fallacy 3, *bandwidth is infinite*, is modelled as a FIFO transmitter: a message of `b`
//! bytes occupies the link for `b / bandwidth` seconds, messages wait their turn in a queue
//! of finite capacity, and a message that does not fit is dropped (tail drop). Because the
//! queue is FIFO and rates are constant, its state is one number: the instant the link
//! finishes sending what it already has (`free_at`). The queued bytes at time `t` are
//! `(free_at - t) × bandwidth`; no per-packet events are needed.

use serde::Serialize;

use super::latency::Latency;
use crate::sim::{SimDuration, SimTime};
use crate::spec::LinkSpec;

/// Default one-way latency when a scenario names none.
pub const DEFAULT_LATENCY: SimDuration = SimDuration::from_millis(1);
/// Default queue capacity of a bandwidth-limited link.
pub const DEFAULT_QUEUE_BYTES: u64 = 64 * 1024;
/// Default largest extra delay of a reordered message.
pub const DEFAULT_REORDER_DELAY: SimDuration = SimDuration::from_millis(10);

/// The configured behaviour of a directed link.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkProfile {
    /// One-way latency distribution.
    pub latency: Latency,
    /// Probability a message is lost.
    pub loss: f64,
    /// Probability a message is delivered twice.
    pub duplicate: f64,
    /// Probability a message is held back by up to `reorder_delay`.
    pub reorder: f64,
    /// The largest extra delay of a held-back message.
    pub reorder_delay: SimDuration,
    /// Bytes per second, or `None` for unlimited.
    pub bandwidth: Option<u64>,
    /// Queue capacity in bytes (only with a bandwidth).
    pub queue: u64,
    /// Largest packet the link carries, bytes (`None`: unlimited).
    pub mtu: Option<u32>,
    /// Whether a message larger than the MTU is split into fragments (else it is dropped).
    pub fragmentation: bool,
    /// Money charged per gigabyte carried (fallacy 7: cross-zone traffic is billed).
    pub cost_per_gb: f64,
    /// Probability that bits of a message are flipped in flight (fallacy 4).
    pub corrupt: f64,
}

/// Bytes of header every fragment after the first adds.
pub const FRAGMENT_OVERHEAD: u32 = 40;

impl Default for LinkProfile {
    fn default() -> Self {
        LinkProfile {
            latency: Latency::Constant(DEFAULT_LATENCY.as_nanos()),
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: DEFAULT_REORDER_DELAY,
            bandwidth: None,
            queue: DEFAULT_QUEUE_BYTES,
            mtu: None,
            fragmentation: true,
            cost_per_gb: 0.0,
            corrupt: 0.0,
        }
    }
}

impl LinkProfile {
    /// This profile with the fields `spec` sets replaced.
    pub fn overlay(&self, spec: &LinkSpec) -> LinkProfile {
        LinkProfile {
            latency: spec.latency.as_ref().map(Latency::from_spec).unwrap_or(self.latency),
            loss: spec.loss.map(|p| p.0).unwrap_or(self.loss),
            duplicate: spec.duplicate.map(|p| p.0).unwrap_or(self.duplicate),
            reorder: spec.reorder.map(|p| p.0).unwrap_or(self.reorder),
            reorder_delay: spec.reorder_delay.map(|d| d.0).unwrap_or(self.reorder_delay),
            bandwidth: spec.bandwidth.map(|r| Some(r.0)).unwrap_or(self.bandwidth),
            queue: spec.queue.map(|q| q.0).unwrap_or(self.queue),
            mtu: spec.mtu.map(|m| Some(m.0.min(u32::MAX as u64) as u32)).unwrap_or(self.mtu),
            fragmentation: spec.fragmentation.unwrap_or(self.fragmentation),
            cost_per_gb: spec.cost_per_gb.unwrap_or(self.cost_per_gb),
            corrupt: spec.corrupt.map(|p| p.0).unwrap_or(self.corrupt),
        }
    }

    /// The bytes a `size`-byte message occupies on this link and in how many fragments,
    /// or `None` if it exceeds the MTU and fragmentation is off.
    #[inline]
    pub fn framing(&self, size: u32) -> Option<(u32, u32)> {
        match self.mtu {
            Some(mtu) if size > mtu => {
                if !self.fragmentation {
                    return None;
                }
                let frags = size.div_ceil(mtu.max(1));
                Some((size.saturating_add((frags - 1).saturating_mul(FRAGMENT_OVERHEAD)), frags))
            }
            _ => Some((size, 1)),
        }
    }

    /// A one-line description for the effective-parameter listing.
    pub fn describe(&self) -> String {
        let mut s = format!("latency {}", self.latency.describe());
        if self.loss > 0.0 {
            s += &format!(", loss {}", self.loss);
        }
        if self.duplicate > 0.0 {
            s += &format!(", duplicate {}", self.duplicate);
        }
        if self.reorder > 0.0 {
            s += &format!(", reorder {} (up to {})", self.reorder, self.reorder_delay);
        }
        if let Some(bw) = self.bandwidth {
            s += &format!(", bandwidth {bw}B/s, queue {}B", self.queue);
        }
        if let Some(mtu) = self.mtu {
            s += &format!(
                ", mtu {mtu}B ({})",
                if self.fragmentation { "fragmenting" } else { "dropping larger" }
            );
        }
        if self.cost_per_gb > 0.0 {
            s += &format!(", cost {}/GB", self.cost_per_gb);
        }
        if self.corrupt > 0.0 {
            s += &format!(", corrupt {}", self.corrupt);
        }
        s
    }
}

/// Traffic counters of one directed link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LinkCounters {
    /// Messages handed to the link.
    pub messages: u64,
    /// Bytes handed to the link.
    pub bytes: u64,
    /// Messages the link dropped (loss, queue full, partition).
    pub dropped: u64,
    /// Largest queue backlog seen, in bytes.
    pub peak_queue_bytes: u64,
    /// Fragments sent beyond the first of each message (MTU).
    pub extra_fragments: u64,
    /// Money charged for the bytes carried.
    pub money: f64,
}

/// A temporary change to a link, owned by the fault that made it.
#[derive(Clone, Debug)]
pub enum LinkMod {
    /// The link carries nothing.
    Down,
    /// Latency is multiplied by this factor (a latency spike).
    LatencyFactor(f64),
    /// These profile fields are overridden (a degraded link).
    Overlay(Box<LinkSpec>),
}

/// The live state of one directed link that has carried traffic or been changed by a fault
/// (the [`super::Network`] keeps one only for those; every other link is its configured
/// profile and nothing else).
#[derive(Clone, Debug)]
pub struct Link {
    /// The receiver (the sender is the row the network keeps it in).
    pub to: crate::sim::NodeId,
    /// The profile in effect (an index into the network's [`super::LinkProfiles`]): the
    /// link's configured profile with every active modification applied.
    pub profile: u32,
    /// True while a `Down` modification is active.
    pub down: bool,
    /// Product of the active latency factors.
    pub latency_factor: f64,
    /// When the transmitter finishes the bytes it already holds (bandwidth-limited links).
    pub free_at: SimTime,
    /// Counters.
    pub counters: LinkCounters,
}

/// Why the transmitter refused a message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct QueueFull;

impl Link {
    /// A fresh link to `to` whose profile in effect is `profile`.
    pub fn new(to: crate::sim::NodeId, profile: u32) -> Self {
        Link {
            to,
            profile,
            down: false,
            latency_factor: 1.0,
            free_at: SimTime::ZERO,
            counters: LinkCounters::default(),
        }
    }

    /// Bytes waiting in the queue at `now`, on a link whose profile in effect is `p`.
    #[inline]
    pub fn backlog(&self, p: &LinkProfile, now: SimTime) -> u64 {
        match p.bandwidth {
            None => 0,
            Some(bw) => {
                let wait = self.free_at.saturating_since(now).as_nanos() as u128;
                (wait * bw as u128 / 1_000_000_000) as u64
            }
        }
    }

    /// Puts `size` bytes on the transmitter at `now` (the profile in effect is `p`);
    /// returns when the last bit leaves (before propagation latency), or [`QueueFull`] if
    /// the queue cannot take them.
    #[inline]
    pub fn transmit(&mut self, p: &LinkProfile, now: SimTime, size: u32) -> Result<SimTime, QueueFull> {
        let Some(bw) = p.bandwidth else { return Ok(now) };
        let backlog = self.backlog(p, now);
        if backlog + size as u64 > p.queue {
            return Err(QueueFull);
        }
        self.counters.peak_queue_bytes = self.counters.peak_queue_bytes.max(backlog + size as u64);
        let start = self.free_at.max(now);
        let serialize = (size as u128 * 1_000_000_000).div_ceil(bw as u128) as u64;
        self.free_at = start + SimDuration(serialize);
        Ok(self.free_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialization_delay_and_tail_drop() {
        let p = LinkProfile { bandwidth: Some(1_000_000), queue: 3_000, ..Default::default() };
        let mut l = Link::new(crate::sim::NodeId(1), 0);
        // 1000 bytes at 1 MB/s take 1 ms each.
        assert_eq!(l.transmit(&p, SimTime(0), 1000), Ok(SimTime(1_000_000)));
        assert_eq!(l.transmit(&p, SimTime(0), 1000), Ok(SimTime(2_000_000)));
        assert_eq!(l.transmit(&p, SimTime(0), 1000), Ok(SimTime(3_000_000)));
        assert_eq!(l.backlog(&p, SimTime(0)), 3000);
        assert_eq!(l.transmit(&p, SimTime(0), 1), Err(QueueFull));
        // Half a millisecond later 500 bytes have left, so 500 fit again.
        assert_eq!(l.backlog(&p, SimTime(500_000)), 2500);
        assert!(l.transmit(&p, SimTime(500_000), 500).is_ok());
        assert_eq!(l.transmit(&p, SimTime(500_000), 1), Err(QueueFull));
    }

    #[test]
    fn unlimited_links_never_queue() {
        let p = LinkProfile::default();
        let mut l = Link::new(crate::sim::NodeId(1), 0);
        for _ in 0..1000 {
            assert_eq!(l.transmit(&p, SimTime(7), 1 << 20), Ok(SimTime(7)));
        }
    }
}
