//! What a key-value run does with its history while the clients record it: every
//! operation, released in history order by the [`HistoryStream`](crate::workload::stream),
//! is counted (outcome figures, latency percentiles, per zone), checked for
//! linearizability as it comes ([`HistoryChecker`]), looked at by the liveness check, and
//! written to `history.json` or kept in memory only if asked. Nothing here grows with the
//! length of the run unless the history is kept.

use std::io::{self, Write};

use crate::check::formats::FormatError;
use crate::check::linearizability::{CheckReport, HistoryChecker, Options};
use crate::check::liveness;
use crate::report::tally::OpTally;
use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::workload::history::{History, HistoryOp, HistoryWriter};
use crate::workload::stream::OpSink;

/// Where a run's history goes.
#[derive(Default)]
pub enum HistoryOutput {
    /// Kept in memory and returned with the run (tests and tools that look at it).
    #[default]
    Keep,
    /// Written in `history.json`'s format to this writer as the run goes; not kept.
    Stream(Box<dyn Write + Send>),
    /// Only counted and checked.
    Discard,
}

/// The consumer of a key-value run's history.
pub struct Recorder {
    total: OpTally,
    /// Per zone of the scenario.
    zones: Vec<OpTally>,
    /// Per client: its zone.
    zone_of: Vec<Option<usize>>,
    quiet_after: SimTime,
    first_ok: Option<SimTime>,
    check: Option<HistoryChecker>,
    error: Option<FormatError>,
    writer: Option<HistoryWriter<Box<dyn Write + Send>>>,
    kept: Option<Vec<HistoryOp>>,
}

/// What the recorder gathered, once the history ended.
pub struct Recorded {
    /// All operations.
    pub total: OpTally,
    /// Per zone (index into the scenario's zones) that had operations.
    pub zones: Vec<(usize, OpTally)>,
    /// The first completion of an `ok` operation at or after the fault schedule went
    /// quiet.
    pub first_ok: Option<SimTime>,
    /// The linearizability verdict, or why the history could not be checked.
    pub check: Result<CheckReport, FormatError>,
    /// The history, if it was kept.
    pub history: Option<History>,
    /// Whether writing it (if it was streamed) succeeded.
    pub written: io::Result<()>,
}

impl Recorder {
    /// A recorder for a run of `s` whose fault schedule goes quiet at `quiet_after`,
    /// sending the history to `output` and checking it with `options`.
    pub fn new(s: &Scenario, quiet_after: SimTime, output: HistoryOutput, options: Options) -> Self {
        let servers = s.cluster.nodes;
        let total = (servers + s.client_count()) as usize;
        let of = super::network::zone_of(&s.cluster.zones, servers, total);
        let (writer, kept) = match output {
            HistoryOutput::Keep => (None, Some(Vec::new())),
            HistoryOutput::Stream(w) => (Some(HistoryWriter::new(w)), None),
            HistoryOutput::Discard => (None, None),
        };
        Recorder {
            total: OpTally::default(),
            zones: vec![OpTally::default(); s.cluster.zones.len()],
            zone_of: of.into_iter().skip(servers as usize).collect(),
            quiet_after,
            first_ok: None,
            check: Some(HistoryChecker::new(options)),
            error: None,
            writer,
            kept,
        }
    }

    /// Takes what was gathered (once the history has ended).
    pub fn take(&mut self) -> Recorded {
        let check = match (self.error.take(), self.check.take()) {
            (Some(e), _) => Err(e),
            (None, Some(c)) => Ok(c.finish()),
            (None, None) => Err(FormatError::Io("the history was already taken".into())),
        };
        Recorded {
            total: std::mem::take(&mut self.total),
            zones: std::mem::take(&mut self.zones)
                .into_iter()
                .enumerate()
                .filter(|(_, t)| t.total() > 0)
                .collect(),
            first_ok: self.first_ok,
            check,
            history: self.kept.take().map(|ops| History { ops, ..History::new() }),
            written: self.writer.take().map_or(Ok(()), HistoryWriter::finish),
        }
    }
}

impl OpSink for Recorder {
    fn op(&mut self, index: usize, op: HistoryOp) {
        self.total.add(&op);
        if let Some(z) = self.zone_of.get(op.client as usize).copied().flatten() {
            self.zones[z].add(&op);
        }
        if let Some(t) = liveness::ok_at_or_after(&op, self.quiet_after) {
            self.first_ok = Some(self.first_ok.map_or(t, |f| f.min(t)));
        }
        if let Some(c) = &mut self.check
            && let Err(e) = c.push(index, &op)
        {
            self.error = Some(e);
            self.check = None;
        }
        if let Some(w) = &mut self.writer {
            w.push(&op);
        }
        if let Some(k) = &mut self.kept {
            k.push(op);
        }
    }
}
