//! Catching up after a heal: when every live server has applied everything the cluster had
//! committed when the fault was undone.
//!
//! An [`Observer`] of what servers announce — `Committed`, `Applied` and `Snapshot`
//! observations and their start, crash, pause and resume — never of protocol internals.
//!
//! # Definition
//!
//! For a heal at `h` (a windowed fault's end, or a `heal` entry; the runner passes the
//! scenario's instants in):
//!
//! - the **target** is the highest index any server had announced as committed by `h`
//!   (at least the leader's commit index at `h`; a deposed leader's announcement counts too,
//!   since committed entries are never lost);
//! - a server is **live** while it has started and is neither crashed nor paused;
//! - a server's **applied** index is the highest entry it applied (or installed by snapshot)
//!   since it last started: a restarted server must apply its log again;
//! - **caught up** is the first instant at or after `h` at which every live server's applied
//!   index has reached the target (at `h` itself if it already had, once every event of the
//!   instant `h` — a restart at the end of a crash's window — has happened). A run that ends
//!   first has no instant.
//!
//! Protocols that announce no commit index (the quorum store, gossip) are not measured: their
//! target is zero and the figure is left out.

use crate::scenario::{Fault, FaultEntry};
use crate::sim::{NodeId, Observation, SimTime};
use crate::world::{Lifecycle, Observer};

/// The heals of a fault schedule, `(entry, instant)`: each windowed fault's end, and each
/// `heal` entry's start.
pub fn heals(faults: &[FaultEntry]) -> Vec<(usize, SimTime)> {
    faults
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let at = f.at.0.as_nanos();
            match (&f.fault, f.lasts) {
                (Fault::Heal {}, _) => Some((i, SimTime(at))),
                (_, Some(d)) => Some((i, SimTime(at + d.0.as_nanos()))),
                _ => None,
            }
        })
        .collect()
}

/// One heal being followed.
#[derive(Clone, Debug)]
struct Heal {
    entry: usize,
    at: u64,
    /// The commit index to reach, once the heal's instant has passed.
    target: Option<u64>,
    done: Option<u64>,
}

/// Follows servers' progress to time their catch-up after each heal.
#[derive(Debug)]
pub struct CatchUp {
    live: Vec<bool>,
    applied: Vec<u64>,
    committed: u64,
    /// Sorted by instant.
    heals: Vec<Heal>,
}

impl CatchUp {
    /// A tracker for servers `0..servers` and the heals `(schedule entry, instant)`.
    pub fn new(servers: usize, heals: &[(usize, SimTime)]) -> Self {
        let mut heals: Vec<Heal> = heals
            .iter()
            .map(|&(entry, at)| Heal { entry, at: at.as_nanos(), target: None, done: None })
            .collect();
        heals.sort_by_key(|h| (h.at, h.entry));
        CatchUp { live: vec![false; servers], applied: vec![0; servers], committed: 0, heals }
    }

    /// When each heal's catch-up completed: `(schedule entry, instant)`, for the heals that
    /// caught up before the run ended at `end` and had something to catch up on.
    pub fn caught_up(&self, end: SimTime) -> Vec<(usize, SimTime)> {
        let mut at_end = CatchUp {
            live: self.live.clone(),
            applied: self.applied.clone(),
            committed: self.committed,
            heals: self.heals.clone(),
        };
        at_end.pass(end.as_nanos().saturating_add(1));
        at_end.heals.iter().filter_map(|h| h.done.map(|d| (h.entry, SimTime(d)))).collect()
    }

    /// Starts the heals whose instant is before `now` (their target is what was committed
    /// by then, every event of the heal's own instant included), and closes those already
    /// caught up at their instant.
    fn pass(&mut self, now: u64) {
        for i in 0..self.heals.len() {
            if self.heals[i].target.is_none() && self.heals[i].at < now {
                self.heals[i].target = Some(self.committed);
                let at = self.heals[i].at;
                self.close(i, at);
            }
        }
    }

    /// Closes heal `i` at `now` if every live server reached its target.
    fn close(&mut self, i: usize, now: u64) {
        let h = &self.heals[i];
        if let (None, Some(t)) = (h.done, h.target)
            && t > 0
            && self.live.iter().zip(&self.applied).all(|(&live, &a)| !live || a >= t)
        {
            self.heals[i].done = Some(now);
        }
    }

    fn close_all(&mut self, now: u64) {
        for i in 0..self.heals.len() {
            self.close(i, now);
        }
    }
}

impl Observer for CatchUp {
    fn observe(&mut self, now: SimTime, node: NodeId, obs: &Observation) -> Result<(), String> {
        let now = now.as_nanos();
        self.pass(now);
        let Some(i) = Some(node.index()).filter(|&i| i < self.live.len()) else { return Ok(()) };
        match *obs {
            Observation::Committed { index } => self.committed = self.committed.max(index.0),
            Observation::Applied { index, .. } | Observation::Snapshot { index, .. } => {
                self.applied[i] = self.applied[i].max(index.0);
                self.close_all(now);
            }
            _ => {}
        }
        Ok(())
    }

    fn lifecycle(&mut self, now: SimTime, node: NodeId, event: Lifecycle) {
        let now = now.as_nanos();
        self.pass(now);
        let Some(i) = Some(node.index()).filter(|&i| i < self.live.len()) else { return };
        match event {
            Lifecycle::Start => {
                self.live[i] = true;
                self.applied[i] = 0;
            }
            Lifecycle::Resume => self.live[i] = true,
            Lifecycle::Crash | Lifecycle::Pause => {
                self.live[i] = false;
                self.close_all(now);
            }
        }
    }

    fn name(&self) -> &str {
        "catch_up"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{LogIndex, Term};

    fn applied(i: u64) -> Observation {
        Observation::Applied { index: LogIndex(i), term: Term(1), command: 0 }
    }

    #[test]
    fn a_restarted_server_catches_up_when_it_applied_what_was_committed_at_the_heal() {
        let mut c = CatchUp::new(3, &[(0, SimTime(1000))]);
        for n in 0..3 {
            c.lifecycle(SimTime(0), NodeId(n), Lifecycle::Start);
        }
        c.observe(SimTime(10), NodeId(0), &Observation::Committed { index: LogIndex(5) }).unwrap();
        for n in 0..2 {
            c.observe(SimTime(20), NodeId(n), &applied(5)).unwrap();
        }
        c.lifecycle(SimTime(500), NodeId(2), Lifecycle::Crash);
        // Committed later than the heal: not part of the target.
        c.lifecycle(SimTime(1000), NodeId(2), Lifecycle::Start);
        c.observe(SimTime(1100), NodeId(0), &Observation::Committed { index: LogIndex(9) }).unwrap();
        c.observe(SimTime(1200), NodeId(2), &applied(4)).unwrap();
        assert!(c.caught_up(SimTime(1400)).is_empty());
        c.observe(SimTime(1300), NodeId(2), &applied(5)).unwrap();
        assert_eq!(c.caught_up(SimTime(1400)), vec![(0, SimTime(1300))]);
    }

    #[test]
    fn a_cluster_already_caught_up_at_the_heal_is_caught_up_then() {
        let mut c = CatchUp::new(2, &[(3, SimTime(1000)), (1, SimTime(2000))]);
        for n in 0..2 {
            c.lifecycle(SimTime(0), NodeId(n), Lifecycle::Start);
        }
        c.observe(SimTime(10), NodeId(0), &Observation::Committed { index: LogIndex(2) }).unwrap();
        c.observe(SimTime(20), NodeId(0), &applied(2)).unwrap();
        c.observe(SimTime(30), NodeId(1), &applied(2)).unwrap();
        // A paused server is not live; the next event after the first heal closes it at 1000.
        c.lifecycle(SimTime(1500), NodeId(1), Lifecycle::Pause);
        assert_eq!(c.caught_up(SimTime(1400)), vec![(3, SimTime(1000))]);
        // Nothing after the second heal: it is closed by the run's next event, at its instant.
        c.observe(SimTime(2500), NodeId(0), &Observation::Committed { index: LogIndex(3) }).unwrap();
        assert_eq!(c.caught_up(SimTime(1400)), vec![(3, SimTime(1000)), (1, SimTime(2000))]);
        // Without any commit announced (a protocol without a log), nothing is measured.
        let mut q = CatchUp::new(1, &[(0, SimTime(5))]);
        q.lifecycle(SimTime(0), NodeId(0), Lifecycle::Start);
        q.observe(SimTime(10), NodeId(0), &Observation::Role { role: crate::sim::Role::Peer, term: Term(0) })
            .unwrap();
        assert!(q.caught_up(SimTime(100)).is_empty());
    }
}
