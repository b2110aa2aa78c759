//! `remove_server`: the operator asks the leader to remove a server from the cluster; with
//! no leader, nothing happens.

use super::{FaultType, FaultWorld, Started, operator, with_rng};
use crate::fault::Command;
use crate::fault::FaultKind;
use crate::fault::resolve::node;
use crate::spec::NodeRef;

/// A membership change for this server.
#[derive(Clone, Debug)]
pub struct RemoveServer(pub NodeRef);

impl FaultType for RemoveServer {
    fn kind(&self) -> FaultKind {
        FaultKind::RemoveServer
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.0, view, rng));
        let (effect, _) = operator(w, None, Command::RemoveServer(n));
        Started { effect, window: false }
    }
}
