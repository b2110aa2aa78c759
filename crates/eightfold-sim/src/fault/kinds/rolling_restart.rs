//! `rolling_restart`: every server restarted in turn, each down for `downtime`, the next one
//! `interval` after the previous. Applied in parts, one per server (no target to resolve).

use super::{FaultType, FaultWorld, Phase, Started, Step, Undone};
use crate::fault::{Effect, FaultKind};
use crate::sim::{SimDuration, SimTime};

/// A rolling restart.
#[derive(Clone, Debug)]
pub struct RollingRestart {
    /// Time between two servers' restarts.
    pub interval: SimDuration,
    /// How long each is down.
    pub downtime: SimDuration,
}

impl FaultType for RollingRestart {
    fn kind(&self) -> FaultKind {
        FaultKind::RollingRestart
    }

    fn steps(&self, at: SimTime, _: Option<SimDuration>, servers: u32) -> Vec<Step> {
        let mut v = Vec::new();
        for s in 0..servers {
            let start = at + SimDuration(self.interval.as_nanos() * s as u64);
            v.push(Step { at: start, phase: Phase::Start, part: Some(s) });
            v.push(Step { at: start + self.downtime, phase: Phase::Revert, part: Some(s) });
        }
        v
    }

    fn start(&mut self, w: &mut dyn FaultWorld, part: Option<u32>) -> Started {
        let n = w.view().servers()[part.expect("a rolling restart has a part per server") as usize];
        let crashed = w.crash(n, &format!("faults[{}] (rolling restart)", w.entry()));
        Started { effect: Effect::Node { node: n, changed: crashed }, window: crashed }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, part: Option<u32>) -> Undone {
        let n = w.view().servers()[part.expect("a rolling restart has a part per server") as usize];
        w.boot(n);
        w.end_windows_on(n, FaultKind::RollingRestart);
        Undone::RollingRestarted(n)
    }
}
