//! Applying the fault schedule: each action resolves its targets against the cluster as it
//! is now, changes the network or a node, and opens or closes a window in the fault log.

use super::{FaultRecord, View, World, code};
use crate::fault::{self, Phase, Resolved};
use crate::net::CutId;
use crate::sim::rng::Draw;
use crate::sim::{AdminCommand, MsgId, Node, NodeId, SimDuration, SimTime};

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

impl<N: Node> World<N> {
    pub(super) fn apply_fault(&mut self, action: usize) {
        let t = self.now;
        self.counts.faults += 1;
        let a = self.schedule.actions[action].clone();
        self.digest.event(t.0, code::FAULT, 0, action as u64, a.entry as u32);
        let fault = self.schedule.fault(&a).clone();
        let name = |w: &Self, n: NodeId| w.slots[n.index()].name.clone();
        if let Some(part) = a.part {
            // One server of a rolling restart.
            let n = self.servers[part as usize];
            let detail = match a.phase {
                Phase::Start => {
                    if self.crash(n, &format!("faults[{}] (rolling restart)", a.entry)) {
                        self.open_window(a.entry, "rolling_restart", &name(self, n), vec![name(self, n)]);
                    }
                    format!("{} goes down", name(self, n))
                }
                Phase::Revert => {
                    self.start(n);
                    self.close_node_windows(&name(self, n), "rolling_restart", t);
                    format!("{} restarted", name(self, n))
                }
            };
            self.digest.bytes(detail.as_bytes());
            if let Some(tr) = &mut self.trace {
                tr.fault(t, "rolling_restart", &detail);
            }
            return;
        }
        let (label, detail) = match a.phase {
            Phase::Revert => {
                let detail = match self.active[a.entry].take() {
                    Some(ActiveFault::Cut(cut)) => {
                        self.net.partitions_mut().remove(cut);
                        "partition lifted".to_string()
                    }
                    Some(ActiveFault::Crashed(n)) => {
                        self.start(n);
                        format!("{} restarted", name(self, n))
                    }
                    Some(ActiveFault::Paused(n)) => {
                        self.resume(n);
                        format!("{} resumed", name(self, n))
                    }
                    Some(ActiveFault::Links(owner)) => {
                        self.net.unmodify(owner);
                        "links restored".to_string()
                    }
                    Some(ActiveFault::Adversary { .. }) => {
                        self.guard.adversaries -= 1;
                        "adversary gone".to_string()
                    }
                    Some(ActiveFault::Clock { node, previous }) => {
                        self.slots[node.index()].clock = previous;
                        format!("{}'s clock restored", name(self, node))
                    }
                    Some(ActiveFault::SlowNode { node, previous }) => {
                        self.slots[node.index()].slowness = previous;
                        format!("{} back to speed", name(self, node))
                    }
                    Some(ActiveFault::SlowDisk { node, previous }) => {
                        self.disks[node.index()].set_slowness(previous);
                        format!("{}'s disk back to speed", name(self, node))
                    }
                    Some(ActiveFault::Reconfigured(node)) => {
                        self.admin(node, &AdminCommand::ResetConfig);
                        format!("{} back to its boot settings", name(self, node))
                    }
                    None => "nothing left to undo".to_string(),
                };
                self.close_window(a.entry, t);
                (format!("end of {}", fault.name()), detail)
            }
            Phase::Start => {
                let mut rng = self.fault_rng.clone();
                let resolved = fault::resolve::fault(&fault, &View(self), &mut rng);
                self.fault_rng = rng;
                match resolved {
                    Resolved::Cut(cut) => {
                        let detail = fault::resolve::describe_cut(&cut, |n| name(self, n));
                        let mut nodes: Vec<NodeId> =
                            cut.blocked_pairs().into_iter().flat_map(|(a, b)| [a, b]).collect();
                        nodes.sort();
                        nodes.dedup();
                        let nodes = nodes.iter().map(|&n| name(self, n)).collect();
                        let id = self.net.partitions_mut().add(cut);
                        self.active[a.entry] = Some(ActiveFault::Cut(id));
                        self.open_window(a.entry, fault.name(), &detail, nodes);
                        (fault.name().to_string(), detail)
                    }
                    Resolved::Heal => {
                        self.net.partitions_mut().heal();
                        for f in &mut self.active {
                            if matches!(f, Some(ActiveFault::Cut(_))) {
                                *f = None;
                            }
                        }
                        for r in &mut self.fault_log {
                            if r.end.is_none() && is_partition(&r.fault) {
                                r.end = Some(t);
                            }
                        }
                        ("heal".to_string(), "every partition lifted".to_string())
                    }
                    Resolved::Crash(n) => {
                        let crashed = self.crash(n, &format!("faults[{}]", a.entry));
                        let detail =
                            format!("{}{}", name(self, n), if crashed { "" } else { " (already down)" });
                        if crashed {
                            self.active[a.entry] = Some(ActiveFault::Crashed(n));
                            self.open_window(a.entry, "crash", &detail, vec![name(self, n)]);
                        }
                        ("crash".to_string(), detail)
                    }
                    Resolved::Restart(n) => {
                        let was_down = !self.is_up(n);
                        self.start(n);
                        self.close_node_windows(&name(self, n), "crash", t);
                        let detail =
                            format!("{}{}", name(self, n), if was_down { "" } else { " (already up)" });
                        ("restart".to_string(), detail)
                    }
                    Resolved::Pause(n) => {
                        let paused = self.pause(n);
                        let detail = format!(
                            "{}{}",
                            name(self, n),
                            if paused { "" } else { " (down or already paused)" }
                        );
                        if paused {
                            self.active[a.entry] = Some(ActiveFault::Paused(n));
                            self.open_window(a.entry, "pause", &detail, vec![name(self, n)]);
                        }
                        ("pause".to_string(), detail)
                    }
                    Resolved::Links { pairs, change } => {
                        let owner = a.entry as u64 + 1;
                        let what = match &change {
                            crate::net::LinkMod::Down => "down".to_string(),
                            crate::net::LinkMod::LatencyFactor(f) => format!("latency x{f}"),
                            crate::net::LinkMod::Overlay(_) => "degraded".to_string(),
                        };
                        for &(x, y) in &pairs {
                            self.net.modify(x, y, owner, change.clone());
                        }
                        let detail =
                            format!("{what}: {}", fault::resolve::describe_pairs(&pairs, |n| name(self, n)));
                        let mut nodes: Vec<NodeId> = pairs.iter().flat_map(|&(x, y)| [x, y]).collect();
                        nodes.sort();
                        nodes.dedup();
                        let nodes = nodes.iter().map(|&n| name(self, n)).collect();
                        self.active[a.entry] = Some(ActiveFault::Links(owner));
                        self.open_window(a.entry, fault.name(), &detail, nodes);
                        (fault.name().to_string(), detail)
                    }
                    Resolved::LinksUp(pairs) => {
                        for &(x, y) in &pairs {
                            let link = self.net.link_mut(x, y);
                            let owners: Vec<u64> = link
                                .mods
                                .iter()
                                .filter(|(_, m)| matches!(m, crate::net::LinkMod::Down))
                                .map(|(o, _)| *o)
                                .collect();
                            for o in owners {
                                link.remove_mods(o);
                            }
                        }
                        for r in &mut self.fault_log {
                            if r.end.is_none() && r.fault == "link_down" {
                                r.end = Some(t);
                            }
                        }
                        ("link_up".to_string(), fault::resolve::describe_pairs(&pairs, |n| name(self, n)))
                    }
                    Resolved::Clock { node, offset_ns, rate } => {
                        let previous = self.slots[node.index()].clock;
                        let clock = super::Clock { offset_ns, rate: rate.max(0.01) };
                        self.slots[node.index()].clock = clock;
                        self.active[a.entry] = Some(ActiveFault::Clock { node, previous });
                        let detail = format!(
                            "{} reads {:+.3} s off true time, running {:+.1}%",
                            name(self, node),
                            offset_ns as f64 / 1e9,
                            (rate - 1.0) * 100.0
                        );
                        self.open_window(a.entry, "clock", &detail, vec![name(self, node)]);
                        ("clock".to_string(), detail)
                    }
                    Resolved::Admin { to, cmd } => {
                        let target = to.or_else(|| fault::resolve::leader(&View(self)));
                        let what = match &cmd {
                            AdminCommand::AddServer(n) => format!("add {} to the cluster", name(self, *n)),
                            AdminCommand::RemoveServer(n) => {
                                format!("remove {} from the cluster", name(self, *n))
                            }
                            AdminCommand::Configure(p) => format!("change settings: {}", describe_patch(p)),
                            AdminCommand::ResetConfig => "reset settings".to_string(),
                        };
                        let detail = match target {
                            Some(n) if self.is_up(n) => {
                                self.admin(n, &cmd);
                                if matches!(cmd, AdminCommand::Configure(_)) {
                                    self.active[a.entry] = Some(ActiveFault::Reconfigured(n));
                                    self.open_window(
                                        a.entry,
                                        fault.name(),
                                        &format!("{}: {what}", name(self, n)),
                                        vec![name(self, n)],
                                    );
                                }
                                format!("operator asks {} to {what}", name(self, n))
                            }
                            Some(n) => format!("{} is down: could not {what}", name(self, n)),
                            None => format!("no leader to {what}"),
                        };
                        (fault.name().to_string(), detail)
                    }
                    Resolved::SlowNode { node, factor } => {
                        let previous = self.slots[node.index()].slowness;
                        self.slots[node.index()].slowness = factor;
                        self.active[a.entry] = Some(ActiveFault::SlowNode { node, previous });
                        let detail = format!("{}'s CPU is {factor}x slower", name(self, node));
                        self.open_window(a.entry, "slow_node", &detail, vec![name(self, node)]);
                        ("slow_node".to_string(), detail)
                    }
                    Resolved::SlowDisk { node, factor } => {
                        let disk = &mut self.disks[node.index()];
                        disk.advance(t);
                        let previous = disk.slowness();
                        disk.set_slowness(factor);
                        self.active[a.entry] = Some(ActiveFault::SlowDisk { node, previous });
                        let detail = format!("{}'s fsyncs are {factor}x slower", name(self, node));
                        self.open_window(a.entry, "slow_disk", &detail, vec![name(self, node)]);
                        ("slow_disk".to_string(), detail)
                    }
                    Resolved::CorruptDisk(node) => {
                        let slot = &mut self.slots[node.index()];
                        let disk = &mut self.disks[node.index()];
                        let files: Vec<crate::sim::FileId> =
                            disk.files().filter(|&f| disk.durable_len(f) > 0).collect();
                        let hit = if files.is_empty() {
                            None
                        } else {
                            let f = files[slot.disk_rng.below(files.len() as u64) as usize];
                            disk.corrupt(t, f, &mut slot.disk_rng).map(|c| (f, c))
                        };
                        let detail = match hit {
                            Some((f, c)) => format!(
                                "{}: bit {} of byte {} of file {} flipped",
                                name(self, node),
                                c.bit,
                                c.offset,
                                f.0
                            ),
                            None => format!("{}: nothing durable to corrupt yet", name(self, node)),
                        };
                        ("corrupt_disk".to_string(), detail)
                    }
                    Resolved::FailFsync { node, count } => {
                        self.disks[node.index()].fail_fsyncs(count as u64);
                        (
                            "fail_fsync".to_string(),
                            format!("{}'s next {count} fsync(s) will fail", name(self, node)),
                        )
                    }
                    Resolved::Adversary { forge, interval } => {
                        self.guard.adversaries += 1;
                        self.active[a.entry] = Some(ActiveFault::Adversary { forge, interval });
                        self.queue.push(t + interval, Event::Adversary { entry: a.entry as u32 });
                        let what = if forge { "forges" } else { "replays" };
                        let detail = format!("an adversary {what} a message every {interval}");
                        self.open_window(a.entry, fault.name(), &detail, Vec::new());
                        (fault.name().to_string(), detail)
                    }
                    Resolved::Resume(n) => {
                        self.resume(n);
                        self.close_node_windows(&name(self, n), "pause", t);
                        ("resume".to_string(), name(self, n))
                    }
                }
            }
        };
        self.digest.bytes(detail.as_bytes());
        if let Some(tr) = &mut self.trace {
            tr.fault(t, &label, &detail);
        }
        // Instantaneous actions (heal, restart, an operator's command…) are logged as
        // zero-length windows, so reports can mark them.
        let logged = self.fault_log.iter().any(|r| r.start == t && r.entry == a.entry);
        if a.phase == Phase::Start && !logged {
            self.fault_log.push(FaultRecord {
                entry: a.entry,
                fault: label,
                detail,
                start: t,
                end: Some(t),
                nodes: Vec::new(),
            });
        }
    }

    /// Hands an operator command to a running node.
    pub(super) fn admin(&mut self, node: NodeId, cmd: &AdminCommand) {
        let t = self.now;
        let slot = &mut self.slots[node.index()];
        let Some(n) = slot.node.as_mut() else { return };
        let mut ctx =
            crate::sim::Ctx::new(node, slot.clock.local(t), &self.servers, &mut slot.rng, &mut self.out);
        n.on_admin(&mut ctx, cmd);
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

    fn open_window(&mut self, entry: usize, fault: &str, detail: &str, nodes: Vec<String>) {
        self.fault_log.push(FaultRecord {
            entry,
            fault: fault.to_string(),
            detail: detail.to_string(),
            start: self.now,
            end: None,
            nodes,
        });
    }

    fn close_window(&mut self, entry: usize, t: SimTime) {
        if let Some(r) = self.fault_log.iter_mut().rev().find(|r| r.entry == entry && r.end.is_none()) {
            r.end = Some(t);
        }
    }

    fn close_node_windows(&mut self, node: &str, fault: &str, t: SimTime) {
        for r in &mut self.fault_log {
            if r.end.is_none() && r.fault == fault && r.nodes.iter().any(|n| n == node) {
                r.end = Some(t);
                self.active[r.entry] = None;
            }
        }
    }
}

fn is_partition(name: &str) -> bool {
    matches!(name, "partition" | "partition_oneway" | "isolate" | "bridge" | "ring")
}

/// A settings change in words: `election timeout 40ms-60ms, pre-vote off`.
fn describe_patch(p: &crate::sim::ConfigPatch) -> String {
    let mut parts = Vec::new();
    if let Some((lo, hi)) = p.election_timeout {
        parts.push(format!("election timeout {lo}-{hi}"));
    }
    if let Some(h) = p.heartbeat {
        parts.push(format!("heartbeat {h}"));
    }
    if let Some(v) = p.pre_vote {
        parts.push(format!("pre-vote {}", if v { "on" } else { "off" }));
    }
    if let Some(q) = p.check_quorum {
        parts.push(format!("check-quorum {}", if q { "on" } else { "off" }));
    }
    if parts.is_empty() { "nothing".to_string() } else { parts.join(", ") }
}
