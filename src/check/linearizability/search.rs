//! The search for a linearization of one partition: Wing & Gong's backtracking algorithm
//! with Lowe's memoization, as Porcupine implements it (Lowe 2017, "Testing for
//! linearizability", Concurrency and Computation 29(4); Wing & Gong 1993, "Testing and
//! verifying concurrent objects", JPDC 17).
//!
//! Walk the event list from the front. At a call event, try to linearize that operation
//! now: if the model accepts its output in the current state and the resulting
//! (linearized set, state) pair is new, push it on the stack, lift its events out of the
//! list and start again from the front. At a return event, the operation it belongs to
//! should already have been linearized (it returned before anything later was called), so
//! undo the most recent choice and try the next candidate after it. An empty list means
//! every operation found its place; backtracking from an empty stack means none can.
//!
//! The search is resumable: [`Search::run`] takes a number of steps and may return
//! [`Progress::Running`], so many partitions can share one budget.
//!
//! For shrinking counterexamples, an operation can be *optional*: reaching its return
//! event unlinearized, the search may also decide it never took effect (a "skip", undone
//! like any other choice). The main check never uses this.

use super::bitset::Bitset;
use super::events::{EventList, NIL, call_event, is_call, op_of};
use super::memo::Memo;
use super::model::Model;

/// One operation as the search needs it. `ret == u64::MAX` means it never returned.
pub(super) struct SearchOp<'a, I, O> {
    pub(super) input: &'a I,
    pub(super) output: Option<&'a O>,
    pub(super) call: u64,
    pub(super) ret: u64,
    /// It may also not take effect at all.
    pub(super) optional: bool,
}

impl<I, O> Clone for SearchOp<'_, I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for SearchOp<'_, I, O> {}

/// Where a search stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Progress {
    /// A linearization exists.
    Linearizable,
    /// None exists.
    NotLinearizable,
    /// Not decided yet: call [`Search::run`] again.
    Running,
}

/// A resumable linearizability search over one partition.
pub(super) struct Search<'a, M: Model> {
    model: &'a M,
    ops: Vec<SearchOp<'a, M::Input, M::Output>>,
    events: EventList,
    linearized: Bitset,
    /// The choices made, in order.
    stack: Vec<Frame<M::State>>,
    /// How many frames of `stack` linearized an operation (rather than skipping one).
    applied: usize,
    state: M::State,
    memo: Memo<M::State>,
    cursor: u32,
    steps: u64,
    /// The longest partial linearization seen, if asked to track it.
    longest: Option<Vec<u32>>,
    outcome: Progress,
}

/// One choice on the search stack.
struct Frame<S> {
    op: u32,
    /// The state before the choice.
    before: S,
    /// True if the operation was skipped (never took effect) rather than linearized.
    skipped: bool,
}

impl<'a, M: Model> Search<'a, M> {
    /// Prepares a search over `ops`; `track_longest` records the longest partial
    /// linearization (costs a copy of the stack each time it grows past the record).
    pub(super) fn new(
        model: &'a M,
        ops: Vec<SearchOp<'a, M::Input, M::Output>>,
        track_longest: bool,
    ) -> Self {
        let times: Vec<(u64, u64)> = ops.iter().map(|o| (o.call, o.ret)).collect();
        let events = EventList::new(&times);
        let linearized = Bitset::new(ops.len());
        let words = linearized.words().len();
        let cursor = events.first();
        Search {
            model,
            stack: Vec::with_capacity(ops.len()),
            applied: 0,
            ops,
            events,
            linearized,
            state: model.init(),
            memo: Memo::new(words),
            cursor,
            steps: 0,
            longest: track_longest.then(Vec::new),
            outcome: if cursor == NIL {
                Progress::Linearizable
            } else {
                Progress::Running
            },
        }
    }

    /// Steps taken so far.
    pub(super) fn steps(&self) -> u64 {
        self.steps
    }

    /// The longest partial linearization seen (operation indices in order), if tracked.
    pub(super) fn longest(&self) -> &[u32] {
        self.longest.as_deref().unwrap_or(&[])
    }

    /// Runs at most `max_steps` steps.
    pub(super) fn run(&mut self, max_steps: u64) -> Progress {
        if self.outcome != Progress::Running {
            return self.outcome;
        }
        let end = self.steps.saturating_add(max_steps);
        while self.steps < end {
            self.steps += 1;
            let event = self.cursor;
            let op = op_of(event);
            let placed = if is_call(event) {
                self.try_linearize(op)
            } else {
                // `op` returned without being linearized: it never took effect, if it may
                // not; otherwise undo choices up to the latest linearization.
                self.ops[op as usize].optional && self.try_skip(op)
            };
            if placed {
                self.cursor = self.events.first();
                if self.cursor == NIL {
                    self.outcome = Progress::Linearizable;
                    return self.outcome;
                }
            } else if is_call(event) {
                self.cursor = self.events.next(event);
            } else if !self.backtrack() {
                self.outcome = Progress::NotLinearizable;
                return self.outcome;
            }
        }
        Progress::Running
    }

    /// Linearizes `op` next if the model allows it and the configuration is new.
    fn try_linearize(&mut self, op: u32) -> bool {
        let o = &self.ops[op as usize];
        let Some(next) = self.model.step(&self.state, o.input, o.output) else {
            return false;
        };
        self.linearized.insert(op);
        if !self.memo.insert(&self.linearized, &next) {
            self.linearized.remove(op);
            return false;
        }
        let before = std::mem::replace(&mut self.state, next);
        self.push(Frame {
            op,
            before,
            skipped: false,
        });
        true
    }

    /// Decides that optional `op` never took effect, if that configuration is new.
    fn try_skip(&mut self, op: u32) -> bool {
        self.linearized.insert(op);
        if !self.memo.insert(&self.linearized, &self.state) {
            self.linearized.remove(op);
            return false;
        }
        self.push(Frame {
            op,
            before: self.state.clone(),
            skipped: true,
        });
        true
    }

    fn push(&mut self, frame: Frame<M::State>) {
        self.events.lift(frame.op);
        self.applied += usize::from(!frame.skipped);
        self.stack.push(frame);
        if let Some(longest) = &mut self.longest
            && self.applied > longest.len()
        {
            longest.clear();
            longest.extend(self.stack.iter().filter(|f| !f.skipped).map(|f| f.op));
        }
    }

    /// Undoes choices up to and including the latest linearization, and moves the cursor
    /// to the next candidate after it. (Undoing a skip leaves only backtracking further.)
    /// False if there is nothing left to undo.
    fn backtrack(&mut self) -> bool {
        while let Some(frame) = self.stack.pop() {
            self.state = frame.before;
            self.linearized.remove(frame.op);
            self.events.unlift(frame.op);
            if !frame.skipped {
                self.applied -= 1;
                self.cursor = self.events.next(call_event(frame.op));
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::linearizability::cell::{CellOp, CellResult, Value};
    use crate::check::linearizability::register::Register;

    fn op<'a>(
        input: &'a CellOp,
        output: Option<&'a CellResult>,
        call: u64,
        ret: u64,
    ) -> SearchOp<'a, CellOp, CellResult> {
        SearchOp {
            input,
            output,
            call,
            ret,
            optional: false,
        }
    }

    #[test]
    fn overlapping_write_and_read() {
        let w = CellOp::Write(Value::from("1"));
        let done = CellResult::Done;
        let r = CellOp::Read;
        let saw1 = CellResult::Read(Some(Value::from("1")));
        let saw_nil = CellResult::Read(None);
        let model = Register::default();
        // write [0,10] overlaps both reads; a read of nil then 1 is fine…
        let ops = vec![
            op(&w, Some(&done), 0, 10),
            op(&r, Some(&saw_nil), 1, 2),
            op(&r, Some(&saw1), 3, 4),
        ];
        assert_eq!(
            Search::new(&model, ops, false).run(1000),
            Progress::Linearizable
        );
        // …but 1 then nil is not.
        let ops = vec![
            op(&w, Some(&done), 0, 10),
            op(&r, Some(&saw1), 1, 2),
            op(&r, Some(&saw_nil), 3, 4),
        ];
        let mut s = Search::new(&model, ops, true);
        assert_eq!(s.run(1000), Progress::NotLinearizable);
        assert_eq!(s.longest().len(), 2);
    }

    #[test]
    fn optional_ops_may_not_take_effect() {
        let w1 = CellOp::Write(Value::from("1"));
        let r = CellOp::Read;
        let saw_nil = CellResult::Read(None);
        let model = Register::default();
        // A write that finished before a read of nil: illegal if it must happen…
        let ops = vec![op(&w1, None, 0, 1), op(&r, Some(&saw_nil), 2, 3)];
        assert_eq!(
            Search::new(&model, ops, false).run(100),
            Progress::NotLinearizable
        );
        // …fine if it may not have.
        let mut ops = vec![op(&w1, None, 0, 1), op(&r, Some(&saw_nil), 2, 3)];
        ops[0].optional = true;
        assert_eq!(
            Search::new(&model, ops, false).run(100),
            Progress::Linearizable
        );
        // An optional op still cannot take effect outside its interval.
        let saw1 = CellResult::Read(Some(Value::from("1")));
        let mut ops = vec![op(&r, Some(&saw1), 0, 1), op(&w1, None, 2, 3)];
        ops[1].optional = true;
        assert_eq!(
            Search::new(&model, ops, false).run(100),
            Progress::NotLinearizable
        );
    }

    #[test]
    fn resumes_across_slices() {
        let w = CellOp::Write(Value::from("1"));
        let done = CellResult::Done;
        let model = Register::default();
        let ops: Vec<_> = (0..20).map(|i| op(&w, Some(&done), i, 100)).collect();
        let mut s = Search::new(&model, ops, false);
        let mut slices = 0;
        while s.run(3) == Progress::Running {
            slices += 1;
        }
        assert!(slices > 1);
        assert_eq!(s.run(3), Progress::Linearizable);
    }
}
