//! The flight recorder: what the charts and the report's step-through need, kept while the
//! run goes (no full trace required), saved as `recording.json`.
//!
//! A recording never shows a state a node was not in. It holds:
//!
//! - every role change and lifecycle event (a few per election or fault);
//! - per server, a [`Track`] of its state: its log ([`LogPoint`]s: last index, the term of
//!   that entry, commit index), explicit truncations, snapshots, votes granted, membership
//!   changes, and at every (re)start exactly what recovery read from its disk;
//! - every message sent inside the *recorded window* (default: around the first fault),
//!   with its fate: delivered when, or dropped why — the raw material of a space-time
//!   diagram;
//! - the queue backlog of bandwidth-limited links, as the maximum per time bucket.
//!
//! Beside the log, each track keeps the *views* a protocol announces for the report alone
//! ([`Observation::is_view`]) and what a leaderless server holds: a Multi-Paxos acceptor's
//! promises and the ballot round of each slot it accepted (in its runs), over the whole run;
//! a gossip peer's learned values, over the whole run; and inside the window a Raft server's
//! timers and a leader's view of its followers, and a quorum replica's version of each key
//! and the hints it holds — each window series headed by the value in force when the window
//! opened, and every announcement costing a lookup, never a scan of the cluster or the keys.
//!
//! **Exact inside the window, thinned outside it, never stale.** Inside the window every
//! change of a server's log is a point at the virtual instant it happened (changes at the
//! same instant make one point). Outside it, time is cut into buckets of `thin_every`, and a
//! server's changes within one bucket make one point: its state after the last of them, at
//! the instant of that last change, with `since` set to the instant of the first when there
//! were several. So a point is always the node's true state at its time; between the
//! previous point and `since` the previous point holds; from `since` to the point the log
//! was moving from one to the other, and readers show that stretch as a range, not as a
//! value. Since every bucket's changes end in a point, at each bucket boundary every
//! server's state is known exactly. Truncations, votes, membership changes, crashes and
//! restarts are always recorded exactly, whatever the window: before one of them, the
//! thinned changes still pending become their point. Snapshots are recorded inside the
//! window, and outside it when they change the log (an installed one) or are loaded at a
//! start: a compaction changes nothing shown, and a long run takes thousands.
//!
//! A restart is recorded when the node has finished booting: the state it announced while
//! booting (rebuilt from its disk alone) becomes a [`Recovery`] and an exact point at the
//! restart instant. The kernel stays protocol-agnostic: it only says when a boot ended.
//!
//! The format is versioned ([`FORMAT`]) and made to grow: a track is a set of typed series,
//! each a list of small arrays, so another series (each entry of a log, election timers, a
//! leader's view of its followers) can be added beside the others without changing them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Lifecycle, NodeKind};
use crate::sim::{Contents, LogIndex, MsgId, NodeId, Observation, Role, SimDuration, SimTime, Term};

/// The `format` of `recording.json` files this build writes and reads.
pub const FORMAT: &str = "eightfold-recording/2";

/// What to record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecorderConfig {
    /// The recorded window: messages sent in `[window.0, window.1]` are recorded one by one,
    /// and every change of a server's log in it is a point of its own.
    pub window: (SimTime, SimTime),
    /// Outside the window, a server's log changes within one bucket of this width make one
    /// point.
    pub thin_every: SimDuration,
    /// Width of a queue-depth bucket.
    pub queue_bucket: SimDuration,
    /// Most messages recorded (the rest are counted, not kept).
    pub max_messages: usize,
}

impl RecorderConfig {
    /// Defaults for a run of `duration` whose first fault (if any) is at `first_fault`:
    /// the window spans 100 ms before to 400 ms after it (or 0.9–1.4 s); outside it, at
    /// most a thousand log points per server over the run.
    pub fn for_run(duration: SimDuration, first_fault: Option<SimTime>) -> Self {
        let end = SimTime(duration.as_nanos());
        let centre = first_fault.unwrap_or(SimTime(1_000_000_000).min(end));
        let start = SimTime(centre.as_nanos().saturating_sub(100_000_000));
        let stop = (centre + SimDuration::from_millis(400)).min(end);
        RecorderConfig {
            window: (start, stop),
            thin_every: SimDuration((duration.as_nanos() / 1000).max(1_000_000)),
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

/// A server's log at one instant. Saved as `[t, last, last_term, commit]`, or
/// `[t, last, last_term, commit, since]` for a thinned point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<u64>", try_from = "Vec<u64>")]
pub struct LogPoint {
    /// When (ns): the instant the log became this.
    pub t: u64,
    /// Index of the last entry held (for a Paxos acceptor: the highest slot accepted or
    /// decided).
    pub last: u64,
    /// The term (Paxos: ballot round) of that entry.
    pub last_term: u64,
    /// Commit index (Paxos: end of the decided prefix).
    pub commit: u64,
    /// Set on a thinned point that stands for several changes: the first of them happened
    /// at `since` (ns). From the previous point until `since` the previous point holds;
    /// from `since` until `t` the log lay between the two, at instants not recorded.
    pub since: Option<u64>,
}

impl From<LogPoint> for Vec<u64> {
    fn from(p: LogPoint) -> Self {
        let mut v = vec![p.t, p.last, p.last_term, p.commit];
        v.extend(p.since);
        v
    }
}

impl TryFrom<Vec<u64>> for LogPoint {
    type Error = String;
    fn try_from(v: Vec<u64>) -> Result<Self, String> {
        match v[..] {
            [t, last, last_term, commit] => Ok(LogPoint { t, last, last_term, commit, since: None }),
            [t, last, last_term, commit, since] if since < t => {
                Ok(LogPoint { t, last, last_term, commit, since: Some(since) })
            }
            _ => Err(format!(
                "a log point is [t, last, last_term, commit] or [t, last, last_term, commit, since] with since < t, found {v:?}"
            )),
        }
    }
}

/// A server discarded its log from `from` on (a conflicting suffix). Saved as `[t, from]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "(u64, u64)", from = "(u64, u64)")]
pub struct Truncation {
    /// When (ns).
    pub t: u64,
    /// First index discarded.
    pub from: u64,
}

impl From<Truncation> for (u64, u64) {
    fn from(x: Truncation) -> Self {
        (x.t, x.from)
    }
}

impl From<(u64, u64)> for Truncation {
    fn from((t, from): (u64, u64)) -> Self {
        Truncation { t, from }
    }
}

/// A server replaced its log up to `index` by a snapshot (taken or installed). Saved as
/// `[t, index, term]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "(u64, u64, u64)", from = "(u64, u64, u64)")]
pub struct SnapshotPoint {
    /// When (ns).
    pub t: u64,
    /// Last index the snapshot covers.
    pub index: u64,
    /// Term of that entry.
    pub term: u64,
}

impl From<SnapshotPoint> for (u64, u64, u64) {
    fn from(x: SnapshotPoint) -> Self {
        (x.t, x.index, x.term)
    }
}

impl From<(u64, u64, u64)> for SnapshotPoint {
    fn from((t, index, term): (u64, u64, u64)) -> Self {
        SnapshotPoint { t, index, term }
    }
}

/// A server granted its vote. Saved as `[t, term, candidate]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "(u64, u64, u32)", from = "(u64, u64, u32)")]
pub struct Vote {
    /// When (ns).
    pub t: u64,
    /// The election's term.
    pub term: u64,
    /// Node index of the candidate voted for.
    pub candidate: u32,
}

impl From<Vote> for (u64, u64, u32) {
    fn from(x: Vote) -> Self {
        (x.t, x.term, x.candidate)
    }
}

impl From<(u64, u64, u32)> for Vote {
    fn from((t, term, candidate): (u64, u64, u32)) -> Self {
        Vote { t, term, candidate }
    }
}

/// A server's voting configuration changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipPoint {
    /// When (ns).
    pub t: u64,
    /// Node indices of the voting members.
    pub voters: Vec<u32>,
}

/// What a server recovered from its disk when it (re)started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// When it started (ns).
    pub t: u64,
    /// Last index of the snapshot it loaded (0: none).
    pub snapshot: u64,
    /// Last index of the log it read.
    pub last: u64,
    /// Term of that entry.
    pub last_term: u64,
    /// The commit index it starts with.
    pub commit: u64,
}

/// One server's state over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    /// Node index.
    pub node: u32,
    /// Its log, point by point, in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<LogPoint>,
    /// Each discarded suffix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub truncations: Vec<Truncation>,
    /// Each snapshot taken or installed inside the window; outside it, those that changed
    /// the log (installed ones) and those loaded at a start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<SnapshotPoint>,
    /// Each vote granted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub votes: Vec<Vote>,
    /// Each change of its voting configuration (announced at every start too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub membership: Vec<MembershipPoint>,
    /// What it read from its disk at each start after which it held a log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recoveries: Vec<Recovery>,
    /// The shape of its log entry by entry, over the whole run: each change of where its
    /// runs of equal terms begin ([`TermRun`]), in order, at its instant (a few per
    /// election, so kept everywhere). With a log point (last position, commit) it gives the
    /// term of every entry the log held then; with a truncation, the terms of the entries
    /// discarded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<TermRun>,
    /// Inside the window, the highest position applied to its state machine: its value at
    /// the window's first instant, then each change (changes at one instant make one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<(u64, u64)>,
    /// Inside the window, each (re)arming of its own deadline ([`Observation::Deadline`]) as
    /// `[t, at]` (`at` null: none), headed by the one in force at the window's first
    /// instant, with the instant it was armed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deadlines: Vec<(u64, Option<u64>)>,
    /// Inside the window, each change of its view of a follower ([`Observation::Progress`])
    /// as `[t, peer, next, matched]`, headed by the last one known of each peer at the
    /// window's first instant, with the instant it was announced. A reader keeps those of
    /// the node's current leadership (announced at or after it became leader).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub progress: Vec<(u64, u32, u64, u64)>,
    /// Each promise of a Paxos acceptor ([`Observation::Promised`]) as `[t, round,
    /// proposer]`, over the whole run (a few per election, so kept everywhere; every start
    /// announces the one recovered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promises: Vec<(u64, u64, u32)>,
    /// Inside the window, each version a leaderless store's replica came to hold
    /// ([`Observation::Stored`]) as `[t, key, stamp, coordinator]`, headed by every key's
    /// version in force at the window's first instant (with the instant it was stored). A
    /// start empties the replica; what it recovered follows at the start's instant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<(u64, u64, u64, u32)>,
    /// Inside the window, each change of the hints it holds ([`Observation::Hinted`]) as
    /// `[t, intended, key, [stamp, coordinator]]`, or `[t, intended, key, null]` once handed
    /// back, headed by every hint waiting at the window's first instant. A start empties
    /// them; the hints it recovered follow at the start's instant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<HintChange>,
    /// Each value it learned ([`Observation::Learned`]) as `[t, value]`, over the whole run
    /// (one per value and node). A start empties what it holds unless it announces values
    /// again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learned: Vec<(u64, u64)>,
}

/// A change of the hints a node holds, saved as `[t, intended, key, [stamp, coordinator]]`
/// (a hint for `intended` now waits, of that version) or `[t, intended, key, null]` (handed
/// back).
pub type HintChange = (u64, u32, u64, Option<(u64, u32)>);

/// A change of a log's runs of equal terms, saved as `[t, start, term]`: from `t` on, the
/// runs beginning at `start` or later are gone, and a run of entries of `term` begins at
/// `start` (it reaches to the log's last position, or to the next run). A run of term 0
/// holds nothing known: `[t, 0, 0]` clears the log's runs (a restart, a snapshot that
/// replaced the log; positions then of term 0 are inside a snapshot), `[t, from, 0]` follows
/// a truncation, and a Paxos acceptor's slots between two accepted ranges are of term 0
/// (nothing accepted there). A Paxos acceptor's runs are the ballot rounds its slots were
/// accepted in (a slot accepted again in a later round takes that round: the runs after it
/// are written again), and a slot it learned chosen without accepting it takes the round
/// that proposed its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "(u64, u64, u64)", from = "(u64, u64, u64)")]
pub struct TermRun {
    /// When (ns).
    pub t: u64,
    /// First position of the run.
    pub start: u64,
    /// Its term, or 0 for a cut only.
    pub term: u64,
}

impl From<TermRun> for (u64, u64, u64) {
    fn from(x: TermRun) -> Self {
        (x.t, x.start, x.term)
    }
}

impl From<(u64, u64, u64)> for TermRun {
    fn from((t, start, term): (u64, u64, u64)) -> Self {
        TermRun { t, start, term }
    }
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
    /// What the message says, as its type lists it (empty for a type that lists nothing,
    /// and for an adversary's replayed or forged envelope, which the kernel cannot read).
    #[serde(default, skip_serializing_if = "Contents::is_empty")]
    pub contents: Contents,
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

/// The protocol the servers ran, by the name scenario files give it (`"raft"`): the runner
/// names it, the kernel keeps it without reading it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProtocolName(pub String);

/// Everything recorded, saved as `recording.json` in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// Always [`FORMAT`].
    pub format: String,
    /// The protocol the servers ran (the kernel knows no protocol: the runner names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<ProtocolName>,
    /// The nodes, by index.
    pub nodes: Vec<RecNode>,
    /// When the run ended (ns).
    pub end_ns: u64,
    /// The recorded window (ns): its messages, and every log change in it.
    pub window: (u64, u64),
    /// Outside the window, the width of a thinning bucket (ns).
    pub thin_ns: u64,
    /// Role changes.
    pub roles: Vec<RoleChange>,
    /// Crashes, restarts, pauses.
    pub lifecycle: Vec<LifeEvent>,
    /// One track per server, in node order.
    pub tracks: Vec<Track>,
    /// Messages of the window.
    pub messages: Vec<MsgRec>,
    /// Messages of the window not kept (over the cap).
    pub messages_dropped: u64,
    /// Queue depth of bandwidth-limited links.
    pub queues: Vec<QueueSeries>,
}

impl Default for Recording {
    fn default() -> Self {
        Recording {
            format: FORMAT.to_string(),
            protocol: None,
            nodes: Vec::new(),
            end_ns: 0,
            window: (0, 0),
            thin_ns: 1,
            roles: Vec::new(),
            lifecycle: Vec::new(),
            tracks: Vec::new(),
            messages: Vec::new(),
            messages_dropped: 0,
            queues: Vec::new(),
        }
    }
}

impl Recording {
    /// The track of node `node`, if it is a server.
    pub fn track(&self, node: u32) -> Option<&Track> {
        self.tracks.iter().find(|t| t.node == node)
    }
}

/// A server's log as the recorder follows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct LogState {
    last: u64,
    last_term: u64,
    commit: u64,
    snapshot: (u64, u64),
}

/// Changes outside the window not yet made a point: all in bucket `bucket`, the first at
/// `since`, the last at `t`.
#[derive(Clone, Copy, Debug)]
struct Pending {
    bucket: u64,
    since: u64,
    t: u64,
}

/// What the recorder keeps per server while the run goes.
#[derive(Clone, Debug, Default)]
struct Live {
    state: LogState,
    /// Where each run of equal terms starts in the log: (first index, term), ascending.
    /// A truncation needs the term of the new last entry, which no observation repeats.
    terms: Vec<(u64, u64)>,
    pending: Option<Pending>,
    /// Between a start and the end of the boot: observations rebuild the state silently.
    booting: bool,
    /// True once the server has announced any log state (gossip and quorum servers never
    /// do, and get no log points).
    has_log: bool,
    /// The last point may not absorb later changes of the same instant (a restart's or a
    /// truncation's point must stay visible).
    sealed: bool,
    /// Highest position applied.
    applied: u64,
    /// The deadline in force: when it was armed, and when it fires (if armed).
    deadline: Option<(u64, Option<u64>)>,
    /// The last view of each follower: (peer, when announced, next, matched), in the order
    /// first announced, kept across the run so the window can open with them.
    progress: Vec<(u32, u64, u64, u64)>,
    /// Where each follower's view sits in `progress`, so an announcement costs a lookup, not
    /// a scan of every follower.
    progress_at: BTreeMap<u32, usize>,
    /// A replica's version of each key: key → (when stored, stamp, coordinator).
    store: BTreeMap<u64, (u64, u64, u32)>,
    /// The hints waiting: (intended, key) → (when, stamp, coordinator).
    hints: BTreeMap<(u32, u64), (u64, u64, u32)>,
}

/// The term of position `i` in runs `terms` (ascending starts); 0 before the first run.
fn term_at(terms: &[(u64, u64)], i: u64) -> u64 {
    match terms.partition_point(|&(start, _)| start <= i) {
        0 => 0,
        k => terms[k - 1].1,
    }
}

/// Gives the positions `a..=b` of a log whose last position is `last` the term `x`, in the
/// live runs and in the recording (positions between `last` and `a` get term 0: nothing
/// there). Nothing is written when they have it already; otherwise the runs after `b` are
/// written again (usually none: acceptances extend the end).
fn paint(terms: &mut Vec<(u64, u64)>, runs: &mut Vec<TermRun>, t: u64, last: u64, a: u64, b: u64, x: u64) {
    let top = b.min(last);
    let same = match terms.last() {
        Some(&(start, term)) if a == last + 1 => term == x && start <= last,
        Some(_) if a <= last => {
            term_at(terms, a) == x
                && terms.partition_point(|&(st, _)| st <= a) == terms.partition_point(|&(st, _)| st <= top)
        }
        _ => false,
    };
    if same {
        return;
    }
    let after = (b < last).then(|| term_at(terms, b + 1));
    let from = terms.partition_point(|&(st, _)| st <= b + 1);
    let tail: Vec<(u64, u64)> = terms[from..].to_vec();
    if a > last + 1 && !terms.is_empty() {
        set_run(terms, runs, t, last + 1, 0);
    }
    set_run(terms, runs, t, a, x);
    if let Some(y) = after.filter(|&y| y != x) {
        set_run(terms, runs, t, b + 1, y);
    }
    for (start, term) in tail {
        set_run(terms, runs, t, start, term);
    }
}

/// Makes a run of `term` begin at `start` (the runs at `start` or later are gone), in the
/// live runs and in the recording, as a page replaying the recording would.
fn set_run(terms: &mut Vec<(u64, u64)>, runs: &mut Vec<TermRun>, t: u64, start: u64, term: u64) {
    while terms.last().is_some_and(|&(s, _)| s >= start) {
        terms.pop();
    }
    terms.push((start, term));
    runs.push(TermRun { t, start, term });
}

/// Records a run as it goes.
#[derive(Debug)]
pub struct Recorder {
    config: RecorderConfig,
    rec: Recording,
    /// Node index → position in `rec.tracks` and its live state (servers only).
    live: Vec<Option<(usize, Live)>>,
    /// Window messages still in flight: id → position in `messages`.
    open: BTreeMap<u64, usize>,
    /// Link (from, to) → position in `queues`.
    links: BTreeMap<(u32, u32), usize>,
    /// True once the window's first instant has passed and the state in force then has
    /// been written at the head of the window's series.
    opened: bool,
}

impl Recorder {
    /// A recorder for nodes named and kinded as given.
    pub fn new(config: RecorderConfig, nodes: Vec<RecNode>) -> Self {
        let mut tracks = Vec::new();
        let live = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (n.kind == NodeKind::Server).then(|| {
                    tracks.push(Track { node: i as u32, ..Track::default() });
                    (tracks.len() - 1, Live::default())
                })
            })
            .collect();
        Recorder {
            config,
            rec: Recording {
                nodes,
                window: (config.window.0.0, config.window.1.0),
                thin_ns: config.thin_every.as_nanos().max(1),
                tracks,
                ..Recording::default()
            },
            live,
            open: BTreeMap::new(),
            links: BTreeMap::new(),
            opened: false,
        }
    }

    /// At the first call at or after the window's first instant: writes each server's state
    /// in force at that instant (nothing has changed since the previous call) at the head of
    /// the window's series.
    #[inline]
    fn open_window(&mut self, t: SimTime) {
        if self.opened || t < self.config.window.0 {
            return;
        }
        self.opened = true;
        let w0 = self.config.window.0.0;
        for (k, live) in self.live.iter().flatten() {
            let track = &mut self.rec.tracks[*k];
            if live.has_log {
                track.applied.push((w0, live.applied));
            }
            track.deadlines.extend(live.deadline);
            track.progress.extend(live.progress.iter().map(|&(peer, t, next, m)| (t, peer, next, m)));
            let mut versions: Vec<_> =
                live.store.iter().map(|(&key, &(t, stamp, by))| (t, key, stamp, by)).collect();
            versions.sort_unstable();
            track.versions.extend(versions);
            let mut hints: Vec<_> = live
                .hints
                .iter()
                .map(|(&(intended, key), &(t, stamp, by))| (t, intended, key, Some((stamp, by))))
                .collect();
            hints.sort_unstable();
            track.hints.extend(hints);
        }
    }

    /// The recording so far, with the end time set and every pending change made a point.
    #[must_use = "the finished recording is the only copy"]
    pub fn finish(mut self, end: SimTime) -> Recording {
        self.open_window(end);
        for i in 0..self.live.len() {
            self.flush(i);
        }
        self.rec.end_ns = end.0;
        self.rec
    }

    #[inline]
    fn in_window(&self, t: SimTime) -> bool {
        t >= self.config.window.0 && t <= self.config.window.1
    }

    /// Makes the pending thinned changes of node `i` a point (the state is still the one
    /// after the last of them: nothing changed since).
    fn flush(&mut self, i: usize) {
        let Some((k, live)) = &mut self.live[i] else { return };
        let Some(p) = live.pending.take() else { return };
        let s = live.state;
        let since = (p.since < p.t).then_some(p.since);
        live.sealed = false;
        self.rec.tracks[*k].log.push(LogPoint {
            t: p.t,
            last: s.last,
            last_term: s.last_term,
            commit: s.commit,
            since,
        });
    }

    /// Records node `i`'s current state as an exact point at `t`; several changes at one
    /// instant make one point unless the last one is sealed.
    fn point(&mut self, i: usize, t: u64, seal: bool) {
        let Some((k, live)) = &mut self.live[i] else { return };
        let s = live.state;
        let p = LogPoint { t, last: s.last, last_term: s.last_term, commit: s.commit, since: None };
        let log = &mut self.rec.tracks[*k].log;
        match log.last_mut() {
            Some(q) if q.t == t && q.since.is_none() && !live.sealed => *q = p,
            _ => log.push(p),
        }
        live.sealed = seal;
    }

    /// Applies a log change to node `i`'s state, and writes in `runs` each change of its
    /// runs of terms, at `t`; returns false if nothing changed.
    fn apply(live: &mut Live, obs: &Observation, t: u64, runs: &mut Vec<TermRun>) -> bool {
        let before = live.state;
        let s = &mut live.state;
        let terms = &mut live.terms;
        match *obs {
            Observation::Appended { index: LogIndex(idx), term: Term(term), .. } => {
                if idx > s.last {
                    s.last = idx;
                    s.last_term = term;
                    if terms.last().is_none_or(|&(_, t)| t != term) {
                        set_run(terms, runs, t, idx, term);
                    }
                } else if idx > s.snapshot.0 && term_at(terms, idx) == 0 {
                    // A Paxos slot chosen where this acceptor accepted nothing: it takes the
                    // round that proposed the value, as slots learned beyond the log do.
                    paint(terms, runs, t, s.last, idx, idx, term);
                }
            }
            Observation::Accepted { first: LogIndex(a), last: LogIndex(b), term: Term(x) } => {
                paint(terms, runs, t, s.last, a, b.max(a), x);
                if b >= s.last {
                    s.last = b.max(a);
                    s.last_term = x;
                }
            }
            Observation::Truncated { from: LogIndex(from) } => {
                let last = from.saturating_sub(1);
                if last < s.last {
                    s.last = last;
                    while terms.last().is_some_and(|&(start, _)| start > last) {
                        terms.pop();
                    }
                    s.last_term = match terms.last() {
                        Some(&(_, term)) if last > s.snapshot.0 => term,
                        _ if last == s.snapshot.0 => s.snapshot.1,
                        _ => 0,
                    };
                    set_run(terms, runs, t, from, 0);
                }
            }
            Observation::Committed { index: LogIndex(c) } => s.commit = c,
            Observation::Snapshot { index: LogIndex(idx), term: Term(term) } => {
                s.snapshot = (idx, term);
                if idx > s.last {
                    s.last = idx;
                    s.last_term = term;
                    set_run(terms, runs, t, 0, 0);
                    set_run(terms, runs, t, idx, term);
                }
                s.commit = s.commit.max(idx);
            }
            _ => return false,
        }
        live.has_log = true;
        live.state != before
    }

    /// Node `i`'s track and live state, if it is a server.
    fn live(&mut self, i: usize) -> Option<(usize, &mut Live)> {
        match self.live.get_mut(i) {
            Some(Some((k, live))) => Some((*k, live)),
            _ => None,
        }
    }

    /// A node announced an observation.
    pub fn observation(&mut self, t: SimTime, node: NodeId, obs: &Observation) {
        self.open_window(t);
        let i = node.index();
        if let Observation::Role { role, term: Term(term) } = *obs {
            self.rec.roles.push(RoleChange { t: t.0, node: node.0, role, term });
            return;
        }
        let Some((k, live)) = self.live(i) else { return };
        let (booting, pending) = (live.booting, live.pending);
        match obs {
            Observation::Voted { term: Term(term), candidate } => {
                self.rec.tracks[k].votes.push(Vote { t: t.0, term: *term, candidate: candidate.0 });
                return;
            }
            Observation::Membership { voters } => {
                let voters = voters.iter().map(|v| v.0).collect();
                self.rec.tracks[k].membership.push(MembershipPoint { t: t.0, voters });
                return;
            }
            Observation::Applied { index: LogIndex(index), .. } => {
                live.applied = *index;
                if self.in_window(t) {
                    let applied = &mut self.rec.tracks[k].applied;
                    match applied.last_mut() {
                        Some(last) if last.0 == t.0 => last.1 = *index,
                        _ => applied.push((t.0, *index)),
                    }
                }
                return;
            }
            Observation::Deadline { at } => {
                let d = (t.0, at.map(|a| a.0));
                live.deadline = Some(d);
                if self.in_window(t) {
                    self.rec.tracks[k].deadlines.push(d);
                }
                return;
            }
            &Observation::Progress { peer, next: LogIndex(next), matched: LogIndex(matched) } => {
                let view = (peer.0, t.0, next, matched);
                match live.progress_at.get(&peer.0) {
                    Some(&i) => live.progress[i] = view,
                    None => {
                        live.progress_at.insert(peer.0, live.progress.len());
                        live.progress.push(view);
                    }
                }
                if self.in_window(t) {
                    self.rec.tracks[k].progress.push((t.0, peer.0, next, matched));
                }
                return;
            }
            &Observation::Promised { round: Term(round), proposer } => {
                self.rec.tracks[k].promises.push((t.0, round, proposer.0));
                return;
            }
            &Observation::Stored { key, version } => {
                let v = (t.0, version.stamp, version.node.0);
                live.store.insert(key, v);
                if self.in_window(t) {
                    self.rec.tracks[k].versions.push((t.0, key, v.1, v.2));
                }
                return;
            }
            &Observation::Hinted { intended, key, version } => {
                match version {
                    Some(v) => live.hints.insert((intended.0, key), (t.0, v.stamp, v.node.0)),
                    None => live.hints.remove(&(intended.0, key)),
                };
                if self.in_window(t) {
                    let held = version.map(|v| (v.stamp, v.node.0));
                    self.rec.tracks[k].hints.push((t.0, intended.0, key, held));
                }
                return;
            }
            &Observation::Learned { value } => {
                self.rec.tracks[k].learned.push((t.0, value));
                return;
            }
            Observation::Appended { .. }
            | Observation::Accepted { .. }
            | Observation::Truncated { .. }
            | Observation::Committed { .. }
            | Observation::Snapshot { .. } => {}
            _ => return,
        }
        let truncation = matches!(obs, Observation::Truncated { .. });
        let window = self.in_window(t);
        let exact = truncation || window;
        let bucket = t.0 / self.rec.thin_ns;
        if !booting && (exact || pending.is_some_and(|p| p.bucket != bucket)) {
            self.flush(i);
        }
        let Some((_, live)) = self.live.get_mut(i).and_then(Option::as_mut) else { return };
        let changed = Self::apply(live, obs, t.0, &mut self.rec.tracks[k].runs);
        match *obs {
            Observation::Truncated { from: LogIndex(from) } if changed => {
                self.rec.tracks[k].truncations.push(Truncation { t: t.0, from });
            }
            // Compactions outside the window change nothing shown and are left out, so
            // that a long run's recording does not grow with them.
            Observation::Snapshot { index: LogIndex(index), term: Term(term) }
                if window || changed || booting =>
            {
                self.rec.tracks[k].snapshots.push(SnapshotPoint { t: t.0, index, term });
            }
            _ => {}
        }
        if booting || !changed {
            return;
        }
        if exact {
            self.point(i, t.0, truncation);
        } else if let Some((_, live)) = self.live(i) {
            live.pending = Some(match live.pending {
                Some(p) if p.bucket == bucket => Pending { t: t.0, ..p },
                _ => Pending { bucket, since: t.0, t: t.0 },
            });
        }
    }

    /// A node started, crashed, paused or resumed.
    pub fn lifecycle(&mut self, t: SimTime, node: NodeId, event: Lifecycle) {
        self.open_window(t);
        self.rec.lifecycle.push(LifeEvent { t: t.0, node: node.0, event });
        let i = node.index();
        match event {
            Lifecycle::Crash => {
                self.flush(i);
                if let Some((_, live)) = self.live(i) {
                    live.booting = false;
                }
            }
            Lifecycle::Start => {
                self.flush(i);
                if let Some((_, live)) = self.live(i) {
                    // A fresh incarnation: it announces what it recovers while it boots,
                    // and its first point does not overwrite its predecessor's last.
                    *live = Live { booting: true, has_log: live.has_log, sealed: true, ..Live::default() };
                }
                // Its log and state machine start from nothing; what it reads from its disk
                // follows.
                let window = self.in_window(t);
                if let Some(Some((k, live))) = self.live.get(i) {
                    let track = &mut self.rec.tracks[*k];
                    if live.has_log {
                        track.runs.push(TermRun { t: t.0, start: 0, term: 0 });
                        if window {
                            track.applied.push((t.0, 0));
                        }
                    }
                }
            }
            Lifecycle::Pause | Lifecycle::Resume => {}
        }
    }

    /// A node finished booting: what it announced meanwhile is what it read from its disk.
    pub fn booted(&mut self, t: SimTime, node: NodeId) {
        self.open_window(t);
        let i = node.index();
        let Some((k, live)) = self.live(i) else { return };
        if !std::mem::take(&mut live.booting) || !live.has_log {
            return;
        }
        let s = live.state;
        self.rec.tracks[k].recoveries.push(Recovery {
            t: t.0,
            snapshot: s.snapshot.0,
            last: s.last,
            last_term: s.last_term,
            commit: s.commit,
        });
        // Its own point, which later changes of the same instant do not overwrite.
        self.point(i, t.0, true);
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
        contents: impl FnOnce(&mut Contents),
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
        let mut listed = Contents::default();
        contents(&mut listed);
        self.rec.messages.push(MsgRec {
            id: id.0,
            from: from.0,
            to: to.0,
            kind: kind.to_string(),
            size,
            sent: t.0,
            end,
            fate,
            contents: listed,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::VersionStamp;

    const MS: u64 = 1_000_000;

    /// A recorder of one server `n1` and one client, window [100 ms, 200 ms], 10 ms buckets.
    fn recorder() -> Recorder {
        let config = RecorderConfig {
            window: (SimTime(100 * MS), SimTime(200 * MS)),
            thin_every: SimDuration(10 * MS),
            queue_bucket: SimDuration(10 * MS),
            max_messages: 10,
        };
        let nodes = vec![
            RecNode { name: "n1".into(), kind: NodeKind::Server },
            RecNode { name: "c1".into(), kind: NodeKind::Client },
        ];
        Recorder::new(config, nodes)
    }

    fn append(r: &mut Recorder, t: u64, index: u64, term: u64) {
        r.observation(
            SimTime(t),
            NodeId(0),
            &Observation::Appended { index: LogIndex(index), term: Term(term), chain: 0 },
        );
    }
    fn commit(r: &mut Recorder, t: u64, index: u64) {
        r.observation(SimTime(t), NodeId(0), &Observation::Committed { index: LogIndex(index) });
    }
    fn pt(t: u64, last: u64, last_term: u64, commit: u64, since: Option<u64>) -> LogPoint {
        LogPoint { t, last, last_term, commit, since }
    }
    fn boot(r: &mut Recorder, t: u64) {
        r.lifecycle(SimTime(t), NodeId(0), Lifecycle::Start);
    }

    #[test]
    fn inside_the_window_every_change_is_a_point_at_its_instant() {
        let mut r = recorder();
        boot(&mut r, 0);
        r.booted(SimTime(0), NodeId(0));
        append(&mut r, 120 * MS, 1, 1);
        append(&mut r, 120 * MS, 2, 1); // the same instant: one point
        commit(&mut r, 121 * MS, 1);
        commit(&mut r, 121 * MS + 1, 2);
        commit(&mut r, 122 * MS, 2); // no change, no point
        let rec = r.finish(SimTime(300 * MS));
        assert_eq!(
            rec.tracks[0].log,
            vec![pt(120 * MS, 2, 1, 0, None), pt(121 * MS, 2, 1, 1, None), pt(121 * MS + 1, 2, 1, 2, None)]
        );
        assert_eq!(rec.tracks.len(), 1, "clients have no track");
        assert!(rec.tracks[0].recoveries.is_empty(), "an empty first boot recovered no log");
    }

    #[test]
    fn outside_the_window_a_bucket_of_changes_is_one_point_true_at_its_time() {
        let mut r = recorder();
        append(&mut r, 3 * MS, 1, 1); // bucket 0, alone: exact
        append(&mut r, 11 * MS, 2, 1); // bucket 1: three changes
        commit(&mut r, 14 * MS, 2);
        append(&mut r, 17 * MS, 3, 1);
        append(&mut r, 25 * MS, 4, 1); // bucket 2, pending until the end
        let rec = r.finish(SimTime(300 * MS));
        assert_eq!(
            rec.tracks[0].log,
            vec![pt(3 * MS, 1, 1, 0, None), pt(17 * MS, 3, 1, 2, Some(11 * MS)), pt(25 * MS, 4, 1, 2, None)]
        );
    }

    #[test]
    fn entering_the_window_makes_the_pending_changes_a_point_first() {
        let mut r = recorder();
        append(&mut r, 95 * MS, 1, 1);
        append(&mut r, 97 * MS, 2, 1);
        append(&mut r, 100 * MS, 3, 1); // inside: exact, after the pending point
        append(&mut r, 200 * MS, 4, 1); // the window's last instant
        append(&mut r, 200 * MS + 1, 5, 1); // outside again
        let rec = r.finish(SimTime(300 * MS));
        assert_eq!(
            rec.tracks[0].log,
            vec![
                pt(97 * MS, 2, 1, 0, Some(95 * MS)),
                pt(100 * MS, 3, 1, 0, None),
                pt(200 * MS, 4, 1, 0, None),
                pt(200 * MS + 1, 5, 1, 0, None)
            ]
        );
    }

    #[test]
    fn a_truncation_is_explicit_exact_and_knows_the_new_last_term() {
        let mut r = recorder();
        for (i, term) in [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)] {
            append(&mut r, 2 * MS + i, i, term);
        }
        commit(&mut r, 3 * MS, 2);
        // Truncate entries 4 and 5, then append 4 of term 4 at the same instant.
        r.observation(SimTime(5 * MS), NodeId(0), &Observation::Truncated { from: LogIndex(4) });
        append(&mut r, 5 * MS, 4, 4);
        let rec = r.finish(SimTime(300 * MS));
        let log = &rec.tracks[0].log;
        assert_eq!(log[0], pt(3 * MS, 5, 3, 2, Some(2 * MS + 1)), "the pending changes first");
        assert_eq!(log[1], pt(5 * MS, 3, 2, 2, None), "the truncation's own point: entry 3 is of term 2");
        assert_eq!(log[2], pt(5 * MS, 4, 4, 2, None), "then the append, same instant, own point");
        assert_eq!(rec.tracks[0].truncations, vec![Truncation { t: 5 * MS, from: 4 }]);
    }

    #[test]
    fn a_restart_records_exactly_what_was_recovered_at_its_instant() {
        let mut r = recorder();
        boot(&mut r, 0);
        r.booted(SimTime(0), NodeId(0));
        for i in 1..=9 {
            append(&mut r, 150 * MS + i, i, 1);
        }
        commit(&mut r, 160 * MS, 9);
        r.lifecycle(SimTime(250 * MS), NodeId(0), Lifecycle::Crash);
        // Recovery announces a snapshot up to 5 and entries 6 and 7 (8 and 9 were not durable).
        boot(&mut r, 260 * MS);
        r.observation(
            SimTime(260 * MS),
            NodeId(0),
            &Observation::Snapshot { index: LogIndex(5), term: Term(1) },
        );
        append(&mut r, 260 * MS, 6, 1);
        append(&mut r, 260 * MS, 7, 1);
        r.booted(SimTime(260 * MS), NodeId(0));
        commit(&mut r, 260 * MS, 7); // learnt at the same instant, after the boot
        let rec = r.finish(SimTime(300 * MS));
        let track = &rec.tracks[0];
        assert_eq!(
            track.recoveries,
            vec![Recovery { t: 260 * MS, snapshot: 5, last: 7, last_term: 1, commit: 5 }]
        );
        let after: Vec<_> = track.log.iter().filter(|p| p.t >= 250 * MS).copied().collect();
        assert_eq!(after, vec![pt(260 * MS, 7, 1, 5, None), pt(260 * MS, 7, 1, 7, None)]);
        assert_eq!(track.snapshots, vec![SnapshotPoint { t: 260 * MS, index: 5, term: 1 }]);
    }

    #[test]
    fn an_acceptor_shows_how_far_it_accepted_and_what_is_decided() {
        let mut r = recorder();
        let accepted = |first, last, term| Observation::Accepted {
            first: LogIndex(first),
            last: LogIndex(last),
            term: Term(term),
        };
        r.observation(SimTime(120 * MS), NodeId(0), &accepted(1, 4, 2));
        append(&mut r, 130 * MS, 1, 1); // decided below what was accepted: the log does not shrink
        commit(&mut r, 130 * MS, 1);
        let rec = r.finish(SimTime(300 * MS));
        assert_eq!(rec.tracks[0].log, vec![pt(120 * MS, 4, 2, 0, None), pt(130 * MS, 4, 2, 1, None)]);
    }

    #[test]
    fn votes_and_membership_are_recorded_and_servers_without_a_log_get_no_points() {
        let mut r = recorder();
        boot(&mut r, 0);
        r.observation(SimTime(0), NodeId(0), &Observation::Role { role: Role::Peer, term: Term(0) });
        r.booted(SimTime(0), NodeId(0));
        r.observation(SimTime(5), NodeId(0), &Observation::Voted { term: Term(2), candidate: NodeId(0) });
        r.observation(SimTime(6), NodeId(0), &Observation::Membership { voters: vec![NodeId(0)] });
        r.lifecycle(SimTime(7), NodeId(0), Lifecycle::Crash);
        boot(&mut r, 8);
        r.booted(SimTime(8), NodeId(0));
        let rec = r.finish(SimTime(300 * MS));
        let track = &rec.tracks[0];
        assert!(track.log.is_empty() && track.recoveries.is_empty());
        assert_eq!(track.votes, vec![Vote { t: 5, term: 2, candidate: 0 }]);
        assert_eq!(track.membership, vec![MembershipPoint { t: 6, voters: vec![0] }]);
    }

    #[test]
    fn the_runs_of_terms_follow_every_append_truncation_and_restart_over_the_whole_run() {
        let mut r = recorder();
        boot(&mut r, 0);
        r.booted(SimTime(0), NodeId(0));
        for (i, term) in [(1, 1), (2, 1), (3, 1), (4, 2)] {
            append(&mut r, MS + i, i, term); // outside the window: the runs are kept anyway
        }
        // The overwrite: 3 and 4 discarded, 3 of term 3 written, at one instant.
        r.observation(SimTime(150 * MS), NodeId(0), &Observation::Truncated { from: LogIndex(3) });
        append(&mut r, 150 * MS, 3, 3);
        r.lifecycle(SimTime(250 * MS), NodeId(0), Lifecycle::Crash);
        boot(&mut r, 260 * MS);
        append(&mut r, 260 * MS, 1, 1);
        r.booted(SimTime(260 * MS), NodeId(0));
        let rec = r.finish(SimTime(300 * MS));
        let runs: Vec<(u64, u64, u64)> = rec.tracks[0].runs.iter().map(|&x| x.into()).collect();
        assert_eq!(
            runs,
            vec![
                (MS + 1, 1, 1),
                (MS + 4, 4, 2),
                (150 * MS, 3, 0),
                (150 * MS, 3, 3),
                (260 * MS, 0, 0),
                (260 * MS, 1, 1)
            ]
        );
    }

    #[test]
    fn timers_applied_and_progress_are_exact_in_the_window_and_open_with_the_state_then() {
        let mut r = recorder();
        boot(&mut r, 0);
        r.booted(SimTime(0), NodeId(0));
        append(&mut r, MS, 1, 1);
        let applied = |i| Observation::Applied { index: LogIndex(i), term: Term(1), command: 0 };
        let deadline = |at: Option<u64>| Observation::Deadline { at: at.map(SimTime) };
        let progress = |next, matched| Observation::Progress {
            peer: NodeId(3),
            next: LogIndex(next),
            matched: LogIndex(matched),
        };
        r.observation(SimTime(2 * MS), NodeId(0), &applied(1));
        r.observation(SimTime(40 * MS), NodeId(0), &deadline(Some(190 * MS)));
        r.observation(SimTime(50 * MS), NodeId(0), &deadline(Some(210 * MS))); // in force at 100 ms
        r.observation(SimTime(60 * MS), NodeId(0), &progress(2, 1));
        // Inside: every change, at its instant.
        r.observation(SimTime(120 * MS), NodeId(0), &deadline(None));
        r.observation(SimTime(130 * MS), NodeId(0), &progress(3, 2));
        r.observation(SimTime(140 * MS), NodeId(0), &applied(2));
        r.observation(SimTime(140 * MS), NodeId(0), &applied(3)); // the same instant: one
        // After the window: not kept.
        r.observation(SimTime(250 * MS), NodeId(0), &deadline(Some(400 * MS)));
        r.observation(SimTime(250 * MS), NodeId(0), &applied(4));
        let rec = r.finish(SimTime(300 * MS));
        let track = &rec.tracks[0];
        assert_eq!(track.deadlines, vec![(50 * MS, Some(210 * MS)), (120 * MS, None)]);
        assert_eq!(track.progress, vec![(60 * MS, 3, 2, 1), (130 * MS, 3, 3, 2)]);
        assert_eq!(track.applied, vec![(100 * MS, 1), (140 * MS, 3)]);
    }

    /// The runs as a page replays them: `[start, term]` after every change.
    fn replayed(runs: &[TermRun]) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for r in runs {
            while out.last().is_some_and(|&(s, _)| s >= r.start) {
                out.pop();
            }
            out.push((r.start, r.term));
        }
        out
    }
    /// The term of every position 1..=last of replayed runs.
    fn slot_terms(runs: &[(u64, u64)], last: u64) -> Vec<u64> {
        (1..=last).map(|i| term_at(runs, i)).collect()
    }

    #[test]
    fn an_acceptors_slots_take_the_round_they_were_accepted_in_with_holes_where_nothing_was() {
        let mut r = recorder();
        let accepted = |r: &mut Recorder, t: u64, first, last, term| {
            r.observation(
                SimTime(t),
                NodeId(0),
                &Observation::Accepted { first: LogIndex(first), last: LogIndex(last), term: Term(term) },
            );
        };
        accepted(&mut r, 1, 1, 3, 2);
        accepted(&mut r, 2, 4, 4, 2); // extends the run of round 2: nothing written
        accepted(&mut r, 3, 2, 3, 2); // accepted again in the same round: nothing written
        let quiet = r.rec.tracks[0].runs.len();
        assert_eq!(quiet, 1, "{:?}", r.rec.tracks[0].runs);
        accepted(&mut r, 4, 7, 7, 2); // slot 7 before 5 and 6 (reordered): a hole
        accepted(&mut r, 5, 5, 5, 2); // 5 filled, 6 still empty
        accepted(&mut r, 6, 2, 3, 5); // 2 and 3 again in round 5: the rest keeps its rounds
        let runs = &r.rec.tracks[0].runs;
        assert_eq!(slot_terms(&replayed(runs), 7), vec![2, 5, 5, 2, 2, 0, 2]);
        // A slot chosen where nothing was accepted takes the round that proposed its value;
        // one chosen where something was keeps the round it was accepted in.
        r.observation(
            SimTime(7),
            NodeId(0),
            &Observation::Appended { index: LogIndex(6), term: Term(1), chain: 0 },
        );
        r.observation(
            SimTime(7),
            NodeId(0),
            &Observation::Appended { index: LogIndex(2), term: Term(1), chain: 0 },
        );
        let rec = r.finish(SimTime(300 * MS));
        assert_eq!(slot_terms(&replayed(&rec.tracks[0].runs), 7), vec![2, 5, 5, 2, 2, 1, 2]);
        assert_eq!(rec.tracks[0].log.last().map(|p| (p.last, p.last_term)), Some((7, 2)));
    }

    #[test]
    fn a_raft_log_cut_and_rewritten_in_the_same_term_keeps_its_term_on_the_page() {
        let mut r = recorder();
        for (i, term) in [(1, 1), (2, 2), (3, 2), (4, 2)] {
            append(&mut r, MS + i, i, term);
        }
        r.observation(SimTime(150 * MS), NodeId(0), &Observation::Truncated { from: LogIndex(3) });
        append(&mut r, 150 * MS, 3, 2); // the same term as entry 2: a run written anyway
        let rec = r.finish(SimTime(300 * MS));
        assert_eq!(slot_terms(&replayed(&rec.tracks[0].runs), 3), vec![1, 2, 2]);
    }

    #[test]
    fn promises_and_learned_values_are_kept_over_the_whole_run() {
        let mut r = recorder();
        let promise =
            |round, proposer| Observation::Promised { round: Term(round), proposer: NodeId(proposer) };
        r.observation(SimTime(MS), NodeId(0), &promise(0, 0));
        r.observation(SimTime(2 * MS), NodeId(0), &promise(4, 1));
        r.observation(SimTime(250 * MS), NodeId(0), &promise(6, 0));
        r.observation(SimTime(3 * MS), NodeId(0), &Observation::Learned { value: 9 });
        r.observation(SimTime(260 * MS), NodeId(0), &Observation::Learned { value: 4 });
        r.observation(SimTime(4 * MS), NodeId(1), &Observation::Learned { value: 9 }); // a client: no track
        let rec = r.finish(SimTime(300 * MS));
        assert_eq!(rec.tracks[0].promises, vec![(MS, 0, 0), (2 * MS, 4, 1), (250 * MS, 6, 0)]);
        assert_eq!(rec.tracks[0].learned, vec![(3 * MS, 9), (260 * MS, 4)]);
        assert!(rec.tracks[0].log.is_empty(), "views are not log changes");
    }

    #[test]
    fn versions_and_hints_are_exact_in_the_window_and_open_with_those_in_force() {
        let mut r = recorder();
        boot(&mut r, 0);
        r.booted(SimTime(0), NodeId(0));
        let v = |stamp| VersionStamp { stamp, node: NodeId(1) };
        let stored = |key, stamp| Observation::Stored { key, version: v(stamp) };
        let hinted =
            |key, stamp: Option<u64>| Observation::Hinted { intended: NodeId(2), key, version: stamp.map(v) };
        r.observation(SimTime(10 * MS), NodeId(0), &stored(3, 100));
        r.observation(SimTime(20 * MS), NodeId(0), &stored(3, 200)); // in force at 100 ms
        r.observation(SimTime(30 * MS), NodeId(0), &stored(1, 50));
        r.observation(SimTime(40 * MS), NodeId(0), &hinted(1, Some(50)));
        r.observation(SimTime(50 * MS), NodeId(0), &hinted(5, Some(60)));
        r.observation(SimTime(60 * MS), NodeId(0), &hinted(5, None)); // handed back before the window
        // Inside: every change.
        r.observation(SimTime(120 * MS), NodeId(0), &stored(1, 70));
        r.observation(SimTime(130 * MS), NodeId(0), &hinted(1, None));
        // A restart empties the replica; what it recovers comes at the start's instant.
        r.lifecycle(SimTime(140 * MS), NodeId(0), Lifecycle::Crash);
        boot(&mut r, 150 * MS);
        r.observation(SimTime(150 * MS), NodeId(0), &stored(1, 70));
        // After the window: not kept.
        r.observation(SimTime(250 * MS), NodeId(0), &stored(2, 90));
        let rec = r.finish(SimTime(300 * MS));
        let track = &rec.tracks[0];
        assert_eq!(
            track.versions,
            vec![(20 * MS, 3, 200, 1), (30 * MS, 1, 50, 1), (120 * MS, 1, 70, 1), (150 * MS, 1, 70, 1)]
        );
        assert_eq!(track.hints, vec![(40 * MS, 2, 1, Some((50, 1))), (130 * MS, 2, 1, None)]);
        let json = serde_json::to_string(&rec).unwrap();
        assert!(json.contains(r#""hints":[[40000000,2,1,[50,1]],[130000000,2,1,null]]"#), "{json}");
    }

    #[test]
    fn the_file_format_is_compact_and_checked() {
        let p = pt(17, 3, 1, 2, Some(11));
        assert_eq!(serde_json::to_string(&p).unwrap(), "[17,3,1,2,11]");
        assert_eq!(serde_json::to_string(&pt(17, 3, 1, 2, None)).unwrap(), "[17,3,1,2]");
        assert_eq!(serde_json::from_str::<LogPoint>("[17,3,1,2,11]").unwrap(), p);
        assert!(serde_json::from_str::<LogPoint>("[17,3,1]").is_err());
        assert!(serde_json::from_str::<LogPoint>("[17,3,1,2,17]").is_err(), "since must precede t");
        let mut r = recorder();
        append(&mut r, 120 * MS, 1, 1);
        r.observation(SimTime(130 * MS), NodeId(0), &Observation::Truncated { from: LogIndex(1) });
        let rec = r.finish(SimTime(300 * MS));
        let json = serde_json::to_string(&rec).unwrap();
        assert!(json.contains(r#""truncations":[[130000000,1]]"#), "{json}");
        assert!(json.contains(r#""format":"eightfold-recording/2""#), "{json}");
        assert_eq!(serde_json::from_str::<Recording>(&json).unwrap(), rec);
    }
}
