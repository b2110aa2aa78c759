//! Checking a history while it is being recorded, one operation at a time, so that a long
//! run never holds its whole history: each partition is a [`Lane`] that cuts its history
//! at quiescent points and keeps only the open part (see [`segment`](super::segment) for
//! why that is exact).
//!
//! Operations arrive in call order (the order of `history.json`). A partition whose cut
//! fails ends the check at once: its counterexample is built from the failing segment and
//! the configurations it was searched from, and later operations are ignored. When the
//! history ends, the lanes' last segments are searched for one linearization each,
//! interleaved under the budget as the whole-history check does.
//!
//! # Budgets
//!
//! A long run is a sequence of small independent searches, so the [`Budget`]
//! (super::Budget) bounds each search rather than their sum: every cut's exhaustive search
//! (capped in proportion to its segment, where running out only means "do not cut here")
//! and the final search of the lanes' last segments (which yields [`Verdict::Unknown`] when
//! the budget runs out). The verdict of a run therefore does not depend on how long it ran.
//! The watchdog, if any, limits the wall-clock time spent in the check as a whole (cuts
//! and the final search), and only aborts.

use std::collections::BTreeMap;

use super::model::Model;
use super::op::Operation;
use super::partition::{self, Settled};
use super::search::Search;
use super::segment::{FailedSegment, Lane};
use super::watchdog::Timer;
use super::{CarriedIn, CheckReport, Counterexample, Options, Stats, UnknownReason, Verdict, counterexample};

/// A linearizability check fed one operation at a time.
pub struct Incremental<M: Model> {
    model: M,
    options: Options,
    lanes: Vec<Lane<M>>,
    /// Partition key → lane (its order is the order partitions are reported in).
    by_key: BTreeMap<String, usize>,
    /// The counterexample, once a partition failed.
    failure: Option<Box<Counterexample>>,
    stats: Stats,
    /// Time spent in the check so far (timing only; and the watchdog).
    timer: Timer,
}

impl<M: Model> Incremental<M> {
    /// A check of `model` with `options`.
    pub fn new(model: M, options: Options) -> Self {
        Incremental {
            model,
            options,
            lanes: Vec::new(),
            by_key: BTreeMap::new(),
            failure: None,
            stats: Stats::default(),
            timer: Timer::new(options.watchdog),
        }
    }

    /// True once some partition is known not to be linearizable (later operations are
    /// then ignored).
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Operations held right now (open segments and carried indeterminate operations).
    pub fn held(&self) -> usize {
        self.lanes.iter().map(Lane::held).sum()
    }

    /// The lane of the partition with `key`, created with the label `label()` when the
    /// partition's first operation arrives (even one that constrains nothing: it still
    /// counts as a partition, as in the whole-history check).
    pub fn lane(&mut self, key: &str, label: impl FnOnce() -> String) -> usize {
        if let Some(&l) = self.by_key.get(key) {
            return l;
        }
        self.lanes.push(Lane::new(label(), &self.model, self.options.min_segment));
        self.by_key.insert(key.to_string(), self.lanes.len() - 1);
        self.lanes.len() - 1
    }

    /// Adds the next operation of `lane` (from [`Incremental::lane`]). Operations must come
    /// in call order within each partition; `index` is the operation's place in the
    /// caller's history, which counterexamples name.
    pub fn push(&mut self, lane: usize, index: usize, op: Operation<M::Input, M::Output>) {
        if self.failure.is_some() {
            return;
        }
        // An observer whose output is unknown (a timed-out read) constrains nothing.
        if op.output.is_none() && self.model.is_observer(&op.input, None) {
            return;
        }
        self.stats.ops += 1;
        // Only a cut searches: the clock is read around it (and the watchdog polled after
        // it), not around the few steps of bookkeeping every other push is.
        let timed = self.lanes[lane].cuts_before(op.call);
        if timed {
            self.timer.start();
        }
        let (budget, fast) = (self.options.budget, self.options.shortcuts);
        let pushed = self.lanes[lane].push(&self.model, index, op, &budget, fast);
        if timed {
            self.timer.poll(self.lanes[lane].steps, &budget);
        }
        if pushed.is_err() {
            let lanes = std::mem::take(&mut self.lanes);
            self.stats.steps += lanes.iter().map(|l| l.steps).sum::<u64>();
            self.stats.memory = lanes.iter().map(|l| l.memory).max().unwrap_or(0);
            let lane = lanes.into_iter().nth(lane).expect("the lane exists");
            self.stats.elapsed = self.timer.elapsed();
            let c = self.explain(lane);
            self.stats.shrink_elapsed = self.timer.elapsed() - self.stats.elapsed;
            self.failure = Some(Box::new(c));
        }
        if timed {
            self.timer.stop();
        }
    }

    /// Ends the history and returns the verdict.
    #[must_use = "the report holds the verdict of the whole check"]
    pub fn finish(mut self) -> CheckReport {
        self.timer.start();
        self.stats.partitions = self.by_key.len();
        if let Some(c) = self.failure.take() {
            return CheckReport { verdict: Verdict::NotLinearizable(c), stats: self.stats };
        }
        self.stats.steps += self.lanes.iter().map(|l| l.steps).sum::<u64>();
        let cuts = self.lanes.iter().map(|l| l.memory).max().unwrap_or(0);
        // Key order, as the whole-history check orders partitions.
        let order: Vec<usize> = self.by_key.values().copied().collect();
        let fast = self.options.shortcuts;
        let searches: Vec<(usize, Search<'_, M>)> =
            order.iter().map(|&l| (l, self.lanes[l].final_search(&self.model, fast))).collect();
        let done =
            partition::interleave(searches, &self.options.budget, self.options.slice_steps, &self.timer);
        self.stats.steps += done.steps;
        self.stats.memory = cuts.max(done.memory);
        self.stats.elapsed = self.timer.elapsed();
        let verdict = match done.settled {
            Settled::AllLinearizable => Verdict::Linearizable,
            Settled::Exhausted { by, unresolved } => Verdict::Unknown {
                reason: UnknownReason {
                    exhausted: by,
                    unresolved: unresolved.iter().map(|&l| self.lanes[l].label.clone()).collect(),
                },
            },
            Settled::Failed(l) => {
                let lanes = std::mem::take(&mut self.lanes);
                let lane = lanes.into_iter().nth(l).expect("the lane exists");
                let c = self.explain(lane);
                self.stats.shrink_elapsed = self.timer.elapsed() - self.stats.elapsed;
                Verdict::NotLinearizable(Box::new(c))
            }
        };
        CheckReport { verdict, stats: self.stats }
    }

    /// The counterexample of a lane whose open segment cannot be linearized.
    fn explain(&mut self, lane: Lane<M>) -> Counterexample {
        let label = lane.label.clone();
        let mut states: Vec<String> = Vec::new();
        for s in lane.frontier_states() {
            let d = self.model.describe_state(s);
            if !states.contains(&d) {
                states.push(d);
            }
        }
        let FailedSegment { ops, roots, carried, before, cut } = lane.into_failed();
        let indices: Vec<usize> = ops.iter().map(|o| o.index).collect();
        let ops: Vec<Operation<M::Input, M::Output>> = ops.into_iter().map(|o| o.op).collect();
        let failing: Vec<usize> = (0..ops.len()).collect();
        let mut c = counterexample(
            &self.model,
            &ops,
            &label,
            &failing,
            &roots,
            None,
            &self.options,
            &self.timer,
            &mut self.stats,
        );
        for op in c.ops.iter_mut().chain(c.partial.iter_mut().map(|s| &mut s.op)) {
            op.index = indices[op.index];
        }
        if let Some(cut) = cut {
            c.carried_in = Some(CarriedIn { cut, before, states, pending: carried });
        }
        c
    }
}

/// Checks `ops` against `model` the way a run does: operation by operation in call order,
/// each partition cut at its quiescent points ([`Incremental`]). Gives the same verdict as
/// [`check`](super::check) whenever neither runs out of budget.
pub fn check_segmented<M>(model: &M, ops: &[Operation<M::Input, M::Output>], options: &Options) -> CheckReport
where
    M: Model + Clone,
    M::Input: Clone,
    M::Output: Clone,
{
    let partitions = model.partition(ops);
    let mut part = vec![0; ops.len()];
    for (p, partition) in partitions.iter().enumerate() {
        for &i in &partition.ops {
            part[i] = p;
        }
    }
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (ops[i].call, i));
    let mut check = Incremental::new(model.clone(), *options);
    for i in order {
        let label = &partitions[part[i]].label;
        let lane = check.lane(label, || label.clone());
        check.push(lane, i, ops[i].clone());
    }
    check.finish()
}
