//! Client sentences: stretches in which no client operation completed, with the fault in
//! effect (or none) and the leadership changes inside them; the operations the end of the
//! run cut off, which are told apart from operations a fault kept from completing; and where
//! a linearizability counterexample sits in time.
//!
//! Stalls come from the history's completion times ([`Flow`](crate::report::charts::ops::Flow),
//! exact for any stretch wider than its buckets); cut-off operations from
//! `outcome.ops.unfinished`, which the runner fills with the operations still in flight when
//! the run ended.

use crate::scenario::Protocol;
use crate::sim::Role;

use super::{Story, and_list, at, count, span};

/// A stretch without a completed operation is told if it lasts at least this long, ns…
const MIN_STALL_NS: u64 = 100_000_000;
/// …and at least this many median latencies.
const STALL_MEDIANS: f64 = 10.0;
/// Stalls told one by one up to this many; beyond, counted.
const DETAILED_STALLS: usize = 6;

impl Story<'_> {
    /// The shortest stretch without a completed operation that is told, ns: 100 ms, ten
    /// median latencies, or the completion buckets' width, whichever is longest.
    pub(super) fn stall_threshold(&self) -> Option<u64> {
        let ops = self.input.ops?;
        let p50 = self.input.outcome.ops.as_ref().and_then(|o| o.p50_ms).unwrap_or(0.0);
        Some(MIN_STALL_NS.max((p50 * STALL_MEDIANS * 1e6) as u64).max(ops.flow.width_ns))
    }

    /// Stretches in which a client was waiting and no operation completed: from one
    /// completion to the next, or from the last one to the end of the run while an operation
    /// sent before it was still outstanding.
    pub(super) fn stall_spans(&self) -> Vec<(u64, u64)> {
        let (Some(ops), Some(min)) = (self.input.ops, self.stall_threshold()) else { return Vec::new() };
        let Some((_, last)) = ops.flow.range() else { return Vec::new() };
        let mut gaps = ops.flow.gaps(min);
        // A client still waiting at the end for an operation sent before the last completion.
        let waiting =
            self.input.outcome.ops.as_ref().is_some_and(|o| o.unfinished.iter().any(|u| u.invoke_ns <= last));
        if waiting && self.end.saturating_sub(last) >= min {
            gaps.push((last, self.end));
        }
        gaps
    }

    pub(super) fn client_stalls(&mut self) {
        let gaps = self.stall_spans();
        for &(a, b) in gaps.iter().take(DETAILED_STALLS) {
            let until = if b >= self.end { "the end of the run".to_string() } else { at(b) };
            let mut text =
                format!("From {} until {until} ({}) no client operation completed", at(a), span(b - a));
            let faults = self.faults_during(a, b);
            if faults.is_empty() {
                text.push_str(", with no fault in effect");
            } else {
                let verb = if faults.len() == 1 { "was" } else { "were" };
                text.push_str(&format!(", because {} {verb} in effect", and_list(&faults)));
            }
            if let Some(w) = self.words {
                let elected = match self.input.outcome.protocol {
                    Protocol::PAXOS => "won ballot round",
                    _ => "was elected leader of term",
                };
                let wins: Vec<String> = self
                    .servers
                    .iter()
                    .flat_map(|&i| {
                        self.lanes[i]
                            .roles
                            .iter()
                            .filter(move |s| s.role == Role::Leader && s.start > a && s.start <= b)
                            .map(move |s| (s.start, i, s.term))
                    })
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .map(|(t, i, term)| format!("{} {elected} {term} at {}", self.name(i), at(t)))
                    .collect();
                if !wins.is_empty() {
                    text.push_str(&format!("; meanwhile {}", and_list(&wins)));
                } else if crate::report::charts::lanes::leader_at(&self.lanes, a).is_none()
                    && crate::report::charts::lanes::leader_at(&self.lanes, b.saturating_sub(1)).is_none()
                {
                    text.push_str(&format!("; no server was leader (of any {})", w.round));
                }
            }
            text.push('.');
            self.push(a, 7, text);
        }
        if gaps.len() > DETAILED_STALLS {
            let rest = &gaps[DETAILED_STALLS..];
            let longest = rest.iter().map(|(a, b)| b - a).max().unwrap_or(0);
            self.push(
                rest[0].0,
                7,
                format!(
                    "No client operation completed for a while {} more times after that (the longest {}).",
                    count(rest.len() as u64),
                    span(longest)
                ),
            );
        }
        self.cut_off();
    }

    /// The operations the end of the run cut off: still waiting for a reply when it ended.
    fn cut_off(&mut self) {
        let Some(ops) = &self.input.outcome.ops else { return };
        let u = &ops.unfinished;
        let (Some(first), Some(last)) =
            (u.iter().map(|o| o.invoke_ns).min(), u.iter().map(|o| o.invoke_ns).max())
        else {
            return;
        };
        let sent = if first == last {
            format!("sent at {}", at(first))
        } else {
            format!("sent between {} and {}", at(first), at(last))
        };
        let open = self.faults_during(self.end.saturating_sub(1), self.end);
        let state = if open.is_empty() {
            "with no fault in effect".to_string()
        } else {
            let verb = if open.len() == 1 { "was" } else { "were" };
            format!("while {} {verb} still in effect", and_list(&open))
        };
        let n = u.len() as u64;
        let (they, op) = if n == 1 { ("it was", "operation was") } else { ("they were", "operations were") };
        self.push(
            self.end,
            9,
            format!(
                "When the run ended at {}, {} {op} still waiting for a reply ({sent}), {state}: {they} cut off by \
                 the end of the run, not lost to a fault, and their outcome is unknown.",
                at(self.end),
                count(n)
            ),
        );
    }

    /// Where the linearizability counterexample sits in time, told in the clients' words.
    pub(super) fn counterexample(&mut self) {
        let Some(cx) = self.input.outcome.linearizability.as_ref().and_then(|l| l.counterexample.as_ref())
        else {
            return;
        };
        let Some(ops) = cx["ops"].as_array() else { return };
        let mut told = Vec::new();
        let mut first = u64::MAX;
        for o in ops.iter().take(6) {
            let (Some(call), Some(client)) = (o["call"].as_u64(), o["client"].as_u64()) else { continue };
            first = first.min(call);
            let kind = o["kind"].as_str().unwrap_or("op");
            let input = o["input"].as_str().unwrap_or("");
            let output = o["output"].as_str().unwrap_or("?");
            told.push(format!("c{} {kind} {input} → {output}", client + 1));
        }
        if told.is_empty() {
            return;
        }
        self.push(
            first,
            2,
            format!(
                "From {} clients saw results that no one-at-a-time order of operations can explain: {} (ringed in \
                 red on the latency chart; the full counterexample is under Checks).",
                at(first),
                told.join("; ")
            ),
        );
    }
}
