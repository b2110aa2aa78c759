//! The linearizability checker: is there an order of the history's operations, consistent
//! with real time, in which a sequential specification (a [`Model`]) explains every result?
//!
//! # The idea
//!
//! An operation is a call at one time and a return at a later time. A history is
//! *linearizable* (Herlihy & Wing 1990) if each operation can be given an instant between
//! its call and its return at which it takes effect atomically, such that the model,
//! applying the operations in that order, produces exactly the results the clients saw.
//!
//! The search is Wing & Gong's backtracking algorithm (1993) with Lowe's memoization of
//! (linearized set, state) pairs ("Testing for linearizability", 2017), as implemented by
//! Porcupine, plus one sound reduction: a legal read goes first without branching. Before
//! searching, the history is split by the model's partition function (per key for a
//! key-value store) and the parts are checked independently (P-compositionality, Horn &
//! Kroening 2015), interleaved under one shared [`Budget`] so one expensive key cannot
//! starve the rest. A partition of appends and reads only is decided without search: a
//! read of an appended value pins the order of everything before it (see the `append`
//! module), which turns the search's worst case into one linear pass.
//!
//! Operations whose outcome is unknown (Jepsen `info`, a timeout) may take effect at any
//! point after their call, or never: they get an infinite return time and an output every
//! state accepts. Operations that definitely did not happen (`fail`) are dropped by the
//! history formats before they get here.
//!
//! # Verdicts
//!
//! [`Verdict::Linearizable`], [`Verdict::NotLinearizable`] with a [`Counterexample`]
//! shrunk by delta debugging, or [`Verdict::Unknown`] when the budget runs out — never a
//! wrong "linearizable".
//!
//! # Budgets
//!
//! A [`Budget`] counts search steps and the bytes of search state the checker accounts
//! itself (memo entries and the states they hold), never elapsed time or the process's
//! memory, so a verdict, a counterexample and every figure but the timing ones are the same
//! on any machine under any load. The only wall-clock limit is an optional [`Watchdog`]: a
//! safety net that aborts, and never becomes a verdict.
//!
//! # Long histories
//!
//! [`check`] and [`check_history`] search a whole history held in memory. A run checks its
//! history as it is recorded instead ([`Incremental`], [`HistoryChecker`]): each partition
//! is cut at *quiescent points*, instants when none of its operations is running, and only
//! the part after the last cut is held, with the set of configurations the part before it
//! can end in. That is exact, not an approximation (see the `segment` module), so memory
//! follows the concurrency of the history, not its length.
//!
//! ```
//! use eightfold_check::linearizability::{check_history, Options, Verdict};
//! use eightfold_check::history::{History, HistoryOp, OpKind, OpOutcome};
//!
//! let op = |client, op, value: Option<&str>, read: Option<Option<&str>>, t0, t1| HistoryOp {
//!     client, op, key: "k".into(), value: value.map(Into::into), expected: None,
//!     invoke_ns: t0, complete_ns: Some(t1), outcome: OpOutcome::Ok,
//!     read: read.map(|r| r.map(Into::into)), applied: None,
//! };
//! let mut history = History::new();
//! history.ops.push(op(0, OpKind::Put, Some("a"), None, 0, 10));
//! history.ops.push(op(1, OpKind::Get, None, Some(Some("a")), 20, 30));
//! history.ops.push(op(1, OpKind::Get, None, Some(None), 40, 50)); // stale: "a" was there
//! let report = check_history(&history, &Options::default()).unwrap();
//! assert!(matches!(report.verdict, Verdict::NotLinearizable(_)));
//! ```

mod append;
mod bitset;
mod cell;
mod counterexample;
mod events;
mod incremental;
mod kv;
mod memo;
mod minimize;
mod model;
mod op;
mod partition;
mod register;
mod search;
mod segment;
mod watchdog;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

pub use cell::{CellOp, CellResult, CellState, Value};
pub use counterexample::{CarriedIn, Counterexample, CounterexampleOp, Notation, PartialStep};
pub use incremental::{Incremental, check_segmented};
pub use kv::{Key, KeyValue, KeyedOp, KvOperation, NotOneKey, single_register};
pub use model::{Model, OpText, Partition, TextOp};
pub use op::Operation;
pub use register::Register;
pub use search::SLOWDOWN_ENV;
pub use watchdog::{Overrun, Watchdog};

use crate::formats::{self, FormatError};
use crate::history::{History, HistoryOp, OpOutcome};
use partition::Settled;
use search::{Root, Search, SearchOp};
use watchdog::Timer;

/// Limits on a search, in deterministic units: whichever runs out first ends it with
/// [`Verdict::Unknown`]. Neither depends on the machine or its load, so the same history and
/// budget always give the same verdict and the same counterexample.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Search steps (one step = one event visited; the append-only decision charges one
    /// per operation and value it reads). Also bounds time: a step costs microseconds.
    pub max_steps: u64,
    /// Bytes of search state held at once, as the checker accounts them: memo tables
    /// (their arrays, and the heap data of every state recorded, such as a long appended
    /// value) and end configurations. So parallel sweeps stay within memory.
    pub max_memory: usize,
}

impl Budget {
    /// The default budget for deciding: 20 million steps, 512 MiB.
    pub const DECIDE: Budget = Budget { max_steps: 20_000_000, max_memory: 512 << 20 };
    /// The default budget for shrinking a counterexample: 16 million steps, 512 MiB.
    pub const SHRINK: Budget = Budget { max_steps: 16_000_000, max_memory: 512 << 20 };
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} steps, {} MiB", self.max_steps, self.max_memory >> 20)
    }
}

/// How to check.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The budget for deciding linearizability.
    pub budget: Budget,
    /// Steps a partition runs before the next partition's turn.
    pub slice_steps: u64,
    /// The budget for shrinking a counterexample; `None` reports the whole failing
    /// partition without shrinking.
    pub shrink: Option<Budget>,
    /// Checking as the history is recorded ([`Incremental`]): a partition is cut at a
    /// quiescent point only once its open segment holds this many operations (at least 1).
    pub min_segment: usize,
    /// Take the exact shortcuts: decide append-only partitions without search (the
    /// `append` module), and drop a configuration as soon as the next read due can no
    /// longer see its value ([`Model::may_still_observe`]). Off only to compare them with
    /// the plain search.
    pub shortcuts: bool,
    /// A wall-clock safety net: past it the check aborts through the watchdog (never a
    /// verdict). `None`: no limit.
    pub watchdog: Option<Watchdog>,
}

impl Default for Options {
    /// To decide: [`Budget::DECIDE`]. To shrink: [`Budget::SHRINK`]. Segments of at least
    /// 32 operations; the shortcuts on; no watchdog.
    fn default() -> Self {
        Options {
            budget: Budget::DECIDE,
            slice_steps: 10_000,
            shrink: Some(Budget::SHRINK),
            min_segment: segment::MIN_SEGMENT,
            shortcuts: true,
            watchdog: None,
        }
    }
}

/// The checker's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some order of the operations, consistent with real time, explains every result.
    Linearizable,
    /// No order does; here is a small set of operations that shows it.
    NotLinearizable(Box<Counterexample>),
    /// The budget ran out before the answer was known.
    Unknown {
        /// Which budget, and what was left undecided.
        reason: UnknownReason,
    },
}

/// Why a check could not decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownReason {
    /// The budget that ran out.
    pub exhausted: Exhausted,
    /// The partitions still undecided (labels, e.g. `key "0"`).
    pub unresolved: Vec<String>,
}

/// Which budget ran out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Exhausted {
    /// The step budget.
    Steps(u64),
    /// The memory budget (bytes).
    Memory(usize),
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.exhausted {
            Exhausted::Steps(n) => write!(f, "the budget of {n} search steps ran out")?,
            Exhausted::Memory(b) => write!(f, "the memory budget of {} MiB ran out", b >> 20)?,
        }
        let n = self.unresolved.len();
        let shown: Vec<&str> = self.unresolved.iter().take(5).map(String::as_str).collect();
        let more = if n > shown.len() { ", ..." } else { "" };
        write!(
            f,
            " with {n} partition{} undecided ({}{more})",
            if n == 1 { "" } else { "s" },
            shown.join(", ")
        )
    }
}

/// What the check cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Operations searched (after dropping reads whose result is unknown: they cannot
    /// matter).
    pub ops: usize,
    /// Partitions the history split into.
    pub partitions: usize,
    /// Search steps spent deciding.
    pub steps: u64,
    /// The most bytes of search state held at once while deciding, as the checker accounts
    /// them against [`Budget::max_memory`] (deterministic).
    pub memory: usize,
    /// Wall-clock time spent deciding (a timing figure: it never decides anything).
    pub elapsed: Duration,
    /// Search steps spent shrinking the counterexample.
    pub shrink_steps: u64,
    /// Wall-clock time spent shrinking the counterexample (a timing figure).
    pub shrink_elapsed: Duration,
}

/// A verdict and what it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// The verdict.
    pub verdict: Verdict,
    /// The cost.
    pub stats: Stats,
}

impl CheckReport {
    /// One line: the verdict and the figures behind it.
    pub fn summary(&self) -> String {
        let s = &self.stats;
        let figures = format!(
            "{} ops in {} partition{}, {} steps, {:.1} MiB, {:.3} s",
            s.ops,
            s.partitions,
            if s.partitions == 1 { "" } else { "s" },
            s.steps,
            s.memory as f64 / f64::from(1 << 20),
            s.elapsed.as_secs_f64()
        );
        match &self.verdict {
            Verdict::Linearizable => format!("linearizable ({figures})"),
            Verdict::NotLinearizable(c) => format!(
                "not linearizable: {} ({figures}; counterexample of {} ops found in {} steps, {:.3} s)",
                c.partition,
                c.ops.len(),
                s.shrink_steps,
                s.shrink_elapsed.as_secs_f64()
            ),
            Verdict::Unknown { reason } => format!("unknown: {reason} ({figures})"),
        }
    }
}

/// Checks an eightfold history (`history.json`) against the key-value model, every key
/// initially absent. Errors if the history is malformed (a field missing or contradictory).
/// Counterexample operations are indexed into `history.ops`.
pub fn check_history(history: &History, options: &Options) -> Result<CheckReport, FormatError> {
    let ops = formats::eightfold::operations(history)?;
    let mut report = check(&KeyValue { initial: None }, &ops, options);
    if let Verdict::NotLinearizable(c) = &mut report.verdict {
        // `operations` keeps every operation but the `fail`ed ones, in order.
        let original: Vec<usize> =
            (0..history.ops.len()).filter(|&i| history.ops[i].outcome != OpOutcome::Fail).collect();
        for op in c.ops.iter_mut().chain(c.partial.iter_mut().map(|s| &mut s.op)) {
            op.index = original[op.index];
        }
    }
    Ok(report)
}

/// Checks an eightfold history operation by operation as it is recorded, holding only its
/// open part ([`Incremental`] over the key-value model, every key initially absent).
/// Counterexample operations are indexed by the position each operation was pushed with.
pub struct HistoryChecker {
    check: Incremental<KeyValue>,
    /// Each key seen, shared by its operations, and its lane (lookups only).
    keys: BTreeMap<Key, usize>,
}

impl HistoryChecker {
    /// A check with `options`.
    pub fn new(options: Options) -> Self {
        HistoryChecker { check: Incremental::new(KeyValue { initial: None }, options), keys: BTreeMap::new() }
    }

    /// Adds the next operation of the history (`index`: its position in `history.ops`).
    /// Operations must come in invocation order, as `history.json` has them. Errors if
    /// the operation is malformed (a field missing or contradictory).
    pub fn push(&mut self, index: usize, op: &HistoryOp) -> Result<(), FormatError> {
        let known = self.keys.get_key_value(op.key.as_str());
        let Some(o) = formats::eightfold::operation_keyed(op, || {
            known.map_or_else(|| Key::from(op.key.as_str()), |(k, _)| Key::clone(k))
        })
        .map_err(|(field, message)| FormatError::field(format!("ops[{index}].{field}"), message))?
        else {
            return Ok(()); // a `fail`: it did not happen
        };
        if !self.check.failed() {
            let lane = match known {
                Some((_, &lane)) => lane,
                None => {
                    // Labelled as the whole-history check labels a key's partition.
                    let lane = self.check.lane(&o.input.key, || format!("key {:?}", o.input.key));
                    self.keys.insert(Key::clone(&o.input.key), lane);
                    lane
                }
            };
            self.check.push(lane, index, o);
        }
        Ok(())
    }

    /// True once some key is known not to be linearizable (a live view, such as the lab's,
    /// can stop there and [`HistoryChecker::finish`] for the counterexample).
    pub fn failed(&self) -> bool {
        self.check.failed()
    }

    /// Ends the history and returns the verdict.
    #[must_use = "the report holds the verdict of the whole check"]
    pub fn finish(self) -> CheckReport {
        self.check.finish()
    }
}

/// Checks `ops` against `model`.
pub fn check<M: Model>(model: &M, ops: &[Operation<M::Input, M::Output>], options: &Options) -> CheckReport {
    let mut timer = Timer::new(options.watchdog);
    timer.start();
    let partitions = model.partition(ops);
    // Per partition, the operations that can matter: an observer whose output is unknown
    // (a timed-out read) constrains nothing.
    let kept: Vec<Vec<usize>> = partitions
        .iter()
        .map(|p| {
            p.ops
                .iter()
                .copied()
                .filter(|&i| ops[i].output.is_some() || !model.is_observer(&ops[i].input, None))
                .collect()
        })
        .collect();
    let searches = kept
        .iter()
        .enumerate()
        .map(|(p, idx)| {
            let sops = idx
                .iter()
                .map(|&i| {
                    let o = &ops[i];
                    SearchOp {
                        input: &o.input,
                        output: o.output.as_ref(),
                        call: o.call,
                        ret: o.ret.unwrap_or(u64::MAX),
                        optional: false,
                    }
                })
                .collect();
            (p, Search::new(model, sops, false, options.shortcuts))
        })
        .collect();
    let interleaved = partition::interleave(searches, &options.budget, options.slice_steps, &timer);
    let mut stats = Stats {
        ops: kept.iter().map(Vec::len).sum(),
        partitions: partitions.len(),
        steps: interleaved.steps,
        memory: interleaved.memory,
        elapsed: timer.elapsed(),
        ..Stats::default()
    };
    let (settled, frontier) = (interleaved.settled, interleaved.frontier);
    let verdict = match settled {
        Settled::AllLinearizable => Verdict::Linearizable,
        Settled::Exhausted { by, unresolved } => Verdict::Unknown {
            reason: UnknownReason {
                exhausted: by,
                unresolved: unresolved.iter().map(|&p| partitions[p].label.clone()).collect(),
            },
        },
        Settled::Failed(p) => {
            let roots = [Root { state: model.init(), applied: Vec::new() }];
            let c = counterexample(
                model,
                ops,
                &partitions[p].label,
                &kept[p],
                &roots,
                frontier,
                options,
                &timer,
                &mut stats,
            );
            stats.shrink_elapsed = timer.elapsed() - stats.elapsed;
            Verdict::NotLinearizable(Box::new(c))
        }
    };
    CheckReport { verdict, stats }
}

/// Builds the counterexample for a partition proven not linearizable from any of `roots`,
/// shrunk within `options.shrink` (the watchdog of `timer` still applies); `frontier` is the
/// deciding search's, if known (see `minimize::shrink`).
#[allow(clippy::too_many_arguments)]
fn counterexample<M: Model>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    label: &str,
    failing: &[usize],
    roots: &[Root<M::State>],
    frontier: Option<u64>,
    options: &Options,
    timer: &Timer,
    stats: &mut Stats,
) -> Counterexample {
    let shrunk = match &options.shrink {
        Some(budget) => {
            minimize::shrink(model, ops, failing, roots, frontier, budget, options.shortcuts, timer)
        }
        None => {
            let mut held = failing.to_vec();
            held.sort_by_key(|&i| (ops[i].call, i));
            minimize::Shrunk {
                held,
                context: 0,
                considered: failing.len(),
                cut: None,
                minimal: false,
                partial: Vec::new(),
                partial_root: 0,
                steps: 0,
            }
        }
    };
    stats.shrink_steps = shrunk.steps;
    let describe = |i: usize| {
        let o = &ops[i];
        let text = model.describe_operation(&o.input, o.output.as_ref());
        CounterexampleOp {
            index: i,
            client: o.client,
            kind: text.kind.to_string(),
            input: text.input,
            output: text.output,
            call: o.call,
            ret: o.ret,
        }
    };
    // Replay the partial linearization to describe the state after each step; relaxed
    // operations take effect with their result ignored, as in the search.
    let mut state = roots.get(shrunk.partial_root).map_or_else(|| model.init(), |r| r.state.clone());
    let initial_state = model.describe_state(&state);
    let mut partial = Vec::with_capacity(shrunk.partial.len());
    for i in shrunk.partial {
        let held = shrunk.held.contains(&i);
        let output = if held { ops[i].output.as_ref() } else { None };
        match model.step(&state, &ops[i].input, output) {
            Some(next) => state = next,
            None => break,
        }
        partial.push(PartialStep { op: describe(i), held, state_after: model.describe_state(&state) });
    }
    Counterexample {
        partition: label.to_string(),
        partition_ops: failing.len(),
        considered: shrunk.considered,
        context: shrunk.context,
        cut: shrunk.cut,
        ops: shrunk.held.iter().map(|&i| describe(i)).collect(),
        minimal: shrunk.minimal,
        initial_state,
        partial,
        carried_in: None,
    }
}

#[cfg(test)]
mod tests;
