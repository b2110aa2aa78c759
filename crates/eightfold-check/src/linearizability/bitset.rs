//! The set of operations the search has linearized, with a compact canonical encoding for
//! the memo table.
//!
//! Operations with a return time are numbered in call order into the *head* region;
//! open-ended ones (never returned) go to a separate *tail* region. The search linearizes
//! roughly in time order, so the head is nearly always "all of the first `k` words, then a
//! few words of frontier, then nothing": the encoding stores only the count of leading
//! all-ones words, the frontier words and the tail. For a partition of thousands of
//! operations that is a few words instead of dozens per memo entry. Alongside the bits the
//! set keeps a Zobrist hash (the XOR of a fixed pseudo-random key per member), updated in
//! O(1) on every insert and remove.

/// A set of bit positions `0..head_bits` (head) and `64·head_words..` (tail).
#[derive(Clone, Debug)]
pub(super) struct Bitset {
    words: Vec<u64>,
    hash: u64,
    /// Words in the head region; the tail follows.
    head_words: usize,
    /// The positions the last head word can hold.
    last_mask: u64,
    /// Head words `..full` are all ones.
    full: usize,
    /// Head words `last..head_words` are all zero.
    last: usize,
}

impl Bitset {
    /// An empty set of `head` head positions and `tail` tail positions.
    pub(super) fn new(head: usize, tail: usize) -> Self {
        let head_words = head.div_ceil(64);
        let last_mask = if head % 64 == 0 { !0 } else { (1 << (head % 64)) - 1 };
        Bitset {
            words: vec![0; head_words + tail.div_ceil(64)],
            hash: 0,
            head_words,
            last_mask,
            full: 0,
            last: 0,
        }
    }

    /// True if head word `w` holds every position it can.
    fn is_full(&self, w: usize) -> bool {
        let mask = if w + 1 == self.head_words { self.last_mask } else { !0 };
        self.words[w] == mask
    }

    /// The position of tail member `j`.
    pub(super) fn tail_position(&self, j: usize) -> u32 {
        (64 * self.head_words + j) as u32
    }

    /// Adds `i` (which must not be present).
    pub(super) fn insert(&mut self, i: u32) {
        let w = (i / 64) as usize;
        self.words[w] |= 1 << (i % 64);
        self.hash ^= member_key(i);
        if w < self.head_words {
            self.last = self.last.max(w + 1);
            while self.full < self.head_words && self.is_full(self.full) {
                self.full += 1;
            }
        }
    }

    /// True if `i` is present.
    pub(super) fn contains(&self, i: u32) -> bool {
        self.words[(i / 64) as usize] & (1 << (i % 64)) != 0
    }

    /// Removes `i` (which must be present).
    pub(super) fn remove(&mut self, i: u32) {
        let w = (i / 64) as usize;
        self.words[w] &= !(1 << (i % 64));
        self.hash ^= member_key(i);
        if w < self.head_words {
            self.full = self.full.min(w);
            while self.last > self.full && self.words[self.last - 1] == 0 {
                self.last -= 1;
            }
        }
    }

    /// Writes the canonical encoding (equal sets, equal encodings) into `out`.
    pub(super) fn encode(&self, out: &mut Vec<u64>) {
        out.clear();
        out.push(self.full as u64);
        out.extend_from_slice(&self.words[self.full..self.last.max(self.full)]);
        out.extend_from_slice(&self.words[self.head_words..]);
    }

    /// The hash of the current contents.
    pub(super) fn hash(&self) -> u64 {
        self.hash
    }
}

/// A fixed pseudo-random key for member `i`.
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

    fn encoded(b: &Bitset) -> Vec<u64> {
        let mut out = Vec::new();
        b.encode(&mut out);
        out
    }

    #[test]
    fn equal_sets_encode_and_hash_equally() {
        let mut a = Bitset::new(200, 10);
        let mut b = Bitset::new(200, 10);
        let t = a.tail_position(3);
        for i in [3, 199, t] {
            a.insert(i);
        }
        for i in [t, 199, 7, 3] {
            b.insert(i);
        }
        b.remove(7);
        assert_eq!(encoded(&a), encoded(&b));
        assert_eq!(a.hash(), b.hash());
        a.remove(3);
        assert_ne!(encoded(&a), encoded(&b));
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn a_linearized_prefix_encodes_compactly() {
        let mut a = Bitset::new(1000, 0);
        for i in 0..900 {
            a.insert(i);
        }
        a.insert(905);
        // 14 full words, then the frontier word holding 896..=899 and 905, then nothing.
        assert_eq!(encoded(&a), vec![14, 0b10_0000_1111]);
        assert_eq!(a.hash(), {
            let mut b = Bitset::new(1000, 0);
            (0..900).chain([905]).for_each(|i| b.insert(i));
            b.hash()
        });
        for i in (0..900).rev() {
            a.remove(i);
        }
        a.remove(905);
        assert_eq!(encoded(&a), vec![0]);
        for i in 0..1000 {
            a.insert(i);
        }
        assert_eq!(encoded(&a), vec![16]);
    }
}
