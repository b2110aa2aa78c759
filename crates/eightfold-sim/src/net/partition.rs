//! Fallacy 5, *topology doesn't change*: partitions.
//!
//! A partition is a set of active *cuts*. A cut either splits nodes into groups that cannot
//! reach each other (a full partition, both directions) or blocks one direction only (an
//! asymmetric partition, the kind that makes a node hear its leader but not be heard by it).
//! Several cuts can be active at once; a message is blocked if any cut blocks it. The union
//! is kept as an `n × n` matrix so the check on the hot path is one load.

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

/// The active cuts and the matrix of blocked directed pairs.
#[derive(Clone, Debug)]
pub struct Partitions {
    n: usize,
    next_id: u64,
    cuts: Vec<(CutId, Cut)>,
    blocked: Vec<bool>,
    any: bool,
}

impl Partitions {
    /// No cuts among `n` nodes.
    pub fn new(n: usize) -> Self {
        Partitions { n, next_id: 0, cuts: Vec::new(), blocked: vec![false; n * n], any: false }
    }

    /// True if messages from `from` to `to` are blocked.
    #[inline]
    pub fn blocks(&self, from: NodeId, to: NodeId) -> bool {
        self.any && self.blocked[from.index() * self.n + to.index()]
    }

    /// Adds a cut; returns its id.
    pub fn add(&mut self, cut: Cut) -> CutId {
        let id = CutId(self.next_id);
        self.next_id += 1;
        self.cuts.push((id, cut));
        self.rebuild();
        id
    }

    /// Lifts one cut (no effect if it was already lifted).
    pub fn remove(&mut self, id: CutId) {
        self.cuts.retain(|(c, _)| *c != id);
        self.rebuild();
    }

    /// Lifts every cut.
    pub fn heal(&mut self) {
        self.cuts.clear();
        self.rebuild();
    }

    /// The active cuts, oldest first.
    pub fn active(&self) -> impl Iterator<Item = &Cut> {
        self.cuts.iter().map(|(_, c)| c)
    }

    /// True if any cut is active.
    pub fn is_partitioned(&self) -> bool {
        self.any
    }

    fn rebuild(&mut self) {
        self.blocked.iter_mut().for_each(|b| *b = false);
        for (_, cut) in &self.cuts {
            for (a, b) in cut.blocked_pairs() {
                if a.index() < self.n && b.index() < self.n {
                    self.blocked[a.index() * self.n + b.index()] = true;
                }
            }
        }
        self.any = self.blocked.iter().any(|&b| b);
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
}
