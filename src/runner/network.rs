//! Building the simulated network a scenario describes.

use crate::net::{LinkProfile, LinkProfiles, Network};
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
/// override in file order (each on top of what the link had), kept as a table of distinct
/// profiles rather than one per pair of nodes.
pub fn profiles(spec: &NetworkSpec, zones: &[ZoneSpec], servers: u32, total: usize) -> LinkProfiles {
    let default = LinkProfile::default().overlay(&spec.default);
    let of = zone_of(zones, servers, total);
    let mut table = LinkProfiles::uniform(total, default).with_zones(&of, zones.len());
    for zl in &spec.zones {
        let find = |name: &str| zones.iter().position(|z| z.name == name);
        let (Some(za), Some(zb)) = (find(&zl.from), find(&zl.to)) else { continue };
        table.change_zone_pair(za, zb, |p| p.overlay(&zl.profile));
        if zl.both_ways && za != zb {
            table.change_zone_pair(zb, za, |p| p.overlay(&zl.profile));
        }
    }
    for o in &spec.links {
        let (Some(a), Some(b)) = (concrete(&o.from, servers), concrete(&o.to, servers)) else { continue };
        if a.index() >= total || b.index() >= total {
            continue;
        }
        table.change_link(a, b, |p| p.overlay(&o.profile));
        if o.both_ways {
            table.change_link(b, a, |p| p.overlay(&o.profile));
        }
    }
    table
}

/// The network of a scenario with `total` nodes (servers first, then clients).
pub fn build(spec: &NetworkSpec, zones: &[ZoneSpec], servers: u32, total: usize, rng: SimRng) -> Network {
    Network::new(total, rng, profiles(spec, zones, servers, total))
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
    // Only nodes in a zone or named by an override can have a link that is not the default;
    // every other pair is skipped without a look, so a large cluster is not a million checks.
    let mut special: Vec<bool> = zone_of(zones, servers, total).iter().map(Option::is_some).collect();
    for o in &spec.links {
        for r in [&o.from, &o.to] {
            if let Some(id) = concrete(r, servers).filter(|id| id.index() < total) {
                special[id.index()] = true;
            }
        }
    }
    let mut out = vec![format!("network.default: {}", default.describe())];
    for z in zones {
        let members: Vec<String> = z.nodes.iter().map(|n| n.to_string()).collect();
        out.push(format!("zone {}: {}", z.name, members.join(", ")));
    }
    let mut groups: Vec<(LinkProfile, Vec<String>)> = Vec::new();
    for a in (0..total).filter(|&a| special[a]) {
        for b in (0..total).filter(|&b| special[b]) {
            let p = links.profile(NodeId(a as u32), NodeId(b as u32));
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
