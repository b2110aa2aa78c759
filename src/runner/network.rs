//! Building the simulated network a scenario describes.

use crate::net::{LinkProfile, Network};
use crate::scenario::{NetworkSpec, NodeRef, ZoneSpec};
use crate::sim::{NodeId, SimRng};

/// The node id a concrete reference names, given the number of servers.
pub fn concrete(r: &NodeRef, servers: u32) -> Option<NodeId> {
    match *r {
        NodeRef::Server(i) => Some(NodeId(i)),
        NodeRef::Client(i) => Some(NodeId(servers + i)),
        _ => None,
    }
}

/// Each node's zone (index into `zones`), if it has one.
pub fn zone_of(zones: &[ZoneSpec], servers: u32, total: usize) -> Vec<Option<usize>> {
    let mut of = vec![None; total];
    for (z, zone) in zones.iter().enumerate() {
        for n in &zone.nodes {
            if let Some(id) = concrete(n, servers) {
                if id.index() < total {
                    of[id.index()] = Some(z);
                }
            }
        }
    }
    of
}

/// The per-link profiles: the default everywhere, then the zone profiles, then each link
/// override in file order.
pub fn profiles(spec: &NetworkSpec, zones: &[ZoneSpec], servers: u32, total: usize) -> Vec<LinkProfile> {
    let default = LinkProfile::default().overlay(&spec.default);
    let mut links = vec![default; total * total];
    let of = zone_of(zones, servers, total);
    for zl in &spec.zones {
        let find = |name: &str| zones.iter().position(|z| z.name == name);
        let (Some(za), Some(zb)) = (find(&zl.from), find(&zl.to)) else { continue };
        for a in 0..total {
            for b in 0..total {
                if a == b {
                    continue;
                }
                let fwd = of[a] == Some(za) && of[b] == Some(zb);
                let back = zl.both_ways && of[a] == Some(zb) && of[b] == Some(za);
                if fwd || back {
                    links[a * total + b] = links[a * total + b].overlay(&zl.profile);
                }
            }
        }
    }
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
pub fn build(spec: &NetworkSpec, zones: &[ZoneSpec], servers: u32, total: usize, rng: SimRng) -> Network {
    let links = profiles(spec, zones, servers, total);
    Network::new(total, rng, |a, b| links[a.index() * total + b.index()].clone())
}

/// Lines describing the effective link profiles, for the parameter listing: the default,
/// the zones, then each distinct non-default profile with the links that have it.
pub fn describe(
    spec: &NetworkSpec,
    zones: &[ZoneSpec],
    servers: u32,
    total: usize,
    name: impl Fn(NodeId) -> String,
) -> Vec<String> {
    let links = profiles(spec, zones, servers, total);
    let default = LinkProfile::default().overlay(&spec.default);
    let mut out = vec![format!("network.default: {}", default.describe())];
    for z in zones {
        let members: Vec<String> = z.nodes.iter().map(|n| n.to_string()).collect();
        out.push(format!("zone {}: {}", z.name, members.join(", ")));
    }
    let mut groups: Vec<(LinkProfile, Vec<String>)> = Vec::new();
    for a in 0..total {
        for b in 0..total {
            let p = &links[a * total + b];
            if a != b && *p != default {
                let label = format!("{}->{}", name(NodeId(a as u32)), name(NodeId(b as u32)));
                match groups.iter_mut().find(|(q, _)| q == p) {
                    Some((_, v)) => v.push(label),
                    None => groups.push((p.clone(), vec![label])),
                }
            }
        }
    }
    for (p, labels) in groups {
        let shown = if labels.len() > 8 {
            format!("{} and {} more", labels[..8].join(", "), labels.len() - 8)
        } else {
            labels.join(", ")
        };
        out.push(format!("network links {shown}: {}", p.describe()));
    }
    out
}
