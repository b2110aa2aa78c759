//! Applying the fault schedule: each action resolves its targets against the cluster as it
//! is now, changes the network or a node, and opens or closes a window in the fault log.

use super::{View, World, code};
use crate::fault::AdminCommand;
use crate::fault::{self, BitFlip, Command, Effect, FaultKind, FaultRecord, LinkChange, Phase, Resolved};
use crate::net::{CutId, LinkMod};
use crate::sim::rng::Draw;
use crate::sim::{MsgId, Node, NodeId, SimDuration, SimTime};

use super::Event;
use super::security::{Payload, Sealed};

/// What a schedule entry left in effect, so its `"for"` can undo exactly that.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum ActiveFault {
    /// A network cut.
    Cut(CutId),
    /// A crashed node, to restart.
    Crashed(NodeId),
    /// A paused node, to resume.
    Paused(NodeId),
    /// Link modifications owned by this id.
    Links(u64),
    /// A node's clock was changed; this was the old one.
    Clock {
        /// The node.
        node: NodeId,
        /// Its previous clock.
        previous: super::Clock,
    },
    /// A node's CPU was slowed; this was its old slowness.
    SlowNode {
        /// The node.
        node: NodeId,
        /// Its previous slowness.
        previous: f64,
    },
    /// A server's disk was slowed; this was its old slowness.
    SlowDisk {
        /// The server.
        node: NodeId,
        /// Its previous slowness.
        previous: f64,
    },
    /// A server was reconfigured; undoing resets it to its boot settings.
    Reconfigured(NodeId),
    /// An adversary striking every `interval`.
    Adversary {
        /// Forging (true) or replaying (false).
        forge: bool,
        /// Time between attacks.
        interval: SimDuration,
    },
}

/// What the end of a fault's window undid.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Undone {
    /// The fault's effect, or `None` if something else had already undone it.
    Fault(Option<ActiveFault>),
    /// One server of a rolling restart came back.
    Restarted(NodeId),
}

impl Undone {
    /// Folds what was undone into the digest: a code for what, and the node.
    fn fold(&self, d: &mut crate::sim::Digest) {
        let (code, node) = match self {
            Undone::Fault(None) => (0, None),
            Undone::Fault(Some(ActiveFault::Cut(_))) => (1, None),
            Undone::Fault(Some(ActiveFault::Crashed(n))) => (2, Some(*n)),
            Undone::Fault(Some(ActiveFault::Paused(n))) => (3, Some(*n)),
            Undone::Fault(Some(ActiveFault::Links(_))) => (4, None),
            Undone::Fault(Some(ActiveFault::Clock { node, .. })) => (5, Some(*node)),
            Undone::Fault(Some(ActiveFault::SlowNode { node, .. })) => (6, Some(*node)),
            Undone::Fault(Some(ActiveFault::SlowDisk { node, .. })) => (7, Some(*node)),
            Undone::Fault(Some(ActiveFault::Reconfigured(n))) => (8, Some(*n)),
            Undone::Fault(Some(ActiveFault::Adversary { .. })) => (9, None),
            Undone::Restarted(n) => (10, Some(*n)),
        };
        d.word(code);
        d.word(node.map_or(u64::MAX, |n| n.0 as u64));
    }

    /// What undoing it did, in words (the trace's `detail` of an `end of …` line).
    fn describe(&self, name: impl Fn(NodeId) -> String) -> String {
        match self {
            Undone::Fault(Some(ActiveFault::Cut(_))) => "partition lifted".to_string(),
            Undone::Fault(Some(ActiveFault::Crashed(n))) | Undone::Restarted(n) => {
                format!("{} restarted", name(*n))
            }
            Undone::Fault(Some(ActiveFault::Paused(n))) => format!("{} resumed", name(*n)),
            Undone::Fault(Some(ActiveFault::Links(_))) => "links restored".to_string(),
            Undone::Fault(Some(ActiveFault::Adversary { .. })) => "adversary gone".to_string(),
            Undone::Fault(Some(ActiveFault::Clock { node, .. })) => {
                format!("{}'s clock restored", name(*node))
            }
            Undone::Fault(Some(ActiveFault::SlowNode { node, .. })) => {
                format!("{} back to speed", name(*node))
            }
            Undone::Fault(Some(ActiveFault::SlowDisk { node, .. })) => {
                format!("{}'s disk back to speed", name(*node))
            }
            Undone::Fault(Some(ActiveFault::Reconfigured(n))) => {
                format!("{} back to its boot settings", name(*n))
            }
            Undone::Fault(None) => "nothing left to undo".to_string(),
        }
    }
}

impl<N: Node> World<N> {
    pub(super) fn apply_fault(&mut self, action: usize) {
        let t = self.now;
        self.counts.faults += 1;
        let a = self.schedule.actions[action].clone();
        self.digest.event(t.0, code::FAULT, 0, action as u64, a.entry as u32);
        let fault = self.schedule.fault(&a).clone();
        let kind = fault.kind();
        if let Some(part) = a.part {
            // One server of a rolling restart.
            let n = self.servers[part as usize];
            match a.phase {
                Phase::Start => {
                    let crashed = self.crash(n, &format!("faults[{}] (rolling restart)", a.entry));
                    let effect = Effect::Node { node: n, changed: crashed };
                    if crashed {
                        self.open_window(a.entry, kind, effect.clone());
                    }
                    self.note_start(kind, &effect);
                }
                Phase::Revert => {
                    self.start(n);
                    self.close_node_windows(n, kind, t);
                    self.note_revert(kind, Undone::Restarted(n));
                }
            }
            return;
        }
        match a.phase {
            Phase::Revert => {
                let undone = self.active[a.entry].take();
                match undone {
                    Some(ActiveFault::Cut(cut)) => self.net.partitions_mut().remove(cut),
                    Some(ActiveFault::Crashed(n)) => self.start(n),
                    Some(ActiveFault::Paused(n)) => {
                        self.resume(n);
                    }
                    Some(ActiveFault::Links(owner)) => self.net.unmodify(owner),
                    Some(ActiveFault::Adversary { .. }) => self.guard.adversaries -= 1,
                    Some(ActiveFault::Clock { node, previous }) => self.slots[node.index()].clock = previous,
                    Some(ActiveFault::SlowNode { node, previous }) => {
                        self.slots[node.index()].slowness = previous
                    }
                    Some(ActiveFault::SlowDisk { node, previous }) => {
                        self.disks[node.index()].set_slowness(previous)
                    }
                    Some(ActiveFault::Reconfigured(node)) => self.admin(node, &AdminCommand::ResetConfig),
                    None => {}
                }
                self.close_window(a.entry, t);
                self.note_revert(kind, Undone::Fault(undone));
            }
            Phase::Start => {
                let mut rng = self.fault_rng.clone();
                let resolved = fault::resolve::fault(&fault, &View(self), &mut rng);
                self.fault_rng = rng;
                let (effect, window) = self.start_fault(a.entry, resolved);
                self.note_start(kind, &effect);
                // A fault that stays in effect opens a window; an instantaneous action (heal,
                // restart, an operator's command…) is logged as a zero-length one, so reports
                // can mark it.
                if window {
                    self.open_window(a.entry, kind, effect);
                } else {
                    let nodes = effect.nodes();
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
        }
    }

    /// Applies a resolved fault that starts now; returns what it did, and whether it stays in
    /// effect (a window) or was instantaneous.
    fn start_fault(&mut self, entry: usize, resolved: Resolved) -> (Effect, bool) {
        let t = self.now;
        match resolved {
            Resolved::Cut(cut) => {
                let id = self.net.partitions_mut().add(cut.clone());
                self.active[entry] = Some(ActiveFault::Cut(id));
                (Effect::Cut(cut), true)
            }
            Resolved::Heal => {
                self.net.partitions_mut().heal();
                for f in &mut self.active {
                    if matches!(f, Some(ActiveFault::Cut(_))) {
                        *f = None;
                    }
                }
                for r in &mut self.fault_log {
                    if r.end.is_none() && r.kind.cuts_network() {
                        r.end = Some(t);
                    }
                }
                (Effect::Heal, false)
            }
            Resolved::Crash(n) => {
                let crashed = self.crash(n, &format!("faults[{entry}]"));
                if crashed {
                    self.active[entry] = Some(ActiveFault::Crashed(n));
                }
                (Effect::Node { node: n, changed: crashed }, crashed)
            }
            Resolved::Restart(n) => {
                let was_down = !self.is_up(n);
                self.start(n);
                self.close_node_windows(n, FaultKind::Crash, t);
                (Effect::Node { node: n, changed: was_down }, false)
            }
            Resolved::Pause(n) => {
                let paused = self.pause(n);
                if paused {
                    self.active[entry] = Some(ActiveFault::Paused(n));
                }
                (Effect::Node { node: n, changed: paused }, paused)
            }
            Resolved::Resume(n) => {
                let resumed = self.resume(n);
                self.close_node_windows(n, FaultKind::Pause, t);
                (Effect::Node { node: n, changed: resumed }, false)
            }
            Resolved::Links { pairs, change } => {
                let owner = entry as u64 + 1;
                let what = match &change {
                    LinkMod::Down => LinkChange::Down,
                    LinkMod::LatencyFactor(f) => LinkChange::LatencyFactor(*f),
                    LinkMod::Overlay(_) => LinkChange::Degraded,
                };
                for &(x, y) in &pairs {
                    self.net.modify(x, y, owner, change.clone());
                }
                self.active[entry] = Some(ActiveFault::Links(owner));
                (Effect::Links { pairs, change: what }, true)
            }
            Resolved::LinksUp(pairs) => {
                for &(x, y) in &pairs {
                    let link = self.net.link_mut(x, y);
                    let owners: Vec<u64> = link
                        .mods
                        .iter()
                        .filter(|(_, m)| matches!(m, LinkMod::Down))
                        .map(|(o, _)| *o)
                        .collect();
                    for o in owners {
                        link.remove_mods(o);
                    }
                }
                // A `link_down` window ends when none of its links is still down.
                let net = &self.net;
                for r in &mut self.fault_log {
                    if r.end.is_some() || r.kind != FaultKind::LinkDown {
                        continue;
                    }
                    let owner = r.entry as u64 + 1;
                    let still_down = match &r.effect {
                        Effect::Links { pairs, .. } => pairs.iter().any(|&(x, y)| {
                            net.link(x, y).mods.iter().any(|(o, m)| *o == owner && matches!(m, LinkMod::Down))
                        }),
                        _ => false,
                    };
                    if !still_down {
                        r.end = Some(t);
                    }
                }
                (Effect::Links { pairs, change: LinkChange::Up }, false)
            }
            Resolved::Clock { node, offset_ns, rate } => {
                let previous = self.slots[node.index()].clock;
                self.slots[node.index()].clock = super::Clock { offset_ns, rate: rate.max(0.01) };
                self.active[entry] = Some(ActiveFault::Clock { node, previous });
                (Effect::Clock { node, offset_ns, rate }, true)
            }
            Resolved::Admin { to, cmd } => {
                let target = to.or_else(|| fault::resolve::leader(&View(self)));
                let command = match &cmd {
                    AdminCommand::AddServer(n) => Command::AddServer(*n),
                    AdminCommand::RemoveServer(n) => Command::RemoveServer(*n),
                    AdminCommand::Configure(p) => Command::Configure(*p),
                    AdminCommand::ResetConfig => unreachable!("the schedule never resets by itself"),
                };
                let delivered = target.is_some_and(|n| self.is_up(n));
                let mut window = false;
                if let Some(n) = target.filter(|_| delivered) {
                    self.admin(n, &cmd);
                    if matches!(cmd, AdminCommand::Configure(_)) {
                        self.active[entry] = Some(ActiveFault::Reconfigured(n));
                        window = true;
                    }
                }
                (Effect::Admin { to: target, delivered, command }, window)
            }
            Resolved::SlowNode { node, factor } => {
                let previous = self.slots[node.index()].slowness;
                self.slots[node.index()].slowness = factor;
                self.active[entry] = Some(ActiveFault::SlowNode { node, previous });
                (Effect::Slow { node, factor }, true)
            }
            Resolved::SlowDisk { node, factor } => {
                let disk = &mut self.disks[node.index()];
                disk.advance(t);
                let previous = disk.slowness();
                disk.set_slowness(factor);
                self.active[entry] = Some(ActiveFault::SlowDisk { node, previous });
                (Effect::Slow { node, factor }, true)
            }
            Resolved::CorruptDisk(node) => {
                let slot = &mut self.slots[node.index()];
                let disk = &mut self.disks[node.index()];
                let files: Vec<crate::sim::FileId> =
                    disk.files().filter(|&f| disk.durable_len(f) > 0).collect();
                let flipped = if files.is_empty() {
                    None
                } else {
                    let f = files[slot.disk_rng.below(files.len() as u64) as usize];
                    disk.corrupt(t, f, &mut slot.disk_rng).map(|c| BitFlip {
                        file: f.0,
                        offset: c.offset,
                        bit: c.bit,
                    })
                };
                (Effect::CorruptDisk { node, flipped }, false)
            }
            Resolved::FailFsync { node, count } => {
                self.disks[node.index()].fail_fsyncs(count as u64);
                (Effect::FailFsync { node, count }, false)
            }
            Resolved::Adversary { forge, interval } => {
                self.guard.adversaries += 1;
                self.active[entry] = Some(ActiveFault::Adversary { forge, interval });
                self.queue.push(t + interval, Event::Adversary { entry: entry as u32 });
                (Effect::Adversary { interval }, true)
            }
        }
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
    fn note_revert(&mut self, kind: FaultKind, undone: Undone) {
        self.digest.word(kind.code());
        undone.fold(&mut self.digest);
        if let Some(tr) = &mut self.trace {
            let label = if kind == FaultKind::RollingRestart {
                kind.name().to_string()
            } else {
                format!("end of {kind}")
            };
            let detail = undone.describe(|n| self.slots[n.index()].name.clone());
            tr.fault(self.now, &label, &detail);
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

    /// One strike of an active adversary, then the next one scheduled.
    pub(super) fn adversary(&mut self, entry: usize) {
        let t = self.now;
        let Some(ActiveFault::Adversary { forge, interval }) = self.active[entry] else { return };
        self.digest.event(t.0, super::code::ADVERSARY, 0, entry as u64, forge as u32);
        let sealed = if forge {
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
            let at = t + self.net.link(from, to).profile.latency.quantile(0.5);
            if let Some(tr) = &mut self.trace {
                let (f, d) = (&self.slots[from.index()].name, &self.slots[to.index()].name);
                let what = if forge { "forged" } else { "replayed" };
                tr.send(t, f, d, id, env.kind, env.bytes.len() as u32, what, Some(at));
            }
            self.digest.word(env.tag);
            let size = env.bytes.len() as u32;
            if let Some(r) = &mut self.recorder {
                r.sent(t, from, to, id, env.kind, size, Ok(at));
            }
            let payload = Payload::Sealed(Box::new(Sealed { env, tampered, replayed, size }));
            self.queue.push(at, Event::Deliver { from, to, id, msg: payload });
        }
        self.queue.push(t + interval, Event::Adversary { entry: entry as u32 });
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
                self.active[r.entry] = None;
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
        let crashed = |n| Undone::Fault(Some(ActiveFault::Crashed(NodeId(n))));
        assert_ne!(fold(crashed(0)), fold(crashed(1)), "another server is another digest");
        assert_ne!(fold(crashed(0)), fold(Undone::Fault(Some(ActiveFault::Paused(NodeId(0))))));
        assert_ne!(fold(crashed(0)), fold(Undone::Fault(None)));
        // Both read "n1 restarted" in the trace; the digest still tells them apart.
        assert_eq!(crashed(0).describe(|n| format!("n{}", n.0 + 1)), "n1 restarted");
        assert_eq!(Undone::Restarted(NodeId(0)).describe(|n| format!("n{}", n.0 + 1)), "n1 restarted");
        assert_ne!(fold(crashed(0)), fold(Undone::Restarted(NodeId(0))));
    }

    #[test]
    fn every_fault_kind_has_its_own_stable_code() {
        let codes: Vec<u64> = FaultKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, (0..FaultKind::ALL.len() as u64).collect::<Vec<_>>());
        assert_eq!(FaultKind::Partition.code(), 0, "the first kind keeps code 0");
    }
}
