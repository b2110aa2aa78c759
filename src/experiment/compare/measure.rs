//! What a comparison measures in one run: the figures of one `(protocol, seed)` pair.
//!
//! The definitions, shared by `compare.json` and the page:
//!
//! - **fault window**: the interval `[start, end)` of a fault the run applied, as its outcome
//!   records it (`outcome.faults`): a partition from the cut to the heal, a crash until the
//!   restart, a fault never undone until the end of the run. Instantaneous operator actions
//!   (`remove_server`, `heal`) have an empty window and count for nothing;
//! - **an operation during faults**: one a client *invoked* while at least one fault window
//!   was open; every other operation is **outside faults**. An operation counts once however
//!   many times the client retried it. Operations the end of the run cut off — each client's
//!   last operation when it has no reply and was invoked less than the client's give-up time
//!   plus one attempt before the end, so it may still have been in progress — are counted
//!   apart (`cut_off`) and left out of both: the simulation stopping is not the protocol
//!   failing;
//! - **availability (operations)**: of the operations invoked during (or outside) faults, the
//!   fraction that completed `ok`. `fail` (definitely not applied) and `info` (no reply
//!   before the client gave up) both count as not served;
//! - **availability (time)**: the run is cut into the throughput chart's buckets (a round
//!   width giving at most 200 of them: 100 ms for a 12 s run); of the buckets whose midpoint
//!   lies in a fault window while the clients are running, the fraction in which at least one
//!   operation completed `ok`. It answers "could anyone get anything done?", which the
//!   operation fraction hides when a few slow clients issue few operations;
//! - **latency**: reply time minus invocation time of `ok` operations, retries included;
//! - **cost**: messages and payload bytes every node sent during the whole run (elections,
//!   heartbeats and repair traffic included), divided later by the `ok` operations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::Status;
use crate::check::linearizability::Counterexample;
use crate::report::Outcome;
use crate::report::charts::throughput::bucket_ns;
use crate::runner::kv;
use crate::scenario::Scenario;
use crate::workload::history::{History, OpOutcome};

/// How many operations ended each way.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    /// Completed with a known result.
    pub ok: u64,
    /// Definitely not applied.
    pub fail: u64,
    /// No reply: outcome unknown.
    pub info: u64,
}

impl OpCounts {
    /// All operations.
    pub fn total(&self) -> u64 {
        self.ok + self.fail + self.info
    }

    /// `ok / total`, or `None` when there were none.
    pub fn ok_fraction(&self) -> Option<f64> {
        (self.total() > 0).then(|| self.ok as f64 / self.total() as f64)
    }

    /// Counts one operation.
    pub fn add(&mut self, outcome: OpOutcome) {
        match outcome {
            OpOutcome::Ok => self.ok += 1,
            OpOutcome::Fail => self.fail += 1,
            OpOutcome::Info => self.info += 1,
        }
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, o: &OpCounts) {
        self.ok += o.ok;
        self.fail += o.fail;
        self.info += o.info;
    }
}

/// A check's verdict in one run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The check held.
    Pass,
    /// The check found a violation.
    Fail,
    /// The check could not decide (the linearizability search ran out of budget).
    Unknown,
    /// The check did not run (the run stopped early, or panicked).
    Absent,
}

/// What kind of linearizability violation a counterexample shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anomaly {
    /// A read invoked after a write had completed did not see it (nor anything newer).
    StaleRead,
    /// Only writes are involved: their results contradict each other (a lost append, two
    /// compare-and-sets that both won).
    ConflictingWrites,
    /// Anything else no single order explains.
    Other,
}

impl Anomaly {
    /// What it means, in a phrase that completes "…: ".
    pub fn meaning(self) -> &'static str {
        match self {
            Anomaly::StaleRead => {
                "a read that started after a write had completed returned an older value (a stale read)"
            }
            Anomaly::ConflictingWrites => {
                "writes whose results contradict each other (a lost append, or two compare-and-sets that both won)"
            }
            Anomaly::Other => "results that no one-at-a-time order of the operations can explain",
        }
    }

    /// Classifies a counterexample (as stored in `outcome.json`).
    pub fn classify(counterexample: &serde_json::Value) -> Anomaly {
        let Ok(c) = serde_json::from_value::<Counterexample>(counterexample.clone()) else {
            return Anomaly::Other;
        };
        let is_write = |k: &str| matches!(k, "put" | "append" | "cas");
        let completed_writes: Vec<u64> = c
            .ops
            .iter()
            .filter(|o| is_write(&o.kind) && o.output != "not applied")
            .filter_map(|o| o.ret)
            .collect();
        let stale = c
            .ops
            .iter()
            .filter(|o| o.kind == "get" && o.ret.is_some())
            .any(|g| completed_writes.iter().any(|&w| w <= g.call));
        if stale {
            Anomaly::StaleRead
        } else if !c.ops.is_empty() && c.ops.iter().all(|o| is_write(&o.kind)) {
            Anomaly::ConflictingWrites
        } else {
            Anomaly::Other
        }
    }
}

/// The figures of one run that `compare.json` keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFigures {
    /// The seed.
    pub seed: u64,
    /// The run's trace digest (empty if it panicked).
    pub digest: String,
    /// Every operation.
    pub ops: OpCounts,
    /// Operations invoked while a fault window was open.
    pub during_faults: OpCounts,
    /// Operations invoked while no fault window was open.
    pub outside_faults: OpCounts,
    /// Operations the end of the run cut off (in `ops`, in neither of the above).
    pub cut_off: u64,
    /// Time buckets during faults (while the clients ran).
    pub fault_buckets: u64,
    /// Of those, buckets in which at least one operation completed `ok`.
    pub served_fault_buckets: u64,
    /// Messages sent by every node.
    pub messages: u64,
    /// Payload bytes sent by every node.
    pub bytes: u64,
    /// The protocol invariants (election safety, log matching, …).
    pub invariants: Verdict,
    /// The linearizability of the client history.
    pub linearizable: Verdict,
    /// Whether operations completed again after the last fault.
    pub liveness: Verdict,
    /// What the linearizability counterexample shows, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomaly: Option<Anomaly>,
    /// Whether the counterexample surfaced inside a fault window (judged at the latest
    /// invocation among its operations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomaly_during_faults: Option<bool>,
    /// Times a server became leader (leader-based protocols).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_changes: Option<u64>,
    /// Time with no leader, s (leader-based protocols).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_without_leader_s: Option<f64>,
    /// The panic message, if the simulation panicked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic: Option<String>,
}

impl RunFigures {
    /// True if the run panicked or a check failed or could not decide.
    pub fn failed(&self) -> bool {
        self.panic.is_some()
            || [self.invariants, self.linearizable, self.liveness]
                .iter()
                .any(|v| matches!(v, Verdict::Fail | Verdict::Unknown))
    }
}

/// One run's figures plus the raw series the aggregate needs (not stored per run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunData {
    /// The stored figures.
    pub figures: RunFigures,
    /// Latency of every `ok` operation, ms, and whether it was invoked during faults.
    pub latencies_ms: Vec<(f64, bool)>,
    /// `ok` completions per time bucket.
    pub ok_per_bucket: Vec<u64>,
    /// The linearizability counterexample, typed, when the check failed (the comparison
    /// draws the first failing seed's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
}

/// The fault windows of a run, non-empty ones only, as `[start, end)` in ns.
pub fn windows(outcome: &Outcome, end_ns: u64) -> Vec<(u64, u64)> {
    outcome
        .faults
        .iter()
        .map(|f| (f.start.0.min(end_ns), f.end.map_or(end_ns, |e| e.0.min(end_ns))))
        .filter(|(a, b)| b > a)
        .collect()
}

fn inside(windows: &[(u64, u64)], t: u64) -> bool {
    windows.iter().any(|&(a, b)| a <= t && t < b)
}

fn verdict(outcome: &Outcome, check: &str) -> Verdict {
    match outcome.checks.get(check) {
        Some(c) => match c.status {
            Status::Pass | Status::NotJudged => Verdict::Pass,
            Status::Unknown => Verdict::Unknown,
            Status::Fail => Verdict::Fail,
        },
        None => Verdict::Absent,
    }
}

/// For each operation of the history, whether the end of the run cut it off: its client's
/// last operation, without a reply, invoked less than `give_up + attempt` before `end`.
fn cut_off(history: &History, end: u64, give_up: u64, attempt: u64) -> Vec<bool> {
    let mut last: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, o) in history.ops.iter().enumerate() {
        let e = last.entry(o.client).or_insert(i);
        if history.ops[*e].invoke_ns <= o.invoke_ns {
            *e = i;
        }
    }
    let mut cut = vec![false; history.ops.len()];
    for &i in last.values() {
        let o = &history.ops[i];
        cut[i] = o.outcome == OpOutcome::Info && o.invoke_ns + give_up + attempt > end;
    }
    cut
}

/// When a counterexample surfaced: the latest invocation among its operations, ns.
fn surfaced_at(counterexample: &serde_json::Value) -> Option<u64> {
    counterexample["ops"].as_array()?.iter().filter_map(|o| o["call"].as_u64()).max()
}

/// Measures one finished run of `s` (the adapted scenario it ran).
pub fn measure(s: &Scenario, outcome: &Outcome, history: &History) -> RunData {
    let end = s.duration.0.as_nanos().max(1);
    let width = bucket_ns(end);
    let wins = windows(outcome, end);
    let (_, client, start) = kv::client_config(s);
    let (start, stop) = (start.as_nanos(), client.stop.as_nanos().min(end));
    let cut = cut_off(history, end, client.op_timeout.as_nanos(), client.timeout.as_nanos());
    let mut ops = OpCounts::default();
    let mut during = OpCounts::default();
    let mut outside = OpCounts::default();
    let mut latencies_ms = Vec::new();
    let mut ok_per_bucket = vec![0u64; end.div_ceil(width) as usize];
    for (o, cut) in history.ops.iter().zip(&cut) {
        ops.add(o.outcome);
        let in_fault = inside(&wins, o.invoke_ns);
        match (cut, in_fault) {
            (true, _) => {}
            (false, true) => during.add(o.outcome),
            (false, false) => outside.add(o.outcome),
        }
        if let (OpOutcome::Ok, Some(c)) = (o.outcome, o.complete_ns) {
            latencies_ms.push((c.saturating_sub(o.invoke_ns) as f64 / 1e6, in_fault));
            let b = ((c / width) as usize).min(ok_per_bucket.len() - 1);
            ok_per_bucket[b] += 1;
        }
    }
    let mut fault_buckets = 0;
    let mut served = 0;
    for (i, n) in ok_per_bucket.iter().enumerate() {
        let mid = i as u64 * width + width / 2;
        if mid >= start && mid < stop && inside(&wins, mid) {
            fault_buckets += 1;
            served += u64::from(*n > 0);
        }
    }
    let lin = verdict(outcome, "linearizable");
    let cx = outcome
        .linearizability
        .as_ref()
        .and_then(|l| l.counterexample.as_ref())
        .filter(|_| lin == Verdict::Fail);
    let lead = outcome.raft.as_ref().filter(|_| s.cluster.protocol.capabilities().leader);
    RunData {
        figures: RunFigures {
            seed: outcome.seed,
            digest: outcome.digest.clone(),
            ops,
            during_faults: during,
            outside_faults: outside,
            cut_off: cut.iter().filter(|c| **c).count() as u64,
            fault_buckets,
            served_fault_buckets: served,
            messages: outcome.cost.messages,
            bytes: outcome.cost.bytes,
            invariants: verdict(outcome, "invariants"),
            linearizable: lin,
            liveness: verdict(outcome, "liveness"),
            anomaly: cx.map(Anomaly::classify),
            anomaly_during_faults: cx.and_then(surfaced_at).map(|t| inside(&wins, t)),
            leader_changes: lead.map(|l| l.leadership.leader_changes),
            time_without_leader_s: lead.map(|l| l.leadership.time_without_leader_s),
            panic: None,
        },
        latencies_ms,
        ok_per_bucket,
        counterexample: cx.and_then(|v| serde_json::from_value(v.clone()).ok()),
    }
}

/// The figures of a run whose simulation panicked: every check absent, nothing measured.
pub fn panicked(seed: u64, message: String) -> RunData {
    RunData {
        figures: RunFigures {
            seed,
            digest: String::new(),
            ops: OpCounts::default(),
            during_faults: OpCounts::default(),
            outside_faults: OpCounts::default(),
            cut_off: 0,
            fault_buckets: 0,
            served_fault_buckets: 0,
            messages: 0,
            bytes: 0,
            invariants: Verdict::Absent,
            linearizable: Verdict::Absent,
            liveness: Verdict::Absent,
            anomaly: None,
            anomaly_during_faults: None,
            leader_changes: None,
            time_without_leader_s: None,
            panic: Some(message),
        },
        latencies_ms: Vec::new(),
        ok_per_bucket: Vec::new(),
        counterexample: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(kind: &str, output: &str, call: u64, ret: Option<u64>) -> serde_json::Value {
        json!({ "index": 0, "client": 0, "kind": kind, "input": "", "output": output, "call": call, "ret": ret })
    }

    fn cx(ops: Vec<serde_json::Value>) -> serde_json::Value {
        json!({ "partition": "key \"k1\"", "partition_ops": 2, "considered": 2, "context": 0, "cut": null,
                "ops": ops, "minimal": true, "initial_state": "nil", "partial": [] })
    }

    #[test]
    fn counterexamples_are_classified_by_what_they_show() {
        let stale = cx(vec![op("put", "ok", 10, Some(20)), op("get", "\"old\"", 30, Some(40))]);
        assert_eq!(Anomaly::classify(&stale), Anomaly::StaleRead);
        let overlapping = cx(vec![op("put", "ok", 10, Some(50)), op("get", "\"old\"", 30, Some(40))]);
        assert_eq!(Anomaly::classify(&overlapping), Anomaly::Other);
        let writes = cx(vec![op("cas", "ok", 10, Some(20)), op("cas", "ok", 15, Some(25))]);
        assert_eq!(Anomaly::classify(&writes), Anomaly::ConflictingWrites);
        assert_eq!(Anomaly::classify(&json!({"nonsense": 1})), Anomaly::Other);
    }

    fn hop(client: u32, invoke_ns: u64, outcome: OpOutcome) -> crate::workload::history::HistoryOp {
        crate::workload::history::HistoryOp {
            client,
            op: crate::workload::history::OpKind::Get,
            key: "k".into(),
            value: None,
            expected: None,
            invoke_ns,
            complete_ns: (outcome != OpOutcome::Info).then_some(invoke_ns + 5),
            outcome,
            read: None,
            applied: None,
        }
    }

    #[test]
    fn only_a_clients_last_unanswered_operation_near_the_end_is_cut_off() {
        let h = History {
            ops: vec![
                hop(0, 10, OpOutcome::Info), // gave up long before the end
                hop(1, 20, OpOutcome::Ok),
                hop(0, 9_000, OpOutcome::Info), // still waiting at the end
                hop(1, 9_500, OpOutcome::Ok),   // answered
                hop(2, 100, OpOutcome::Info),   // last, but too old to be in progress
            ],
            ..History::new()
        };
        assert_eq!(cut_off(&h, 10_000, 2_000, 500), [false, false, true, false, false]);
    }

    #[test]
    fn counts_and_fractions() {
        let mut c = OpCounts::default();
        assert_eq!(c.ok_fraction(), None);
        c.add(OpOutcome::Ok);
        c.add(OpOutcome::Info);
        c.add(OpOutcome::Ok);
        c.add(OpOutcome::Fail);
        assert_eq!((c.total(), c.ok_fraction()), (4, Some(0.5)));
    }
}
