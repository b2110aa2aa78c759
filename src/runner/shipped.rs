//! The shipped protocols' registrations: Raft, Multi-Paxos, the quorum store (key-value
//! protocols, [`KvProtocol`]) and gossip (a broadcast run, [`Registration`]). They register
//! through the same public API a user's protocol does ([`crate::protocol`]); nothing here
//! is reachable another way.

use crate::check::invariants::InvariantStats;
use crate::fault::AdminCommand;
use crate::proto::bugs::NamedBugs;
use crate::proto::paxos::{PaxosAdmin, PaxosBugs, PaxosConfig, PaxosNode};
use crate::proto::quorum::{QuorumConfig, QuorumNode};
use crate::proto::raft::{RaftAdmin, RaftConfig, RaftNode};
use crate::proto::service::ServiceMsg;
use crate::protocol::{
    Capabilities, Invariant, KvProtocol, Registration, Registry, ServerView, SettingsError, read_settings,
};
use crate::scenario::{GossipSpec, PaxosSpec, Protocol, QuorumSpec, RaftSpec, Scenario};
use crate::sim::{NodeId, SimDuration, StorageView};

use super::RunError;
use super::kv;
use super::protocol::{GossipRun, ProtocolRun};

/// Registers the shipped protocols in `registry`, in the order `gossip`, `raft`, `paxos`,
/// `quorum`.
pub fn register(registry: Registry) -> Registry {
    registry
        .with_registration("gossip", Box::new(Gossip))
        .with::<Raft>("raft")
        .with::<MultiPaxos>("paxos")
        .with::<QuorumStore>("quorum")
}

/// Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014)
/// replicating the key-value store: the cluster's settings, and each server's with its
/// overrides (`cluster.overrides[].raft`).
pub struct Raft {
    cluster: RaftConfig,
    each: Vec<RaftConfig>,
}

impl KvProtocol for Raft {
    type Settings = RaftSpec;
    type Server = RaftNode<ServiceMsg>;

    fn capabilities() -> Capabilities {
        Capabilities {
            title: "Raft",
            key_value: true,
            leader: true,
            terms: true,
            operator: true,
            invariants: &[
                Invariant::ElectionSafety,
                Invariant::LogMatching,
                Invariant::LeaderCompleteness,
                Invariant::StateMachineSafety,
                Invariant::CurrentTermCommit,
            ],
            view: ServerView::Log,
        }
    }

    fn configure(settings: RaftSpec, s: &Scenario) -> Raft {
        let cluster = kv::raft_config_from(&settings, s);
        let each =
            (0..s.cluster.nodes).map(|i| kv::raft_config_for_from(cluster.clone(), s, NodeId(i))).collect();
        Raft { cluster, each }
    }

    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> RaftNode<ServiceMsg> {
        RaftNode::recover(id, self.each[id.index()].clone(), disk)
    }

    fn liveness_unit(&self) -> SimDuration {
        self.cluster.election_timeout_max
    }

    fn describe(&self) -> Vec<String> {
        self.cluster.describe()
    }

    fn invariants_held(&self, st: &InvariantStats) -> String {
        format!(
            "election safety, log matching, leader completeness and state-machine safety held over {} observations ({} leaders, {} entries committed)",
            st.observations, st.leaders, st.committed
        )
    }

    fn operator(cmd: &AdminCommand) -> Option<RaftAdmin> {
        kv::operator(cmd)
    }
}

/// Multi-Paxos (Lamport, "Paxos Made Simple", 2001; van Renesse and Altinbuken, "Paxos Made
/// Moderately Complex", 2015) replicating the key-value store; every server has the
/// cluster's settings.
pub struct MultiPaxos(PaxosConfig);

impl KvProtocol for MultiPaxos {
    type Settings = PaxosSpec;
    type Server = PaxosNode<ServiceMsg>;

    fn capabilities() -> Capabilities {
        Capabilities {
            title: "Multi-Paxos",
            key_value: true,
            leader: true,
            terms: true,
            operator: false,
            // The checker's rules hold for Multi-Paxos's chosen slots as for Raft's log: one
            // leader per ballot round, one value per slot, never lost.
            invariants: &[
                Invariant::ElectionSafety,
                Invariant::LogMatching,
                Invariant::LeaderCompleteness,
                Invariant::OneValuePerSlot,
                Invariant::StateMachineSafety,
            ],
            view: ServerView::Slots,
        }
    }

    fn configure(settings: PaxosSpec, s: &Scenario) -> MultiPaxos {
        MultiPaxos(kv::paxos_config_from(&settings, s))
    }

    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> PaxosNode<ServiceMsg> {
        PaxosNode::recover(id, self.0.clone(), disk)
    }

    fn liveness_unit(&self) -> SimDuration {
        self.0.election_timeout_max
    }

    fn describe(&self) -> Vec<String> {
        self.0.describe()
    }

    fn invariants_held(&self, st: &InvariantStats) -> String {
        format!(
            "one leader per ballot round, agreement on every slot's value and no chosen value lost held over {} observations ({} leaders, {} slots chosen)",
            st.observations, st.leaders, st.committed
        )
    }
    /// The one command a Paxos server takes: a build with named bugs deployed mid-run.
    fn operator(cmd: &AdminCommand) -> Option<PaxosAdmin> {
        match cmd {
            AdminCommand::Configure(p) => {
                PaxosBugs::from_settings(p).map(|(on, off)| PaxosAdmin::Bugs { on, off })
            }
            _ => None,
        }
    }
}

/// The leaderless, Dynamo-style quorum store (DeCandia et al., "Dynamo", SOSP 2007); every
/// server has the cluster's settings.
pub struct QuorumStore(QuorumConfig);

impl KvProtocol for QuorumStore {
    type Settings = QuorumSpec;
    type Server = QuorumNode<ServiceMsg>;

    fn capabilities() -> Capabilities {
        Capabilities {
            title: "a leaderless quorum store",
            key_value: true,
            leader: false,
            terms: false,
            operator: false,
            invariants: &[],
            view: ServerView::Versions,
        }
    }

    fn configure(settings: QuorumSpec, s: &Scenario) -> QuorumStore {
        QuorumStore(kv::quorum_config_from(&settings, s))
    }

    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> QuorumNode<ServiceMsg> {
        QuorumNode::recover(id, self.0.clone(), disk)
    }

    fn liveness_unit(&self) -> SimDuration {
        self.0.request_timeout
    }

    fn describe(&self) -> Vec<String> {
        self.0.describe()
    }

    fn invariants_held(&self, st: &InvariantStats) -> String {
        format!(
            "leaderless store: no replicated order to check while it runs ({} observations); consistency is judged on the history",
            st.observations
        )
    }
}

/// Gossip broadcast (Demers et al., "Epidemic Algorithms for Replicated Database
/// Maintenance", PODC 1987): not a key-value protocol, so it registers its whole run.
pub struct Gossip;

impl Registration for Gossip {
    fn capabilities(&self) -> Capabilities {
        Capabilities { title: "gossip", view: ServerView::Values, ..Capabilities::default() }
    }

    fn check_settings(&self, settings: Option<serde_json::Value>) -> Result<(), SettingsError> {
        read_settings::<GossipSpec>(settings).map(|_| ())
    }

    fn resolve(&self, _name: Protocol, s: &Scenario) -> Result<Box<dyn ProtocolRun>, RunError> {
        Ok(Box::new(GossipRun::new(s)))
    }
}
