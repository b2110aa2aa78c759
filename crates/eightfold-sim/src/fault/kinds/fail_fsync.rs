//! `fail_fsync`: a server's next `count` fsyncs fail.

use super::{FaultType, FaultWorld, Started, with_rng};
use crate::fault::resolve::node;
use crate::fault::{Effect, FaultKind};
use crate::spec::NodeRef;

/// Failing fsyncs on a server.
#[derive(Clone, Debug)]
pub struct FailFsync {
    /// The server.
    pub node: NodeRef,
    /// How many.
    pub count: u32,
}

impl FaultType for FailFsync {
    fn kind(&self) -> FaultKind {
        FaultKind::FailFsync
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let n = with_rng(w, |view, rng| node(self.node, view, rng));
        w.disk(n).0.fail_fsyncs(self.count as u64);
        Started { effect: Effect::FailFsync { node: n, count: self.count }, window: false }
    }
}
