//! A deterministic test harness: N Paxos servers, an in-memory network the test pumps by
//! hand (deliver, drop, reorder), timers fired on demand, and disks that apply `DiskOp`s,
//! complete fsyncs when told, and crash back to their synced content — the shared
//! [`TestCluster`] of every protocol's tests.
//!
//! Two judges watch every step:
//! - the run's real consensus invariant checker ([`Invariants`]), fed the observations the
//!   servers announce — so these tests also show the observations are sound;
//! - an oracle that knows what was *chosen*: whenever an fsync completes it reads the
//!   acceptances now durable in that server's WAL, and a value is chosen in a slot once a
//!   majority durably accepted it in one ballot. It reports two different values chosen
//!   for one slot, two values proposed in one ballot for one slot, and a server applying a
//!   value that was not (yet) chosen there.

use std::collections::BTreeMap;

use crate::invariants::Invariants;
use crate::kv::ClientReply;
use crate::paxos::storage::{self, WAL};
use crate::paxos::{Ballot, PaxosConfig, PaxosMsg, PaxosNode, PaxosTimer};
use crate::replica::LogPayload;
pub use crate::testkit::{Disk, get, kind, n, put};
use crate::testkit::{TestCluster, TestNode, Watch};
use eightfold_sim::sim::{FileId, LogIndex, NodeId, Observation, Role, SimTime, StorageView, Term};
use eightfold_sim::world::{Lifecycle, Observer};

/// The host message type of the tests: Paxos traffic plus the client protocol.
pub type TestMsg = crate::testkit::TestMsg<PaxosMsg>;

/// A Paxos message on the wire.
pub type Flight = crate::testkit::Flight<PaxosMsg>;

/// N Paxos servers, their disks, the network and the timers, watched by [`Judges`].
pub type Cluster = TestCluster<PaxosNode<TestMsg>, Judges>;

impl TestNode for PaxosNode<TestMsg> {
    type Peer = PaxosMsg;
    type Config = PaxosConfig;
    fn build(id: NodeId, cfg: PaxosConfig, disk: &Disk) -> Self {
        PaxosNode::recover(id, cfg, disk as &dyn StorageView)
    }
}

/// A value's identity: the round that first proposed it and the hash of its payload (what
/// `Observation::Applied` carries).
type Value = (Term, u64);

/// What was chosen, judged from durable acceptances.
#[derive(Debug, Default)]
pub struct Oracle {
    quorum: usize,
    /// (slot, ballot) → the value proposed and the servers that durably accepted it.
    votes: BTreeMap<(LogIndex, Ballot), (Value, Vec<usize>)>,
    /// slot → the value chosen there.
    pub chosen: BTreeMap<LogIndex, Value>,
    /// How many bytes of each server's WAL were already read (while it only grew).
    read: Vec<(usize, u64)>,
}

impl Oracle {
    fn durable_wal(&mut self, i: usize, wal: &[u8], violations: &mut Vec<String>) {
        // Read only what was appended since the last look when the file just grew.
        let (seen, hash) = self.read[i];
        let start = if seen <= wal.len() && eightfold_sim::sim::digest::hash_bytes(&wal[..seen]) == hash {
            seen
        } else {
            0
        };
        let valid = eightfold_sim::disk::wal::recover(&wal[start..]).valid_len as usize;
        for (ballot, slot, entry) in storage::acceptances(&wal[start..start + valid]) {
            let value = (entry.term, entry.payload.hash());
            let v = self.votes.entry((slot, ballot)).or_insert((value, Vec::new()));
            if v.0 != value {
                violations.push(format!("ballot {ballot} proposed two values at slot {slot}"));
                continue;
            }
            if !v.1.contains(&i) {
                v.1.push(i);
            }
            if v.1.len() >= self.quorum {
                let c = *self.chosen.entry(slot).or_insert(value);
                if c != value {
                    violations.push(format!(
                        "two values chosen at slot {slot}: term {} and term {} (ballot {ballot})",
                        c.0, value.0
                    ));
                }
            }
        }
        let end = start + valid;
        self.read[i] = (end, eightfold_sim::sim::digest::hash_bytes(&wal[..end]));
    }
}

/// The two judges of the module documentation, and what they found.
pub struct Judges {
    invariants: Invariants,
    /// What was chosen.
    pub oracle: Oracle,
    /// Every violation found, in order.
    pub violations: Vec<String>,
}

impl Judges {
    fn new(size: usize) -> Self {
        Judges {
            invariants: Invariants::new(size),
            oracle: Oracle { quorum: size / 2 + 1, read: vec![(0, 0); size], ..Oracle::default() },
            violations: Vec::new(),
        }
    }
}

impl Watch for Judges {
    fn started(&mut self, now: SimTime, id: NodeId) {
        self.invariants.lifecycle(now, id, Lifecycle::Start);
    }

    fn crashed(&mut self, now: SimTime, id: NodeId) {
        self.invariants.lifecycle(now, id, Lifecycle::Crash);
    }

    fn observe(&mut self, now: SimTime, id: NodeId, obs: &Observation) {
        if let Err(v) = self.invariants.observe(now, id, obs) {
            self.violations.push(v);
        }
        if let Observation::Applied { index, term, command } = *obs
            && self.oracle.chosen.get(&index) != Some(&(term, command))
        {
            self.violations.push(format!("{id} applied at {index} a value that was not chosen there"));
        }
    }

    fn synced(&mut self, i: usize, file: FileId, disk: &Disk) {
        if file == WAL {
            let wal = disk.read(WAL);
            self.oracle.durable_wal(i, &wal, &mut self.violations);
        }
    }
}

impl Cluster {
    /// `size` servers with fresh disks, all started.
    pub fn new(size: usize, cfg: PaxosConfig) -> Self {
        Self::new_seeded(size, cfg, 1)
    }

    /// Same, with the servers' random streams derived from `seed`.
    pub fn new_seeded(size: usize, cfg: PaxosConfig, seed: u64) -> Self {
        TestCluster::with(size, cfg, seed, Judges::new(size))
    }

    /// Server `i`'s election timeout fires.
    pub fn timeout(&mut self, i: usize) {
        assert!(self.fire(i, PaxosTimer::Election), "{} has no election timer armed", n(i));
    }

    /// The leader's heartbeat fires.
    pub fn heartbeat(&mut self, i: usize) {
        assert!(self.fire(i, PaxosTimer::Heartbeat), "{} is not leading", n(i));
    }

    /// Makes server `i` time out and establish its leadership with every message delivered.
    pub fn elect(&mut self, i: usize) {
        self.timeout(i);
        self.settle();
        assert_eq!(self.node(i).role(), Role::Leader, "{} should have won", n(i));
    }

    /// The replies sent for `seq`.
    pub fn replies_for(&self, seq: u64) -> Vec<ClientReply> {
        self.replies_to_seq(seq)
    }

    /// The up servers that completed phase 1 (established or not), with their ballots.
    pub fn leaders(&self) -> Vec<(usize, Ballot)> {
        (0..self.nodes.len())
            .filter_map(|i| self.nodes[i].as_ref().and_then(|x| x.leading()).map(|b| (i, b)))
            .collect()
    }

    /// Panics if any safety property was violated.
    pub fn assert_safe(&self) {
        assert!(self.checker.violations.is_empty(), "{:#?}", self.checker.violations);
    }

    /// True if some violation mentions `what`.
    pub fn violated(&self, what: &str) -> bool {
        self.checker.violations.iter().any(|v| v.contains(what))
    }
}

/// A config with deterministic, test-friendly settings.
pub fn cfg() -> PaxosConfig {
    PaxosConfig { check_quorum: false, ..PaxosConfig::default() }
}
