//! The fault schedule: the scenario's list of faults, turned into timed actions on the
//! world, with symbolic targets resolved when each fault fires.
//!
//! A fault with `"for"` expands into two actions: the fault, and its undoing at `at + for`.
//! Symbolic targets (`"leader"`, `"random"`, `"minority"`) are resolved against the
//! cluster's state at the instant the fault fires, using the run's `"faults"` random
//! stream, so the same seed always picks the same victim and adding a fault never changes
//! the draws of the network or the workload.
//!
//! Each fault kind lives in its own module under [`kinds`], behind the [`FaultType`] trait:
//! it resolves its targets, applies itself to the world through [`FaultWorld`] and undoes
//! itself.
//!
//! What each action did is kept as a typed [`FaultRecord`] (its [`FaultKind`], the nodes it
//! touched, the cut as sets of node ids, its window): the World writes them, the digest
//! folds their fields, and reports, charts and checks read them. Words are made from a
//! record only for people to read, never parsed back.

mod kind;
pub mod kinds;
pub mod operator;
pub mod record;
pub mod resolve;

use crate::sim::{SimDuration, SimTime};

pub use kind::FaultKind;
pub use kinds::{FaultType, FaultWorld, Phase, Started, Step, Undone};
pub use operator::{AdminCommand, Setting, SettingValue, SettingsPatch};
pub use record::{BitFlip, Command, Effect, FaultRecord, LinkChange};
pub use resolve::ClusterView;

/// One timed action of the schedule.
#[derive(Clone, Debug)]
pub struct Action {
    /// When it happens.
    pub at: SimTime,
    /// Index of the schedule entry it comes from (`faults[i]`).
    pub entry: usize,
    /// Whether this action starts the fault or undoes it.
    pub phase: Phase,
    /// For a kind applied in parts (a rolling restart: which server, by index).
    pub part: Option<u32>,
}

/// One entry of the schedule: a fault of some kind, when it starts, and how long it lasts.
#[derive(Clone, Debug)]
pub struct Entry {
    /// When the fault starts.
    pub at: SimTime,
    /// How long it lasts, if its `"for"` undoes it.
    pub lasts: Option<SimDuration>,
    /// The fault: how it is applied and undone.
    pub fault: Box<dyn FaultType>,
}

/// The schedule of a run: the faults and their timed actions, in time order.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    /// The entries, in the order written (`faults[i]` is `entries[i]`).
    pub entries: Vec<Entry>,
    /// The actions, sorted by time (ties keep schedule order: starts before reverts
    /// of later entries, exactly as written); a fault added to a running World
    /// ([`crate::world::World::add_fault`]) appends its own after them.
    pub actions: Vec<Action>,
    /// Servers in the cluster (a kind applied in parts has one per server).
    servers: u32,
}

impl Schedule {
    /// An empty schedule for a cluster of `servers` (a kind applied in parts has one part per
    /// server).
    pub fn new(servers: u32) -> Self {
        Schedule { entries: Vec::new(), actions: Vec::new(), servers }
    }

    /// A schedule of these faults, each starting at its time and undone after its duration
    /// if it has one, in the order given (the simulator reads them from a scenario's
    /// `"faults"`; equal times keep this order).
    pub fn of(
        servers: u32,
        faults: impl IntoIterator<Item = (SimTime, Option<SimDuration>, Box<dyn FaultType>)>,
    ) -> Self {
        let mut s = Schedule::new(servers);
        for (at, lasts, fault) in faults {
            s.append(at, lasts, fault, servers);
        }
        s.sort();
        s
    }

    /// Adds a fault of any kind at `at`, undone after `lasts` if given .
    pub fn push(&mut self, at: SimTime, lasts: Option<SimDuration>, fault: Box<dyn FaultType>) {
        self.append(at, lasts, fault, self.servers);
        self.sort();
    }

    /// Adds a fault's entry for a cluster of `servers`, with its actions after every action
    /// already there (not sorted in: a running World has queued those by index); returns the
    /// new actions' indices.
    pub fn append(
        &mut self,
        at: SimTime,
        lasts: Option<SimDuration>,
        fault: Box<dyn FaultType>,
        servers: u32,
    ) -> std::ops::Range<usize> {
        let entry = self.entries.len();
        let first = self.actions.len();
        for step in fault.steps(at, lasts, servers) {
            self.actions.push(Action { at: step.at, entry, phase: step.phase, part: step.part });
        }
        self.entries.push(Entry { at, lasts, fault });
        first..self.actions.len()
    }

    /// Puts the actions in time order. Stable: equal times keep the order written in the file.
    fn sort(&mut self) {
        self.actions.sort_by_key(|a| a.at);
    }

    /// The time after which no scheduled fault is active any more: the last heal, revert
    /// or fault time (zero for an empty schedule). Liveness is judged after this instant.
    pub fn quiet_after(&self) -> SimTime {
        self.actions.iter().map(|a| a.at).max().unwrap_or(SimTime::ZERO)
    }
}
