//! Resolving a fault's node references against the cluster as it is when the fault fires.

use super::operator::{AdminCommand, ConfigPatch};
use crate::net::{Cut, LinkMod};
use crate::scenario::{Fault, GroupRef, NodeRef, RaftSpec};
use crate::sim::rng::Draw;
use crate::sim::{NodeId, Role, SimRng, Term};

/// What the resolver may ask about the cluster.
pub trait ClusterView {
    /// The servers, in id order.
    fn servers(&self) -> &[NodeId];
    /// The clients, in id order.
    fn clients(&self) -> &[NodeId];
    /// The role and term a node last announced.
    fn role(&self, node: NodeId) -> (Role, Term);
    /// True if the node is running (not crashed).
    fn is_up(&self, node: NodeId) -> bool;
}

/// A fault with concrete nodes, ready to apply.
#[derive(Clone, Debug)]
pub enum Resolved {
    /// Modify these directed links.
    Links {
        /// The links.
        pairs: Vec<(NodeId, NodeId)>,
        /// The modification.
        change: LinkMod,
    },
    /// Bring these directed links back up.
    LinksUp(Vec<(NodeId, NodeId)>),
    /// Set a node's clock.
    Clock {
        /// The node.
        node: NodeId,
        /// Offset at time zero, ns.
        offset_ns: i64,
        /// Local seconds per true second.
        rate: f64,
    },
    /// Hand an operator's command to a node (`None`: to the leader, if there is one).
    Admin {
        /// The node, or the current leader.
        to: Option<NodeId>,
        /// The command.
        cmd: AdminCommand,
    },
    /// Slow a node's CPU by `factor`.
    SlowNode {
        /// The node.
        node: NodeId,
        /// The factor.
        factor: f64,
    },
    /// Slow a server's fsyncs by `factor`.
    SlowDisk {
        /// The server.
        node: NodeId,
        /// The factor.
        factor: f64,
    },
    /// Flip a bit of a server's durable data.
    CorruptDisk(NodeId),
    /// Fail a server's next fsyncs.
    FailFsync {
        /// The server.
        node: NodeId,
        /// How many.
        count: u32,
    },
    /// Start an adversary that replays (`forge: false`) or forges messages every `interval`.
    Adversary {
        /// Forge (true) or replay (false).
        forge: bool,
        /// Time between attacks.
        interval: crate::sim::SimDuration,
    },
    /// Add this cut to the network.
    Cut(Cut),
    /// Lift every cut.
    Heal,
    /// Crash this node.
    Crash(NodeId),
    /// Restart this node.
    Restart(NodeId),
    /// Pause this node.
    Pause(NodeId),
    /// Resume this node.
    Resume(NodeId),
}

/// The current leader: among servers that are up and announced `Leader`, the one with the
/// highest term (ties: lowest id). `None` if nobody leads.
pub fn leader(view: &impl ClusterView) -> Option<NodeId> {
    view.servers()
        .iter()
        .copied()
        .filter(|&n| view.is_up(n) && view.role(n).0 == Role::Leader)
        .max_by_key(|&n| (view.role(n).1, std::cmp::Reverse(n)))
}

/// Resolves one node reference. `Leader` with no leader falls back to a random server so
/// the fault still happens (and the report says which node it hit).
pub fn node(r: NodeRef, view: &impl ClusterView, rng: &mut SimRng) -> NodeId {
    let servers = view.servers();
    match r {
        NodeRef::Server(i) => servers[i as usize],
        NodeRef::Client(i) => view.clients()[i as usize],
        NodeRef::Leader => leader(view).unwrap_or_else(|| *rng.pick(servers)),
        NodeRef::Random => *rng.pick(servers),
        NodeRef::Follower => {
            let lead = leader(view);
            let others: Vec<NodeId> = servers.iter().copied().filter(|&n| Some(n) != lead).collect();
            if others.is_empty() { servers[0] } else { *rng.pick(&others) }
        }
    }
}

/// Resolves a group. Minority and majority are chosen so the leader (if any) lands in the
/// minority: the classic experiment of a stranded leader.
pub fn group(g: &GroupRef, view: &impl ClusterView, rng: &mut SimRng) -> Vec<NodeId> {
    let servers = view.servers();
    let minority_size = (servers.len().saturating_sub(1)) / 2;
    let split = |rng: &mut SimRng| {
        let mut order: Vec<NodeId> = servers.to_vec();
        rng.shuffle(&mut order);
        if let Some(l) = leader(view) {
            let pos = order.iter().position(|&n| n == l).expect("leader is a server");
            order.swap(0, pos);
        }
        order
    };
    let mut out = match g {
        GroupRef::Nodes(nodes) => {
            let mut v: Vec<NodeId> = Vec::new();
            for &r in nodes {
                let n = node(r, view, rng);
                if !v.contains(&n) {
                    v.push(n);
                }
            }
            v
        }
        GroupRef::Minority => split(rng)[..minority_size].to_vec(),
        GroupRef::Majority => split(rng)[minority_size..].to_vec(),
    };
    out.sort();
    out
}

/// Resolves a fault into a concrete action.
pub fn fault(f: &Fault, view: &impl ClusterView, rng: &mut SimRng) -> Resolved {
    match f {
        Fault::Partition { groups } => {
            let mut sides: Vec<Vec<NodeId>> = Vec::new();
            for g in groups {
                let mut side = group(g, view, rng);
                side.retain(|n| !sides.iter().any(|s| s.contains(n)));
                sides.push(side);
            }
            let rest: Vec<NodeId> =
                view.servers().iter().copied().filter(|n| !sides.iter().any(|s| s.contains(n))).collect();
            if !rest.is_empty() {
                sides.push(rest);
            }
            sides.retain(|s| !s.is_empty());
            Resolved::Cut(Cut::Groups(sides))
        }
        Fault::PartitionOneway { from, to } => {
            let from = group(from, view, rng);
            let mut to = group(to, view, rng);
            to.retain(|n| !from.contains(n));
            Resolved::Cut(Cut::OneWay { from, to })
        }
        Fault::Isolate { node: r } => {
            let n = node(*r, view, rng);
            let others: Vec<NodeId> =
                view.servers().iter().chain(view.clients()).copied().filter(|&m| m != n).collect();
            Resolved::Cut(Cut::Groups(vec![vec![n], others]))
        }
        Fault::Heal {} => Resolved::Heal,
        Fault::Crash { node: r } => Resolved::Crash(node(*r, view, rng)),
        Fault::Restart { node: r } => Resolved::Restart(node(*r, view, rng)),
        Fault::Pause { node: r } => Resolved::Pause(node(*r, view, rng)),
        Fault::Resume { node: r } => Resolved::Resume(node(*r, view, rng)),
        Fault::LinkDown { from, to, both_ways } => {
            Resolved::Links { pairs: pairs(from, to, *both_ways, view, rng), change: LinkMod::Down }
        }
        Fault::LinkUp { from, to, both_ways } => Resolved::LinksUp(pairs(from, to, *both_ways, view, rng)),
        Fault::Degrade { from, to, both_ways, profile } => Resolved::Links {
            pairs: pairs(from, to, *both_ways, view, rng),
            change: LinkMod::Overlay(Box::new(profile.clone())),
        },
        Fault::LatencySpike { node: Some(r), factor, .. } => {
            let n = node(*r, view, rng);
            let all: Vec<NodeId> =
                view.servers().iter().chain(view.clients()).copied().filter(|&m| m != n).collect();
            let mut p: Vec<(NodeId, NodeId)> = all.iter().flat_map(|&m| [(n, m), (m, n)]).collect();
            p.sort();
            Resolved::Links { pairs: p, change: LinkMod::LatencyFactor(*factor) }
        }
        Fault::LatencySpike { node: None, from, to, factor } => {
            let everyone = GroupRef::Nodes(Vec::new());
            let from = from.as_ref().unwrap_or(&everyone);
            let to = to.as_ref().unwrap_or(&everyone);
            Resolved::Links {
                pairs: pairs(from, to, false, view, rng),
                change: LinkMod::LatencyFactor(*factor),
            }
        }
        Fault::Bridge { node: r } => {
            let servers = view.servers();
            let bridge = match r {
                Some(r) => node(*r, view, rng),
                None => *rng.pick(servers),
            };
            let mut others: Vec<NodeId> = servers.iter().copied().filter(|&n| n != bridge).collect();
            rng.shuffle(&mut others);
            let half = others.len() / 2;
            let (mut a, mut b) = (others[..half].to_vec(), others[half..].to_vec());
            a.sort();
            b.sort();
            Resolved::Cut(Cut::Groups(vec![a, b]))
        }
        Fault::Replay { interval } => Resolved::Adversary { forge: false, interval: interval.0 },
        Fault::Forge { interval } => Resolved::Adversary { forge: true, interval: interval.0 },
        Fault::Clock { node: r, offset, drift } => {
            Resolved::Clock { node: node(*r, view, rng), offset_ns: offset.0, rate: 1.0 + drift }
        }
        Fault::Reconfigure { node: r, raft } => Resolved::Admin {
            to: Some(node(*r, view, rng)),
            cmd: AdminCommand::Configure(config_patch(raft)),
        },
        Fault::AddServer { node: r } => {
            Resolved::Admin { to: None, cmd: AdminCommand::AddServer(node(*r, view, rng)) }
        }
        Fault::RemoveServer { node: r } => {
            Resolved::Admin { to: None, cmd: AdminCommand::RemoveServer(node(*r, view, rng)) }
        }
        // The schedule expands it into one action per server (`Action::part`), which the
        // world applies without resolving; answering anything here (it used to be `Heal`)
        // would silently do the wrong fault.
        Fault::RollingRestart { .. } => unreachable!("a rolling restart is applied server by server"),
        Fault::SlowNode { node: r, factor } => {
            Resolved::SlowNode { node: node(*r, view, rng), factor: *factor }
        }
        Fault::SlowDisk { node: r, factor } => {
            Resolved::SlowDisk { node: node(*r, view, rng), factor: *factor }
        }
        Fault::CorruptDisk { node: r } => Resolved::CorruptDisk(node(*r, view, rng)),
        Fault::FailFsync { node: r, count } => {
            Resolved::FailFsync { node: node(*r, view, rng), count: *count }
        }
        Fault::Ring {} => {
            let mut order: Vec<NodeId> = view.servers().to_vec();
            rng.shuffle(&mut order);
            let n = order.len();
            let mut blocked = Vec::new();
            for (i, &a) in order.iter().enumerate() {
                for (j, &b) in order.iter().enumerate() {
                    let gap = i.abs_diff(j);
                    if i != j && gap != 1 && gap != n - 1 {
                        blocked.push((a, b));
                    }
                }
            }
            blocked.sort();
            Resolved::Cut(Cut::Pairs(blocked))
        }
    }
}

/// The timing settings of a scenario's Raft settings (election timeout, heartbeat,
/// pre-vote, check-quorum), as an operator's command carries them: what a `reconfigure`
/// fault changes at runtime, and what a node override changes at boot.
pub fn config_patch(raft: &RaftSpec) -> ConfigPatch {
    ConfigPatch {
        election_timeout: raft.election_timeout.map(|e| (e.min.0, e.max.0)),
        heartbeat: raft.heartbeat.map(|h| h.0),
        pre_vote: raft.pre_vote,
        check_quorum: raft.check_quorum,
    }
}

/// The directed links between two groups (an empty explicit group means every server).
fn pairs(
    from: &GroupRef,
    to: &GroupRef,
    both_ways: bool,
    view: &impl ClusterView,
    rng: &mut SimRng,
) -> Vec<(NodeId, NodeId)> {
    let resolve = |g: &GroupRef, rng: &mut SimRng| match g {
        GroupRef::Nodes(v) if v.is_empty() => view.servers().to_vec(),
        g => group(g, view, rng),
    };
    let a = resolve(from, rng);
    let b = resolve(to, rng);
    let mut out = Vec::new();
    for &x in &a {
        for &y in &b {
            if x != y {
                out.push((x, y));
                if both_ways {
                    out.push((y, x));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
