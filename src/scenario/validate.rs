//! Cross-field rules a scenario must satisfy beyond its JSON shape: every node it names
//! exists, every fault falls inside the run, sizes stay within the simulator's caps.

use super::error::ScenarioError;
use super::model::*;
use super::nodes::{GroupRef, NodeRef};
use super::units::HumanDuration;
use crate::sim::SimDuration;
use crate::spec::{LatencySpec, LinkSpec};

/// Most servers a cluster may have.
pub const MAX_SERVERS: u32 = 1000;
/// Most clients a workload may have.
pub const MAX_CLIENTS: u32 = 1000;
/// Longest simulated duration accepted.
pub const MAX_DURATION: SimDuration = SimDuration::from_secs(24 * 3600);
/// Most entries a fault schedule may have.
pub const MAX_FAULTS: usize = 10_000;
/// Most scripted client operations a scenario may have.
pub const MAX_OPERATIONS: usize = 100_000;
/// The longest value a scripted operation may write (the workload's `value_size` cap).
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// The shortest timeout or period accepted (client timeouts, heartbeats, election
/// timeouts, gossip and attack intervals): shorter ones only flood the event queue — a
/// client retrying every 200 ns makes a two-second run take minutes.
pub const MIN_PERIOD: SimDuration = SimDuration::from_micros(100);
/// The shortest election timeout Raft and Multi-Paxos use when a scenario gives none (the
/// protocols' defaults are 150–300 ms; a test in `runner::kv` keeps the two in step).
pub const DEFAULT_ELECTION_TIMEOUT_MIN: SimDuration = SimDuration::from_millis(150);
/// The smallest MTU accepted: IPv4's minimum (RFC 791), 68 bytes. A smaller one cuts every
/// message into more fragments than it has bytes of payload.
pub const MIN_MTU: u64 = 68;

/// The highest `limits.events_per_second` accepted: the kernel handles a few million events
/// per second of wall-clock time, so a run that busy would take minutes per simulated
/// second — past that the budget would no longer stop anything in practice.
pub const MAX_EVENTS_PER_SECOND: u64 = 1_000_000_000;

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
    if let Some(e) = s.limits.events_per_second
        && !(1..=MAX_EVENTS_PER_SECOND).contains(&e)
    {
        return Err(ScenarioError::at(
            "limits.events_per_second",
            format!("expected between 1 and {MAX_EVENTS_PER_SECOND} events per simulated second, found {e}"),
        ));
    }
    if let Some(m) = s.checks.linearizability_budget.and_then(|b| b.memory)
        && m.0 < 1 << 20
    {
        return Err(ScenarioError::at(
            "checks.linearizability_budget.memory",
            format!("expected at least 1MiB of search state, found {}B", m.0),
        ));
    }
    let n = s.cluster.nodes;
    if n == 0 || n > MAX_SERVERS {
        return Err(ScenarioError::at(
            "cluster.nodes",
            format!("expected between 1 and {MAX_SERVERS} servers, found {n}"),
        ));
    }
    protocol_settings(s)?;
    if s.cluster.gossip.is_some() && s.cluster.protocol != Protocol::GOSSIP {
        return Err(ScenarioError::at(
            "cluster.gossip",
            format!("gossip settings need \"protocol\": \"gossip\", found \"{}\"", s.cluster.protocol.name()),
        ));
    }
    if let Some(g) = &s.cluster.gossip {
        at_least_min_period(&Some(g.interval), "cluster.gossip.interval")?;
        if g.fanout >= n {
            return Err(ScenarioError::at(
                "cluster.gossip.fanout",
                format!(
                    "expected at most {} peers (the other servers; 0 means all of them), found {}",
                    n.saturating_sub(1),
                    g.fanout
                ),
            ));
        }
    }
    let clients = s.client_count();
    if clients > MAX_CLIENTS {
        return Err(ScenarioError::at(
            "workload.clients",
            format!("expected at most {MAX_CLIENTS} clients, found {clients}"),
        ));
    }
    validate_workload(s)?;
    validate_operations(s)?;
    validate_checks(s)?;
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
        let covers = |o: &LinkOverride, a: &NodeRef, b: &NodeRef| {
            (o.from == *a && o.to == *b) || (o.both_ways && o.from == *b && o.to == *a)
        };
        let mut directions = vec![(l.from, l.to)];
        if l.both_ways {
            directions.push((l.to, l.from));
        }
        for (a, b) in directions {
            if let Some(j) = s.network.links[..i].iter().position(|o| covers(o, &a, &b)) {
                return Err(ScenarioError::at(
                    path,
                    format!(
                        "the link {a} -> {b} is already set by network.links[{j}]; give each link one profile"
                    ),
                ));
            }
        }
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
    super::lifecycle::validate(s)?;
    validate_cluster(s, &ctx)?;
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
        let settings = override_settings(o);
        if settings.is_empty() {
            return Err(ScenarioError::at(
                path,
                "expected at least one setting (`raft`, `clock` or `slowness`) for these nodes, found none",
            ));
        }
        for (j, n) in o.nodes.iter().enumerate() {
            refs.concrete(n, &format!("{path}.nodes[{j}]"))?;
            if o.raft.is_some() && matches!(n, NodeRef::Client(_)) {
                return Err(ScenarioError::at(
                    format!("{path}.nodes[{j}]"),
                    format!("{n} is a client: raft settings apply to servers"),
                ));
            }
            if o.nodes[..j].contains(n) {
                return Err(ScenarioError::at(format!("{path}.nodes[{j}]"), format!("{n} is listed twice")));
            }
            // Two overrides setting the same thing on one node: one would silently win.
            for (k, earlier) in s.cluster.overrides[..i].iter().enumerate() {
                if !earlier.nodes.contains(n) {
                    continue;
                }
                if let Some(both) = override_settings(earlier).into_iter().find(|x| settings.contains(x)) {
                    return Err(ScenarioError::at(
                        format!("{path}.nodes[{j}]"),
                        format!("{n}'s {both} is already set by cluster.overrides[{k}]; set it once"),
                    ));
                }
            }
        }
        if let Some(r) = &o.raft {
            if s.cluster.protocol != Protocol::RAFT {
                return Err(ScenarioError::at(
                    format!("{path}.raft"),
                    format!(
                        "raft settings need \"protocol\": \"raft\", found \"{}\" (which has no per-server settings)",
                        s.cluster.protocol.name()
                    ),
                ));
            }
            server_settings(r, &format!("{path}.raft"))?;
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

/// The names of the settings an override sets (`raft.heartbeat`, `clock`, `slowness`, …).
fn override_settings(o: &NodeOverride) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = &o.raft {
        out.extend(r.set().into_iter().map(|name| format!("raft.{name}")));
    }
    if o.clock.is_some() {
        out.push("clock".into());
    }
    if o.slowness.is_some() {
        out.push("slowness".into());
    }
    out
}

/// Checks the settings of a liveness and linearizability check.
fn validate_checks(s: &Scenario) -> Result<(), ScenarioError> {
    if s.checks.liveness_bound.is_some_and(|d| d.0 == SimDuration::ZERO) {
        return Err(ScenarioError::at("checks.liveness_bound", "expected a positive duration, found 0s"));
    }
    if s.checks.linearizability_budget.and_then(|b| b.steps) == Some(0) {
        return Err(ScenarioError::at(
            "checks.linearizability_budget",
            "expected a positive number of search steps, found 0",
        ));
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

/// A workload with no clients does nothing: the scenario should leave `workload` out.
fn at_least_one_client(clients: u32) -> Result<(), ScenarioError> {
    if clients == 0 {
        return Err(ScenarioError::at(
            "workload.clients",
            "expected at least 1 client (leave `workload` out for a run without clients), found 0",
        ));
    }
    Ok(())
}

/// Scripted operations: a `kv` workload's client each, inside the run and after the clients
/// start, with exactly the fields their kind takes.
fn validate_operations(s: &Scenario) -> Result<(), ScenarioError> {
    if s.operations.is_empty() {
        return Ok(());
    }
    let Some(WorkloadSpec::Kv(k)) = &s.workload else {
        return Err(ScenarioError::at(
            "operations",
            "scripted operations need a \"kv\" workload (they are sent by its clients)",
        ));
    };
    if s.operations.len() > MAX_OPERATIONS {
        return Err(ScenarioError::at(
            "operations",
            format!("expected at most {MAX_OPERATIONS} operations, found {}", s.operations.len()),
        ));
    }
    for (i, o) in s.operations.iter().enumerate() {
        let path = format!("operations[{i}]");
        match o.client {
            NodeRef::Client(c) if c < k.clients => {}
            other => {
                return Err(ScenarioError::at(
                    format!("{path}.client"),
                    format!("expected a client of the workload, c1 to c{}, found {other}", k.clients),
                ));
            }
        }
        if o.at.0 > s.duration.0 {
            return Err(ScenarioError::at(
                format!("{path}.at"),
                format!("the operation is at {} but the run ends at {}", o.at.0, s.duration.0),
            ));
        }
        if o.at.0 < k.start.0 {
            return Err(ScenarioError::at(
                format!("{path}.at"),
                format!("the operation is at {} but the clients start at {}", o.at.0, k.start.0),
            ));
        }
        match (o.op, &o.value, &o.expected) {
            (ScriptedKind::Get, Some(_), _) => {
                return Err(ScenarioError::at(format!("{path}.value"), "a get writes no value"));
            }
            (ScriptedKind::Get | ScriptedKind::Put | ScriptedKind::Append, _, Some(_)) => {
                return Err(ScenarioError::at(format!("{path}.expected"), "only a cas expects a value"));
            }
            (ScriptedKind::Cas, _, None) => {
                return Err(ScenarioError::at(
                    format!("{path}.expected"),
                    "a cas needs the value it expects (null: the key holds none)",
                ));
            }
            _ => {}
        }
        for (field, v) in
            [("value", o.value.as_ref()), ("expected", o.expected.as_ref().and_then(|e| e.as_ref()))]
        {
            if let Some(v) = v
                && (v.is_empty() || v.len() > MAX_VALUE_BYTES)
            {
                return Err(ScenarioError::at(
                    format!("{path}.{field}"),
                    format!("expected 1 byte to 1MiB, found {} bytes", v.len()),
                ));
            }
        }
    }
    Ok(())
}

/// The settings object of a protocol registered beside the shipped ones: only the
/// scenario's own protocol's (`cluster.<name>` for `"protocol": "<name>"`), read by its
/// registration into its own settings type, an error named at its path inside.
fn protocol_settings(s: &Scenario) -> Result<(), ScenarioError> {
    let protocol = s.cluster.protocol;
    if let Some(other) = s.cluster.settings.keys().find(|k| k.as_str() != protocol.name()) {
        return Err(ScenarioError::at(
            format!("cluster.{other}"),
            format!("{other} settings need \"protocol\": \"{other}\", found \"{protocol}\""),
        ));
    }
    if let Some(registration) = crate::protocol::registry().get(protocol.name()) {
        registration.check_settings(s.cluster.settings_of(protocol.name())).map_err(|e| {
            ScenarioError::at(crate::scenario::json::join(&format!("cluster.{protocol}"), &e.path), e.message)
        })?;
    }
    Ok(())
}

fn validate_workload(s: &Scenario) -> Result<(), ScenarioError> {
    match (&s.workload, s.cluster.protocol) {
        (None, _) => Ok(()),
        (Some(WorkloadSpec::Broadcast { clients, values, interval, timeout, start }), Protocol::GOSSIP) => {
            at_least_one_client(*clients)?;
            if *values == 0 || *values > 1_000_000 {
                return Err(ScenarioError::at(
                    "workload.values",
                    format!("expected 1 to 1000000 values per client, found {values}"),
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
        (Some(WorkloadSpec::Kv(k)), p) if p.capabilities().key_value => {
            at_least_one_client(k.clients)?;
            if k.max_ops == Some(0) {
                return Err(ScenarioError::at(
                    "workload.max_ops",
                    "expected at least 1 operation per client (leave max_ops out for no limit), found 0",
                ));
            }
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
                if stop.0 > s.duration.0 {
                    return Err(ScenarioError::at(
                        "workload.stop",
                        format!(
                            "the workload stops at {} but the run ends at {} (leave stop out to run to the end)",
                            stop.0, s.duration.0
                        ),
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
    if s.cluster.protocol != Protocol::RAFT {
        // Name the first setting given, so `initial_voters` or `pre_vote` is pointed at.
        let path = match r.set().first() {
            Some(name) => format!("cluster.raft.{name}"),
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
    timing(r, "cluster.raft")?;
    heartbeat_within_timeout(r.timing.heartbeat, r.timing.election_timeout, "cluster.raft")?;
    if r.timing.snapshot_every == Some(0) {
        return Err(ScenarioError::at(
            "cluster.raft.snapshot_every",
            "expected a positive number of entries, found 0",
        ));
    }
    if r.timing.max_batch == Some(0) {
        return Err(ScenarioError::at(
            "cluster.raft.max_batch",
            "expected a positive number of entries, found 0",
        ));
    }
    Ok(())
}

/// The cluster-wide heartbeat must be shorter than the cluster-wide minimum election
/// timeout (the default one if only the heartbeat is given), or followers time out while
/// the leader is healthy. (Per-server overrides may break this on purpose: fallacy 6.)
fn heartbeat_within_timeout(
    heartbeat: Option<HumanDuration>,
    timeout: Option<DurationRange>,
    path: &str,
) -> Result<(), ScenarioError> {
    let Some(h) = heartbeat else { return Ok(()) };
    let (min, whose) = match timeout {
        Some(e) => (e.min.0, ""),
        None => (DEFAULT_ELECTION_TIMEOUT_MIN, "default "),
    };
    if h.0 >= min {
        return Err(ScenarioError::at(
            format!("{path}.heartbeat"),
            format!(
                "the heartbeat ({}) must be shorter than the {whose}minimum election timeout ({min}), or followers time out while the leader is healthy",
                h.0
            ),
        ));
    }
    Ok(())
}

fn validate_paxos(s: &Scenario) -> Result<(), ScenarioError> {
    let Some(p) = &s.cluster.paxos else { return Ok(()) };
    if s.cluster.protocol != Protocol::PAXOS {
        return Err(ScenarioError::at(
            "cluster.paxos",
            format!("paxos settings need \"protocol\": \"paxos\", found \"{}\"", s.cluster.protocol.name()),
        ));
    }
    if let Some(e) = p.timing.election_timeout
        && (e.min.0 < MIN_PERIOD || e.max < e.min)
    {
        return Err(ScenarioError::at(
            "cluster.paxos.election_timeout",
            format!("expected {MIN_PERIOD} <= min <= max, found min {} max {}", e.min.0, e.max.0),
        ));
    }
    at_least_min_period(&p.timing.heartbeat, "cluster.paxos.heartbeat")?;
    heartbeat_within_timeout(p.timing.heartbeat, p.timing.election_timeout, "cluster.paxos")?;
    for (v, path) in
        [(p.timing.snapshot_every, "snapshot_every"), (p.timing.max_batch.map(u64::from), "max_batch")]
    {
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
    if s.cluster.protocol != Protocol::QUORUM {
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
    if let Some(m) = &l.mtu {
        if m.0 < MIN_MTU {
            return Err(ScenarioError::at(
                format!("{path}.mtu"),
                format!("expected at least {MIN_MTU}B (the smallest MTU IPv4 allows), found {}B", m.0),
            ));
        }
    }
    if let Some(c) = l.cost_per_gb {
        if !(c.is_finite() && c >= 0.0) {
            return Err(ScenarioError::at(
                format!("{path}.cost_per_gb"),
                format!("expected a non-negative amount of money per gigabyte, found {c}"),
            ));
        }
    }
    if let (Some(r), Some(d)) = (l.reorder, l.reorder_delay) {
        if r.0 > 0.0 && d.0 == SimDuration::ZERO {
            return Err(ScenarioError::at(
                format!("{path}.reorder_delay"),
                format!(
                    "a reorder probability of {} needs a positive delay to hold messages back, found 0s",
                    r.0
                ),
            ));
        }
    }
    let zero = |d: &HumanDuration| d.0 == SimDuration::ZERO;
    let always_zero = match &l.latency {
        Some(LatencySpec::Constant { value }) => zero(value),
        Some(LatencySpec::Uniform { max, .. }) => zero(max),
        Some(LatencySpec::Normal { mean, stddev }) => zero(mean) && zero(stddev),
        _ => false,
    };
    if always_zero {
        return Err(ScenarioError::at(
            format!("{path}.latency"),
            "expected a latency above 0: a message that always arrives the instant it is sent lets a client and a server trade messages without end at one instant, and simulated time never moves on",
        ));
    }
    if let Some(LatencySpec::Normal { stddev, .. }) = &l.latency {
        if stddev.0 > SimDuration::from_secs(3600) {
            return Err(ScenarioError::at(format!("{path}.latency.stddev"), "expected at most 1h"));
        }
    }
    Ok(())
}

/// Refuses `from`/`to` lists that name no link at all: each names only the same single
/// node (a node has no link to itself).
fn some_link(from: &GroupRef, to: &GroupRef, path: &str) -> Result<(), ScenarioError> {
    let concrete = |g: &GroupRef| match g {
        GroupRef::Nodes(v) => {
            v.iter().all(|n| matches!(n, NodeRef::Server(_) | NodeRef::Client(_))).then_some(v.clone())
        }
        _ => None,
    };
    if let (Some(a), Some(b)) = (concrete(from), concrete(to)) {
        if a.iter().all(|x| b.iter().all(|y| x == y)) {
            let n = a.first().map(|n| n.to_string()).unwrap_or_default();
            return Err(ScenarioError::at(
                format!("{path}.to"),
                format!("from and to name only {n}, and a node has no link to itself"),
            ));
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

/// Rejects Raft settings that cannot change while a server runs (a `reconfigure` fault),
/// and a change that changes nothing.
fn runtime_settings(r: &RaftSpec, path: &str) -> Result<(), ScenarioError> {
    let fixed = [
        ("read_mode", r.read_mode.is_some()),
        ("snapshot_every", r.timing.snapshot_every.is_some()),
        ("max_batch", r.timing.max_batch.is_some()),
        ("initial_voters", r.initial_voters.is_some()),
    ];
    if let Some((name, _)) = fixed.iter().find(|(_, set)| *set) {
        return Err(ScenarioError::at(
            format!("{path}.{name}"),
            "only election_timeout, heartbeat, pre_vote and check_quorum can change at runtime",
        ));
    }
    if r.set().is_empty() {
        return Err(ScenarioError::at(
            path,
            "expected at least one setting to change (election_timeout, heartbeat, pre_vote or check_quorum), found none",
        ));
    }
    timing(r, path)
}

/// Checks the Raft settings of some servers (`cluster.overrides[].raft`): any setting a
/// server keeps to itself, which is every one but the cluster's membership.
fn server_settings(r: &RaftSpec, path: &str) -> Result<(), ScenarioError> {
    if r.initial_voters.is_some() {
        return Err(ScenarioError::at(
            format!("{path}.initial_voters"),
            "the voters are the whole cluster's membership, not one server's setting: set them in cluster.raft",
        ));
    }
    for (v, name) in
        [(r.timing.snapshot_every, "snapshot_every"), (r.timing.max_batch.map(u64::from), "max_batch")]
    {
        if v == Some(0) {
            return Err(ScenarioError::at(
                format!("{path}.{name}"),
                "expected a positive number of entries, found 0",
            ));
        }
    }
    timing(r, path)
}

/// The election timeout range and heartbeat of `r`, each on its own (a server may be given
/// a heartbeat longer than its election timeout: that is an operator's mistake worth
/// simulating, fallacy 6).
fn timing(r: &RaftSpec, path: &str) -> Result<(), ScenarioError> {
    if let Some(e) = r.timing.election_timeout {
        if e.min.0 < MIN_PERIOD || e.max < e.min {
            return Err(ScenarioError::at(
                format!("{path}.election_timeout"),
                format!("expected {MIN_PERIOD} <= min <= max, found min {} max {}", e.min.0, e.max.0),
            ));
        }
    }
    at_least_min_period(&r.timing.heartbeat, &format!("{path}.heartbeat"))
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
            some_link(from, to, path)?;
        }
        Fault::Degrade { from, to, profile, .. } => {
            refs.group(from, &format!("{path}.from"))?;
            refs.group(to, &format!("{path}.to"))?;
            some_link(from, to, path)?;
            validate_link(profile, &format!("{path}.profile"))?;
            let LinkSpec {
                latency,
                loss,
                duplicate,
                reorder,
                reorder_delay,
                bandwidth,
                queue,
                mtu,
                fragmentation,
                cost_per_gb,
                corrupt,
            } = profile;
            let empty = latency.is_none()
                && [loss, duplicate, reorder, corrupt].iter().all(|p| p.is_none())
                && reorder_delay.is_none()
                && bandwidth.is_none()
                && queue.is_none()
                && mtu.is_none()
                && fragmentation.is_none()
                && cost_per_gb.is_none();
            if empty {
                return Err(ScenarioError::at(
                    format!("{path}.profile"),
                    "expected at least one link field to change (loss, latency, bandwidth, …), found none",
                ));
            }
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
                    if let (Some(a), Some(b)) = (from, to) {
                        some_link(a, b, path)?;
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
        Fault::Bug { name, nodes } => {
            if name.is_empty() {
                return Err(ScenarioError::at(format!("{path}.name"), "expected a bug's name, found \"\""));
            }
            match nodes {
                Some(GroupRef::Nodes(v)) if v.is_empty() => {
                    return Err(ScenarioError::at(
                        format!("{path}.nodes"),
                        "expected at least one server (leave `nodes` out for every server), found []",
                    ));
                }
                Some(GroupRef::Nodes(v)) => {
                    for (j, n) in v.iter().enumerate() {
                        refs.server(n, &format!("{path}.nodes[{j}]"))?;
                    }
                }
                Some(_) | None => {}
            }
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
