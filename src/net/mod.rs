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

pub mod latency;
pub mod link;
pub mod partition;
pub mod stats;

use crate::sim::rng::Draw;
use crate::sim::{NodeId, SimDuration, SimRng, SimTime};

pub use latency::Latency;
pub use link::{Link, LinkCounters, LinkProfile};
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
    pub fn route(&mut self, now: SimTime, from: NodeId, to: NodeId, size: u32) -> Route {
        self.stats.sent += 1;
        self.stats.bytes += size as u64;
        let idx = from.index() * self.n + to.index();
        let link = &mut self.links[idx];
        link.counters.messages += 1;
        link.counters.bytes += size as u64;
        if self.partitions.blocks(from, to) {
            link.counters.dropped += 1;
            self.stats.drop(DropReason::Partition);
            return Route::Drop(DropReason::Partition);
        }
        let sent_at = match link.transmit(now, size) {
            Ok(t) => t,
            Err(_) => {
                link.counters.dropped += 1;
                self.stats.drop(DropReason::QueueFull);
                return Route::Drop(DropReason::QueueFull);
            }
        };
        let p = &link.profile;
        if self.rng.chance(p.loss) {
            link.counters.dropped += 1;
            self.stats.drop(DropReason::Loss);
            return Route::Drop(DropReason::Loss);
        }
        let mut at = sent_at + p.latency.sample(&mut self.rng);
        let reordered = self.rng.chance(p.reorder);
        if reordered {
            at += SimDuration(self.rng.between(1, p.reorder_delay.as_nanos().max(1)));
            self.stats.reordered += 1;
        }
        let duplicate = if self.rng.chance(p.duplicate) {
            self.stats.duplicated += 1;
            Some(sent_at + p.latency.sample(&mut self.rng))
        } else {
            None
        };
        Route::Deliver { at, duplicate, reordered }
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
