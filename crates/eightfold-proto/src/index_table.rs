//! Values by a small, nearly dense integer: a log index (the invariant checker's record
//! of what was committed, applied and appended at each index) or a node id (a Raft
//! leader's progress per follower).
//!
//! Such keys come nearly dense from the first one up, so a vector offset by its first key
//! finds an entry with one subtraction, where a `BTreeMap` searched a tree of every key for
//! each observation or acknowledgement (issue 21). An index far beyond the dense end (a
//! protocol that reports sparse indices) goes to a side map instead, so memory stays
//! proportional to the indices actually seen; the dense part absorbs such an index once it
//! grows up to it.

use std::collections::BTreeMap;

/// How far beyond the dense end an index may land and still extend the vector.
const REACH: u64 = 1 << 16;

/// Values by index: dense from `base` on, sparse beyond the dense end's reach.
#[derive(Clone, Debug)]
pub(crate) struct IndexTable<V> {
    /// The index of `dense[0]`.
    base: u64,
    /// Values of `base..base + dense.len()`; `None` where nothing is held.
    dense: Vec<Option<V>>,
    /// Values of indices at or beyond the dense end, held sparsely.
    far: BTreeMap<u64, V>,
}

impl<V> Default for IndexTable<V> {
    fn default() -> Self {
        IndexTable { base: 0, dense: Vec::new(), far: BTreeMap::new() }
    }
}

impl<V> IndexTable<V> {
    /// The end of the dense part (exclusive).
    fn end(&self) -> u64 {
        self.base + self.dense.len() as u64
    }

    /// The value at index `i`.
    pub(crate) fn get(&self, i: u64) -> Option<&V> {
        if i < self.base {
            None
        } else if i < self.end() {
            self.dense[(i - self.base) as usize].as_ref()
        } else {
            self.far.get(&i)
        }
    }

    /// The value at index `i`, inserting `make()` there first if nothing is held.
    pub(crate) fn get_or_insert_with(&mut self, i: u64, make: impl FnOnce() -> V) -> &mut V {
        if i < self.base {
            // Below the first index (the checker never asks below what it pruned): the
            // dense part starts earlier.
            let n = (self.base - i) as usize;
            self.dense.splice(0..0, std::iter::repeat_with(|| None).take(n));
            self.base = i;
        }
        if i >= self.end() + REACH {
            return self.far.entry(i).or_insert_with(make);
        }
        if i >= self.end() {
            self.grow_to(i + 1);
        }
        self.dense[(i - self.base) as usize].get_or_insert_with(make)
    }

    /// Extends the dense part to end at `end`, taking in what the far map held below it.
    fn grow_to(&mut self, end: u64) {
        self.dense.resize_with((end - self.base) as usize, || None);
        while let Some(e) = self.far.first_entry() {
            if *e.key() >= end {
                break;
            }
            let (k, v) = e.remove_entry();
            self.dense[(k - self.base) as usize] = Some(v);
        }
    }

    /// Forgets every index below `low`.
    pub(crate) fn keep_from(&mut self, low: u64) {
        if low <= self.base {
            return;
        }
        let cut = ((low - self.base) as usize).min(self.dense.len());
        self.dense.drain(..cut);
        self.base = low;
        self.far = self.far.split_off(&low);
    }

    /// The value at index `i`, to change.
    pub(crate) fn get_mut(&mut self, i: u64) -> Option<&mut V> {
        if i < self.base {
            None
        } else if i < self.end() {
            self.dense[(i - self.base) as usize].as_mut()
        } else {
            self.far.get_mut(&i)
        }
    }

    /// Sets the value at index `i`.
    pub(crate) fn insert(&mut self, i: u64, v: V) {
        let mut v = Some(v);
        let held = self.get_or_insert_with(i, || v.take().expect("taken once"));
        if let Some(v) = v {
            *held = v;
        }
    }

    /// Keeps only the values for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(u64, &mut V) -> bool) {
        let base = self.base;
        for (k, slot) in self.dense.iter_mut().enumerate() {
            if slot.as_mut().is_some_and(|v| !keep(base + k as u64, v)) {
                *slot = None;
            }
        }
        self.far.retain(|&k, v| keep(k, v));
    }

    /// The held values in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        let base = self.base;
        let dense = self.dense.iter().enumerate();
        dense
            .filter_map(move |(k, v)| v.as_ref().map(|v| (base + k as u64, v)))
            .chain(self.far.iter().map(|(&k, v)| (k, v)))
    }

    /// The held values in index order, to change.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut V)> {
        let base = self.base;
        let dense = self.dense.iter_mut().enumerate();
        dense
            .filter_map(move |(k, v)| v.as_mut().map(|v| (base + k as u64, v)))
            .chain(self.far.iter_mut().map(|(&k, v)| (k, v)))
    }

    /// The held values from the highest index down.
    pub(crate) fn iter_rev(&self) -> impl Iterator<Item = (u64, &V)> {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(k, v)| v.as_ref().map(|v| (self.base + k as u64, v)));
        self.far.iter().rev().map(|(&k, v)| (k, v)).chain(dense)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table answers as a `BTreeMap` does, over dense, sparse and pruned indices.
    #[test]
    fn behaves_as_an_ordered_map() {
        let mut t = IndexTable::<u64>::default();
        let mut m = BTreeMap::<u64, u64>::new();
        let keys = [1, 2, 3, 5, 4, 200_000, 199_999, 7, 9, 1 << 40, 70_000, 130_000, 140_000, 2];
        for (n, &k) in keys.iter().enumerate() {
            let v = *t.get_or_insert_with(k, || n as u64);
            let w = *m.entry(k).or_insert(n as u64);
            assert_eq!(v, w, "key {k}");
        }
        for k in 0..10 {
            assert_eq!(t.get(k), m.get(&k));
        }
        for &k in &keys {
            assert_eq!(t.get(k), m.get(&k));
        }
        let rev: Vec<_> = t.iter_rev().map(|(k, &v)| (k, v)).collect();
        let want: Vec<_> = m.iter().rev().map(|(&k, &v)| (k, v)).collect();
        assert_eq!(rev, want);
        for low in [3, 8, 100, 150_000] {
            t.keep_from(low);
            m = m.split_off(&low);
            let rev: Vec<_> = t.iter_rev().map(|(k, &v)| (k, v)).collect();
            let want: Vec<_> = m.iter().rev().map(|(&k, &v)| (k, v)).collect();
            assert_eq!(rev, want, "after keeping from {low}");
            assert_eq!(t.get(low - 1), None);
        }
        *t.get_or_insert_with(150_001, || 5) += 1;
        assert_eq!(t.get(150_001), Some(&6));
        *t.get_or_insert_with(149_990, || 8) += 1;
        assert_eq!(t.get(149_990), Some(&9));
        assert_eq!(t.iter_rev().last().map(|(k, _)| k), Some(149_990));
        // Setting, changing and dropping values, in order, as the map does.
        let mut m: BTreeMap<u64, u64> = t.iter().map(|(k, &v)| (k, v)).collect();
        for (k, v) in [(149_995, 1), (150_001, 2), (1 << 41, 3)] {
            t.insert(k, v);
            m.insert(k, v);
        }
        *t.get_mut(1 << 41).unwrap() += 10;
        *m.get_mut(&(1 << 41)).unwrap() += 10;
        assert_eq!(t.get_mut(7), None);
        t.retain(|k, v| k % 2 == 1 || *v > 5);
        m.retain(|k, v| k % 2 == 1 || *v > 5);
        for (_, v) in t.iter_mut() {
            *v += 1;
        }
        m.values_mut().for_each(|v| *v += 1);
        assert_eq!(t.iter().map(|(k, &v)| (k, v)).collect::<Vec<_>>(), m.into_iter().collect::<Vec<_>>());
    }
}
