//! Issue 21: large clusters run and pass. A 1000-node gossip cluster and a 201-server Raft
//! cluster (the `bench scale` scenarios; Raft's shortened so CI stays quick) run with every check
//! judged, and pass: the network's state kept only where something happened, partitions as
//! side labels and gossip's sampled fanout must hold at sizes the shipped scenarios never
//! reach. Speed is measured by `eightfold bench scale`, not here.

use eightfold::bench::scale::{self, ScaleProtocol};
use eightfold::sim::SimDuration;

fn run(protocol: ScaleProtocol, nodes: u32, duration: SimDuration) -> scale::ScaleReport {
    let s = scale::scenario(protocol, nodes, duration).expect("a valid scenario");
    scale::run_one(protocol, &s).expect("runs")
}

#[test]
fn a_thousand_node_gossip_cluster_converges() {
    // The whole 10 s: the clients inject for 5 s, so a shorter run ends with values still
    // spreading and (rightly) fails convergence.
    let r = run(ScaleProtocol::Gossip, 1000, SimDuration::from_secs(10));
    assert!(r.passed, "{r:?}");
    // Every node takes part: far more events than nodes.
    assert!(r.events > 500_000, "{r:?}");
}

#[test]
fn a_raft_cluster_of_201_servers_elects_commits_and_passes() {
    let r = run(ScaleProtocol::Raft, 201, SimDuration::from_secs(2));
    assert!(r.passed, "{r:?}");
    assert!(r.events > 300_000, "{r:?}");
}
