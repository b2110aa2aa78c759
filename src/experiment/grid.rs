//! Parameter grids: a sweep over the values of scenario settings as well as over seeds.
//!
//! `eightfold sweep SCENARIO --seeds 1..200 --set PATH=V1,V2,… [--set …]` runs every
//! combination of the settings' values (their cartesian product, the last setting varying
//! fastest) for every seed. Each combination is an ordinary sweep of the patched scenario
//! text ([`super::sweep`]), summarised by [`SweepSummary::assemble`] like any other, so a
//! combination's row holds the same counts, failing seeds (with replay commands that
//! carry its `--set` values) and distributions a plain sweep does. The grid file
//! (`eightfold-grid/1`) lists the settings and one [`GridPoint`] per combination.
//!
//! Sharding (`--shard K/N`) slices the seeds, the same slice for every combination, so
//! each shard runs a part of every combination and the shards cost about the same;
//! [`merge()`] merges each combination's shards with [`super::merge::merge`] and so gives
//! exactly the grid an unsharded sweep writes, apart from the wall-clock [`Timing`].
//!
//! This is how parameter studies are done in the literature this simulator follows — the
//! Raft paper's election-timeout figure (Ongaro & Ousterhout 2014, §9.3), the PBS staleness
//! curves (Bailis et al., VLDB 2012) — a metric per value of a parameter, across many
//! random draws.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use super::merge::{self, MergeError, MergeInput};
use super::seeds::SeedRange;
use super::summary::{ShardInfo, SweepSummary, Timing};

/// The value of the `format` field of a grid file.
pub const FORMAT: &str = "eightfold-grid/1";

/// One setting of a grid: its path and the values it takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridAxis {
    /// The path in the scenario's JSON, as typed (`cluster.quorum.r`).
    pub path: String,
    /// Its values, in the order given.
    pub values: Vec<Value>,
}

/// What a grid sweeps: everything two shards of one grid share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridSpec {
    /// Scenario name.
    pub scenario: String,
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// A stable 64-bit hash of the unpatched scenario file's text (16 hex digits).
    pub scenario_hash: String,
    /// The whole seed range, run for every combination.
    pub seeds: SeedRange,
    /// Named bugs switched on by `--bug` in every combination.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<String>,
    /// The settings and their values.
    pub axes: Vec<GridAxis>,
}

/// One combination of values and what its seeds found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// One value per axis, in the axes' order.
    pub values: Vec<Value>,
    /// The combination as `--set` arguments would give it: `cluster.quorum.r=2, …`.
    pub label: String,
    /// Passed seeds / seeds run (0 when none ran).
    pub pass_rate: f64,
    /// The sweep of this combination (its `sets` are the combination's settings).
    pub summary: SweepSummary,
}

impl GridPoint {
    /// The point of a combination, from its sweep.
    pub fn new(values: Vec<Value>, summary: SweepSummary) -> GridPoint {
        let c = &summary.counts;
        let pass_rate = if c.run == 0 { 0.0 } else { c.passed as f64 / c.run as f64 };
        GridPoint { values, label: summary.spec.sets.join(", "), pass_rate, summary }
    }
}

/// The contents of a grid file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridSummary {
    /// Always [`FORMAT`].
    pub format: String,
    /// The scenario, seeds and settings.
    #[serde(flatten)]
    pub spec: GridSpec,
    /// The slice of seeds this file ran of every combination, if it is one shard.
    pub shard: Option<ShardInfo>,
    /// Whether every combination ran every planned seed.
    pub complete: bool,
    /// One point per combination, the last axis varying fastest.
    pub points: Vec<GridPoint>,
    /// Wall-clock figures of the whole grid (the points' own are per combination).
    pub timing: Timing,
}

impl GridSummary {
    /// Builds a grid from its points.
    pub fn assemble(
        spec: GridSpec,
        shard: Option<ShardInfo>,
        points: Vec<GridPoint>,
        timing: Timing,
    ) -> Self {
        let complete = points.iter().all(|p| p.summary.complete);
        GridSummary { format: FORMAT.to_string(), spec, shard, complete, points, timing }
    }

    /// The grid as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a grid summary always serialises") + "\n"
    }

    /// Seeds run, failed and undecided over every combination.
    pub fn totals(&self) -> (u64, u64, u64) {
        self.points.iter().fold((0, 0, 0), |(r, f, u), p| {
            let c = &p.summary.counts;
            (r + c.run, f + c.failed, u + c.unknown)
        })
    }

    /// The axes with more than one value (those a chart or table tells apart).
    pub fn varying(&self) -> Vec<usize> {
        (0..self.spec.axes.len()).filter(|&i| self.spec.axes[i].values.len() > 1).collect()
    }

    /// A point's values of the varying axes, `path=value, …` (its whole label when none
    /// varies).
    pub fn short_label(&self, p: &GridPoint) -> String {
        let varying = self.varying();
        if varying.is_empty() {
            return p.label.clone();
        }
        let sets = &p.summary.spec.sets;
        if sets.len() != self.spec.axes.len() {
            return p.label.clone();
        }
        varying.iter().map(|&i| sets[i].as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Why grid files could not be merged.
#[derive(Debug, Error)]
pub enum GridMergeError {
    /// A file could not be read or is not a grid file.
    #[error("{file}: {reason}")]
    Unreadable {
        /// The file.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two files are not shards of one grid.
    #[error("{a} and {b} are not shards of one grid (different {what})")]
    Different {
        /// First file.
        a: String,
        /// Second file.
        b: String,
        /// What differs.
        what: &'static str,
    },
    /// One combination's shards do not merge.
    #[error("combination {label}: {source}")]
    Point {
        /// The combination.
        label: String,
        /// Why.
        source: MergeError,
    },
    /// Nothing to merge.
    #[error("no grid files given")]
    Empty,
}

/// Whether a file's `format` says it is a grid file.
pub fn is_grid_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .is_some_and(|v| v.get("format").and_then(Value::as_str) == Some(FORMAT))
}

/// Reads a grid file.
pub fn read(path: &Path) -> Result<(String, GridSummary), GridMergeError> {
    let name = path.display().to_string();
    let bad = |reason: String| GridMergeError::Unreadable { file: name.clone(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let g: GridSummary = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if g.format != FORMAT {
        return Err(bad(format!(
            "not a grid file (expected \"format\": \"{FORMAT}\", found {:?})",
            g.format
        )));
    }
    let combos: usize = g.spec.axes.iter().map(|a| a.values.len()).product();
    if g.points.len() != combos {
        return Err(bad(format!("{} combinations for {} points", combos, g.points.len())));
    }
    Ok((name, g))
}

/// Merges the shards of one grid (in any order) into the grid an unsharded sweep writes:
/// each combination's shards are merged by [`merge::merge`].
pub fn merge(inputs: Vec<(String, GridSummary)>) -> Result<GridSummary, GridMergeError> {
    let (first_name, first) = inputs.first().ok_or(GridMergeError::Empty)?;
    for (name, g) in &inputs[1..] {
        let differ = |what| GridMergeError::Different { a: first_name.clone(), b: name.clone(), what };
        let (a, b) = (&first.spec, &g.spec);
        if a.scenario_hash != b.scenario_hash || a.scenario != b.scenario {
            return Err(differ("scenario"));
        }
        if a.axes != b.axes {
            return Err(differ("--set values"));
        }
        if a.bugs != b.bugs {
            return Err(differ("--bug"));
        }
        if a.seeds != b.seeds {
            return Err(differ("--seeds"));
        }
    }
    let spec = first.spec.clone();
    let n = first.points.len();
    let mut timing = Timing::default();
    let mut columns: Vec<Vec<MergeInput>> = (0..n).map(|_| Vec::new()).collect();
    let mut values: Vec<Vec<Value>> = first.points.iter().map(|p| p.values.clone()).collect();
    let mut seeds_run = 0;
    for (name, g) in inputs {
        timing.jobs += g.timing.jobs;
        timing.wall_s += g.timing.wall_s;
        for (i, p) in g.points.into_iter().enumerate() {
            if p.values != values[i] {
                return Err(GridMergeError::Unreadable {
                    file: name.clone(),
                    reason: format!("its combination {} is not {}", i + 1, p.label),
                });
            }
            seeds_run += p.summary.counts.run;
            columns[i].push(MergeInput { name: name.clone(), summary: p.summary });
        }
    }
    timing.seeds_per_s = if timing.wall_s > 0.0 { seeds_run as f64 / timing.wall_s } else { 0.0 };
    let mut points = Vec::with_capacity(n);
    for (column, vals) in columns.into_iter().zip(values.iter_mut()) {
        let label = column.first().map(|c| c.summary.spec.sets.join(", ")).unwrap_or_default();
        let summary = merge::merge(column).map_err(|source| GridMergeError::Point { label, source })?;
        points.push(GridPoint::new(std::mem::take(vals), summary));
    }
    Ok(GridSummary::assemble(spec, None, points, timing))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::experiment::record::SeedRecord;
    use crate::experiment::seeds::Shard;
    use crate::experiment::summary::SweepSpec;

    fn spec() -> GridSpec {
        GridSpec {
            scenario: "s".into(),
            scenario_file: "s.json".into(),
            scenario_hash: "h".into(),
            seeds: SeedRange::new(1, 10).unwrap(),
            bugs: Vec::new(),
            axes: vec![GridAxis { path: "a".into(), values: vec![json!(1), json!(2)] }],
        }
    }

    fn point(v: u64, shard: Option<Shard>) -> GridPoint {
        let sweep = SweepSpec {
            scenario: "s".into(),
            scenario_file: "s.json".into(),
            scenario_hash: format!("h{v}"),
            seeds: SeedRange::new(1, 10).unwrap(),
            bugs: Vec::new(),
            sets: vec![format!("a={v}")],
        };
        let seeds = shard.map_or(sweep.seeds, |s| sweep.seeds.shard(s).unwrap());
        let records = seeds
            .iter()
            .map(|s| SeedRecord { passed: s % (v + 2) != 0, ..SeedRecord::panicked(s, String::new()) })
            .collect();
        let info = shard.map(|s| ShardInfo::new(s, seeds));
        GridPoint::new(vec![json!(v)], SweepSummary::assemble(sweep, info, records, None, Timing::default()))
    }

    fn grid(shard: Option<Shard>) -> GridSummary {
        let info = shard.map(|s| ShardInfo::new(s, spec().seeds.shard(s).unwrap()));
        GridSummary::assemble(spec(), info, vec![point(1, shard), point(2, shard)], Timing::default())
    }

    #[test]
    fn shards_of_a_grid_merge_into_the_unsharded_grid() {
        let sh = |k| Some(Shard { index: k, count: 3 });
        let parts =
            vec![("c".to_string(), grid(sh(3))), ("a".to_string(), grid(sh(1))), ("b".into(), grid(sh(2)))];
        let merged = merge(parts).unwrap();
        assert_eq!(merged, grid(None));
        assert_eq!(merged.points[0].label, "a=1");
        // Seeds divisible by 3 fail at a=1: 3, 6, 9.
        assert_eq!(merged.points[0].summary.counts.failed, 3);
        assert!((merged.points[0].pass_rate - 0.7).abs() < 1e-12);
        let back: GridSummary = serde_json::from_str(&merged.to_json()).unwrap();
        assert_eq!(back, merged);
    }

    #[test]
    fn grids_that_differ_or_miss_a_shard_do_not_merge() {
        let sh = |k| Some(Shard { index: k, count: 3 });
        let mut other = grid(sh(2));
        other.spec.axes[0].values.push(json!(3));
        let e = merge(vec![("a".into(), grid(sh(1))), ("b".into(), other)]).unwrap_err();
        assert!(e.to_string().contains("--set values"), "{e}");
        let e = merge(vec![("a".into(), grid(sh(1))), ("c".into(), grid(sh(3)))]).unwrap_err();
        assert!(e.to_string().contains("combination a=1") && e.to_string().contains("no file covers"), "{e}");
        assert!(matches!(merge(vec![]), Err(GridMergeError::Empty)));
    }
}
