//! The search's memo table: every (linearized set, model state) pair it has reached.
//!
//! Reaching the same set of linearized operations in the same model state a second time
//! cannot lead anywhere new, so the search skips it (Lowe 2017, "Testing for
//! linearizability", §4: the cache that makes the Wing & Gong search practical).
//!
//! Entries live in flat arenas (one `Vec` of encoded sets, one of states), chained per
//! hash bucket, so a lookup that hits clones nothing.
//!
//! The table accounts its own size ([`Memo::bytes`]): its arrays by capacity, plus the heap
//! bytes each recorded state holds as the model reports them ([`Model::heap_bytes`]
//! (super::Model::heap_bytes): an append-only value is a string that grows with the
//! history, and a table of such states is mostly strings). The figure depends only on what
//! was inserted, never on the allocator or the machine, so a memory budget compared with it
//! ends a search at the same step everywhere.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::bitset::{Bitset, mix};

const NONE: u32 = u32::MAX;

/// The set of visited (linearized set, state) configurations.
pub(super) struct Memo<S> {
    /// Combined hash → first entry of its chain.
    heads: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    /// Next entry in the same chain.
    next: Vec<u32>,
    /// Where each entry's encoded set starts in `sets` (it ends where the next starts).
    starts: Vec<usize>,
    /// The encoded sets ([`Bitset::encode`]).
    sets: Vec<u64>,
    states: Vec<S>,
    /// Heap bytes the recorded states hold, as reported when they were inserted.
    heap: usize,
    /// Scratch space for encoding.
    scratch: Vec<u64>,
}

impl<S: Clone + Eq + Hash> Memo<S> {
    /// An empty table.
    pub(super) fn new() -> Self {
        Memo {
            heads: HashMap::default(),
            next: Vec::new(),
            starts: Vec::new(),
            sets: Vec::new(),
            states: Vec::new(),
            heap: 0,
            scratch: Vec::new(),
        }
    }

    /// Records (`set`, `state`) and returns true, or returns false if it was already there.
    /// `heap` is what `state` holds on the heap (counted once per entry, even when entries
    /// share one value: an overestimate, never an underestimate).
    pub(super) fn insert(&mut self, set: &Bitset, state: &S, heap: usize) -> bool {
        let key = mix(set.hash() ^ hash_state(state));
        set.encode(&mut self.scratch);
        let head = self.heads.get(&key).copied().unwrap_or(NONE);
        let mut at = head;
        while at != NONE {
            let i = at as usize;
            let end = self.starts.get(i + 1).copied().unwrap_or(self.sets.len());
            if self.sets[self.starts[i]..end] == self.scratch[..] && self.states[i] == *state {
                return false;
            }
            at = self.next[i];
        }
        let index = self.states.len() as u32;
        self.starts.push(self.sets.len());
        self.sets.extend_from_slice(&self.scratch);
        self.states.push(state.clone());
        self.heap += heap;
        self.next.push(head);
        self.heads.insert(key, index);
        true
    }

    /// How many configurations are recorded.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.states.len()
    }

    /// The bytes the table accounts for: its arrays (by capacity) and the heap data of the
    /// states recorded.
    pub(super) fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.heap
            + self.sets.capacity() * size_of::<u64>()
            + self.starts.capacity() * size_of::<usize>()
            + self.next.capacity() * size_of::<u32>()
            + self.states.capacity() * size_of::<S>()
            + self.heads.capacity() * (size_of::<(u64, u32)>() + 1)
    }
}

/// Hashes a state with a fast, fixed-key hasher (the result never depends on the process).
fn hash_state<S: Hash>(state: &S) -> u64 {
    let mut h = FxHasher::default();
    state.hash(&mut h);
    h.finish()
}

/// The multiply-rotate hasher of rustc ("FxHash"): fast on short keys, deterministic.
#[derive(Default)]
struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_pairs() {
        let mut m: Memo<Option<std::sync::Arc<str>>> = Memo::new();
        let mut set = Bitset::new(10, 0);
        set.insert(2);
        assert!(m.insert(&set, &Some("a".into()), 1));
        assert!(!m.insert(&set, &Some("a".into()), 1));
        assert!(m.insert(&set, &Some("b".into()), 1));
        assert!(m.insert(&set, &None, 0));
        set.insert(3);
        assert!(m.insert(&set, &Some("a".into()), 1));
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn accounts_the_heap_of_its_states() {
        let mut m: Memo<Option<std::sync::Arc<str>>> = Memo::new();
        let mut set = Bitset::new(10, 0);
        let empty = m.bytes();
        assert!(m.insert(&set, &Some("x".repeat(10_000).into()), 10_000));
        assert!(m.bytes() >= empty + 10_000);
        // A repeat is not recorded, so not counted.
        let before = m.bytes();
        assert!(!m.insert(&set, &Some("x".repeat(10_000).into()), 10_000));
        assert_eq!(m.bytes(), before);
        set.insert(1);
        assert!(m.insert(&set, &None, 0));
        assert!(m.bytes() < before + 1_000);
    }
}
