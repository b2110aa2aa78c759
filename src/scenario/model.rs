//! The scenario file's data model, as read from JSON.
//!
//! Every struct rejects unknown fields, so a typo (`"lattency"`) is an error rather than a
//! silently ignored setting. Values carry human units ([`HumanDuration`], [`HumanRate`](super::units::HumanRate), …).
//! Cross-field rules (a node that exists, a fault inside the run) are checked afterwards by
//! [`super::validate`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::json::{self, object_only};
use super::nodes::{GroupRef, NodeRef};
use super::units::{HumanDuration, HumanSize, SignedDuration};
use crate::fault::FaultKind;
use crate::spec::{LatencySpec, LinkSpec};

/// A complete scenario: the cluster, its network, its workload and its fault schedule.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Scenario {
    /// Short identifier; names the report directory.
    pub name: String,
    /// What the scenario shows, in plain language, for the report and for students.
    #[serde(default)]
    pub description: String,
    /// The default seed (overridden by `--seed`).
    #[serde(default)]
    pub seed: u64,
    /// How long to simulate.
    pub duration: HumanDuration,
    /// The nodes and the protocol they run.
    pub cluster: ClusterSpec,
    /// Link profiles between nodes.
    #[serde(default)]
    pub network: NetworkSpec,
    /// What the clients do.
    #[serde(default)]
    pub workload: Option<WorkloadSpec>,
    /// The simulated disks.
    #[serde(default)]
    pub disk: DiskSpec,
    /// The fault schedule.
    #[serde(default)]
    pub faults: Vec<FaultEntry>,
    /// Scripted client operations: explicit operations at given times, from a chosen
    /// client of the `kv` workload (a teaching scenario's "c1 writes x, then c2 reads"; a
    /// lab session's clicks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationEntry>,
    /// Settings of the checks.
    #[serde(default)]
    pub checks: ChecksSpec,
    /// Limits on the run itself.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Named protocol bugs to switch on (see `eightfold bugs`), to prove the checkers catch them.
    #[serde(default)]
    pub bugs: Vec<String>,
}

/// Limits on the run itself, enforced by the kernel.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Most events the kernel may handle in any one simulated second (default 2,000,000):
    /// past it the run stops with the check `event_budget` failed, naming the busiest
    /// message kinds — a message storm ends with a verdict instead of never ending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_per_second: Option<u64>,
}

/// Settings of the checks that judge a run.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ChecksSpec {
    /// How long after the last fault the cluster may take to commit again (default: ten
    /// maximum election timeouts plus one second).
    #[serde(default)]
    pub liveness_bound: Option<HumanDuration>,
    /// Budget of the linearizability checker, in deterministic units (default 20 million
    /// search steps and 512 MiB of search state).
    #[serde(default)]
    pub linearizability_budget: Option<LinBudgetSpec>,
}

/// The linearizability checker's budget in a scenario: a number of search steps
/// (`20000000`, `"20M"`), or `{"steps": 20000000, "memory": "512MiB"}` (memory: the bytes
/// of search state the checker accounts itself). A duration is refused: the verdict must
/// not depend on the machine's speed.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinBudgetSpec {
    /// Search steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    /// Bytes of search state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<HumanSize>,
}

/// The object form of [`LinBudgetSpec`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinBudgetFields {
    #[serde(default, deserialize_with = "steps_field")]
    steps: Option<u64>,
    #[serde(default)]
    memory: Option<HumanSize>,
}

fn steps_field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(StepsVisitor).map(Some)
}

/// Search steps as a number or a string (`"20M"`).
struct StepsVisitor;

impl<'de> serde::de::Visitor<'de> for StepsVisitor {
    type Value = u64;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number of search steps")
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
        if v == 0 { Err(E::custom("expected at least 1 search step, found 0")) } else { Ok(v) }
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
        Err(E::custom(format!("expected a number of search steps, found the negative number {v}")))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
        Err(E::custom(format!("expected a whole number of search steps, found {v}")))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
        super::units::parse_steps(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for LinBudgetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LinBudgetSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a number of search steps (e.g. 20000000) or {\"steps\": N, \"memory\": \"512MiB\"}",
                )
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<LinBudgetSpec, E> {
                Ok(LinBudgetSpec { steps: Some(StepsVisitor.visit_u64(v)?), memory: None })
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<LinBudgetSpec, E> {
                StepsVisitor.visit_i64(v).map(|_| LinBudgetSpec::default())
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<LinBudgetSpec, E> {
                StepsVisitor.visit_f64(v).map(|_| LinBudgetSpec::default())
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LinBudgetSpec, E> {
                Ok(LinBudgetSpec { steps: Some(StepsVisitor.visit_str(v)?), memory: None })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<LinBudgetSpec, A::Error> {
                let f = LinBudgetFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(LinBudgetSpec { steps: f.steps, memory: f.memory })
            }
        }
        d.deserialize_any(V)
    }
}

/// The simulated disk every server has.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct DiskSpec {
    /// How long an fsync takes.
    #[serde(default)]
    pub fsync_latency: Option<LatencySpec>,
    /// Whether a crash may leave a torn (partial) last write.
    #[serde(default)]
    pub torn_writes: Option<bool>,
}

/// Which protocol the servers run: a name registered in the process's protocol registry
/// ([`crate::protocol::registry`]). The shipped ones have constants ([`Protocol::RAFT`], …);
/// a scenario naming no registered protocol is refused at `cluster.protocol`, listing the
/// registered names. What a run, a check or a report needs to know about the protocol is
/// asked of its registration ([`Protocol::capabilities`]), never read off its name.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Protocol(&'static str);

impl Protocol {
    /// Broadcast by gossip: every node should end up holding every value.
    pub const GOSSIP: Protocol = Protocol("gossip");
    /// Raft consensus replicating a key-value store.
    pub const RAFT: Protocol = Protocol("raft");
    /// Multi-Paxos replicating a key-value store.
    pub const PAXOS: Protocol = Protocol("paxos");
    /// A leaderless, Dynamo-style quorum store.
    pub const QUORUM: Protocol = Protocol("quorum");

    /// The protocol named `name`, if one is registered under it.
    pub fn named(name: &str) -> Option<Protocol> {
        crate::protocol::registry().name(name).map(Protocol)
    }

    /// The protocol's name as written in scenario files.
    pub fn name(self) -> &'static str {
        self.0
    }

    /// The protocol's name in prose (its registration's title; its name if it gives none).
    pub fn title(self) -> &'static str {
        let title = self.capabilities().title;
        if title.is_empty() { self.0 } else { title }
    }

    /// What the protocol declares about itself (from its registration; a protocol that is not
    /// registered in this process — read from an old report — declares nothing).
    pub fn capabilities(self) -> crate::protocol::Capabilities {
        crate::protocol::registry().capabilities(self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Protocol::named(&name).ok_or_else(|| {
            let names = crate::protocol::registry().names();
            serde::de::Error::custom(format!(
                "unknown protocol \"{name}\", expected one of the registered protocols: {}",
                names.join(", ")
            ))
        })
    }
}

/// The cluster: how many servers and which protocol.
#[derive(Clone, Debug, Serialize)]
#[serde(remote = "Self")]
pub struct ClusterSpec {
    /// The protocol every server runs.
    pub protocol: Protocol,
    /// Number of servers.
    pub nodes: u32,
    /// Gossip settings (only for `"protocol": "gossip"`).
    #[serde(default)]
    pub gossip: Option<GossipSpec>,
    /// Raft settings (only for `"protocol": "raft"`).
    #[serde(default)]
    pub raft: Option<RaftSpec>,
    /// Multi-Paxos settings (only for `"protocol": "paxos"`).
    #[serde(default)]
    pub paxos: Option<PaxosSpec>,
    /// Quorum-store settings (only for `"protocol": "quorum"`).
    #[serde(default)]
    pub quorum: Option<QuorumSpec>,
    /// Zones (datacenters, regions): named groups of nodes whose links
    /// `network.zones` can set apart (fallacy 8).
    #[serde(default)]
    pub zones: Vec<ZoneSpec>,
    /// Per-node differences: configuration, clock, speed (fallacies 6 and 8).
    #[serde(default)]
    pub overrides: Vec<NodeOverride>,
    /// CPU time charged for each message handled and sent (fallacy 7).
    #[serde(default)]
    pub cpu: Option<CpuSpec>,
    /// The settings objects of registered protocols other than the shipped four
    /// (`"cluster": { "protocol": "mine", "mine": { … } }`), by protocol name, as written:
    /// the protocol's registration reads them into its own settings type (and validation
    /// refuses a bad one, naming its path).
    #[serde(skip)]
    pub settings: std::collections::BTreeMap<String, serde_json::Value>,
}

impl ClusterSpec {
    /// The fields of the cluster object itself (a registered protocol cannot take one of
    /// these names for its settings).
    pub const FIELDS: [&'static str; 9] =
        ["protocol", "nodes", "gossip", "raft", "paxos", "quorum", "zones", "overrides", "cpu"];

    /// The settings object `cluster.<name>` as written (the shipped protocols' typed groups
    /// written back), or `None` when the scenario gives none.
    pub fn settings_of(&self, name: &str) -> Option<serde_json::Value> {
        let typed = match name {
            "gossip" => self.gossip.as_ref().map(serde_json::to_value),
            "raft" => self.raft.as_ref().map(serde_json::to_value),
            "paxos" => self.paxos.as_ref().map(serde_json::to_value),
            "quorum" => self.quorum.as_ref().map(serde_json::to_value),
            other => return self.settings.get(other).cloned(),
        };
        typed.and_then(Result::ok)
    }

    /// The names of the protocols whose settings the scenario gives, in field order.
    pub fn settings_given(&self) -> Vec<&str> {
        let typed = [
            ("gossip", self.gossip.is_some()),
            ("raft", self.raft.is_some()),
            ("paxos", self.paxos.is_some()),
            ("quorum", self.quorum.is_some()),
        ];
        typed
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .chain(self.settings.keys().map(String::as_str))
            .collect()
    }
}

impl<'de> Deserialize<'de> for ClusterSpec {
    /// Field by field, as serde's derive reads a struct (the same messages, and every error
    /// at its exact place in the file), with one addition: a key naming a registered protocol
    /// (`"mine": { … }`) is kept as written in [`ClusterSpec::settings`], for its registration
    /// to read.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, MapAccess, Visitor};
        /// A key of the cluster object: a field, or a registered protocol's name. Any other
        /// is refused while the key is read, as the derive does, so the error's path names
        /// it (`cluster.lattency`).
        struct Key(String);
        impl<'de> Deserialize<'de> for Key {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
                let key = String::deserialize(d)?;
                if ClusterSpec::FIELDS.contains(&key.as_str())
                    || crate::protocol::registry().name(&key).is_some()
                {
                    Ok(Key(key))
                } else {
                    Err(D::Error::unknown_field(&key, &ClusterSpec::FIELDS))
                }
            }
        }
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = ClusterSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClusterSpec, A::Error> {
                fn once<T, E: Error>(slot: &mut Option<T>, name: &'static str, v: T) -> Result<(), E> {
                    if slot.is_some() {
                        return Err(E::duplicate_field(name));
                    }
                    *slot = Some(v);
                    Ok(())
                }
                let (mut protocol, mut nodes) = (None, None);
                let (mut gossip, mut raft, mut paxos, mut quorum) = (None, None, None, None);
                let (mut zones, mut overrides, mut cpu) = (None, None, None);
                let mut settings = std::collections::BTreeMap::new();
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    match key.as_str() {
                        "protocol" => once(&mut protocol, "protocol", map.next_value()?)?,
                        "nodes" => once(&mut nodes, "nodes", map.next_value()?)?,
                        "gossip" => once(&mut gossip, "gossip", map.next_value::<Option<GossipSpec>>()?)?,
                        "raft" => once(&mut raft, "raft", map.next_value::<Option<RaftSpec>>()?)?,
                        "paxos" => once(&mut paxos, "paxos", map.next_value::<Option<PaxosSpec>>()?)?,
                        "quorum" => once(&mut quorum, "quorum", map.next_value::<Option<QuorumSpec>>()?)?,
                        "zones" => once(&mut zones, "zones", map.next_value()?)?,
                        "overrides" => once(&mut overrides, "overrides", map.next_value()?)?,
                        "cpu" => once(&mut cpu, "cpu", map.next_value::<Option<CpuSpec>>()?)?,
                        // A registered protocol's name (the only other key `Key` lets through).
                        other => {
                            if settings.contains_key(other) {
                                return Err(A::Error::custom(format_args!("duplicate field `{other}`")));
                            }
                            settings.insert(key.clone(), map.next_value::<serde_json::Value>()?);
                        }
                    }
                }
                Ok(ClusterSpec {
                    protocol: protocol.ok_or_else(|| A::Error::missing_field("protocol"))?,
                    nodes: nodes.ok_or_else(|| A::Error::missing_field("nodes"))?,
                    gossip: gossip.flatten(),
                    raft: raft.flatten(),
                    paxos: paxos.flatten(),
                    quorum: quorum.flatten(),
                    zones: zones.unwrap_or_default(),
                    overrides: overrides.unwrap_or_default(),
                    cpu: cpu.flatten(),
                    settings,
                })
            }
        }
        json::ObjectOnly(d).deserialize_struct("ClusterSpec", &ClusterSpec::FIELDS, Fields)
    }
}

impl Serialize for ClusterSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.settings.is_empty() {
            return ClusterSpec::serialize(self, s);
        }
        let mut value =
            ClusterSpec::serialize(self, serde_json::value::Serializer).map_err(serde::ser::Error::custom)?;
        if let serde_json::Value::Object(m) = &mut value {
            for (k, v) in &self.settings {
                m.insert(k.clone(), v.clone());
            }
        }
        value.serialize(s)
    }
}

/// A zone: a named group of nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ZoneSpec {
    /// The zone's name (`"eu-west"`).
    pub name: String,
    /// Its nodes (servers and clients).
    pub nodes: Vec<NodeRef>,
}

/// Settings that differ on some nodes: the operators did not all agree.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct NodeOverride {
    /// The nodes concerned.
    pub nodes: Vec<NodeRef>,
    /// Raft settings for these servers (over the cluster's).
    #[serde(default)]
    pub raft: Option<RaftSpec>,
    /// Their clocks.
    #[serde(default)]
    pub clock: Option<ClockSpec>,
    /// How many times slower their CPUs are (1 = nominal).
    #[serde(default)]
    pub slowness: Option<f64>,
}

/// A node's clock against true (virtual) time.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ClockSpec {
    /// How far ahead (or, with a leading `-`, behind) the clock reads at time zero.
    #[serde(default)]
    pub offset: SignedDuration,
    /// Rate error: 0.01 runs 1% fast, -0.01 runs 1% slow.
    #[serde(default)]
    pub drift: f64,
}

/// CPU cost of messages.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct CpuSpec {
    /// Fixed cost per message handled or sent.
    #[serde(default)]
    pub per_message: HumanDuration,
    /// Cost per kilobyte (1000 bytes) handled or sent.
    #[serde(default)]
    pub per_kb: HumanDuration,
}

/// How a Raft leader serves reads.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadModeSpec {
    /// Reads are log entries, like writes.
    Log,
    /// ReadIndex: confirm leadership with a heartbeat round, then read locally.
    ReadIndex,
    /// Leader lease: read locally while the lease holds (unsafe under clock drift).
    Lease,
}

/// A range of durations, e.g. the randomized election timeout.
#[derive(Copy, Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct DurationRange {
    /// Lower bound.
    pub min: HumanDuration,
    /// Upper bound.
    pub max: HumanDuration,
}

/// The timing and log knobs Raft and Multi-Paxos share (both are leader-based replicated
/// logs: a leader is elected after a randomized timeout, holds its followers with
/// heartbeats, steps down without a majority, snapshots its log and batches entries); absent
/// fields take the protocol's defaults. One type for both, so a comparison carries the
/// knobs from one protocol to the other whole rather than field by field.
#[derive(Clone, Debug, Default)]
pub struct ConsensusTiming {
    /// Randomized election timeout range (default 150–300 ms); for Multi-Paxos, the
    /// timeout before a server starts phase 1.
    pub election_timeout: Option<DurationRange>,
    /// Leader heartbeat interval (default 50 ms).
    pub heartbeat: Option<HumanDuration>,
    /// Check-quorum: a leader that cannot hear a majority steps down.
    pub check_quorum: Option<bool>,
    /// Snapshot once this many applied entries (decided slots) follow the last snapshot.
    pub snapshot_every: Option<u64>,
    /// Most entries per replication message (AppendEntries, Accept).
    pub max_batch: Option<u32>,
}

impl ConsensusTiming {
    /// Each knob's name as written in a scenario file, and whether it is set, in file order.
    pub fn fields(&self) -> [(&'static str, bool); 5] {
        [
            ("election_timeout", self.election_timeout.is_some()),
            ("heartbeat", self.heartbeat.is_some()),
            ("check_quorum", self.check_quorum.is_some()),
            ("snapshot_every", self.snapshot_every.is_some()),
            ("max_batch", self.max_batch.is_some()),
        ]
    }

    /// The names of the knobs that are set, in file order.
    pub fn set(&self) -> Vec<&'static str> {
        self.fields().into_iter().filter_map(|(n, set)| set.then_some(n)).collect()
    }
}

impl RaftSpec {
    /// Each setting's name as written in a scenario file, and whether it is set.
    pub fn fields(&self) -> [(&'static str, bool); 8] {
        [
            ("election_timeout", self.timing.election_timeout.is_some()),
            ("heartbeat", self.timing.heartbeat.is_some()),
            ("pre_vote", self.pre_vote.is_some()),
            ("check_quorum", self.timing.check_quorum.is_some()),
            ("read_mode", self.read_mode.is_some()),
            ("snapshot_every", self.timing.snapshot_every.is_some()),
            ("max_batch", self.timing.max_batch.is_some()),
            ("initial_voters", self.initial_voters.is_some()),
        ]
    }

    /// The names of the settings that are set.
    pub fn set(&self) -> Vec<&'static str> {
        self.fields().into_iter().filter_map(|(n, set)| set.then_some(n)).collect()
    }
}

/// Raft settings: the consensus timing Raft shares with Multi-Paxos, and Raft's own
/// settings beside it; absent fields take the defaults of a LAN deployment. Written flat in
/// a scenario file (`"raft": { "heartbeat": "50ms", "pre_vote": true }`).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(from = "RaftFile", into = "RaftFile")]
pub struct RaftSpec {
    /// Election timeout, heartbeat, check-quorum, snapshot interval, batch size.
    pub timing: ConsensusTiming,
    /// Pre-vote (Raft dissertation §9.6).
    pub pre_vote: Option<bool>,
    /// How reads are served.
    pub read_mode: Option<ReadModeSpec>,
    /// The servers that vote from the start (default: all); the others join with
    /// `add_server` faults.
    pub initial_voters: Option<Vec<NodeRef>>,
}

/// Multi-Paxos settings: the consensus timing it shares with Raft (it has no settings of its
/// own); absent fields take the defaults (Raft's timing).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(from = "PaxosFile", into = "PaxosFile")]
pub struct PaxosSpec {
    /// Election timeout, heartbeat, check-quorum, snapshot interval, batch size.
    pub timing: ConsensusTiming,
}

// How Raft and Multi-Paxos settings are written: flat objects. They are read and written
// through these derived structs rather than with `#[serde(flatten)]` on the model, because
// serde's flatten buffers the object and does not support `deny_unknown_fields`: a typo
// would no longer be refused, and every error inside the object would lose its line,
// column and JSON path. Through these, the syntax, the field order and every error message
// are those of the flat structs the model had before.

/// `cluster.raft` and `cluster.overrides[].raft` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct RaftFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    election_timeout: Option<DurationRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    heartbeat: Option<HumanDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pre_vote: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    check_quorum: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    read_mode: Option<ReadModeSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    snapshot_every: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_batch: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    initial_voters: Option<Vec<NodeRef>>,
}

impl From<RaftFile> for RaftSpec {
    fn from(f: RaftFile) -> Self {
        let RaftFile {
            election_timeout,
            heartbeat,
            pre_vote,
            check_quorum,
            read_mode,
            snapshot_every,
            max_batch,
            initial_voters,
        } = f;
        RaftSpec {
            timing: ConsensusTiming { election_timeout, heartbeat, check_quorum, snapshot_every, max_batch },
            pre_vote,
            read_mode,
            initial_voters,
        }
    }
}

impl From<RaftSpec> for RaftFile {
    fn from(r: RaftSpec) -> Self {
        let ConsensusTiming { election_timeout, heartbeat, check_quorum, snapshot_every, max_batch } =
            r.timing;
        RaftFile {
            election_timeout,
            heartbeat,
            pre_vote: r.pre_vote,
            check_quorum,
            read_mode: r.read_mode,
            snapshot_every,
            max_batch,
            initial_voters: r.initial_voters,
        }
    }
}

/// `cluster.paxos` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct PaxosFile {
    #[serde(default)]
    election_timeout: Option<DurationRange>,
    #[serde(default)]
    heartbeat: Option<HumanDuration>,
    #[serde(default)]
    check_quorum: Option<bool>,
    #[serde(default)]
    snapshot_every: Option<u64>,
    #[serde(default)]
    max_batch: Option<u32>,
}

impl From<PaxosFile> for PaxosSpec {
    fn from(f: PaxosFile) -> Self {
        let PaxosFile { election_timeout, heartbeat, check_quorum, snapshot_every, max_batch } = f;
        PaxosSpec {
            timing: ConsensusTiming { election_timeout, heartbeat, check_quorum, snapshot_every, max_batch },
        }
    }
}

impl From<PaxosSpec> for PaxosFile {
    fn from(p: PaxosSpec) -> Self {
        let ConsensusTiming { election_timeout, heartbeat, check_quorum, snapshot_every, max_batch } =
            p.timing;
        PaxosFile { election_timeout, heartbeat, check_quorum, snapshot_every, max_batch }
    }
}

/// Quorum-store settings; absent fields take Dynamo's common `(N, R, W) = (3, 2, 2)`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct QuorumSpec {
    /// Replicas per key.
    #[serde(default)]
    pub n: Option<u32>,
    /// Replies a read waits for.
    #[serde(default)]
    pub r: Option<u32>,
    /// Acknowledgements a write waits for.
    #[serde(default)]
    pub w: Option<u32>,
    /// Sloppy quorum with hinted handoff (default off).
    #[serde(default)]
    pub sloppy: Option<bool>,
    /// Read repair (default on).
    #[serde(default)]
    pub read_repair: Option<bool>,
    /// How long a coordinator works on a request before failing it (default 300 ms).
    #[serde(default)]
    pub request_timeout: Option<HumanDuration>,
    /// How long a coordinator waits for a replica before asking a fallback (default 50 ms).
    #[serde(default)]
    pub replica_timeout: Option<HumanDuration>,
}

/// Gossip protocol settings.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct GossipSpec {
    /// How often each node runs a round of anti-entropy with a random peer.
    #[serde(default = "default_gossip_interval")]
    pub interval: HumanDuration,
    /// How many peers a node pushes a brand-new value to right away (0 = all).
    #[serde(default)]
    pub fanout: u32,
}

fn default_gossip_interval() -> HumanDuration {
    HumanDuration(crate::sim::SimDuration::from_millis(50))
}

impl Default for GossipSpec {
    fn default() -> Self {
        GossipSpec { interval: default_gossip_interval(), fanout: 0 }
    }
}

/// The network: a default link profile and per-link overrides.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct NetworkSpec {
    /// The profile of every link not overridden.
    #[serde(default)]
    pub default: LinkSpec,
    /// Overrides for particular links.
    #[serde(default)]
    pub links: Vec<LinkOverride>,
    /// Profiles of the links within and between zones (applied before `links`).
    #[serde(default)]
    pub zones: Vec<ZoneLink>,
    /// How messages are protected.
    #[serde(default)]
    pub security: Option<SecuritySpec>,
}

/// Message protection settings. Every message is authenticated with the cluster's key
/// (switching that off is the documented `no_auth` bug).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct SecuritySpec {
    /// Receivers also reject envelopes seen before (an anti-replay window, as in IPsec).
    #[serde(default)]
    pub replay_window: bool,
}

/// The profile of every link from one zone to another (or within one).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct ZoneLink {
    /// Sending zone.
    pub from: String,
    /// Receiving zone (the same name for links within a zone).
    pub to: String,
    /// Also apply to the reverse direction.
    #[serde(default)]
    pub both_ways: bool,
    /// The fields to override.
    pub profile: LinkSpec,
}

/// An override of the profile of the link(s) between two nodes.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct LinkOverride {
    /// Sending end.
    pub from: NodeRef,
    /// Receiving end.
    pub to: NodeRef,
    /// Also apply to the reverse direction.
    #[serde(default)]
    pub both_ways: bool,
    /// The fields to override.
    pub profile: LinkSpec,
}

/// What the clients do.
///
/// Written as an object tagged by `"type"` (`{"type": "kv", "clients": 5}`); serde's own
/// form of it (externally tagged) is only a step of reading and writing that object.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkloadSpec {
    /// Clients inject values into random servers, which must broadcast them to all.
    Broadcast {
        /// Number of client generators.
        #[serde(default = "one")]
        clients: u32,
        /// Values each client injects.
        values: u32,
        /// Time between a client's injections.
        interval: HumanDuration,
        /// When injection starts.
        #[serde(default)]
        start: HumanDuration,
        /// How long a client waits for an acknowledgement before retrying elsewhere.
        #[serde(default = "default_ack_timeout")]
        timeout: HumanDuration,
    },
    /// Closed-loop clients issuing key-value operations (get, put, append, cas).
    Kv(KvWorkloadSpec),
}

impl<'de> Deserialize<'de> for WorkloadSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        json::read_tagged(d, "type", "kv", |d| WorkloadSpec::deserialize(d))
    }
}

impl Serialize for WorkloadSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json::write_tagged(s, "type", WorkloadSpec::serialize(self, serde_json::value::Serializer))
    }
}

/// Relative weights of the operation kinds.
#[derive(Copy, Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct MixSpec {
    /// Weight of gets.
    #[serde(default)]
    pub get: f64,
    /// Weight of puts.
    #[serde(default)]
    pub put: f64,
    /// Weight of appends.
    #[serde(default)]
    pub append: f64,
    /// Weight of compare-and-sets.
    #[serde(default)]
    pub cas: f64,
}

/// How keys are chosen.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyDistSpec {
    /// Every key equally likely.
    Uniform,
    /// Zipf-skewed: a few hot keys.
    Zipf,
}

/// The key-value workload.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct KvWorkloadSpec {
    /// Number of clients.
    #[serde(default = "default_kv_clients")]
    pub clients: u32,
    /// Operation mix (default get 0.5, put 0.3, append 0.1, cas 0.1).
    #[serde(default)]
    pub mix: Option<MixSpec>,
    /// Number of keys.
    #[serde(default = "default_keys")]
    pub keys: u32,
    /// Key distribution.
    #[serde(default = "default_dist")]
    pub distribution: KeyDistSpec,
    /// Zipf exponent (with `"distribution": "zipf"`).
    #[serde(default)]
    pub zipf_exponent: Option<f64>,
    /// How long a client waits for one attempt (default 500 ms).
    #[serde(default)]
    pub timeout: Option<HumanDuration>,
    /// How long a client retries one operation before giving up (default 2 s).
    #[serde(default)]
    pub op_timeout: Option<HumanDuration>,
    /// Pause between operations (default 0).
    #[serde(default)]
    pub think: Option<HumanDuration>,
    /// When clients start.
    #[serde(default)]
    pub start: HumanDuration,
    /// When clients stop issuing operations (default: the end of the run).
    #[serde(default)]
    pub stop: Option<HumanDuration>,
    /// Most operations per client (default: unlimited).
    #[serde(default)]
    pub max_ops: Option<u64>,
    /// Pad written values to this size (default: a few bytes), to load links and disks.
    #[serde(default)]
    pub value_size: Option<HumanSize>,
    /// Whether clients draw operations at random (the default); `false`: they issue only
    /// the scenario's scripted `operations`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub random: bool,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One scripted client operation: at `at`, client `client` invokes `op` on `key` (as soon
/// as it is free: a client runs one operation at a time, so one still busy with an earlier
/// operation invokes this one when that ends). Recorded in the history like the workload's
/// operations.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperationEntry {
    /// When the client is asked to invoke it.
    pub at: HumanDuration,
    /// The client (`"c1"`…).
    pub client: NodeRef,
    /// What it does.
    pub op: ScriptedKind,
    /// The key (`"k1"`…).
    pub key: KeyRef,
    /// The value written (put, append) or the new value (cas); by default a fresh token
    /// such as the workload writes (`"1:7"`: client 1's seventh operation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A cas's expected value (`null`: the key holds none); only for a cas, which needs it.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub expected: Option<Option<String>>,
}

/// Reads a field that may be `null` as present (`Some(None)`), unlike a missing one.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The kind of a scripted operation.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptedKind {
    /// Read a key.
    Get,
    /// Write a key.
    Put,
    /// Append to a key's value.
    Append,
    /// Compare-and-set: write `value` if the key holds `expected`.
    Cas,
}

/// A key of the key-value store, written `"k1"` for key number 0 (as histories name keys).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct KeyRef(pub u32);

impl<'de> Deserialize<'de> for KeyRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.strip_prefix('k')
            .filter(|n| !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|&n| n >= 1)
            .map(|n| KeyRef(n - 1))
            .ok_or_else(|| serde::de::Error::custom(format!("expected a key \"k1\", \"k2\", …, found {s:?}")))
    }
}

impl Serialize for KeyRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("k{}", u64::from(self.0) + 1))
    }
}

fn default_kv_clients() -> u32 {
    5
}

fn default_keys() -> u32 {
    10
}

fn default_dist() -> KeyDistSpec {
    KeyDistSpec::Uniform
}

fn one() -> u32 {
    1
}

fn default_ack_timeout() -> HumanDuration {
    HumanDuration(crate::sim::SimDuration::from_millis(100))
}

/// One entry of the fault schedule: when, what, and for how long.
#[derive(Clone, Debug, Serialize)]
pub struct FaultEntry {
    /// When the fault starts.
    pub at: HumanDuration,
    /// If set, the fault is undone automatically after this long.
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub lasts: Option<HumanDuration>,
    /// The fault.
    #[serde(flatten)]
    pub fault: Fault,
}

/// A fault the schedule can inject, as a scenario file writes it: plain data, checked while
/// the file is parsed (`validate`, `protocol_fit`). What each kind does to the world, and how
/// it is undone, lives one kind per file in `fault/kinds/` (above this layer).
///
/// Written as an object tagged by `"fault"` (`{"fault": "crash", "node": "n1"}`, beside the
/// entry's `at` and `for`); serde's own form of it (externally tagged) is only a step of
/// reading and writing that object, so that an error inside names its field.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Split the nodes into groups that cannot reach each other (both directions).
    /// Servers left out of every group form one more group together.
    Partition {
        /// The groups.
        groups: Vec<GroupRef>,
    },
    /// Block messages from the `from` nodes to the `to` nodes only; replies still flow.
    PartitionOneway {
        /// Senders whose messages are dropped.
        from: GroupRef,
        /// Receivers that stop hearing them.
        to: GroupRef,
    },
    /// Cut one node off from every other node, both ways.
    Isolate {
        /// The node.
        node: NodeRef,
    },
    /// Remove every partition.
    Heal {},
    /// Crash a node: its memory is lost, only what it fsynced survives. With `for`, it
    /// restarts afterwards.
    Crash {
        /// The node.
        node: NodeRef,
    },
    /// Restart a crashed node from its disk.
    Restart {
        /// The node.
        node: NodeRef,
    },
    /// Stall a node (a GC pause, a stopped VM): it handles nothing until resumed, then gets
    /// everything that arrived meanwhile in a burst. With `for`, it resumes afterwards.
    Pause {
        /// The node.
        node: NodeRef,
    },
    /// Resume a paused node.
    Resume {
        /// The node.
        node: NodeRef,
    },
    /// Take the links between two groups down (a cable pulled, a route withdrawn).
    LinkDown {
        /// One end.
        from: GroupRef,
        /// The other end.
        to: GroupRef,
        /// Both directions (default) or only `from` → `to`.
        #[serde(default = "yes")]
        both_ways: bool,
    },
    /// Bring links taken down by `link_down` back up.
    LinkUp {
        /// One end.
        from: GroupRef,
        /// The other end.
        to: GroupRef,
        /// Both directions (default) or only `from` → `to`.
        #[serde(default = "yes")]
        both_ways: bool,
    },
    /// Multiply the latency of some links by `factor` (a latency spike): every link of
    /// `node` if given, else the links from `from` to `to` (default: all servers).
    LatencySpike {
        /// Spike every link to and from this node.
        #[serde(default)]
        node: Option<NodeRef>,
        /// Senders (default: every server).
        #[serde(default)]
        from: Option<GroupRef>,
        /// Receivers (default: every server).
        #[serde(default)]
        to: Option<GroupRef>,
        /// The multiplier (e.g. 20).
        factor: f64,
    },
    /// Change some links' profile for a while (more loss, less bandwidth, …).
    Degrade {
        /// Senders.
        from: GroupRef,
        /// Receivers.
        to: GroupRef,
        /// Both directions (default) or only `from` → `to`.
        #[serde(default = "yes")]
        both_ways: bool,
        /// The fields to override.
        profile: LinkSpec,
    },
    /// Split the servers into two halves with one *bridge* node that still reaches both
    /// (the partition of Jepsen's `bridge` nemesis): each half may elect a leader the other
    /// cannot see, while the bridge votes in both.
    Bridge {
        /// The bridge (default: a random server).
        #[serde(default)]
        node: Option<NodeRef>,
    },
    /// Every server reaches only its two neighbours in a ring: everyone has a majority
    /// path, nobody has a majority of direct links.
    Ring {},
    /// Set a node's clock (skew and drift) — an NTP mishap. With `for`, the old clock
    /// comes back afterwards.
    Clock {
        /// The node.
        node: NodeRef,
        /// Offset from true time.
        #[serde(default)]
        offset: SignedDuration,
        /// Rate error (0.1 = 10% fast).
        #[serde(default)]
        drift: f64,
    },
    /// An operator changes a server's settings at runtime. With `for`, they change back.
    Reconfigure {
        /// The server.
        node: NodeRef,
        /// The Raft settings to change.
        raft: RaftSpec,
    },
    /// Deploy a build with a named bug (`eightfold bugs` lists them) to servers mid-run:
    /// every server, or those `nodes` names. A server down at that moment, or restarted
    /// later, boots the buggy build. With `for`, the fixed build is deployed at the end.
    Bug {
        /// The bug's name.
        name: String,
        /// The servers that get it (every server when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nodes: Option<GroupRef>,
    },
    /// Ask the leader to add a server to the cluster (Raft membership change).
    AddServer {
        /// The server to add.
        node: NodeRef,
    },
    /// Ask the leader to remove a server from the cluster.
    RemoveServer {
        /// The server to remove.
        node: NodeRef,
    },
    /// Restart every server one after another: each is down for `downtime`, the next one
    /// goes `interval` after the previous.
    RollingRestart {
        /// Time between two servers' restarts.
        interval: HumanDuration,
        /// How long each is down.
        downtime: HumanDuration,
    },
    /// Make a node's CPU `factor` times slower (fallacy 8).
    SlowNode {
        /// The node.
        node: NodeRef,
        /// Slowness factor.
        factor: f64,
    },
    /// Make a server's disk `factor` times slower to fsync.
    SlowDisk {
        /// The server.
        node: NodeRef,
        /// Slowness factor.
        factor: f64,
    },
    /// Flip a bit of a server's stored data (latent corruption, found at the next restart).
    CorruptDisk {
        /// The server.
        node: NodeRef,
    },
    /// Make a server's next fsyncs fail.
    FailFsync {
        /// The server.
        node: NodeRef,
        /// How many.
        #[serde(default = "one")]
        count: u32,
    },
    /// An adversary on the wire captures traffic and, every `interval`, sends one captured
    /// envelope again (a replay attack).
    Replay {
        /// Time between replays.
        interval: HumanDuration,
    },
    /// An adversary on the wire, every `interval`, forges a message: a captured one with
    /// altered bits, claiming to come from a random server, tagged without the cluster key.
    Forge {
        /// Time between forgeries.
        interval: HumanDuration,
    },
}

fn yes() -> bool {
    true
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        json::read_tagged(d, "fault", "crash", |d| Fault::deserialize(d))
    }
}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json::write_tagged(s, "fault", Fault::serialize(self, serde_json::value::Serializer))
    }
}

impl Fault {
    /// The fault's kind: which of the schedule's faults this is, without its settings.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::PartitionOneway { .. } => FaultKind::PartitionOneway,
            Fault::Isolate { .. } => FaultKind::Isolate,
            Fault::Heal {} => FaultKind::Heal,
            Fault::Crash { .. } => FaultKind::Crash,
            Fault::Restart { .. } => FaultKind::Restart,
            Fault::Pause { .. } => FaultKind::Pause,
            Fault::Resume { .. } => FaultKind::Resume,
            Fault::LinkDown { .. } => FaultKind::LinkDown,
            Fault::LinkUp { .. } => FaultKind::LinkUp,
            Fault::LatencySpike { .. } => FaultKind::LatencySpike,
            Fault::Degrade { .. } => FaultKind::Degrade,
            Fault::Bridge { .. } => FaultKind::Bridge,
            Fault::Ring {} => FaultKind::Ring,
            Fault::Replay { .. } => FaultKind::Replay,
            Fault::Forge { .. } => FaultKind::Forge,
            Fault::Clock { .. } => FaultKind::Clock,
            Fault::Reconfigure { .. } => FaultKind::Reconfigure,
            Fault::AddServer { .. } => FaultKind::AddServer,
            Fault::RemoveServer { .. } => FaultKind::RemoveServer,
            Fault::RollingRestart { .. } => FaultKind::RollingRestart,
            Fault::SlowNode { .. } => FaultKind::SlowNode,
            Fault::SlowDisk { .. } => FaultKind::SlowDisk,
            Fault::CorruptDisk { .. } => FaultKind::CorruptDisk,
            Fault::FailFsync { .. } => FaultKind::FailFsync,
            Fault::Bug { .. } => FaultKind::Bug,
        }
    }

    /// The fault's name as written in scenario files.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// True for faults that can be undone with `"for"`.
    pub fn is_revertible(&self) -> bool {
        !matches!(
            self,
            Fault::Heal {}
                | Fault::Restart { .. }
                | Fault::Resume { .. }
                | Fault::LinkUp { .. }
                | Fault::AddServer { .. }
                | Fault::RemoveServer { .. }
                | Fault::RollingRestart { .. }
                | Fault::CorruptDisk { .. }
                | Fault::FailFsync { .. }
        )
    }
}

impl<'de> Deserialize<'de> for FaultEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(json::ObjectOnly(d))?;
        let at = map.remove("at").ok_or_else(|| serde::de::Error::missing_field("at"))?;
        let at = HumanDuration::deserialize(at).map_err(|e| json::fail_at::<D::Error>("at", e))?;
        let lasts = match map.remove("for") {
            None => None,
            Some(v) => Some(HumanDuration::deserialize(v).map_err(|e| json::fail_at::<D::Error>("for", e))?),
        };
        let fault = json::read_tagged_map(map, "fault", "crash", |d| Fault::deserialize(d))
            .map_err(json::NestedError::into_error)?;
        Ok(FaultEntry { at, lasts, fault })
    }
}

object_only!(
    Scenario,
    ChecksSpec,
    DiskSpec,
    ZoneSpec,
    NodeOverride,
    ClockSpec,
    CpuSpec,
    DurationRange,
    RaftFile,
    PaxosFile,
    QuorumSpec,
    GossipSpec,
    NetworkSpec,
    SecuritySpec,
    ZoneLink,
    LinkOverride,
    MixSpec,
    KvWorkloadSpec,
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Raft's and Multi-Paxos's settings read into one shared timing with Raft's own
    /// settings beside it, and are written back flat, in the file's field order.
    #[test]
    fn consensus_settings_read_into_one_timing_and_write_back_flat() {
        let text = r#"{"election_timeout":{"min":"200ms","max":"400ms"},"heartbeat":"20ms","pre_vote":true,"max_batch":3}"#;
        let r: RaftSpec = serde_json::from_str(text).expect("valid");
        assert_eq!(r.timing.heartbeat.map(|h| h.0.as_nanos()), Some(20_000_000));
        assert_eq!(r.timing.set(), ["election_timeout", "heartbeat", "max_batch"]);
        assert_eq!(r.pre_vote, Some(true));
        assert_eq!(serde_json::to_string(&r).expect("writes"), text);
        let p = PaxosSpec { timing: r.timing };
        let back: PaxosSpec =
            serde_json::from_str(&serde_json::to_string(&p).expect("writes")).expect("reads");
        assert_eq!(back.timing.set(), ["election_timeout", "heartbeat", "max_batch"]);
        assert_eq!(back.timing.max_batch, Some(3));
    }

    /// A typo or another protocol's setting is refused, naming the fields a file may use in
    /// their order (the message the flat structs always gave).
    #[test]
    fn an_unknown_consensus_setting_is_refused_with_the_fields_in_file_order() {
        let e = serde_json::from_str::<RaftSpec>(r#"{"heartbeet":"5ms"}"#).expect_err("typo").to_string();
        assert!(
            e.starts_with("unknown field `heartbeet`, expected one of `election_timeout`, `heartbeat`, `pre_vote`, `check_quorum`, `read_mode`, `snapshot_every`, `max_batch`, `initial_voters`"),
            "{e}"
        );
        let e = serde_json::from_str::<PaxosSpec>(r#"{"read_mode":"log"}"#).expect_err("Raft's").to_string();
        assert!(
            e.starts_with("unknown field `read_mode`, expected one of `election_timeout`, `heartbeat`, `check_quorum`, `snapshot_every`, `max_batch`"),
            "{e}"
        );
        let e = serde_json::from_str::<PaxosSpec>("[1]").expect_err("an array").to_string();
        assert!(e.starts_with("expected an object, found an array"), "{e}");
    }
}
