//! `link_up`: links a `link_down` took down carry messages again; a `link_down` window ends
//! once none of its links is still down.

use super::{FaultType, FaultWorld, Started, with_rng};
use crate::fault::resolve::pairs;
use crate::fault::{Effect, FaultKind, LinkChange};
use crate::net::LinkMod;
use crate::spec::GroupRef;

/// Links brought back up.
#[derive(Clone, Debug)]
pub struct LinkUp {
    from: GroupRef,
    to: GroupRef,
    both_ways: bool,
}

impl LinkUp {
    /// The links from `from` to `to` (and back, if `both_ways`).
    pub fn new(from: &GroupRef, to: &GroupRef, both_ways: bool) -> Self {
        LinkUp { from: from.clone(), to: to.clone(), both_ways }
    }
}

impl FaultType for LinkUp {
    fn kind(&self) -> FaultKind {
        FaultKind::LinkUp
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let t = w.now();
        let pairs = with_rng(w, |view, rng| pairs(&self.from, &self.to, self.both_ways, view, rng));
        let net = w.network();
        for &(x, y) in &pairs {
            // Every fault that took this link down lets go of it (all of that fault's
            // changes to it, as before).
            let owners: Vec<u64> = net
                .link_mods(x, y)
                .iter()
                .filter(|(_, m)| matches!(m, LinkMod::Down))
                .map(|(o, _)| *o)
                .collect();
            net.remove_link_mods(x, y, |o, _| owners.contains(&o));
        }
        // A `link_down` window ends when none of its links is still down.
        let open = w
            .fault_log()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.end.is_none() && r.kind == FaultKind::LinkDown)
            .map(|(i, r)| match &r.effect {
                Effect::Links { pairs, .. } => (i, r.entry as u64 + 1, pairs.clone()),
                _ => (i, r.entry as u64 + 1, Vec::new()),
            })
            .collect::<Vec<_>>();
        let net = w.network();
        let over: Vec<usize> = open
            .into_iter()
            .filter(|(_, owner, links)| {
                !links.iter().any(|&(x, y)| {
                    net.link_mods(x, y).iter().any(|(o, m)| o == owner && matches!(m, LinkMod::Down))
                })
            })
            .map(|(i, _, _)| i)
            .collect();
        let log = w.fault_log();
        for i in over {
            log[i].end = Some(t);
        }
        Started { effect: Effect::Links { pairs, change: LinkChange::Up }, window: false }
    }
}
