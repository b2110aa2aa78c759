//! `bug`: a build with a named bug is deployed to servers mid-run, so a learner can watch a
//! healthy cluster go wrong the moment the faulty code arrives (and the checks catch it).
//!
//! The kernel knows the bug only as a pair of [`SettingsPatch`]es in the protocol's own words:
//! `on` switches it on, `off` back off. A deployment outlives a crash: the world keeps it and
//! hands `on` again to a server that reboots while it lasts (after its `on_start`, at the same
//! instant), as a restarted process runs the build on its disk. With `"for"`, the fixed build
//! is deployed at the end: every server it reached takes `off`, and reboots get nothing more
//! from it (a deployment of another entry still in place on the server is handed over again,
//! so two overlapping `bug` faults of one bug leave it on until the last ends).

use super::{FaultType, FaultWorld, Started, Undone, with_rng};
use crate::fault::resolve::group;
use crate::fault::{AdminCommand, Effect, FaultKind, SettingsPatch};
use crate::sim::NodeId;
use crate::spec::GroupRef;

/// A buggy build deployed to some servers (every server when `nodes` is `None`).
#[derive(Clone, Debug)]
pub struct Bug {
    nodes: Option<GroupRef>,
    on: SettingsPatch,
    off: SettingsPatch,
    deployed: Vec<NodeId>,
}

impl Bug {
    /// Deploys `on` to `nodes` (every server for `None`); `off` is what undoes it.
    pub fn new(nodes: Option<GroupRef>, on: SettingsPatch, off: SettingsPatch) -> Self {
        Bug { nodes, on, off, deployed: Vec::new() }
    }
}

impl FaultType for Bug {
    fn kind(&self) -> FaultKind {
        FaultKind::Bug
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let nodes = match &self.nodes {
            None => w.view().servers().to_vec(),
            Some(g) => with_rng(w, |view, rng| group(g, view, rng)),
        };
        for &n in &nodes {
            w.deploy(n, Some(&self.on));
        }
        self.deployed = nodes.clone();
        Started { effect: Effect::Deploy { nodes, patch: self.on.clone() }, window: true }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        if self.deployed.is_empty() {
            return Undone::Nothing;
        }
        for n in std::mem::take(&mut self.deployed) {
            if w.view().is_up(n) {
                w.admin(n, &AdminCommand::Configure(self.off.clone()));
            }
            // Another deployment still in place on it (an overlapping `bug` fault) holds.
            w.deploy(n, None);
        }
        Undone::Redeployed
    }
}
