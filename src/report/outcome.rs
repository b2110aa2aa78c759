//! `outcome.json`: the verdict and key figures of one run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::check::CheckResult;
use crate::check::convergence::Convergence;
use crate::net::NetStats;
use crate::world::{FaultRecord, Halt};

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

/// The verdict and figures of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Scenario name.
    pub scenario: String,
    /// The seed the run used.
    pub seed: u64,
    /// The trace digest, 16 hex characters.
    pub digest: String,
    /// Events the kernel handled.
    pub events: u64,
    /// Virtual time simulated, ns.
    pub sim_time_ns: u64,
    /// Wall-clock time the run took, seconds (the one figure that varies between runs).
    pub wall_s: f64,
    /// True if every check passed.
    pub passed: bool,
    /// Each check's verdict.
    pub checks: BTreeMap<String, CheckResult>,
    /// Network counters.
    pub network: NetworkFigures,
    /// Per-link traffic (links that carried messages).
    pub links: Vec<LinkFigures>,
    /// The faults applied, with their windows.
    pub faults: Vec<FaultRecord>,
    /// Set if a check stopped the run early.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub halted: Option<Halt>,
    /// Broadcast figures (gossip runs).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub broadcast: Option<Convergence>,
    /// Every effective parameter of the run, one per line.
    pub parameters: Vec<String>,
}

impl Outcome {
    /// The names of the checks that failed.
    pub fn failed_checks(&self) -> Vec<&str> {
        self.checks.iter().filter(|(_, c)| !c.passed).map(|(k, _)| k.as_str()).collect()
    }
}
