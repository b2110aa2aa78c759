//! Resolving a fault's node references against the cluster as it is when the fault fires:
//! the helpers every fault kind ([`super::kinds`]) resolves its targets with.

use crate::sim::rng::Draw;
use crate::sim::{NodeId, Role, SimRng, Term};
use crate::spec::{GroupRef, NodeRef};

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

/// The current leader: among servers that are up and announced `Leader`, the one with the
/// highest term (ties: lowest id). `None` if nobody leads.
pub fn leader(view: &(impl ClusterView + ?Sized)) -> Option<NodeId> {
    view.servers()
        .iter()
        .copied()
        .filter(|&n| view.is_up(n) && view.role(n).0 == Role::Leader)
        .max_by_key(|&n| (view.role(n).1, std::cmp::Reverse(n)))
}

/// Resolves one node reference. `Leader` with no leader falls back to a random server so
/// the fault still happens (and the report says which node it hit).
pub fn node(r: NodeRef, view: &(impl ClusterView + ?Sized), rng: &mut SimRng) -> NodeId {
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
pub fn group(g: &GroupRef, view: &(impl ClusterView + ?Sized), rng: &mut SimRng) -> Vec<NodeId> {
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

/// The directed links between two groups (an empty explicit group means every server),
/// each way if `both_ways`, in order.
pub fn pairs(
    from: &GroupRef,
    to: &GroupRef,
    both_ways: bool,
    view: &(impl ClusterView + ?Sized),
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
