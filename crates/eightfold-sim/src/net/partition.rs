//! Fallacy 5, *topology doesn't change*: partitions.
//!
//! A partition is a set of active *cuts*. A cut either splits nodes into groups that cannot
//! reach each other (a full partition, both directions) or blocks one direction only (an
//! asymmetric partition, the kind that makes a node hear its leader but not be heard by it).
//! Several cuts can be active at once; a message is blocked if any cut blocks it.
//!
//! Each active cut is kept in a form whose check costs the same whatever the cluster's size
//! (issue 21): a full partition as a side label per node (a message is cut when its ends are
//! on different sides), a one-way cut as two membership flags per node, an irregular shape as
//! a sorted set of pairs. Memory is O(nodes) per cut, never O(nodes²); the check is one or
//! two loads per active cut (and there are rarely more than two).

use serde::{Deserialize, Serialize};

use crate::sim::NodeId;

/// Identifies one active cut, so it can be lifted on its own.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct CutId(pub u64);

/// One way of cutting the network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cut {
    /// Nodes in different groups cannot reach each other; nodes in no group are unaffected.
    Groups(Vec<Vec<NodeId>>),
    /// Messages from any `from` node to any `to` node are dropped; the reverse flows.
    OneWay {
        /// Blocked senders.
        from: Vec<NodeId>,
        /// Receivers that stop hearing them.
        to: Vec<NodeId>,
    },
    /// Exactly these directed pairs are blocked (ring and other irregular shapes).
    Pairs(Vec<(NodeId, NodeId)>),
}

impl Cut {
    /// Every (from, to) pair this cut blocks.
    pub fn blocked_pairs(&self) -> Vec<(NodeId, NodeId)> {
        let mut out = Vec::new();
        match self {
            Cut::Groups(groups) => {
                for (i, a) in groups.iter().enumerate() {
                    for (j, b) in groups.iter().enumerate() {
                        if i != j {
                            for &x in a {
                                for &y in b {
                                    out.push((x, y));
                                }
                            }
                        }
                    }
                }
            }
            Cut::OneWay { from, to } => {
                for &x in from {
                    for &y in to {
                        if x != y {
                            out.push((x, y));
                        }
                    }
                }
            }
            Cut::Pairs(p) => out.extend_from_slice(p),
        }
        out
    }
}

/// One active cut in the form the hot path checks.
#[derive(Clone, Debug)]
enum Compiled {
    /// Per node, the groups it is in (most nodes: none or one).
    Groups(Vec<Sides>),
    /// Per node, whether it is a blocked sender, and whether it is a receiver that stops
    /// hearing them.
    OneWay { from: Vec<bool>, to: Vec<bool> },
    /// The blocked pairs, sorted.
    Pairs(Vec<(NodeId, NodeId)>),
}

/// The groups of a full partition one node is in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Sides {
    /// In no group: the cut does not concern it.
    #[default]
    None,
    /// In exactly one group.
    One(u32),
    /// In several groups (a node named twice is cut from itself and from each group).
    Many(Vec<u32>),
}

impl Sides {
    fn add(&mut self, g: u32) {
        *self = match std::mem::take(self) {
            Sides::None => Sides::One(g),
            Sides::One(a) if a == g => Sides::One(a),
            Sides::One(a) => Sides::Many(vec![a, g]),
            Sides::Many(mut v) => {
                if !v.contains(&g) {
                    v.push(g);
                }
                Sides::Many(v)
            }
        };
    }
}

impl Compiled {
    fn of(cut: &Cut, n: usize) -> Compiled {
        let inside = |x: NodeId| x.index() < n;
        match cut {
            Cut::Groups(groups) => {
                let mut sides = vec![Sides::None; n];
                for (g, members) in groups.iter().enumerate() {
                    for &x in members.iter().filter(|x| inside(**x)) {
                        sides[x.index()].add(g as u32);
                    }
                }
                Compiled::Groups(sides)
            }
            Cut::OneWay { from, to } => {
                let mut f = vec![false; n];
                let mut t = vec![false; n];
                for &x in from.iter().filter(|x| inside(**x)) {
                    f[x.index()] = true;
                }
                for &y in to.iter().filter(|y| inside(**y)) {
                    t[y.index()] = true;
                }
                Compiled::OneWay { from: f, to: t }
            }
            Cut::Pairs(p) => {
                let mut v: Vec<(NodeId, NodeId)> =
                    p.iter().copied().filter(|(a, b)| inside(*a) && inside(*b)).collect();
                v.sort_unstable();
                v.dedup();
                Compiled::Pairs(v)
            }
        }
    }

    /// True if this cut blocks messages from `a` to `b` (both below the node count).
    #[inline]
    fn blocks(&self, a: NodeId, b: NodeId) -> bool {
        match self {
            Compiled::Groups(sides) => match (&sides[a.index()], &sides[b.index()]) {
                (Sides::None, _) | (_, Sides::None) => false,
                (Sides::One(x), Sides::One(y)) => x != y,
                // One of them is in several groups: some pair of different groups joins them.
                _ => true,
            },
            Compiled::OneWay { from, to } => a != b && from[a.index()] && to[b.index()],
            Compiled::Pairs(p) => p.binary_search(&(a, b)).is_ok(),
        }
    }

    /// True if this cut blocks any message at all.
    fn blocks_any(&self) -> bool {
        match self {
            Compiled::Groups(sides) => {
                let mut seen: Option<u32> = None;
                for s in sides {
                    match s {
                        Sides::None => {}
                        Sides::Many(_) => return true,
                        Sides::One(g) => match seen {
                            Some(h) if h != *g => return true,
                            _ => seen = Some(*g),
                        },
                    }
                }
                false
            }
            Compiled::OneWay { from, to } => {
                let senders = from.iter().filter(|f| **f).count();
                let receivers: Vec<usize> = (0..to.len()).filter(|&i| to[i]).collect();
                // Blocked unless the only sender is the only receiver (a node is never cut
                // from itself by a one-way cut).
                senders > 0
                    && !receivers.is_empty()
                    && !(senders == 1 && receivers.len() == 1 && from[receivers[0]])
            }
            Compiled::Pairs(p) => !p.is_empty(),
        }
    }
}

/// The active cuts, each in a form whose check does not grow with the cluster.
#[derive(Clone, Debug)]
pub struct Partitions {
    n: usize,
    next_id: u64,
    cuts: Vec<(CutId, Cut, Compiled)>,
    any: bool,
}

impl Partitions {
    /// No cuts among `n` nodes.
    pub fn new(n: usize) -> Self {
        Partitions { n, next_id: 0, cuts: Vec::new(), any: false }
    }

    /// True if messages from `from` to `to` are blocked.
    #[inline]
    pub fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        self.any
            && from.index() < self.n
            && to.index() < self.n
            && self.cuts.iter().any(|(_, _, c)| c.blocks(from, to))
    }

    /// Adds a cut; returns its id.
    pub fn add(&mut self, cut: Cut) -> CutId {
        let id = CutId(self.next_id);
        self.next_id += 1;
        let compiled = Compiled::of(&cut, self.n);
        self.cuts.push((id, cut, compiled));
        self.refresh();
        id
    }

    /// Lifts one cut (no effect if it was already lifted).
    pub fn remove(&mut self, id: CutId) {
        self.cuts.retain(|(c, _, _)| *c != id);
        self.refresh();
    }

    /// Lifts every cut.
    pub fn heal(&mut self) {
        self.cuts.clear();
        self.refresh();
    }

    /// The active cuts, oldest first.
    pub fn active(&self) -> impl Iterator<Item = &Cut> {
        self.cuts.iter().map(|(_, c, _)| c)
    }

    /// True if any cut is active.
    pub fn is_partitioned(&self) -> bool {
        self.any
    }

    fn refresh(&mut self) {
        // Cuts that block nothing (one group, a node cut one way from itself) are kept, so
        // they can be lifted by id, but do not switch the check on.
        self.any = self.cuts.iter().any(|(_, _, c)| c.blocks_any());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Vec<NodeId> {
        v.iter().map(|&i| NodeId(i)).collect()
    }

    #[test]
    fn groups_block_both_ways_and_spare_outsiders() {
        let mut p = Partitions::new(6);
        p.add(Cut::Groups(vec![ids(&[0, 1]), ids(&[2, 3, 4])]));
        assert!(p.blocks(NodeId(0), NodeId(2)));
        assert!(p.blocks(NodeId(4), NodeId(1)));
        assert!(!p.blocks(NodeId(0), NodeId(1)));
        assert!(!p.blocks(NodeId(2), NodeId(4)));
        // Node 5 (a client, say) is in no group: it reaches everyone.
        assert!(!p.blocks(NodeId(5), NodeId(0)));
        assert!(!p.blocks(NodeId(2), NodeId(5)));
        p.heal();
        assert!(!p.blocks(NodeId(0), NodeId(2)));
    }

    #[test]
    fn one_way_blocks_one_direction_and_cuts_lift_separately() {
        let mut p = Partitions::new(3);
        let a = p.add(Cut::OneWay { from: ids(&[0]), to: ids(&[1, 2]) });
        let b = p.add(Cut::Groups(vec![ids(&[1]), ids(&[2])]));
        assert!(p.blocks(NodeId(0), NodeId(1)));
        assert!(!p.blocks(NodeId(1), NodeId(0)));
        assert!(p.blocks(NodeId(1), NodeId(2)));
        p.remove(a);
        assert!(!p.blocks(NodeId(0), NodeId(1)));
        assert!(p.blocks(NodeId(2), NodeId(1)));
        p.remove(b);
        assert!(!p.is_partitioned());
    }

    /// The compiled check agrees with the cut's own list of blocked pairs on every pair, for
    /// every shape (a node named in two groups, a one-way cut naming a node on both ends,
    /// pairs out of range, cuts that block nothing).
    #[test]
    fn the_check_blocks_exactly_the_cuts_pairs() {
        let n = 7;
        let cuts = vec![
            Cut::Groups(vec![ids(&[0, 1]), ids(&[2, 3, 4])]),
            Cut::Groups(vec![ids(&[0, 1]), ids(&[1, 2])]),
            Cut::Groups(vec![ids(&[0, 1, 2])]),
            Cut::Groups(vec![ids(&[0]), ids(&[1]), ids(&[2]), ids(&[9])]),
            Cut::OneWay { from: ids(&[0, 1]), to: ids(&[1, 5]) },
            Cut::OneWay { from: ids(&[3]), to: ids(&[3]) },
            Cut::Pairs(vec![
                (NodeId(1), NodeId(2)),
                (NodeId(2), NodeId(3)),
                (NodeId(6), NodeId(0)),
                (NodeId(8), NodeId(1)),
            ]),
            Cut::Pairs(vec![]),
        ];
        for cut in cuts {
            let mut p = Partitions::new(n);
            p.add(cut.clone());
            let pairs = cut.blocked_pairs();
            let mut any = false;
            for a in 0..n as u32 {
                for b in 0..n as u32 {
                    let want = pairs.contains(&(NodeId(a), NodeId(b)));
                    any |= want;
                    assert_eq!(p.blocks(NodeId(a), NodeId(b)), want, "{cut:?}: {a}->{b}");
                }
            }
            assert_eq!(p.is_partitioned(), any, "{cut:?}");
        }
    }
}
