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
//! One reduction on top: an *observer* (an operation that never changes the state when
//! legal, such as a read or a CAS that reported failure) that is a candidate and legal in
//! the current state can go first without loss of generality — every operation that must
//! precede it already has, and moving it earlier changes no other step. So each node first
//! looks for such an observer and commits to it without branching; if that fails, the
//! node fails. Reads then cost no search, which matters for read-heavy histories with
//! much concurrency.
//!
//! The search is resumable: [`Search::run`] takes a number of steps and may return
//! [`Progress::Running`], so many partitions can share one budget.
//!
//! For shrinking counterexamples, an operation can be *optional*: reaching its return
//! event unlinearized, the search may also decide it never took effect (a "skip", undone
//! like any other choice). The main check never uses this.
//!
//! For checking a long history piece by piece ([`segment`](super::segment)), a search can
//! start from several [`Root`] configurations (a model state, and the indeterminate
//! operations that already took effect), one after the other under one memo table, and can
//! look for every [`End`] configuration ([`Goal::Ends`]) instead of one linearization: each
//! state, with the indeterminate operations still pending, in which every operation that
//! returned has been linearized.

use super::append::{self, Decided};
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

/// A configuration a search starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Root<S> {
    /// The model state.
    pub(super) state: S,
    /// Operations (indices into the search's operations) that already took effect: only
    /// operations that never return can be among them.
    pub(super) applied: Vec<u32>,
}

/// What a search looks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Goal {
    /// One order of every operation (the check's question).
    First,
    /// Every configuration in which all operations that returned are linearized.
    Ends,
}

/// A configuration found by [`Goal::Ends`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct End<S> {
    /// The model state.
    pub(super) state: S,
    /// The operations that never return and have not taken effect (yet), ascending.
    pub(super) pending: Vec<u32>,
}

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

/// What the cursor is doing at the current node.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Looking for a legal observer to commit to.
    Observers,
    /// Trying the other candidates one by one.
    Others,
}

/// How an operation came to be on the stack.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Choice {
    /// Linearized, one candidate among others: on backtracking, try the next.
    Chosen,
    /// A legal observer, linearized without loss of generality: if it fails, so does
    /// the node it was chosen at.
    Forced,
    /// Optional and skipped (never took effect): undoing it leaves only backtracking.
    Skipped,
    /// Already applied in the root configuration: never undone by backtracking.
    Preset,
}

/// One choice on the search stack.
struct Frame<S> {
    op: u32,
    /// The state before the choice.
    before: S,
    choice: Choice,
}

/// A resumable linearizability search over one partition.
pub(super) struct Search<'a, M: Model> {
    model: &'a M,
    ops: Vec<SearchOp<'a, M::Input, M::Output>>,
    /// Per operation: an observer (never changes the state when legal).
    observer: Vec<bool>,
    events: EventList,
    /// Per operation: its position in `linearized`.
    bit: Vec<u32>,
    linearized: Bitset,
    /// The choices made, in order.
    stack: Vec<Frame<M::State>>,
    /// How many frames of `stack` linearized an operation (rather than skipping one or
    /// being preset by the root).
    applied: usize,
    /// Operations that return and are not linearized (or skipped) yet.
    required_left: usize,
    /// The operations that never return.
    open: Vec<u32>,
    state: M::State,
    /// The configurations to start from, and the one being searched.
    roots: Vec<Root<M::State>>,
    root: usize,
    /// Frames at the bottom of `stack` that the current root preset.
    base: usize,
    goal: Goal,
    /// The end configurations found ([`Goal::Ends`]).
    ends: Vec<End<M::State>>,
    memo: Memo<M::State>,
    cursor: u32,
    phase: Phase,
    steps: u64,
    /// The longest partial linearization seen, if asked to track it, and its root.
    longest: Option<Vec<u32>>,
    longest_root: usize,
    outcome: Progress,
    /// Bytes held by `ends`.
    ends_bytes: usize,
    /// Reused by [`Search::viable`].
    scratch: Vec<u32>,
    /// Whether to prune with [`Search::viable`].
    prune: bool,
    /// The partition's answer, if it is append-only ([`append`]): `run` then only charges
    /// its cost in steps.
    decided: Option<Decided<M::State>>,
    /// Whether to leave out idle applications ([`Search::skip_idle`]).
    skip_idle: bool,
    /// The latest return at which a node got stuck ([`Search::frontier`]).
    frontier: Option<u64>,
}

impl<'a, M: Model> Search<'a, M> {
    /// Prepares a search over `ops` from the model's initial state for one linearization;
    /// `track_longest` records the longest partial linearization (costs a copy of the
    /// stack each time it grows past the record); `fast` takes the exact shortcuts: an
    /// append-only partition decided without search ([`append`]), and the prune of
    /// [`Search::viable`].
    pub(super) fn new(
        model: &'a M,
        ops: Vec<SearchOp<'a, M::Input, M::Output>>,
        track_longest: bool,
        fast: bool,
    ) -> Self {
        let roots = vec![Root { state: model.init(), applied: Vec::new() }];
        Search::with_roots(model, ops, roots, Goal::First, track_longest, fast)
    }

    /// Prepares a search over `ops` from each of `roots` in turn, for `goal`. With `fast`
    /// (and no longest partial linearization to track), an append-only partition is decided
    /// at once by [`append::decide`], which gives the same answer.
    pub(super) fn with_roots(
        model: &'a M,
        ops: Vec<SearchOp<'a, M::Input, M::Output>>,
        roots: Vec<Root<M::State>>,
        goal: Goal,
        track_longest: bool,
        fast: bool,
    ) -> Self {
        let decided = if fast && !track_longest { append::decide(model, &ops, &roots, goal) } else { None };
        let times: Vec<(u64, u64)> = ops.iter().map(|o| (o.call, o.ret)).collect();
        let observer =
            ops.iter().map(|o| o.output.is_some() && model.is_observer(o.input, o.output)).collect();
        let events = EventList::new(&times);
        // Number operations that return in call order, and those that never do after
        // them (see `bitset`): the memo's sets then encode compactly.
        let mut returning: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].ret != u64::MAX).collect();
        returning.sort_by_key(|&i| (ops[i].call, i));
        let linearized = Bitset::new(returning.len(), ops.len() - returning.len());
        let mut bit = vec![0; ops.len()];
        for (b, &i) in returning.iter().enumerate() {
            bit[i] = b as u32;
        }
        let open: Vec<u32> = (0..ops.len()).filter(|&i| ops[i].ret == u64::MAX).map(|i| i as u32).collect();
        for (j, &i) in open.iter().enumerate() {
            bit[i as usize] = linearized.tail_position(j);
        }
        let state = roots.first().map_or_else(|| model.init(), |r| r.state.clone());
        let mut search = Search {
            model,
            stack: Vec::with_capacity(ops.len()),
            applied: 0,
            required_left: returning.len(),
            open,
            ops,
            observer,
            events,
            bit,
            linearized,
            state,
            roots,
            root: 0,
            base: 0,
            goal,
            ends: Vec::new(),
            memo: Memo::new(),
            cursor: NIL,
            phase: Phase::Observers,
            steps: 0,
            longest: track_longest.then(Vec::new),
            longest_root: 0,
            outcome: Progress::Running,
            ends_bytes: 0,
            scratch: Vec::new(),
            // The longest partial linearization explains a counterexample: found without
            // the prune, it shows how far the plain order gets.
            prune: fast && !track_longest,
            decided,
            skip_idle: false,
            frontier: None,
        };
        if search.decided.is_some() {
            return search;
        }
        if !search.start_root() {
            search.outcome = search.exhausted();
        }
        search
    }

    /// Sets up the current root (or the next one whose configuration is new), and returns
    /// true; false when no root is left. A root that already meets the goal is done at
    /// once: with [`Goal::First`] the search is then over.
    fn start_root(&mut self) -> bool {
        while self.root < self.roots.len() {
            let root = &self.roots[self.root];
            self.state = root.state.clone();
            let applied = root.applied.clone();
            for op in applied {
                debug_assert_eq!(self.ops[op as usize].ret, u64::MAX, "only open operations can be preset");
                self.linearized.insert(self.bit[op as usize]);
                self.events.lift(op);
                self.stack.push(Frame { op, before: self.state.clone(), choice: Choice::Preset });
            }
            self.base = self.stack.len();
            self.phase = Phase::Observers;
            self.cursor = self.events.first();
            let heap = self.model.heap_bytes(&self.state);
            if self.memo.insert(&self.linearized, &self.state, heap) {
                if self.arrived() {
                    if self.goal == Goal::First {
                        self.outcome = Progress::Linearizable;
                        return true;
                    }
                    self.record_end();
                } else {
                    return true;
                }
            }
            self.unwind_root();
            self.root += 1;
        }
        false
    }

    /// Takes back the current root's preset operations.
    fn unwind_root(&mut self) {
        while let Some(frame) = self.stack.pop() {
            debug_assert_eq!(frame.choice, Choice::Preset);
            self.linearized.remove(self.bit[frame.op as usize]);
            self.events.unlift(frame.op);
        }
        self.base = 0;
    }

    /// True if the current node meets the goal.
    fn arrived(&self) -> bool {
        match self.goal {
            Goal::First if self.skip_idle => self.required_left == 0,
            Goal::First => self.cursor == NIL,
            Goal::Ends => self.required_left == 0,
        }
    }

    /// Records the current node as an end configuration.
    fn record_end(&mut self) {
        let pending = self
            .open
            .iter()
            .copied()
            .filter(|&op| !self.linearized.contains(self.bit[op as usize]))
            .collect::<Vec<u32>>();
        self.ends_bytes += std::mem::size_of::<End<M::State>>() + 4 * pending.len();
        self.ends.push(End { state: self.state.clone(), pending });
    }

    /// The outcome once every root is explored.
    fn exhausted(&self) -> Progress {
        if self.goal == Goal::Ends && !self.ends.is_empty() {
            Progress::Linearizable
        } else {
            Progress::NotLinearizable
        }
    }

    /// Leaves out every *idle* application: an operation that may not take effect (it never
    /// returns, or is optional) taking effect without changing the state. Not applying it
    /// reaches every configuration that applying it does, with the same state and one
    /// obligation fewer (an operation that never returns stays pending to the end, which
    /// this mode allows: a node arrives once every operation that returns is placed, since
    /// an operation that never returns, its result unknown, can always go last; an optional
    /// one is skipped at its return), so a linearization exists with idle applications if
    /// and only if one exists without them. An exact reduction for
    /// [`Goal::First`]; the shrinking tests use it (the main check does not, so its step
    /// counts stay as they were). Call before the first [`Search::run`].
    pub(super) fn skip_idle(&mut self) {
        self.skip_idle = self.goal == Goal::First && self.longest.is_none();
        // Pending operations that never return may then stay pending: a node arrives once
        // every operation that returns has its place. The root may already have.
        if self.skip_idle && self.decided.is_none() && self.outcome == Progress::Running && self.arrived() {
            self.outcome = Progress::Linearizable;
        }
    }

    /// The latest return time at which the search found a node stuck (every candidate
    /// tried, and that operation's return reached unlinearized); `None` if none was, or if
    /// the partition was decided without search. Once a [`Goal::First`] search from the
    /// initial state has failed, every node it explored had placed all operations that
    /// returned before the node's stuck return, so the history cut at any call up to the
    /// frontier (operations still running there counted as never returning) is
    /// linearizable, and cut at the first call after it, not. A configuration the prune of
    /// [`Search::viable`] rejects counts as stuck at the return of the observer it
    /// cannot satisfy, though in the cut history it might have got further (operations
    /// still running at the cut lose their results). A hint for shrinking, which checks it.
    pub(super) fn frontier(&self) -> Option<u64> {
        self.frontier
    }

    /// Steps taken so far (events visited).
    pub(super) fn steps(&self) -> u64 {
        self.steps
    }

    /// The bytes the search accounts for: its memo table (with the heap data of the states
    /// recorded) and the end configurations found. Deterministic: the same history and
    /// step count give the same figure on every machine.
    pub(super) fn memo_bytes(&self) -> usize {
        match &self.decided {
            Some(d) => d.bytes,
            None => self.memo.bytes() + self.ends_bytes,
        }
    }

    /// The longest partial linearization seen (operation indices in order), if tracked.
    pub(super) fn longest(&self) -> &[u32] {
        self.longest.as_deref().unwrap_or(&[])
    }

    /// The root the longest partial linearization started from.
    pub(super) fn longest_root(&self) -> usize {
        self.longest_root
    }

    /// The end configurations found ([`Goal::Ends`]; complete once the search is decided).
    pub(super) fn take_ends(&mut self) -> Vec<End<M::State>> {
        std::mem::take(&mut self.ends)
    }

    /// Runs at most `max_steps` steps.
    pub(super) fn run(&mut self, max_steps: u64) -> Progress {
        if self.outcome != Progress::Running {
            return self.outcome;
        }
        let slow = test_slowdown();
        if let Some(d) = &mut self.decided {
            // Charge the decision's cost as steps, so budgets treat it like a search.
            let left = d.cost - self.steps;
            let taken = left.min(max_steps);
            if let Some(pause) = slow {
                std::thread::sleep(pause * (taken / SLOW_EVERY) as u32);
            }
            self.steps += taken;
            if taken < left {
                return Progress::Running;
            }
            self.ends = std::mem::take(&mut d.ends);
            self.outcome = d.outcome;
            return self.outcome;
        }
        let end = self.steps.saturating_add(max_steps);
        while self.steps < end {
            self.steps += 1;
            if let Some(pause) = slow
                && self.steps % SLOW_EVERY == 0
            {
                std::thread::sleep(pause);
            }
            let event = self.cursor;
            let op = op_of(event);
            let moved = if !is_call(event) {
                match self.phase {
                    Phase::Observers => {
                        // No legal observer at this node: try the others.
                        self.phase = Phase::Others;
                        self.cursor = self.events.first();
                        continue;
                    }
                    // `op` returned without being linearized: it never took effect, if it
                    // may not; otherwise this node fails.
                    Phase::Others if self.ops[op as usize].optional => self.try_skip(op),
                    Phase::Others => {
                        let ret = self.ops[op as usize].ret;
                        self.frontier = Some(self.frontier.map_or(ret, |f| f.max(ret)));
                        false
                    }
                }
            } else if self.observer[op as usize] != (self.phase == Phase::Observers) {
                // The first pass looks only at observers; in the second they are known to
                // be illegal here.
                self.cursor = self.events.next(event);
                continue;
            } else {
                let choice = if self.phase == Phase::Observers { Choice::Forced } else { Choice::Chosen };
                match self.try_linearize(op, choice) {
                    Tried::Placed => true,
                    // Going first was already explored from here, and failed.
                    Tried::Seen if choice == Choice::Forced => false,
                    Tried::Illegal | Tried::Seen => {
                        self.cursor = self.events.next(event);
                        continue;
                    }
                }
            };
            if moved {
                self.phase = Phase::Observers;
                self.cursor = self.events.first();
                if !self.arrived() {
                    continue;
                }
                if self.goal == Goal::First {
                    self.outcome = Progress::Linearizable;
                    return self.outcome;
                }
                // Every returned operation has its place: note where that leaves the
                // model, then look for other ways to get there.
                self.record_end();
            }
            if !self.backtrack() {
                if self.outcome == Progress::Running {
                    self.outcome = self.exhausted();
                }
                return self.outcome;
            }
        }
        Progress::Running
    }

    /// Linearizes `op` next if the model allows it and the configuration is new.
    fn try_linearize(&mut self, op: u32, choice: Choice) -> Tried {
        let o = &self.ops[op as usize];
        let Some(next) = self.model.step(&self.state, o.input, o.output) else {
            return Tried::Illegal;
        };
        if self.skip_idle && (o.optional || o.ret == u64::MAX) && next == self.state {
            return Tried::Illegal;
        }
        // An observer leaves the state as it was; anything else must leave the next
        // observer due still within reach.
        if self.prune && !self.observer[op as usize] && !self.viable(&next, op) {
            return Tried::Illegal;
        }
        let bit = self.bit[op as usize];
        self.linearized.insert(bit);
        let heap = self.model.heap_bytes(&next);
        if !self.memo.insert(&self.linearized, &next, heap) {
            self.linearized.remove(bit);
            return Tried::Seen;
        }
        let before = std::mem::replace(&mut self.state, next);
        self.push(Frame { op, before, choice });
        Tried::Placed
    }

    /// Whether, with `placed` linearized and the model in `next`, the first observer with a
    /// known result whose return is still ahead can be linearized: it must take effect
    /// before that return, after some of the operations called before it, and the model
    /// may know that none of them can bring back the state it saw
    /// ([`Model::may_still_observe`]). A sound prune: a configuration it rejects has no
    /// linearization. It looks at most [`LOOKAHEAD`] events ahead, as part of the step that
    /// placed `placed` (so a step budget is never overrun; a step's work stays bounded).
    fn viable(&mut self, next: &M::State, placed: u32) -> bool {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let mut e = self.events.first();
        let mut due = None;
        let mut walked = 0;
        while e != NIL && walked < LOOKAHEAD {
            walked += 1;
            let op = op_of(e);
            if op != placed {
                if is_call(e) {
                    scratch.push(op);
                } else if self.observer[op as usize] {
                    due = Some(op);
                    break;
                }
            }
            e = self.events.next(e);
        }
        let viable = match due {
            Some(d) => {
                let target = &self.ops[d as usize];
                let ops = &self.ops;
                let mut others = scratch
                    .iter()
                    .filter(|&&i| i != d)
                    .map(|&i| (ops[i as usize].input, ops[i as usize].output));
                let viable = target
                    .output
                    .is_none_or(|out| self.model.may_still_observe(next, target.input, out, &mut others));
                if !viable {
                    // The configuration is stuck at that observer's return, unexplored.
                    self.frontier = Some(self.frontier.map_or(target.ret, |f| f.max(target.ret)));
                }
                viable
            }
            None => true,
        };
        self.scratch = scratch;
        viable
    }

    /// Decides that optional `op` never took effect, if that configuration is new.
    fn try_skip(&mut self, op: u32) -> bool {
        let bit = self.bit[op as usize];
        self.linearized.insert(bit);
        let heap = self.model.heap_bytes(&self.state);
        if !self.memo.insert(&self.linearized, &self.state, heap) {
            self.linearized.remove(bit);
            return false;
        }
        self.push(Frame { op, before: self.state.clone(), choice: Choice::Skipped });
        true
    }

    fn push(&mut self, frame: Frame<M::State>) {
        self.events.lift(frame.op);
        let skipped = frame.choice == Choice::Skipped;
        self.applied += usize::from(!skipped);
        self.required_left -= usize::from(self.ops[frame.op as usize].ret != u64::MAX);
        self.stack.push(frame);
        if let Some(longest) = &mut self.longest
            && self.applied > longest.len()
        {
            longest.clear();
            longest
                .extend(self.stack[self.base..].iter().filter(|f| f.choice != Choice::Skipped).map(|f| f.op));
            self.longest_root = self.root;
        }
    }

    /// Undoes choices until one leaves an alternative (a [`Choice::Chosen`] operation:
    /// the next candidate after it), and moves the cursor there; when the current root has
    /// none left, moves on to the next root. False if no root is left.
    fn backtrack(&mut self) -> bool {
        while self.stack.len() > self.base {
            let frame = self.stack.pop().expect("above the base");
            self.state = frame.before;
            self.linearized.remove(self.bit[frame.op as usize]);
            self.events.unlift(frame.op);
            if frame.choice != Choice::Skipped {
                self.applied -= 1;
            }
            self.required_left += usize::from(self.ops[frame.op as usize].ret != u64::MAX);
            if frame.choice == Choice::Chosen {
                self.phase = Phase::Others;
                self.cursor = self.events.next(call_event(frame.op));
                return true;
            }
        }
        self.unwind_root();
        self.root += 1;
        // A later root that meets the goal at once ends a `First` search there.
        self.start_root() && self.outcome == Progress::Running
    }
}

/// How many events [`Search::viable`] looks ahead for an observer's return.
const LOOKAHEAD: usize = 256;

/// With the test-only slowdown, the search sleeps once every this many steps.
const SLOW_EVERY: u64 = 1_000;

/// The environment variable of the test-only slowdown: a duration (`"200us"`) the search
/// sleeps every `SLOW_EVERY` (1000) steps. It exists so that a test can run the same seeds with
/// the process slowed down and show that no verdict, counterexample or figure of
/// `outcome.json` (other than its timing fields) changes: budgets count steps, not time.
pub const SLOWDOWN_ENV: &str = "EIGHTFOLD_TEST_SLOW_SEARCH";

/// The test-only slowdown, read from [`SLOWDOWN_ENV`] once per process.
fn test_slowdown() -> Option<std::time::Duration> {
    static SLOW: std::sync::OnceLock<Option<std::time::Duration>> = std::sync::OnceLock::new();
    *SLOW.get_or_init(|| {
        let text = std::env::var(SLOWDOWN_ENV).ok()?;
        Some(std::time::Duration::from_nanos(crate::time::parse_nanos(&text)?))
    })
}

/// What trying to linearize an operation did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Tried {
    /// It is now linearized.
    Placed,
    /// The model rejects it in the current state.
    Illegal,
    /// Legal, but that configuration was already explored.
    Seen,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::cell::{CellOp, CellResult, Value};
    use crate::linearizability::register::Register;

    fn op<'a>(
        input: &'a CellOp,
        output: Option<&'a CellResult>,
        call: u64,
        ret: u64,
    ) -> SearchOp<'a, CellOp, CellResult> {
        SearchOp { input, output, call, ret, optional: false }
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
        let ops = vec![op(&w, Some(&done), 0, 10), op(&r, Some(&saw_nil), 1, 2), op(&r, Some(&saw1), 3, 4)];
        assert_eq!(Search::new(&model, ops, false, true).run(1000), Progress::Linearizable);
        // …but 1 then nil is not.
        let ops = vec![op(&w, Some(&done), 0, 10), op(&r, Some(&saw1), 1, 2), op(&r, Some(&saw_nil), 3, 4)];
        let mut s = Search::new(&model, ops, true, true);
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
        assert_eq!(Search::new(&model, ops, false, true).run(100), Progress::NotLinearizable);
        // …fine if it may not have.
        let mut ops = vec![op(&w1, None, 0, 1), op(&r, Some(&saw_nil), 2, 3)];
        ops[0].optional = true;
        assert_eq!(Search::new(&model, ops, false, true).run(100), Progress::Linearizable);
        // An optional op still cannot take effect outside its interval.
        let saw1 = CellResult::Read(Some(Value::from("1")));
        let mut ops = vec![op(&r, Some(&saw1), 0, 1), op(&w1, None, 2, 3)];
        ops[1].optional = true;
        assert_eq!(Search::new(&model, ops, false, true).run(100), Progress::NotLinearizable);
    }

    #[test]
    fn resumes_across_slices() {
        let w = CellOp::Write(Value::from("1"));
        let done = CellResult::Done;
        let model = Register::default();
        let ops: Vec<_> = (0..20).map(|i| op(&w, Some(&done), i, 100)).collect();
        let mut s = Search::new(&model, ops, false, true);
        let mut slices = 0;
        while s.run(3) == Progress::Running {
            slices += 1;
        }
        assert!(slices > 1);
        assert_eq!(s.run(3), Progress::Linearizable);
    }
}
