//! `heal`: every cut lifted at once (partitions, one-way cuts, isolations, bridges, rings);
//! their windows end now, and their own `"for"` later finds nothing left to undo.

use super::{FaultType, FaultWorld, Started};
use crate::fault::{Effect, FaultKind};

/// Lift every cut.
#[derive(Clone, Debug)]
pub struct Heal;

impl FaultType for Heal {
    fn kind(&self) -> FaultKind {
        FaultKind::Heal
    }

    fn start(&mut self, w: &mut dyn FaultWorld, _: Option<u32>) -> Started {
        let t = w.now();
        w.network().partitions_mut().heal();
        for r in w.fault_log() {
            if r.end.is_none() && r.kind.cuts_network() {
                r.end = Some(t);
            }
        }
        Started { effect: Effect::Heal, window: false }
    }
}
