//! The client operations as the charts draw them, gathered in one pass over the history
//! (read back from `history.json`, so a long run's history is never held whole).
//!
//! - counts by outcome, and per throughput bucket (`throughput::bucket_ns`);
//! - the latency range of all operations;
//! - one latency mark per operation — up to [`MAX_MARKS`] of them. A longer history is
//!   *thinned* deterministically: the plot is divided into a fine grid of cells (
//!   [`COLUMNS`] across the run, [`ROWS_PER_DECADE`] per decade of latency, one strip for
//!   operations without a reply) and only the first operation of each outcome in each cell
//!   is drawn. Cells are finer than a mark, so the cloud keeps its shape, its gaps and its
//!   outliers; what is lost is how many marks overlap;
//! - the operations a linearizability counterexample names, to ring them;
//! - every operation (up to [`TIMELINE_MAX`]) for the report's operation timeline, each with
//!   its client and a short description of what it asked and learned;
//! - the median and 99th percentile latency of the `ok` operations sent in each coarse time
//!   bucket ([`quantile_bucket_ns`]), for the quantiles-over-time chart.

use std::collections::HashSet;

use super::throughput::bucket_ns;
use crate::report::Outcome;
use crate::workload::history::{HistoryOp, OpKind, OpOutcome, read_history};

/// The operation timeline of `index.html` holds at most this many operations (the first
/// ones of the history, plus every operation a counterexample names); a longer history's
/// page says how many it leaves out.
pub const TIMELINE_MAX: usize = 20_000;

/// At most this many buckets across the run for the latency quantiles over time.
pub const QUANTILE_BUCKETS: u64 = 60;

/// The width of a latency-quantile bucket for a run ending at `end_ns`: a round number of
/// milliseconds giving at most [`QUANTILE_BUCKETS`] buckets.
pub fn quantile_bucket_ns(end_ns: u64) -> u64 {
    const MS: u64 = 1_000_000;
    let steps = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000];
    steps.iter().map(|s| s * MS).find(|&w| end_ns.div_ceil(w) <= QUANTILE_BUCKETS).unwrap_or(3_600_000 * MS)
}

/// What an operation asked and, when it got a reply, what it learned, in a few words:
/// `put k1 ← 7`, `get k1 → 7`, `get k1 → nothing`, `cas k1 3 → 4 (applied)` (or `(not
/// applied)`: the key did not hold 3).
pub fn describe(op: &HistoryOp) -> String {
    let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "nothing".to_string());
    match op.op {
        OpKind::Get => match (&op.read, op.outcome) {
            (Some(r), OpOutcome::Ok) => format!("get {} \u{2192} {}", op.key, v(r)),
            _ => format!("get {}", op.key),
        },
        OpKind::Put => format!("put {} \u{2190} {}", op.key, v(&op.value)),
        OpKind::Append => format!("append {} += {}", op.key, v(&op.value)),
        OpKind::Cas => {
            let asked = format!("cas {} {} \u{2192} {}", op.key, v(&op.expected), v(&op.value));
            match (op.applied, op.outcome) {
                (Some(true), OpOutcome::Ok) => format!("{asked} (applied)"),
                (Some(false), OpOutcome::Ok) => format!("{asked} (not applied)"),
                _ => asked,
            }
        }
    }
}

/// The median and 99th percentile latency (ms) of the `ok` operations sent in one bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantiles {
    /// The median, ms.
    pub p50_ms: f64,
    /// The 99th percentile, ms (nearest rank).
    pub p99_ms: f64,
    /// How many operations the bucket holds.
    pub count: usize,
}

impl Quantiles {
    /// The quantiles of `lat_ns` (sorted in place), or `None` if it is empty.
    pub fn of(lat_ns: &mut [u64]) -> Option<Self> {
        if lat_ns.is_empty() {
            return None;
        }
        lat_ns.sort_unstable();
        let rank = |q: f64| lat_ns[((q * lat_ns.len() as f64).ceil() as usize).clamp(1, lat_ns.len()) - 1];
        let ms = |ns: u64| (ns as f64 / 1e6).max(0.001);
        Some(Quantiles { p50_ms: ms(rank(0.5)), p99_ms: ms(rank(0.99)), count: lat_ns.len() })
    }
}

/// Histories with more operations than this get thinned latency marks.
pub const MAX_MARKS: usize = 100_000;

/// Grid columns across the run when thinning (about one per pixel of the plot; a mark is
/// four pixels wide).
pub const COLUMNS: u64 = 1024;

/// Grid rows per decade of latency when thinning (about one per pixel).
pub const ROWS_PER_DECADE: f64 = 100.0;

/// One operation's mark on the latency chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// Its position in the history.
    pub index: usize,
    /// When it was invoked, ns.
    pub invoke_ns: u64,
    /// When its outcome was learned, ns (none for `info`).
    pub complete_ns: Option<u64>,
    /// How it ended.
    pub outcome: OpOutcome,
    /// The client that sent it (0-based; printed `c1`).
    pub client: u32,
    /// What it asked and learned ([`describe`]).
    pub text: String,
}

/// An operation a counterexample names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    /// Its mark.
    pub mark: Mark,
    /// The client.
    pub client: u32,
    /// The operation.
    pub op: OpKind,
    /// The key.
    pub key: String,
}

/// What the charts need of a history.
#[derive(Clone, Debug, PartialEq)]
pub struct OpSeries {
    /// Operations: `ok`, `fail`, `info`.
    pub counts: [u64; 3],
    /// Width of a throughput bucket, ns.
    pub bucket_ns: u64,
    /// Per throughput bucket: `ok` and `fail` by completion, `info` by invocation.
    pub buckets: Vec<[u64; 3]>,
    /// Latency marks, in history order.
    pub marks: Vec<Mark>,
    /// True if `marks` was thinned (one per grid cell).
    pub thinned: bool,
    /// The least and greatest latency (ms, at least 0.001) of operations with a reply.
    pub latency_ms: Option<(f64, f64)>,
    /// The operations the linearizability counterexample names, in its order.
    pub named: Vec<Named>,
    /// When operations got their outcome, finely enough to find every stretch without one.
    pub flow: Flow,
    /// Every operation for the timeline, in history order: the first [`TIMELINE_MAX`], plus
    /// any the counterexample names after them.
    pub timeline: Vec<Mark>,
    /// Width of a latency-quantile bucket, ns ([`quantile_bucket_ns`]).
    pub quantile_ns: u64,
    /// Per quantile bucket (by when operations were sent): the latency quantiles of its `ok`
    /// operations, `None` if it has none.
    pub quantiles: Vec<Option<Quantiles>>,
}

/// When client operations got their outcome (`ok` or `fail`), kept per fine bucket as the
/// first and last completion in it and the earliest invocation among the operations that
/// completed in it.
///
/// Two completions in different buckets with only empty buckets between them are
/// consecutive, so every stretch without a completion that is at least one bucket wide is
/// found exactly, in memory bounded by the bucket count ([`Flow::BUCKETS`]); and an
/// operation of the next bucket invoked before the stretch began shows that a client was
/// waiting through all of it (a client thinking between operations is not a stall).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// Bucket width, ns.
    pub width_ns: u64,
    /// Per bucket: the first and last completion in it and the earliest invocation of an
    /// operation completed in it, ns (`None`: no completion).
    pub spans: Vec<Option<(u64, u64, u64)>>,
}

impl Flow {
    /// At most this many buckets, each at least [`Flow::MIN_WIDTH_NS`] wide.
    pub const BUCKETS: u64 = 16_384;
    /// The finest bucket, ns.
    pub const MIN_WIDTH_NS: u64 = 5_000_000;

    /// An empty flow for a run ending at `end_ns`.
    pub fn new(end_ns: u64) -> Self {
        let width_ns = end_ns.div_ceil(Self::BUCKETS).max(Self::MIN_WIDTH_NS);
        Flow { width_ns, spans: vec![None; end_ns.div_ceil(width_ns).max(1) as usize] }
    }

    /// Notes an operation sent at `invoke_ns` that completed at `complete_ns`.
    pub fn add(&mut self, invoke_ns: u64, complete_ns: u64) {
        let c = complete_ns;
        let b = ((c / self.width_ns) as usize).min(self.spans.len() - 1);
        self.spans[b] = Some(
            self.spans[b]
                .map_or((c, c, invoke_ns), |(lo, hi, inv)| (lo.min(c), hi.max(c), inv.min(invoke_ns))),
        );
    }

    /// The first and last completion, ns.
    pub fn range(&self) -> Option<(u64, u64)> {
        let first = self.spans.iter().flatten().next()?.0;
        let last = self.spans.iter().flatten().next_back()?.1;
        Some((first, last))
    }

    /// Every stretch `(a, b)` between two consecutive completions at least `min_ns` apart
    /// (`min_ns` at least one bucket wide, so none is missed) through which a client was
    /// waiting for an operation, in time order.
    pub fn gaps(&self, min_ns: u64) -> Vec<(u64, u64)> {
        let min_ns = min_ns.max(self.width_ns);
        let mut out = Vec::new();
        let mut last: Option<u64> = None;
        for &(lo, hi, invoked) in self.spans.iter().flatten() {
            if let Some(l) = last
                && lo - l >= min_ns
                && invoked <= l
            {
                out.push((l, lo));
            }
            last = Some(hi);
        }
        out
    }
}

/// The history indices of the operations the linearizability counterexample of `outcome`
/// names, in its order.
pub fn named_indices(outcome: &Outcome) -> Vec<usize> {
    outcome
        .linearizability
        .as_ref()
        .and_then(|l| l.counterexample.as_ref())
        .and_then(|c| c["ops"].as_array())
        .map(|ops| ops.iter().filter_map(|o| o["index"].as_u64()).map(|i| i as usize).collect())
        .unwrap_or_default()
}

impl OpSeries {
    /// The series of `ops` (in history order) for a run ending at `end_ns`, naming the
    /// operations at indices `named`.
    pub fn new<'a>(ops: impl IntoIterator<Item = &'a HistoryOp>, named: &[usize], end_ns: u64) -> Self {
        let mut b = OpSeriesBuilder::new(named.to_vec(), end_ns);
        for (i, op) in ops.into_iter().enumerate() {
            b.push(i, op);
        }
        b.finish()
    }

    /// The series of a `history.json` read from `input` one operation at a time (see
    /// [`OpSeries::new`]).
    pub fn read(input: impl std::io::Read, named: &[usize], end_ns: u64) -> Result<Self, serde_json::Error> {
        let mut b = OpSeriesBuilder::new(named.to_vec(), end_ns);
        read_history(input, |i, op| b.push(i, &op))?;
        Ok(b.finish())
    }

    /// Operations in the history.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The count of one outcome.
    pub fn count(&self, outcome: OpOutcome) -> u64 {
        self.counts[slot(outcome)]
    }
}

fn slot(o: OpOutcome) -> usize {
    match o {
        OpOutcome::Ok => 0,
        OpOutcome::Fail => 1,
        OpOutcome::Info => 2,
    }
}

/// Builds an [`OpSeries`] one operation at a time.
pub struct OpSeriesBuilder {
    series: OpSeries,
    end_ns: u64,
    /// Counterexample indices still to find.
    wanted: Vec<usize>,
    /// Occupied cells, once thinning.
    cells: HashSet<(u32, i32, u8)>,
    /// Per quantile bucket, the latencies of its `ok` operations, ns.
    latencies: Vec<Vec<u64>>,
}

impl OpSeriesBuilder {
    /// A builder for a run ending at `end_ns`, naming the operations at indices `wanted`.
    pub fn new(wanted: Vec<usize>, end_ns: u64) -> Self {
        let end_ns = end_ns.max(1);
        let width = bucket_ns(end_ns);
        OpSeriesBuilder {
            series: OpSeries {
                counts: [0; 3],
                bucket_ns: width,
                buckets: vec![[0; 3]; (end_ns.div_ceil(width) as usize).max(1)],
                marks: Vec::new(),
                thinned: false,
                latency_ms: None,
                named: Vec::new(),
                flow: Flow::new(end_ns),
                timeline: Vec::new(),
                quantile_ns: quantile_bucket_ns(end_ns),
                quantiles: Vec::new(),
            },
            end_ns,
            wanted,
            cells: HashSet::new(),
            latencies: vec![Vec::new(); end_ns.div_ceil(quantile_bucket_ns(end_ns)).max(1) as usize],
        }
    }

    /// Adds the operation at `index` of the history.
    pub fn push(&mut self, index: usize, op: &HistoryOp) {
        let s = &mut self.series;
        let k = slot(op.outcome);
        s.counts[k] += 1;
        if let (OpOutcome::Ok | OpOutcome::Fail, Some(c)) = (op.outcome, op.complete_ns) {
            s.flow.add(op.invoke_ns, c);
        }
        let (t, k) = match (op.outcome, op.complete_ns) {
            (OpOutcome::Ok | OpOutcome::Fail, Some(t)) => (t, k),
            _ => (op.invoke_ns, 2),
        };
        let b = ((t / s.bucket_ns) as usize).min(s.buckets.len() - 1);
        s.buckets[b][k] += 1;
        let mark = Mark {
            index,
            invoke_ns: op.invoke_ns,
            complete_ns: op.complete_ns,
            outcome: op.outcome,
            client: op.client,
            text: describe(op),
        };
        if let Some(ms) = latency_ms(&mark) {
            s.latency_ms = Some(s.latency_ms.map_or((ms, ms), |(lo, hi)| (lo.min(ms), hi.max(ms))));
        }
        if let (OpOutcome::Ok, Some(c)) = (op.outcome, op.complete_ns) {
            let b = ((op.invoke_ns / s.quantile_ns) as usize).min(self.latencies.len() - 1);
            self.latencies[b].push(c.saturating_sub(op.invoke_ns));
        }
        let named = self.wanted.contains(&index);
        if named {
            s.named.push(Named { mark: mark.clone(), client: op.client, op: op.op, key: op.key.clone() });
        }
        if s.timeline.len() < TIMELINE_MAX || named {
            s.timeline.push(mark.clone());
        }
        if !s.thinned && s.marks.len() == MAX_MARKS {
            s.thinned = true;
            let marks = std::mem::take(&mut s.marks);
            for m in marks {
                self.keep_thinned(m);
            }
        }
        if self.series.thinned {
            self.keep_thinned(mark);
        } else {
            self.series.marks.push(mark);
        }
    }

    /// Keeps `mark` if its cell has no mark of its outcome yet.
    fn keep_thinned(&mut self, mark: Mark) {
        let col = (u128::from(mark.invoke_ns) * u128::from(COLUMNS) / u128::from(self.end_ns)) as u32;
        let row = latency_ms(&mark).map_or(i32::MAX, |ms| (ms.log10() * ROWS_PER_DECADE).floor() as i32);
        if self.cells.insert((col, row, slot(mark.outcome) as u8)) {
            self.series.marks.push(mark);
        }
    }

    /// The series, with the named operations in the counterexample's order.
    pub fn finish(mut self) -> OpSeries {
        let order = &self.wanted;
        self.series.named.sort_by_key(|n| order.iter().position(|&i| i == n.mark.index));
        self.series.quantiles = self.latencies.iter_mut().map(|l| Quantiles::of(l)).collect();
        self.series
    }
}

/// The latency a mark is drawn at (ms, at least 0.001), or `None` in the no-reply strip.
pub fn latency_ms(m: &Mark) -> Option<f64> {
    match (m.outcome, m.complete_ns) {
        (OpOutcome::Info, _) | (_, None) => None,
        (_, Some(c)) => Some((c.saturating_sub(m.invoke_ns) as f64 / 1e6).max(0.001)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(i: u64, outcome: OpOutcome) -> HistoryOp {
        HistoryOp {
            client: (i % 7) as u32,
            op: OpKind::Get,
            key: "k1".into(),
            value: None,
            expected: None,
            invoke_ns: i * 1_000_000,
            complete_ns: (outcome != OpOutcome::Info)
                .then_some(i * 1_000_000 + 2_000_000 + (i % 13) * 10_000),
            outcome,
            read: None,
            applied: None,
        }
    }

    #[test]
    fn quantiles_are_nearest_rank_and_buckets_are_coarse() {
        let mut l: Vec<u64> = (1..=100).rev().map(|i| i * 1_000_000).collect();
        let q = Quantiles::of(&mut l).expect("not empty");
        assert_eq!((q.p50_ms, q.p99_ms, q.count), (50.0, 99.0, 100));
        let mut one = vec![3_000_000];
        let q = Quantiles::of(&mut one).expect("not empty");
        assert_eq!((q.p50_ms, q.p99_ms), (3.0, 3.0));
        assert!(Quantiles::of(&mut []).is_none());
        assert_eq!(quantile_bucket_ns(60_000_000_000), 1_000_000_000);
        assert_eq!(quantile_bucket_ns(10_000_000_000), 200_000_000);
        let ops: Vec<HistoryOp> = (0..1000).map(|i| op(i, OpOutcome::Ok)).collect();
        let s = OpSeries::new(&ops, &[], 1_010_000_000);
        assert_eq!(s.quantiles.iter().flatten().map(|q| q.count).sum::<usize>(), 1000);
        assert_eq!(s.timeline.len(), 1000);
        assert_eq!(s.timeline[5].text, "get k1");
    }

    #[test]
    fn descriptions_say_what_was_asked_and_learned() {
        let mut o = op(1, OpOutcome::Ok);
        o.read = Some(Some("7".into()));
        assert_eq!(describe(&o), "get k1 \u{2192} 7");
        o.read = Some(None);
        assert_eq!(describe(&o), "get k1 \u{2192} nothing");
        o.op = OpKind::Cas;
        o.expected = Some("3".into());
        o.value = Some("4".into());
        o.applied = Some(false);
        assert_eq!(describe(&o), "cas k1 3 \u{2192} 4 (not applied)");
        o.outcome = OpOutcome::Info;
        assert_eq!(describe(&o), "cas k1 3 \u{2192} 4");
    }

    #[test]
    fn the_flow_finds_every_stretch_a_client_waited_through_and_no_other() {
        let ms = 1_000_000;
        let mut f = Flow::new(10_000 * ms);
        // Completions every 2 ms up to 1 s; one operation sent at 0.99 s answered at 1.3 s; then
        // a client that thinks 400 ms between operations answered in 2 ms.
        for i in 0..500 {
            f.add(i * 2 * ms, i * 2 * ms + ms);
        }
        f.add(990 * ms, 1_300 * ms);
        f.add(1_700 * ms, 1_702 * ms);
        f.add(2_102 * ms, 2_104 * ms);
        assert_eq!(f.gaps(100 * ms), vec![(999 * ms, 1_300 * ms)]);
        assert_eq!(f.range(), Some((ms, 2_104 * ms)));
        assert!(f.gaps(400 * ms).is_empty(), "300 ms is shorter than the threshold");
    }

    #[test]
    fn short_histories_get_one_mark_per_operation() {
        let ops: Vec<HistoryOp> =
            (0..1000).map(|i| op(i, if i % 10 == 0 { OpOutcome::Info } else { OpOutcome::Ok })).collect();
        let s = OpSeries::new(&ops, &[17, 3], 2_000_000_000);
        assert_eq!(s.marks.len(), 1000);
        assert!(!s.thinned);
        assert_eq!(s.counts, [900, 0, 100]);
        assert_eq!(s.named.iter().map(|n| n.mark.index).collect::<Vec<_>>(), vec![17, 3]);
        assert_eq!(s.buckets.iter().map(|b| b.iter().sum::<u64>()).sum::<u64>(), 1000);
    }

    #[test]
    fn long_histories_are_thinned_to_one_mark_per_cell() {
        let n = 3 * MAX_MARKS as u64;
        let ops: Vec<HistoryOp> = (0..n).map(|i| op(i, OpOutcome::Ok)).collect();
        let end = n * 1_000_000 + 10_000_000;
        let s = OpSeries::new(&ops, &[], end);
        assert!(s.thinned);
        assert!(s.marks.len() < MAX_MARKS, "{} marks", s.marks.len());
        // 13 distinct latencies 10 us apart around 2 ms, a few grid rows: every column keeps
        // each row it had.
        let rows: HashSet<i32> = s
            .marks
            .iter()
            .map(|m| (latency_ms(m).expect("ok").log10() * ROWS_PER_DECADE).floor() as i32)
            .collect();
        assert!(rows.len() >= 2);
        assert_eq!(s.counts[0], n);
        let again = OpSeries::new(&ops, &[], end);
        assert_eq!(again, s, "thinning is deterministic");
    }
}
