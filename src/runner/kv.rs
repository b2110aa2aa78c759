//! Running a key-value scenario: servers replicating the key-value store (Raft, Multi-Paxos
//! or the leaderless quorum store), and closed-loop clients recording a history for the
//! checkers.

use crate::check::CheckResult;
use crate::check::formats::FormatError;
use crate::check::invariants::Invariants;
use crate::check::leadership::Leadership;
use crate::check::linearizability as lin;
use crate::check::liveness::{self, LivenessInput};
use crate::fault::AdminCommand;
use crate::proto::bugs::NamedBugs;
use crate::proto::paxos::PaxosConfig;
use crate::proto::quorum::QuorumConfig;
use crate::proto::raft::{RaftAdmin, RaftBugs, RaftConfig, RaftPatch, ReadMode};
use crate::proto::service::ServiceMsg;
use crate::protocol::KvProtocol;
use crate::report::outcome::{LinearizabilityFigures, Unfinished, ZoneFigures};
use crate::scenario::validate::{Warning, queues_smaller_than};
use crate::scenario::{
    KeyDistSpec, PaxosSpec, QuorumSpec, RaftSpec, ReadModeSpec, Scenario, ScriptedKind, WorkloadSpec,
};
use crate::sim::{Ctx, DiskEvent, Node, NodeId, SimDuration, SimTime, TimerId, fire_inner};
use crate::workload::history::OpKind;
use crate::workload::keys::KeyDist;
use crate::workload::kv::{KvClient, KvClientConfig, OpMix, Scripted};
use crate::workload::stream::{HistoryStream, OpLog, OpSink};
use crate::world::World;

use super::Finished;
use super::history::Recorded;
use super::protocol::KvRun;

/// A node of a key-value run: a server of the run's protocol `S`, or a client. Each is a
/// [`Node`] of its own, and this enum only hands the kernel's calls to it (statically: a
/// run's world is `World<KvNode<S>>` for its protocol's server type).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per node; boxing would add a hop per event
pub enum KvNode<S> {
    /// A server.
    Server(S),
    /// A client.
    Client(KvClient),
}

impl<S: Node<Msg = ServiceMsg>> Node for KvNode<S> {
    type Msg = ServiceMsg;
    /// The inner node's timer, by the kernel's number (each variant decodes its own).
    type Timer = TimerId;
    /// The servers' operator commands (clients take none).
    type Admin = S::Admin;

    fn on_start(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        match self {
            KvNode::Server(n) => n.on_start(ctx),
            KvNode::Client(c) => c.on_start(ctx),
        }
    }

    #[inline]
    fn on_message(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, from: NodeId, msg: ServiceMsg) {
        match self {
            KvNode::Server(n) => n.on_message(ctx, from, msg),
            KvNode::Client(c) => c.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, timer: TimerId) {
        match self {
            KvNode::Server(n) => fire_inner(n, ctx, timer),
            KvNode::Client(c) => fire_inner(c, ctx, timer),
        }
    }

    fn on_disk(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, event: DiskEvent) {
        match self {
            KvNode::Server(n) => n.on_disk(ctx, event),
            KvNode::Client(c) => c.on_disk(ctx, event),
        }
    }

    fn on_admin(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, cmd: &S::Admin) {
        match self {
            KvNode::Server(n) => n.on_admin(ctx, cmd),
            KvNode::Client(_) => {}
        }
    }
}

/// An operator's command from the fault schedule, as a Raft server takes it: Raft's
/// translation ([`crate::protocol::KvProtocol::operator`]). A settings change names Raft's
/// settings (the schedule's patches are made by [`runtime_patch`]); one that names another
/// protocol's is not taken.
pub fn operator(cmd: &AdminCommand) -> Option<RaftAdmin> {
    Some(match cmd {
        AdminCommand::AddServer(n) => RaftAdmin::AddServer(*n),
        AdminCommand::RemoveServer(n) => RaftAdmin::RemoveServer(*n),
        AdminCommand::Configure(p) => match RaftBugs::from_settings(p) {
            Some((on, off)) => RaftAdmin::Bugs { on, off },
            None => RaftAdmin::Configure(RaftPatch::from_settings(p).ok()?),
        },
        AdminCommand::ResetConfig => RaftAdmin::ResetConfig,
    })
}

/// The runtime settings a scenario's Raft settings change (election timeout, heartbeat,
/// pre-vote, check-quorum): what a `reconfigure` fault changes while the server runs, and
/// what a node override changes at boot.
pub fn runtime_patch(raft: &RaftSpec) -> RaftPatch {
    RaftPatch {
        election_timeout: raft.timing.election_timeout.map(|e| (e.min.0, e.max.0)),
        heartbeat: raft.timing.heartbeat.map(|h| h.0),
        pre_vote: raft.pre_vote,
        check_quorum: raft.timing.check_quorum,
    }
}

/// The Raft settings of a scenario, defaults filled in, named bugs switched on.
pub fn raft_config(s: &Scenario) -> RaftConfig {
    raft_config_from(&s.cluster.raft.clone().unwrap_or_default(), s)
}

/// The Raft settings `r` (the scenario's `cluster.raft`) of scenario `s`, defaults filled
/// in, named bugs switched on.
pub fn raft_config_from(r: &RaftSpec, s: &Scenario) -> RaftConfig {
    let mut c = RaftConfig::default();
    {
        c.apply(&runtime_patch(r));
        apply_server_settings(&mut c, r);
        if let Some(v) = &r.initial_voters {
            c.initial_voters =
                Some(v.iter().filter_map(|n| super::network::concrete(n, s.cluster.nodes)).collect());
        }
    }
    for b in &s.bugs {
        c.bugs.enable(b);
    }
    c
}

/// The Raft settings of one server: the cluster's, then every override naming it.
pub fn raft_config_for(s: &Scenario, id: NodeId) -> RaftConfig {
    raft_config_for_from(raft_config(s), s, id)
}

/// The Raft settings of one server from the cluster's `c`: every override naming it.
pub fn raft_config_for_from(mut c: RaftConfig, s: &Scenario, id: NodeId) -> RaftConfig {
    for o in &s.cluster.overrides {
        let named = o.nodes.iter().any(|n| super::network::concrete(n, s.cluster.nodes) == Some(id));
        if let (true, Some(r)) = (named, &o.raft) {
            c.apply(&runtime_patch(r));
            apply_server_settings(&mut c, r);
        }
    }
    c
}

/// Sets the settings a server keeps from boot to crash (how it serves reads, when it
/// snapshots, how many entries it sends at once), as written.
fn apply_server_settings(c: &mut RaftConfig, r: &RaftSpec) {
    if let Some(m) = r.read_mode {
        c.read_mode = match m {
            ReadModeSpec::Log => ReadMode::Log,
            ReadModeSpec::ReadIndex => ReadMode::ReadIndex,
            ReadModeSpec::Lease => ReadMode::Lease,
        };
    }
    if let Some(n) = r.timing.snapshot_every {
        c.snapshot_threshold = n;
    }
    if let Some(b) = r.timing.max_batch {
        c.max_entries_per_msg = b;
    }
}

/// The Multi-Paxos settings of a scenario, defaults filled in, named bugs switched on.
pub fn paxos_config(s: &Scenario) -> PaxosConfig {
    paxos_config_from(&s.cluster.paxos.clone().unwrap_or_default(), s)
}

/// The Multi-Paxos settings `p` (the scenario's `cluster.paxos`) of scenario `s`, defaults
/// filled in, named bugs switched on.
pub fn paxos_config_from(p: &PaxosSpec, s: &Scenario) -> PaxosConfig {
    let mut c = PaxosConfig::default();
    {
        if let Some(e) = p.timing.election_timeout {
            c.election_timeout_min = e.min.0;
            c.election_timeout_max = e.max.0;
        }
        if let Some(h) = p.timing.heartbeat {
            c.heartbeat_interval = h.0;
        }
        if let Some(q) = p.timing.check_quorum {
            c.check_quorum = q;
        }
        if let Some(n) = p.timing.snapshot_every {
            c.snapshot_threshold = n;
        }
        if let Some(b) = p.timing.max_batch {
            c.max_entries_per_msg = b;
        }
    }
    for b in &s.bugs {
        c.bugs.enable(b);
    }
    c
}

/// The quorum-store settings of a scenario, defaults filled in.
pub fn quorum_config(s: &Scenario) -> QuorumConfig {
    quorum_config_from(&s.cluster.quorum.clone().unwrap_or_default(), s)
}

/// The quorum-store settings `q` (the scenario's `cluster.quorum`) of scenario `s`,
/// defaults filled in.
pub fn quorum_config_from(q: &QuorumSpec, s: &Scenario) -> QuorumConfig {
    let mut c = QuorumConfig::default();
    {
        c.n = q.n.map_or(c.n, |v| v as usize);
        c.r = q.r.map_or(c.r, |v| v as usize);
        c.w = q.w.map_or(c.w, |v| v as usize);
        c.sloppy = q.sloppy.unwrap_or(c.sloppy);
        c.read_repair = q.read_repair.unwrap_or(c.read_repair);
        c.request_timeout = q.request_timeout.map_or(c.request_timeout, |d| d.0);
        c.replica_timeout = q.replica_timeout.map_or(c.replica_timeout, |d| d.0);
    }
    let (n, r, w) = c.effective(s.cluster.nodes as usize);
    (c.n, c.r, c.w) = (n, r, w);
    c
}

/// The client settings of a scenario (client number 0; the factory sets each one's).
pub fn client_config(s: &Scenario) -> (u32, KvClientConfig, SimTime) {
    let end = SimTime(s.duration.0.as_nanos());
    let Some(WorkloadSpec::Kv(w)) = &s.workload else {
        let cfg = KvClientConfig {
            client: 0,
            mix: OpMix::default(),
            keys: KeyDist::uniform(1),
            timeout: SimDuration::from_millis(500),
            op_timeout: SimDuration::from_secs(2),
            think: SimDuration::ZERO,
            backoff: SimDuration::from_millis(20),
            stop: end,
            max_ops: 0,
            value_size: 0,
            random: true,
        };
        return (0, cfg, SimTime::ZERO);
    };
    let mix =
        w.mix.map(|m| OpMix { get: m.get, put: m.put, append: m.append, cas: m.cas }).unwrap_or_default();
    let keys = match w.distribution {
        KeyDistSpec::Uniform => KeyDist::uniform(w.keys),
        KeyDistSpec::Zipf => KeyDist::zipf(w.keys, w.zipf_exponent.unwrap_or(1.0)),
    };
    let cfg = KvClientConfig {
        client: 0,
        mix,
        keys,
        timeout: w.timeout.map(|d| d.0).unwrap_or(SimDuration::from_millis(500)),
        op_timeout: w.op_timeout.map(|d| d.0).unwrap_or(SimDuration::from_secs(2)),
        think: w.think.map(|d| d.0).unwrap_or(SimDuration::ZERO),
        backoff: SimDuration::from_millis(20),
        stop: w.stop.map(|d| SimTime(d.0.as_nanos())).unwrap_or(end),
        max_ops: w.max_ops.unwrap_or(0),
        value_size: w.value_size.map_or(0, |v| v.0 as usize),
        random: w.random,
    };
    (w.clients, cfg, SimTime(w.start.0.as_nanos()))
}

/// Each client's scripted operations (the scenario's `operations`, by client, in the order
/// written).
pub fn scripts(s: &Scenario) -> Vec<Vec<Scripted>> {
    let mut out = vec![Vec::new(); s.client_count() as usize];
    for o in &s.operations {
        let crate::scenario::NodeRef::Client(c) = o.client else { continue };
        let kind = match o.op {
            ScriptedKind::Get => OpKind::Get,
            ScriptedKind::Put => OpKind::Put,
            ScriptedKind::Append => OpKind::Append,
            ScriptedKind::Cas => OpKind::Cas,
        };
        if let Some(script) = out.get_mut(c as usize) {
            script.push(Scripted {
                at: SimTime(o.at.0.as_nanos()),
                kind,
                key: o.key.0,
                value: o.value.clone(),
                expected: o.expected.clone().flatten(),
            });
        }
    }
    out
}

/// Ends the history of a finished run: the operations still in flight become `info` (they
/// may take effect), and everything still held back is released.
pub fn end_history<N: Node<Msg = ServiceMsg>, S: OpSink>(
    s: &Scenario,
    world: &World<KvNode<N>>,
    stream: &mut HistoryStream<S>,
) {
    let servers = s.cluster.nodes;
    for c in 0..s.client_count() {
        if let Some(KvNode::Client(client)) = world.node(NodeId(servers + c))
            && let Some(op) = client.unfinished()
        {
            stream.finished(world.now(), op);
        }
    }
    stream.finish();
}

/// Warnings about a key-value scenario: a link queue smaller than the smallest message
/// that carries a written value (the value, padded to `workload.value_size`, plus the wire
/// header) drops every such message, so no write can ever complete over that link.
pub fn warnings(s: &Scenario) -> Vec<Warning> {
    let Some(WorkloadSpec::Kv(w)) = &s.workload else { return Vec::new() };
    let Some(size) = w.value_size else { return Vec::new() };
    if w.mix.as_ref().is_some_and(|m| m.put + m.append + m.cas <= 0.0) {
        return Vec::new();
    }
    let message = size.0 + u64::from(crate::proto::wire::HEADER);
    queues_smaller_than(s, message)
        .into_iter()
        .map(|(field, q)| Warning {
            field,
            text: format!(
                "a queue of {q}B can never hold a message carrying a written value ({}B value + {}B header = {message}B): every write over this link will be dropped",
                size.0,
                crate::proto::wire::HEADER
            ),
        })
        .collect()
}

/// What liveness is judged on for `world` as it stands now (a run ending now): its clients'
/// `progress`, its fault log and which servers are down, with the clients' `(start, stop)` and
/// the recovery `bound`. The runner judges it at a run's end; the lab after every advance.
pub fn liveness_input<N: Node>(
    world: &World<N>,
    progress: liveness::Finished,
    clients: (SimTime, SimTime),
    bound: SimDuration,
) -> LivenessInput {
    let servers = world.servers().len() as u32;
    let slots = world.servers().len() + world.clients().len();
    LivenessInput {
        progress,
        faults: world.fault_log().to_vec(),
        servers,
        first_client: servers,
        down_at_end: world.servers().iter().copied().filter(|&n| !world.is_up(n)).collect(),
        names: (0..slots as u32).map(|i| world.name(NodeId(i)).to_string()).collect(),
        start: clients.0,
        stop: clients.1,
        end: world.now(),
        bound,
    }
}

/// Judges a finished key-value run (the invariants were checked as it ran, the history as
/// it was recorded).
pub fn evaluate<P: KvProtocol>(
    s: &Scenario,
    run: &KvRun<P>,
    world: &World<KvNode<P::Server>>,
    recorded: &Recorded,
    fin: &mut Finished,
) {
    let end = world.now();
    if !fin.checks.contains_key("invariants") {
        let inv = world.observer::<Invariants>().expect("the runner installs the invariant checker");
        let text = run.servers().invariants_held(&inv.stats());
        fin.checks.insert("invariants".into(), CheckResult::pass(text));
    }
    let input = liveness_input(
        world,
        recorded.progress.clone().finish(end),
        (run.client_start(), run.client().stop),
        run.liveness_bound(),
    );
    if world.halted().is_none() {
        fin.checks.insert("liveness".into(), liveness::judge(&input));
    }
    let lead = world.observer::<Leadership>().expect("the runner installs the leadership tracker");
    let inv = world.observer::<Invariants>().expect("installed");
    fin.consensus = Some(crate::report::outcome::ConsensusFigures {
        leadership: lead.figures(end),
        entries_committed: inv.stats().committed,
        recovery: crate::check::recovery::recovery(
            world.fault_log(),
            lead.reigns(),
            &recorded.ok_ns,
            &world.observer::<crate::check::catch_up::CatchUp>().map_or_else(Vec::new, |c| c.caught_up(end)),
        ),
    });
    let mut ops = recorded.total.figures();
    // The operations still in flight (end_history recorded them `info`): the end of the run
    // cut them off, which the report tells apart from a client giving up.
    ops.unfinished = (0..s.client_count())
        .filter_map(|c| match world.node(NodeId(s.cluster.nodes + c)) {
            Some(KvNode::Client(client)) => client.unfinished(),
            _ => None,
        })
        .map(|op| Unfinished { client: op.client, invoke_ns: op.invoke_ns })
        .collect();
    fin.useful_ops = ops.ok;
    fin.ops = Some(ops);
    fin.zones = recorded
        .zones
        .iter()
        .map(|(z, t)| ZoneFigures { zone: s.cluster.zones[*z].name.clone(), ops: t.figures() })
        .collect();
    let (check, figures) = judge_linearizability(&recorded.check, &linearizability_options(s).budget);
    fin.checks.insert("linearizable".into(), check);
    fin.linearizability = Some(figures);
    fin.linearizability_s = recorded.check.as_ref().ok().map(|r| r.stats.elapsed.as_secs_f64());
    fin.staleness = recorded.staleness.clone();
}

/// The linearizability options of a scenario: its budget over the defaults, and the
/// process's watchdog ([`set_watchdog`]).
pub fn linearizability_options(s: &Scenario) -> lin::Options {
    let mut options = lin::Options { watchdog: WATCHDOG.get().copied().flatten(), ..lin::Options::default() };
    if let Some(b) = s.checks.linearizability_budget {
        if let Some(steps) = b.steps {
            options.budget.max_steps = steps;
        }
        if let Some(m) = b.memory {
            options.budget.max_memory = usize::try_from(m.0).unwrap_or(usize::MAX);
        }
    }
    options
}

/// The wall-clock safety net of every linearizability check this process runs.
static WATCHDOG: std::sync::OnceLock<Option<lin::Watchdog>> = std::sync::OnceLock::new();

/// Sets the watchdog every run's linearizability check gets (the command line does, once,
/// from `--watchdog`); it aborts the process and never becomes a verdict. Later calls are
/// ignored. Without a call, checks have no watchdog.
pub fn set_watchdog(watchdog: Option<lin::Watchdog>) {
    let _ = WATCHDOG.set(watchdog);
}

/// The linearizability check's result and figures from its report, checked within `budget`.
pub fn judge_linearizability(
    report: &Result<lin::CheckReport, FormatError>,
    budget: &lin::Budget,
) -> (CheckResult, LinearizabilityFigures) {
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let detail = format!("the history could not be checked: {e}");
            return (CheckResult::fail(detail.clone()), LinearizabilityFigures::error(detail));
        }
    };
    let st = &report.stats;
    let mut figures = LinearizabilityFigures {
        verdict: String::new(),
        ops: st.ops as u64,
        partitions: st.partitions as u64,
        steps: st.steps,
        memory_bytes: st.memory as u64,
        budget_steps: budget.max_steps,
        budget_memory_bytes: budget.max_memory as u64,
        counterexample: None,
        explanation: None,
    };
    let check = match &report.verdict {
        lin::Verdict::Linearizable => {
            figures.verdict = "linearizable".into();
            CheckResult::pass(format!("{} operations on {} keys are linearizable", st.ops, st.partitions))
        }
        lin::Verdict::NotLinearizable(c) => {
            figures.verdict = "not_linearizable".into();
            let text = c.render(lin::Notation::Eightfold);
            figures.explanation = Some(text.clone());
            figures.counterexample = serde_json::to_value(c).ok();
            CheckResult::fail(format!(
                "not linearizable: {} operations on {} cannot be ordered consistently with what clients saw (see the counterexample)",
                c.ops.len(),
                c.partition
            ))
        }
        lin::Verdict::Unknown { reason } => {
            figures.verdict = "unknown".into();
            let raise = match reason.exhausted {
                lin::Exhausted::Steps(_) => "raise checks.linearizability_budget (steps) to decide it",
                lin::Exhausted::Memory(_) => "raise checks.linearizability_budget.memory to decide it",
            };
            CheckResult::unknown(format!("undecided, neither pass nor fail: {reason}; {raise}"))
        }
    };
    (check, figures)
}

#[cfg(test)]
mod tests {
    use crate::runner::{RunOptions, run};
    use crate::scenario::parse;

    fn scenario(protocol: &str, settings: &str, bugs: &str) -> crate::scenario::Scenario {
        parse(&format!(
            r#"{{
              "name": "{protocol}-smoke", "duration": "4s",
              "cluster": {{ "protocol": "{protocol}", "nodes": 5 {settings} }},
              "network": {{ "default": {{ "latency": {{ "dist": "uniform", "min": "1ms", "max": "3ms" }} }} }},
              "disk": {{ "torn_writes": true }},
              "workload": {{ "type": "kv", "clients": 4, "keys": 6 }},
              "faults": [
                {{ "at": "1s", "for": "500ms", "fault": "crash", "node": "n1" }},
                {{ "at": "2s", "for": "600ms", "fault": "crash", "node": "n3" }}
              ],
              "bugs": [{bugs}]
            }}"#
        ))
        .expect("valid scenario")
    }

    /// Every node's timers keep the kernel numbers they always had (the numbers are folded
    /// into the trace digest), each number names one timer, and no other number decodes.
    #[test]
    fn timers_keep_their_kernel_numbers_and_decode_back() {
        use crate::proto::gossip::GossipTimer;
        use crate::proto::paxos::PaxosTimer;
        use crate::proto::quorum::QuorumTimer;
        use crate::proto::raft::RaftTimer;
        use crate::sim::{Timer, TimerId};
        use crate::workload::broadcast::BroadcastTimer;
        use crate::workload::kv::ClientTimer;

        fn check<T: Timer>(all: &[T], numbers: &[u16]) {
            let ids: Vec<u16> = all.iter().map(|t| t.id().0).collect();
            assert_eq!(ids, numbers, "{all:?}");
            assert_eq!(T::ALL, all, "every timer is in ALL, in order");
            for &t in all {
                assert_eq!(T::from_id(t.id()), Some(t));
            }
            for k in 0..8u16 {
                assert_eq!(T::from_id(TimerId(k)).is_some(), numbers.contains(&k), "{all:?} number {k}");
            }
        }
        check(&[RaftTimer::Election, RaftTimer::Heartbeat, RaftTimer::Quorum], &[1, 2, 3]);
        check(&[PaxosTimer::Election, PaxosTimer::Heartbeat, PaxosTimer::Quorum], &[1, 2, 3]);
        check(&[QuorumTimer::Op, QuorumTimer::Handoff], &[1, 2]);
        check(&[GossipTimer::Round], &[0]);
        check(
            &[ClientTimer::Attempt, ClientTimer::Next, ClientTimer::Backoff, ClientTimer::Script],
            &[0, 1, 2, 3],
        );
        check(&[BroadcastTimer::Next, BroadcastTimer::Retry], &[0, 1]);
    }

    #[test]
    fn paxos_and_the_quorum_store_run_the_kv_workload_through_crashes() {
        for (protocol, settings) in [
            ("paxos", r#", "paxos": { "snapshot_every": 100 }"#),
            ("quorum", r#", "quorum": { "sloppy": true }"#),
        ] {
            let s = scenario(protocol, settings, "");
            for seed in 1..=3 {
                let out = run(&s, RunOptions::seed(seed)).expect("runs");
                if protocol == "quorum" {
                    // A sloppy leaderless store is not linearizable (the lesson it teaches);
                    // everything else must hold.
                    assert!(
                        out.checks["invariants"].passed() && out.checks["liveness"].passed(),
                        "{:?}",
                        out.checks
                    );
                } else {
                    assert!(out.passed, "{protocol} seed {seed}: {:?}", out.checks);
                }
            }
        }
    }

    #[test]
    fn the_invariant_checker_catches_a_paxos_bug_in_the_simulator() {
        let s = scenario("paxos", "", r#""ignore_accepted""#);
        let caught = (1..=10).any(|seed| !run(&s, RunOptions::seed(seed)).expect("runs").passed);
        assert!(caught, "ignore_accepted went unnoticed");
    }

    /// Validation compares a cluster's heartbeat with the default election timeout when
    /// the scenario gives none; it must be the protocols' own default.
    #[test]
    fn the_default_election_timeout_validation_uses_is_the_protocols_own() {
        use crate::scenario::validate::DEFAULT_ELECTION_TIMEOUT_MIN;
        assert_eq!(
            crate::proto::raft::RaftConfig::default().election_timeout_min,
            DEFAULT_ELECTION_TIMEOUT_MIN
        );
        assert_eq!(
            crate::proto::paxos::PaxosConfig::default().election_timeout_min,
            DEFAULT_ELECTION_TIMEOUT_MIN
        );
    }

    /// What a server keeps to itself — how it serves reads, when it snapshots, how many
    /// entries it sends at once — may differ per server (fallacy 6), over the cluster's.
    #[test]
    fn per_server_settings_apply_to_the_servers_named() {
        use crate::proto::raft::ReadMode;
        use crate::sim::NodeId;
        let s = parse(
            r#"{ "name": "x", "duration": "1s",
                 "cluster": { "protocol": "raft", "nodes": 3,
                   "raft": { "read_mode": "read_index", "snapshot_every": 50 },
                   "overrides": [ { "nodes": ["n2"], "raft": { "read_mode": "log", "max_batch": 3, "snapshot_every": 7 } } ] } }"#,
        )
        .expect("valid");
        let n1 = super::raft_config_for(&s, NodeId(0));
        let n2 = super::raft_config_for(&s, NodeId(1));
        assert_eq!((n1.read_mode, n1.snapshot_threshold), (ReadMode::ReadIndex, 50));
        assert_eq!((n2.read_mode, n2.snapshot_threshold, n2.max_entries_per_msg), (ReadMode::Log, 7, 3));
        assert_eq!(n1.max_entries_per_msg, crate::proto::raft::RaftConfig::default().max_entries_per_msg);
    }

    #[test]
    fn settings_of_another_protocol_are_refused() {
        let bad = parse(
            r#"{ "name": "x", "duration": "1s", "cluster": { "protocol": "raft", "nodes": 3, "paxos": {} } }"#,
        );
        assert!(bad.unwrap_err().to_string().contains("cluster.paxos"));
        let bad = parse(
            r#"{ "name": "x", "duration": "1s", "cluster": { "protocol": "quorum", "nodes": 3, "quorum": { "n": 3, "r": 4 } } }"#,
        );
        assert!(bad.unwrap_err().to_string().contains("cluster.quorum.r"));
    }
}
