//! `latency_spike`: the latency of some links multiplied by `factor` — every link to and from
//! `node` if given, else the links from `from` to `to` (default: every server).

use super::{FaultType, FaultWorld, LinkState, Started, Undone, with_rng};
use crate::fault::FaultKind;
use crate::fault::resolve::{node, pairs};
use crate::net::LinkMod;
use crate::sim::NodeId;
use crate::spec::{GroupRef, NodeRef};

/// A latency spike.
#[derive(Clone, Debug)]
pub struct LatencySpike {
    node: Option<NodeRef>,
    from: Option<GroupRef>,
    to: Option<GroupRef>,
    factor: f64,
    links: LinkState,
}

impl LatencySpike {
    /// A spike of `factor` on `node`'s links, or on the links from `from` to `to`.
    pub fn new(node: Option<NodeRef>, from: &Option<GroupRef>, to: &Option<GroupRef>, factor: f64) -> Self {
        LatencySpike { node, from: from.clone(), to: to.clone(), factor, links: LinkState::default() }
    }
}

impl FaultType for LatencySpike {
    fn kind(&self) -> FaultKind {
        FaultKind::LatencySpike
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let p = with_rng(w, |view, rng| match self.node {
            Some(r) => {
                let n = node(r, view, rng);
                let all: Vec<NodeId> =
                    view.servers().iter().chain(view.clients()).copied().filter(|&m| m != n).collect();
                let mut p: Vec<(NodeId, NodeId)> = all.iter().flat_map(|&m| [(n, m), (m, n)]).collect();
                p.sort();
                p
            }
            None => {
                let everyone = GroupRef::Nodes(Vec::new());
                let from = self.from.as_ref().unwrap_or(&everyone);
                let to = self.to.as_ref().unwrap_or(&everyone);
                pairs(from, to, false, view, rng)
            }
        });
        self.links.start(w, p, LinkMod::LatencyFactor(self.factor))
    }

    fn revert(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Undone {
        self.links.revert(w)
    }
}
