//! Applying the fault schedule: each action hands the World to its entry's fault kind
//! ([`crate::fault::kinds`]) through [`FaultWorld`], then folds what the kind did into the
//! digest, writes it to the trace and opens or closes a window in the fault log.
//!
//! The kinds decide what a fault does; this file only gives them hands (the World's side of
//! [`FaultWorld`]) and keeps the books, the same way for every kind.

use super::{World, code};
use crate::disk::Disk;
use crate::fault::AdminCommand;
use crate::fault::kinds::Strike;
use crate::fault::{ClusterView, Effect, FaultKind, FaultRecord, FaultType, FaultWorld, Phase, Undone};
use crate::net::Network;
use crate::sim::rng::Draw;
use crate::sim::{MsgId, Node, NodeId, SimRng, SimTime};

use super::Event;
use super::security::{Payload, Sealed};

/// The World as a fault kind sees it while it applies schedule entry `entry`.
struct Hands<'a, N: Node> {
    w: &'a mut World<N>,
    entry: usize,
}

impl<N: Node> FaultWorld for Hands<'_, N> {
    fn view(&self) -> &dyn ClusterView {
        self.w
    }
    fn rng(&mut self) -> &mut SimRng {
        &mut self.w.fault_rng
    }
    fn now(&self) -> SimTime {
        self.w.now
    }
    fn entry(&self) -> usize {
        self.entry
    }
    fn network(&mut self) -> &mut Network {
        &mut self.w.net
    }
    fn crash(&mut self, node: NodeId, why: &str) -> bool {
        self.w.crash(node, why)
    }
    fn boot(&mut self, node: NodeId) {
        self.w.start(node)
    }
    fn pause(&mut self, node: NodeId) -> bool {
        self.w.pause(node)
    }
    fn resume(&mut self, node: NodeId) -> bool {
        self.w.resume(node)
    }
    fn admin(&mut self, node: NodeId, cmd: &AdminCommand) {
        self.w.admin(node, cmd)
    }
    fn deploy(&mut self, node: NodeId, patch: Option<&crate::fault::SettingsPatch>) {
        let entry = self.entry;
        self.w.deployed.retain(|(e, n, _)| (*e, *n) != (entry, node));
        match patch {
            Some(p) => {
                self.w.deployed.push((entry, node, p.clone()));
                self.w.admin(node, &AdminCommand::Configure(p.clone()));
            }
            None => self.w.hand_deployed(node),
        }
    }
    fn clock(&self, node: NodeId) -> (i64, f64) {
        let c = self.w.slots[node.index()].clock;
        (c.offset_ns, c.rate)
    }
    fn set_clock(&mut self, node: NodeId, offset_ns: i64, rate: f64) {
        self.w.slots[node.index()].clock = super::Clock { offset_ns, rate };
    }
    fn slowness(&self, node: NodeId) -> f64 {
        self.w.slots[node.index()].slowness
    }
    fn set_slowness(&mut self, node: NodeId, factor: f64) {
        self.w.slots[node.index()].slowness = factor;
    }
    fn disk(&mut self, node: NodeId) -> (&mut Disk, &mut SimRng) {
        (&mut self.w.disks[node.index()], &mut self.w.slots[node.index()].disk_rng)
    }
    fn adversary(&mut self, present: bool) {
        if present {
            self.w.guard.adversaries += 1;
        } else {
            self.w.guard.adversaries -= 1;
        }
    }
    fn strike(&mut self, how: Strike) {
        self.w.strike(self.entry, how)
    }
    fn wake_at(&mut self, at: SimTime) {
        self.w.queue.push(at, Event::Adversary { entry: self.entry as u32 });
    }
    fn fault_log(&mut self) -> &mut [FaultRecord] {
        &mut self.w.fault_log
    }
    fn end_windows_on(&mut self, node: NodeId, kind: FaultKind) {
        let t = self.w.now;
        self.w.close_node_windows(node, kind, t)
    }
    fn window_open(&self) -> bool {
        self.w.fault_log.iter().any(|r| r.entry == self.entry && r.end.is_none())
    }
}

impl<N: Node> World<N> {
    pub(super) fn apply_fault(&mut self, action: usize) {
        let t = self.now;
        self.counts.faults += 1;
        let a = self.schedule.actions[action].clone();
        self.digest.event(t.0, code::FAULT, 0, action as u64, a.entry as u32);
        let mut fault = self.take_fault(a.entry);
        let kind = fault.kind();
        let mut hands = Hands { w: self, entry: a.entry };
        match a.phase {
            Phase::Start => {
                let started = fault.start(&mut hands, a.part);
                self.note_start(kind, &started.effect);
                // A fault that stays in effect opens a window; an instantaneous action (heal,
                // restart, an operator's command…) is logged as a zero-length one, so reports
                // can mark it. One part of a fault applied in parts (a server of a rolling
                // restart) is logged only if it changed something.
                if started.window {
                    self.open_window(a.entry, kind, started.effect);
                } else if a.part.is_none() {
                    let nodes = started.effect.nodes();
                    let effect = started.effect;
                    self.fault_log.push(FaultRecord {
                        entry: a.entry,
                        kind,
                        start: t,
                        end: Some(t),
                        nodes,
                        effect,
                    });
                }
            }
            Phase::Revert => {
                let undone = fault.revert(&mut hands, a.part);
                // A part ends only its own window (the kind closed it); a whole fault ends
                // the entry's window.
                if a.part.is_none() {
                    self.close_window(a.entry, t);
                }
                self.note_revert(kind, undone, a.part.is_some());
            }
        }
        self.faults[a.entry] = Some(fault);
    }

    /// Takes an entry's fault (with what it keeps in effect) out of the World while it acts
    /// on the World; the caller puts it back.
    fn take_fault(&mut self, entry: usize) -> Box<dyn FaultType> {
        self.faults[entry].take().expect("a fault is taken out only while it acts")
    }

    /// Folds a fault that started into the digest (its kind and the fields of what it did,
    /// never their wording) and writes it to the trace.
    fn note_start(&mut self, kind: FaultKind, effect: &Effect) {
        self.digest.word(kind.code());
        effect.fold(&mut self.digest);
        if let Some(tr) = &mut self.trace {
            let detail = effect.describe(kind, |n| self.slots[n.index()].name.clone());
            tr.fault(self.now, kind.name(), &detail);
        }
    }

    /// Folds the end of a fault's window into the digest (the kind and what was undone, as
    /// fields) and writes it to the trace.
    fn note_revert(&mut self, kind: FaultKind, undone: Undone, part: bool) {
        self.digest.word(kind.code());
        undone.fold(&mut self.digest);
        if let Some(tr) = &mut self.trace {
            let label = if part { kind.name().to_string() } else { format!("end of {kind}") };
            let detail = undone.describe(|n| self.slots[n.index()].name.clone());
            tr.fault(self.now, &label, &detail);
        }
    }

    /// Hands `node` every deployment still in place on it, oldest first (after it boots, or
    /// after another deployment on it was taken back).
    pub(super) fn hand_deployed(&mut self, node: NodeId) {
        let patches: Vec<_> =
            self.deployed.iter().filter(|(_, n, _)| *n == node).map(|(_, _, p)| p.clone()).collect();
        for p in patches {
            self.admin(node, &AdminCommand::Configure(p));
        }
    }

    /// Hands an operator command to a running node.
    pub(super) fn admin(&mut self, node: NodeId, cmd: &AdminCommand) {
        let t = self.now;
        let slot = &mut self.slots[node.index()];
        let Some(n) = slot.node.as_mut() else { return };
        if let Some(cmd) = (self.operator)(cmd) {
            let mut ctx =
                crate::sim::Ctx::new(node, slot.clock.local(t), &self.servers, &mut slot.rng, &mut self.out);
            n.on_admin(&mut ctx, &cmd);
        }
        self.flush(node, None);
    }

    /// A wake-up a fault asked for (an adversary's next strike): handed to the entry's kind.
    pub(super) fn adversary(&mut self, entry: usize) {
        let mut fault = self.take_fault(entry);
        fault.wake(&mut Hands { w: self, entry });
        self.faults[entry] = Some(fault);
    }

    /// One strike of the adversary of `entry`: replays a captured message, or forges one.
    fn strike(&mut self, entry: usize, how: Strike) {
        let t = self.now;
        self.digest.event(t.0, super::code::ADVERSARY, 0, entry as u64, how.code());
        let sealed = if how == Strike::Forge {
            let servers = self.servers.clone();
            if servers.len() >= 2 {
                let from = *self.guard.rng.pick(&servers);
                let others: Vec<NodeId> = servers.iter().copied().filter(|&n| n != from).collect();
                let to = *self.guard.rng.pick(&others);
                let seq = self.next_msg;
                self.next_msg += 1;
                self.guard.forge(from, to, seq).map(|env| (env, true, false))
            } else {
                None
            }
        } else {
            self.guard.replay().map(|env| (env, false, true))
        };
        if let Some((env, tampered, replayed)) = sealed {
            let (from, to, id) = (env.from, env.to, MsgId(env.seq));
            let at = t + self.net.profile(from, to).latency.quantile(0.5);
            if let Some(tr) = &mut self.trace {
                let (f, d) = (&self.slots[from.index()].name, &self.slots[to.index()].name);
                let what = if how == Strike::Forge { "forged" } else { "replayed" };
                tr.send(t, f, d, id, env.kind, env.bytes.len() as u32, what, Some(at));
            }
            self.digest.word(env.tag);
            let size = env.bytes.len() as u32;
            if let Some(r) = &mut self.recorder {
                r.sent(t, from, to, id, env.kind, size, Ok(at), |_| {});
            }
            let payload = Payload::Sealed(Box::new(Sealed { env, tampered, replayed, size }));
            self.queue.push(at, Event::Deliver { from, to, id, msg: payload });
        }
    }

    fn open_window(&mut self, entry: usize, kind: FaultKind, effect: Effect) {
        let nodes = effect.nodes();
        self.fault_log.push(FaultRecord { entry, kind, start: self.now, end: None, nodes, effect });
    }

    fn close_window(&mut self, entry: usize, t: SimTime) {
        if let Some(r) = self.fault_log.iter_mut().rev().find(|r| r.entry == entry && r.end.is_none()) {
            r.end = Some(t);
        }
    }

    /// Ends the open windows of `kind` that touched `node` (a restart ends a crash, a resume
    /// a pause).
    fn close_node_windows(&mut self, node: NodeId, kind: FaultKind, t: SimTime) {
        for r in &mut self.fault_log {
            if r.end.is_none() && r.kind == kind && r.nodes.contains(&node) {
                r.end = Some(t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Digest;

    fn fold(u: Undone) -> u64 {
        let mut d = Digest::new();
        u.fold(&mut d);
        d.finish()
    }

    #[test]
    fn the_end_of_a_window_folds_what_was_undone_and_where_not_its_wording() {
        let crashed = |n| Undone::Restarted(NodeId(n));
        assert_ne!(fold(crashed(0)), fold(crashed(1)), "another server is another digest");
        assert_ne!(fold(crashed(0)), fold(Undone::Resumed(NodeId(0))));
        assert_ne!(fold(crashed(0)), fold(Undone::Nothing));
        // Both read "n1 restarted" in the trace; the digest still tells them apart.
        assert_eq!(crashed(0).describe(|n| format!("n{}", n.0 + 1)), "n1 restarted");
        assert_eq!(Undone::RollingRestarted(NodeId(0)).describe(|n| format!("n{}", n.0 + 1)), "n1 restarted");
        assert_ne!(fold(crashed(0)), fold(Undone::RollingRestarted(NodeId(0))));
    }

    #[test]
    fn every_fault_kind_has_its_own_stable_code() {
        let codes: Vec<u64> = FaultKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, (0..FaultKind::ALL.len() as u64).collect::<Vec<_>>());
        assert_eq!(FaultKind::Partition.code(), 0, "the first kind keeps code 0");
    }
}
