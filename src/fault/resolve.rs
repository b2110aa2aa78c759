//! Resolving a fault's node references against the cluster as it is when the fault fires.

use crate::net::Cut;
use crate::scenario::{Fault, GroupRef, NodeRef};
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// Add this cut to the network.
    Cut(Cut),
    /// Lift every cut.
    Heal,
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
    }
}

/// A human description of a resolved cut: `{n1,n2} | {n3,n4,n5}` or `{n1} -> {n2,n3}`.
pub fn describe_cut(cut: &Cut, name: impl Fn(NodeId) -> String) -> String {
    let set = |v: &[NodeId]| format!("{{{}}}", v.iter().map(|&n| name(n)).collect::<Vec<_>>().join(","));
    match cut {
        Cut::Groups(groups) => groups.iter().map(|g| set(g)).collect::<Vec<_>>().join(" | "),
        Cut::OneWay { from, to } => format!("{} -/-> {}", set(from), set(to)),
    }
}
