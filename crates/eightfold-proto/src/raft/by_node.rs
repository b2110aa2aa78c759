//! A leader's per-follower state, found by the follower's id in one step.
//!
//! Node ids are small dense integers (a server's place in the cluster), so the crate's
//! [`IndexTable`] finds a follower's progress without the tree search a `BTreeMap` made on
//! every acknowledgement: at 201 servers that search was a visible share of the leader's
//! work (issue 21). An id far beyond the others (only a forged configuration could name
//! one) goes to the table's side map, so a bogus id costs no memory. Iteration is in id
//! order, as the map's was, so every loop over followers sends in the same order as before.

use eightfold_sim::sim::NodeId;

use crate::index_table::IndexTable;

/// Values by node id, iterated in id order: an [`IndexTable`] keyed by the id's number.
#[derive(Clone, Debug)]
pub(super) struct ByNode<V>(IndexTable<V>);

impl<V> Default for ByNode<V> {
    fn default() -> Self {
        ByNode(IndexTable::default())
    }
}

impl<V> ByNode<V> {
    /// The value of `id`.
    pub fn get(&self, id: &NodeId) -> Option<&V> {
        self.0.get(id.0 as u64)
    }

    /// The value of `id`, to change.
    pub fn get_mut(&mut self, id: &NodeId) -> Option<&mut V> {
        self.0.get_mut(id.0 as u64)
    }

    /// True if `id` has a value.
    pub fn contains_key(&self, id: &NodeId) -> bool {
        self.get(id).is_some()
    }

    /// Sets the value of `id`.
    pub fn insert(&mut self, id: NodeId, v: V) {
        self.0.insert(id.0 as u64, v);
    }

    /// Keeps only the values for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&NodeId, &mut V) -> bool) {
        self.0.retain(|k, v| keep(&id(k), v));
    }

    /// The ids held, in order.
    pub fn keys(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.0.iter().map(|(k, _)| id(k))
    }

    /// The values held, in id order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.0.iter().map(|(_, v)| v)
    }

    /// (id, value) pairs in id order, values to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (NodeId, &mut V)> + '_ {
        self.0.iter_mut().map(|(k, v)| (id(k), v))
    }
}

/// The node id a key of the table stands for (keys are only ever made from ids).
fn id(k: u64) -> NodeId {
    NodeId(k as u32)
}

impl<V> FromIterator<(NodeId, V)> for ByNode<V> {
    fn from_iter<I: IntoIterator<Item = (NodeId, V)>>(iter: I) -> Self {
        let mut t = ByNode::default();
        for (id, v) in iter {
            t.insert(id, v);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The table answers as the `BTreeMap` it replaced, dense and sparse ids alike.
    #[test]
    fn behaves_as_an_ordered_map() {
        let mut t = ByNode::<u32>::default();
        let mut m = BTreeMap::<NodeId, u32>::new();
        for (n, id) in [3u32, 1, 7, 5000, 2, 1 << 30, 7, 4095, 4096, 4097].into_iter().enumerate() {
            t.insert(NodeId(id), n as u32);
            m.insert(NodeId(id), n as u32);
        }
        let same = |t: &ByNode<u32>, m: &BTreeMap<NodeId, u32>| {
            assert_eq!(
                t.keys().zip(t.values()).map(|(k, v)| (k, *v)).collect::<Vec<_>>(),
                m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>()
            );
            assert_eq!(t.keys().count(), m.len());
            for id in [0u32, 1, 3, 7, 8, 4095, 4096, 5000, 1 << 30, u32::MAX] {
                assert_eq!(t.get(&NodeId(id)), m.get(&NodeId(id)));
                assert_eq!(t.contains_key(&NodeId(id)), m.contains_key(&NodeId(id)));
            }
        };
        same(&t, &m);
        t.retain(|id, v| id.0 % 2 == 1 || *v > 5);
        m.retain(|id, v| id.0 % 2 == 1 || *v > 5);
        same(&t, &m);
        for (_, v) in t.iter_mut() {
            *v += 1;
        }
        for v in m.values_mut() {
            *v += 1;
        }
        same(&t, &m);
        *t.get_mut(&NodeId(4097)).unwrap() = 9;
        *m.get_mut(&NodeId(4097)).unwrap() = 9;
        same(&t, &m);
    }
}
