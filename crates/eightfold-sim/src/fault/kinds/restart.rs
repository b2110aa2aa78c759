//! `restart`: a crashed node boots from its disk; the crash's window ends.

use super::{FaultType, FaultWorld, Started, with_rng};
use crate::fault::resolve::node;
use crate::fault::{Effect, FaultKind};
use crate::spec::NodeRef;

/// A restart of this node.
#[derive(Clone, Debug)]
pub struct Restart(pub NodeRef);

impl FaultType for Restart {
    fn kind(&self) -> FaultKind {
        FaultKind::Restart
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.0, view, rng));
        let was_down = !w.view().is_up(n);
        w.boot(n);
        w.end_windows_on(n, FaultKind::Crash);
        Started { effect: Effect::Node { node: n, changed: was_down }, window: false }
    }
}
