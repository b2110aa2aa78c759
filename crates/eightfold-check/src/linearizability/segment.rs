//! One partition checked piece by piece, holding only the part of its history still open.
//!
//! # The idea
//!
//! Within a partition, a *quiescent point* is an instant at which no operation that returns
//! is running: each one invoked before it has returned before it. Such a point cuts the
//! partition's history into two parts that real time orders completely (every operation of
//! the first part returned before any operation of the second was called), so every
//! linearization is one of the first part followed by one of the second. The second part
//! therefore only needs to know where the first can leave the model: its *end
//! configurations*.
//!
//! Operations that never returned (timeouts, Jepsen's `info`) are the exception: they may
//! take effect at any point after their call, also after the cut, or never. So a
//! configuration is a model state *and* the indeterminate operations still pending; the
//! pending ones are carried into the next part, where they may take effect anywhere, or
//! never (at the very end, where an unknown result is legal in every state). Nothing is
//! assumed about when a timed-out operation took effect, so cutting is exact: the segmented
//! check says "linearizable" if and only if the whole-history search would.
//!
//! A [`Lane`] holds a partition's open segment, the indeterminate operations it carries and
//! its frontier of configurations. When the next operation is called after every open one
//! returned, and the segment has at least [`Options::min_segment`](super::Options)
//! operations ([`MIN_SEGMENT`] by default), the lane searches the
//! segment from every frontier configuration for *every* end configuration
//! ([`Goal::Ends`]). That search is exhaustive, so it may cost far more than finding one
//! linearization: concurrent appends that no read ever looks at can end in any of their
//! orders, and an exhaustive search enumerates them all. So it runs under a step cap
//! proportional to the segment ([`CUT_STEPS_PER_OP`], between [`CUT_STEPS_MIN`] and
//! [`CUT_STEPS_MAX`]), and a segment that does not settle within it (or leaves more than
//! [`MAX_FRONTIER`] configurations) is not cut there: it grows and is tried again at a
//! later quiescent point once twice as long. The attempts that fail thus cost at most a
//! constant number of steps per operation overall, and a partition that never settles is
//! simply held whole and searched once at the end, as the whole-history check would.
//! Cutting is an optimisation the verdict never depends on. A configuration covered by another (the same
//! state with a superset of the pending operations: anything reachable from it is reachable
//! from the other by leaving the extra operations pending) is dropped.

use super::Budget;
use super::model::Model;
use super::op::Operation;
use super::search::{End, Goal, Progress, Root, Search, SearchOp};

/// By default a segment is only cut once it holds this many operations (fewer searches,
/// each still small).
pub(super) const MIN_SEGMENT: usize = 32;

/// Steps per operation held that an exhaustive search of a segment may take before the
/// lane gives up cutting there (searches that settle take about four).
pub(super) const CUT_STEPS_PER_OP: u64 = 16;

/// The least step cap of a cut.
pub(super) const CUT_STEPS_MIN: u64 = 2_000;

/// The greatest step cap of a cut.
pub(super) const CUT_STEPS_MAX: u64 = 200_000;

/// The most end configurations a cut may leave.
pub(super) const MAX_FRONTIER: usize = 64;

/// An operation with its index in the caller's history.
#[derive(Clone, Debug)]
pub(super) struct Indexed<I, O> {
    /// Where it is in the caller's history (counterexamples name it).
    pub(super) index: usize,
    /// The operation.
    pub(super) op: Operation<I, O>,
}

/// Where the history before the open segment may have left the partition.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Config<S> {
    state: S,
    /// Positions in `carried` of the indeterminate operations that have not taken effect.
    pending: Vec<u32>,
}

/// What a failing lane hands over to build its counterexample.
pub(super) struct FailedSegment<M: Model> {
    /// The carried indeterminate operations, then the segment's own, in call order.
    pub(super) ops: Vec<Indexed<M::Input, M::Output>>,
    /// The configurations the segment was searched from (preset operations are positions
    /// in `ops`).
    pub(super) roots: Vec<Root<M::State>>,
    /// How many of `ops` were carried in.
    pub(super) carried: usize,
    /// Operations of the partition before the segment.
    pub(super) before: usize,
    /// When the segment starts (the call of its first operation), if it follows a cut.
    pub(super) cut: Option<u64>,
}

/// How an attempt to cut went.
enum Cut {
    /// The segment is closed; the frontier moved past it.
    Done,
    /// The segment stays open (too costly to settle now).
    Kept,
    /// No configuration explains the segment: the partition is not linearizable.
    Failed,
}

/// One partition being checked piece by piece.
pub(super) struct Lane<M: Model> {
    /// The partition's label, for people.
    pub(super) label: String,
    carried: Vec<Indexed<M::Input, M::Output>>,
    frontier: Vec<Config<M::State>>,
    open: Vec<Indexed<M::Input, M::Output>>,
    /// The latest return among the open operations that return.
    horizon: u64,
    /// How many open operations return.
    returning: usize,
    /// Try to cut once `open` holds this many operations.
    next_try: usize,
    /// The shortest segment worth cutting.
    min_segment: usize,
    /// Operations of the partition before the open segment.
    before: usize,
    /// When the open segment starts, if it follows a cut.
    cut: Option<u64>,
    /// Search steps spent cutting.
    pub(super) steps: u64,
    /// The most bytes a cut's search held, as it accounts them.
    pub(super) memory: usize,
}

impl<M: Model> Lane<M> {
    /// A partition with no operations yet, in the model's initial state, cut into segments
    /// of at least `min_segment` operations.
    pub(super) fn new(label: String, model: &M, min_segment: usize) -> Self {
        let min_segment = min_segment.max(1);
        Lane {
            label,
            carried: Vec::new(),
            frontier: vec![Config { state: model.init(), pending: Vec::new() }],
            open: Vec::new(),
            horizon: 0,
            returning: 0,
            next_try: min_segment,
            min_segment,
            before: 0,
            cut: None,
            steps: 0,
            memory: 0,
        }
    }

    /// Operations held: carried and open.
    pub(super) fn held(&self) -> usize {
        self.carried.len() + self.open.len()
    }

    /// Adds the partition's next operation (operations must come in call order), first
    /// closing the open segment if `op` starts after all of it. `Err` if that segment
    /// cannot be linearized from any configuration: the partition is not linearizable,
    /// and [`Lane::into_failed`] has the evidence. `fast` lets an append-only segment be
    /// settled without search.
    pub(super) fn push(
        &mut self,
        model: &M,
        index: usize,
        op: Operation<M::Input, M::Output>,
        budget: &Budget,
        fast: bool,
    ) -> Result<(), ()> {
        debug_assert!(self.open.last().is_none_or(|o| o.op.call <= op.call), "operations out of call order");
        if self.cuts_before(op.call) {
            match self.try_cut(model, budget, op.call, fast) {
                Cut::Done | Cut::Kept => {}
                Cut::Failed => return Err(()),
            }
        }
        if let Some(ret) = op.ret {
            self.horizon = self.horizon.max(ret);
            self.returning += 1;
        }
        self.open.push(Indexed { index, op });
        Ok(())
    }

    /// True if pushing an operation called at `call` first tries to cut the open segment
    /// (it started after every open operation returned, and the segment is long enough).
    pub(super) fn cuts_before(&self, call: u64) -> bool {
        self.returning > 0 && self.open.len() >= self.next_try && self.horizon < call
    }

    /// The search input: carried operations, then the open ones.
    fn search_ops(&self) -> Vec<SearchOp<'_, M::Input, M::Output>> {
        self.carried
            .iter()
            .chain(&self.open)
            .map(|o| SearchOp {
                input: &o.op.input,
                output: o.op.output.as_ref(),
                call: o.op.call,
                ret: o.op.ret.unwrap_or(u64::MAX),
                optional: false,
            })
            .collect()
    }

    /// One root per frontier configuration: the carried operations not pending are applied.
    fn roots(&self) -> Vec<Root<M::State>> {
        self.frontier
            .iter()
            .map(|c| Root {
                state: c.state.clone(),
                applied: (0..self.carried.len() as u32)
                    .filter(|p| c.pending.binary_search(p).is_err())
                    .collect(),
            })
            .collect()
    }

    /// Searches the open segment for every end configuration and, if that settles within
    /// the limits, moves the frontier past it; `at` is the call of the next operation.
    fn try_cut(&mut self, model: &M, budget: &Budget, at: u64, fast: bool) -> Cut {
        let cap = (CUT_STEPS_PER_OP * self.held() as u64).clamp(CUT_STEPS_MIN, CUT_STEPS_MAX);
        let mut search = Search::with_roots(model, self.search_ops(), self.roots(), Goal::Ends, false, fast);
        let progress = search.run(cap.min(budget.max_steps));
        let steps = search.steps();
        let bytes = search.memo_bytes();
        let too_big = bytes > budget.max_memory;
        let ends = search.take_ends();
        drop(search);
        self.memory = self.memory.max(bytes);
        self.steps += steps;
        match progress {
            Progress::NotLinearizable => return Cut::Failed,
            Progress::Linearizable if !too_big => {
                let ends = uncovered(ends);
                if ends.len() <= MAX_FRONTIER {
                    self.advance(ends, at);
                    return Cut::Done;
                }
            }
            _ => {}
        }
        self.next_try = 2 * self.open.len();
        Cut::Kept
    }

    /// Closes the open segment: `ends` (positions into carried ++ open) become the frontier.
    fn advance(&mut self, ends: Vec<End<M::State>>, at: u64) {
        self.before += self.open.len();
        let mut pool: Vec<Option<Indexed<M::Input, M::Output>>> = std::mem::take(&mut self.carried)
            .into_iter()
            .chain(std::mem::take(&mut self.open))
            .map(Some)
            .collect();
        let mut still: Vec<u32> = ends.iter().flat_map(|e| e.pending.iter().copied()).collect();
        still.sort_unstable();
        still.dedup();
        self.carried = still.iter().map(|&p| pool[p as usize].take().expect("each position once")).collect();
        self.frontier = ends
            .into_iter()
            .map(|e| Config {
                state: e.state,
                pending: e
                    .pending
                    .iter()
                    .map(|p| still.binary_search(p).expect("a pending operation is carried") as u32)
                    .collect(),
            })
            .collect();
        self.cut = Some(at);
        self.horizon = 0;
        self.returning = 0;
        self.next_try = self.min_segment;
    }

    /// A search of everything held, from every frontier configuration, for one
    /// linearization: the lane's last segment, when the history ends.
    pub(super) fn final_search<'a>(&'a self, model: &'a M, fast: bool) -> Search<'a, M> {
        Search::with_roots(model, self.search_ops(), self.roots(), Goal::First, false, fast)
    }

    /// The evidence of a failed segment (the open one, with what it was searched from).
    pub(super) fn into_failed(self) -> FailedSegment<M> {
        let roots = self.roots();
        let carried = self.carried.len();
        FailedSegment {
            ops: self.carried.into_iter().chain(self.open).collect(),
            roots,
            carried,
            before: self.before,
            cut: self.cut,
        }
    }

    /// The states of the frontier (for describing where a failed segment started).
    pub(super) fn frontier_states(&self) -> impl Iterator<Item = &M::State> {
        self.frontier.iter().map(|c| &c.state)
    }
}

/// The end configurations no other one covers (same state, a superset of the pending
/// operations).
pub(super) fn uncovered<S: Eq>(mut ends: Vec<End<S>>) -> Vec<End<S>> {
    if ends.len() > 4 * MAX_FRONTIER {
        return ends; // too many to compare pairwise; the caller will not cut anyway
    }
    let covers = |a: &End<S>, b: &End<S>| {
        a.state == b.state
            && a.pending.len() > b.pending.len()
            && b.pending.iter().all(|p| a.pending.contains(p))
    };
    let covered: Vec<bool> = ends.iter().map(|e| ends.iter().any(|f| covers(f, e))).collect();
    let mut keep = covered.iter().map(|c| !c);
    ends.retain(|_| keep.next().unwrap_or(true));
    ends
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::cell::{CellOp, CellResult, Value};
    use crate::linearizability::register::Register;

    fn budget() -> Budget {
        Budget { max_steps: 1_000_000, max_memory: usize::MAX }
    }

    fn write(val: &str, call: u64, ret: u64) -> Operation<CellOp, CellResult> {
        Operation::completed(0, CellOp::Write(Value::from(val)), CellResult::Done, call, ret)
    }

    fn read(seen: Option<&str>, call: u64, ret: u64) -> Operation<CellOp, CellResult> {
        Operation::completed(1, CellOp::Read, CellResult::Read(seen.map(Value::from)), call, ret)
    }

    #[test]
    fn sequential_operations_are_cut_and_forgotten() {
        let model = Register::default();
        let mut lane = Lane::new("r".into(), &model, MIN_SEGMENT);
        for i in 0..200u64 {
            let v = format!("{}", i / 2);
            let op =
                if i % 2 == 0 { write(&v, 10 * i, 10 * i + 5) } else { read(Some(&v), 10 * i, 10 * i + 5) };
            lane.push(&model, i as usize, op, &budget(), true).expect("linearizable");
        }
        assert!(lane.held() < 2 * MIN_SEGMENT, "holds {}", lane.held());
        assert_eq!(lane.before + lane.open.len(), 200);
        assert_eq!(lane.frontier.len(), 1, "sequential operations leave one state");
        let mut search = lane.final_search(&model, true);
        assert_eq!(search.run(10_000), Progress::Linearizable);
    }

    #[test]
    fn a_stale_read_after_a_cut_fails_and_names_the_carried_state() {
        let model = Register::default();
        // Segments of one operation: every quiescent point is a cut.
        let mut lane = Lane::new("r".into(), &model, 1);
        for i in 0..4 {
            lane.push(&model, i, write("a", 10 * i as u64, 10 * i as u64 + 1), &budget(), true)
                .expect("fine");
        }
        lane.push(&model, 4, read(Some("a"), 40, 41), &budget(), true).expect("fine");
        assert_eq!((lane.before, lane.cut), (4, Some(40)));
        lane.push(&model, 5, write("b", 50, 51), &budget(), true).expect("fine");
        lane.push(&model, 6, read(Some("b"), 60, 61), &budget(), true).expect("fine");
        lane.push(&model, 7, read(Some("a"), 80, 81), &budget(), true).expect("fine");
        // The stale read is refuted when the next operation closes its segment.
        assert!(lane.push(&model, 8, read(Some("b"), 90, 91), &budget(), true).is_err());
        let failed = lane.into_failed();
        assert_eq!((failed.before, failed.cut), (7, Some(80)));
        assert_eq!(failed.ops.iter().map(|o| o.index).collect::<Vec<_>>(), vec![7]);
        assert_eq!(failed.roots.len(), 1);
        assert_eq!(failed.roots[0].state, Some(Value::from("b")));
    }

    #[test]
    fn a_timed_out_write_stays_pending_across_cuts() {
        let model = Register::default();
        let mut lane = Lane::new("r".into(), &model, MIN_SEGMENT);
        lane.push(
            &model,
            0,
            Operation::indeterminate(2, CellOp::Write(Value::from("x")), 0),
            &budget(),
            true,
        )
        .expect("fine");
        let mut t = 10;
        for i in 0..3 * MIN_SEGMENT {
            lane.push(&model, 1 + i, read(None, t, t + 1), &budget(), true).expect("fine");
            t += 10;
        }
        // The write never showed up so far, but may still take effect: carried, pending.
        assert_eq!(lane.carried.len(), 1);
        assert!(lane.frontier.iter().any(|c| c.pending == [0] && c.state.is_none()));
        lane.push(&model, 500, read(Some("x"), t, t + 1), &budget(), true).expect("fine");
        let mut t2 = t + 10;
        for i in 0..MIN_SEGMENT {
            lane.push(&model, 501 + i, read(Some("x"), t2, t2 + 1), &budget(), true).expect("fine");
            t2 += 10;
        }
        let mut search = lane.final_search(&model, true);
        assert_eq!(search.run(10_000), Progress::Linearizable);
        drop(search);
        // Once it has shown, reading nil again is not possible.
        let r = (0..MIN_SEGMENT + 1).try_for_each(|i| {
            lane.push(
                &model,
                600 + i,
                read(None, t2 + 10 * i as u64, t2 + 10 * i as u64 + 1),
                &budget(),
                true,
            )
        });
        let failed_now = r.is_err() || {
            let mut s = lane.final_search(&model, true);
            s.run(100_000) == Progress::NotLinearizable
        };
        assert!(failed_now);
    }

    #[test]
    fn covered_configurations_are_dropped() {
        let e = |state: Option<&str>, pending: Vec<u32>| End { state: state.map(Value::from), pending };
        let kept = uncovered(vec![e(Some("a"), vec![0]), e(Some("a"), vec![0, 1]), e(None, vec![0])]);
        assert_eq!(kept, vec![e(Some("a"), vec![0, 1]), e(None, vec![0])]);
    }
}
