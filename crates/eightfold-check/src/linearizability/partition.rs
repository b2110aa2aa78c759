//! Checking many partitions under one budget.
//!
//! P-compositionality (Horn & Kroening 2015) lets each partition be checked alone, but
//! their costs differ wildly: in Porcupine's `c50-bad` history most keys are refuted in a
//! few thousand steps while two keys would exhaust memory. So partitions are interleaved
//! round-robin, a bounded slice of steps each, and the first one proven non-linearizable
//! ends the check. Porcupine gets the same effect by running partitions in parallel and
//! cancelling the rest; interleaving keeps one thread and a deterministic verdict.

use super::model::Model;
use super::search::{Progress, Search};
use super::watchdog::Timer;
use super::{Budget, Exhausted};

/// How the interleaved search ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Settled {
    /// Every partition is linearizable.
    AllLinearizable,
    /// This partition (an index into the caller's list) is not.
    Failed(usize),
    /// The budget ran out first; these partitions were still undecided.
    Exhausted { by: Exhausted, unresolved: Vec<usize> },
}

/// The outcome of [`interleave`] and what it cost.
pub(super) struct Interleaved {
    pub(super) settled: Settled,
    /// Steps taken.
    pub(super) steps: u64,
    /// The most bytes the searches held at once, as they account them.
    pub(super) memory: usize,
    /// The failed partition's [`Search::frontier`].
    pub(super) frontier: Option<u64>,
}

/// Runs the searches round-robin, `slice` steps at a time, until one fails, all succeed,
/// or `budget` is spent. Each search is paired with the caller's partition index. The
/// `timer`'s watchdog is polled between slices.
pub(super) fn interleave<M: Model>(
    mut searches: Vec<(usize, Search<'_, M>)>,
    budget: &Budget,
    slice: u64,
    timer: &Timer,
) -> Interleaved {
    let slice = slice.max(1);
    let mut steps = 0u64;
    let mut memory = 0usize;
    let done = |settled, steps, memory| Interleaved { settled, steps, memory, frontier: None };
    while !searches.is_empty() {
        let mut i = 0;
        while i < searches.len() {
            timer.poll(steps, budget);
            let left = budget.max_steps.saturating_sub(steps);
            if left == 0 {
                return done(exhausted(Exhausted::Steps(budget.max_steps), &searches), steps, memory);
            }
            let search = &mut searches[i].1;
            let before = search.steps();
            let progress = search.run(slice.min(left));
            steps += search.steps() - before;
            // Decided partitions free their memo tables; sum the rest (this one included:
            // what it held at the end of its slice counts, even if it is now decided).
            let held: usize = searches.iter().map(|(_, s)| s.memo_bytes()).sum();
            memory = memory.max(held);
            match progress {
                Progress::NotLinearizable => {
                    let frontier = searches[i].1.frontier();
                    return Interleaved { frontier, ..done(Settled::Failed(searches[i].0), steps, memory) };
                }
                Progress::Linearizable => {
                    searches.remove(i);
                }
                Progress::Running if held > budget.max_memory => {
                    return done(exhausted(Exhausted::Memory(budget.max_memory), &searches), steps, memory);
                }
                Progress::Running => i += 1,
            }
        }
    }
    done(Settled::AllLinearizable, steps, memory)
}

fn exhausted<M: Model>(by: Exhausted, searches: &[(usize, Search<'_, M>)]) -> Settled {
    Settled::Exhausted { by, unresolved: searches.iter().map(|(p, _)| *p).collect() }
}
