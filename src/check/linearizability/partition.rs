//! Checking many partitions under one budget.
//!
//! P-compositionality (Horn & Kroening 2015) lets each partition be checked alone, but
//! their costs differ wildly: in Porcupine's `c50-bad` history most keys are refuted in a
//! few thousand steps while two keys would exhaust memory. So partitions are interleaved
//! round-robin, a bounded slice of steps each, and the first one proven non-linearizable
//! ends the check. Porcupine gets the same effect by running partitions in parallel and
//! cancelling the rest; interleaving keeps one thread and a deterministic verdict.

use std::time::Instant;

use super::model::Model;
use super::search::{Progress, Search};
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

/// Runs the searches round-robin, `slice` steps at a time, until one fails, all succeed,
/// or `budget` is spent. Each search is paired with the caller's partition index. Returns
/// the outcome and the steps taken.
pub(super) fn interleave<M: Model>(
    mut searches: Vec<(usize, Search<'_, M>)>,
    budget: &Budget,
    slice: u64,
    start: Instant,
) -> (Settled, u64) {
    let slice = slice.max(1);
    let mut steps = 0u64;
    while !searches.is_empty() {
        let mut i = 0;
        while i < searches.len() {
            let left = budget.max_steps.saturating_sub(steps);
            if left == 0 {
                return (exhausted(Exhausted::Steps(budget.max_steps), &searches), steps);
            }
            if let Some(limit) = budget.max_time
                && start.elapsed() >= limit
            {
                return (exhausted(Exhausted::Time(limit), &searches), steps);
            }
            // Decided partitions have freed their memo tables; sum the rest.
            if searches.iter().map(|(_, s)| s.memo_bytes()).sum::<usize>() > budget.max_memory {
                return (exhausted(Exhausted::Memory(budget.max_memory), &searches), steps);
            }
            let search = &mut searches[i].1;
            let before = search.steps();
            let progress = search.run(slice.min(left));
            steps += search.steps() - before;
            match progress {
                Progress::NotLinearizable => return (Settled::Failed(searches[i].0), steps),
                Progress::Linearizable => {
                    searches.remove(i);
                }
                Progress::Running => i += 1,
            }
        }
    }
    (Settled::AllLinearizable, steps)
}

fn exhausted<M: Model>(by: Exhausted, searches: &[(usize, Search<'_, M>)]) -> Settled {
    Settled::Exhausted { by, unresolved: searches.iter().map(|(p, _)| *p).collect() }
}
