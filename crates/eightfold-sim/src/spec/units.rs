//! Human units in scenario files: durations (`"250ms"`), sizes (`"64KB"`) and rates
//! (`"10MB/s"`, `"100Mbit/s"`).
//!
//! Each parser returns a message saying what was expected, so the scenario loader can put
//! it next to the JSON path: `network.default.latency: expected a duration like "250ms",
//! found "10 parsecs"`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::sim::{SimDuration, SimTime};

/// Splits `"12.5ms"` into `(12.5, "ms")`; the number must be finite and non-negative.
fn split_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(end);
    let v: f64 = num.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    Some((v, unit.trim()))
}

/// Parses a duration such as `"250ms"`, `"1.5s"`, `"2m"`, `"100us"`, `"0"`.
pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let bad = || format!("expected a duration like \"250ms\" or \"1.5s\", found \"{s}\"");
    let (v, unit) = split_number(s).ok_or_else(bad)?;
    if v < 0.0 {
        return Err(format!("expected a non-negative duration, found \"{s}\""));
    }
    let scale = match unit {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "" if v == 0.0 => 0.0,
        _ => return Err(bad()),
    };
    let secs = v * scale;
    if secs > 1e9 {
        return Err(format!("duration \"{s}\" is too long"));
    }
    Ok(SimDuration::from_secs_f64(secs))
}

/// Parses a time window such as `4.9s..5.4s` (the `--window` of `run` and `chart`).
pub fn parse_window(s: &str) -> Result<(SimTime, SimTime), String> {
    let (a, b) =
        s.split_once("..").ok_or_else(|| format!("expected a window like \"4.9s..5.4s\", found \"{s}\""))?;
    let a = parse_duration(a)?;
    let b = parse_duration(b)?;
    if b <= a {
        return Err(format!("the window must end after it starts, found {a}..{b}"));
    }
    Ok((SimTime(a.as_nanos()), SimTime(b.as_nanos())))
}

/// Parses a size in bytes such as `"64B"`, `"1.5KB"`, `"10MiB"`, `"1GB"`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("expected a size like \"64KB\" or \"1MiB\", found \"{s}\"");
    let (v, unit) = split_number(s).ok_or_else(bad)?;
    if v < 0.0 {
        return Err(format!("expected a non-negative size, found \"{s}\""));
    }
    let scale = size_unit(unit).ok_or_else(bad)?;
    let bytes = v * scale;
    if bytes > 1e18 {
        return Err(format!("size \"{s}\" is too large"));
    }
    Ok(bytes.round() as u64)
}

fn size_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "B" | "" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    })
}

/// Parses a rate in bytes per second such as `"10MB/s"`, `"512KiB/s"` or `"100Mbit/s"`.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let bad = || format!("expected a rate like \"10MB/s\" or \"100Mbit/s\", found \"{s}\"");
    let (v, unit) = split_number(s).ok_or_else(bad)?;
    if v <= 0.0 {
        return Err(format!("expected a positive rate, found \"{s}\""));
    }
    let per_sec = unit.strip_suffix("/s").or_else(|| unit.strip_suffix("ps")).ok_or_else(bad)?;
    let scale = match per_sec {
        "bit" | "b" => 1.0 / 8.0,
        "Kbit" | "kbit" | "Kb" | "kb" => 1e3 / 8.0,
        "Mbit" | "Mb" => 1e6 / 8.0,
        "Gbit" | "Gb" => 1e9 / 8.0,
        other => size_unit(other).ok_or_else(bad)?,
    };
    let bps = v * scale;
    if !(1.0..=1e15).contains(&bps) {
        return Err(format!("rate \"{s}\" is outside 1 B/s .. 1 PB/s"));
    }
    Ok(bps.round() as u64)
}

/// Parses a number of search steps: `20000000`, `20_000_000`, `500k`, `20M` or `1G`. A
/// duration (`"10s"`) is refused with a message saying why: a wall-clock budget would make
/// the verdict depend on the machine's speed and load, and no duration maps to a number of
/// steps that is the same everywhere.
pub fn parse_steps(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if parse_duration(t).is_ok() && !t.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "expected a number of search steps (e.g. 20000000 or 20M), found the duration \"{s}\": a wall-clock budget would make the verdict depend on the machine's speed and load"
        ));
    }
    let (digits, scale) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1_000),
        Some((i, 'M')) => (&t[..i], 1_000_000),
        Some((i, 'G')) => (&t[..i], 1_000_000_000),
        _ => (t, 1),
    };
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    let n = if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        digits.parse::<u64>().ok().and_then(|n| n.checked_mul(scale))
    } else {
        None
    };
    match n {
        Some(n) if n > 0 => Ok(n),
        Some(_) => Err("expected at least 1 search step, found 0".to_string()),
        None => Err(format!("expected a number of search steps (e.g. 20000000 or 20M), found \"{s}\"")),
    }
}

/// A duration written as a human string in JSON.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct HumanDuration(pub SimDuration);

/// A size in bytes written as a human string (or a plain integer) in JSON.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct HumanSize(pub u64);

/// A rate in bytes per second written as a human string in JSON.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct HumanRate(pub u64);

struct StrVisitor<F>(&'static str, F);

impl<'de, T, F: Fn(&str) -> Result<T, String>> Visitor<'de> for StrVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.1)(v).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        if v == 0 {
            (self.1)("0").or_else(|_| (self.1)("0B")).map_err(E::custom)
        } else {
            Err(E::custom(format!("expected {} with a unit, found the bare number {v}", self.0)))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Err(E::custom(format!("expected {}, found the negative number {v}", self.0)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Err(E::custom(format!("expected {} with a unit, found the bare number {v}", self.0)))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrVisitor("a duration like \"250ms\"", parse_duration)).map(HumanDuration)
    }
}

impl<'de> Deserialize<'de> for HumanSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrVisitor("a size like \"64KB\"", parse_size)).map(HumanSize)
    }
}

impl<'de> Deserialize<'de> for HumanRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrVisitor("a rate like \"10MB/s\"", parse_rate)).map(HumanRate)
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl Serialize for HumanSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}B", self.0))
    }
}

impl Serialize for HumanRate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}B/s", self.0))
    }
}

/// A duration that may be negative (`"-20ms"`), in nanoseconds: clock offsets.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct SignedDuration(pub i64);

impl<'de> Deserialize<'de> for SignedDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parse = |s: &str| -> Result<SignedDuration, String> {
            let (neg, body) = match s.trim().strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s.trim()),
            };
            let d = parse_duration(body)
                .map_err(|_| format!("expected a duration like \"20ms\" or \"-20ms\", found \"{s}\""))?;
            let ns = i64::try_from(d.as_nanos()).map_err(|_| format!("duration \"{s}\" is too long"))?;
            Ok(SignedDuration(if neg { -ns } else { ns }))
        };
        d.deserialize_any(StrVisitor("a duration like \"20ms\" or \"-20ms\"", parse))
    }
}

impl Serialize for SignedDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let body = SimDuration(self.0.unsigned_abs()).to_string();
        s.serialize_str(&if self.0 < 0 { format!("-{body}") } else { body })
    }
}

/// A probability in `[0, 1]`, checked when the scenario is read.
#[derive(Copy, Clone, PartialEq, PartialOrd, Debug, Default, Serialize)]
#[serde(transparent)]
pub struct Probability(pub f64);

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Probability;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a probability between 0 and 1 (like 0.05)")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Probability, E> {
                if (0.0..=1.0).contains(&v) {
                    Ok(Probability(v))
                } else {
                    Err(E::custom(format!("expected a probability between 0 and 1, found {v}")))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Probability, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Probability, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(SimDuration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(SimDuration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(SimDuration::from_secs(120)));
        assert_eq!(parse_duration("100us"), Ok(SimDuration::from_micros(100)));
        assert_eq!(parse_duration("7ns"), Ok(SimDuration(7)));
        assert_eq!(parse_duration("0"), Ok(SimDuration::ZERO));
        assert!(parse_duration("-5s").unwrap_err().contains("non-negative"));
        assert!(parse_duration("10 parsecs").unwrap_err().contains("expected a duration"));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn steps() {
        assert_eq!(parse_steps("20000000"), Ok(20_000_000));
        assert_eq!(parse_steps("20_000_000"), Ok(20_000_000));
        assert_eq!(parse_steps("500k"), Ok(500_000));
        assert_eq!(parse_steps("20M"), Ok(20_000_000));
        assert_eq!(parse_steps("1G"), Ok(1_000_000_000));
        assert!(
            parse_steps("10s").unwrap_err().contains("a wall-clock budget would make the verdict depend")
        );
        assert!(parse_steps("1.5m").unwrap_err().contains("found the duration"));
        assert!(parse_steps("0").unwrap_err().contains("at least 1"));
        assert!(parse_steps("soon").unwrap_err().contains("expected a number of search steps"));
        assert!(parse_steps("99999999999999999999").is_err());
        assert!(parse_steps("-5").is_err());
    }

    #[test]
    fn sizes_and_rates() {
        assert_eq!(parse_size("64B"), Ok(64));
        assert_eq!(parse_size("64KB"), Ok(64_000));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_rate("10MB/s"), Ok(10_000_000));
        assert_eq!(parse_rate("8Mbit/s"), Ok(1_000_000));
        assert_eq!(parse_rate("1Gbps"), Ok(125_000_000));
        assert!(parse_rate("0MB/s").is_err());
        assert!(parse_rate("10MB").is_err());
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn json_forms() {
        let d: HumanDuration = serde_json::from_str("\"3s\"").unwrap();
        assert_eq!(d.0, SimDuration::from_secs(3));
        let e = serde_json::from_str::<HumanDuration>("5").unwrap_err().to_string();
        assert!(e.contains("with a unit"), "{e}");
        let p = serde_json::from_str::<Probability>("1.5").unwrap_err().to_string();
        assert!(p.contains("between 0 and 1"), "{p}");
    }
}
