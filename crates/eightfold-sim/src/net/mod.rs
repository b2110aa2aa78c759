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
//!
//! Per-link counters are kept for every link that carried traffic only in clusters of at
//! most [`LINK_DETAIL_NODES`] nodes. In a larger one, a link gets live state only when it
//! needs it to route (a bandwidth-limited profile's queue) or a fault touched it, and only
//! those links have counters; the others count in the network's totals alone. A 1000-node
//! gossip run touches about half a million links, and keeping 80 bytes (and a line of
//! `outcome.json`) for each cost more memory than the rest of the run together.

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

/// The largest network (servers, clients and any adversary) whose every link that carried
/// traffic keeps its own counters; a larger one keeps them only for links with live state
/// for another reason (see the module docs).
pub const LINK_DETAIL_NODES: usize = 64;

/// Counts on the link's counters, if it keeps any.
#[inline]
fn count(link: &mut Option<&mut Link>, f: impl FnOnce(&mut LinkCounters)) {
    if let Some(l) = link.as_deref_mut() {
        f(&mut l.counters);
    }
}

/// All links among `n` nodes, the active partitions and the counters.
pub struct Network {
    n: usize,
    /// Every link that carries traffic keeps live state and counters (`n <=`
    /// [`LINK_DETAIL_NODES`]).
    detail: bool,
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
            detail: n <= LINK_DETAIL_NODES,
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

    /// True if every link that carried traffic keeps its own counters (a network of at
    /// most [`LINK_DETAIL_NODES`] nodes).
    pub fn keeps_every_link(&self) -> bool {
        self.detail
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
            if self.detail {
                self.state(from, to).counters.dropped += 1;
            } else if let Some(l) = self.find_mut(from, to) {
                l.counters.dropped += 1;
            }
        }
    }

    /// The live state of the link from `a` to `b`, if it has any, for changing.
    #[inline]
    fn find_mut(&mut self, a: NodeId, b: NodeId) -> Option<&mut Link> {
        let row = self.rows.get_mut(a.index())?;
        row.binary_search_by_key(&b, |l| l.to).ok().map(|i| &mut row[i])
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
        let row = &mut self.rows[from.index()];
        let mut link = match row.binary_search_by_key(&to, |l| l.to) {
            Ok(i) => Some(&mut row[i]),
            Err(i) => {
                let base = self.profiles.base(from, to);
                // A link needs live state to route only for its bandwidth queue.
                if self.detail || self.profiles.get(base).bandwidth.is_some() {
                    row.insert(i, Link::new(to, base));
                    Some(&mut row[i])
                } else {
                    None
                }
            }
        };
        let (p, down, factor) = match &link {
            Some(l) => (self.profiles.get(l.profile), l.down, l.latency_factor),
            None => (self.profiles.profile(from, to), false, 1.0),
        };
        count(&mut link, |c| {
            c.messages += 1;
            c.bytes += size as u64;
        });
        if blocked || down {
            let why = if down { DropReason::LinkDown } else { DropReason::Partition };
            count(&mut link, |c| c.dropped += 1);
            self.stats.drop(why);
            return Route::Drop(why);
        }
        let Some((wire, frags)) = p.framing(size) else {
            count(&mut link, |c| c.dropped += 1);
            self.stats.drop(DropReason::Mtu);
            return Route::Drop(DropReason::Mtu);
        };
        if frags > 1 {
            count(&mut link, |c| c.extra_fragments += (frags - 1) as u64);
        }
        self.stats.wire_bytes += wire as u64;
        if p.cost_per_gb > 0.0 {
            let money = wire as f64 / 1e9 * p.cost_per_gb;
            count(&mut link, |c| c.money += money);
            self.stats.money += money;
        }
        let sent_at = match link.as_deref_mut() {
            // A link without live state has no bandwidth limit: it sends at once.
            None => Ok(now),
            Some(l) => l.transmit(p, now, wire),
        };
        let Ok(sent_at) = sent_at else {
            count(&mut link, |c| c.dropped += 1);
            self.stats.drop(DropReason::QueueFull);
            return Route::Drop(DropReason::QueueFull);
        };
        // A fragmented message is lost if any of its fragments is.
        let loss =
            if frags > 1 && p.loss > 0.0 { 1.0 - libm::pow(1.0 - p.loss, frags as f64) } else { p.loss };
        if self.rng.chance(loss) {
            count(&mut link, |c| c.dropped += 1);
            self.stats.drop(DropReason::Loss);
            return Route::Drop(DropReason::Loss);
        }
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
    /// order of sender then receiver. In a network of more than [`LINK_DETAIL_NODES`] nodes,
    /// only links with live state keep counters (a bandwidth-limited profile, or a fault
    /// touched them): the others count in [`Network::stats`] alone.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;

    fn network(n: usize, profile: LinkProfile) -> Network {
        Network::new(n, RngStreams::new(7).stream("net"), LinkProfiles::uniform(n, profile))
    }

    /// Sends the same messages over two networks that differ only in size (a small one
    /// keeps every link, a large one only the links that need state): every route, every
    /// total is the same, and the large one keeps no state for its plain links.
    #[test]
    fn a_large_network_routes_alike_without_state_for_plain_links() {
        let lossy = LinkProfile { loss: 0.2, duplicate: 0.1, reorder: 0.1, ..LinkProfile::default() };
        let mut small = network(LINK_DETAIL_NODES, lossy.clone());
        let mut large = network(LINK_DETAIL_NODES + 1, lossy);
        assert!(small.keeps_every_link() && !large.keeps_every_link());
        for i in 0..2000u32 {
            let (a, b) = (NodeId(i % 7), NodeId((i * 13) % 11));
            let t = SimTime(u64::from(i) * 1000);
            assert_eq!(small.route(t, a, b, 100 + i % 50), large.route(t, a, b, 100 + i % 50), "message {i}");
        }
        assert_eq!(small.stats(), large.stats());
        assert!(!small.link_counters().is_empty());
        assert!(large.link_counters().is_empty(), "no counters for plain links");
        assert!(large.rows.iter().all(Vec::is_empty), "no state for plain links");
    }

    /// In a large network a link keeps state (and counters) when it needs it: a bandwidth
    /// queue, or a fault taking it down; its messages are then counted as in a small one.
    #[test]
    fn a_large_network_keeps_state_where_a_link_needs_it() {
        let n = LINK_DETAIL_NODES * 2;
        let mut net = network(n, LinkProfile::default());
        net.modify(NodeId(1), NodeId(2), 9, LinkMod::Down);
        assert_eq!(net.route(SimTime(0), NodeId(1), NodeId(2), 10), Route::Drop(DropReason::LinkDown));
        assert!(matches!(net.route(SimTime(0), NodeId(2), NodeId(1), 10), Route::Deliver { .. }));
        let counters = net.link_counters();
        assert_eq!(counters.len(), 1, "{counters:?}");
        assert_eq!((counters[0].0, counters[0].1), (NodeId(1), NodeId(2)));
        assert_eq!((counters[0].2.messages, counters[0].2.dropped), (1, 1));
        net.unmodify(9);
        assert!(matches!(net.route(SimTime(0), NodeId(1), NodeId(2), 10), Route::Deliver { .. }));

        let slow = LinkProfile { bandwidth: Some(1000), queue: 100, ..LinkProfile::default() };
        let mut net = network(n, slow);
        assert!(matches!(net.route(SimTime(0), NodeId(3), NodeId(4), 60), Route::Deliver { .. }));
        assert_eq!(net.route(SimTime(0), NodeId(3), NodeId(4), 60), Route::Drop(DropReason::QueueFull));
        assert_eq!(net.backlog(NodeId(3), NodeId(4), SimTime(0)), Some(60));
        assert_eq!(net.link_counters()[0].2.peak_queue_bytes, 60);
    }
}
