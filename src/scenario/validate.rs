//! Cross-field rules a scenario must satisfy beyond its JSON shape: every node it names
//! exists, every fault falls inside the run, sizes stay within the simulator's caps.

use super::error::ScenarioError;
use super::model::*;
use super::nodes::{GroupRef, NodeRef};
use super::units::HumanDuration;
use crate::sim::SimDuration;

/// Most servers a cluster may have.
pub const MAX_SERVERS: u32 = 1000;
/// Most clients a workload may have.
pub const MAX_CLIENTS: u32 = 1000;
/// Longest simulated duration accepted.
pub const MAX_DURATION: SimDuration = SimDuration::from_secs(24 * 3600);
/// Most entries a fault schedule may have.
pub const MAX_FAULTS: usize = 10_000;
/// The shortest timeout or period accepted (client timeouts, heartbeats, election
/// timeouts, gossip and attack intervals): shorter ones only flood the event queue — a
/// client retrying every 200 ns makes a two-second run take minutes.
pub const MIN_PERIOD: SimDuration = SimDuration::from_micros(100);

/// Something a valid scenario does that is probably not what its author meant (the run
/// goes ahead; the command line says it on standard error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The field it is about (`network.default.queue`).
    pub field: String,
    /// What is wrong, in words.
    pub text: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.text)
    }
}

/// The link queues (field and capacity, bytes) that are smaller than `message` bytes, so
/// that a message of that size can never be sent over the link: `network.default.queue`,
/// `network.zones[i].queue`, `network.links[i].queue`.
pub fn queues_smaller_than(s: &Scenario, message: u64) -> Vec<(String, u64)> {
    let mut v = Vec::new();
    let mut check = |field: String, q: Option<super::units::HumanSize>| {
        if let Some(q) = q
            && q.0 < message
        {
            v.push((field, q.0));
        }
    };
    check("network.default.queue".into(), s.network.default.queue);
    for (i, z) in s.network.zones.iter().enumerate() {
        check(format!("network.zones[{i}].queue"), z.profile.queue);
    }
    for (i, l) in s.network.links.iter().enumerate() {
        check(format!("network.links[{i}].queue"), l.profile.queue);
    }
    v
}

/// Checks every cross-field rule; the first violation is returned.
pub fn validate(s: &Scenario) -> Result<(), ScenarioError> {
    if s.name.is_empty()
        || s.name.len() > 100
        || !s.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        || s.name.starts_with('.')
    {
        return Err(ScenarioError::at(
            "name",
            format!(
                "expected 1-100 characters of letters, digits, '-', '_' or '.' (it names the report directory), found {:?}",
                s.name
            ),
        ));
    }
    let duration = s.duration.0;
    if duration == SimDuration::ZERO {
        return Err(ScenarioError::at("duration", "expected a positive duration, found 0s"));
    }
    if duration > MAX_DURATION {
        return Err(ScenarioError::at(
            "duration",
            format!("the longest run accepted is {MAX_DURATION}, found {duration}"),
        ));
    }
    let n = s.cluster.nodes;
    if n == 0 || n > MAX_SERVERS {
        return Err(ScenarioError::at(
            "cluster.nodes",
            format!("expected between 1 and {MAX_SERVERS} servers, found {n}"),
        ));
    }
    if s.cluster.gossip.is_some() && s.cluster.protocol != Protocol::Gossip {
        return Err(ScenarioError::at(
            "cluster.gossip",
            format!("gossip settings need \"protocol\": \"gossip\", found \"{}\"", s.cluster.protocol.name()),
        ));
    }
    if let Some(g) = &s.cluster.gossip {
        at_least_min_period(&Some(g.interval), "cluster.gossip.interval")?;
    }
    let clients = s.client_count();
    if clients > MAX_CLIENTS {
        return Err(ScenarioError::at(
            "workload.clients",
            format!("expected at most {MAX_CLIENTS} clients, found {clients}"),
        ));
    }
    validate_workload(s)?;
    validate_raft(s)?;
    validate_paxos(s)?;
    validate_quorum(s)?;
    let ctx = Refs { servers: n, clients };
    validate_link(&s.network.default, "network.default")?;
    for (i, l) in s.network.links.iter().enumerate() {
        let path = format!("network.links[{i}]");
        ctx.concrete(&l.from, &format!("{path}.from"))?;
        ctx.concrete(&l.to, &format!("{path}.to"))?;
        if l.from == l.to {
            return Err(ScenarioError::at(
                format!("{path}.to"),
                format!("a link joins two different nodes, found {} to itself", l.to),
            ));
        }
        validate_link(&l.profile, &format!("{path}.profile"))?;
    }
    if s.faults.len() > MAX_FAULTS {
        return Err(ScenarioError::at(
            "faults",
            format!("expected at most {MAX_FAULTS} faults, found {}", s.faults.len()),
        ));
    }
    for (i, f) in s.faults.iter().enumerate() {
        validate_fault(f, &format!("faults[{i}]"), duration, &ctx)?;
    }
    super::protocol_fit::validate(s)?;
    contradictions(s)?;
    validate_cluster(s, &ctx)?;
    Ok(())
}

/// What a schedule does to one concrete server at one instant.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Step {
    Crash,
    Restart,
    Pause,
    Resume,
}

/// Rejects schedules that contradict themselves on a named server: crashing a node that is
/// already down, restarting one that is up, pausing a crashed one, resuming one that is
/// not paused.
fn contradictions(s: &Scenario) -> Result<(), ScenarioError> {
    let mut steps: Vec<(u64, usize, u32, Step)> = Vec::new();
    for (i, f) in s.faults.iter().enumerate() {
        let at = f.at.0.as_nanos();
        let end = f.lasts.map(|d| at + d.0.as_nanos());
        let mut add = |n: &NodeRef, start: Step, undo: Step| {
            if let NodeRef::Server(id) = n {
                steps.push((at, i, *id, start));
                if let Some(e) = end {
                    steps.push((e, i, *id, undo));
                }
            }
        };
        match &f.fault {
            Fault::Crash { node } => add(node, Step::Crash, Step::Restart),
            Fault::Restart { node } => add(node, Step::Restart, Step::Restart),
            Fault::Pause { node } => add(node, Step::Pause, Step::Resume),
            Fault::Resume { node } => add(node, Step::Resume, Step::Resume),
            Fault::RollingRestart { interval, downtime } => {
                for id in 0..s.cluster.nodes {
                    let start = at + interval.0.as_nanos() * id as u64;
                    steps.push((start, i, id, Step::Crash));
                    steps.push((start + downtime.0.as_nanos(), i, id, Step::Restart));
                }
            }
            _ => {}
        }
    }
    // At equal times, undo before do (a restart at the instant a new crash happens is fine).
    let rank = |st: Step| match st {
        Step::Restart | Step::Resume => 0,
        Step::Crash | Step::Pause => 1,
    };
    steps.sort_by_key(|&(t, i, _, st)| (t, rank(st), i));
    // Per server: crashed since (entry), paused since (entry).
    let mut down: Vec<Option<usize>> = vec![None; s.cluster.nodes as usize];
    let mut paused: Vec<Option<usize>> = vec![None; s.cluster.nodes as usize];
    for (t, i, id, st) in steps {
        let n = id as usize;
        let node = format!("n{}", id + 1);
        let when = SimDuration(t);
        let path = format!("faults[{i}]");
        match st {
            Step::Crash => {
                if let Some(j) = down[n] {
                    return Err(ScenarioError::at(
                        path,
                        format!(
                            "{node} is already down at {when} (crashed by faults[{j}]); it cannot crash again before it restarts"
                        ),
                    ));
                }
                down[n] = Some(i);
                paused[n] = None;
            }
            Step::Restart => {
                if down[n].is_none() {
                    return Err(ScenarioError::at(
                        path,
                        format!("{node} is not down at {when}: there is nothing to restart"),
                    ));
                }
                down[n] = None;
            }
            Step::Pause => {
                if let Some(j) = down[n] {
                    return Err(ScenarioError::at(
                        path,
                        format!(
                            "{node} is down at {when} (crashed by faults[{j}]); a crashed node cannot be paused"
                        ),
                    ));
                }
                if let Some(j) = paused[n] {
                    return Err(ScenarioError::at(
                        path,
                        format!("{node} is already paused at {when} (by faults[{j}])"),
                    ));
                }
                paused[n] = Some(i);
            }
            Step::Resume => {
                if paused[n].is_none() && down[n].is_none() {
                    return Err(ScenarioError::at(
                        path,
                        format!("{node} is not paused at {when}: there is nothing to resume"),
                    ));
                }
                paused[n] = None;
            }
        }
    }
    Ok(())
}

/// Zones, per-node overrides and the CPU model.
fn validate_cluster(s: &Scenario, refs: &Refs) -> Result<(), ScenarioError> {
    let mut zone_of: Vec<(NodeRef, usize)> = Vec::new();
    for (z, zone) in s.cluster.zones.iter().enumerate() {
        let path = format!("cluster.zones[{z}]");
        if zone.name.is_empty() || s.cluster.zones[..z].iter().any(|o| o.name == zone.name) {
            return Err(ScenarioError::at(
                format!("{path}.name"),
                format!("zone names must be unique and non-empty, found {:?}", zone.name),
            ));
        }
        if zone.nodes.is_empty() {
            return Err(ScenarioError::at(format!("{path}.nodes"), "expected at least one node, found []"));
        }
        for (j, n) in zone.nodes.iter().enumerate() {
            refs.concrete(n, &format!("{path}.nodes[{j}]"))?;
            if let Some((_, other)) = zone_of.iter().find(|(m, _)| m == n) {
                return Err(ScenarioError::at(
                    format!("{path}.nodes[{j}]"),
                    format!(
                        "{n} is already in zone \"{}\"; a node lives in one zone",
                        s.cluster.zones[*other].name
                    ),
                ));
            }
            zone_of.push((*n, z));
        }
    }
    for (i, zl) in s.network.zones.iter().enumerate() {
        let path = format!("network.zones[{i}]");
        for (field, name) in [("from", &zl.from), ("to", &zl.to)] {
            if !s.cluster.zones.iter().any(|z| &z.name == name) {
                let known: Vec<&str> = s.cluster.zones.iter().map(|z| z.name.as_str()).collect();
                return Err(ScenarioError::at(
                    format!("{path}.{field}"),
                    if known.is_empty() {
                        format!("zone \"{name}\" does not exist: cluster.zones defines none")
                    } else {
                        format!("zone \"{name}\" does not exist; cluster.zones defines {}", known.join(", "))
                    },
                ));
            }
        }
        validate_link(&zl.profile, &format!("{path}.profile"))?;
    }
    for (i, o) in s.cluster.overrides.iter().enumerate() {
        let path = format!("cluster.overrides[{i}]");
        if o.nodes.is_empty() {
            return Err(ScenarioError::at(format!("{path}.nodes"), "expected at least one node, found []"));
        }
        for (j, n) in o.nodes.iter().enumerate() {
            refs.concrete(n, &format!("{path}.nodes[{j}]"))?;
            if o.raft.is_some() && matches!(n, NodeRef::Client(_)) {
                return Err(ScenarioError::at(
                    format!("{path}.nodes[{j}]"),
                    format!("{n} is a client: raft settings apply to servers"),
                ));
            }
        }
        if let Some(r) = &o.raft {
            if s.cluster.protocol != Protocol::Raft {
                return Err(ScenarioError::at(
                    format!("{path}.raft"),
                    format!(
                        "raft settings need \"protocol\": \"raft\", found \"{}\" (which has no per-server settings)",
                        s.cluster.protocol.name()
                    ),
                ));
            }
            runtime_settings(r, &format!("{path}.raft"))?;
        }
        if let Some(c) = &o.clock {
            if !(c.drift.is_finite() && c.drift > -0.5 && c.drift < 10.0) {
                return Err(ScenarioError::at(
                    format!("{path}.clock.drift"),
                    format!("expected a rate error between -0.5 and 10, found {}", c.drift),
                ));
            }
        }
        if let Some(f) = o.slowness {
            if !(f.is_finite() && f > 0.0 && f <= 10_000.0) {
                return Err(ScenarioError::at(
                    format!("{path}.slowness"),
                    format!("expected a factor between 0 and 10000, found {f}"),
                ));
            }
        }
    }
    if let Some(r) = &s.cluster.raft {
        if let Some(v) = &r.initial_voters {
            if v.is_empty() {
                return Err(ScenarioError::at(
                    "cluster.raft.initial_voters",
                    "expected at least one server, found []",
                ));
            }
            for (j, n) in v.iter().enumerate() {
                refs.server(n, &format!("cluster.raft.initial_voters[{j}]"))?;
                if !matches!(n, NodeRef::Server(_)) {
                    return Err(ScenarioError::at(
                        format!("cluster.raft.initial_voters[{j}]"),
                        format!("expected a concrete server like \"n1\", found \"{n}\""),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Checks a timeout or period against [`MIN_PERIOD`].
fn at_least_min_period(d: &Option<HumanDuration>, path: &str) -> Result<(), ScenarioError> {
    match d {
        Some(d) if d.0 < MIN_PERIOD => Err(ScenarioError::at(
            path,
            format!(
                "expected at least {MIN_PERIOD} (shorter timers flood the run with events), found {}",
                d.0
            ),
        )),
        _ => Ok(()),
    }
}

fn validate_workload(s: &Scenario) -> Result<(), ScenarioError> {
    match (&s.workload, s.cluster.protocol) {
        (None, _) => Ok(()),
        (Some(WorkloadSpec::Broadcast { values, interval, timeout, start, .. }), Protocol::Gossip) => {
            if *values > 1_000_000 {
                return Err(ScenarioError::at(
                    "workload.values",
                    format!("expected at most 1000000 values per client, found {values}"),
                ));
            }
            at_least_min_period(&Some(*interval), "workload.interval")?;
            at_least_min_period(&Some(*timeout), "workload.timeout")?;
            if start.0 >= s.duration.0 {
                return Err(ScenarioError::at(
                    "workload.start",
                    format!("the workload starts at {} but the run ends at {}", start.0, s.duration.0),
                ));
            }
            Ok(())
        }
        (Some(WorkloadSpec::Kv(k)), p) if p != Protocol::Gossip => {
            if k.keys == 0 || k.keys > 1_000_000 {
                return Err(ScenarioError::at(
                    "workload.keys",
                    format!("expected between 1 and 1000000 keys, found {}", k.keys),
                ));
            }
            if let Some(m) = &k.mix {
                for (name, w) in [("get", m.get), ("put", m.put), ("append", m.append), ("cas", m.cas)] {
                    if !(w.is_finite() && w >= 0.0) {
                        return Err(ScenarioError::at(
                            format!("workload.mix.{name}"),
                            format!("expected a non-negative weight, found {w}"),
                        ));
                    }
                }
                if m.get + m.put + m.append + m.cas <= 0.0 {
                    return Err(ScenarioError::at(
                        "workload.mix",
                        "expected at least one positive weight, found all zero",
                    ));
                }
            }
            match (k.distribution, k.zipf_exponent) {
                (KeyDistSpec::Uniform, Some(_)) => {
                    return Err(ScenarioError::at(
                        "workload.zipf_exponent",
                        "a zipf exponent needs \"distribution\": \"zipf\"",
                    ));
                }
                (_, Some(e)) if !(0.0..=10.0).contains(&e) => {
                    return Err(ScenarioError::at(
                        "workload.zipf_exponent",
                        format!("expected an exponent between 0 and 10, found {e}"),
                    ));
                }
                _ => {}
            }
            if let Some(v) = k.value_size {
                if v.0 > 1 << 20 {
                    return Err(ScenarioError::at(
                        "workload.value_size",
                        format!("expected at most 1MiB, found {}B", v.0),
                    ));
                }
            }
            at_least_min_period(&k.timeout, "workload.timeout")?;
            at_least_min_period(&k.op_timeout, "workload.op_timeout")?;
            if k.start.0 >= s.duration.0 {
                return Err(ScenarioError::at(
                    "workload.start",
                    format!("the workload starts at {} but the run ends at {}", k.start.0, s.duration.0),
                ));
            }
            if let Some(stop) = k.stop {
                if stop.0 <= k.start.0 {
                    return Err(ScenarioError::at(
                        "workload.stop",
                        format!("the workload stops at {} but starts at {}", stop.0, k.start.0),
                    ));
                }
            }
            Ok(())
        }
        (Some(w), p) => Err(ScenarioError::at(
            "workload.type",
            format!(
                "a \"{}\" workload does not fit \"protocol\": \"{}\" (gossip takes \"broadcast\", the key-value protocols take \"kv\")",
                match w {
                    WorkloadSpec::Broadcast { .. } => "broadcast",
                    WorkloadSpec::Kv(_) => "kv",
                },
                p.name()
            ),
        )),
    }
}

fn validate_raft(s: &Scenario) -> Result<(), ScenarioError> {
    let Some(r) = &s.cluster.raft else { return Ok(()) };
    if s.cluster.protocol != Protocol::Raft {
        // Name the first setting given, so `initial_voters` or `pre_vote` is pointed at.
        let set = [
            ("election_timeout", r.election_timeout.is_some()),
            ("heartbeat", r.heartbeat.is_some()),
            ("pre_vote", r.pre_vote.is_some()),
            ("check_quorum", r.check_quorum.is_some()),
            ("read_mode", r.read_mode.is_some()),
            ("snapshot_every", r.snapshot_every.is_some()),
            ("max_batch", r.max_batch.is_some()),
            ("initial_voters", r.initial_voters.is_some()),
        ];
        let path = match set.iter().find(|(_, on)| *on) {
            Some((name, _)) => format!("cluster.raft.{name}"),
            None => "cluster.raft".to_string(),
        };
        let p = s.cluster.protocol.name();
        return Err(ScenarioError::at(
            path,
            format!(
                "raft settings need \"protocol\": \"raft\", found \"{p}\" (its settings go under cluster.{p})"
            ),
        ));
    }
    if let Some(e) = r.election_timeout {
        if e.min.0 < MIN_PERIOD || e.max < e.min {
            return Err(ScenarioError::at(
                "cluster.raft.election_timeout",
                format!("expected {MIN_PERIOD} <= min <= max, found min {} max {}", e.min.0, e.max.0),
            ));
        }
        if let Some(h) = r.heartbeat {
            if h.0 >= e.min.0 {
                return Err(ScenarioError::at(
                    "cluster.raft.heartbeat",
                    format!(
                        "the heartbeat ({}) must be shorter than the minimum election timeout ({}), or followers time out while the leader is healthy",
                        h.0, e.min.0
                    ),
                ));
            }
        }
    }
    at_least_min_period(&r.heartbeat, "cluster.raft.heartbeat")?;
    if r.snapshot_every == Some(0) {
        return Err(ScenarioError::at(
            "cluster.raft.snapshot_every",
            "expected a positive number of entries, found 0",
        ));
    }
    if r.max_batch == Some(0) {
        return Err(ScenarioError::at(
            "cluster.raft.max_batch",
            "expected a positive number of entries, found 0",
        ));
    }
    Ok(())
}

fn validate_paxos(s: &Scenario) -> Result<(), ScenarioError> {
    let Some(p) = &s.cluster.paxos else { return Ok(()) };
    if s.cluster.protocol != Protocol::Paxos {
        return Err(ScenarioError::at(
            "cluster.paxos",
            format!("paxos settings need \"protocol\": \"paxos\", found \"{}\"", s.cluster.protocol.name()),
        ));
    }
    if let Some(e) = p.election_timeout
        && (e.min.0 < MIN_PERIOD || e.max < e.min)
    {
        return Err(ScenarioError::at(
            "cluster.paxos.election_timeout",
            format!("expected {MIN_PERIOD} <= min <= max, found min {} max {}", e.min.0, e.max.0),
        ));
    }
    at_least_min_period(&p.heartbeat, "cluster.paxos.heartbeat")?;
    for (v, path) in [(p.snapshot_every, "snapshot_every"), (p.max_batch.map(u64::from), "max_batch")] {
        if v == Some(0) {
            return Err(ScenarioError::at(
                format!("cluster.paxos.{path}"),
                "expected a positive number, found 0",
            ));
        }
    }
    Ok(())
}

fn validate_quorum(s: &Scenario) -> Result<(), ScenarioError> {
    let Some(q) = &s.cluster.quorum else { return Ok(()) };
    if s.cluster.protocol != Protocol::Quorum {
        return Err(ScenarioError::at(
            "cluster.quorum",
            format!("quorum settings need \"protocol\": \"quorum\", found \"{}\"", s.cluster.protocol.name()),
        ));
    }
    let n = q.n.unwrap_or(3);
    if n == 0 || n > s.cluster.nodes {
        return Err(ScenarioError::at(
            "cluster.quorum.n",
            format!("expected between 1 and the {} servers, found {n}", s.cluster.nodes),
        ));
    }
    for (v, path) in [(q.r, "r"), (q.w, "w")] {
        if let Some(v) = v
            && (v == 0 || v > n)
        {
            return Err(ScenarioError::at(
                format!("cluster.quorum.{path}"),
                format!("expected between 1 and n = {n}, found {v}"),
            ));
        }
    }
    at_least_min_period(&q.request_timeout, "cluster.quorum.request_timeout")?;
    at_least_min_period(&q.replica_timeout, "cluster.quorum.replica_timeout")?;
    Ok(())
}

fn validate_link(l: &LinkSpec, path: &str) -> Result<(), ScenarioError> {
    if let (Some(q), None) = (&l.queue, &l.bandwidth) {
        return Err(ScenarioError::at(
            format!("{path}.queue"),
            format!("a queue of {}B only makes sense on a link with a `bandwidth`", q.0),
        ));
    }
    if let Some(q) = &l.queue {
        if q.0 == 0 {
            return Err(ScenarioError::at(format!("{path}.queue"), "expected a positive size, found 0B"));
        }
    }
    if let Some(LatencySpec::Normal { stddev, .. }) = &l.latency {
        if stddev.0 > SimDuration::from_secs(3600) {
            return Err(ScenarioError::at(format!("{path}.latency.stddev"), "expected at most 1h"));
        }
    }
    Ok(())
}

/// Knows how many servers and clients exist, to check references.
struct Refs {
    servers: u32,
    clients: u32,
}

impl Refs {
    fn node(&self, r: &NodeRef, path: &str) -> Result<(), ScenarioError> {
        match *r {
            NodeRef::Server(i) if i >= self.servers => Err(ScenarioError::at(
                path,
                format!(
                    "node n{} does not exist, the cluster has {} nodes (n1..n{})",
                    i + 1,
                    self.servers,
                    self.servers
                ),
            )),
            NodeRef::Client(i) if i >= self.clients => Err(ScenarioError::at(
                path,
                if self.clients == 0 {
                    format!("client c{} does not exist, the workload has no clients", i + 1)
                } else {
                    format!(
                        "client c{} does not exist, the workload has {} clients (c1..c{})",
                        i + 1,
                        self.clients,
                        self.clients
                    )
                },
            )),
            _ => Ok(()),
        }
    }

    fn server(&self, r: &NodeRef, path: &str) -> Result<(), ScenarioError> {
        if let NodeRef::Client(i) = r {
            return Err(ScenarioError::at(
                path,
                format!("expected a server (clients do not crash or pause), found c{}", i + 1),
            ));
        }
        self.node(r, path)
    }

    fn concrete(&self, r: &NodeRef, path: &str) -> Result<(), ScenarioError> {
        match r {
            NodeRef::Server(_) | NodeRef::Client(_) => self.node(r, path),
            sym => Err(ScenarioError::at(
                path,
                format!(
                    "expected a concrete node like \"n1\" here (links are fixed before the run), found \"{sym}\""
                ),
            )),
        }
    }

    fn group(&self, g: &GroupRef, path: &str) -> Result<(), ScenarioError> {
        if let GroupRef::Nodes(nodes) = g {
            if nodes.is_empty() {
                return Err(ScenarioError::at(path, "expected at least one node in the group, found []"));
            }
            for (j, n) in nodes.iter().enumerate() {
                self.node(n, &format!("{path}[{j}]"))?;
            }
            for (j, a) in nodes.iter().enumerate() {
                if nodes[..j].contains(a) {
                    return Err(ScenarioError::at(format!("{path}[{j}]"), format!("{a} is listed twice")));
                }
            }
        }
        Ok(())
    }
}

/// Rejects Raft settings that cannot change while a server runs.
fn runtime_settings(r: &RaftSpec, path: &str) -> Result<(), ScenarioError> {
    let fixed = [
        ("read_mode", r.read_mode.is_some()),
        ("snapshot_every", r.snapshot_every.is_some()),
        ("max_batch", r.max_batch.is_some()),
        ("initial_voters", r.initial_voters.is_some()),
    ];
    if let Some((name, _)) = fixed.iter().find(|(_, set)| *set) {
        return Err(ScenarioError::at(
            format!("{path}.{name}"),
            "only election_timeout, heartbeat, pre_vote and check_quorum can change at runtime",
        ));
    }
    if let Some(e) = r.election_timeout {
        if e.min.0 < MIN_PERIOD || e.max < e.min {
            return Err(ScenarioError::at(
                format!("{path}.election_timeout"),
                format!("expected {MIN_PERIOD} <= min <= max, found min {} max {}", e.min.0, e.max.0),
            ));
        }
    }
    at_least_min_period(&r.heartbeat, &format!("{path}.heartbeat"))
}

fn validate_fault(
    f: &FaultEntry,
    path: &str,
    duration: SimDuration,
    refs: &Refs,
) -> Result<(), ScenarioError> {
    let at = f.at.0;
    if at > duration {
        return Err(ScenarioError::at(
            format!("{path}.at"),
            format!("the fault is at {at} but the run ends at {duration}"),
        ));
    }
    if let Some(lasts) = f.lasts {
        if !f.fault.is_revertible() {
            return Err(ScenarioError::at(
                format!("{path}.for"),
                format!("a `{}` fault cannot be undone, so it takes no `for`", f.fault.name()),
            ));
        }
        if lasts.0 == SimDuration::ZERO {
            return Err(ScenarioError::at(format!("{path}.for"), "expected a positive duration, found 0s"));
        }
        let end = crate::sim::SimTime(at.as_nanos()) + lasts.0;
        if end.as_nanos() > duration.as_nanos() {
            return Err(ScenarioError::at(
                format!("{path}.for"),
                format!(
                    "the fault would end at {} but the run ends at {duration}",
                    SimDuration(end.as_nanos())
                ),
            ));
        }
    }
    match &f.fault {
        Fault::Partition { groups } => {
            if groups.is_empty() {
                return Err(ScenarioError::at(
                    format!("{path}.groups"),
                    "expected at least one group, found []",
                ));
            }
            let mut seen: Vec<(NodeRef, usize)> = Vec::new();
            for (g, group) in groups.iter().enumerate() {
                refs.group(group, &format!("{path}.groups[{g}]"))?;
                if let GroupRef::Nodes(nodes) = group {
                    for (j, n) in nodes.iter().enumerate() {
                        if matches!(n, NodeRef::Server(_) | NodeRef::Client(_)) {
                            if let Some((_, other)) = seen.iter().find(|(m, _)| m == n) {
                                return Err(ScenarioError::at(
                                    format!("{path}.groups[{g}][{j}]"),
                                    format!(
                                        "{n} is already in group {other}; a node belongs to one side of a partition"
                                    ),
                                ));
                            }
                            seen.push((*n, g));
                        }
                    }
                }
            }
            let symbolic = groups.iter().filter(|g| !matches!(g, GroupRef::Nodes(_))).count();
            if symbolic > 1 {
                return Err(ScenarioError::at(
                    format!("{path}.groups"),
                    "at most one group may be \"minority\" or \"majority\" (the rest form the other side)",
                ));
            }
        }
        Fault::PartitionOneway { from, to } => {
            refs.group(from, &format!("{path}.from"))?;
            refs.group(to, &format!("{path}.to"))?;
            if let (GroupRef::Nodes(a), GroupRef::Nodes(b)) = (from, to) {
                if let Some(n) =
                    a.iter().find(|n| matches!(n, NodeRef::Server(_) | NodeRef::Client(_)) && b.contains(n))
                {
                    return Err(ScenarioError::at(
                        format!("{path}.to"),
                        format!("{n} is on both sides of the one-way partition"),
                    ));
                }
            }
        }
        Fault::Isolate { node } => refs.node(node, &format!("{path}.node"))?,
        Fault::Heal {} => {}
        Fault::Crash { node } | Fault::Restart { node } | Fault::Pause { node } | Fault::Resume { node } => {
            refs.server(node, &format!("{path}.node"))?
        }
        Fault::LinkDown { from, to, .. } | Fault::LinkUp { from, to, .. } => {
            refs.group(from, &format!("{path}.from"))?;
            refs.group(to, &format!("{path}.to"))?;
        }
        Fault::Degrade { from, to, profile, .. } => {
            refs.group(from, &format!("{path}.from"))?;
            refs.group(to, &format!("{path}.to"))?;
            validate_link(profile, &format!("{path}.profile"))?;
        }
        Fault::LatencySpike { node, from, to, factor } => {
            if !(factor.is_finite() && *factor > 0.0 && *factor <= 10_000.0) {
                return Err(ScenarioError::at(
                    format!("{path}.factor"),
                    format!("expected a factor between 0 and 10000, found {factor}"),
                ));
            }
            match (node, from, to) {
                (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                    return Err(ScenarioError::at(
                        format!("{path}.node"),
                        "give either `node` or `from`/`to`, not both",
                    ));
                }
                (Some(n), None, None) => refs.node(n, &format!("{path}.node"))?,
                _ => {
                    if let Some(g) = from {
                        refs.group(g, &format!("{path}.from"))?;
                    }
                    if let Some(g) = to {
                        refs.group(g, &format!("{path}.to"))?;
                    }
                }
            }
        }
        Fault::Bridge { node } => {
            if refs.servers < 3 {
                return Err(ScenarioError::at(
                    path,
                    format!("a bridge needs at least 3 servers, the cluster has {}", refs.servers),
                ));
            }
            if let Some(n) = node {
                refs.server(n, &format!("{path}.node"))?;
            }
        }
        Fault::Clock { node, drift, .. } => {
            refs.node(node, &format!("{path}.node"))?;
            if !(drift.is_finite() && *drift > -0.5 && *drift < 10.0) {
                return Err(ScenarioError::at(
                    format!("{path}.drift"),
                    format!(
                        "expected a rate error between -0.5 and 10 (e.g. 0.05 for 5% fast), found {drift}"
                    ),
                ));
            }
        }
        Fault::Reconfigure { node, raft } => {
            refs.server(node, &format!("{path}.node"))?;
            runtime_settings(raft, &format!("{path}.raft"))?;
        }
        Fault::AddServer { node } | Fault::RemoveServer { node } => {
            refs.server(node, &format!("{path}.node"))?
        }
        Fault::RollingRestart { interval, downtime } => {
            if interval.0 == SimDuration::ZERO || downtime.0 == SimDuration::ZERO {
                return Err(ScenarioError::at(
                    path,
                    "a rolling restart needs a positive `interval` and `downtime`",
                ));
            }
            let last =
                at.as_nanos() + interval.0.as_nanos() * (refs.servers as u64 - 1) + downtime.0.as_nanos();
            if last > duration.as_nanos() {
                return Err(ScenarioError::at(
                    format!("{path}.interval"),
                    format!(
                        "the last of {} servers would come back at {} but the run ends at {duration}",
                        refs.servers,
                        SimDuration(last)
                    ),
                ));
            }
        }
        Fault::SlowNode { node, factor } | Fault::SlowDisk { node, factor } => {
            refs.node(node, &format!("{path}.node"))?;
            if !(factor.is_finite() && *factor > 0.0 && *factor <= 10_000.0) {
                return Err(ScenarioError::at(
                    format!("{path}.factor"),
                    format!("expected a factor between 0 and 10000, found {factor}"),
                ));
            }
        }
        Fault::CorruptDisk { node } => refs.server(node, &format!("{path}.node"))?,
        Fault::FailFsync { node, count } => {
            refs.server(node, &format!("{path}.node"))?;
            if *count == 0 || *count > 1_000_000 {
                return Err(ScenarioError::at(
                    format!("{path}.count"),
                    format!("expected 1 to 1000000 fsyncs, found {count}"),
                ));
            }
        }
        Fault::Replay { interval } | Fault::Forge { interval } => {
            if interval.0 < MIN_PERIOD {
                return Err(ScenarioError::at(
                    format!("{path}.interval"),
                    format!("expected at least {MIN_PERIOD} between attacks, found {}", interval.0),
                ));
            }
        }
        Fault::Ring {} => {
            if refs.servers < 4 {
                return Err(ScenarioError::at(
                    path,
                    format!("a ring partition needs at least 4 servers, the cluster has {}", refs.servers),
                ));
            }
        }
    }
    Ok(())
}
