//! `eightfold replay REPORT_DIR`: re-run a report's scenario and seed and verify the digest
//! (and the trace, when the report has one).

use std::path::PathBuf;

use clap::Args;

use super::{Exit, Failure};
use crate::experiment::replay::{self, Divergence, ReplayError};
use crate::report::outcome::RunVerdict;

#[derive(Args)]
pub(super) struct ReplayArgs {
    /// A report directory written by `eightfold run` (holds outcome.json and scenario.json).
    report: PathBuf,
}

pub(super) fn replay(args: ReplayArgs) -> Result<Exit, Failure> {
    let r = replay::replay(&args.report).map_err(|e| match e {
        ReplayError::Run(e) => Failure::internal(e.to_string()),
        e => Failure::input(e.to_string()),
    })?;
    let o = &r.outcome;
    let verdict = match o.verdict() {
        RunVerdict::Failed => format!("failed {}", o.failed_checks().join(", ")),
        RunVerdict::Undecided => {
            format!("left {} undecided (neither passed nor failed)", o.unknown_checks().join(", "))
        }
        RunVerdict::Passed => "passed".to_string(),
    };
    if r.reproduced() {
        let trace = if r.trace.is_some() { ", and so does every line of trace.jsonl" } else { "" };
        println!(
            "replay of {} seed {}: digest {} matches{trace} ({} events; the run {verdict}, as recorded)",
            o.scenario, r.seed, o.digest, o.events
        );
        return Ok(Exit::Passed);
    }
    eprintln!(
        "replay of {} seed {} DIVERGED: recorded digest {} ({} events), replay digest {} ({} events)",
        o.scenario, r.seed, r.recorded_digest, r.recorded_events, o.digest, o.events
    );
    if !r.changed_checks.is_empty() {
        eprintln!("  checks whose verdict changed: {}", r.changed_checks.join(", "));
    }
    match &r.trace {
        None if r.recorded_digest == o.digest => {}
        None => {
            eprintln!("  the report has no trace.jsonl; record one with `eightfold run --trace` to see where")
        }
        Some(None) if r.recorded_digest == o.digest => {}
        Some(None) => eprintln!(
            "  every line of trace.jsonl matches, so the events are the same: outcome.json was edited, or written by another build"
        ),
        Some(Some(d)) => print_divergence(d),
    }
    Ok(Exit::CheckFailed)
}

fn print_divergence(d: &Divergence) {
    let show = |l: &Option<String>| l.clone().unwrap_or_else(|| "(end of trace)".to_string());
    eprintln!("  first diverging event at trace.jsonl line {}:", d.line);
    eprintln!("    expected: {}", show(&d.expected));
    eprintln!("    actual:   {}", show(&d.actual));
}
