//! Seed ranges (`--seeds 1..10000`) and shard specifications (`--shard 3/8`).
//!
//! A range `A..B` is **inclusive at both ends**: `1..10000` is ten thousand seeds, the way
//! people say "seeds 1 to 10000". `A..=B` means the same and a lone `N` is the single seed
//! `N`. A range may hold at most [`MAX_SEEDS`] seeds.
//!
//! Shards are **contiguous**: shard `K/N` (1-based) is the K-th of N consecutive slices of
//! the range, the sizes differing by at most one (the first `len % N` slices get the extra
//! seed). Every shard is therefore itself a plain seed range, so `--seeds 1..100 --shard 2/4`
//! runs exactly the seeds of `--seeds 26..50`; merging the N outputs gives back the whole
//! range. Seeds are independent draws, so contiguous slices cost the same on average.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The most seeds one sweep accepts (a sanity cap: a million runs of a ten-second
/// scenario is already about a day of one core).
pub const MAX_SEEDS: u64 = 1_000_000;

/// Why a seed range or shard could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SeedsError {
    /// Not of the form `A..B`, `A..=B` or `N`.
    #[error("--seeds: expected a range like \"1..1000\" (inclusive) or a single seed, found {0:?}")]
    Syntax(String),
    /// The range runs backwards.
    #[error("--seeds: the range {first}..{last} is empty (the first seed is after the last)")]
    Reversed {
        /// First seed given.
        first: u64,
        /// Last seed given.
        last: u64,
    },
    /// More seeds than [`MAX_SEEDS`].
    #[error(
        "--seeds: {count} seeds is more than the limit of {MAX_SEEDS}; split the range into several sweeps"
    )]
    TooMany {
        /// How many seeds the range holds.
        count: u128,
    },
    /// Not of the form `K/N`.
    #[error("--shard: expected K/N such as \"2/8\", found {0:?}")]
    ShardSyntax(String),
    /// K outside 1..=N, or N zero.
    #[error("--shard: the shard index must be between 1 and the shard count, found {index}/{count}")]
    ShardIndex {
        /// K.
        index: u64,
        /// N.
        count: u64,
    },
    /// More shards than seeds, so some shard would be empty.
    #[error("--shard: {count} shards of {seeds} seeds would leave some shards empty")]
    ShardTooSmall {
        /// N.
        count: u64,
        /// Seeds in the range.
        seeds: u64,
    },
}

/// An inclusive range of seeds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeedRange {
    /// First seed.
    pub first: u64,
    /// Last seed (inclusive).
    pub last: u64,
}

impl SeedRange {
    /// The range `first..=last`, or an error if it is empty or holds over [`MAX_SEEDS`] seeds.
    pub fn new(first: u64, last: u64) -> Result<SeedRange, SeedsError> {
        if last < first {
            return Err(SeedsError::Reversed { first, last });
        }
        let count = last as u128 - first as u128 + 1;
        if count > MAX_SEEDS as u128 {
            return Err(SeedsError::TooMany { count });
        }
        Ok(SeedRange { first, last })
    }

    /// Number of seeds (at least one).
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a range holds at least one seed. (Here for clippy's `len` rule.)
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether `seed` is in the range.
    pub fn contains(&self, seed: u64) -> bool {
        (self.first..=self.last).contains(&seed)
    }

    /// The seeds, in order.
    pub fn iter(&self) -> std::ops::RangeInclusive<u64> {
        self.first..=self.last
    }

    /// The slice of this range that shard `shard` runs.
    pub fn shard(&self, shard: Shard) -> Result<SeedRange, SeedsError> {
        let len = self.len();
        if shard.count > len {
            return Err(SeedsError::ShardTooSmall { count: shard.count, seeds: len });
        }
        let k = shard.index - 1;
        let (base, extra) = (len / shard.count, len % shard.count);
        let first = self.first + k * base + k.min(extra);
        let size = base + u64::from(k < extra);
        Ok(SeedRange { first, last: first + size - 1 })
    }

    /// Whether two ranges share a seed.
    pub fn overlaps(&self, other: &SeedRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.first, self.last)
    }
}

impl FromStr for SeedRange {
    type Err = SeedsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let num = |t: &str| t.trim().parse::<u64>().map_err(|_| SeedsError::Syntax(s.to_string()));
        match s.split_once("..") {
            None => {
                let n = num(s)?;
                SeedRange::new(n, n)
            }
            Some((a, b)) => {
                let b = b.strip_prefix('=').unwrap_or(b);
                SeedRange::new(num(a)?, num(b)?)
            }
        }
    }
}

/// One of N shards of a seed range (`index` is 1-based).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// K, from 1 to `count`.
    pub index: u64,
    /// N, the number of shards.
    pub count: u64,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = SeedsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SeedsError::ShardSyntax(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index = k.trim().parse::<u64>().map_err(|_| bad())?;
        let count = n.trim().parse::<u64>().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(SeedsError::ShardIndex { index, count });
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Result<SeedRange, SeedsError> {
        s.parse()
    }

    #[test]
    fn ranges_are_inclusive() {
        assert_eq!(r("1..10000").unwrap().len(), 10000);
        assert_eq!(r("1..=10").unwrap(), SeedRange { first: 1, last: 10 });
        assert_eq!(r("7").unwrap(), SeedRange { first: 7, last: 7 });
        assert_eq!(r("5..5").unwrap().len(), 1);
        assert_eq!(r("0..18446744073709551615"), Err(SeedsError::TooMany { count: 1 << 64 }));
    }

    #[test]
    fn bad_ranges_are_rejected() {
        assert_eq!(r("10..1"), Err(SeedsError::Reversed { first: 10, last: 1 }));
        assert!(matches!(r("1-10"), Err(SeedsError::Syntax(_))));
        assert!(matches!(r("..10"), Err(SeedsError::Syntax(_))));
        assert!(matches!(r("a..b"), Err(SeedsError::Syntax(_))));
        assert!(matches!(r("1..2000000"), Err(SeedsError::TooMany { .. })));
    }

    #[test]
    fn shards_parse_and_validate() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        assert_eq!("3/2".parse::<Shard>(), Err(SeedsError::ShardIndex { index: 3, count: 2 }));
        assert_eq!("0/4".parse::<Shard>(), Err(SeedsError::ShardIndex { index: 0, count: 4 }));
        assert_eq!("1/0".parse::<Shard>(), Err(SeedsError::ShardIndex { index: 1, count: 0 }));
        assert!(matches!("2".parse::<Shard>(), Err(SeedsError::ShardSyntax(_))));
    }

    #[test]
    fn shards_are_contiguous_disjoint_and_cover_the_range() {
        for (len, n) in [(100, 4), (10, 3), (7, 7), (1000, 13), (1, 1)] {
            let range = SeedRange::new(5, 5 + len - 1).unwrap();
            let mut next = range.first;
            for k in 1..=n {
                let s = range.shard(Shard { index: k, count: n }).unwrap();
                assert_eq!(s.first, next, "shard {k}/{n} of {range}");
                assert!(s.len() == len / n || s.len() == len / n + 1);
                next = s.last + 1;
            }
            assert_eq!(next, range.last + 1);
        }
        let range = SeedRange::new(1, 100).unwrap();
        assert_eq!(range.shard(Shard { index: 2, count: 4 }).unwrap(), SeedRange { first: 26, last: 50 });
        assert!(range.shard(Shard { index: 1, count: 101 }).is_err());
    }
}
