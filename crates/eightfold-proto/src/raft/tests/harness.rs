//! The Raft test cluster: the shared [`TestCluster`] of Raft servers, watched by a checker
//! of Raft's safety properties, with helpers in Raft's words (`timeout`, `elect`,
//! `leaders`).

use std::collections::BTreeMap;

use crate::kv::ClientReply;
use crate::raft::{MembershipChange, RaftConfig, RaftMsg, RaftNode, RaftTimer};
pub use crate::testkit::{CLIENT, Disk, get, kind, n, put};
use crate::testkit::{TestCluster, TestNode, Watch};
use eightfold_sim::sim::{LogIndex, NodeId, Observation, Role, SimTime, StorageView, Term};

/// The host message type of the tests: Raft traffic plus the client protocol.
pub type TestMsg = crate::testkit::TestMsg<RaftMsg>;

/// A Raft message on the wire.
pub type Flight = crate::testkit::Flight<RaftMsg>;

/// N Raft servers, their disks, the network and the timers.
pub type Cluster = TestCluster<RaftNode<TestMsg>, Checker>;

impl TestNode for RaftNode<TestMsg> {
    type Peer = RaftMsg;
    type Config = RaftConfig;
    fn build(id: NodeId, cfg: RaftConfig, disk: &Disk) -> Self {
        RaftNode::recover(id, cfg, disk as &dyn StorageView)
    }
}

/// Safety properties checked on every observation.
#[derive(Debug, Default)]
pub struct Checker {
    leaders: BTreeMap<Term, NodeId>,
    entries: BTreeMap<(LogIndex, Term), u64>,
    applied: BTreeMap<LogIndex, (Term, u64)>,
    pub violations: Vec<String>,
}

impl Watch for Checker {
    fn observe(&mut self, _now: SimTime, node: NodeId, obs: &Observation) {
        match obs {
            Observation::Role { role: Role::Leader, term } => {
                let first = *self.leaders.entry(*term).or_insert(node);
                if first != node {
                    self.violations
                        .push(format!("election safety: {first} and {node} both lead term {term}"));
                }
            }
            Observation::Appended { index, term, chain } => {
                let first = *self.entries.entry((*index, *term)).or_insert(*chain);
                if first != *chain {
                    self.violations
                        .push(format!("log matching: {node} holds ({index}, {term}) on another prefix"));
                }
            }
            Observation::Applied { index, term, command } => {
                let first = *self.applied.entry(*index).or_insert((*term, *command));
                if first != (*term, *command) {
                    self.violations.push(format!(
                        "state machine safety: {node} applied term {term} at {index}, another server term {}",
                        first.0
                    ));
                }
            }
            _ => {}
        }
    }
}

impl Cluster {
    /// `size` servers with fresh disks, all started.
    pub fn new(size: usize, cfg: RaftConfig) -> Self {
        Self::new_seeded(size, cfg, 1)
    }

    /// Same, with the servers' random streams derived from `seed`.
    pub fn new_seeded(size: usize, cfg: RaftConfig, seed: u64) -> Self {
        TestCluster::with(size, cfg, seed, Checker::default())
    }

    /// Server `i`'s election timeout fires.
    pub fn timeout(&mut self, i: usize) {
        assert!(self.fire(i, RaftTimer::Election), "{} has no election timer armed", n(i));
    }

    /// The leader's heartbeat fires.
    pub fn heartbeat(&mut self, i: usize) {
        assert!(self.fire(i, RaftTimer::Heartbeat), "{} is not leading", n(i));
    }

    /// Makes server `i` time out and win an election with every message delivered.
    pub fn elect(&mut self, i: usize) {
        self.timeout(i);
        self.settle();
        assert_eq!(self.node(i).role(), Role::Leader, "{} should have won", n(i));
    }

    /// An AdminChange to server `i`.
    pub fn admin(&mut self, i: usize, change: MembershipChange) {
        self.inject(i, NodeId(98), RaftMsg::AdminChange { change });
    }

    /// The replies sent for `seq`.
    pub fn replies_for(&self, seq: u64) -> Vec<ClientReply> {
        self.replies_to_seq(seq)
    }

    /// The up servers that believe they lead, with their terms.
    pub fn leaders(&self) -> Vec<(usize, Term)> {
        (0..self.nodes.len())
            .filter_map(|i| {
                self.nodes[i].as_ref().filter(|x| x.role() == Role::Leader).map(|x| (i, x.term()))
            })
            .collect()
    }

    /// Panics if any safety property was violated.
    pub fn assert_safe(&self) {
        assert!(self.checker.violations.is_empty(), "{:#?}", self.checker.violations);
    }
}

/// A config with deterministic, test-friendly settings.
pub fn cfg() -> RaftConfig {
    RaftConfig { pre_vote: false, check_quorum: false, ..RaftConfig::default() }
}
