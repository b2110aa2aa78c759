//! Key choice: uniform, or Zipf-skewed so a few hot keys get most operations (the shape
//! of real workloads, and the one that makes conflicts and contention likely).

use crate::sim::rng::Draw;

/// How keys are drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyDist {
    /// Every key equally likely.
    Uniform {
        /// Number of keys.
        keys: u32,
    },
    /// Key `k` (1-based rank) has probability proportional to `1 / k^s`.
    Zipf {
        /// Cumulative probabilities, one per key.
        cdf: Vec<f64>,
    },
}

impl KeyDist {
    /// A uniform distribution over `keys` keys.
    pub fn uniform(keys: u32) -> Self {
        KeyDist::Uniform { keys: keys.max(1) }
    }

    /// A Zipf distribution over `keys` keys with exponent `s` (s = 0 is uniform).
    pub fn zipf(keys: u32, s: f64) -> Self {
        let keys = keys.max(1);
        let weights: Vec<f64> = (1..=keys).map(|k| 1.0 / libm::pow(k as f64, s)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cdf = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        KeyDist::Zipf { cdf }
    }

    /// Draws a key in `0..keys` (one draw).
    pub fn draw(&self, rng: &mut impl Draw) -> u32 {
        match self {
            KeyDist::Uniform { keys } => rng.below(*keys as u64) as u32,
            KeyDist::Zipf { cdf } => {
                let u = rng.unit();
                cdf.partition_point(|&c| c <= u).min(cdf.len() - 1) as u32
            }
        }
    }

    /// Number of keys.
    pub fn keys(&self) -> u32 {
        match self {
            KeyDist::Uniform { keys } => *keys,
            KeyDist::Zipf { cdf } => cdf.len() as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;

    #[test]
    fn zipf_favours_low_ranks_in_proportion() {
        let d = KeyDist::zipf(10, 1.0);
        let mut rng = RngStreams::new(1).stream("keys");
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[d.draw(&mut rng) as usize] += 1;
        }
        // P(k=1)/P(k=2) = 2 for s = 1.
        let ratio = counts[0] as f64 / counts[1] as f64;
        assert!((ratio - 2.0).abs() < 0.1, "{counts:?}");
        assert!(counts[0] > counts[9] * 8);
    }

    #[test]
    fn uniform_covers_every_key() {
        let d = KeyDist::uniform(4);
        let mut rng = RngStreams::new(1).stream("keys");
        let mut seen = [false; 4];
        for _ in 0..100 {
            seen[d.draw(&mut rng) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
