//! A link's profile as a scenario file writes it: latency distribution, loss, duplication,
//! reordering, bandwidth, queue, MTU, cost and corruption (fallacies 1–3, 7 and 8). The
//! network ([`crate::net`]) turns it into its own link model; the scenario's network
//! section, its zones and the `degrade` fault all carry it.

use serde::{Deserialize, Deserializer, Serialize};

use super::json::{self, object_only};
use super::units::{HumanDuration, HumanRate, HumanSize, Probability};

/// A link profile; missing fields take the default profile's value (or the built-in one).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct LinkSpec {
    /// One-way latency distribution.
    #[serde(default)]
    pub latency: Option<LatencySpec>,
    /// Probability a message is lost.
    #[serde(default)]
    pub loss: Option<Probability>,
    /// Probability a message is delivered twice.
    #[serde(default)]
    pub duplicate: Option<Probability>,
    /// Probability a message is held back so later ones overtake it.
    #[serde(default)]
    pub reorder: Option<Probability>,
    /// The largest extra delay of a held-back message.
    #[serde(default)]
    pub reorder_delay: Option<HumanDuration>,
    /// Link capacity in bytes per second (unlimited if absent).
    #[serde(default)]
    pub bandwidth: Option<HumanRate>,
    /// Capacity of the link's FIFO send queue; a message that does not fit is dropped.
    #[serde(default)]
    pub queue: Option<HumanSize>,
    /// Largest packet the link carries.
    #[serde(default)]
    pub mtu: Option<HumanSize>,
    /// Whether larger messages are fragmented (default) or dropped.
    #[serde(default)]
    pub fragmentation: Option<bool>,
    /// Money per gigabyte carried (e.g. 0.02 for cross-zone cloud traffic).
    #[serde(default)]
    pub cost_per_gb: Option<f64>,
    /// Probability that a message's bits are flipped in flight.
    #[serde(default)]
    pub corrupt: Option<Probability>,
}

/// A latency distribution: a plain duration string means constant latency.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "dist", rename_all = "snake_case")]
pub enum LatencySpec {
    /// Always the same.
    Constant {
        /// The latency.
        value: HumanDuration,
    },
    /// Uniform between `min` and `max`.
    Uniform {
        /// Lower bound.
        min: HumanDuration,
        /// Upper bound.
        max: HumanDuration,
    },
    /// Normal (Gaussian), cut off at zero.
    Normal {
        /// Mean.
        mean: HumanDuration,
        /// Standard deviation.
        stddev: HumanDuration,
    },
    /// Log-normal: most messages near the median, a long tail of slow ones.
    Lognormal {
        /// Median latency.
        median: HumanDuration,
        /// Shape: the standard deviation of ln(latency). Give this or `p99`.
        #[serde(skip_serializing_if = "Option::is_none")]
        sigma: Option<f64>,
        /// The 99th percentile. Give this or `sigma`.
        #[serde(skip_serializing_if = "Option::is_none")]
        p99: Option<HumanDuration>,
    },
}

/// serde's own form of a latency object: externally tagged, read from the `"dist"`-tagged
/// object of a scenario file by [`json::read_tagged_map`].
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum LatencyObject {
    Constant { value: HumanDuration },
    Uniform { min: HumanDuration, max: HumanDuration },
    Normal { mean: HumanDuration, stddev: HumanDuration },
    Lognormal { median: HumanDuration, sigma: Option<f64>, p99: Option<HumanDuration> },
}

impl<'de> Deserialize<'de> for LatencySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::String(_) | serde_json::Value::Number(_) => {
                let value = HumanDuration::deserialize(v).map_err(D::Error::custom)?;
                Ok(LatencySpec::Constant { value })
            }
            serde_json::Value::Object(map) => {
                let o = json::read_tagged_map(map, "dist", "uniform", |d| LatencyObject::deserialize(d))
                    .map_err(json::NestedError::into_error::<D::Error>)?;
                Ok(match o {
                    LatencyObject::Constant { value } => LatencySpec::Constant { value },
                    LatencyObject::Uniform { min, max } => {
                        if max < min {
                            return Err(json::fail_at(
                                "max",
                                format!(
                                    "uniform latency needs min <= max, found min {} > max {}",
                                    min.0, max.0
                                ),
                            ));
                        }
                        LatencySpec::Uniform { min, max }
                    }
                    LatencyObject::Normal { mean, stddev } => LatencySpec::Normal { mean, stddev },
                    LatencyObject::Lognormal { median, sigma, p99 } => {
                        match (sigma, p99) {
                            (Some(_), Some(_)) | (None, None) => {
                                return Err(D::Error::custom(
                                    "lognormal latency needs exactly one of `sigma` or `p99`",
                                ));
                            }
                            (Some(s), None) if !(0.0..=5.0).contains(&s) => {
                                return Err(json::fail_at(
                                    "sigma",
                                    format!("lognormal sigma must be between 0 and 5, found {s}"),
                                ));
                            }
                            (None, Some(p)) if p < median => {
                                return Err(json::fail_at(
                                    "p99",
                                    format!(
                                        "lognormal p99 ({}) must not be below the median ({})",
                                        p.0, median.0
                                    ),
                                ));
                            }
                            _ => {}
                        }
                        if median.0.as_nanos() == 0 {
                            return Err(json::fail_at("median", "lognormal median must be positive"));
                        }
                        LatencySpec::Lognormal { median, sigma, p99 }
                    }
                })
            }
            other => Err(D::Error::custom(format!(
                "expected a duration like \"2ms\" or an object with \"dist\", found {other}"
            ))),
        }
    }
}

object_only!(LinkSpec);
