//! The broadcast check: after the network heals, every live server holds every value a
//! client saw acknowledged, and how long that took.
//!
//! Timing comes from the servers' `Learned` observations (when did the last server learn
//! each value); the verdict comes from the servers' actual state at the end of the run,
//! so a node that lost values in a crash cannot be vouched for by old observations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::{NodeId, Observation, SimTime};
use crate::world::Observer;

/// Follows `Learned` observations: when each value reached each server.
#[derive(Debug, Default)]
pub struct SpreadTracker {
    servers: usize,
    /// value → (servers holding it, time it reached the last of them)
    values: BTreeMap<u64, (Vec<bool>, usize, Option<SimTime>)>,
}

impl SpreadTracker {
    /// A tracker for a cluster of `servers` servers (ids `0..servers`).
    pub fn new(servers: usize) -> Self {
        SpreadTracker { servers, values: BTreeMap::new() }
    }

    /// When `value` had reached every server, if it did.
    pub fn complete_at(&self, value: u64) -> Option<SimTime> {
        self.values.get(&value).and_then(|v| v.2)
    }

    /// How many servers have held `value` at some point.
    pub fn reach(&self, value: u64) -> usize {
        self.values.get(&value).map(|v| v.1).unwrap_or(0)
    }
}

impl Observer for SpreadTracker {
    fn observe(&mut self, now: SimTime, node: NodeId, obs: &Observation) -> Result<(), String> {
        if let Observation::Learned { value } = obs {
            if node.index() < self.servers {
                let servers = self.servers;
                let e = self.values.entry(*value).or_insert_with(|| (vec![false; servers], 0, None));
                if !e.0[node.index()] {
                    e.0[node.index()] = true;
                    e.1 += 1;
                    if e.1 == servers {
                        e.2 = Some(now);
                    }
                }
            }
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "convergence"
    }
}

/// The figures of a broadcast run, as reported in `outcome.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// Values clients injected.
    pub injected: u64,
    /// Values a server acknowledged.
    pub acknowledged: u64,
    /// Acknowledged values missing from at least one live server at the end.
    pub missing: u64,
    /// Live servers at the end.
    pub live_servers: u64,
    /// Time from acknowledgement to the value reaching every server, median, ms.
    pub spread_p50_ms: Option<f64>,
    /// The same, 99th percentile, ms.
    pub spread_p99_ms: Option<f64>,
    /// The same, worst case, ms.
    pub spread_max_ms: Option<f64>,
    /// When the schedule's last fault action happened (s).
    pub quiet_after_s: f64,
    /// When every acknowledged value had reached every server (s), if it happened.
    pub converged_at_s: Option<f64>,
    /// Time from the last fault action to full convergence (s).
    pub convergence_after_faults_s: Option<f64>,
}

/// The 1-based nearest rank of the `q`-quantile among `n` values (`n` ≥ 1).
pub fn nearest_rank(q: f64, n: usize) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n)
}

/// Nearest-rank percentile of sorted values.
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    (!sorted.is_empty()).then(|| sorted[nearest_rank(q, sorted.len()) - 1])
}

/// Judges a broadcast run: `acked` lists (value, ack time); `holdings` lists the value sets
/// of the servers that are up at the end.
pub fn judge(
    injected: u64,
    acked: &[(u64, SimTime)],
    holdings: &[&std::collections::BTreeSet<u64>],
    tracker: &SpreadTracker,
    quiet_after: SimTime,
) -> (bool, String, Convergence) {
    let missing: Vec<u64> =
        acked.iter().filter(|(v, _)| holdings.iter().any(|h| !h.contains(v))).map(|(v, _)| *v).collect();
    let mut spreads: Vec<f64> = acked
        .iter()
        .filter_map(|(v, t)| tracker.complete_at(*v).map(|c| c.saturating_since(*t).as_millis_f64()))
        .collect();
    spreads.sort_by(f64::total_cmp);
    let converged_at = if missing.is_empty() {
        acked.iter().map(|(v, _)| tracker.complete_at(*v)).try_fold(SimTime::ZERO, |m, c| c.map(|c| m.max(c)))
    } else {
        None
    };
    let figures = Convergence {
        injected,
        acknowledged: acked.len() as u64,
        missing: missing.len() as u64,
        live_servers: holdings.len() as u64,
        spread_p50_ms: percentile(&spreads, 0.5),
        spread_p99_ms: percentile(&spreads, 0.99),
        spread_max_ms: spreads.last().copied(),
        quiet_after_s: quiet_after.as_secs_f64(),
        converged_at_s: converged_at.map(|t| t.as_secs_f64()),
        convergence_after_faults_s: converged_at.map(|t| t.saturating_since(quiet_after).as_secs_f64()),
    };
    if missing.is_empty() {
        let after = match converged_at {
            Some(t) if t > quiet_after && quiet_after > SimTime::ZERO => {
                format!(
                    "; full convergence {:.3} s after the last fault action at {quiet_after}",
                    (t - quiet_after).as_secs_f64()
                )
            }
            Some(t) => format!("; full convergence at {t}"),
            None => String::new(),
        };
        let detail = format!(
            "all {} live servers hold all {} acknowledged values{after}",
            holdings.len(),
            acked.len()
        );
        (true, detail, figures)
    } else {
        let shown: Vec<String> =
            missing.iter().take(5).map(|v| format!("c{}#{}", (v >> 32) + 1, v & 0xFFFF_FFFF)).collect();
        let detail = format!(
            "{} of {} acknowledged values are missing from a live server at the end (e.g. {})",
            missing.len(),
            acked.len(),
            shown.join(", ")
        );
        (false, detail, figures)
    }
}
