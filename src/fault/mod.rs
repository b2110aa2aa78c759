//! The fault schedule: the scenario's list of faults, turned into timed actions on the
//! world, with symbolic targets resolved when each fault fires.
//!
//! A fault with `"for"` expands into two actions: the fault, and its undoing at `at + for`.
//! Symbolic targets (`"leader"`, `"random"`, `"minority"`) are resolved against the
//! cluster's state at the instant the fault fires, using the run's `"faults"` random
//! stream, so the same seed always picks the same victim and adding a fault never changes
//! the draws of the network or the workload.
//!
//! What each action did is kept as a typed [`FaultRecord`] (its [`FaultKind`], the nodes it
//! touched, the cut as sets of node ids, its window): the World writes them, the digest
//! folds their fields, and reports, charts and checks read them. Words are made from a
//! record only for people to read, never parsed back.

pub mod operator;
pub mod record;
pub mod resolve;

use crate::scenario::{Fault, FaultEntry};
use crate::sim::{SimDuration, SimTime};

pub use crate::scenario::FaultKind;
pub use operator::{AdminCommand, ConfigPatch};
pub use record::{BitFlip, Command, Effect, FaultRecord, LinkChange};
pub use resolve::{ClusterView, Resolved};

/// One timed action of the schedule.
#[derive(Clone, Debug)]
pub struct Action {
    /// When it happens.
    pub at: SimTime,
    /// Index of the scenario entry it comes from (`faults[i]`).
    pub entry: usize,
    /// Whether this action starts the fault or undoes it.
    pub phase: Phase,
    /// For a rolling restart: which server (by index) this action restarts.
    pub part: Option<u32>,
}

/// Whether an action applies a fault or reverts it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The fault begins.
    Start,
    /// The fault's `"for"` ran out: undo it.
    Revert,
}

/// The schedule of a run: the faults and their timed actions, in time order.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    /// The scenario's fault entries.
    pub entries: Vec<FaultEntry>,
    /// The actions, sorted by time (ties keep schedule order: starts before reverts
    /// of later entries, exactly as written).
    pub actions: Vec<Action>,
}

impl Schedule {
    /// Expands the scenario's entries into timed actions for a cluster of `servers`.
    pub fn new(entries: &[FaultEntry], servers: u32) -> Self {
        let mut actions = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let at = SimTime(e.at.0.as_nanos());
            if let Fault::RollingRestart { interval, downtime } = &e.fault {
                for s in 0..servers {
                    let start = at + SimDuration(interval.0.as_nanos() * s as u64);
                    actions.push(Action { at: start, entry: i, phase: Phase::Start, part: Some(s) });
                    actions.push(Action {
                        at: start + downtime.0,
                        entry: i,
                        phase: Phase::Revert,
                        part: Some(s),
                    });
                }
                continue;
            }
            actions.push(Action { at, entry: i, phase: Phase::Start, part: None });
            if let Some(d) = e.lasts {
                actions.push(Action { at: at + d.0, entry: i, phase: Phase::Revert, part: None });
            }
        }
        // Stable sort: equal times keep the order written in the file.
        actions.sort_by_key(|a| a.at);
        Schedule { entries: entries.to_vec(), actions }
    }

    /// The fault of an action.
    pub fn fault(&self, a: &Action) -> &Fault {
        &self.entries[a.entry].fault
    }

    /// The time after which no scheduled fault is active any more: the last heal, revert
    /// or fault time (zero for an empty schedule). Liveness is judged after this instant.
    pub fn quiet_after(&self) -> SimTime {
        self.actions.iter().map(|a| a.at).max().unwrap_or(SimTime::ZERO)
    }
}
