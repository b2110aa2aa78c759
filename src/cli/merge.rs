//! `eightfold merge sweep-*.json`: combine the shards of a sweep into the summary an
//! unsharded sweep of the whole range would have written.

use std::path::PathBuf;

use clap::Args;

use super::sweep::{check_out, exit_code, grid_exit_code, print_grid, print_summary, save, save_grid};
use super::{Exit, Failure};
use crate::experiment::Metric;
use crate::experiment::grid;
use crate::experiment::merge;

#[derive(Args)]
pub(super) struct MergeArgs {
    /// Sweep (or grid) files written by `eightfold sweep` (typically with `--shard`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where to write the merged summary [default: reports/<name>-sweep.json]; the chart
    /// goes next to it (.svg).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The figure to chart across seeds (as for `sweep`).
    #[arg(long, default_value = "latency_p99_ms")]
    metric: String,
}

pub(super) fn merge(args: MergeArgs) -> Result<Exit, Failure> {
    let metric: Metric = args.metric.parse().map_err(Failure::input)?;
    if args.files.first().is_some_and(|f| grid::is_grid_file(f)) {
        return merge_grid(args, metric);
    }
    let inputs = args
        .files
        .iter()
        .map(|f| merge::read(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::input(e.to_string()))?;
    let n = inputs.len();
    let summary = merge::merge(inputs).map_err(|e| Failure::input(e.to_string()))?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-sweep.json", summary.spec.scenario)));
    check_out(&out)?;
    if args.files.iter().any(|f| f == &out) {
        return Err(Failure::input(format!("--out: {} is one of the inputs", out.display())));
    }
    println!("merged {n} sweep files");
    print_summary(&summary);
    let svg = save(&summary, &out, metric).map_err(|why| {
        Failure::internal(format!("{why} (the {n} sweep files merged are unchanged: run the merge again)"))
    })?;
    println!("  wrote {} and {}", out.display(), svg.display());
    Ok(exit_code(&summary))
}

/// Merges the shards of a grid (`eightfold sweep --set PATH=V1,V2,… --shard K/N`).
fn merge_grid(args: MergeArgs, metric: Metric) -> Result<Exit, Failure> {
    let inputs = args
        .files
        .iter()
        .map(|f| grid::read(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::input(e.to_string()))?;
    let n = inputs.len();
    let g = grid::merge(inputs).map_err(|e| Failure::input(e.to_string()))?;
    let out =
        args.out.unwrap_or_else(|| PathBuf::from("reports").join(format!("{}-grid.json", g.spec.scenario)));
    check_out(&out)?;
    if args.files.iter().any(|f| f == &out) {
        return Err(Failure::input(format!("--out: {} is one of the inputs", out.display())));
    }
    println!("merged {n} grid files");
    print_grid(&g, metric);
    let svg = save_grid(&g, &out, metric).map_err(|why| {
        Failure::internal(format!("{why} (the {n} grid files merged are unchanged: run the merge again)"))
    })?;
    println!("  wrote {} and {}", out.display(), svg.display());
    Ok(grid_exit_code(&g))
}
