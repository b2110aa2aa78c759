//! `reconfigure`: an operator changes a server's settings at runtime (fallacy 6). With
//! `"for"`, the server goes back to its boot settings.

use super::{FaultType, FaultWorld, Started, Undone, operator, with_rng};
use crate::fault::FaultKind;
use crate::fault::resolve::node;
use crate::fault::{AdminCommand, Command, SettingsPatch};
use crate::sim::NodeId;
use crate::spec::NodeRef;

/// A settings change on one server.
#[derive(Clone, Debug)]
pub struct Reconfigure {
    node: NodeRef,
    patch: SettingsPatch,
    changed: Option<NodeId>,
}

impl Reconfigure {
    /// `node` gets the settings `patch` names (in its protocol's words).
    pub fn new(node: NodeRef, patch: SettingsPatch) -> Self {
        Reconfigure { node, patch, changed: None }
    }
}

impl FaultType for Reconfigure {
    fn kind(&self) -> FaultKind {
        FaultKind::Reconfigure
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.node, view, rng));
        let (effect, handed) = operator(w, Some(n), Command::Configure(self.patch.clone()));
        self.changed = handed;
        Started { effect, window: handed.is_some() }
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        match self.changed.take() {
            Some(n) => {
                w.admin(n, &AdminCommand::ResetConfig);
                Undone::Reconfigured(n)
            }
            None => Undone::Nothing,
        }
    }
}
