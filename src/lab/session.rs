//! A lab session: a starting scenario, a seed, and the timed actions a student took, each
//! one a scenario entry (a fault of any kind the scenario format has, or a scripted client
//! operation) stamped with the virtual time at which it was taken.
//!
//! # Why every action re-simulates from the start
//!
//! The World queues the whole fault schedule when it is built: fault action `i` of the
//! time-sorted schedule is queued at time zero, ahead of every event the run creates, and
//! its index `i` is folded into the digest when it fires. An entry added to a running World
//! ([`crate::world::World::add_fault`]) is queued behind the events already waiting at its
//! instant and numbered after every action already there — so the same run read back from
//! a file (where it sorts among the others) would fire it earlier at that instant, and, if
//! the starting scenario still had a fault to come, renumber the later actions. A scripted
//! operation is worse still: it lives in the client's script, fixed when the client is
//! built. Inserting into a live World is therefore *not* equivalent in general.
//!
//! So the session's World is, at every moment, *defined* as the World built from the
//! session's scenario (start + actions so far) and run from time zero to the session's
//! instant: after each action it is rebuilt and re-simulated, exactly as `eightfold run`
//! would. That is equivalent by construction, and cheap at this simulator's speed (see the
//! lab's section of the README for the measured cost). Playing on needs no rebuild: running
//! a World up to one instant and then on is the same run as running it straight through.
//! Rewinding is the same rebuild, to an earlier instant, with the later actions dropped.
//! Nothing of the past is kept but the actions: memory does not grow with the session.
//!
//! # The saved scenario
//!
//! [`Session::save`] writes the start plus every action, with `duration` = the session's
//! instant `T` and the session's seed. Three things make that file's run the session's run:
//! - the faults and operations are kept sorted by time (stably; the lab sorts the starting
//!   scenario's once, when it opens it), so the entries after `T` form a suffix that can be
//!   left out without renumbering the ones before;
//! - a fault whose `for` would end after `T` keeps its start and loses its `for` (its
//!   undoing, queued after `T`, never happened; a fault kind's start does not depend on it);
//!   a workload `stop` after `T` is left out for the same reason;
//! - clients stop drawing operations at the end of a run (`workload.stop` defaults to
//!   `duration`), so a client that drew one at exactly `T` in the session would not in the
//!   file. The session therefore only ever rests at an instant where no client drew an
//!   operation: it moves on by a nanosecond until it is so (`Live::advance`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::check::Status;
use crate::check::invariants::Invariants;
use crate::check::linearizability::{self as lin, HistoryChecker};
use crate::check::liveness::{self, Progress};
use crate::fault::{ClusterView, Effect};
use crate::report::charts::ops::{OpSeries, named_indices};
use crate::report::charts::{self, Inputs};
use crate::runner::kv::{KvNode, end_history, linearizability_options, liveness_input};
use crate::runner::protocol::{LabNode, lab_run};
use crate::runner::{RunOptions, run_full};
use crate::scenario::units::parse_duration;
use crate::scenario::validate::MAX_DURATION;
use crate::scenario::{self, Scenario};
use crate::sim::{NodeId, RngStreams, Role, SimDuration, SimTime, Term};
use crate::workload::history::{History, HistoryOp};
use crate::workload::stream::{HistoryLog, HistoryStream, OpSink};
use crate::world::{RecorderConfig, Trace, World};

/// How far a session may go: the longest run a scenario may describe.
pub const HORIZON: SimDuration = MAX_DURATION;

/// How many finished operations the session keeps for the page to show.
const RECENT_OPS: usize = 40;

/// How many events that did nothing a step by one event passes over at most.
const QUIET_EVENTS: usize = 100_000;

/// How far a step by kind looks before it gives up: a minute of virtual time.
pub const STEP_LIMIT: SimDuration = SimDuration(60_000_000_000);

/// What a step moves on to: one event, the next instant, or the next instant at which
/// something of one kind happens — the kinds the report's step-through steps by. A check
/// failure stops every kind of step.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepBy {
    /// One event of the kernel's queue that did something (a delivery, a timer, an fsync,
    /// a fault action; stale timers are passed over); the session may then rest inside an
    /// instant (see [`Session::step_by`]).
    Event,
    /// Every event of the next instant.
    Instant,
    /// A fault starting or ending.
    Fault,
    /// A server changing role or term.
    Role,
    /// The cluster committing (Raft) or choosing (Multi-Paxos) a new entry.
    Commit,
    /// A client operation completing.
    Operation,
    /// A message lost (dropped by the network for any reason).
    Lost,
}

/// What a step did.
#[derive(Clone, Debug, PartialEq)]
pub struct Stepped {
    /// Whether it found what it stepped to (else it stopped at [`STEP_LIMIT`], the horizon, an
    /// empty queue or a check failure).
    pub found: bool,
    /// For a step by one event: the trace lines it wrote (the event, what it sent, what
    /// its node announced), as `eightfold run --trace` writes them.
    pub events: Vec<Value>,
}

/// What a session refuses.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LabError {
    /// The starting scenario cannot be run in the lab.
    #[error("{0}")]
    Scenario(String),
    /// A malformed or impossible action; the session is untouched.
    #[error("{0}")]
    Action(String),
    /// A rewind to an instant the session has not reached.
    #[error("cannot rewind to {to}: the session is at {now}")]
    Future {
        /// The instant asked for.
        to: SimTime,
        /// The session's instant.
        now: SimTime,
    },
    /// The session cannot be written as a scenario at this instant.
    #[error("the session cannot be saved at {at}: {reason}")]
    Unsavable {
        /// The session's instant.
        at: SimTime,
        /// Why.
        reason: String,
    },
}

/// One action of the session: a scenario entry (a fault entry or a scripted operation),
/// its `at` set to the instant it was taken.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// When it was taken.
    pub at: SimTime,
    /// The entry as the scenario holds it (with its `at`).
    pub entry: Map<String, Value>,
}

impl Action {
    /// Whether it is a scripted client operation (else a fault).
    pub fn is_operation(&self) -> bool {
        self.entry.contains_key("op")
    }
}

/// A duration as the scenario format writes it, exactly: whole nanoseconds.
pub fn exact(d: SimDuration) -> String {
    format!("{}ns", d.as_nanos())
}

/// What the history of the session's World goes through as operations are released: a
/// count, the last few for the page, the live linearizability check, and (for a replica
/// asked for the whole history) every operation.
struct Tap {
    checker: Option<HistoryChecker>,
    /// The counterexample, once the check failed.
    violation: Option<String>,
    /// A history that could not be checked (a malformed operation).
    error: Option<String>,
    ops: u64,
    recent: VecDeque<HistoryOp>,
    kept: Option<Vec<HistoryOp>>,
    /// The liveness tracker, fed the same operations as a run's.
    progress: Progress,
}

impl OpSink for Tap {
    fn op(&mut self, index: usize, op: HistoryOp) {
        self.ops += 1;
        if let Some(c) = &mut self.checker {
            if let Err(e) = c.push(index, &op) {
                self.error = Some(e.to_string());
                self.checker = None;
            } else if c.failed() {
                let report = self.checker.take().expect("checked above").finish();
                if let lin::Verdict::NotLinearizable(c) = &report.verdict {
                    self.violation = Some(c.render(lin::Notation::Eightfold));
                }
            }
        }
        if self.recent.len() == RECENT_OPS {
            self.recent.pop_front();
        }
        self.progress.push(&op);
        self.recent.push_back(op.clone());
        if let Some(k) = &mut self.kept {
            k.push(op);
        }
    }
}

/// A World of the session's scenario and the history stream its clients report to.
struct Live {
    world: World<LabNode>,
    stream: Rc<RefCell<HistoryStream<Tap>>>,
    /// What liveness is judged against: the bound, and when clients start and stop.
    bound: SimDuration,
    clients: (SimTime, SimTime),
    /// Liveness, once it failed (judged after every advance).
    late: Option<crate::check::CheckResult>,
}

impl Live {
    /// Builds the World of `s` (as the runner builds a key-value run's, with the same
    /// checks installed in the same order), not started.
    fn new(s: &Scenario, seed: u64, keep: bool, record: Option<RecorderConfig>) -> Result<Live, LabError> {
        let run = lab_run(s).ok_or_else(|| {
            LabError::Scenario(format!(
                "the lab runs key-value scenarios; \"{}\" is not a key-value protocol",
                s.cluster.protocol
            ))
        })?;
        let tap = Tap {
            checker: Some(HistoryChecker::new(linearizability_options(s))),
            violation: None,
            error: None,
            ops: 0,
            recent: VecDeque::new(),
            kept: keep.then(Vec::new),
            progress: Progress::new(s.client_count(), run.liveness_bound()),
        };
        let stream = Rc::new(RefCell::new(HistoryStream::new(s.client_count(), tap)));
        let mut world = run.checked_world(s, RngStreams::new(seed), HistoryLog::new(stream.clone()));
        if let Some(r) = record {
            world.set_recorder(r);
        }
        let clients = run.clients();
        Ok(Live { world, stream, bound: run.liveness_bound(), clients, late: None })
    }

    /// Liveness judged as a run ending now would judge it, on the operations completed so
    /// far (an operation in flight counts once it ends: a client gives up on it after its
    /// timeout, so this lags the saved run's verdict by at most one timeout, and never
    /// fails a wait the saved run would pass: more operations only add waits).
    fn liveness(&self) -> Option<crate::check::CheckResult> {
        let end = self.world.now();
        let progress = self.stream.borrow().sink().progress.clone().finish(end);
        let input = liveness_input(&self.world, progress, self.clients, self.bound);
        let r = liveness::judge(&input);
        (r.status == Status::Fail).then_some(r)
    }

    /// What the steps by kind watch: a fingerprint that changes when something of that kind
    /// happens.
    fn mark(&self, by: StepBy) -> Mark {
        let w = &self.world;
        match by {
            StepBy::Event | StepBy::Instant => Mark::Count(w.counts().total),
            StepBy::Fault => {
                let log = w.fault_log();
                Mark::Count((log.len() + log.iter().filter(|r| r.end.is_some()).count()) as u64)
            }
            StepBy::Role => Mark::Roles(
                w.servers().iter().map(|&n| if w.is_up(n) { Some(w.role(n)) } else { None }).collect(),
            ),
            StepBy::Commit => {
                Mark::Count(w.observer::<Invariants>().map(|i| i.stats().committed).unwrap_or(0))
            }
            StepBy::Operation => Mark::Count(self.stream.borrow().arrived()),
            StepBy::Lost => Mark::Count(w.net_stats().dropped),
        }
    }

    /// True if no client drew an operation at exactly this instant (see the module docs).
    fn settled(&self) -> bool {
        let now = self.world.now();
        self.world.clients().iter().all(|&c| match self.world.node(c) {
            Some(KvNode::Client(k)) => k.drawn_in_flight() != Some(now),
            _ => true,
        })
    }

    /// Runs to `to` and on to the first settled instant (or a halt), then judges liveness.
    fn advance(&mut self, to: SimTime) {
        self.world.run_until(to);
        while !self.settled() && self.world.halted().is_none() {
            let next = self.world.now() + SimDuration(1);
            self.world.run_until(next);
        }
        self.judge_liveness();
    }

    /// Judges liveness now, keeping the first failure.
    fn judge_liveness(&mut self) {
        if self.late.is_none() {
            self.late = self.liveness();
        }
    }
}

/// A fingerprint of one kind of happening (see [`Live::mark`]).
#[derive(PartialEq)]
enum Mark {
    Count(u64),
    Roles(Vec<Option<(Role, Term)>>),
}

/// A writer that keeps what the trace writes, for a step by one event.
#[derive(Clone, Default)]
struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A live session (see the module documentation).
pub struct Session {
    /// The starting scenario, its faults and operations sorted by time.
    base: Map<String, Value>,
    /// The starting scenario's name.
    name: String,
    seed: u64,
    actions: Vec<Action>,
    /// The scenario the World was built from (start + actions, to the horizon).
    scenario: Scenario,
    live: Live,
    /// Bumped by every change of the actions (an action, a rewind), so pages can tell.
    version: u64,
}

impl Session {
    /// Opens a session on scenario text `text` with `seed`, at time zero.
    pub fn open(text: &str, seed: u64) -> Result<Session, LabError> {
        let parsed = scenario::parse(text).map_err(|e| LabError::Scenario(e.to_string()))?;
        let Value::Object(mut base) =
            serde_json::from_str::<Value>(text).map_err(|e| LabError::Scenario(e.to_string()))?
        else {
            return Err(LabError::Scenario("a scenario is a JSON object".into()));
        };
        for list in ["faults", "operations"] {
            if let Some(Value::Array(items)) = base.get_mut(list) {
                items.sort_by_key(at_of);
            }
        }
        let name = parsed.name.clone();
        let (scenario, _) = scenario_at(&base, &name, seed, &[], None)?;
        let mut live = Live::new(&scenario, seed, false, None)?;
        live.advance(SimTime::ZERO);
        Ok(Session { base, name, seed, actions: Vec::new(), scenario, live, version: 0 })
    }

    /// The session's instant.
    pub fn now(&self) -> SimTime {
        self.live.world.now()
    }

    /// The digest of the session's run so far.
    pub fn digest(&self) -> String {
        self.live.world.digest().hex()
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The actions taken, in order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Bumped by every action and rewind.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The scenario the session's World runs (start + actions, to the horizon).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Why the run stopped, if a check stopped it: an invariant broken (the World halts),
    /// an event budget exceeded, or the history found not linearizable (the counterexample).
    pub fn violation(&self) -> Option<(String, String)> {
        if let Some(h) = self.live.world.halted() {
            return Some((h.check.clone(), format!("at {} on {}: {}", h.at, h.node, h.detail)));
        }
        let stream = self.live.stream.borrow();
        let tap = &stream_sink(&stream);
        if let Some(c) = &tap.violation {
            return Some(("linearizable".to_string(), c.clone()));
        }
        self.live.late.as_ref().map(|r| {
            let at = r.at.map(|t| format!("at {t}: ")).unwrap_or_default();
            ("liveness".to_string(), format!("{at}{}", r.detail))
        })
    }

    /// Plays on to `to` (virtual time; no rebuild). Stops early at a violation.
    pub fn advance_to(&mut self, to: SimTime) {
        let to = to.min(SimTime::ZERO + HORIZON);
        if to > self.now() && self.violation().is_none() {
            self.live.advance(to);
        }
    }

    /// Plays on to the next instant at which something happens (every event of that
    /// instant), then on to a settled one.
    pub fn step(&mut self) {
        self.step_by(StepBy::Instant);
    }

    /// Steps by `by` (see [`StepBy`]): to the end of the first instant at which something
    /// of that kind happened, looking at most [`STEP_LIMIT`] ahead; or, by one event, exactly
    /// one event of the queue. After a step by one event the session may rest *inside* an
    /// instant: the other events of that instant have not happened yet. Acting or saving
    /// there first finishes the instant (a scenario entry at `T` runs with every event at
    /// `T`, as a saved file would).
    pub fn step_by(&mut self, by: StepBy) -> Stepped {
        if self.violation().is_some() {
            return Stepped { found: false, events: Vec::new() };
        }
        if by == StepBy::Event {
            let lines = Lines::default();
            // An event that did nothing (a timer re-armed or cancelled since, an fsync of a
            // crashed incarnation, one held back for a paused node) writes no line and is
            // passed over: a step by one event shows something happen.
            let mut found = false;
            for _ in 0..QUIET_EVENTS {
                self.live.world.set_trace(Trace::new(Box::new(lines.clone())));
                found = self.live.world.step();
                let wrote = match self.live.world.take_trace() {
                    Some(t) => {
                        let n = t.lines();
                        let _ = t.finish();
                        n
                    }
                    None => 0,
                };
                if !found || wrote > 0 {
                    break;
                }
            }
            let text = lines.0.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            let events = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
            self.live.judge_liveness();
            return Stepped { found, events };
        }
        let limit = (self.now() + STEP_LIMIT).min(SimTime::ZERO + HORIZON);
        let before = self.live.mark(by);
        loop {
            if !self.live.world.step() {
                return Stepped { found: false, events: Vec::new() };
            }
            let t = self.live.world.now();
            self.live.advance(t);
            if self.violation().is_some() {
                return Stepped { found: by == StepBy::Instant, events: Vec::new() };
            }
            if self.live.mark(by) != before {
                return Stepped { found: true, events: Vec::new() };
            }
            if self.now() >= limit {
                return Stepped { found: false, events: Vec::new() };
            }
        }
    }

    /// Finishes the instant the session rests in (after a step by one event), so that it
    /// rests where a saved file would end.
    pub fn finish_instant(&mut self) {
        if self.violation().is_none() {
            let now = self.now();
            self.live.advance(now);
        }
    }

    /// Takes an action now: `entry` is a fault entry (`{"fault": "crash", "node": "n1"}`,
    /// optionally with `for`) or a scripted operation (`{"client": "c1", "op": "get", "key":
    /// "k1"}`), without `at`. The whole scenario with it is validated as a file is; a bad
    /// or impossible action is refused with one line and changes nothing.
    pub fn act(&mut self, entry: Value) -> Result<(), LabError> {
        let Value::Object(mut entry) = entry else {
            return Err(LabError::Action(
                "an action is a JSON object (a fault entry or an operation)".into(),
            ));
        };
        if entry.contains_key("at") {
            return Err(LabError::Action("action.at: an action happens now; leave at out".into()));
        }
        match (entry.contains_key("fault"), entry.contains_key("op")) {
            (true, false) | (false, true) => {}
            _ => {
                return Err(LabError::Action(
                    "an action names either a \"fault\" (a fault entry) or an \"op\" (a client operation)"
                        .into(),
                ));
            }
        }
        let at = self.now();
        entry.insert("at".into(), Value::String(exact(at - SimTime::ZERO)));
        let mut actions = self.actions.clone();
        let action = Action { at, entry };
        // Where it sorts in its list: after every entry at or before now. An error there is
        // the action's, and says so.
        let (list, ops) = if action.is_operation() { ("operations", true) } else { ("faults", false) };
        let before = match self.base.get(list) {
            Some(Value::Array(items)) => items.iter().filter(|e| at_of(e) <= at).count(),
            _ => 0,
        } + self.actions.iter().filter(|a| a.is_operation() == ops).count();
        actions.push(action);
        let (scenario, _) =
            scenario_at(&self.base, &self.name, self.seed, &actions, None).map_err(|e| match e {
                LabError::Scenario(m) => {
                    let own = format!("{list}[{before}]");
                    LabError::Action(match m.strip_prefix(&own) {
                        Some(rest) => format!("action{rest}"),
                        None => m,
                    })
                }
                other => other,
            })?;
        self.rebuild(scenario, actions, at)
    }

    /// Rewinds to `to` (at most the session's instant): the actions taken after it are
    /// dropped and the World is re-simulated from the start to it.
    pub fn rewind(&mut self, to: SimTime) -> Result<(), LabError> {
        let now = self.now();
        if to > now {
            return Err(LabError::Future { to, now });
        }
        let actions: Vec<Action> = self.actions.iter().filter(|a| a.at <= to).cloned().collect();
        let (scenario, _) = scenario_at(&self.base, &self.name, self.seed, &actions, None)?;
        self.rebuild(scenario, actions, to)
    }

    fn rebuild(&mut self, scenario: Scenario, actions: Vec<Action>, to: SimTime) -> Result<(), LabError> {
        let mut live = Live::new(&scenario, self.seed, false, None)?;
        live.advance(to);
        self.live = live;
        self.scenario = scenario;
        self.actions = actions;
        self.version += 1;
        Ok(())
    }

    /// The session as a scenario file (pretty JSON) ending now, and the scenario parsed
    /// back from that very text: `eightfold run` of the file is this session's run.
    pub fn save(&self) -> Result<(String, Scenario), LabError> {
        let at = self.now();
        if at == SimTime::ZERO {
            return Err(LabError::Unsavable { at, reason: "nothing has happened yet: play first".into() });
        }
        scenario_at(&self.base, &self.name, self.seed, &self.actions, Some(at))
            .map(|(s, text)| (text, s))
            .map_err(|e| LabError::Unsavable { at, reason: e.to_string() })
    }

    /// The whole history of the session so far, re-simulated from the start (the session
    /// keeps only the last few operations): the operations still in flight end it as
    /// `info`, as at the end of a run.
    pub fn history(&self) -> Result<History, LabError> {
        let mut replica = Live::new(&self.scenario, self.seed, true, None)?;
        replica.advance(self.now());
        let mut stream = replica.stream.borrow_mut();
        end_history(&self.scenario, &replica.world, &mut stream);
        let ops = stream.sink_mut().kept.take().unwrap_or_default();
        Ok(History { ops, ..History::new() })
    }

    /// The report page (the same `index.html` as `eightfold run` writes, with its
    /// step-through stage and per-server panel) of the session so far, messages recorded over
    /// its last `window` of virtual time: the saved scenario re-simulated from the start,
    /// so old frames are made again on demand, never kept.
    pub fn report_page(&self, window: SimDuration) -> Result<String, LabError> {
        let (_, s) = self.save()?;
        let end = self.now();
        let span = end - SimTime::ZERO;
        let config = RecorderConfig {
            window: (SimTime(end.as_nanos().saturating_sub(window.as_nanos())), end),
            thin_every: SimDuration((span.as_nanos() / 1000).max(1_000_000)),
            queue_bucket: SimDuration((span.as_nanos() / 1000).max(1_000_000)),
            max_messages: 50_000,
        };
        let opts = RunOptions { record: Some(config), ..RunOptions::seed(s.seed) };
        let out = run_full(&s, opts).map_err(|e| LabError::Scenario(e.to_string()))?;
        let recording =
            out.recording.ok_or_else(|| LabError::Scenario("the run kept no recording".into()))?;
        let end_ns = charts::end_ns(&out.outcome, &recording);
        let ops = out.history.as_ref().map(|h| OpSeries::new(&h.ops, &named_indices(&out.outcome), end_ns));
        let input = Inputs {
            outcome: &out.outcome,
            ops: ops.as_ref(),
            recording: &recording,
            description: &s.description,
        };
        Ok(crate::report::html::index(&input, &[]))
    }

    /// What the page shows: the instant, digest, nodes, actions, open faults, checks and
    /// the last operations.
    pub fn view(&self) -> Value {
        let w = &self.live.world;
        // The named bugs each server's build has now: deployed by a `bug` fault whose window
        // is open (bugs on for the whole run are the scenario's `bugs`, shown with it).
        let deployed = |id: NodeId| -> Vec<String> {
            let mut names: Vec<String> = w
                .fault_log()
                .iter()
                .filter(|r| r.end.is_none())
                .filter_map(|r| match &r.effect {
                    Effect::Deploy { nodes, patch } if nodes.contains(&id) => Some(patch),
                    _ => None,
                })
                .flat_map(|p| p.iter().filter_map(|s| s.as_bug()).filter(|b| b.1).map(|b| b.0.to_string()))
                .collect();
            names.dedup();
            names
        };
        let node = |id: NodeId| {
            let (role, term) = w.role(id);
            json!({
                "name": w.name(id),
                "up": w.is_up(id),
                "paused": w.is_paused(id),
                "role": role_name(role),
                "term": term.0,
                "bugs": deployed(id),
            })
        };
        let protocol = self.scenario.cluster.protocol;
        let bugs: Vec<Value> = crate::runner::bugs::BUGS
            .iter()
            .filter(|b| crate::runner::bugs::deployable(b.name, protocol).is_ok())
            .map(|b| json!({"name": b.name, "what": b.what, "breaks": b.breaks}))
            .collect();
        let stream = self.live.stream.borrow();
        let tap = stream_sink(&stream);
        let open: Vec<Value> = w
            .fault_log()
            .iter()
            .filter(|r| r.end.is_none())
            .map(|r| {
                json!({
                    "kind": r.kind.name(),
                    "entry": r.entry,
                    "start_ns": r.start.as_nanos(),
                    "nodes": r.nodes.iter().map(|&n| w.name(n)).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "scenario": self.name,
            "protocol": self.scenario.cluster.protocol.name(),
            "seed": self.seed,
            "version": self.version,
            "now_ns": self.now().as_nanos(),
            "digest": self.digest(),
            "events": w.counts().total,
            "servers": w.servers().iter().map(|&n| node(n)).collect::<Vec<_>>(),
            "clients": w.clients().iter().map(|&n| w.name(n)).collect::<Vec<_>>(),
            "keys": match &self.scenario.workload {
                Some(scenario::WorkloadSpec::Kv(k)) => k.keys,
                _ => 0,
            },
            "actions": self.actions.iter().map(|a| Value::Object(a.entry.clone())).collect::<Vec<_>>(),
            "bugs": bugs,
            "bugs_from_start": self.scenario.bugs,
            "open_faults": open,
            "ops": tap.ops,
            "recent": tap.recent.iter().collect::<Vec<_>>(),
            "violation": self.violation().map(|(check, detail)| json!({"check": check, "detail": detail})),
            "unchecked": tap.error,
        })
    }
}

/// The scenario of the start `base` (named `name`) plus `actions`, run to the horizon
/// (`upto` = `None`) or ending at `upto` (the saved file: see the module docs); parsed, and
/// its text.
fn scenario_at(
    base: &Map<String, Value>,
    name: &str,
    seed: u64,
    actions: &[Action],
    upto: Option<SimTime>,
) -> Result<(Scenario, String), LabError> {
    let mut doc = base.clone();
    for (list, ops) in [("faults", false), ("operations", true)] {
        let mut items: Vec<Value> = match doc.remove(list) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        items.extend(
            actions.iter().filter(|a| a.is_operation() == ops).map(|a| Value::Object(a.entry.clone())),
        );
        // Stable: the start's entries first at equal times, then the actions in order.
        items.sort_by_key(at_of);
        if let Some(end) = upto {
            items.retain(|e| at_of(e) <= end);
            for e in &mut items {
                let ends = e.get("for").and_then(Value::as_str).and_then(|d| parse_duration(d).ok());
                if let (Some(d), Value::Object(m)) = (ends, &mut *e)
                    && at_of(&Value::Object(m.clone())) + d > end
                {
                    m.remove("for");
                }
            }
        }
        if !items.is_empty() {
            doc.insert(list.into(), Value::Array(items));
        }
    }
    let end = upto.unwrap_or(SimTime::ZERO + HORIZON);
    doc.insert("duration".into(), Value::String(exact(end - SimTime::ZERO)));
    if let Some(end) = upto {
        doc.insert("name".into(), Value::String(format!("{name}-lab")));
        doc.insert("seed".into(), json!(seed));
        if let Some(Value::Object(w)) = doc.get_mut("workload") {
            let stop = w.get("stop").and_then(Value::as_str).and_then(|d| parse_duration(d).ok());
            if stop.is_some_and(|s| SimTime::ZERO + s > end) {
                w.remove("stop");
            }
        }
        let said = doc.get("description").and_then(Value::as_str).unwrap_or_default().to_string();
        let note = format!(
            "Saved from an eightfold lab session at {} of virtual time, seed {}, after {} action(s).",
            end - SimTime::ZERO,
            seed,
            actions.len()
        );
        doc.insert(
            "description".into(),
            Value::String(if said.is_empty() { note } else { format!("{said} {note}") }),
        );
    }
    let text = serde_json::to_string_pretty(&Value::Object(doc)).expect("JSON values always serialise");
    let parsed = scenario::parse(&text).map_err(|e| LabError::Scenario(e.to_string()))?;
    crate::runner::bugs::validate(&parsed).map_err(|e| LabError::Scenario(e.to_string()))?;
    Ok((parsed, text))
}

/// The sink of a history stream (the stream hands it out mutably only).
fn stream_sink<'a>(stream: &'a std::cell::Ref<'_, HistoryStream<Tap>>) -> &'a Tap {
    stream.sink()
}

/// An entry's `at` (entries of a parsed scenario always have a valid one; anything else
/// sorts first and is refused by validation).
fn at_of(e: &Value) -> SimTime {
    let d =
        e.get("at").and_then(Value::as_str).and_then(|s| parse_duration(s).ok()).unwrap_or(SimDuration::ZERO);
    SimTime::ZERO + d
}

/// A role as the page names it.
fn role_name(r: Role) -> &'static str {
    match r {
        Role::Follower => "follower",
        Role::Probing => "pre_candidate",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
        Role::Peer => "peer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../scenarios/raft-leader-crash.json");

    fn leader(s: &Session) -> Option<String> {
        s.view()["servers"]
            .as_array()
            .expect("servers")
            .iter()
            .filter(|n| n["role"] == "leader" && n["up"] == true)
            .max_by_key(|n| n["term"].as_u64())
            .map(|n| n["name"].as_str().expect("name").to_string())
    }

    fn ms(n: u64) -> SimTime {
        SimTime(n * 1_000_000)
    }

    /// Saves `s` and runs the file as `eightfold run` does: the same digest and history.
    fn replays_exactly(s: &Session) -> String {
        let (text, parsed) = s.save().expect("saves");
        let again = scenario::parse(&text).expect("the saved text parses");
        assert_eq!(parsed.duration.0, s.now() - SimTime::ZERO);
        let out = run_full(&again, RunOptions::seed(again.seed)).expect("runs");
        assert_eq!(out.outcome.digest, s.digest(), "the saved run's digest is the session's");
        let history = s.history().expect("re-simulates");
        assert_eq!(out.history.expect("kept").ops, history.ops, "and so is its history");
        text
    }

    #[test]
    fn a_session_of_every_kind_of_action_replays_bit_exact_from_its_saved_file() {
        let mut s = Session::open(SHIPPED, 4).expect("opens");
        s.advance_to(ms(1500));
        let first = leader(&s).expect("a leader by 1.5 s");
        s.act(json!({"fault": "crash", "node": first})).expect("crash");
        s.advance_to(ms(2300));
        let second = leader(&s).expect("a new leader");
        assert_ne!(first, second);
        s.act(json!({"fault": "restart", "node": first})).expect("restart");
        s.advance_to(ms(2600));
        s.act(json!({"fault": "partition", "groups": [[second]]})).expect("partition");
        s.act(json!({"client": "c2", "op": "put", "key": "k3", "value": "lab"})).expect("put");
        s.step();
        s.act(json!({"fault": "partition_oneway", "from": ["n1"], "to": ["n2"]})).expect("cut");
        s.advance_to(ms(3100));
        s.act(json!({"fault": "degrade", "from": ["n3"], "to": ["n4"], "profile": {"latency": "40ms", "loss": 0.2}}))
            .expect("link");
        s.act(json!({"fault": "clock", "node": "n5", "offset": "-30ms", "drift": 0.01})).expect("skew");
        s.act(json!({"fault": "pause", "node": "n4"})).expect("pause");
        s.advance_to(ms(3400));
        s.act(json!({"fault": "resume", "node": "n4"})).expect("resume");
        s.act(json!({"fault": "heal"})).expect("heal");
        s.act(json!({"client": "c1", "op": "get", "key": "k3"})).expect("get");
        s.advance_to(ms(5200));
        assert!(s.violation().is_none(), "{:?}", s.violation());
        let text = replays_exactly(&s);
        // The shipped crash at 3 s "for 3s" would end after 5.2 s: it is kept, without its end.
        assert!(text.contains("\"node\": \"leader\""), "{text}");
        let history = s.history().expect("history");
        assert!(history.ops.iter().any(|o| o.value.as_deref() == Some("lab") && o.client == 1));
    }

    #[test]
    fn a_session_played_on_after_an_action_is_the_same_as_one_rebuilt_at_each_step() {
        // Playing on without a rebuild and rebuilding to the same instant agree.
        let mut a = Session::open(SHIPPED, 2).expect("opens");
        a.advance_to(ms(700));
        a.act(json!({"fault": "isolate", "node": "n2"})).expect("isolate");
        a.advance_to(ms(4000));
        let mut b = Session::open(SHIPPED, 2).expect("opens");
        b.advance_to(ms(700));
        b.act(json!({"fault": "isolate", "node": "n2"})).expect("isolate");
        b.advance_to(ms(1900));
        b.rewind(b.now()).expect("rewinds to now: a rebuild");
        b.advance_to(ms(4000));
        assert_eq!(a.digest(), b.digest());
        replays_exactly(&a);
    }

    #[test]
    fn a_rewind_drops_the_later_actions_and_a_new_branch_replays_exactly() {
        let mut s = Session::open(SHIPPED, 1).expect("opens");
        s.advance_to(ms(1000));
        let t1 = s.now();
        let at_t1 = s.digest();
        s.advance_to(ms(1200));
        s.act(json!({"fault": "crash", "node": "n1"})).expect("crash");
        s.advance_to(ms(2000));
        assert_eq!(s.actions().len(), 1);
        s.rewind(t1).expect("rewinds");
        assert_eq!((s.now(), s.digest()), (t1, at_t1), "the same instant as before");
        assert!(s.actions().is_empty(), "the crash was after it");
        s.act(json!({"fault": "crash", "node": "n3"})).expect("another branch");
        s.advance_to(ms(2500));
        let text = replays_exactly(&s);
        assert!(text.contains("\"n3\"") && !text.contains("\"n1\""), "{text}");
        assert_eq!(s.rewind(ms(9000)), Err(LabError::Future { to: ms(9000), now: s.now() }));
    }

    #[test]
    fn bad_and_impossible_actions_are_refused_with_one_line_and_change_nothing() {
        let mut s = Session::open(SHIPPED, 1).expect("opens");
        s.advance_to(ms(800));
        let (digest, now, version) = (s.digest(), s.now(), s.version());
        let bad = [
            json!({"fault": "crash", "node": "n9"}),
            json!({"fault": "partition", "groups": [["n1", "n2"], ["n2", "n3"]]}),
            json!({"fault": "degrade", "from": ["n1"], "to": ["n2"], "profile": {"latency": "-5ms"}}),
            json!({"fault": "explode", "node": "n1"}),
            json!({"fault": "restart", "node": "n1"}),
            json!({"client": "c9", "op": "get", "key": "k1"}),
            json!({"client": "c1", "op": "cas", "key": "k1"}),
            json!({"at": "1s", "fault": "heal"}),
            json!({"fault": "heal", "op": "get"}),
            json!({"fault": "bug", "name": "nonsense"}),
            json!({"fault": "bug", "name": "forget_promise"}),
            json!({"fault": "bug", "name": "no_auth"}),
            json!(["crash"]),
        ];
        for b in bad {
            let e = s.act(b.clone()).expect_err(&b.to_string()).to_string();
            assert!(!e.is_empty() && !e.contains('\n'), "{b}: {e}");
            assert_eq!((s.digest(), s.now(), s.version()), (digest.clone(), now, version), "{b}");
        }
        assert!(s.actions().is_empty());
    }

    #[test]
    fn an_invariant_violation_stops_the_session_and_the_saved_run_stops_at_the_same_event() {
        let text = SHIPPED.replace("\"faults\"", "\"bugs\": [\"no_log_check\"], \"faults\"");
        let mut s = Session::open(&text, 2).expect("opens");
        let mut t = 0;
        while s.violation().is_none() && t < 12_000 {
            t += 250;
            s.advance_to(ms(t));
            if t % 1000 == 0 {
                let _ = s.act(json!({"fault": "crash", "node": "leader", "for": "400ms"}));
            }
        }
        let Some((check, _)) = s.violation() else { panic!("no_log_check was never caught") };
        let stopped = s.now();
        s.advance_to(ms(t + 1000));
        assert_eq!(s.now(), stopped, "a stopped session does not play on ({check})");
        replays_exactly(&s);
    }

    /// Plays a session from 1 s to at most 12 s, crashing the leader for 400 ms each second,
    /// until a check fails; returns where it stopped.
    fn churn(s: &mut Session) -> u64 {
        let mut t = 1000;
        s.advance_to(ms(t));
        while s.violation().is_none() && t < 12_000 {
            t += 250;
            s.advance_to(ms(t));
            if t % 1000 == 0 {
                let _ = s.act(json!({"fault": "crash", "node": "leader", "for": "400ms"}));
            }
        }
        t
    }

    #[test]
    fn a_bug_switched_on_mid_session_is_caught_and_the_saved_file_replays_it() {
        let mut caught = None;
        for seed in 1..=10 {
            let mut s = Session::open(SHIPPED, seed).expect("opens");
            s.advance_to(ms(1000));
            assert!(
                s.view()["bugs"]
                    .as_array()
                    .expect("list")
                    .iter()
                    .any(|b| b["name"] == "stale_follower_reads")
            );
            s.act(json!({"fault": "bug", "name": "stale_follower_reads"})).expect("deploys");
            let servers = s.view()["servers"].as_array().expect("servers").clone();
            assert!(servers.iter().all(|n| n["bugs"] == json!(["stale_follower_reads"])), "{servers:?}");
            let t = churn(&mut s);
            if let Some((check, _)) = s.violation() {
                assert_eq!(check, "linearizable", "seed {seed}");
                caught = Some((seed, t, s));
                break;
            }
        }
        let Some((seed, t, s)) = caught else {
            panic!("stale_follower_reads, deployed at 1 s, never caught")
        };
        let text = replays_exactly(&s);
        assert!(text.contains("\"fault\": \"bug\""), "{text}");
        // The same session without the deployment passes the same instants.
        let mut plain = Session::open(SHIPPED, seed).expect("opens");
        assert!(churn(&mut plain) >= t && plain.violation().is_none(), "{:?}", plain.violation());
    }

    /// A client that hears its reply at an instant draws its next operation at that very
    /// instant; stepping event by event rests right there. The session moves on to a
    /// settled instant, so the file (whose clients stop drawing at its end) replays it.
    #[test]
    fn the_session_rests_only_where_the_saved_run_ends_the_same_way() {
        let mut s = Session::open(SHIPPED, 1).expect("opens");
        s.advance_to(ms(900));
        let mut moved = 0;
        for _ in 0..5000 {
            assert!(s.live.world.step());
            let t = s.live.world.now();
            s.live.world.run_until(t);
            if !s.live.settled() {
                moved += 1;
                s.live.advance(t);
                if moved <= 3 {
                    replays_exactly(&s);
                }
            }
        }
        assert!(moved >= 3, "no instant needed settling: the test shows nothing");
    }

    /// Each kind of step stops where something of its kind happened, and a session resting
    /// inside an instant after a step by one event saves (finishing the instant first) to a
    /// file that replays it.
    #[test]
    fn steps_by_kind_stop_at_their_kind_and_replay_exactly() {
        let mut s = Session::open(SHIPPED, 5).expect("opens");
        // The first role change: a follower's election timer fires.
        let st = s.step_by(StepBy::Role);
        assert!(st.found && st.events.is_empty());
        assert!(s.view()["servers"].as_array().unwrap().iter().any(|n| n["role"] != "follower"));
        let at_role = s.now();
        // The first commit comes later, once a leader replicates an entry.
        assert!(s.step_by(StepBy::Commit).found);
        assert!(s.now() > at_role);
        let committed = || s.live.world.observer::<Invariants>().unwrap().stats().committed;
        assert!(committed() > 0);
        let ops = s.live.stream.borrow().arrived();
        assert!(s.step_by(StepBy::Operation).found);
        assert_eq!(s.live.stream.borrow().arrived(), ops + 1, "exactly one operation more");
        // One event: the count moves by one, and the page gets its trace lines.
        let n = s.live.world.counts().total;
        let st = s.step_by(StepBy::Event);
        assert!(st.found && !st.events.is_empty(), "{st:?}");
        assert!(st.events.iter().all(|e| e["t"].as_u64() == Some(s.now().as_nanos())), "{st:?}");
        assert!(s.live.world.counts().total > n, "at least one event (quiet ones are passed over)");
        s.finish_instant();
        replays_exactly(&s);
        // The leader crash at 3 s: a fault step stops there; a lost message soon after.
        s.advance_to(ms(2500));
        assert!(s.step_by(StepBy::Fault).found);
        assert_eq!(s.now(), ms(3000));
        assert!(s.step_by(StepBy::Lost).found);
        replays_exactly(&s);
    }

    /// A step looks a bounded way ahead: a kind that never comes stops at the limit.
    #[test]
    fn a_step_to_a_kind_that_never_comes_stops_at_the_limit() {
        let quiet = SHIPPED.replace("\"faults\"", "\"ignored_faults\"");
        let quiet: Value = serde_json::from_str(&quiet).expect("json");
        let mut doc = quiet.as_object().expect("object").clone();
        doc.remove("ignored_faults");
        let text = serde_json::to_string(&doc).expect("text");
        let mut s = Session::open(&text, 1).expect("opens");
        s.advance_to(ms(500));
        let st = s.step_by(StepBy::Fault);
        assert!(!st.found);
        assert!(
            s.now() >= ms(500) + STEP_LIMIT && s.now() < ms(500) + STEP_LIMIT + SimDuration::from_millis(100)
        );
    }

    /// Liveness is checked as the session runs: on a network that loses every message no
    /// client ever gets an ok, and one bound after the first operation the session stops,
    /// where the saved run fails liveness too.
    #[test]
    fn a_session_where_no_client_makes_progress_stops_on_liveness() {
        let text = r#"{"name": "dead", "duration": "20s", "cluster": {"protocol": "raft", "nodes": 3},
            "network": {"default": {"loss": 1.0}}, "workload": {"type": "kv", "clients": 2}}"#;
        let mut s = Session::open(text, 1).expect("opens");
        let mut t = 0;
        while s.violation().is_none() && t < 20_000 {
            t += 250;
            s.advance_to(ms(t));
        }
        let (check, detail) = s.violation().expect("liveness stops the session");
        assert_eq!(check, "liveness", "{detail}");
        assert!(detail.contains("got no ok"), "{detail}");
        let stopped = s.now();
        assert!(
            stopped < ms(6000),
            "one bound (4 s) after the first operation, seen within a tick: {stopped}"
        );
        s.advance_to(ms(t + 1000));
        assert_eq!(s.now(), stopped, "a stopped session does not play on");
        let (_, saved) = s.save().expect("saves");
        let out = run_full(&saved, RunOptions::seed(saved.seed)).expect("runs");
        assert_eq!(out.outcome.checks["liveness"].status, crate::check::Status::Fail);
        replays_exactly(&s);
    }

    #[test]
    fn durations_are_written_exactly() {
        for ns in [1, 999, 1_000_000_007, 86_399_999_999_999, 3_600_000_000_001] {
            let d = SimDuration(ns);
            assert_eq!(parse_duration(&exact(d)), Ok(d));
        }
    }
}
