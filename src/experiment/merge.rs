//! Merging sweep files: the shards of one sweep (or sweeps of adjoining seed ranges) become
//! one summary, exactly the one an unsharded sweep of the whole range writes.
//!
//! The inputs must sweep the same scenario text (same hash), their planned seed slices must
//! not overlap, and together they must form one contiguous range; otherwise the merge is
//! refused rather than producing a summary that no single sweep could have written.

use std::path::Path;

use thiserror::Error;

use super::seeds::SeedRange;
use super::summary::{FORMAT, StopReason, SweepSpec, SweepSummary, Timing};

/// Why sweep files could not be merged.
#[derive(Debug, Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no sweep files given")]
    Empty,
    /// A file could not be read or is not a sweep summary.
    #[error("{file}: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two files sweep different scenarios.
    #[error(
        "{a} and {b} sweep different scenarios ({what_a} vs {what_b}); only shards of one scenario file merge"
    )]
    DifferentScenario {
        /// First file.
        a: String,
        /// Second file.
        b: String,
        /// Its scenario name and hash.
        what_a: String,
        /// The other's scenario name and hash.
        what_b: String,
    },
    /// Two files cover some of the same seeds.
    #[error("{a} (seeds {range_a}) and {b} (seeds {range_b}) overlap")]
    Overlap {
        /// First file.
        a: String,
        /// Second file.
        b: String,
        /// Its seeds.
        range_a: SeedRange,
        /// The other's seeds.
        range_b: SeedRange,
    },
    /// The files leave a hole in the seed range.
    #[error(
        "no file covers seeds {first}..{last}: the merged seeds would not form one range (a shard is missing?)"
    )]
    Gap {
        /// First missing seed.
        first: u64,
        /// Last missing seed.
        last: u64,
    },
}

/// One file to merge: its name (for messages) and contents.
pub struct MergeInput {
    /// The file name.
    pub name: String,
    /// Its summary.
    pub summary: SweepSummary,
}

/// Reads and sanity-checks a sweep file.
pub fn read(path: &Path) -> Result<MergeInput, MergeError> {
    let name = path.display().to_string();
    let bad = |reason: String| MergeError::Unreadable { file: name.clone(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let format = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| bad(format!("not valid JSON: {e}")))?
        .get("format")
        .and_then(|f| f.as_str().map(str::to_string));
    if format.as_deref() != Some(FORMAT) {
        return Err(bad(format!("not a sweep file (expected \"format\": \"{FORMAT}\", found {format:?})")));
    }
    let summary: SweepSummary = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let planned = summary.planned_seeds();
    let mut last = None;
    for r in &summary.records {
        if !planned.contains(r.seed) || last.is_some_and(|l| r.seed <= l) {
            return Err(bad(format!(
                "its records are not sorted, unique seeds within its seeds {planned} (seed {})",
                r.seed
            )));
        }
        last = Some(r.seed);
    }
    Ok(MergeInput { name, summary })
}

/// Merges the inputs (in any order) into one summary.
pub fn merge(mut inputs: Vec<MergeInput>) -> Result<SweepSummary, MergeError> {
    inputs.sort_by_key(|i| i.summary.planned_seeds());
    let first = inputs.first().ok_or(MergeError::Empty)?;
    for pair in inputs.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (sa, sb) = (&a.summary.spec, &b.summary.spec);
        if sa.scenario_hash != sb.scenario_hash
            || sa.scenario != sb.scenario
            || sa.bugs != sb.bugs
            || sa.sets != sb.sets
        {
            let what = |s: &SweepSpec| {
                let bugs = if s.bugs.is_empty() {
                    String::new()
                } else {
                    format!(" with --bug {}", s.bugs.join(","))
                };
                format!("{} hash {}{bugs}", s.scenario, s.scenario_hash)
            };
            return Err(MergeError::DifferentScenario {
                a: a.name.clone(),
                b: b.name.clone(),
                what_a: what(sa),
                what_b: what(sb),
            });
        }
        let (ra, rb) = (a.summary.planned_seeds(), b.summary.planned_seeds());
        if ra.overlaps(&rb) {
            return Err(MergeError::Overlap {
                a: a.name.clone(),
                b: b.name.clone(),
                range_a: ra,
                range_b: rb,
            });
        }
        if rb.first != ra.last + 1 {
            return Err(MergeError::Gap { first: ra.last + 1, last: rb.first - 1 });
        }
    }
    let last = inputs.last().expect("at least one input").summary.planned_seeds().last;
    let seeds = SeedRange { first: first.summary.planned_seeds().first, last };
    let spec = SweepSpec { seeds, ..first.summary.spec.clone() };
    let stopped: Option<StopReason> = inputs.iter().find_map(|i| i.summary.stopped);
    let mut timing = Timing::default();
    let mut records = Vec::new();
    for i in inputs {
        timing.jobs += i.summary.timing.jobs;
        timing.wall_s += i.summary.timing.wall_s;
        records.extend(i.summary.records);
    }
    timing.seeds_per_s = if timing.wall_s > 0.0 { records.len() as f64 / timing.wall_s } else { 0.0 };
    Ok(SweepSummary::assemble(spec, None, records, stopped, timing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::record::SeedRecord;
    use crate::experiment::seeds::Shard;
    use crate::experiment::summary::ShardInfo;

    fn spec(hash: &str) -> SweepSpec {
        SweepSpec {
            scenario: "s".into(),
            scenario_file: "s.json".into(),
            scenario_hash: hash.into(),
            seeds: SeedRange::new(1, 10).unwrap(),
            bugs: Vec::new(),
            sets: Vec::new(),
        }
    }

    fn rec(seed: u64) -> SeedRecord {
        SeedRecord { passed: seed % 4 != 0, ..SeedRecord::panicked(seed, String::new()) }
    }

    fn shard(k: u64, n: u64, hash: &str) -> MergeInput {
        let s = Shard { index: k, count: n };
        let seeds = spec(hash).seeds.shard(s).unwrap();
        let info = ShardInfo::new(s, seeds);
        let records = seeds.iter().map(rec).collect();
        MergeInput {
            name: format!("shard{k}"),
            summary: SweepSummary::assemble(spec(hash), Some(info), records, None, Timing::default()),
        }
    }

    #[test]
    fn shards_merge_into_the_unsharded_summary() {
        let whole =
            SweepSummary::assemble(spec("h"), None, (1..=10).map(rec).collect(), None, Timing::default());
        let merged = merge(vec![shard(3, 3, "h"), shard(1, 3, "h"), shard(2, 3, "h")]).unwrap();
        assert_eq!(merged, whole);
    }

    #[test]
    fn bad_merges_are_refused() {
        assert!(matches!(merge(vec![]), Err(MergeError::Empty)));
        let e = merge(vec![shard(1, 2, "h"), shard(2, 2, "other")]).unwrap_err();
        assert!(matches!(e, MergeError::DifferentScenario { .. }), "{e}");
        let mut buggy = shard(2, 2, "h");
        buggy.summary.spec.bugs = vec!["no_log_check".into()];
        let e = merge(vec![shard(1, 2, "h"), buggy]).unwrap_err();
        assert!(e.to_string().contains("--bug no_log_check"), "shards run with other bugs: {e}");
        let e = merge(vec![shard(1, 2, "h"), shard(1, 2, "h")]).unwrap_err();
        assert!(matches!(e, MergeError::Overlap { .. }), "{e}");
        let e = merge(vec![shard(1, 3, "h"), shard(3, 3, "h")]).unwrap_err();
        assert!(matches!(e, MergeError::Gap { first: 5, last: 7 }), "{e}");
    }
}
