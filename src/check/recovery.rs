//! Recovery after each fault, not only per run: how long a fault that took the leader away
//! left the cluster without one, how long clients went without a successful operation, and
//! how soon after a fault was undone they succeeded again.
//!
//! Computed from what the checks may see — role observations ([`Reign`]s of the
//! [`super::leadership::Leadership`] tracker), the fault log and the completion times of
//! the history's `ok` operations — never from protocol internals.
//!
//! # Definitions (all in seconds of virtual time)
//!
//! For each fault of kind crash, pause, isolate or partition, starting at `t`:
//!
//! - the **leader at `t`** is the server whose reign covers `t` (started at or before `t`, not
//!   ended before `t`: a crash at `t` ends its victim's reign at `t`); a fault with no leader
//!   at `t` removed none;
//! - the fault **removed the leader** when that reign ended before the fault was undone (a
//!   crashed or stepped-down leader), or when another reign began while the fault lasted (a
//!   cut-off leader that still believes it leads, replaced behind its back);
//! - **`new_leader_s`** (election downtime): from `t` to the start of the first reign that
//!   began after `t`, by any server (the same server re-elected in a new term counts);
//!   absent if none began before the run ended;
//! - **`next_ok_s`** (client-visible unavailability): from `t` to the first `ok` operation
//!   completed at or after that new leader's election; absent without a new leader or
//!   without such an operation.
//!
//! For each fault that was undone (a windowed fault's end, or a `heal`) at `h`:
//!
//! - **`first_ok_after_heal_s`**: from `h` to the first `ok` operation completed at or after
//!   `h`; absent if none.
//!
//! - **`caught_up_s`** (time to full catch-up): from `h` to the first instant every live
//!   server had applied everything committed by `h`, as [`super::catch_up`] defines it from
//!   the servers' commit and apply observations; absent if that never happened before the run
//!   ended, and for protocols that announce no commit index (the quorum store).

use serde::{Deserialize, Serialize};

use super::leadership::Reign;
use crate::fault::FaultKind;
use crate::fault::record::{Effect, FaultRecord};
use crate::sim::SimTime;

/// What one fault cost, as `outcome.json` reports it (`raft.recovery`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRecovery {
    /// Index of the schedule entry (`faults[i]`).
    pub fault: usize,
    /// The fault's kind, as in the scenario (`crash`).
    pub kind: String,
    /// When it started, s.
    pub at_s: f64,
    /// Whether it took the leader away (see the module documentation).
    pub removed_leader: bool,
    /// Election downtime: from the fault to the next leader's election, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_leader_s: Option<f64>,
    /// Client-visible unavailability: from the fault to the first `ok` operation completed
    /// once a new leader was elected, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_ok_s: Option<f64>,
    /// When the fault was undone (its window's end, or the heal itself), s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healed_at_s: Option<f64>,
    /// From the heal to the first `ok` operation completed after it, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ok_after_heal_s: Option<f64>,
    /// From the heal to full catch-up: every live server applied what was committed by
    /// the heal, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caught_up_s: Option<f64>,
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// The first value of sorted `ok_ns` at or after `t`.
fn first_at_or_after(ok_ns: &[u64], t: u64) -> Option<u64> {
    ok_ns.get(ok_ns.partition_point(|&x| x < t)).copied()
}

/// The recovery of every fault that can take a leader away or that was undone. `reigns`
/// are the run's leadership periods in start order, `ok_ns` the completion times of its
/// `ok` operations (any order), `caught_up` the catch-up instant of each heal that has one,
/// by schedule entry ([`super::catch_up::CatchUp::caught_up`]).
pub fn recovery(
    faults: &[FaultRecord],
    reigns: &[Reign],
    ok_ns: &[u64],
    caught_up: &[(usize, SimTime)],
) -> Vec<FaultRecovery> {
    let mut ok: Vec<u64> = ok_ns.to_vec();
    ok.sort_unstable();
    let mut out = Vec::new();
    for f in faults {
        let removes =
            matches!(f.kind, FaultKind::Crash | FaultKind::Pause | FaultKind::Isolate | FaultKind::Partition);
        let t = f.start.as_nanos();
        let healed = match (&f.effect, f.end) {
            (Effect::Heal, _) => Some(t),
            (_, Some(e)) if e.as_nanos() > t => Some(e.as_nanos()),
            _ => None,
        };
        if !removes && healed.is_none() {
            continue;
        }
        let mut r = FaultRecovery {
            fault: f.entry,
            kind: f.kind.to_string(),
            at_s: secs(t),
            removed_leader: false,
            new_leader_s: None,
            next_ok_s: None,
            healed_at_s: healed.map(secs),
            first_ok_after_heal_s: healed.and_then(|h| first_at_or_after(&ok, h).map(|o| secs(o - h))),
            caught_up_s: healed.and_then(|h| {
                caught_up
                    .iter()
                    .find(|(entry, at)| *entry == f.entry && at.as_nanos() >= h)
                    .map(|(_, at)| secs(at.as_nanos() - h))
            }),
        };
        if removes {
            let until = f.end.map_or(u64::MAX, SimTime::as_nanos);
            let covering =
                reigns.iter().find(|g| g.start.as_nanos() <= t && g.end.is_none_or(|e| e.as_nanos() >= t));
            let next = reigns.iter().find(|g| g.start.as_nanos() > t);
            if let Some(old) = covering {
                let ended = old.end.is_some_and(|e| e.as_nanos() <= until);
                let replaced = next.is_some_and(|n| n.start.as_nanos() <= until && n.node != old.node);
                r.removed_leader = ended || replaced;
            }
            if r.removed_leader
                && let Some(n) = next
            {
                let s = n.start.as_nanos();
                r.new_leader_s = Some(secs(s - t));
                r.next_ok_s = first_at_or_after(&ok, s).map(|o| secs(o - t));
            }
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::record::Effect;
    use crate::sim::{NodeId, Term};

    const MS: u64 = 1_000_000;

    fn reign(node: u32, start_ms: u64, end_ms: Option<u64>) -> Reign {
        Reign {
            node: NodeId(node),
            term: Term(1),
            start: SimTime(start_ms * MS),
            end: end_ms.map(|e| SimTime(e * MS)),
        }
    }

    fn fault(kind: FaultKind, start_ms: u64, end_ms: Option<u64>, effect: Effect) -> FaultRecord {
        FaultRecord {
            entry: 0,
            kind,
            start: SimTime(start_ms * MS),
            end: end_ms.map(|e| SimTime(e * MS)),
            nodes: vec![NodeId(0)],
            effect,
        }
    }

    fn crash() -> Effect {
        Effect::Node { node: NodeId(0), changed: true }
    }

    #[test]
    fn a_leader_crash_measures_downtime_unavailability_and_the_heal() {
        let reigns = [reign(0, 200, Some(3000)), reign(2, 3250, None)];
        let ok = [2990 * MS, 3100 * MS, 3260 * MS, 3300 * MS, 6001 * MS, 6020 * MS];
        let f = fault(FaultKind::Crash, 3000, Some(6000), crash());
        let r = &recovery(&[f], &reigns, &ok, &[(0, SimTime(6500 * MS))])[0];
        assert!(r.removed_leader);
        assert!((r.new_leader_s.unwrap() - 0.25).abs() < 1e-9, "{r:?}");
        // The op completed at 3.1 s (before any new leader) does not count.
        assert!((r.next_ok_s.unwrap() - 0.26).abs() < 1e-9, "{r:?}");
        assert_eq!(r.healed_at_s, Some(6.0));
        assert!((r.first_ok_after_heal_s.unwrap() - 0.001).abs() < 1e-9);
        assert!((r.caught_up_s.unwrap() - 0.5).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn a_fault_that_misses_the_leader_removes_none() {
        let reigns = [reign(0, 200, None)];
        let f = fault(FaultKind::Crash, 3000, Some(6000), Effect::Node { node: NodeId(3), changed: true });
        let r = &recovery(&[f], &reigns, &[3100 * MS], &[])[0];
        assert!(!r.removed_leader);
        assert_eq!((r.new_leader_s, r.next_ok_s), (None, None));
        // No leader at the start: nothing removed either.
        let r = &recovery(&[fault(FaultKind::Crash, 100, None, crash())], &reigns, &[], &[])[0];
        assert!(!r.removed_leader && r.healed_at_s.is_none());
    }

    #[test]
    fn an_isolated_leader_replaced_behind_its_back_was_removed() {
        // The old leader never steps down (no check-quorum); n2 is elected at 3.4 s.
        let reigns = [reign(0, 200, None), reign(2, 3400, None)];
        let f = fault(FaultKind::Isolate, 3000, Some(5000), crash());
        let r = &recovery(&[f], &reigns, &[], &[])[0];
        assert_eq!(r.caught_up_s, None, "no catch-up observed");
        assert!(r.removed_leader);
        assert!((r.new_leader_s.unwrap() - 0.4).abs() < 1e-9);
        assert_eq!(r.next_ok_s, None, "no ok operation at all");
        // Faults that cannot remove a leader and were not undone are left out.
        let spike = fault(FaultKind::LatencySpike, 1000, None, crash());
        assert!(recovery(&[spike], &reigns, &[], &[]).is_empty());
    }
}
