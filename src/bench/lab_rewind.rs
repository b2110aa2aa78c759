//! The cost of a lab session's time travel: a session on a shipped Raft scenario
//! (`raft-leader-crash`: five servers, five clients) played for a long stretch of virtual
//! time, then rewound to near its start and to its middle. A rewind re-simulates from time
//! zero (see [`crate::lab::session`]), so it costs what simulating up to the target costs.

use serde::Serialize;

use crate::lab::Session;
use crate::sim::{SimDuration, SimTime};

/// The shipped scenario the benchmark plays.
const SCENARIO: &str = include_str!("../../scenarios/raft-leader-crash.json");

/// What the benchmark measured (wall-clock figures: a benchmark, never a verdict).
#[derive(Serialize)]
pub struct Figures {
    /// Virtual time played, s.
    pub played_s: f64,
    /// Events simulated to get there.
    pub events: u64,
    /// Wall-clock time to play it, s.
    pub play_wall_s: f64,
    /// Wall-clock time of a rewind to the middle (re-simulating half of it), s.
    pub rewind_to_middle_s: f64,
    /// Wall-clock time of an action at the end (re-simulating all of it), s.
    pub action_at_end_s: f64,
    /// Peak resident memory of the process, KiB (Linux; 0 elsewhere).
    pub peak_rss_kb: u64,
}

/// Plays `duration` of virtual time, acts at the end, rewinds to the middle.
pub fn run(duration: SimDuration) -> Result<Figures, crate::lab::LabError> {
    let mut s = Session::open(SCENARIO, 1)?;
    let end = SimTime::ZERO + duration;
    let t = std::time::Instant::now();
    s.advance_to(end);
    let play_wall_s = t.elapsed().as_secs_f64();
    let events = s.view()["events"].as_u64().unwrap_or(0);
    let t = std::time::Instant::now();
    s.act(serde_json::json!({"fault": "crash", "node": "n2"}))?;
    let action_at_end_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    s.rewind(SimTime::ZERO + SimDuration(duration.as_nanos() / 2))?;
    let rewind_to_middle_s = t.elapsed().as_secs_f64();
    Ok(Figures {
        played_s: duration.as_nanos() as f64 / 1e9,
        events,
        play_wall_s,
        rewind_to_middle_s,
        action_at_end_s,
        peak_rss_kb: super::ring::peak_rss_kb(),
    })
}
