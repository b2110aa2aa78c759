//! `eightfold merge sweep-*.json`: combine the shards of a sweep into the summary an
//! unsharded sweep of the whole range would have written.

use std::path::PathBuf;

use clap::Args;

use super::sweep::{check_out, exit_code, print_summary, save};
use super::{Exit, Failure};
use crate::experiment::Metric;
use crate::experiment::merge;

#[derive(Args)]
pub(super) struct MergeArgs {
    /// Sweep files written by `eightfold sweep` (typically with `--shard`).
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
