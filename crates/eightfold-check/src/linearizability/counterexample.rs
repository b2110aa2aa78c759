//! What a reader gets when a history is not linearizable: a small set of operations whose
//! observed results and timing cannot all be true, each with who did it, what it asked,
//! what it saw and when — plus how far an attempt to order the history got.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::time::format_nanos;

/// Evidence that a history is not linearizable.
///
/// The operations in [`ops`](Self::ops) are *held* to what was observed, and so are the
/// [`context`](Self::context) operations that completed before them (not listed). The
/// other operations invoked up to the [`cut`](Self::cut) are *relaxed*: each may or may
/// not have taken effect, at any point within its own interval, with any result
/// (operations still running at the cut: at any point after their call). Even so, no
/// order explains the held results — so the history is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The partition that failed (`key "3"`, `the register`).
    pub partition: String,
    /// How many operations that partition has (after dropping those that cannot matter).
    pub partition_ops: usize,
    /// How many of them take part, held or relaxed: those invoked up to the cut.
    pub considered: usize,
    /// How many of those are held as observed without being listed: they completed
    /// before the listed ones (shrinking only relaxes the last-completed operations).
    pub context: usize,
    /// The time of the cut (the call of the last operation taking part); operations
    /// invoked later play no part. `None` when the whole partition is needed.
    pub cut: Option<u64>,
    /// The held operations, by call time.
    pub ops: Vec<CounterexampleOp>,
    /// True if relaxing any one listed operation makes the history linearizable (delta
    /// debugging ran to completion); false if the shrinking budget ran out first.
    pub minimal: bool,
    /// The model's initial state, described.
    pub initial_state: String,
    /// The longest order of operations the model accepts that the search found (held and
    /// relaxed ones): after it, no remaining operation can take effect.
    pub partial: Vec<PartialStep>,
    /// When the history was checked piece by piece and the failure lies after a quiescent
    /// cut: where the operations before the cut can leave the partition. The counts above
    /// ([`partition_ops`](Self::partition_ops), …) then count from the cut, and
    /// [`initial_state`](Self::initial_state) is the state the partial order starts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_in: Option<CarriedIn>,
}

/// What the part of a partition before a quiescent cut tells the part after it.
///
/// At the cut every operation invoked before it had returned (or never will), so each of
/// them happened before every operation invoked after it: the later part only depends on
/// the states the earlier part can end in, and on the timed-out operations that may still
/// take effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedIn {
    /// The time of the cut (the call of the first operation after it).
    pub cut: u64,
    /// How many operations of the partition were invoked before the cut.
    pub before: usize,
    /// The states they can leave it in, described.
    pub states: Vec<String>,
    /// How many of them timed out and may still take effect after the cut (they take part
    /// as operations that never returned).
    pub pending: usize,
}

/// One operation of a counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterexampleOp {
    /// Its index in the checked operation list ([`check_history`](super::check_history):
    /// in `History::ops`).
    pub index: usize,
    /// The client that issued it.
    pub client: u32,
    /// Its kind (`get`, `cas`, …).
    pub kind: String,
    /// Its arguments.
    pub input: String,
    /// What it returned (`unknown` if indeterminate).
    pub output: String,
    /// When it was called.
    pub call: u64,
    /// When it returned (`None`: never — it may take effect at any point after `call`).
    pub ret: Option<u64>,
}

impl CounterexampleOp {
    /// The operation at `index` of the checked list, issued by `client`, as a counterexample
    /// lists it: what it asked (`kind`, `input`), what it returned, when it was called and
    /// when (if ever) it returned. For tests and tools that build a counterexample by hand.
    pub fn new(
        index: usize,
        client: u32,
        kind: &str,
        input: &str,
        output: &str,
        call: u64,
        ret: Option<u64>,
    ) -> Self {
        CounterexampleOp {
            index,
            client,
            kind: kind.into(),
            input: input.into(),
            output: output.into(),
            call,
            ret,
        }
    }
}

/// One step of a partial linearization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialStep {
    /// The operation.
    pub op: CounterexampleOp,
    /// True if it is one of the held operations; false if relaxed (its result ignored).
    pub held: bool,
    /// The state after it, described.
    pub state_after: String,
}

/// How to print clients and times.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Notation {
    /// eightfold histories: 0-based clients printed `c1`, times in virtual nanoseconds.
    Eightfold,
    /// Jepsen/Porcupine logs: process ids printed `p3`, times are 0-based line indices
    /// printed as 1-based line numbers.
    Lines,
}

impl Notation {
    fn client(self, c: u32) -> String {
        match self {
            Notation::Eightfold => format!("c{}", u64::from(c) + 1),
            Notation::Lines => format!("p{c}"),
        }
    }

    fn time(self, t: u64) -> String {
        match self {
            Notation::Eightfold => format_nanos(t),
            Notation::Lines => format!("line {}", t + 1),
        }
    }

    fn span(self, call: u64, ret: Option<u64>) -> String {
        match (self, ret) {
            (Notation::Eightfold, Some(r)) => {
                format!("[{}, {}]", format_nanos(call), format_nanos(r))
            }
            (Notation::Eightfold, None) => format!("[{}, never returned]", format_nanos(call)),
            (Notation::Lines, Some(r)) => format!("lines {}-{}", call + 1, r + 1),
            (Notation::Lines, None) => format!("line {}, never returned", call + 1),
        }
    }
}

impl CounterexampleOp {
    /// `put "3" "x"`.
    fn call_text(&self) -> String {
        if self.input.is_empty() { self.kind.clone() } else { format!("{} {}", self.kind, self.input) }
    }
}

/// Steps of the partial linearization shown; earlier ones are summarised.
const PARTIAL_SHOWN: usize = 12;

impl Counterexample {
    /// A few lines for people: the held operations, what the others were allowed to do,
    /// and how far ordering them got.
    pub fn render(&self, notation: Notation) -> String {
        let mut out = String::new();
        let calls: Vec<String> = self.ops.iter().map(CounterexampleOp::call_text).collect();
        let width = calls.iter().map(|c| c.chars().count()).max().unwrap_or(0);
        let owidth = self.ops.iter().map(|o| o.output.chars().count()).max().unwrap_or(0);
        let n = self.ops.len();
        let (these, them) = if n == 1 {
            ("this operation cannot have", "it")
        } else {
            ("these operations cannot all have", "any one of them")
        };
        let minimal = if self.minimal {
            format!("minimal: relaxing {them} makes the history linearizable")
        } else {
            "perhaps not minimal: the shrinking budget ran out".to_string()
        };
        if let Some(c) = &self.carried_in {
            let states = match c.states.as_slice() {
                [one] => one.clone(),
                many => format!("one of {}", many.join(", ")),
            };
            let _ = write!(
                out,
                "{}: the {} operations invoked before {} had all returned by then and leave it at {states}",
                self.partition,
                c.before,
                notation.time(c.cut)
            );
            if c.pending > 0 {
                let _ = write!(out, " ({} of them timed out and may still take effect)", c.pending);
            }
            let _ = writeln!(out, "; from there:");
        }
        let _ = writeln!(out, "{}: {these} happened as observed ({minimal}):", self.partition);
        for (op, call) in self.ops.iter().zip(&calls) {
            let _ = writeln!(
                out,
                "  {:<5} {call:<width$}  -> {:<owidth$}  {}",
                notation.client(op.client),
                op.output,
                notation.span(op.call, op.ret)
            );
        }
        let others = self.considered.saturating_sub(n + self.context);
        let _ = write!(out, "even if ");
        if self.context > 0 {
            let _ =
                write!(out, "the {} operations that completed earlier did as observed and ", self.context);
        }
        let _ = write!(
            out,
            "each of the other {others} operations of {} took effect or not, anywhere in its own interval, \
             with any result",
            self.partition
        );
        if let Some(t) = self.cut {
            let _ = write!(out, "; counting those still running at {} as never returning", notation.time(t));
            let later = self.partition_ops.saturating_sub(self.considered);
            if later > 0 {
                let _ = write!(out, " and ignoring the {later} invoked after it");
            }
        }
        let _ = writeln!(out, ".");
        let _ = writeln!(
            out,
            "longest order the model accepts ({} steps, * = held), from {} state {}:",
            self.partial.len(),
            if self.carried_in.is_some() { "the carried-in" } else { "initial" },
            self.initial_state
        );
        let skipped = self.partial.len().saturating_sub(PARTIAL_SHOWN);
        if skipped > 0 {
            let _ = writeln!(out, "  ... {skipped} earlier steps");
        }
        for step in &self.partial[skipped..] {
            let _ = writeln!(
                out,
                "  {} {:<5} {} => {}",
                if step.held { '*' } else { ' ' },
                notation.client(step.op.client),
                step.op.call_text(),
                step.state_after
            );
        }
        let _ = write!(out, "  then none of the remaining operations can take effect");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_ops_and_partial_order() {
        let op = CounterexampleOp::new;
        let w = op(0, 1, "write", "\"1\"", "ok", 0, Some(3));
        let c = Counterexample {
            partition: "the register".into(),
            partition_ops: 9,
            considered: 5,
            context: 0,
            cut: Some(7),
            ops: vec![w.clone(), op(4, 2, "read", "", "nil", 5, None)],
            minimal: true,
            initial_state: "nil".into(),
            partial: vec![PartialStep { op: w, held: true, state_after: "\"1\"".into() }],
            carried_in: None,
        };
        let text = c.render(Notation::Lines);
        assert!(text.contains("p1    write \"1\"  -> ok   lines 1-4"), "{text}");
        assert!(text.contains("line 6, never returned"), "{text}");
        assert!(text.contains("the other 3 operations of the register"), "{text}");
        assert!(
            text.contains("running at line 8 as never returning and ignoring the 4 invoked after it."),
            "{text}"
        );
        assert!(text.contains("(1 steps, * = held), from initial state nil"), "{text}");
        assert!(text.contains("  * p1    write \"1\" => \"1\""), "{text}");
        let text = c.render(Notation::Eightfold);
        assert!(text.contains("c2 "), "{text}");
        let c = Counterexample {
            carried_in: Some(CarriedIn {
                cut: 2_000_000_000,
                before: 40,
                states: vec!["\"x\"".into()],
                pending: 1,
            }),
            ..c
        };
        let text = c.render(Notation::Eightfold);
        assert!(
            text.starts_with(
                "the register: the 40 operations invoked before 2s had all returned by then and leave it at \"x\" \
                 (1 of them timed out and may still take effect); from there:\n"
            ),
            "{text}"
        );
        assert!(text.contains("from the carried-in state nil:"), "{text}");
    }
}
