//! Shrinking a non-linearizable partition to a small counterexample.
//!
//! A counterexample is a set of operations *held* to what was observed (their result and
//! their interval) while every other operation is *relaxed*: it may or may not have taken
//! effect, at any point within its own interval, with any result. Relaxing only removes
//! constraints, so if the held set still cannot be linearized, neither can the history.
//! (Deleting operations instead would be unsound as an explanation: drop the write a read
//! saw, and the read alone "fails" for a reason that is not in the history.)
//!
//! Two stages, each using the search itself as the test "does this still fail?":
//!
//! 1. **Shortest failing prefix.** Cut the history just after the `k`-th call; operations
//!    still running at the cut become indeterminate and later ones vanish. Linearizability
//!    is prefix-closed, so failure is monotone in `k` and a binary search finds the
//!    shortest failing cut.
//! 2. **Delta debugging** (Zeller & Hildebrandt 2002, "Simplifying and isolating
//!    failure-inducing input") over the operations that completed before the cut: relax
//!    halves, quarters, … down to single operations, keeping every relaxation under which
//!    the history still fails. When it completes, relaxing any one held operation makes
//!    the history linearizable (the held set is 1-minimal).
//!
//! Every test runs under a step cap; a test that hits it counts as "not shown to fail", so
//! the result is always a proven counterexample, only perhaps not minimal.

use std::time::{Duration, Instant};

use super::Budget;
use super::model::Model;
use super::op::Operation;
use super::search::{Progress, Search, SearchOp};

/// The outcome of shrinking.
pub(super) struct Shrunk {
    /// The held operations (indices into the history), by call time.
    pub(super) held: Vec<usize>,
    /// The operations taking part, held or relaxed: those invoked up to the cut.
    pub(super) considered: usize,
    /// The cut: the call time of the last operation taking part (`None`: no cut).
    pub(super) cut: Option<u64>,
    /// True if relaxing any one held operation makes the history linearizable.
    pub(super) minimal: bool,
    /// The longest partial linearization found (indices into the history).
    pub(super) partial: Vec<usize>,
    /// Search steps spent.
    pub(super) steps: u64,
}

/// Shrinks `failing` (indices into `ops` of a partition proven not linearizable).
pub(super) fn shrink<M: Model>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    failing: &[usize],
    budget: &Budget,
) -> Shrunk {
    let mut order = failing.to_vec();
    order.sort_by_key(|&i| (ops[i].call, i));
    let mut tester = Tester {
        model,
        ops,
        left: budget.max_steps,
        per_test: (budget.max_steps / 4).max(1),
        deadline: budget.max_time.map(|t| (Instant::now(), t)),
        decisive: true,
        steps: 0,
    };

    // Stage 1: the shortest failing cut, all operations held. `hi = n + 1` is no cut.
    let all_held = vec![true; order.len()];
    let (mut lo, mut hi) = (1, order.len() + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let cut = Some(ops[order[mid - 1]].call);
        if tester.fails(&order[..mid], &all_held[..mid], cut) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let cut = (hi <= order.len()).then(|| ops[order[hi - 1]].call);
    order.truncate(hi.min(order.len()));
    // Stage 1 only narrows the history; minimality is judged by stage 2 alone.
    tester.decisive = true;

    // Stage 2: ddmin over the operations that completed before the cut (the others are
    // indeterminate there, so holding them constrains nothing).
    let candidates: Vec<usize> = (0..order.len())
        .filter(|&p| cut.is_none_or(|t| ops[order[p]].ret.is_some_and(|r| r < t)))
        .collect();
    let held = ddmin(candidates, |kept| {
        let mut mask = vec![false; order.len()];
        for &p in kept {
            mask[p] = true;
        }
        tester.fails(&order, &mask, cut)
    });
    let minimal = tester.decisive;
    let mut mask = vec![false; order.len()];
    for &p in &held {
        mask[p] = true;
    }
    let partial = tester
        .longest_partial(&order, &mask, cut)
        .into_iter()
        .map(|p| order[p])
        .collect();
    Shrunk {
        held: held.iter().map(|&p| order[p]).collect(),
        considered: order.len(),
        cut,
        minimal,
        partial,
        steps: tester.steps,
    }
}

/// Runs the "still fails?" tests under the shrinking budget.
struct Tester<'a, M: Model> {
    model: &'a M,
    ops: &'a [Operation<M::Input, M::Output>],
    left: u64,
    per_test: u64,
    deadline: Option<(Instant, Duration)>,
    /// False once a test was cut short.
    decisive: bool,
    steps: u64,
}

impl<'a, M: Model> Tester<'a, M> {
    fn out_of_budget(&self) -> bool {
        self.left == 0
            || self
                .deadline
                .is_some_and(|(start, limit)| start.elapsed() >= limit)
    }

    /// The search input: `subset[p]` held if `held[p]`, else relaxed; with `cut`, operations
    /// still running at the cut are indeterminate. Relaxed reads cannot matter: dropped.
    fn search_ops(
        &self,
        subset: &[usize],
        held: &[bool],
        cut: Option<u64>,
    ) -> Vec<SearchOp<'a, M::Input, M::Output>> {
        let ops = self.ops;
        subset
            .iter()
            .zip(held)
            .filter_map(|(&i, &held)| {
                let o = &ops[i];
                let ret = o.ret.unwrap_or(u64::MAX);
                let running = cut.is_some_and(|t| ret >= t);
                let (ret, output) = if running {
                    (u64::MAX, None)
                } else {
                    (ret, o.output.as_ref())
                };
                if held {
                    Some(SearchOp {
                        input: &o.input,
                        output,
                        call: o.call,
                        ret,
                        optional: false,
                    })
                } else {
                    (!self.model.is_read_only(&o.input)).then_some(SearchOp {
                        input: &o.input,
                        output: None,
                        call: o.call,
                        ret,
                        optional: true,
                    })
                }
            })
            .collect()
    }

    /// True if the configuration is proven not linearizable.
    fn fails(&mut self, subset: &[usize], held: &[bool], cut: Option<u64>) -> bool {
        if self.out_of_budget() {
            self.decisive = false;
            return false;
        }
        let mut search = Search::new(self.model, self.search_ops(subset, held, cut), false);
        let progress = search.run(self.per_test.min(self.left));
        self.steps += search.steps();
        self.left = self.left.saturating_sub(search.steps());
        match progress {
            Progress::NotLinearizable => true,
            Progress::Linearizable => false,
            Progress::Running => {
                self.decisive = false;
                false
            }
        }
    }

    /// The longest partial linearization of the configuration, as positions in `subset`.
    fn longest_partial(&mut self, subset: &[usize], held: &[bool], cut: Option<u64>) -> Vec<usize> {
        // Map search positions back to `subset` positions (relaxed reads were dropped).
        let kept: Vec<usize> = (0..subset.len())
            .filter(|&p| held[p] || !self.model.is_read_only(&self.ops[subset[p]].input))
            .collect();
        let mut search = Search::new(self.model, self.search_ops(subset, held, cut), true);
        search.run(self.per_test);
        self.steps += search.steps();
        search.longest().iter().map(|&p| kept[p as usize]).collect()
    }
}

/// Zeller's ddmin: a 1-minimal subset of `c` on which `fails` holds, given that it holds
/// on `c`. Only complements are tried (drop one chunk at a time; at two chunks that is the
/// same as keeping one): here a test with few operations held is the expensive kind, so
/// the tests stay well constrained for as long as possible.
fn ddmin(mut c: Vec<usize>, mut fails: impl FnMut(&[usize]) -> bool) -> Vec<usize> {
    let mut n = 2usize;
    while c.len() >= 2 {
        let chunks = split(&c, n);
        let mut reduced = false;
        for skip in 0..chunks.len() {
            let complement: Vec<usize> = chunks
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != skip)
                .flat_map(|(_, ch)| ch.iter().copied())
                .collect();
            if fails(&complement) {
                c = complement;
                n = (n - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if n >= c.len() {
                break;
            }
            n = (2 * n).min(c.len());
        }
    }
    c
}

/// Splits `c` into `n` contiguous chunks of near-equal size.
fn split(c: &[usize], n: usize) -> Vec<Vec<usize>> {
    let n = n.clamp(1, c.len().max(1));
    (0..n)
        .map(|i| c[i * c.len() / n..(i + 1) * c.len() / n].to_vec())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_everything_in_order() {
        let c: Vec<usize> = (0..7).collect();
        let parts = split(&c, 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), c);
        assert!(parts.iter().all(|p| !p.is_empty()));
    }

    #[test]
    fn ddmin_finds_a_one_minimal_subset() {
        // Fails iff it contains both 3 and 11.
        let got = ddmin((0..20).collect(), |s| s.contains(&3) && s.contains(&11));
        assert_eq!(got, vec![3, 11]);
    }
}
