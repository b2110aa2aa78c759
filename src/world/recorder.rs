//! The flight recorder: a bounded record of what the charts and the report's step-through
//! need, kept while the run goes (no full trace required).
//!
//! - every role change and lifecycle event (small: a few per election or fault);
//! - each server's log progress (last index, its term, commit index), sampled at most once
//!   per `progress_every` per node, so a one-hour run stays small;
//! - every message sent inside a time window (default: around the first fault), with its
//!   fate: delivered when, or dropped why — the raw material of a space-time diagram;
//! - the queue backlog of bandwidth-limited links, as the maximum per time bucket.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Lifecycle, NodeKind};
use crate::sim::{LogIndex, MsgId, NodeId, Observation, Role, SimDuration, SimTime, Term};

/// What to record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecorderConfig {
    /// Messages sent in `[window.0, window.1]` are recorded one by one.
    pub window: (SimTime, SimTime),
    /// Minimum spacing of a node's log-progress samples.
    pub progress_every: SimDuration,
    /// Width of a queue-depth bucket.
    pub queue_bucket: SimDuration,
    /// Most messages recorded (the rest are counted, not kept).
    pub max_messages: usize,
}

impl RecorderConfig {
    /// Defaults for a run of `duration` whose first fault (if any) is at `first_fault`:
    /// the message window spans 100 ms before to 400 ms after it (or 1.0–1.5 s).
    pub fn for_run(duration: SimDuration, first_fault: Option<SimTime>) -> Self {
        let end = SimTime(duration.as_nanos());
        let centre = first_fault.unwrap_or(SimTime(1_000_000_000).min(end));
        let start = SimTime(centre.as_nanos().saturating_sub(100_000_000));
        let stop = (centre + SimDuration::from_millis(400)).min(end);
        RecorderConfig {
            window: (start, stop),
            progress_every: SimDuration((duration.as_nanos() / 2000).max(1_000_000)),
            queue_bucket: SimDuration((duration.as_nanos() / 1000).max(1_000_000)),
            max_messages: 50_000,
        }
    }
}

/// A node of the recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecNode {
    /// Display name.
    pub name: String,
    /// Server or client.
    pub kind: NodeKind,
}

/// A role change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChange {
    /// When (ns).
    pub t: u64,
    /// Node index.
    pub node: u32,
    /// New role.
    pub role: Role,
    /// Its term.
    pub term: u64,
}

/// A lifecycle event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifeEvent {
    /// When (ns).
    pub t: u64,
    /// Node index.
    pub node: u32,
    /// What happened.
    pub event: Lifecycle,
}

/// A sample of a server's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// When (ns).
    pub t: u64,
    /// Node index.
    pub node: u32,
    /// Last log index.
    pub last: u64,
    /// Term of the last entry.
    pub last_term: u64,
    /// Commit index.
    pub commit: u64,
}

/// One message of the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgRec {
    /// Message id.
    pub id: u64,
    /// Sender index.
    pub from: u32,
    /// Receiver index.
    pub to: u32,
    /// Message kind.
    pub kind: String,
    /// Bytes.
    pub size: u32,
    /// When sent (ns).
    pub sent: u64,
    /// When delivered, or when it was found lost (ns).
    pub end: u64,
    /// `delivered`, or why it was lost (`loss`, `partition`, `queue_full`, `node_down`,
    /// `link_down`, `mtu`, `mac`, `replay`, `decode`).
    pub fate: String,
}

/// Queue depth of one bandwidth-limited link over time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSeries {
    /// Sender index.
    pub from: u32,
    /// Receiver index.
    pub to: u32,
    /// Bucket width (ns).
    pub bucket_ns: u64,
    /// Largest backlog (bytes) seen in each bucket, from time zero.
    pub max_bytes: Vec<u64>,
    /// Bytes handed to the link in each bucket (utilisation).
    pub sent_bytes: Vec<u64>,
}

/// Everything recorded, saved as `recording.json` in the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// The protocol the servers ran (the kernel knows no protocol: the runner names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<crate::scenario::Protocol>,
    /// The nodes, by index.
    pub nodes: Vec<RecNode>,
    /// When the run ended (ns).
    pub end_ns: u64,
    /// The message window (ns).
    pub window: (u64, u64),
    /// Role changes.
    pub roles: Vec<RoleChange>,
    /// Crashes, restarts, pauses.
    pub lifecycle: Vec<LifeEvent>,
    /// Log progress samples.
    pub progress: Vec<Progress>,
    /// Messages of the window.
    pub messages: Vec<MsgRec>,
    /// Messages of the window not kept (over the cap).
    pub messages_dropped: u64,
    /// Queue depth of bandwidth-limited links.
    pub queues: Vec<QueueSeries>,
}

/// Records a run as it goes.
#[derive(Debug)]
pub struct Recorder {
    config: RecorderConfig,
    rec: Recording,
    /// Per node: last sample time, and the current (last, last_term, commit).
    state: Vec<(Option<SimTime>, u64, u64, u64)>,
    /// Window messages still in flight: id → position in `messages`.
    open: BTreeMap<u64, usize>,
    /// Link (from, to) → position in `queues`.
    links: BTreeMap<(u32, u32), usize>,
}

impl Recorder {
    /// A recorder for nodes named and kinded as given.
    pub fn new(config: RecorderConfig, nodes: Vec<RecNode>) -> Self {
        let n = nodes.len();
        Recorder {
            config,
            rec: Recording { nodes, window: (config.window.0.0, config.window.1.0), ..Recording::default() },
            state: vec![(None, 0, 0, 0); n],
            open: BTreeMap::new(),
            links: BTreeMap::new(),
        }
    }

    /// The recording so far, with the end time set.
    pub fn finish(mut self, end: SimTime) -> Recording {
        self.rec.end_ns = end.0;
        for (i, s) in self.state.iter().enumerate() {
            if s.0.is_some() {
                self.rec.progress.push(Progress {
                    t: end.0,
                    node: i as u32,
                    last: s.1,
                    last_term: s.2,
                    commit: s.3,
                });
            }
        }
        self.rec
    }

    #[inline]
    fn in_window(&self, t: SimTime) -> bool {
        t >= self.config.window.0 && t <= self.config.window.1
    }

    /// A node announced an observation.
    pub fn observation(&mut self, t: SimTime, node: NodeId, obs: &Observation) {
        let i = node.index();
        match *obs {
            Observation::Role { role, term: Term(term) } => {
                self.rec.roles.push(RoleChange { t: t.0, node: node.0, role, term });
                return;
            }
            Observation::Appended { index: LogIndex(idx), term: Term(term), .. } => {
                self.state[i].1 = idx;
                self.state[i].2 = term;
            }
            Observation::Truncated { from: LogIndex(from) } => {
                self.state[i].1 = from.saturating_sub(1).min(self.state[i].1);
            }
            Observation::Committed { index: LogIndex(c) } => self.state[i].3 = c,
            Observation::Snapshot { index: LogIndex(idx), term: Term(term) } => {
                if idx > self.state[i].1 {
                    self.state[i].1 = idx;
                    self.state[i].2 = term;
                }
                self.state[i].3 = self.state[i].3.max(idx);
            }
            _ => return,
        }
        let due = self.state[i].0.is_none_or(|last| t.saturating_since(last) >= self.config.progress_every);
        if due {
            self.state[i].0 = Some(t);
            let s = self.state[i];
            self.rec.progress.push(Progress { t: t.0, node: node.0, last: s.1, last_term: s.2, commit: s.3 });
        }
    }

    /// A node started, crashed, paused or resumed.
    pub fn lifecycle(&mut self, t: SimTime, node: NodeId, event: Lifecycle) {
        self.rec.lifecycle.push(LifeEvent { t: t.0, node: node.0, event });
        if event == Lifecycle::Crash {
            self.state[node.index()] = (Some(t), 0, 0, 0);
        }
    }

    /// A message was handed to the network; `arrive` is its planned arrival, or `lost` why it
    /// never left.
    #[allow(clippy::too_many_arguments)]
    pub fn sent(
        &mut self,
        t: SimTime,
        from: NodeId,
        to: NodeId,
        id: MsgId,
        kind: &str,
        size: u32,
        arrive: Result<SimTime, &str>,
    ) {
        if !self.in_window(t) {
            return;
        }
        if self.rec.messages.len() >= self.config.max_messages {
            self.rec.messages_dropped += 1;
            return;
        }
        let (end, fate) = match arrive {
            Ok(at) => (at.0, "delivered".to_string()),
            Err(why) => (t.0, why.to_string()),
        };
        if arrive.is_ok() {
            self.open.insert(id.0, self.rec.messages.len());
        }
        self.rec.messages.push(MsgRec {
            id: id.0,
            from: from.0,
            to: to.0,
            kind: kind.to_string(),
            size,
            sent: t.0,
            end,
            fate,
        });
    }

    /// A message of the window was lost on arrival (partition, crashed receiver, rejected).
    pub fn lost(&mut self, t: SimTime, id: MsgId, why: &str) {
        if let Some(&i) = self.open.get(&id.0) {
            let m = &mut self.rec.messages[i];
            m.end = t.0;
            m.fate = why.to_string();
        }
    }

    /// A message of the window reached its node (closes its record).
    pub fn arrived(&mut self, id: MsgId) {
        self.open.remove(&id.0);
    }

    /// A bandwidth-limited link carries `bytes` more and holds `backlog` bytes at `t`.
    pub fn queue(&mut self, t: SimTime, from: NodeId, to: NodeId, bytes: u32, backlog: u64) {
        let bucket_ns = self.config.queue_bucket.as_nanos().max(1);
        let b = (t.0 / bucket_ns) as usize;
        let next = self.rec.queues.len();
        let i = *self.links.entry((from.0, to.0)).or_insert(next);
        if i == next {
            self.rec.queues.push(QueueSeries {
                from: from.0,
                to: to.0,
                bucket_ns,
                max_bytes: Vec::new(),
                sent_bytes: Vec::new(),
            });
        }
        let q = &mut self.rec.queues[i];
        if q.max_bytes.len() <= b {
            q.max_bytes.resize(b + 1, 0);
            q.sent_bytes.resize(b + 1, 0);
        }
        q.max_bytes[b] = q.max_bytes[b].max(backlog);
        q.sent_bytes[b] += bytes as u64;
    }
}
