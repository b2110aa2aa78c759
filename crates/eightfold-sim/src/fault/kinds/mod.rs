//! One fault kind, one module: what each fault of the schedule does to the world, and how it
//! is undone, behind one trait, [`FaultType`].
//!
//! Each file of this directory is one kind (`crash.rs`, `partition.rs`, …; `replay` and
//! `forge`, which differ only in how the adversary strikes, share `adversary.rs`). It resolves the
//! kind's symbolic targets (`"leader"`, `"follower"`, `"minority"`, …) against the cluster as
//! it is when the fault fires, applies the fault to the world, keeps what it needs to undo it
//! (the cut it made, the clock it replaced, the links it owns), undoes it when its `"for"`
//! runs out, and says what it did as a typed [`Effect`] (the words are made from the effect
//! only at the edge, by [`crate::fault::record`]). The simulator's registry
//! (`eightfold::runner::faults`) turns a scenario's fault into its kind: adding a kind is
//! its own file here and one line there (plus its JSON shape).
//!
//! ## Where the cut between layers runs
//!
//! A kind needs the world to act on, but `fault` sits below `world`: so a kind acts through
//! [`FaultWorld`], the few things a fault may do (crash or boot a node, add a cut, modify
//! links, set a clock, hand an operator's command over, …), which the World implements
//! (`world/faults.rs`) — the World depends on this module, never the other way. The
//! scenario's list of faults (the JSON shape, its error messages and the checks run while a
//! file is parsed) belongs to the simulator crate above, which builds each kind from it: so
//! this crate knows a `reconfigure` only as a [`crate::fault::SettingsPatch`] of named
//! settings, never as any protocol's settings.
//!
//! A kind is not limited to the built-in ones: anything implementing [`FaultType`] can be
//! put on a [`super::Schedule`] with [`super::Schedule::push`], or on a running World with
//! `World::add_fault` (`tests/integration/fault_kinds.rs` runs a toy kind that way). It
//! records itself as [`FaultKind::Custom`] with its own name; what it did is said with the
//! shared typed [`Effect`] and [`Undone`], so every report, chart and check reads it.
//!
//! Link faults (`link_down`, `latency_spike`, `degrade`) are small rules on directed links,
//! [`crate::net::LinkMod`] (down, slower, degraded), which the network consults for every
//! message it sends over the link — the role turmoil's per-message link rules play. A kind
//! adds its rules under its own owner id and removes exactly those when it is undone.

pub mod add_server;
pub mod adversary;
pub mod bridge;
pub mod bug;
pub mod clock;
pub mod corrupt_disk;
pub mod crash;
pub mod degrade;
pub mod fail_fsync;
pub mod heal;
pub mod isolate;
pub mod latency_spike;
pub mod link_down;
pub mod link_up;
pub mod partition;
pub mod partition_oneway;
pub mod pause;
pub mod reconfigure;
pub mod remove_server;
pub mod restart;
pub mod resume;
pub mod ring;
pub mod rolling_restart;
pub mod slow_disk;
pub mod slow_node;

use std::fmt;

use super::resolve::ClusterView;
use super::{Effect, FaultKind, FaultRecord};
use crate::disk::Disk;
use crate::fault::AdminCommand;
use crate::net::Network;
use crate::sim::{Digest, NodeId, SimDuration, SimRng, SimTime};

pub use adversary::{Adversary, Strike};

/// The kind of a scheduled fault: how it is applied to the world and undone.
///
/// One value per schedule entry; it keeps its own state between [`FaultType::start`] and
/// [`FaultType::revert`] (the cut it added, the clock it replaced…).
pub trait FaultType: fmt::Debug + Send + CloneFaultType {
    /// Which kind it is, as fault records name it (the record's `kind`, folded into the
    /// digest by its code).
    fn kind(&self) -> FaultKind;

    /// The timed steps of an entry at `at` lasting `lasts`, in a cluster of `servers`: by
    /// default the fault at `at` and, with a `"for"`, its undoing at `at + lasts`.
    fn steps(&self, at: SimTime, lasts: Option<SimDuration>, servers: u32) -> Vec<Step> {
        let _ = servers;
        let mut v = vec![Step { at, phase: Phase::Start, part: None }];
        if let Some(d) = lasts {
            v.push(Step { at: at + d, phase: Phase::Revert, part: None });
        }
        v
    }

    /// Applies the fault now (resolving its targets first); `part` is the step's part, for a
    /// kind whose steps have parts. Says what it did, and whether it stays in effect.
    fn start(&mut self, w: &mut dyn FaultWorld, part: Option<u32>) -> Started;

    /// Undoes what [`FaultType::start`] left in effect (its `"for"` ran out), and says what.
    fn revert(&mut self, w: &mut dyn FaultWorld, part: Option<u32>) -> Undone {
        let _ = (w, part);
        Undone::Nothing
    }

    /// A wake-up the kind asked for with [`FaultWorld::wake_at`] (an adversary's next strike).
    fn wake(&mut self, w: &mut dyn FaultWorld) {
        let _ = w;
    }
}

/// Cloning a boxed [`FaultType`] (a schedule is cloned per run); implemented for every
/// `Clone` kind.
pub trait CloneFaultType {
    /// A copy of the kind, in a box.
    fn clone_box(&self) -> Box<dyn FaultType>;
}

impl<T: FaultType + Clone + 'static> CloneFaultType for T {
    fn clone_box(&self) -> Box<dyn FaultType> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn FaultType> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Whether a step applies a fault or reverts it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The fault begins.
    Start,
    /// The fault's `"for"` ran out: undo it.
    Revert,
}

/// One timed step of a schedule entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// When.
    pub at: SimTime,
    /// Start or revert.
    pub phase: Phase,
    /// For a kind applied in parts (a rolling restart: one server each), which part.
    pub part: Option<u32>,
}

/// What starting a fault did.
#[derive(Clone, Debug, PartialEq)]
pub struct Started {
    /// What it did, with concrete nodes.
    pub effect: Effect,
    /// True if it stays in effect (a window in the fault log); false for an instantaneous
    /// action (a heal, a restart, an operator's command), or one that changed nothing.
    pub window: bool,
}

/// What the end of a fault's window undid, as the digest folds it and the trace tells it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Undone {
    /// Nothing was left to undo (something else had already undone it).
    Nothing,
    /// A cut was lifted.
    Cut,
    /// A crashed node was restarted.
    Restarted(NodeId),
    /// A paused node was resumed.
    Resumed(NodeId),
    /// Modified links were restored.
    Links,
    /// A node's clock was restored.
    Clock(NodeId),
    /// A node's CPU is back to its speed.
    SlowNode(NodeId),
    /// A server's disk is back to its speed.
    SlowDisk(NodeId),
    /// A server is back to its boot settings.
    Reconfigured(NodeId),
    /// An adversary left.
    Adversary,
    /// One server of a rolling restart came back.
    RollingRestarted(NodeId),
    /// A fixed build replaced a buggy one on the servers it had reached.
    Redeployed,
}

impl Undone {
    /// Folds what was undone into the digest: a code for what, and the node.
    pub fn fold(&self, d: &mut Digest) {
        let (code, node) = match *self {
            Undone::Nothing => (0, None),
            Undone::Cut => (1, None),
            Undone::Restarted(n) => (2, Some(n)),
            Undone::Resumed(n) => (3, Some(n)),
            Undone::Links => (4, None),
            Undone::Clock(n) => (5, Some(n)),
            Undone::SlowNode(n) => (6, Some(n)),
            Undone::SlowDisk(n) => (7, Some(n)),
            Undone::Reconfigured(n) => (8, Some(n)),
            Undone::Adversary => (9, None),
            Undone::RollingRestarted(n) => (10, Some(n)),
            Undone::Redeployed => (11, None),
        };
        d.word(code);
        d.word(node.map_or(u64::MAX, |n| n.0 as u64));
    }

    /// What undoing it did, in words (the trace's `detail` of an `end of …` line).
    pub fn describe(&self, name: impl Fn(NodeId) -> String) -> String {
        match *self {
            Undone::Cut => "partition lifted".to_string(),
            Undone::Restarted(n) | Undone::RollingRestarted(n) => format!("{} restarted", name(n)),
            Undone::Resumed(n) => format!("{} resumed", name(n)),
            Undone::Links => "links restored".to_string(),
            Undone::Adversary => "adversary gone".to_string(),
            Undone::Clock(n) => format!("{}'s clock restored", name(n)),
            Undone::SlowNode(n) => format!("{} back to speed", name(n)),
            Undone::SlowDisk(n) => format!("{}'s disk back to speed", name(n)),
            Undone::Reconfigured(n) => format!("{} back to its boot settings", name(n)),
            Undone::Redeployed => "the fixed build deployed again".to_string(),
            Undone::Nothing => "nothing left to undo".to_string(),
        }
    }
}

/// What a fault may do to the world: implemented by the World (`world/faults.rs`) for the
/// schedule entry being applied.
pub trait FaultWorld {
    /// The cluster, as target resolution sees it.
    fn view(&self) -> &dyn ClusterView;
    /// The run's `"faults"` random stream (target draws).
    fn rng(&mut self) -> &mut SimRng;
    /// The current instant.
    fn now(&self) -> SimTime;
    /// Index of the schedule entry being applied (`faults[i]`).
    fn entry(&self) -> usize;
    /// The network: its cuts and link modifications.
    fn network(&mut self) -> &mut Network;
    /// Crashes a node (`why` names the cause in the trace); false if it was already down.
    fn crash(&mut self, node: NodeId, why: &str) -> bool;
    /// Boots a node from its disk (no effect if it is up).
    fn boot(&mut self, node: NodeId);
    /// Pauses a node; false if it is down or already paused.
    fn pause(&mut self, node: NodeId) -> bool;
    /// Resumes a paused node; false if it was not paused.
    fn resume(&mut self, node: NodeId) -> bool;
    /// Hands an operator's command to a running node.
    fn admin(&mut self, node: NodeId, cmd: &AdminCommand);
    /// Deploys settings to `node` for this entry (`Some`): handed to it now if it is up, and
    /// again after each reboot, until the entry takes them back (`None`; the node's other
    /// deployments still in place are then handed to it again, oldest first).
    fn deploy(&mut self, node: NodeId, patch: Option<&crate::fault::SettingsPatch>);
    /// A node's clock: offset from true time at time zero (ns) and rate.
    fn clock(&self, node: NodeId) -> (i64, f64);
    /// Sets a node's clock.
    fn set_clock(&mut self, node: NodeId, offset_ns: i64, rate: f64);
    /// A node's CPU slowness factor (1: normal).
    fn slowness(&self, node: NodeId) -> f64;
    /// Sets a node's CPU slowness factor.
    fn set_slowness(&mut self, node: NodeId, factor: f64);
    /// A server's disk, with the server's own disk random stream.
    fn disk(&mut self, node: NodeId) -> (&mut Disk, &mut SimRng);
    /// One more (`true`) or one fewer (`false`) adversary on the wire, capturing traffic.
    fn adversary(&mut self, present: bool);
    /// One adversary strike now: replays a captured message, or forges one.
    fn strike(&mut self, how: Strike);
    /// Asks for [`FaultType::wake`] at `at`.
    fn wake_at(&mut self, at: SimTime);
    /// The fault log so far (windows this and earlier faults opened).
    fn fault_log(&mut self) -> &mut [FaultRecord];
    /// Ends the open windows of `kind` that touched `node` (a restart ends a crash, a resume
    /// a pause).
    fn end_windows_on(&mut self, node: NodeId, kind: FaultKind);
    /// True if this entry's window is still open (nothing else, a heal or a restart, ended
    /// it).
    fn window_open(&self) -> bool {
        false
    }
}

/// Resolves targets with the run's fault stream: `f` gets the cluster and the stream (a
/// copy, written back afterwards, so resolution never borrows the world mutably).
pub fn with_rng<T>(w: &mut dyn FaultWorld, f: impl FnOnce(&dyn ClusterView, &mut SimRng) -> T) -> T {
    let mut rng = w.rng().clone();
    let out = f(w.view(), &mut rng);
    *w.rng() = rng;
    out
}

/// A cut kind's state: the cut it added, to lift when its `"for"` runs out (unless a heal
/// lifted it first).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct CutState(Option<crate::net::CutId>);

impl CutState {
    /// Adds the cut and remembers it.
    fn start(&mut self, w: &mut dyn FaultWorld, cut: crate::net::Cut) -> Started {
        self.0 = Some(w.network().partitions_mut().add(cut.clone()));
        Started { effect: Effect::Cut(cut), window: true }
    }

    /// Lifts the cut if no heal did.
    fn revert(&mut self, w: &mut dyn FaultWorld) -> Undone {
        match self.0.take() {
            Some(id) if w.window_open() => {
                w.network().partitions_mut().remove(id);
                Undone::Cut
            }
            _ => Undone::Nothing,
        }
    }
}

/// A link kind's state: the owner id of its link modifications, to remove when its `"for"`
/// runs out.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct LinkState(Option<u64>);

impl LinkState {
    /// Applies `change` to every link of `pairs` (each a small rule the network consults for
    /// every message on that link), owned by this entry.
    fn start(
        &mut self,
        w: &mut dyn FaultWorld,
        pairs: Vec<(NodeId, NodeId)>,
        change: crate::net::LinkMod,
    ) -> Started {
        use crate::net::LinkMod;
        let owner = w.entry() as u64 + 1;
        let what = match &change {
            LinkMod::Down => super::LinkChange::Down,
            LinkMod::LatencyFactor(f) => super::LinkChange::LatencyFactor(*f),
            LinkMod::Overlay(_) => super::LinkChange::Degraded,
        };
        for &(x, y) in &pairs {
            w.network().modify(x, y, owner, change.clone());
        }
        self.0 = Some(owner);
        Started { effect: Effect::Links { pairs, change: what }, window: true }
    }

    /// Removes this entry's modifications.
    fn revert(&mut self, w: &mut dyn FaultWorld) -> Undone {
        match self.0.take() {
            Some(owner) => {
                w.network().unmodify(owner);
                Undone::Links
            }
            None => Undone::Nothing,
        }
    }
}

/// Hands an operator's command to `to` (or, for `None`, to the current leader), if that
/// server is up: what `reconfigure`, `add_server` and `remove_server` share. The command is
/// the record's [`super::Command`], so only what a schedule can issue can be passed.
fn operator(w: &mut dyn FaultWorld, to: Option<NodeId>, command: super::Command) -> (Effect, Option<NodeId>) {
    use super::Command;
    let target = to.or_else(|| super::resolve::leader(w.view()));
    let cmd = match &command {
        Command::AddServer(n) => AdminCommand::AddServer(*n),
        Command::RemoveServer(n) => AdminCommand::RemoveServer(*n),
        Command::Configure(p) => AdminCommand::Configure(p.clone()),
    };
    let delivered = target.is_some_and(|n| w.view().is_up(n));
    let handed = target.filter(|_| delivered);
    if let Some(n) = handed {
        w.admin(n, &cmd);
    }
    (Effect::Admin { to: target, delivered, command }, handed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_kind_has_its_own_name_and_a_code_apart_from_every_built_in_one() {
        let toy = FaultKind::Custom("deafen");
        assert_eq!(toy.name(), "deafen");
        assert_eq!(toy.to_string(), "deafen");
        assert!(FaultKind::ALL.iter().all(|k| k.code() != toy.code()));
        assert_ne!(toy.code(), FaultKind::Custom("other").code());
        assert!(!toy.cuts_network());
        // Written by its name like any kind; only the built-in ones can be read back.
        assert_eq!(serde_json::to_string(&toy).expect("serialises"), "\"deafen\"");
        assert!(serde_json::from_str::<FaultKind>("\"deafen\"").is_err());
        assert_eq!(serde_json::from_str::<FaultKind>("\"crash\"").expect("parses"), FaultKind::Crash);
    }
}
