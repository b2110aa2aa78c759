//! Building the simulated network a scenario describes.

use crate::net::{LinkProfile, Network};
use crate::scenario::{NetworkSpec, NodeRef};
use crate::sim::{NodeId, SimRng};

/// The node id a concrete reference names, given the number of servers.
pub fn concrete(r: &NodeRef, servers: u32) -> Option<NodeId> {
    match *r {
        NodeRef::Server(i) => Some(NodeId(i)),
        NodeRef::Client(i) => Some(NodeId(servers + i)),
        _ => None,
    }
}

/// The per-link profiles: the default everywhere, then each override in file order.
pub fn profiles(spec: &NetworkSpec, servers: u32, total: usize) -> Vec<LinkProfile> {
    let default = LinkProfile::default().overlay(&spec.default);
    let mut links = vec![default; total * total];
    for o in &spec.links {
        let (Some(a), Some(b)) = (concrete(&o.from, servers), concrete(&o.to, servers)) else { continue };
        let mut set = |x: NodeId, y: NodeId| {
            let i = x.index() * total + y.index();
            links[i] = links[i].overlay(&o.profile);
        };
        set(a, b);
        if o.both_ways {
            set(b, a);
        }
    }
    links
}

/// The network of a scenario with `total` nodes (servers first, then clients).
pub fn build(spec: &NetworkSpec, servers: u32, total: usize, rng: SimRng) -> Network {
    let links = profiles(spec, servers, total);
    Network::new(total, rng, |a, b| links[a.index() * total + b.index()].clone())
}

/// Lines describing the effective link profiles, for the parameter listing.
pub fn describe(
    spec: &NetworkSpec,
    servers: u32,
    total: usize,
    name: impl Fn(NodeId) -> String,
) -> Vec<String> {
    let links = profiles(spec, servers, total);
    let default = LinkProfile::default().overlay(&spec.default);
    let mut out = vec![format!("network.default: {}", default.describe())];
    for a in 0..total {
        for b in 0..total {
            let p = &links[a * total + b];
            if a != b && *p != default {
                out.push(format!(
                    "network.link {} -> {}: {}",
                    name(NodeId(a as u32)),
                    name(NodeId(b as u32)),
                    p.describe()
                ));
            }
        }
    }
    out
}
