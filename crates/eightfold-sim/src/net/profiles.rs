//! The configured profile of every directed link, without a table of every pair.
//!
//! A scenario gives a default profile, profiles between zones, and overrides for single
//! links. So most links share one of a handful of profiles: the table keeps each distinct
//! profile once, a zone class per node (which zone it is in, if any), the profile of each
//! pair of classes, and the overridden pairs. A link's profile is found in O(1) (O(log k)
//! for the k overridden links), and memory is O(nodes + zones² + overrides) rather than
//! O(nodes²): a 1000-node cluster no longer allocates a million profiles (issue 21).

use std::collections::BTreeMap;

use super::link::LinkProfile;
use crate::sim::NodeId;

/// Which profile (an index into [`LinkProfiles::get`]) each directed link has.
#[derive(Clone, Debug)]
pub struct LinkProfiles {
    /// The distinct profiles; index 0 is the default.
    profiles: Vec<LinkProfile>,
    /// Each node's class (0: no zone; zone `z` is class `z + 1`).
    class_of: Vec<u32>,
    /// Number of classes.
    classes: usize,
    /// The profile between two different nodes of classes `a` and `b`: `table[a * classes + b]`.
    table: Vec<u32>,
    /// Links whose profile was set one by one, with it.
    pairs: BTreeMap<(NodeId, NodeId), u32>,
}

impl LinkProfiles {
    /// Every link among `n` nodes with `profile`.
    pub fn uniform(n: usize, profile: LinkProfile) -> Self {
        LinkProfiles {
            profiles: vec![profile],
            class_of: vec![0; n],
            classes: 1,
            table: vec![0],
            pairs: BTreeMap::new(),
        }
    }

    /// Every link among `n` nodes with the profile `profile(from, to)` gives it: for small
    /// networks built by hand (tests, benchmarks). It asks about every pair, so a scenario's
    /// network is built from zones and overrides instead.
    pub fn from_fn(n: usize, mut profile: impl FnMut(NodeId, NodeId) -> LinkProfile) -> Self {
        let mut t = LinkProfiles::uniform(n, LinkProfile::default());
        for a in (0..n as u32).map(NodeId) {
            for b in (0..n as u32).map(NodeId) {
                let p = profile(a, b);
                if p != *t.profile(a, b) {
                    t.change_link(a, b, |_| p);
                }
            }
        }
        t
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.class_of.len()
    }

    /// The profile at `index`.
    #[inline]
    pub fn get(&self, index: u32) -> &LinkProfile {
        &self.profiles[index as usize]
    }

    /// The index of `profile`, added if no equal profile is kept yet.
    pub fn intern(&mut self, profile: LinkProfile) -> u32 {
        match self.profiles.iter().position(|p| *p == profile) {
            Some(i) => i as u32,
            None => {
                self.profiles.push(profile);
                (self.profiles.len() - 1) as u32
            }
        }
    }

    /// Puts the nodes into zone classes: `zone_of[node]` is its zone, if any, among `zones`.
    /// Every pair of classes starts with the default profile.
    pub fn with_zones(mut self, zone_of: &[Option<usize>], zones: usize) -> Self {
        self.classes = zones + 1;
        self.table = vec![0; self.classes * self.classes];
        for (node, z) in zone_of.iter().enumerate().take(self.class_of.len()) {
            self.class_of[node] = z.map_or(0, |z| z as u32 + 1);
        }
        self
    }

    /// Changes the profile of every link from a node of zone `from` to a node of zone `to`
    /// (two different nodes) with `change`.
    pub fn change_zone_pair(
        &mut self,
        from: usize,
        to: usize,
        change: impl FnOnce(&LinkProfile) -> LinkProfile,
    ) {
        let i = (from + 1) * self.classes + (to + 1);
        let p = change(self.get(self.table[i]));
        self.table[i] = self.intern(p);
    }

    /// Changes the profile of the one link from `a` to `b` with `change`.
    pub fn change_link(&mut self, a: NodeId, b: NodeId, change: impl FnOnce(&LinkProfile) -> LinkProfile) {
        let p = change(self.get(self.base(a, b)));
        let i = self.intern(p);
        self.pairs.insert((a, b), i);
    }

    /// The index of the configured profile of the link from `a` to `b`.
    #[inline]
    pub fn base(&self, a: NodeId, b: NodeId) -> u32 {
        if !self.pairs.is_empty()
            && let Some(&i) = self.pairs.get(&(a, b))
        {
            return i;
        }
        if a == b || self.classes == 1 {
            return 0;
        }
        let (ca, cb) = (self.class_of[a.index()] as usize, self.class_of[b.index()] as usize);
        self.table[ca * self.classes + cb]
    }

    /// The configured profile of the link from `a` to `b`.
    pub fn profile(&self, a: NodeId, b: NodeId) -> &LinkProfile {
        self.get(self.base(a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Latency;

    fn lat(ms: u64) -> LinkProfile {
        LinkProfile { latency: Latency::Constant(ms * 1_000_000), ..LinkProfile::default() }
    }

    /// Zones and single links resolve as a full table would: zone profiles between
    /// different nodes only, a link override on top of its zone profile, distinct
    /// profiles kept once.
    #[test]
    fn links_resolve_by_zone_then_override() {
        let zone_of = [Some(0), Some(0), Some(1), None];
        let mut t = LinkProfiles::uniform(4, lat(1)).with_zones(&zone_of, 2);
        t.change_zone_pair(0, 1, |_| lat(50));
        t.change_zone_pair(1, 0, |_| lat(50));
        t.change_link(NodeId(0), NodeId(2), |p| LinkProfile { loss: 0.5, ..p.clone() });
        let ms =
            |a: u32, b: u32| t.profile(NodeId(a), NodeId(b)).latency.quantile(0.5).as_nanos() / 1_000_000;
        assert_eq!(ms(0, 1), 1, "inside a zone: the default");
        assert_eq!(ms(1, 2), 50);
        assert_eq!(ms(2, 1), 50);
        assert_eq!(ms(0, 3), 1, "a node in no zone");
        assert_eq!(ms(0, 2), 50, "the override keeps the zone's latency");
        assert_eq!(t.profile(NodeId(0), NodeId(2)).loss, 0.5);
        assert_eq!(t.profile(NodeId(1), NodeId(2)).loss, 0.0);
        assert_eq!(t.base(NodeId(2), NodeId(2)), 0, "a node to itself: the default");
        assert_eq!(t.profiles.len(), 3, "default, 50 ms, 50 ms with loss");
    }
}
