//! The report's charts: one SVG per question a student asks about a run.
//!
//! | file | question | drawn from |
//! |---|---|---|
//! | `latency.svg` | how long did each operation take, and when? | `history.json` ([`ops`]) |
//! | `latency-quantiles.svg` | did the typical operation or only the slowest get slower, and when? | `history.json` ([`ops`]) |
//! | `throughput.svg` | how much work got done, moment by moment? | `history.json` ([`ops`]) |
//! | `timeline.svg` | who led, in which term or ballot round (protocols with leaders); who was down or cut off? | `recording.json`, `outcome.faults` |
//! | `messages.svg` | what did the nodes say to each other around the fault? | `recording.json` |
//! | `network.svg` | which links carried the traffic; did queues build up? | `outcome.links`, `recording.json` |
//! | `staleness.svg` | how soon after a write did reads see it (t-visibility)? | `outcome.staleness` ([`staleness`]) |
//! | `k-staleness.svg` | how many acknowledged versions behind were reads (k-staleness)? | `outcome.staleness` |
//!
//! Every time chart shades the fault windows the same way ([`faults`]), so charts can be read
//! side by side. Charts are pure functions of the run's saved files: the same run gives
//! byte-identical SVGs (nothing iterates a hash map; no wall-clock time is written). Gossip
//! runs have no client operations, so they get no latency or throughput chart: broadcast
//! values are not operations with a reply, and the report gives their spread figures instead.

pub mod axes;
pub mod counterexample;
pub mod faults;
pub mod fonts;
pub mod lanes;
pub mod latency;
pub mod messages;
pub mod network;
pub mod ops;
pub mod staleness;
pub mod style;
pub mod svg;
pub mod throughput;
pub mod timeline;

use thiserror::Error;

use crate::report::Outcome;
use crate::world::Recording;
pub use ops::OpSeries;

/// Why a chart could not be drawn.
#[derive(Debug, Error)]
pub enum ChartError {
    /// plotters failed to draw.
    #[error("drawing a chart failed: {0}")]
    Draw(String),
    /// The embedded font could not be registered.
    #[error("the embedded font could not be loaded")]
    Font,
}

/// Everything a chart may draw from: the run's saved files.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// `outcome.json`.
    pub outcome: &'a Outcome,
    /// What the charts need of `history.json` (key-value runs).
    pub ops: Option<&'a OpSeries>,
    /// `recording.json`.
    pub recording: &'a Recording,
    /// The scenario's plain-language description.
    pub description: &'a str,
}

impl Inputs<'_> {
    /// When the run ended, ns.
    pub fn end_ns(&self) -> u64 {
        end_ns(self.outcome, self.recording)
    }

    /// The words of the run's protocol (from `outcome.json`'s typed `protocol`).
    pub fn vocab(&self) -> crate::report::words::Vocab {
        crate::report::words::Vocab::of(self.outcome.protocol)
    }

    /// The chart title's suffix: `scenario, seed N`.
    pub fn run_name(&self) -> String {
        format!("{}, seed {}", self.outcome.scenario, self.outcome.seed)
    }
}

/// When a run ended, ns: the time axis of every chart.
pub fn end_ns(outcome: &Outcome, recording: &Recording) -> u64 {
    recording.end_ns.max(outcome.sim_time_ns).max(1)
}

/// One rendered file of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFile {
    /// File name inside the report directory.
    pub name: &'static str,
    /// Its contents.
    pub contents: String,
}

/// Renders every chart that applies to the run (gossip runs have no latency or
/// throughput chart).
pub fn render_charts(input: &Inputs<'_>) -> Result<Vec<ReportFile>, ChartError> {
    let mut out = Vec::new();
    if let Some(svg) = latency::render(input)? {
        out.push(ReportFile { name: "latency.svg", contents: svg });
    }
    if let Some(svg) = latency::render_quantiles(input)? {
        out.push(ReportFile { name: "latency-quantiles.svg", contents: svg });
    }
    if let Some(svg) = throughput::render(input)? {
        out.push(ReportFile { name: "throughput.svg", contents: svg });
    }
    if let Some(svg) = staleness::render(input)? {
        out.push(ReportFile { name: "staleness.svg", contents: svg });
    }
    if let Some(svg) = staleness::render_k(input)? {
        out.push(ReportFile { name: "k-staleness.svg", contents: svg });
    }
    out.push(ReportFile { name: "timeline.svg", contents: timeline::render(input)? });
    out.push(ReportFile { name: "messages.svg", contents: messages::render(input)? });
    out.push(ReportFile { name: "network.svg", contents: network::render(input)? });
    Ok(out)
}

/// Renders the charts and `index.html`.
pub fn render_report(input: &Inputs<'_>) -> Result<Vec<ReportFile>, ChartError> {
    let mut files = render_charts(input)?;
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    let index = crate::report::html::index(input, &names);
    files.push(ReportFile { name: "index.html", contents: index });
    Ok(files)
}
