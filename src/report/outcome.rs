//! `outcome.json`: the verdict and key figures of one run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::CheckResult;
use crate::check::convergence::Convergence;
use crate::check::leadership::LeadershipFigures;
use crate::fault::FaultRecord;
use crate::net::NetStats;
use crate::scenario::Protocol;
use crate::sim::NodeId;
use crate::workload::history::History;
use crate::world::Halt;

/// Network counters as stored in `outcome.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkFigures {
    /// Messages sent.
    pub sent: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Messages dropped (all reasons).
    pub dropped: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Messages held back to be overtaken.
    pub reordered: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Dropped messages by reason.
    pub dropped_by: BTreeMap<String, u64>,
}

impl From<&NetStats> for NetworkFigures {
    fn from(s: &NetStats) -> Self {
        let d = s.dropped_by;
        NetworkFigures {
            sent: s.sent,
            delivered: s.delivered,
            dropped: s.dropped,
            duplicated: s.duplicated,
            reordered: s.reordered,
            bytes: s.bytes,
            dropped_by: [
                ("loss", d.loss),
                ("partition", d.partition),
                ("queue_full", d.queue_full),
                ("node_down", d.node_down),
                ("link_down", d.link_down),
                ("mtu", d.mtu),
                ("unroutable", d.unroutable),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        }
    }
}

/// Traffic on one directed link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkFigures {
    /// Sender.
    pub from: String,
    /// Receiver.
    pub to: String,
    /// Messages handed to the link.
    pub messages: u64,
    /// Bytes handed to the link.
    pub bytes: u64,
    /// Messages the link dropped.
    pub dropped: u64,
    /// Largest queue backlog, bytes.
    pub peak_queue_bytes: u64,
}

/// Client operations and their latency, as reported in `outcome.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpFigures {
    /// Operations that completed with a known result.
    pub ok: u64,
    /// Operations that definitely did not take effect.
    pub fail: u64,
    /// Operations whose outcome is unknown (timed out).
    pub info: u64,
    /// Latency of `ok` operations, median, ms.
    pub p50_ms: Option<f64>,
    /// 90th percentile, ms.
    pub p90_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Worst, ms.
    pub max_ms: Option<f64>,
    /// The operations still waiting for their outcome when the run ended (at most one per
    /// client): cut off by the end of the run, not given up on. They are among `info`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub unfinished: Vec<Unfinished>,
}

/// An operation the end of the run cut off: its client was still waiting for the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfinished {
    /// The client (0-based; printed `c1`).
    pub client: u32,
    /// When it was sent, ns.
    pub invoke_ns: u64,
}

impl OpFigures {
    /// Counts and latency percentiles of a history (see [`OpTally`](super::tally::OpTally)
    /// for how a long one is summed up).
    pub fn from_history(h: &History) -> Self {
        let mut t = super::tally::OpTally::default();
        h.ops.iter().for_each(|o| t.add(o));
        t.figures()
    }
}

/// Consensus figures (Raft, Paxos), as reported in `outcome.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsensusFigures {
    /// Elections and leaderless time.
    #[serde(flatten)]
    pub leadership: LeadershipFigures,
    /// Highest log index committed.
    pub entries_committed: u64,
    /// Per fault: election downtime, client-visible unavailability, first success after
    /// the heal ([`crate::check::recovery`] defines each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery: Vec<crate::check::recovery::FaultRecovery>,
}

/// The linearizability check of a run's history, as reported in `outcome.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinearizabilityFigures {
    /// `linearizable`, `not_linearizable`, `unknown` or `error`.
    pub verdict: String,
    /// Operations checked.
    pub ops: u64,
    /// Independent partitions (keys) checked.
    pub partitions: u64,
    /// Search steps spent deciding.
    pub steps: u64,
    /// The most bytes of search state held at once while deciding, as the checker accounts
    /// them (memo tables and the values their states hold): deterministic, and what the
    /// memory budget is compared with.
    #[serde(default)]
    pub memory_bytes: u64,
    /// The budget it decided within: search steps…
    #[serde(default)]
    pub budget_steps: u64,
    /// …and bytes of search state.
    #[serde(default)]
    pub budget_memory_bytes: u64,
    /// The smallest set of operations found that cannot be ordered (when not linearizable).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub counterexample: Option<serde_json::Value>,
    /// The counterexample explained in plain text.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub explanation: Option<String>,
}

impl LinearizabilityFigures {
    /// Figures for a history that could not be checked at all.
    pub fn error(detail: String) -> Self {
        LinearizabilityFigures { verdict: "error".into(), explanation: Some(detail), ..Default::default() }
    }
}

/// What the run cost (fallacy 7, *transport cost is zero*).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostFigures {
    /// Messages sent.
    pub messages: u64,
    /// Payload bytes sent.
    pub bytes: u64,
    /// Bytes on the wire, fragment headers included.
    pub wire_bytes: u64,
    /// CPU time charged by the transport-cost model, seconds.
    pub cpu_s: f64,
    /// Money charged for traffic between zones.
    pub money: f64,
    /// What each useful operation cost: the operations counted (completed client
    /// operations, or acknowledged broadcast values).
    pub useful_ops: u64,
    /// Messages per useful operation.
    pub messages_per_op: Option<f64>,
    /// Bytes per useful operation.
    pub bytes_per_op: Option<f64>,
    /// CPU milliseconds per useful operation.
    pub cpu_ms_per_op: Option<f64>,
    /// Money per useful operation.
    pub money_per_op: Option<f64>,
}

impl CostFigures {
    /// The figures for counters and a number of useful operations.
    pub fn new(net: &NetStats, cpu_ns: u64, useful_ops: u64) -> Self {
        let per = |v: f64| if useful_ops == 0 { None } else { Some(v / useful_ops as f64) };
        CostFigures {
            messages: net.sent,
            bytes: net.bytes,
            wire_bytes: net.wire_bytes,
            cpu_s: cpu_ns as f64 / 1e9,
            money: net.money,
            useful_ops,
            messages_per_op: per(net.sent as f64),
            bytes_per_op: per(net.bytes as f64),
            cpu_ms_per_op: per(cpu_ns as f64 / 1e6),
            money_per_op: per(net.money),
        }
    }
}

/// Operation latency seen by the clients of one zone (fallacy 8).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ZoneFigures {
    /// The zone.
    pub zone: String,
    /// Its clients' figures.
    #[serde(flatten)]
    pub ops: OpFigures,
}

/// The verdict and figures of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Scenario name.
    pub scenario: String,
    /// The seed the run used.
    pub seed: u64,
    /// The protocol the servers ran.
    pub protocol: Protocol,
    /// Every node's name, by node id (`n1`, …, then `c1`, …): how the node ids of `faults`
    /// read.
    pub nodes: Vec<String>,
    /// The trace digest, 16 hex characters.
    pub digest: String,
    /// Events the kernel handled.
    pub events: u64,
    /// The most events handled in one simulated second (what the event budget,
    /// `limits.events_per_second`, is measured against).
    #[serde(default)]
    pub peak_events_per_s: u64,
    /// Virtual time simulated, ns.
    pub sim_time_ns: u64,
    /// True if no check failed and the run did not halt. An undecided check (status
    /// `unknown`) does not fail a run, so this is also true for a run that is neither
    /// passed nor failed: [`Outcome::verdict`] tells the three apart.
    pub passed: bool,
    /// Each check's verdict.
    pub checks: BTreeMap<String, CheckResult>,
    /// Network counters.
    pub network: NetworkFigures,
    /// Per-link traffic (links that carried messages). In a network of more than
    /// [`eightfold_sim::net::LINK_DETAIL_NODES`] nodes (servers and clients), only links
    /// with a bandwidth limit or touched by a fault are listed; the rest count in
    /// `network` alone.
    pub links: Vec<LinkFigures>,
    /// The faults applied, with their windows.
    pub faults: Vec<FaultRecord>,
    /// Set if a check stopped the run early.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub halted: Option<Halt>,
    /// Broadcast figures (gossip runs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub broadcast: Option<Convergence>,
    /// Client operations (key-value runs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ops: Option<OpFigures>,
    /// The linearizability check (key-value runs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub linearizability: Option<LinearizabilityFigures>,
    /// Consensus figures (Raft and Paxos runs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub raft: Option<ConsensusFigures>,
    /// How stale the reads were: t-visibility and k-staleness (key-value runs;
    /// [`crate::check::staleness`] defines every figure).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub staleness: Option<crate::check::staleness::StalenessFigures>,
    /// What the run cost.
    pub cost: CostFigures,
    /// Client latency per zone (scenarios with zones).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub zones: Vec<ZoneFigures>,
    /// What the envelope guard rejected and the adversary did (when anything happened).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub security: Option<crate::world::SecurityStats>,
    /// Every effective parameter of the run, one per line.
    pub parameters: Vec<String>,
    /// Wall-clock figures: the only part of the file that differs between two runs of the
    /// same scenario and seed by the same build.
    pub timing: RunTiming,
}

/// How long a run took on the machine that ran it. Everything else in `outcome.json` is a
/// function of (scenario, seed, binary); these figures are not, so they are kept apart here
/// for a reader or a test to drop, and nothing a run decides depends on them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTiming {
    /// Wall-clock time of the whole run (simulation, checks, figures), seconds.
    pub wall_s: f64,
    /// Wall-clock time the linearizability checker spent deciding, seconds (key-value runs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub linearizability_s: Option<f64>,
}

/// What a run concluded, all checks taken together.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunVerdict {
    /// Every check held (or had nothing to judge).
    Passed,
    /// A check failed.
    Failed,
    /// No check failed, but one could not decide within its budget: neither a pass nor a
    /// failure.
    Undecided,
}

impl RunVerdict {
    /// The verdict in one capitalised word, for summaries.
    pub fn word(self) -> &'static str {
        match self {
            RunVerdict::Passed => "PASSED",
            RunVerdict::Failed => "FAILED",
            RunVerdict::Undecided => "UNDECIDED",
        }
    }
}

impl Outcome {
    /// The name of a node (`n3`, `c1`); a node id the run did not have reads as `n<id+1>`.
    pub fn node_name(&self, id: NodeId) -> String {
        self.nodes.get(id.index()).cloned().unwrap_or_else(|| id.to_string())
    }

    /// The names of the checks that failed.
    pub fn failed_checks(&self) -> Vec<&str> {
        self.checks.iter().filter(|(_, c)| c.failed()).map(|(k, _)| k.as_str()).collect()
    }

    /// The names of the checks that could not decide within their budget.
    pub fn unknown_checks(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|(_, c)| c.status == crate::check::Status::Unknown)
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// The run's verdict: failed if a check failed (or the run halted), else undecided if
    /// a check could not decide within its budget, else passed.
    pub fn verdict(&self) -> RunVerdict {
        if !self.passed {
            RunVerdict::Failed
        } else if self.unknown_checks().is_empty() {
            RunVerdict::Passed
        } else {
            RunVerdict::Undecided
        }
    }
}
