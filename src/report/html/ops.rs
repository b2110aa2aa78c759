//! The client operations of `index.html`'s operation timeline, the linearizability
//! counterexample drawn on it, and the instants at which a check is known to have failed.
//!
//! Like Porcupine's visualisation (Athalye, 2017), each operation is a bar in its client's
//! lane from invocation to completion; the operations of the checker's smallest
//! counterexample are highlighted, and the order that is impossible is told in words, built
//! from the typed [`Counterexample`] in `outcome.json` (never from its display text).

use serde_json::{Value, json};

use crate::check::linearizability::{Counterexample, CounterexampleOp};
use crate::report::Outcome;
use crate::report::charts::Inputs;
use crate::report::charts::ops::OpSeries;
use crate::report::narrative::at;
use crate::workload::history::OpOutcome;
use crate::workload::kv::unpadded;

fn us(ns: u64) -> u64 {
    ns / 1000
}

/// The counterexample of a run, typed, if linearizability failed.
pub fn counterexample(outcome: &Outcome) -> Option<Counterexample> {
    let v = outcome.linearizability.as_ref()?.counterexample.as_ref()?;
    serde_json::from_value(v.clone()).ok()
}

/// The code of an outcome in the page's data: 0 ok, 1 fail, 2 info.
fn outcome_code(o: OpOutcome) -> u8 {
    match o {
        OpOutcome::Ok => 0,
        OpOutcome::Fail => 1,
        OpOutcome::Info => 2,
    }
}

fn op_words(o: &CounterexampleOp) -> String {
    let call = if o.input.is_empty() { o.kind.clone() } else { format!("{} {}", o.kind, unpadded(&o.input)) };
    format!("c{}'s {call}", o.client + 1)
}

fn span(o: &CounterexampleOp) -> String {
    match o.ret {
        Some(r) => format!("from {} to {}", at(o.call), at(r)),
        None => format!("from {} and never answered", at(o.call)),
    }
}

/// The order that is impossible, in words: which operations, when each ran and what it
/// returned, the real-time order the clients saw (an operation that returned before
/// another began must come first in any one-at-a-time order), how far the checker got
/// ordering them, and that nothing can come next.
pub fn impossible_order(c: &Counterexample) -> String {
    let mut out = format!(
        "On {}, these {} operations cannot all have happened as their clients saw them. ",
        c.partition,
        c.ops.len()
    );
    let listed: Vec<String> = c
        .ops
        .iter()
        .map(|o| format!("{} ({}) returned {}", op_words(o), span(o), unpadded(&o.output)))
        .collect();
    out.push_str(&listed.join("; "));
    out.push_str(". ");
    // Real-time order: a returned before b was called.
    let mut before: Vec<String> = Vec::new();
    for a in &c.ops {
        for b in &c.ops {
            if let Some(r) = a.ret
                && r < b.call
            {
                before.push(format!("{} before {}", op_words(a), op_words(b)));
            }
        }
    }
    if !before.is_empty() {
        out.push_str(&format!(
            "Because one returned before the other began, any one-at-a-time order must put {}. ",
            before.join(", and ")
        ));
    }
    if c.partial.is_empty() {
        out.push_str(&format!(
            "Starting from {}, none of them can take effect first with the result it returned.",
            unpadded(&c.initial_state)
        ));
    } else {
        let steps: Vec<String> = c
            .partial
            .iter()
            .filter(|s| s.held)
            .map(|s| format!("{} (leaving {})", op_words(&s.op), unpadded(&s.state_after)))
            .collect();
        let last = unpadded(c.partial.last().map_or(c.initial_state.as_str(), |s| s.state_after.as_str()));
        if steps.is_empty() {
            out.push_str(&format!(
                "The checker tried every order (the other operations taking effect or not, anywhere in their \
                 intervals); the furthest it got still left none of these able to come next (state {last})."
            ));
        } else {
            out.push_str(&format!(
                "The furthest the checker got, trying every order (the other operations taking effect or not, \
                 anywhere in their intervals): {} — and then none of the rest can come next, from state {last}.",
                steps.join(", then ")
            ));
        }
    }
    out
}

/// The instants at which a check is known to have failed, with what failed, in time order:
/// a halt (an invariant broken, or the event budget exhausted), the last invocation among a
/// linearizability counterexample's operations (by then the impossible order has happened),
/// and the instant any other failed check stamped on its verdict (liveness: when the first
/// unexcused wait ran past its bound; convergence: the end of the run).
pub fn check_failures(outcome: &Outcome) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    if let Some(h) = &outcome.halted {
        out.push((h.at.0, format!("{} failed on {}: {}", h.check, h.node, h.detail)));
    }
    if let Some(c) = counterexample(outcome)
        && let Some(t) = c.ops.iter().map(|o| o.call).max()
    {
        out.push((
            t,
            format!("linearizability: the last of the counterexample's {} operations began", c.ops.len()),
        ));
    }
    for (name, c) in &outcome.checks {
        if let (true, Some(t)) = (c.failed(), c.at) {
            out.push((t.0, format!("{name}: {}", c.detail)));
        }
    }
    out.sort_by_key(|x| x.0);
    out
}

/// The timeline's data: `ops` as `[client, µs since the previous operation was invoked,
/// latency µs or -1 without a reply, outcome code, text]`, how many operations the history
/// holds, and the counterexample (the positions of its operations in `ops`, and the
/// impossible order in words).
pub fn data(input: &Inputs<'_>) -> Value {
    let Some(series) = input.ops else { return Value::Null };
    // Compact: the invocation as the gap since the previous operation's, the reply as the
    // latency (-1: none), both in µs; the page adds them back up.
    let mut prev = 0;
    let ops: Vec<Value> = series
        .timeline
        .iter()
        .map(|m| {
            let inv = us(m.invoke_ns);
            let gap = inv - prev.min(inv);
            prev = inv;
            let took = m.complete_ns.map_or(-1, |c| (us(c) - inv.min(us(c))) as i64);
            json!([m.client, gap, took, outcome_code(m.outcome), m.text])
        })
        .collect();
    // The counterexample's operations as positions in `ops`.
    let cx = counterexample(input.outcome).map(|c| {
        let at: Vec<usize> =
            c.ops.iter().filter_map(|o| series.timeline.iter().position(|m| m.index == o.index)).collect();
        json!({ "ops": at, "why": impossible_order(&c) })
    });
    json!({ "ops": ops, "total": total(series), "cx": cx })
}

fn total(s: &OpSeries) -> u64 {
    s.total()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::linearizability::PartialStep;

    use crate::check::linearizability::CounterexampleOp as Op;

    fn op(
        index: usize,
        client: u32,
        kind: &str,
        input: &str,
        output: &str,
        call: u64,
        ret: Option<u64>,
    ) -> Op {
        Op::new(index, client, kind, input, output, call, ret)
    }

    #[test]
    fn a_stale_read_is_told_in_order() {
        let w = op(3, 0, "put", "\"4\"", "ok", 1_000_000_000, Some(1_100_000_000));
        let r = op(9, 1, "get", "", "\"3\"", 1_200_000_000, Some(1_300_000_000));
        let c = Counterexample {
            partition: "key \"k1\"".into(),
            partition_ops: 10,
            considered: 4,
            context: 0,
            cut: None,
            ops: vec![w.clone(), r],
            minimal: true,
            initial_state: "nil".into(),
            partial: vec![PartialStep { op: w, held: true, state_after: "\"4\"".into() }],
            carried_in: None,
        };
        let text = impossible_order(&c);
        assert!(text.starts_with("On key \"k1\", these 2 operations"), "{text}");
        assert!(text.contains("any one-at-a-time order must put c1's put \"4\" before c2's get"), "{text}");
        assert!(text.contains("c2's get (from 1.200 s to 1.300 s) returned \"3\""), "{text}");
        assert!(
            text.contains("c1's put \"4\" (leaving \"4\") — and then none of the rest can come next"),
            "{text}"
        );
        assert!(!text.contains("c2's get before"), "{text}");
    }
}
