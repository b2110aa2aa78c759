//! Fallacy 2, *latency is zero*: one-way latency distributions for links.
//!
//! Four shapes cover what networks do: constant (a lab switch), uniform (bounded jitter),
//! normal (jitter around a mean, cut off at zero) and log-normal (a typical datacenter: most
//! messages near the median, a long tail of slow ones — the shape of real RPC latency).
//!
//! Sampling uses our own Box–Muller over `libm` (a pure-Rust libm), so a seed draws the same
//! latencies on every platform and with every version of the `rand` crates.

use crate::sim::SimDuration;
use crate::sim::rng::Draw;
use crate::spec::LatencySpec;

/// The z-score of the 99th percentile of a standard normal distribution.
pub const Z99: f64 = 2.326_347_874_040_841;

/// A latency distribution in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Latency {
    /// Always `ns`.
    Constant(u64),
    /// Uniform in `[min, max]` nanoseconds.
    Uniform {
        /// Lower bound.
        min: u64,
        /// Upper bound.
        max: u64,
    },
    /// Normal with this mean and standard deviation, clamped at zero.
    Normal {
        /// Mean in ns.
        mean: f64,
        /// Standard deviation in ns.
        stddev: f64,
    },
    /// exp(N(mu, sigma)) nanoseconds: median e^mu, long right tail.
    LogNormal {
        /// ln of the median in ns.
        mu: f64,
        /// Standard deviation of ln(latency).
        sigma: f64,
    },
}

impl Latency {
    /// Builds the distribution a scenario describes.
    pub fn from_spec(spec: &LatencySpec) -> Latency {
        match spec {
            LatencySpec::Constant { value } => Latency::Constant(value.0.as_nanos()),
            LatencySpec::Uniform { min, max } => {
                Latency::Uniform { min: min.0.as_nanos(), max: max.0.as_nanos() }
            }
            LatencySpec::Normal { mean, stddev } => {
                Latency::Normal { mean: mean.0.as_nanos() as f64, stddev: stddev.0.as_nanos() as f64 }
            }
            LatencySpec::Lognormal { median, sigma, p99 } => {
                let m = median.0.as_nanos().max(1) as f64;
                let sigma = match (sigma, p99) {
                    (Some(s), _) => *s,
                    (None, Some(p)) => libm::log(p.0.as_nanos().max(1) as f64 / m) / Z99,
                    (None, None) => 0.0,
                };
                Latency::LogNormal { mu: libm::log(m), sigma }
            }
        }
    }

    /// Draws one latency. Constant latency makes no draw at all.
    #[inline]
    pub fn sample(&self, rng: &mut impl Draw) -> SimDuration {
        SimDuration(match *self {
            Latency::Constant(ns) => ns,
            Latency::Uniform { min, max } => rng.between(min, max),
            Latency::Normal { mean, stddev } => {
                let v = mean + stddev * standard_normal(rng);
                if v <= 0.0 { 0 } else { v.round() as u64 }
            }
            Latency::LogNormal { mu, sigma } => {
                let v = libm::exp(mu + sigma * standard_normal(rng));
                if v >= 1e15 { 1_000_000_000_000_000 } else { v.round() as u64 }
            }
        })
    }

    /// The distribution's `q`-quantile (0 < q < 1), for reports and tests.
    pub fn quantile(&self, q: f64) -> SimDuration {
        let z = normal_quantile(q);
        SimDuration(match *self {
            Latency::Constant(ns) => ns,
            Latency::Uniform { min, max } => min + ((max - min) as f64 * q).round() as u64,
            Latency::Normal { mean, stddev } => (mean + stddev * z).max(0.0).round() as u64,
            Latency::LogNormal { mu, sigma } => libm::exp(mu + sigma * z).round() as u64,
        })
    }

    /// True if every draw gives the same value (no jitter, so no reordering from latency).
    pub fn is_constant(&self) -> bool {
        matches!(self, Latency::Constant(_))
    }

    /// A one-line description for the effective-parameter listing.
    pub fn describe(&self) -> String {
        let d = |ns: f64| SimDuration(ns.max(0.0).round() as u64).to_string();
        match *self {
            Latency::Constant(ns) => format!("constant {}", SimDuration(ns)),
            Latency::Uniform { min, max } => format!("uniform {}..{}", SimDuration(min), SimDuration(max)),
            Latency::Normal { mean, stddev } => format!("normal mean {} sd {}", d(mean), d(stddev)),
            Latency::LogNormal { mu, sigma } => format!(
                "lognormal median {} sigma {sigma:.3} (p99 {})",
                d(libm::exp(mu)),
                d(libm::exp(mu + sigma * Z99))
            ),
        }
    }
}

/// One standard normal draw by the Box–Muller transform (two uniform draws).
#[inline]
fn standard_normal(rng: &mut impl Draw) -> f64 {
    // 1 - unit() is in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.unit();
    let u2 = rng.unit();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

/// The standard normal quantile function (Acklam's rational approximation, |error| < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383_577_518_672_69e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] =
        [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
    let p = p.clamp(1e-15, 1.0 - 1e-15);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail(libm::sqrt(-2.0 * libm::log(p)))
    } else if p > 1.0 - 0.02425 {
        -tail(libm::sqrt(-2.0 * libm::log(1.0 - p)))
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;

    fn percentile(mut v: Vec<u64>, q: f64) -> u64 {
        v.sort_unstable();
        v[((v.len() - 1) as f64 * q).round() as usize]
    }

    #[test]
    fn quantile_function_is_accurate() {
        assert!((normal_quantile(0.5)).abs() < 1e-9);
        assert!((normal_quantile(0.99) - Z99).abs() < 1e-8);
        assert!((normal_quantile(0.01) + Z99).abs() < 1e-8);
    }

    #[test]
    fn samples_match_their_distribution() {
        let mut rng = RngStreams::new(11).stream("latency-test");
        let dists = [
            Latency::Uniform { min: 1_000_000, max: 5_000_000 },
            Latency::Normal { mean: 10e6, stddev: 2e6 },
            Latency::LogNormal { mu: libm::log(2e6), sigma: 0.8 },
        ];
        for d in dists {
            let samples: Vec<u64> = (0..40_000).map(|_| d.sample(&mut rng).as_nanos()).collect();
            for q in [0.1, 0.5, 0.9, 0.99] {
                let got = percentile(samples.clone(), q) as f64;
                let want = d.quantile(q).as_nanos() as f64;
                assert!((got - want).abs() / want < 0.05, "{d:?} q{q}: got {got}, want {want}");
            }
        }
    }

    #[test]
    fn never_negative() {
        let mut rng = RngStreams::new(1).stream("x");
        let d = Latency::Normal { mean: 1e6, stddev: 5e6 };
        let zeros = (0..10_000).filter(|_| d.sample(&mut rng).as_nanos() == 0).count();
        assert!(zeros > 3000, "a wide normal clamps many draws at zero, got {zeros}");
    }
}
