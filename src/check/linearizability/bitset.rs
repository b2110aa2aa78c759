//! A fixed-size set of operation indices: which operations the search has linearized.
//! Alongside the bits it keeps a Zobrist hash (the XOR of a fixed pseudo-random key per
//! member), updated in O(1) on every insert and remove, so memo lookups never rehash the
//! whole set.

/// A set of small integers with an incrementally maintained hash.
#[derive(Clone, Debug)]
pub(super) struct Bitset {
    words: Vec<u64>,
    hash: u64,
}

impl Bitset {
    /// An empty set able to hold `0..n`.
    pub(super) fn new(n: usize) -> Self {
        Bitset {
            words: vec![0; n.div_ceil(64).max(1)],
            hash: 0,
        }
    }

    /// Adds `i` (which must not be present).
    pub(super) fn insert(&mut self, i: u32) {
        self.words[(i / 64) as usize] |= 1 << (i % 64);
        self.hash ^= member_key(i);
    }

    /// Removes `i` (which must be present).
    pub(super) fn remove(&mut self, i: u32) {
        self.words[(i / 64) as usize] &= !(1 << (i % 64));
        self.hash ^= member_key(i);
    }

    /// The raw words, for storing and comparing.
    pub(super) fn words(&self) -> &[u64] {
        &self.words
    }

    /// The hash of the current contents.
    pub(super) fn hash(&self) -> u64 {
        self.hash
    }
}

/// A fixed pseudo-random key for member `i` (SplitMix64's finaliser).
fn member_key(i: u32) -> u64 {
    mix(u64::from(i).wrapping_add(0x9E37_79B9_7F4A_7C15))
}

/// A strong 64-bit mixer (SplitMix64's finaliser).
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_only_on_contents() {
        let mut a = Bitset::new(130);
        let mut b = Bitset::new(130);
        a.insert(3);
        a.insert(129);
        b.insert(129);
        b.insert(7);
        b.insert(3);
        b.remove(7);
        assert_eq!(a.words(), b.words());
        assert_eq!(a.hash(), b.hash());
        a.remove(3);
        assert_ne!(a.hash(), b.hash());
    }
}
