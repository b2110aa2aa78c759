//! Running a scenario end to end: build the world it describes, simulate it, judge it,
//! and produce its [`Outcome`]. The CLI, sweeps and shrinking all go through here.

pub mod broadcast;
pub mod bugs;
pub mod faults;
pub mod history;
pub mod kv;
pub mod network;
pub mod protocol;
pub mod shipped;

use std::collections::BTreeMap;
use std::io::Write;

use thiserror::Error;

use crate::check::CheckResult;
use crate::check::convergence::Convergence;
use crate::disk::DiskConfig;
use crate::net::Latency;
use crate::report::Outcome;
use crate::report::outcome::{
    ConsensusFigures, CostFigures, LinearizabilityFigures, LinkFigures, NetworkFigures, OpFigures, RunTiming,
    ZoneFigures,
};
use crate::scenario::Scenario;
use crate::sim::{Node, NodeFactory, NodeId, RngStreams, SimDuration, SimTime};
use crate::workload::history::History;
use crate::world::{
    Clock, CpuCost, EventBudget, Membership, ProtocolName, RecorderConfig, Recording, Security, Trace, World,
    WorldConfig,
};

/// What can go wrong while running (the scenario itself was already validated).
#[derive(Debug, Error)]
pub enum RunError {
    /// The trace could not be written.
    #[error("writing the trace failed: {0}")]
    Trace(#[from] std::io::Error),
    /// The history could not be written.
    #[error("writing the history failed: {0}")]
    History(std::io::Error),
    /// The run was interrupted (Ctrl-C, SIGTERM) before its end.
    #[error("interrupted at {0} of simulated time")]
    Interrupted(SimTime),
    /// The scenario's protocol could not be resolved (not registered in this process, or its
    /// settings do not read: validation refuses both first).
    #[error("{0}")]
    Protocol(String),
}

/// How to run a scenario.
#[derive(Default)]
pub struct RunOptions {
    /// The seed (the CLI fills in the scenario's own when `--seed` is absent).
    pub seed: u64,
    /// Where to stream the event trace, if anywhere.
    pub trace: Option<Box<dyn Write + Send>>,
    /// Keep a flight recording for charts (`None`: don't).
    pub record: Option<RecorderConfig>,
    /// Stop early (with [`RunError::Interrupted`]) when this flag is set.
    pub interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// What to do with a key-value run's history (by default: keep it and return it).
    pub history: HistoryOutput,
    /// Called every so often of simulated time (for progress and measurements).
    pub checkpoint: Option<Checkpoints>,
}

/// A callback at regular instants of simulated time. Running up to each instant and on is
/// the same run as running straight through: the digest does not change.
pub struct Checkpoints {
    /// How often.
    pub every: SimDuration,
    /// Called with the instant reached and the events handled so far.
    pub call: Box<dyn FnMut(SimTime, u64)>,
}

pub use history::HistoryOutput;
pub use protocol::{ProtocolRun, resolve};

impl RunOptions {
    /// Options for a plain run of `seed`: no trace, no recording, the history kept.
    pub fn seed(seed: u64) -> Self {
        RunOptions { seed, ..RunOptions::default() }
    }
}

/// The verdicts and protocol figures gathered after a run.
pub struct Finished {
    /// Check name → verdict.
    pub checks: BTreeMap<String, CheckResult>,
    /// When the fault schedule went quiet.
    pub quiet_after: SimTime,
    /// Broadcast figures.
    pub broadcast: Option<Convergence>,
    /// Client operation figures.
    pub ops: Option<OpFigures>,
    /// Consensus figures.
    pub consensus: Option<ConsensusFigures>,
    /// The linearizability check's figures.
    pub linearizability: Option<LinearizabilityFigures>,
    /// Useful operations done (for cost per operation).
    pub useful_ops: u64,
    /// Client latency per zone.
    pub zones: Vec<ZoneFigures>,
    /// Wall-clock time the linearizability check took, s (a timing figure, never a verdict).
    pub linearizability_s: Option<f64>,
    /// How stale the reads were (key-value runs).
    pub staleness: Option<crate::check::staleness::StalenessFigures>,
}

/// What a run produced: its outcome, and the history its clients recorded (key-value runs).
pub struct RunOutput {
    /// Verdicts and figures.
    pub outcome: Outcome,
    /// The operation history, if it was kept ([`HistoryOutput::Keep`]).
    pub history: Option<History>,
    /// The flight recording, if one was asked for.
    pub recording: Option<Recording>,
    /// Whether a streamed history ([`HistoryOutput::Stream`]) was written whole: a failed
    /// write (a full disk) loses the file, not the run's verdicts.
    pub history_written: Result<(), std::io::Error>,
}

/// The default recording for a scenario: the message window around its first fault.
pub fn default_recording(s: &Scenario) -> RecorderConfig {
    let first = s.faults.iter().map(|f| SimTime(f.at.0.as_nanos())).min();
    RecorderConfig::for_run(s.duration.0, first)
}

/// Runs `scenario` with the given options and returns its outcome (the history is not
/// kept, whatever the options say).
pub fn run(scenario: &Scenario, opts: RunOptions) -> Result<Outcome, RunError> {
    let history = match opts.history {
        HistoryOutput::Keep => HistoryOutput::Discard,
        other => other,
    };
    let out = run_full(scenario, RunOptions { history, ..opts })?;
    out.history_written.map_err(RunError::History)?;
    Ok(out.outcome)
}

/// Runs `scenario` and returns its outcome and its history.
pub fn run_full(scenario: &Scenario, opts: RunOptions) -> Result<RunOutput, RunError> {
    // The wall clock only measures how long the run took; simulated code never sees it.
    let started = std::time::Instant::now();
    resolve(scenario)?.run(scenario, opts, started)
}

/// Builds the world of a scenario: membership, network, fault schedule, node factory.
pub fn build_world<N: Node>(
    s: &Scenario,
    streams: RngStreams,
    factory: Box<dyn NodeFactory<N>>,
    client_start: SimTime,
) -> World<N> {
    let servers = s.cluster.nodes;
    let clients = s.client_count();
    let total = (servers + clients) as usize;
    let net = network::build(&s.network, &s.cluster.zones, servers, total, streams.stream("net"));
    let mut members = Membership::cluster(servers, clients);
    for o in &s.cluster.overrides {
        if let Some(c) = &o.clock {
            for n in &o.nodes {
                if let Some(id) = network::concrete(n, servers) {
                    members.nodes[id.index()].clock = Clock { offset_ns: c.offset.0, rate: 1.0 + c.drift };
                }
            }
        }
    }
    let config = WorldConfig {
        members,
        streams,
        schedule: faults::schedule(&s.faults, s.cluster.nodes),
        client_start,
        disk: disk_config(s),
        security: Security {
            auth: !s.bugs.iter().any(|b| b == "no_auth"),
            replay_window: s.network.security.as_ref().is_some_and(|sec| sec.replay_window),
        },
    };
    let mut world = World::new(config, net, factory);
    world.set_event_budget(event_budget(s));
    for o in &s.cluster.overrides {
        if let Some(f) = o.slowness {
            for n in &o.nodes {
                if let Some(id) = network::concrete(n, servers) {
                    world.set_slowness(id, f);
                }
            }
        }
    }
    if let Some(cpu) = &s.cluster.cpu {
        world.set_cpu_cost(CpuCost {
            per_message: cpu.per_message.0,
            per_byte_ns: cpu.per_kb.0.as_nanos() as f64 / 1000.0,
        });
    }
    world
}

/// The run's event budget: `limits.events_per_second`, or the kernel's default.
pub fn event_budget(s: &Scenario) -> EventBudget {
    s.limits.events_per_second.map_or(EventBudget::DEFAULT, |per_second| EventBudget { per_second })
}

/// The disk every node gets: the scenario's settings over the defaults.
pub fn disk_config(s: &Scenario) -> DiskConfig {
    let mut d = DiskConfig::default();
    if let Some(l) = &s.disk.fsync_latency {
        d.fsync_latency = Latency::from_spec(l);
    }
    if let Some(t) = s.disk.torn_writes {
        d.torn_writes = t;
    }
    d
}

/// Runs a built world to the scenario's end (every protocol's run goes through here), and
/// gathers the kernel's own verdict (a halt) for the protocol's run to add its checks to.
fn simulate<N: Node>(
    s: &Scenario,
    world: &mut World<N>,
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    trace: Option<Box<dyn Write + Send>>,
    record: Option<RecorderConfig>,
    checkpoint: Option<Checkpoints>,
) -> Result<Finished, RunError> {
    if let Some(f) = interrupt {
        world.set_interrupt(f);
    }
    if let Some(sink) = trace {
        world.set_trace(Trace::new(sink));
    }
    if let Some(r) = record {
        world.set_recorder(r);
    }
    let end = SimTime(s.duration.0.as_nanos());
    if let Some(mut c) = checkpoint.filter(|c| c.every > SimDuration::ZERO) {
        let mut at = SimTime::ZERO + c.every;
        while at < end && world.halted().is_none() && !world.interrupted() {
            world.run_until(at);
            (c.call)(at, world.counts().total);
            at += c.every;
        }
    }
    world.run_until(end);
    if world.interrupted() {
        return Err(RunError::Interrupted(world.now()));
    }
    if let Some(t) = world.take_trace() {
        t.finish()?;
    }
    let mut checks = BTreeMap::new();
    if let Some(h) = world.halted() {
        checks.insert(h.check.clone(), CheckResult::fail(format!("at {} on {}: {}", h.at, h.node, h.detail)));
    }
    Ok(Finished {
        checks,
        quiet_after: faults::schedule(&s.faults, s.cluster.nodes).quiet_after(),
        broadcast: None,
        ops: None,
        consensus: None,
        linearizability: None,
        useful_ops: 0,
        zones: Vec::new(),
        linearizability_s: None,
        staleness: None,
    })
}

/// The end of every run: its flight recording (with the protocol named: the kernel that
/// made it knows no protocol) and its outcome.
fn finish<N: Node>(
    s: &Scenario,
    run: &dyn ProtocolRun,
    seed: u64,
    world: &mut World<N>,
    fin: Finished,
    started: std::time::Instant,
) -> (Outcome, Option<Recording>) {
    let recording = world
        .take_recording()
        .map(|r| Recording { protocol: Some(ProtocolName(run.protocol().name().to_string())), ..r });
    (outcome(s, run, seed, world, fin, started), recording)
}

fn outcome<N: Node>(
    s: &Scenario,
    run: &dyn ProtocolRun,
    seed: u64,
    world: &World<N>,
    fin: Finished,
    started: std::time::Instant,
) -> Outcome {
    let passed = world.halted().is_none() && fin.checks.values().all(|c| c.passed());
    let links = world
        .network()
        .link_counters()
        .into_iter()
        .map(|(a, b, c)| LinkFigures {
            from: world.name(a).to_string(),
            to: world.name(b).to_string(),
            messages: c.messages,
            bytes: c.bytes,
            dropped: c.dropped,
            peak_queue_bytes: c.peak_queue_bytes,
        })
        .collect();
    Outcome {
        scenario: s.name.clone(),
        seed,
        protocol: run.protocol(),
        nodes: (0..world.servers().len() + world.clients().len())
            .map(|i| world.name(NodeId(i as u32)).to_string())
            .collect(),
        digest: world.digest().hex(),
        events: world.counts().total,
        peak_events_per_s: world.peak_events_per_second(),
        sim_time_ns: world.now().as_nanos(),
        passed,
        checks: fin.checks,
        network: NetworkFigures::from(world.net_stats()),
        links,
        faults: world.fault_log().to_vec(),
        halted: world.halted().cloned(),
        broadcast: fin.broadcast,
        ops: fin.ops,
        linearizability: fin.linearizability,
        raft: fin.consensus,
        staleness: fin.staleness,
        security: Some(world.security_stats()).filter(|s| *s != Default::default()),
        cost: CostFigures::new(world.net_stats(), world.cpu_time(), fin.useful_ops),
        zones: fin.zones,
        parameters: parameter_lines(s, run, seed),
        timing: RunTiming {
            wall_s: started.elapsed().as_secs_f64(),
            linearizability_s: fin.linearizability_s,
        },
    }
}

/// Every effective parameter of a run, one per line, so a failing seed describes itself.
pub fn parameters(s: &Scenario, seed: u64) -> Vec<String> {
    // A validated scenario's protocol is registered (validation refuses any other).
    resolve(s).map(|run| parameter_lines(s, &*run, seed)).unwrap_or_default()
}

/// [`parameters`] of a run whose protocol is resolved.
fn parameter_lines(s: &Scenario, run: &dyn ProtocolRun, seed: u64) -> Vec<String> {
    let servers = s.cluster.nodes;
    let clients = s.client_count();
    let total = (servers + clients) as usize;
    let name = |id: NodeId| {
        if id.0 < servers { format!("n{}", id.0 + 1) } else { format!("c{}", id.0 - servers + 1) }
    };
    let mut out = vec![
        format!("scenario: {}", s.name),
        format!("seed: {seed}"),
        format!("duration: {}", s.duration.0),
        format!("cluster: {} x {}, {} clients", servers, run.protocol().name(), clients),
    ];
    out.extend(run.describe());
    out.push(format!("disk: {}", disk_config(s).describe()));
    out.extend(network::describe(&s.network, &s.cluster.zones, servers, total, name));
    for o in &s.cluster.overrides {
        let nodes: Vec<String> = o.nodes.iter().map(|n| n.to_string()).collect();
        let mut what = Vec::new();
        if let Some(c) = &o.clock {
            what.push(format!("clock offset {}ns drift {:+}", c.offset.0, c.drift));
        }
        if let Some(f) = o.slowness {
            what.push(format!("CPU {f}x slower"));
        }
        if let Some(r) = &o.raft {
            what.push(format!("raft {}", serde_json::to_string(r).unwrap_or_default()));
        }
        out.push(format!("override {}: {}", nodes.join(", "), what.join("; ")));
    }
    if let Some(cpu) = &s.cluster.cpu {
        out.push(format!(
            "cpu: {} per message + {} per KB, at sender and receiver",
            cpu.per_message.0, cpu.per_kb.0
        ));
    }
    if !s.bugs.is_empty() {
        out.push(format!("bugs switched on: {}", s.bugs.join(", ")));
    }
    out.push(format!(
        "limits: at most {} events per simulated second{}",
        event_budget(s).per_second,
        if s.limits.events_per_second.is_some() { "" } else { " (default)" }
    ));
    if s.faults.is_empty() {
        out.push("faults: none".to_string());
    }
    for (i, f) in s.faults.iter().enumerate() {
        let lasts = f.lasts.map(|d| format!(" for {}", d.0)).unwrap_or_default();
        let body = serde_json::to_string(&f.fault).unwrap_or_default();
        out.push(format!("faults[{i}]: at {}{lasts}: {body}", f.at.0));
    }
    out
}
