//! The simulated network between nodes: per directed link latency, loss, duplication,
//! reordering, bandwidth and partitions.
//!
//! [`Network::route`] decides the fate of one message at the instant it is sent: dropped
//! (and why), or delivered at a computed time (and possibly once more, as a duplicate).
//! The kernel then schedules the delivery; at delivery time it asks [`Network::blocks`]
//! again, so a partition that starts while a message is in flight still stops it.
//!
//! Draws come from the run's `"net"` stream in a fixed order per message (loss, latency,
//! reorder, duplicate), and only for features a link has switched on, so a perfect link
//! costs no random draws at all.

pub mod envelope;
pub mod latency;
pub mod link;
pub mod partition;
pub mod stats;

use crate::sim::rng::Draw;
use crate::sim::{NodeId, SimDuration, SimRng, SimTime};

pub use latency::Latency;
pub use link::{Link, LinkCounters, LinkMod, LinkProfile};

/// A latency multiplied by a spike factor (1.0 leaves it alone, without float rounding).
#[inline]
fn scaled(d: SimDuration, factor: f64) -> SimDuration {
    if factor == 1.0 { d } else { d.mul_f64(factor) }
}
pub use partition::{Cut, CutId, Partitions};
pub use stats::{DropReason, NetStats};

/// The fate of one message, decided when it is sent.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// The message is lost.
    Drop(DropReason),
    /// The message arrives at `at`; if `duplicate` is set, a second copy arrives then.
    Deliver {
        /// Arrival time.
        at: SimTime,
        /// Arrival time of a duplicate copy.
        duplicate: Option<SimTime>,
        /// True if the message was held back to be overtaken.
        reordered: bool,
        /// True if bits of the message are flipped in flight (fallacy 4).
        corrupt: bool,
    },
}

/// All links among `n` nodes, the active partitions and the counters.
pub struct Network {
    n: usize,
    links: Vec<Link>,
    partitions: Partitions,
    rng: SimRng,
    stats: NetStats,
}

impl Network {
    /// A network of `n` nodes whose link from `a` to `b` has profile `profile(a, b)`.
    pub fn new(n: usize, rng: SimRng, mut profile: impl FnMut(NodeId, NodeId) -> LinkProfile) -> Self {
        let mut links = Vec::with_capacity(n * n);
        for a in 0..n {
            for b in 0..n {
                links.push(Link::new(profile(NodeId(a as u32), NodeId(b as u32))));
            }
        }
        Network { n, links, partitions: Partitions::new(n), rng, stats: NetStats::default() }
    }

    /// Number of nodes (servers, clients and any adversary).
    pub fn nodes(&self) -> usize {
        self.n
    }

    /// The link from `a` to `b`.
    #[inline]
    pub fn link(&self, a: NodeId, b: NodeId) -> &Link {
        &self.links[a.index() * self.n + b.index()]
    }

    /// The link from `a` to `b`, for changing its profile at runtime.
    pub fn link_mut(&mut self, a: NodeId, b: NodeId) -> &mut Link {
        &mut self.links[a.index() * self.n + b.index()]
    }

    /// The active partitions.
    pub fn partitions(&self) -> &Partitions {
        &self.partitions
    }

    /// The active partitions, for adding and lifting cuts.
    pub fn partitions_mut(&mut self) -> &mut Partitions {
        &mut self.partitions
    }

    /// True if a partition blocks messages from `from` to `to` right now.
    #[inline]
    pub fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        self.partitions.blocks(from, to)
    }

    /// The counters so far.
    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// Counts a delivery (called by the kernel when a message reaches a live node).
    #[inline]
    pub fn note_delivered(&mut self) {
        self.stats.delivered += 1;
    }

    /// Counts a message dropped after it was routed (partition in flight, node down).
    #[inline]
    pub fn note_dropped(&mut self, from: NodeId, to: NodeId, why: DropReason) {
        self.stats.drop(why);
        self.links[from.index() * self.n + to.index()].counters.dropped += 1;
    }

    /// Decides the fate of a `size`-byte message sent from `from` to `to` at `now`.
    #[inline]
    #[must_use = "the route says when (or whether) the message arrives; dropping it loses the message"]
    pub fn route(&mut self, now: SimTime, from: NodeId, to: NodeId, size: u32) -> Route {
        self.stats.sent += 1;
        self.stats.bytes += size as u64;
        if to.index() >= self.n {
            self.stats.drop(DropReason::Unroutable);
            return Route::Drop(DropReason::Unroutable);
        }
        let idx = from.index() * self.n + to.index();
        let link = &mut self.links[idx];
        link.counters.messages += 1;
        link.counters.bytes += size as u64;
        if self.partitions.blocks(from, to) || link.down {
            let why = if link.down { DropReason::LinkDown } else { DropReason::Partition };
            link.counters.dropped += 1;
            self.stats.drop(why);
            return Route::Drop(why);
        }
        let Some((wire, frags)) = link.profile.framing(size) else {
            link.counters.dropped += 1;
            self.stats.drop(DropReason::Mtu);
            return Route::Drop(DropReason::Mtu);
        };
        if frags > 1 {
            link.counters.extra_fragments += (frags - 1) as u64;
        }
        self.stats.wire_bytes += wire as u64;
        if link.profile.cost_per_gb > 0.0 {
            let money = wire as f64 / 1e9 * link.profile.cost_per_gb;
            link.counters.money += money;
            self.stats.money += money;
        }
        let sent_at = match link.transmit(now, wire) {
            Ok(t) => t,
            Err(_) => {
                link.counters.dropped += 1;
                self.stats.drop(DropReason::QueueFull);
                return Route::Drop(DropReason::QueueFull);
            }
        };
        let p = &link.profile;
        // A fragmented message is lost if any of its fragments is.
        let loss =
            if frags > 1 && p.loss > 0.0 { 1.0 - libm::pow(1.0 - p.loss, frags as f64) } else { p.loss };
        if self.rng.chance(loss) {
            link.counters.dropped += 1;
            self.stats.drop(DropReason::Loss);
            return Route::Drop(DropReason::Loss);
        }
        let factor = link.latency_factor;
        let mut at = sent_at + scaled(p.latency.sample(&mut self.rng), factor);
        let reordered = self.rng.chance(p.reorder);
        if reordered {
            at += SimDuration(self.rng.between(1, p.reorder_delay.as_nanos().max(1)));
            self.stats.reordered += 1;
        }
        let duplicate = if self.rng.chance(p.duplicate) {
            self.stats.duplicated += 1;
            Some(sent_at + scaled(p.latency.sample(&mut self.rng), factor))
        } else {
            None
        };
        let corrupt = self.rng.chance(p.corrupt);
        if corrupt {
            self.stats.corrupted += 1;
        }
        Route::Deliver { at, duplicate, reordered, corrupt }
    }

    /// Applies `m` (owned by fault `owner`) to the link from `a` to `b`.
    pub fn modify(&mut self, a: NodeId, b: NodeId, owner: u64, m: LinkMod) {
        self.link_mut(a, b).add_mod(owner, m);
    }

    /// Removes every modification made by fault `owner`, on every link.
    pub fn unmodify(&mut self, owner: u64) {
        for l in &mut self.links {
            if !l.mods.is_empty() {
                l.remove_mods(owner);
            }
        }
    }

    /// Counters of every link, as (from, to, counters) for links that carried traffic.
    pub fn link_counters(&self) -> Vec<(NodeId, NodeId, LinkCounters)> {
        let mut out = Vec::new();
        for a in 0..self.n {
            for b in 0..self.n {
                let c = self.links[a * self.n + b].counters;
                if c.messages > 0 {
                    out.push((NodeId(a as u32), NodeId(b as u32), c));
                }
            }
        }
        out
    }
}
