//! Liveness, as TigerBeetle's simulator judges it: once the last scheduled fault is over
//! (every partition healed, every crashed node restarted), the cluster must elect a leader
//! and commit new operations within a bound derived from its election timeout. A cluster
//! that stays silent after the storm is a failed check, not a quiet pass.

use super::CheckResult;
use crate::sim::{SimDuration, SimTime};
use crate::workload::history::{HistoryOp, OpOutcome};

/// What the liveness judgement needs to know about a run.
#[derive(Clone, Debug)]
pub struct LivenessInput {
    /// When the first `ok` operation completed at or after `quiet_after` (the least
    /// [`ok_at_or_after`] of the run's operations).
    pub first_ok: Option<SimTime>,
    /// When the last fault action happened.
    pub quiet_after: SimTime,
    /// When the run ended.
    pub end: SimTime,
    /// How long the cluster may take to recover.
    pub bound: SimDuration,
    /// Faults still in effect at the end (unhealed partitions, nodes still down), if any.
    pub still_faulty: Vec<String>,
}

/// The first completion of an `ok` operation of `ops` at or after `quiet_after`.
#[cfg(test)]
fn first_ok_after(ops: &[HistoryOp], quiet_after: SimTime) -> Option<SimTime> {
    ops.iter().filter_map(|o| ok_at_or_after(o, quiet_after)).min()
}

/// When `op` completed `ok`, if it did at or after `quiet_after`: the operations liveness
/// looks at (a run streaming its history takes the least of these as it goes).
pub fn ok_at_or_after(op: &HistoryOp, quiet_after: SimTime) -> Option<SimTime> {
    let t = SimTime(op.complete_ns?);
    (op.outcome == OpOutcome::Ok && t >= quiet_after).then_some(t)
}

/// Judges liveness: an operation must complete `ok` within `bound` after `quiet_after`.
pub fn judge(input: &LivenessInput) -> CheckResult {
    if !input.still_faulty.is_empty() {
        return CheckResult::not_judged(format!(
            "not judged: faults are still in effect at the end ({})",
            input.still_faulty.join(", ")
        ));
    }
    let deadline = input.quiet_after + input.bound;
    match input.first_ok {
        Some(t) if t <= deadline => CheckResult::pass(format!(
            "an operation completed {} after the last fault action (bound {})",
            t.saturating_since(input.quiet_after),
            input.bound
        )),
        Some(t) => CheckResult::fail(format!(
            "the first operation after the last fault action at {} completed only at {t}, later than the bound of {}",
            input.quiet_after, input.bound
        )),
        None if deadline > input.end => CheckResult::not_judged(format!(
            "not judged: the run ends {} after the last fault action, before the recovery bound of {}",
            input.end.saturating_since(input.quiet_after),
            input.bound
        )),
        None => CheckResult::fail(format!(
            "no operation completed in the {} after the last fault action at {} (bound {})",
            input.end.saturating_since(input.quiet_after),
            input.quiet_after,
            input.bound
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::history::OpKind;

    fn op(done: u64) -> HistoryOp {
        HistoryOp {
            client: 0,
            op: OpKind::Get,
            key: "k1".into(),
            value: None,
            expected: None,
            invoke_ns: done - 1,
            complete_ns: Some(done),
            outcome: OpOutcome::Ok,
            read: Some(None),
            applied: None,
        }
    }

    #[test]
    fn a_silent_cluster_after_the_faults_fails() {
        let quiet = SimTime(5_000);
        let mut input = LivenessInput {
            first_ok: first_ok_after(&[op(1_000)], quiet),
            quiet_after: quiet,
            end: SimTime(100_000),
            bound: SimDuration(10_000),
            still_faulty: vec![],
        };
        assert!(!judge(&input).passed());
        input.first_ok = first_ok_after(&[op(1_000), op(9_000)], quiet);
        assert!(judge(&input).passed());
        input.first_ok = first_ok_after(&[op(1_000), op(90_000)], quiet);
        assert!(!judge(&input).passed());
        input.still_faulty = vec!["partition".into()];
        assert_eq!(judge(&input).status, crate::check::Status::NotJudged);
    }
}
