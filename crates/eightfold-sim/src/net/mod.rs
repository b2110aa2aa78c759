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
//!
//! State is kept only where something happened (issue 21): each link's configured profile
//! comes from a [`LinkProfiles`] table (a handful of distinct profiles, no n × n table); a
//! link's live state (its queue, counters, the faults changing it) exists once it carried a
//! message or a fault touched it, in its sender's row sorted by receiver. A message costs a
//! binary search in its sender's row, whatever the cluster's size, and memory grows with the
//! links used, not with the square of the node count.

pub mod envelope;
pub mod latency;
pub mod link;
pub mod partition;
pub mod profiles;
pub mod stats;

use std::collections::BTreeMap;

use crate::sim::rng::Draw;
use crate::sim::{NodeId, SimDuration, SimRng, SimTime};

pub use latency::Latency;
pub use link::{Link, LinkCounters, LinkMod, LinkProfile};
pub use profiles::LinkProfiles;

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

/// The live state of the link from `a` to `b` in `a`'s row (sorted by receiver), created
/// with its configured profile on first use.
#[inline]
fn link_in<'r>(row: &'r mut Vec<Link>, profiles: &LinkProfiles, a: NodeId, b: NodeId) -> &'r mut Link {
    let i = match row.binary_search_by_key(&b, |l| l.to) {
        Ok(i) => i,
        Err(i) => {
            row.insert(i, Link::new(b, profiles.base(a, b)));
            i
        }
    };
    &mut row[i]
}

/// All links among `n` nodes, the active partitions and the counters.
pub struct Network {
    n: usize,
    /// Every link's configured profile, and the profiles faults put in effect.
    profiles: LinkProfiles,
    /// Per sender, the links with live state, sorted by receiver.
    rows: Vec<Vec<Link>>,
    /// Active modifications per link, oldest first, each with the id of the fault that made it.
    mods: BTreeMap<(NodeId, NodeId), Vec<(u64, LinkMod)>>,
    partitions: Partitions,
    rng: SimRng,
    stats: NetStats,
}

impl Network {
    /// A network of `n` nodes whose links have the profiles of `profiles`.
    pub fn new(n: usize, rng: SimRng, profiles: LinkProfiles) -> Self {
        debug_assert_eq!(profiles.nodes(), n, "a profile table for the network's nodes");
        Network {
            n,
            profiles,
            rows: vec![Vec::new(); n],
            mods: BTreeMap::new(),
            partitions: Partitions::new(n),
            rng,
            stats: NetStats::default(),
        }
    }

    /// Number of nodes (servers, clients and any adversary).
    pub fn nodes(&self) -> usize {
        self.n
    }

    /// The live state of the link from `a` to `b`, created on first use.
    #[inline]
    fn state(&mut self, a: NodeId, b: NodeId) -> &mut Link {
        link_in(&mut self.rows[a.index()], &self.profiles, a, b)
    }

    /// The live state of the link from `a` to `b`, if it has any.
    #[inline]
    fn find(&self, a: NodeId, b: NodeId) -> Option<&Link> {
        let row = self.rows.get(a.index())?;
        row.binary_search_by_key(&b, |l| l.to).ok().map(|i| &row[i])
    }

    /// The live state of the link from `a` to `b` (its queue, counters, the changes faults
    /// put in effect), if it has carried a message or a fault touched it.
    pub fn link(&self, a: NodeId, b: NodeId) -> Option<&Link> {
        self.find(a, b)
    }

    /// The profile in effect on the link from `a` to `b` (its configured profile with every
    /// active fault's change applied).
    pub fn profile(&self, a: NodeId, b: NodeId) -> &LinkProfile {
        match self.find(a, b) {
            Some(l) => self.profiles.get(l.profile),
            None => self.profiles.profile(a, b),
        }
    }

    /// Bytes waiting in the queue of the link from `a` to `b` at `now`, if the link has a
    /// bandwidth limit (`None`: it sends everything at once).
    pub fn backlog(&self, a: NodeId, b: NodeId, now: SimTime) -> Option<u64> {
        let p = self.profile(a, b);
        p.bandwidth?;
        Some(self.find(a, b).map_or(0, |l| l.backlog(p, now)))
    }

    /// True while a fault has taken the link from `a` to `b` down.
    pub fn is_down(&self, a: NodeId, b: NodeId) -> bool {
        self.find(a, b).is_some_and(|l| l.down)
    }

    /// The active modifications of the link from `a` to `b`, oldest first, each with the
    /// id of the fault that made it.
    pub fn link_mods(&self, a: NodeId, b: NodeId) -> &[(u64, LinkMod)] {
        self.mods.get(&(a, b)).map_or(&[], Vec::as_slice)
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
        if to.index() < self.n {
            self.state(from, to).counters.dropped += 1;
        }
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
        let blocked = self.partitions.blocks(from, to);
        let link = link_in(&mut self.rows[from.index()], &self.profiles, from, to);
        let p = self.profiles.get(link.profile);
        link.counters.messages += 1;
        link.counters.bytes += size as u64;
        if blocked || link.down {
            let why = if link.down { DropReason::LinkDown } else { DropReason::Partition };
            link.counters.dropped += 1;
            self.stats.drop(why);
            return Route::Drop(why);
        }
        let Some((wire, frags)) = p.framing(size) else {
            link.counters.dropped += 1;
            self.stats.drop(DropReason::Mtu);
            return Route::Drop(DropReason::Mtu);
        };
        if frags > 1 {
            link.counters.extra_fragments += (frags - 1) as u64;
        }
        self.stats.wire_bytes += wire as u64;
        if p.cost_per_gb > 0.0 {
            let money = wire as f64 / 1e9 * p.cost_per_gb;
            link.counters.money += money;
            self.stats.money += money;
        }
        let sent_at = match link.transmit(p, now, wire) {
            Ok(t) => t,
            Err(_) => {
                link.counters.dropped += 1;
                self.stats.drop(DropReason::QueueFull);
                return Route::Drop(DropReason::QueueFull);
            }
        };
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
        self.mods.entry((a, b)).or_default().push((owner, m));
        self.recompute(a, b);
    }

    /// Removes every modification made by fault `owner`, on every link it changed.
    pub fn unmodify(&mut self, owner: u64) {
        let changed: Vec<(NodeId, NodeId)> =
            self.mods.iter().filter(|(_, v)| v.iter().any(|(o, _)| *o == owner)).map(|(k, _)| *k).collect();
        for (a, b) in changed {
            self.remove_link_mods(a, b, |o, _| o == owner);
        }
    }

    /// Removes the modifications of the link from `a` to `b` that `which(owner, change)`
    /// selects.
    pub fn remove_link_mods(&mut self, a: NodeId, b: NodeId, which: impl Fn(u64, &LinkMod) -> bool) {
        let Some(v) = self.mods.get_mut(&(a, b)) else { return };
        let before = v.len();
        v.retain(|(o, m)| !which(*o, m));
        if v.len() != before {
            if v.is_empty() {
                self.mods.remove(&(a, b));
            }
            self.recompute(a, b);
        }
    }

    /// Puts the link's configured profile with its active modifications in effect.
    fn recompute(&mut self, a: NodeId, b: NodeId) {
        if a.index() >= self.n || b.index() >= self.n {
            return;
        }
        let base = self.profiles.base(a, b);
        let mut p: Option<LinkProfile> = None;
        let mut down = false;
        let mut factor = 1.0;
        for (_, m) in self.mods.get(&(a, b)).map_or(&[][..], Vec::as_slice) {
            match m {
                LinkMod::Down => down = true,
                LinkMod::LatencyFactor(f) => factor *= f,
                LinkMod::Overlay(spec) => {
                    p = Some(p.as_ref().unwrap_or_else(|| self.profiles.get(base)).overlay(spec));
                }
            }
        }
        let profile = match p {
            Some(p) => self.profiles.intern(p),
            None => base,
        };
        let link = self.state(a, b);
        link.profile = profile;
        link.down = down;
        link.latency_factor = factor;
    }

    /// Counters of every link, as (from, to, counters) for links that carried traffic, in
    /// order of sender then receiver.
    pub fn link_counters(&self) -> Vec<(NodeId, NodeId, LinkCounters)> {
        let mut out = Vec::new();
        for (a, row) in self.rows.iter().enumerate() {
            for l in row.iter().filter(|l| l.counters.messages > 0) {
                out.push((NodeId(a as u32), l.to, l.counters));
            }
        }
        out
    }
}
