//! What the schedule did, as typed facts: one [`FaultRecord`] per fault window (or per
//! instantaneous action), with the fault's [`FaultKind`], the concrete nodes it touched, the
//! cut it made as sets of [`NodeId`], what else it did ([`Effect`]) and when it started and
//! ended.
//!
//! The World writes these records as it applies the schedule; the trace digest folds their
//! fields (never their wording), the report stores them in `outcome.json`, and the charts,
//! the narrative and the checks read them. Text is made from a record only where a person
//! reads it ([`FaultRecord::describe`], [`FaultRecord::label`]); nothing parses it back.

use serde::{Deserialize, Serialize};

use super::FaultKind;
use super::operator::{SettingValue, SettingsPatch};
use crate::net::Cut;
use crate::sim::{Digest, NodeId, SimDuration, SimTime};

/// One applied fault, with the window during which it was in effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRecord {
    /// Index of the schedule entry (`faults[i]`).
    pub entry: usize,
    /// Which fault it was.
    pub kind: FaultKind,
    /// When it started.
    pub start: SimTime,
    /// When it was undone (`None` if it lasted to the end of the run); equal to `start` for an
    /// instantaneous action (a heal, a restart, an operator's command…).
    pub end: Option<SimTime>,
    /// The nodes it touched, in id order.
    pub nodes: Vec<NodeId>,
    /// What it did, with concrete nodes.
    pub effect: Effect,
}

/// What a fault did, with the nodes it resolved to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The network was cut (partition, one-way cut, isolation, bridge, ring).
    Cut(Cut),
    /// Every cut was lifted.
    Heal,
    /// A node was crashed, restarted, paused or resumed (by the record's kind);
    /// `changed` is false when it already was in that state.
    #[serde(rename = "lifecycle")]
    Node {
        /// The node.
        node: NodeId,
        /// False if the action found the node already crashed, up, or paused.
        changed: bool,
    },
    /// Directed links were changed (down, slower, degraded) or brought back up.
    Links {
        /// The links, in order.
        pairs: Vec<(NodeId, NodeId)>,
        /// What happened to them.
        change: LinkChange,
    },
    /// A node's clock was set.
    Clock {
        /// The node.
        node: NodeId,
        /// Offset from true time at time zero, ns.
        offset_ns: i64,
        /// Local seconds per true second (1.0: a perfect rate).
        rate: f64,
    },
    /// An operator's command, handed to a server (or to no one).
    Admin {
        /// The server it was handed to; `None` when it was meant for the leader and there was
        /// none.
        to: Option<NodeId>,
        /// False if that server was down, so nothing happened.
        delivered: bool,
        /// The command.
        command: Command,
    },
    /// A node's CPU (`slow_node`) or a server's fsyncs (`slow_disk`) were slowed.
    Slow {
        /// The node.
        node: NodeId,
        /// The factor (1: unchanged).
        factor: f64,
    },
    /// A bit of a server's durable data was flipped (or there was nothing durable yet).
    CorruptDisk {
        /// The server.
        node: NodeId,
        /// The flipped bit, if there was anything to flip.
        flipped: Option<BitFlip>,
    },
    /// A build was deployed to servers: the settings `patch` hold on them from now on, across
    /// their restarts, until the window ends (a `bug` fault switching a named bug on).
    Deploy {
        /// The servers, in id order (those down take it when they boot).
        nodes: Vec<NodeId>,
        /// The settings the build changes, in the protocol's words.
        patch: SettingsPatch,
    },
    /// A server's next fsyncs will fail.
    FailFsync {
        /// The server.
        node: NodeId,
        /// How many.
        count: u32,
    },
    /// An adversary strikes (replays for `replay`, forges for `forge`) every `interval`.
    Adversary {
        /// Time between strikes.
        interval: SimDuration,
    },
}

/// What happened to a set of links.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkChange {
    /// Taken down.
    Down,
    /// Brought back up (links a `link_down` had taken down).
    Up,
    /// Latency multiplied by this factor.
    LatencyFactor(f64),
    /// Their profile overridden (`degrade`).
    Degraded,
}

/// An operator's command as the record keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Add this server to the membership.
    AddServer(NodeId),
    /// Remove this server from the membership.
    RemoveServer(NodeId),
    /// Change these settings.
    Configure(SettingsPatch),
}

/// Where a `corrupt_disk` flipped a bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitFlip {
    /// The file (its id on the node's disk).
    pub file: u16,
    /// The byte.
    pub offset: u64,
    /// The bit of that byte.
    pub bit: u8,
}

impl Effect {
    /// The nodes an effect names, in id order, each once.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = match self {
            Effect::Cut(cut) => cut.blocked_pairs().into_iter().flat_map(|(a, b)| [a, b]).collect(),
            Effect::Heal | Effect::Adversary { .. } => Vec::new(),
            Effect::Links { pairs, .. } => pairs.iter().flat_map(|&(a, b)| [a, b]).collect(),
            Effect::Deploy { nodes, .. } => nodes.clone(),
            Effect::Node { node, .. }
            | Effect::Clock { node, .. }
            | Effect::Slow { node, .. }
            | Effect::CorruptDisk { node, .. }
            | Effect::FailFsync { node, .. } => vec![*node],
            Effect::Admin { to, command, .. } => {
                let mut v: Vec<NodeId> = to.iter().copied().collect();
                match command {
                    Command::AddServer(n) | Command::RemoveServer(n) => v.push(*n),
                    Command::Configure(_) => {}
                }
                v
            }
        };
        v.sort();
        v.dedup();
        v
    }

    /// Folds the effect's fields into the trace digest: a code for the variant, then every
    /// node id, factor (as its bits) and count it holds. Rewording a description never
    /// changes a digest; a different victim or setting always does.
    pub fn fold(&self, d: &mut Digest) {
        let nodes = |d: &mut Digest, v: &[NodeId]| {
            d.word(v.len() as u64);
            for n in v {
                d.word(n.0 as u64);
            }
        };
        let pairs = |d: &mut Digest, p: &[(NodeId, NodeId)]| {
            d.word(p.len() as u64);
            for &(a, b) in p {
                d.word(((a.0 as u64) << 32) | b.0 as u64);
            }
        };
        match self {
            Effect::Cut(cut) => {
                d.word(1);
                match cut {
                    Cut::Groups(groups) => {
                        d.word(1);
                        d.word(groups.len() as u64);
                        for g in groups {
                            nodes(d, g);
                        }
                    }
                    Cut::OneWay { from, to } => {
                        d.word(2);
                        nodes(d, from);
                        nodes(d, to);
                    }
                    Cut::Pairs(p) => {
                        d.word(3);
                        pairs(d, p);
                    }
                }
            }
            Effect::Heal => d.word(2),
            Effect::Node { node, changed } => {
                d.word(3);
                d.word(node.0 as u64);
                d.word(*changed as u64);
            }
            Effect::Links { pairs: p, change } => {
                d.word(4);
                pairs(d, p);
                match change {
                    LinkChange::Down => d.word(1),
                    LinkChange::Up => d.word(2),
                    LinkChange::LatencyFactor(f) => {
                        d.word(3);
                        d.word(f.to_bits());
                    }
                    LinkChange::Degraded => d.word(4),
                }
            }
            Effect::Clock { node, offset_ns, rate } => {
                d.word(5);
                d.word(node.0 as u64);
                d.word(*offset_ns as u64);
                d.word(rate.to_bits());
            }
            Effect::Admin { to, delivered, command } => {
                d.word(6);
                d.word(to.map_or(u64::MAX, |n| n.0 as u64));
                d.word(*delivered as u64);
                match command {
                    Command::AddServer(n) => {
                        d.word(1);
                        d.word(n.0 as u64);
                    }
                    Command::RemoveServer(n) => {
                        d.word(2);
                        d.word(n.0 as u64);
                    }
                    Command::Configure(p) => {
                        d.word(3);
                        fold_patch(d, p);
                    }
                }
            }
            Effect::Slow { node, factor } => {
                d.word(7);
                d.word(node.0 as u64);
                d.word(factor.to_bits());
            }
            Effect::CorruptDisk { node, flipped } => {
                d.word(8);
                d.word(node.0 as u64);
                match flipped {
                    Some(f) => {
                        d.word(1);
                        d.word(f.file as u64);
                        d.word(f.offset);
                        d.word(f.bit as u64);
                    }
                    None => d.word(0),
                }
            }
            Effect::FailFsync { node, count } => {
                d.word(9);
                d.word(node.0 as u64);
                d.word(*count as u64);
            }
            Effect::Adversary { interval } => {
                d.word(10);
                d.word(interval.as_nanos());
            }
            Effect::Deploy { nodes: n, patch } => {
                d.word(11);
                nodes(d, n);
                fold_patch(d, patch);
            }
        }
    }

    /// What the action did, in words, for a fault of `kind` (the trace's `detail`):
    /// `{n1,n2} | {n3,n4,n5}`, `operator asks n2 to add n6 to the cluster`, …
    pub fn describe(&self, kind: FaultKind, name: impl Fn(NodeId) -> String) -> String {
        match self {
            Effect::Cut(cut) => describe_cut(cut, name),
            Effect::Heal => "every partition lifted".to_string(),
            Effect::Node { node, changed } => {
                let n = name(*node);
                match (kind, changed) {
                    (FaultKind::RollingRestart, _) => format!("{n} goes down"),
                    (_, true) => n,
                    (FaultKind::Crash, false) => format!("{n} (already down)"),
                    (FaultKind::Restart, false) => format!("{n} (already up)"),
                    (FaultKind::Pause, false) => format!("{n} (down or already paused)"),
                    (_, false) => n,
                }
            }
            Effect::Links { pairs, change } => match change {
                LinkChange::Up => describe_pairs(pairs, name),
                LinkChange::Down => format!("down: {}", describe_pairs(pairs, name)),
                LinkChange::LatencyFactor(f) => format!("latency x{f}: {}", describe_pairs(pairs, name)),
                LinkChange::Degraded => format!("degraded: {}", describe_pairs(pairs, name)),
            },
            Effect::Clock { node, offset_ns, rate } => format!(
                "{} reads {:+.3} s off true time, running {:+.1}%",
                name(*node),
                *offset_ns as f64 / 1e9,
                (rate - 1.0) * 100.0
            ),
            Effect::Admin { to, delivered, command } => {
                let what = command.describe(&name);
                match to {
                    Some(n) if *delivered => format!("operator asks {} to {what}", name(*n)),
                    Some(n) => format!("{} is down: could not {what}", name(*n)),
                    None => format!("no leader to {what}"),
                }
            }
            Effect::Slow { node, factor } if kind == FaultKind::SlowDisk => {
                format!("{}'s fsyncs are {factor}x slower", name(*node))
            }
            Effect::Slow { node, factor } => format!("{}'s CPU is {factor}x slower", name(*node)),
            Effect::CorruptDisk { node, flipped: Some(f) } => {
                format!("{}: bit {} of byte {} of file {} flipped", name(*node), f.bit, f.offset, f.file)
            }
            Effect::CorruptDisk { node, flipped: None } => {
                format!("{}: nothing durable to corrupt yet", name(*node))
            }
            Effect::FailFsync { node, count } => format!("{}'s next {count} fsync(s) will fail", name(*node)),
            Effect::Deploy { nodes, patch } => {
                let names: Vec<String> = nodes.iter().map(|&n| name(n)).collect();
                format!("{} now run a build with {}", names.join(","), describe_patch(patch))
            }
            Effect::Adversary { interval } => {
                let what = if kind == FaultKind::Forge { "forges" } else { "replays" };
                format!("an adversary {what} a message every {interval}")
            }
        }
    }
}

impl Command {
    /// The command in words: `add n6 to the cluster`, `change settings: heartbeat 50ms`.
    pub fn describe(&self, name: impl Fn(NodeId) -> String) -> String {
        match self {
            Command::AddServer(n) => format!("add {} to the cluster", name(*n)),
            Command::RemoveServer(n) => format!("remove {} from the cluster", name(*n)),
            Command::Configure(p) => format!("change settings: {}", describe_patch(p)),
        }
    }
}

impl FaultRecord {
    /// The cut this fault made, if it cut the network.
    pub fn cut(&self) -> Option<&Cut> {
        match &self.effect {
            Effect::Cut(c) => Some(c),
            _ => None,
        }
    }

    /// True if the fault lasted past `t` (started at or before it and had not ended).
    pub fn active_at(&self, t: SimTime) -> bool {
        self.start <= t && self.end.is_none_or(|e| t < e)
    }

    /// What the fault did, in words, with node names from `name`: `{n1,n2} | {n3,n4,n5}`,
    /// `n4`, `n3: change settings: heartbeat 50ms`.
    pub fn describe(&self, name: impl Fn(NodeId) -> String) -> String {
        match &self.effect {
            // A rolling restart's window is the server that is down.
            Effect::Node { node, .. } if self.kind == FaultKind::RollingRestart => name(*node),
            // A window of changed settings says on which server, not who asked.
            Effect::Admin { to: Some(n), delivered: true, command: c @ Command::Configure(_) } => {
                format!("{}: {}", name(*n), c.describe(&name))
            }
            e => e.describe(self.kind, name),
        }
    }

    /// A short label for charts: what and where (`partition {n1,n2} | {n3}`, `isolate n4`,
    /// `crash n2`), cut at 48 characters.
    pub fn label(&self, name: impl Fn(NodeId) -> String) -> String {
        let text = match (self.kind, self.cut()) {
            (FaultKind::Isolate, Some(Cut::Groups(g))) if !g.is_empty() => {
                format!("isolate {}", g[0].iter().map(|&n| name(n)).collect::<Vec<_>>().join(","))
            }
            (FaultKind::PartitionOneway, _) => format!("one-way cut {}", self.describe(name)),
            (k, _) => format!("{k} {}", self.describe(name)),
        };
        shorten(text)
    }
}

/// Folds a settings patch into the digest: how many settings, then each one's name and value.
fn fold_patch(d: &mut Digest, p: &SettingsPatch) {
    d.word(p.0.len() as u64);
    for s in p.iter() {
        d.bytes(s.name.as_bytes());
        match s.value {
            SettingValue::Flag(v) => {
                d.word(0);
                d.word(v as u64);
            }
            SettingValue::Duration(t) => {
                d.word(1);
                d.word(t.as_nanos());
            }
            SettingValue::Range(lo, hi) => {
                d.word(2);
                d.word(lo.as_nanos());
                d.word(hi.as_nanos());
            }
        }
    }
}

/// Cuts a label at 48 characters, with an ellipsis.
pub fn shorten(text: String) -> String {
    if text.chars().count() > 48 { format!("{}…", text.chars().take(47).collect::<String>()) } else { text }
}

/// A set of directed links in words: `n1->n2, n2->n1` (the first twelve, then how many more).
pub fn describe_pairs(pairs: &[(NodeId, NodeId)], name: impl Fn(NodeId) -> String) -> String {
    let shown: Vec<String> =
        pairs.iter().take(12).map(|&(a, b)| format!("{}->{}", name(a), name(b))).collect();
    let more = if pairs.len() > 12 { format!(" and {} more", pairs.len() - 12) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

/// A set of nodes in words: `{n1,n2}`.
pub fn describe_set(nodes: &[NodeId], name: impl Fn(NodeId) -> String) -> String {
    format!("{{{}}}", nodes.iter().map(|&n| name(n)).collect::<Vec<_>>().join(","))
}

/// A cut in words: `{n1,n2} | {n3,n4,n5}`, `{n1} -/-> {n2,n3}` or `blocked n1->n3, …`.
pub fn describe_cut(cut: &Cut, name: impl Fn(NodeId) -> String) -> String {
    match cut {
        Cut::Groups(groups) => groups.iter().map(|g| describe_set(g, &name)).collect::<Vec<_>>().join(" | "),
        Cut::OneWay { from, to } => format!("{} -/-> {}", describe_set(from, &name), describe_set(to, &name)),
        Cut::Pairs(p) => format!("blocked {}", describe_pairs(p, name)),
    }
}

/// A settings change in words, each setting by its name with `-` for `_`:
/// `election-timeout 40ms-60ms, pre-vote off`.
pub fn describe_patch(p: &SettingsPatch) -> String {
    let parts: Vec<String> = p
        .iter()
        .map(|s| match s.as_bug() {
            Some((name, on)) => format!("bug {name} {}", if on { "on" } else { "off" }),
            None => format!("{} {}", s.name.replace('_', "-"), s.value),
        })
        .collect();
    if parts.is_empty() { "nothing".to_string() } else { parts.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: NodeId) -> String {
        if n.0 < 10 { format!("n{}", n.0 + 1) } else { format!("c{}", n.0 - 9) }
    }

    fn record(kind: FaultKind, effect: Effect) -> FaultRecord {
        FaultRecord { entry: 0, kind, start: SimTime(1), end: None, nodes: effect.nodes(), effect }
    }

    #[test]
    fn every_kind_serialises_under_its_scenario_name() {
        for k in FaultKind::ALL {
            assert_eq!(serde_json::to_value(k).expect("serialises"), serde_json::json!(k.name()));
        }
    }

    #[test]
    fn a_record_keeps_its_sides_as_node_ids_and_says_them_in_words() {
        let cut = Cut::Groups(vec![vec![NodeId(0), NodeId(9)], vec![NodeId(1), NodeId(2)]]);
        let r = record(FaultKind::Partition, Effect::Cut(cut.clone()));
        assert_eq!(r.cut(), Some(&cut));
        assert_eq!(r.nodes, vec![NodeId(0), NodeId(1), NodeId(2), NodeId(9)]);
        assert_eq!(r.describe(name), "{n1,n10} | {n2,n3}");
        assert_eq!(r.label(name), "partition {n1,n10} | {n2,n3}");
        let iso =
            record(FaultKind::Isolate, Effect::Cut(Cut::Groups(vec![vec![NodeId(3)], vec![NodeId(0)]])));
        assert_eq!(iso.label(name), "isolate n4");
        let one = record(
            FaultKind::PartitionOneway,
            Effect::Cut(Cut::OneWay { from: vec![NodeId(1)], to: vec![NodeId(0)] }),
        );
        assert_eq!(one.describe(name), "{n2} -/-> {n1}");
        // Typed all the way: a JSON round trip gives the same record.
        let back: FaultRecord =
            serde_json::from_str(&serde_json::to_string(&one).expect("serialises")).expect("parses");
        assert_eq!(back, one);
    }

    #[test]
    fn the_digest_folds_fields_not_words() {
        let fold = |e: &Effect| {
            let mut d = Digest::new();
            e.fold(&mut d);
            d.finish()
        };
        let a = Effect::Node { node: NodeId(0), changed: true };
        let b = Effect::Node { node: NodeId(1), changed: true };
        let c = Effect::Node { node: NodeId(0), changed: false };
        assert_ne!(fold(&a), fold(&b));
        assert_ne!(fold(&a), fold(&c));
        let g1 = Effect::Cut(Cut::Groups(vec![vec![NodeId(0)], vec![NodeId(1), NodeId(2)]]));
        let g2 = Effect::Cut(Cut::Groups(vec![vec![NodeId(0), NodeId(1)], vec![NodeId(2)]]));
        assert_ne!(fold(&g1), fold(&g2), "the same nodes on different sides are a different cut");
        let s1 = Effect::Slow { node: NodeId(0), factor: 1.0 };
        let s2 = Effect::Slow { node: NodeId(0), factor: 2.0 };
        assert_ne!(fold(&s1), fold(&s2));
    }

    #[test]
    fn descriptions_read_as_before() {
        let admin = record(
            FaultKind::Reconfigure,
            Effect::Admin {
                to: Some(NodeId(2)),
                delivered: true,
                command: Command::Configure(
                    SettingsPatch::default()
                        .with("heartbeat", SettingValue::Duration(SimDuration::from_millis(50)))
                        .with("pre_vote", SettingValue::Flag(false)),
                ),
            },
        );
        assert_eq!(admin.describe(name), "n3: change settings: heartbeat 50ms, pre-vote off");
        assert_eq!(
            admin.effect.describe(admin.kind, name),
            "operator asks n3 to change settings: heartbeat 50ms, pre-vote off"
        );
        let rolling = record(FaultKind::RollingRestart, Effect::Node { node: NodeId(1), changed: true });
        assert_eq!(rolling.describe(name), "n2", "the window names the server that is down");
        assert_eq!(rolling.effect.describe(rolling.kind, name), "n2 goes down");
        let down = Effect::Node { node: NodeId(1), changed: false };
        assert_eq!(down.describe(FaultKind::Crash, name), "n2 (already down)");
        let links =
            Effect::Links { pairs: vec![(NodeId(0), NodeId(1))], change: LinkChange::LatencyFactor(20.0) };
        assert_eq!(links.describe(FaultKind::LatencySpike, name), "latency x20: n1->n2");
    }
}
