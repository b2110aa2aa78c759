//! `resume`: a paused node goes on; the pause's window ends.

use super::{FaultType, FaultWorld, Started, with_rng};
use crate::fault::resolve::node;
use crate::fault::{Effect, FaultKind};
use crate::spec::NodeRef;

/// A resume of this node.
#[derive(Clone, Debug)]
pub struct Resume(pub NodeRef);

impl FaultType for Resume {
    fn kind(&self) -> FaultKind {
        FaultKind::Resume
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.0, view, rng));
        let resumed = w.resume(n);
        w.end_windows_on(n, FaultKind::Pause);
        Started { effect: Effect::Node { node: n, changed: resumed }, window: false }
    }
}
