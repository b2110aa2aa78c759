//! The lab's Raft registered with eightfold: its settings, what it declares about itself,
//! and how a run builds (and after a crash rebuilds) its servers.
//!
//! A solution is registered under a name of its own (`student` for yours), and runs under
//! every command of eightfold exactly as the shipped Raft does: the same scenarios, faults,
//! checks, reports and grade suites. Run on a scenario written for the shipped Raft, the
//! lab's Raft takes `cluster.raft`'s `election_timeout` and `heartbeat`, so one file times the
//! shipped Raft and yours alike (`run --protocol student`, `grade`, `compare` carry them
//! over); its own settings object (`cluster.student`) sets them directly.

use std::marker::PhantomData;

use eightfold::protocol::{
    Adoption, Capabilities, Invariant, KvProtocol, NodeId, Scenario, ServerView, SimDuration, StorageView,
};
use eightfold::scenario::model::DurationRange;
use eightfold::scenario::units::HumanDuration;

use crate::rules::Rules;
use crate::server::{LabServer, Timing};

/// The lab's settings, `"cluster": { "protocol": "student", "student": { … } }`.
#[derive(Clone, Copy, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabSettings {
    /// The randomized election timeout (default 150–300 ms).
    pub election_timeout: Option<DurationRange>,
    /// The leader's heartbeat interval (default 50 ms).
    pub heartbeat: Option<HumanDuration>,
    /// The most entries one AppendEntries carries (default 64).
    pub max_batch: Option<u32>,
}

/// The lab's Raft with the rules of solution `R`, configured for one scenario.
pub struct RaftLab<R> {
    timing: Timing,
    servers: Vec<NodeId>,
    rules: PhantomData<fn() -> R>,
}

impl<R: Rules> KvProtocol for RaftLab<R> {
    type Settings = LabSettings;
    type Server = LabServer<R>;

    fn capabilities() -> Capabilities {
        Capabilities {
            title: "the lab kit's Raft",
            key_value: true,
            leader: true,
            terms: true,
            operator: false,
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

    fn configure(settings: LabSettings, s: &Scenario) -> RaftLab<R> {
        let mut timing = Timing::default();
        if let Some(r) = settings.election_timeout {
            timing.election_min = r.min.0;
            timing.election_max = r.max.0.max(r.min.0);
        }
        if let Some(h) = settings.heartbeat {
            timing.heartbeat = h.0;
        }
        if let Some(b) = settings.max_batch {
            timing.max_batch = b.max(1) as usize;
        }
        RaftLab { timing, servers: (0..s.cluster.nodes).map(NodeId).collect(), rules: PhantomData }
    }

    fn adopt(s: &Scenario) -> Adoption {
        // Raft's (or Multi-Paxos's) election timeout and heartbeat, so a scenario written for
        // the shipped Raft times this one alike; nothing else of theirs exists here.
        let (group, timing) = match (&s.cluster.raft, &s.cluster.paxos) {
            (Some(r), _) => ("raft", &r.timing),
            (None, Some(p)) => ("paxos", &p.timing),
            (None, None) => return Adoption::default(),
        };
        let mut settings = serde_json::Map::new();
        let mut carried = Vec::new();
        if let Some(r) = timing.election_timeout {
            settings.insert("election_timeout".into(), serde_json::to_value(r).unwrap_or_default());
            carried.push((
                format!("cluster.{group}.election_timeout"),
                "the same randomized election timeout".into(),
            ));
        }
        if let Some(h) = timing.heartbeat {
            settings.insert("heartbeat".into(), serde_json::to_value(h).unwrap_or_default());
            carried.push((format!("cluster.{group}.heartbeat"), "the same heartbeat interval".into()));
        }
        if let Some(b) = timing.max_batch {
            settings.insert("max_batch".into(), b.into());
            carried.push((
                format!("cluster.{group}.max_batch"),
                "the same most entries per AppendEntries".into(),
            ));
        }
        Adoption { settings: Some(serde_json::Value::Object(settings)), carried }
    }

    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> LabServer<R> {
        LabServer::recover(id, self.servers.clone(), self.timing, disk)
    }

    fn liveness_unit(&self) -> SimDuration {
        self.timing.election_max
    }

    fn describe(&self) -> Vec<String> {
        vec![format!(
            "raft-lab: election timeout {}–{}, heartbeat {}, at most {} entries per AppendEntries",
            self.timing.election_min, self.timing.election_max, self.timing.heartbeat, self.timing.max_batch
        )]
    }
}
