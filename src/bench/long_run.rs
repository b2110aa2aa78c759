//! The long-run benchmark: does memory stay flat however long a run is?
//!
//! Five Raft servers and ten closed-loop clients on twenty keys, 1–3 ms links, a minority
//! partition at 20 s and a leader crash at 40 s, for a given span of simulated time. The
//! run is checked as it goes (invariants, liveness, linearizability) exactly as `eightfold
//! run` checks it, but writes no report. Figures: events per second, wall time,
//! operations, the verdict, the process's peak resident memory, and its resident memory at
//! checkpoints of simulated time, which should stay flat.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use serde::Serialize;

use super::ring::peak_rss_kb;
use crate::runner::{self, Checkpoints, HistoryOutput, RunError, RunOptions};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::sim::{SimDuration, SimTime};

/// The scenario, with `{duration}` to fill in.
const SCENARIO: &str = r#"{
  "name": "long-run",
  "description": "Five Raft servers and ten clients with a minority partition and a leader crash, run for long to show memory does not grow with the duration.",
  "seed": 7,
  "duration": "{duration}",
  "cluster": { "protocol": "raft", "nodes": 5 },
  "network": { "default": { "latency": { "dist": "uniform", "min": "1ms", "max": "3ms" } } },
  "workload": { "type": "kv", "clients": 10, "keys": 20, "timeout": "300ms" },
  "faults": [
    { "at": "20s", "for": "10s", "fault": "partition", "groups": ["minority"] },
    { "at": "40s", "for": "5s", "fault": "crash", "node": "leader" }
  ]
}"#;

/// The benchmark's scenario for `duration` of simulated time (at least 45 s, past the
/// faults).
pub fn scenario(duration: SimDuration) -> Result<Scenario, ScenarioError> {
    let ms = duration.as_nanos() / 1_000_000;
    scenario::parse(&SCENARIO.replace("{duration}", &format!("{ms}ms")))
}

/// Resident memory at one instant of simulated time.
#[derive(Clone, Debug, Serialize)]
pub struct Checkpoint {
    /// Simulated time reached, seconds.
    pub sim_s: f64,
    /// Wall-clock time since the start, seconds.
    pub wall_s: f64,
    /// Events handled so far.
    pub events: u64,
    /// The process's resident memory then, KiB (Linux; 0 elsewhere).
    pub rss_kb: u64,
}

/// Benchmark figures, printed as one JSON line.
#[derive(Clone, Debug, Serialize)]
pub struct LongRunReport {
    /// Simulated time, seconds.
    pub sim_time_s: f64,
    /// Wall-clock time, seconds.
    pub wall_s: f64,
    /// Events handled.
    pub events: u64,
    /// Events per wall-clock second.
    pub events_per_s: f64,
    /// Client operations that completed `ok`.
    pub ops_ok: u64,
    /// Operations that timed out (`info`) or failed.
    pub ops_other: u64,
    /// Whether every check passed.
    pub passed: bool,
    /// The linearizability verdict.
    pub linearizability: String,
    /// Peak resident memory of the process, KiB (Linux; 0 elsewhere).
    pub peak_rss_kb: u64,
    /// Resident memory along the way.
    pub checkpoints: Vec<Checkpoint>,
    /// The run's digest.
    pub digest: String,
}

/// The process's current resident memory in KiB, from `/proc/self/status` (0 if unknown).
pub fn rss_kb() -> u64 {
    super::proc_status_kb("VmRSS")
}

/// Runs `s` (the benchmark's scenario, or any other), noting resident memory every
/// `every` of simulated time (`None`: not at all).
pub fn run(s: &Scenario, every: Option<SimDuration>) -> Result<LongRunReport, RunError> {
    let started = Instant::now();
    let points = Rc::new(RefCell::new(Vec::new()));
    let checkpoint = every.map(|every| {
        let points = points.clone();
        Checkpoints {
            every,
            call: Box::new(move |at: SimTime, events| {
                points.borrow_mut().push(Checkpoint {
                    sim_s: at.as_secs_f64(),
                    wall_s: started.elapsed().as_secs_f64(),
                    events,
                    rss_kb: rss_kb(),
                });
            }),
        }
    });
    let opts = RunOptions { history: HistoryOutput::Discard, checkpoint, ..RunOptions::seed(s.seed) };
    let out = runner::run(s, opts)?;
    let wall = started.elapsed().as_secs_f64();
    let ops = out.ops.clone().unwrap_or_default();
    let checkpoints = points.borrow().clone();
    Ok(LongRunReport {
        sim_time_s: out.sim_time_ns as f64 / 1e9,
        wall_s: wall,
        events: out.events,
        events_per_s: out.events as f64 / wall.max(1e-9),
        ops_ok: ops.ok,
        ops_other: ops.fail + ops.info,
        passed: out.passed,
        linearizability: out.linearizability.map(|l| l.verdict).unwrap_or_default(),
        peak_rss_kb: peak_rss_kb(),
        checkpoints,
        digest: out.digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_do_not_change_the_run() {
        let s = scenario(SimDuration::from_secs(50)).expect("valid");
        let straight = runner::run(&s, RunOptions::seed(s.seed)).expect("runs");
        let r = run(&s, Some(SimDuration::from_secs(7))).expect("runs");
        assert_eq!(r.digest, straight.digest);
        assert_eq!(r.events, straight.events);
        assert_eq!(r.checkpoints.len(), 7);
        assert_eq!(r.checkpoints[2].sim_s, 21.0);
        assert!(r.checkpoints.windows(2).all(|w| w[0].events < w[1].events));
        assert!(r.passed, "{r:?}");
        assert_eq!(r.linearizability, "linearizable");
        assert!(r.ops_ok > 10_000, "{}", r.ops_ok);
    }

    #[test]
    fn runs_shorter_than_the_faults_are_refused() {
        assert!(scenario(SimDuration::from_secs(30)).is_err());
    }
}
