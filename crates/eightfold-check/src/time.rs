//! Durations as people write them, for the counterexamples this crate prints.
//!
//! The checker stands alone, with no dependency on the simulator, so it formats its
//! nanosecond times itself; the simulator's `SimDuration` prints through this same
//! [`format_nanos`].

/// Formats nanoseconds the way people write durations: `0s`, `250ms`, `1.5s`, `12us`.
pub fn format_nanos(ns: u64) -> String {
    if ns == 0 {
        "0s".to_string()
    } else if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else if ns >= 1_000_000_000 {
        trim_float(ns as f64 / 1e9, "s")
    } else if ns >= 1_000_000 {
        trim_float(ns as f64 / 1e6, "ms")
    } else if ns >= 1_000 {
        trim_float(ns as f64 / 1e3, "us")
    } else {
        format!("{ns}ns")
    }
}

/// Reads a whole number of nanoseconds, microseconds, milliseconds or seconds (`"200us"`).
pub fn parse_nanos(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let scale = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(scale)
}

fn trim_float(v: f64, unit: &str) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_and_parse_as_people_write_them() {
        assert_eq!(format_nanos(0), "0s");
        assert_eq!(format_nanos(2_000_000_000), "2s");
        assert_eq!(format_nanos(1_500_000_000), "1.5s");
        assert_eq!(format_nanos(250_000_000), "250ms");
        assert_eq!(format_nanos(12_000), "12us");
        assert_eq!(format_nanos(7), "7ns");
        assert_eq!(parse_nanos("200us"), Some(200_000));
        assert_eq!(parse_nanos("3ms"), Some(3_000_000));
        assert_eq!(parse_nanos("1s"), Some(1_000_000_000));
        assert_eq!(parse_nanos("1.5s"), None);
        assert_eq!(parse_nanos("12"), None);
        assert_eq!(parse_nanos("5 parsecs"), None);
    }
}
