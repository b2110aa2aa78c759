//! A leader's per-follower state, found by the follower's id in one step.
//!
//! Node ids are small dense integers (a server's place in the cluster), so a vector
//! indexed by id finds a follower's progress without the tree search a `BTreeMap` made on
//! every acknowledgement: at 201 servers that search was a visible share of the leader's
//! work (issue 21). Ids beyond [`DENSE`] (only a forged configuration could name one) are
//! held in a side map, so a bogus id costs no memory. Iteration is in id order, as the
//! map's was, so every loop over followers sends in the same order as before.

use std::collections::BTreeMap;

use eightfold_sim::sim::NodeId;

/// Ids below this are held densely.
const DENSE: usize = 4096;

/// Values by node id, iterated in id order.
#[derive(Clone, Debug)]
pub(super) struct ByNode<V> {
    /// Values of ids `0..dense.len()`.
    dense: Vec<Option<V>>,
    /// Values of ids at or above [`DENSE`].
    sparse: BTreeMap<NodeId, V>,
}

impl<V> Default for ByNode<V> {
    fn default() -> Self {
        ByNode { dense: Vec::new(), sparse: BTreeMap::new() }
    }
}

impl<V> ByNode<V> {
    /// The value of `id`.
    pub fn get(&self, id: &NodeId) -> Option<&V> {
        match self.dense.get(id.index()) {
            Some(v) => v.as_ref(),
            None if id.index() >= DENSE => self.sparse.get(id),
            None => None,
        }
    }

    /// The value of `id`, to change.
    pub fn get_mut(&mut self, id: &NodeId) -> Option<&mut V> {
        match self.dense.get_mut(id.index()) {
            Some(v) => v.as_mut(),
            None if id.index() >= DENSE => self.sparse.get_mut(id),
            None => None,
        }
    }

    /// True if `id` has a value.
    pub fn contains_key(&self, id: &NodeId) -> bool {
        self.get(id).is_some()
    }

    /// Sets the value of `id`.
    pub fn insert(&mut self, id: NodeId, v: V) {
        let i = id.index();
        if i < DENSE {
            if self.dense.len() <= i {
                self.dense.resize_with(i + 1, || None);
            }
            self.dense[i] = Some(v);
        } else {
            self.sparse.insert(id, v);
        }
    }

    /// Keeps only the values for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&NodeId, &mut V) -> bool) {
        for (i, slot) in self.dense.iter_mut().enumerate() {
            if let Some(v) = slot
                && !keep(&NodeId(i as u32), v)
            {
                *slot = None;
            }
        }
        self.sparse.retain(|id, v| keep(id, v));
    }

    /// The ids held, in order.
    pub fn keys(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.iter().map(|(id, _)| id)
    }

    /// The values held, in id order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// (id, value) pairs in id order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &V)> + '_ {
        let dense = self.dense.iter().enumerate();
        dense
            .filter_map(|(i, v)| v.as_ref().map(|v| (NodeId(i as u32), v)))
            .chain(self.sparse.iter().map(|(&id, v)| (id, v)))
    }

    /// (id, value) pairs in id order, values to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (NodeId, &mut V)> + '_ {
        let dense = self.dense.iter_mut().enumerate();
        dense
            .filter_map(|(i, v)| v.as_mut().map(|v| (NodeId(i as u32), v)))
            .chain(self.sparse.iter_mut().map(|(&id, v)| (id, v)))
    }
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
                t.iter().map(|(k, v)| (k, *v)).collect::<Vec<_>>(),
                m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>()
            );
            assert_eq!(t.iter().count(), m.len());
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
