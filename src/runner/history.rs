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
use crate::check::staleness::{Quorums, Staleness, StalenessFigures};
use crate::report::tally::OpTally;
use crate::scenario::Scenario;
use crate::sim::SimDuration;
use crate::workload::history::{History, HistoryOp, HistoryWriter, OpOutcome};
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
    progress: Option<liveness::Progress>,
    check: Option<HistoryChecker>,
    error: Option<FormatError>,
    writer: Option<HistoryWriter<Box<dyn Write + Send>>>,
    kept: Option<Vec<HistoryOp>>,
    /// When each `ok` operation completed (virtual ns), for the recovery figures.
    ok_ns: Vec<u64>,
    /// How stale the reads were ([`crate::check::staleness`]).
    staleness: Option<Staleness>,
    /// The quorum store's quorums, for the staleness model.
    quorums: Option<Quorums>,
}

/// What the recorder gathered, once the history ended.
pub struct Recorded {
    /// All operations.
    pub total: OpTally,
    /// Per zone (index into the scenario's zones) that had operations.
    pub zones: Vec<(usize, OpTally)>,
    /// Each client's progress on each kind of operation, for the liveness check.
    pub progress: liveness::Progress,
    /// The linearizability verdict, or why the history could not be checked.
    pub check: Result<CheckReport, FormatError>,
    /// The history, if it was kept.
    pub history: Option<History>,
    /// Whether writing it (if it was streamed) succeeded.
    pub written: io::Result<()>,
    /// When each `ok` operation completed (virtual ns, in the order recorded).
    pub ok_ns: Vec<u64>,
    /// How stale the reads were.
    pub staleness: Option<StalenessFigures>,
}

impl Recorder {
    /// A recorder for a run of `s`, sending the history to `output`, checking it with
    /// `options` and judging progress within `liveness_bound`.
    pub fn new(s: &Scenario, output: HistoryOutput, options: Options, liveness_bound: SimDuration) -> Self {
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
            progress: Some(liveness::Progress::new(s.client_count(), liveness_bound)),
            check: Some(HistoryChecker::new(options)),
            error: None,
            writer,
            kept,
            ok_ns: Vec::new(),
            staleness: Some(Staleness::new()),
            quorums: (s.cluster.protocol == crate::scenario::Protocol::QUORUM).then(|| {
                let q = super::kv::quorum_config(s);
                Quorums { n: q.n, r: q.r, w: q.w, sloppy: q.sloppy }
            }),
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
            progress: self.progress.take().unwrap_or_else(|| liveness::Progress::new(0, SimDuration::ZERO)),
            check,
            history: self.kept.take().map(|ops| History { ops, ..History::new() }),
            written: self.writer.take().map_or(Ok(()), HistoryWriter::finish),
            ok_ns: std::mem::take(&mut self.ok_ns),
            staleness: self.staleness.take().map(|st| st.finish(self.quorums)),
        }
    }
}

impl OpSink for Recorder {
    fn op(&mut self, index: usize, op: HistoryOp) {
        self.total.add(&op);
        if op.outcome == OpOutcome::Ok
            && let Some(t) = op.complete_ns
        {
            self.ok_ns.push(t);
        }
        if let Some(z) = self.zone_of.get(op.client as usize).copied().flatten() {
            self.zones[z].add(&op);
        }
        if let Some(p) = &mut self.progress {
            p.push(&op);
        }
        if let Some(c) = &mut self.check
            && let Err(e) = c.push(index, &op)
        {
            self.error = Some(e);
            self.check = None;
        }
        if let Some(st) = &mut self.staleness {
            st.push(&op);
        }
        if let Some(w) = &mut self.writer {
            w.push(&op);
        }
        if let Some(k) = &mut self.kept {
            k.push(op);
        }
    }
}
