//! The plain-language story of a run, for the top of `index.html`.
//!
//! Every sentence is derived from the saved data, never from the scenario's intentions:
//! faults and their ends from `outcome.faults` (with the sides of a partition from the
//! record's typed cut), elections and step-downs from the recording's role changes, crashes and
//! restarts from its lifecycle events, commit progress and stalls from its log samples, and
//! the closing figures and verdicts from `outcome.json`. So if a scenario says "the leader
//! crashes" but the fault hit a follower, the story says which node crashed and what it was.
//!
//! Long fault schedules (dozens of crashes) are summarised rather than told one by one.

use std::collections::BTreeMap;

use crate::fault::{FaultKind, FaultRecord};
use crate::net::Cut;
use crate::report::charts::Inputs;
use crate::report::charts::faults::{Band, bands};
use crate::report::charts::lanes::{Lane, commit_at, lanes, leader_at};
use crate::scenario::Protocol;
use crate::sim::{NodeId, Role};
use crate::workload::history::OpOutcome;

/// One sentence of the story, with the moment it is about (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// When it happened, ns (`None` for summaries).
    pub t_ns: Option<u64>,
    /// The sentence.
    pub text: String,
}

/// Faults told one by one up to this many; beyond, summarised.
const DETAILED_FAULTS: usize = 12;
/// Elections told one by one up to this many; beyond, summarised.
const DETAILED_ELECTIONS: usize = 12;

/// A time for a sentence: `3.000 s`.
pub fn at(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

/// A duration for a sentence: `231 ms`, `4.0 s`.
pub fn span(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else if ns < 1_000_000_000 {
        format!("{} ms", (ns as f64 / 1e6).round())
    } else {
        format!("{:.1} s", ns as f64 / 1e9)
    }
}

/// Bytes in a short human form: `812 B`, `67.9 kB`, `2.9 MB`.
pub fn bytes(b: u64) -> String {
    let f = b as f64;
    if b < 1000 {
        format!("{b} B")
    } else if f < 1e6 {
        format!("{:.1} kB", f / 1e3)
    } else if f < 1e9 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.1} GB", f / 1e9)
    }
}

/// A count with thousands separators: `4,230`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

fn set(names: &[String]) -> String {
    format!("{{{}}}", names.join(","))
}

/// Joins `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

struct Story<'a> {
    input: &'a Inputs<'a>,
    lanes: Vec<Lane>,
    servers: Vec<usize>,
    end: u64,
    out: Vec<(u64, u8, String)>,
}

/// The story of a run, in time order, then the closing summary.
pub fn narrative(input: &Inputs<'_>) -> Vec<Sentence> {
    let lanes = lanes(input.recording);
    let servers: Vec<usize> = lanes.iter().enumerate().filter(|(_, l)| l.server).map(|(i, _)| i).collect();
    let mut story = Story { input, lanes, servers, end: input.end_ns(), out: Vec::new() };
    let mut sentences = vec![Sentence { t_ns: None, text: story.setup() }];
    let bands = bands(input.outcome, story.end);
    let consensus = story.lanes.iter().any(|l| l.roles.iter().any(|r| r.role != Role::Peer));
    if bands.len() <= DETAILED_FAULTS {
        for b in &bands {
            story.fault(b);
        }
    } else {
        story.many_faults(&bands);
    }
    if consensus {
        story.elections(&bands);
        if bands.len() <= DETAILED_FAULTS {
            story.commits_during(&bands);
        }
        story.stalls();
    }
    story.counterexample();
    if let Some(h) = &input.outcome.halted {
        story.push(
            h.at.0,
            9,
            format!("At {} the run stopped: {} on {} saw {}.", at(h.at.0), h.check, h.node, h.detail),
        );
    }
    story.out.sort_by_key(|(t, order, _)| (*t, *order));
    sentences.extend(story.out.drain(..).map(|(t, _, text)| Sentence { t_ns: Some(t), text }));
    sentences.extend(story.summary().into_iter().map(|text| Sentence { t_ns: None, text }));
    sentences
}

impl Story<'_> {
    fn push(&mut self, t: u64, order: u8, text: String) {
        self.out.push((t, order, text));
    }

    fn name(&self, i: usize) -> &str {
        &self.lanes[i].name
    }

    fn protocol(&self) -> &'static str {
        match self.input.outcome.protocol {
            Protocol::Raft => "Raft",
            p => p.name(),
        }
    }

    /// The display name of a node.
    fn node(&self, id: NodeId) -> String {
        self.input.outcome.node_name(id)
    }

    /// Names of nodes: `["n1", "n2"]`.
    fn names(&self, ids: &[NodeId]) -> Vec<String> {
        ids.iter().map(|&n| self.node(n)).collect()
    }

    /// The lane of a node, if the recording has one.
    fn lane(&self, id: NodeId) -> Option<usize> {
        (id.index() < self.lanes.len()).then_some(id.index())
    }

    /// A record in words, with node names.
    fn describe(&self, r: &FaultRecord) -> String {
        r.describe(|n| self.node(n))
    }

    fn setup(&self) -> String {
        let names = |server: bool| -> Vec<String> {
            self.lanes.iter().filter(|l| l.server == server).map(|l| l.name.clone()).collect()
        };
        let (s, c) = (names(true), names(false));
        let range = |v: &[String]| match v {
            [] => String::new(),
            [one] => one.clone(),
            [first, .., last] => format!("{first}–{last}"),
        };
        let dur = at(self.end);
        let servers = format!("{} ({})", plural(s.len() as u64, "server", "servers"), range(&s));
        let clients = format!("{} ({})", plural(c.len() as u64, "client", "clients"), range(&c));
        let protocol = self.protocol();
        if self.input.ops.is_some() {
            format!(
                "{servers} ran {protocol} for {dur} while {clients} sent them key-value operations (reads and \
                 writes of a few keys)."
            )
        } else if protocol == "gossip" {
            format!("{servers} gossiped the values that {clients} injected, for {dur}.")
        } else {
            format!("{servers} ran {protocol} for {dur}; {clients} took part.")
        }
    }

    /// The leader at `t` as a phrase, if any: `n4 (leader of term 1)`.
    fn leader_phrase(&self, t: u64) -> Option<(usize, String)> {
        leader_at(&self.lanes, t).map(|(i, term)| (i, format!("{} (leader of term {term})", self.name(i))))
    }

    /// The servers of a side, as a set: clients named in a cut (isolate names everyone) are
    /// left out of the story's sentences.
    fn servers_set(&self, side: &[NodeId]) -> String {
        let servers: Vec<NodeId> =
            side.iter().copied().filter(|&n| self.lane(n).is_none_or(|i| self.lanes[i].server)).collect();
        set(&self.names(&servers))
    }

    fn majority(&self) -> usize {
        self.servers.len() / 2 + 1
    }

    fn fault(&mut self, b: &Band<'_>) {
        let Some(r) = b.record else { return };
        let t = b.start;
        let before = t.saturating_sub(1);
        let text = match (r.kind, r.cut()) {
            (FaultKind::Isolate, Some(Cut::Groups(g))) if !g.is_empty() => {
                let who = and_list(&self.names(&g[0]));
                let lead = leader_at(&self.lanes, before).filter(|(i, _)| g[0].contains(&NodeId(*i as u32)));
                let was = lead.map(|(_, term)| format!(", the leader of term {term},")).unwrap_or_default();
                format!("At {} {who}{was} was cut off from every other node.", at(t))
            }
            (_, Some(Cut::Groups(g))) => {
                let sides: Vec<String> = g.iter().map(|s| set(&self.names(s))).collect();
                let mut text =
                    format!("At {} the network split the cluster into {}.", at(t), sides.join(" | "));
                let maj = self.majority();
                let count_servers = |s: &[NodeId]| {
                    s.iter().filter(|&&n| self.lane(n).is_some_and(|i| self.lanes[i].server)).count()
                };
                if let Some((i, phrase)) = self.leader_phrase(before)
                    && let Some(side) = g.iter().find(|s| s.contains(&NodeId(i as u32)))
                {
                    let kind = if count_servers(side) >= maj { "majority" } else { "minority" };
                    text.push_str(&format!(
                        " The leader {phrase} was on the {kind} side {}.",
                        set(&self.names(side))
                    ));
                }
                if !g.iter().any(|s| count_servers(s) >= maj) && !self.servers.is_empty() {
                    text.push_str(
                        " No side held a majority of the servers, so no side could elect a leader or commit.",
                    );
                }
                text
            }
            (_, Some(Cut::OneWay { from, to })) => format!(
                "At {} messages from {} to {} started being dropped (a one-way cut: the other direction still \
                 worked).",
                at(t),
                set(&self.names(from)),
                set(&self.names(to))
            ),
            (_, Some(Cut::Pairs(_))) => format!("At {} some links were cut: {}.", at(t), self.describe(r)),
            (FaultKind::Crash, _) => {
                let node = r.nodes.first().map_or_else(|| self.describe(r), |&n| self.node(n));
                let role = r
                    .nodes
                    .first()
                    .and_then(|&n| self.lane(n))
                    .and_then(|i| self.lanes[i].role_at(before).copied())
                    .filter(|s| s.role == Role::Leader)
                    .map(|s| format!(", the leader of term {},", s.term))
                    .unwrap_or_default();
                format!(
                    "At {} {node}{role} crashed: its memory was lost, only what it had written to disk survives.",
                    at(t)
                )
            }
            (FaultKind::Pause, _) => format!(
                "At {} {} paused: it stopped handling messages and timers but kept its memory.",
                at(t),
                r.nodes.first().map_or_else(|| self.describe(r), |&n| self.node(n))
            ),
            (FaultKind::Replay | FaultKind::Forge, _) => {
                format!("At {} an adversary appeared: {}.", at(t), self.describe(r))
            }
            (f, _) => format!("At {} the fault {f} started: {}.", at(t), self.describe(r)),
        };
        self.push(t, 1, text);
        if b.open {
            return;
        }
        let e = b.end;
        let text = match r.kind {
            FaultKind::Crash => {
                let node = r.nodes.first().map(|&n| self.node(n)).unwrap_or_default();
                let mut text = format!("At {} {node} restarted from its disk", at(e));
                if let Some(i) = r.nodes.first().and_then(|&n| self.lane(n)) {
                    let after: Vec<_> = self.lanes[i].roles.iter().filter(|s| s.start >= e).collect();
                    if let Some(first) = after.first().filter(|s| s.term > 0) {
                        text.push_str(&format!(", remembering term {}", first.term));
                        if let Some(newer) = after.iter().find(|s| s.term > first.term) {
                            text.push_str(&format!(
                                ", and at {} learned of term {} and became a {}",
                                at(newer.start),
                                newer.term,
                                newer.role.name()
                            ));
                        }
                    }
                }
                text.push('.');
                text
            }
            FaultKind::Pause => {
                let node = r.nodes.first().map_or_else(|| "the node".to_string(), |&n| self.node(n));
                format!("At {} {node} resumed.", at(e))
            }
            k if k.cuts_network() => {
                format!("At {} the cut ({}) was lifted and every message could flow again.", at(e), b.label())
            }
            f => format!("At {} the {f} fault ended.", at(e)),
        };
        self.push(e, 0, text);
        if let Some(text) = self.catch_up(e) {
            self.push(e, 8, text);
        }
    }

    fn many_faults(&mut self, bands: &[Band<'_>]) {
        let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
        for b in bands {
            *kinds.entry(b.kind.name()).or_default() += 1;
        }
        let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{} {k}", count(*n))).collect();
        let (first, last) = (bands[0].start, bands.iter().map(|b| b.start).max().unwrap_or(0));
        self.push(
            first,
            1,
            format!(
                "Between {} and {} the schedule applied {} fault windows ({}); the charts shade each one. The first \
                 few:",
                at(first),
                at(last),
                count(bands.len() as u64),
                parts.join(", ")
            ),
        );
        for b in bands.iter().take(3) {
            let until = if b.open { "the end".to_string() } else { at(b.end) };
            self.push(b.start, 2, format!("At {}: {} (until {until}).", at(b.start), b.label()));
        }
    }

    /// After a fault ends: when every server had caught up with the commit index reached by then.
    fn catch_up(&self, e: u64) -> Option<String> {
        if self.servers.is_empty() || self.lanes.iter().all(|l| l.progress.is_empty()) {
            return None;
        }
        let target = commit_at(&self.lanes, &self.servers, e);
        if target == 0 {
            return None;
        }
        let mut times: Vec<u64> = self
            .servers
            .iter()
            .flat_map(|&i| self.lanes[i].progress.iter().map(|s| s.0))
            .filter(|&t| t >= e)
            .collect();
        times.sort_unstable();
        times.dedup();
        let done = times.into_iter().find(|&t| {
            self.servers.iter().all(|&i| {
                let l = &self.lanes[i];
                l.down_at(t) || l.progress_at(t).is_some_and(|s| s.3 >= target)
            })
        })?;
        if done <= e {
            return None;
        }
        Some(format!(
            "By {} every running server had caught up to commit index {} ({} after).",
            at(done),
            count(target),
            span(done - e)
        ))
    }

    fn elections(&mut self, bands: &[Band<'_>]) {
        let mut wins: Vec<(u64, usize, u64)> = Vec::new();
        for &i in &self.servers {
            for s in self.lanes[i].roles.iter().filter(|s| s.role == Role::Leader) {
                wins.push((s.start, i, s.term));
            }
        }
        wins.sort();
        let detailed = wins.len() <= DETAILED_ELECTIONS;
        for (k, &(t, i, term)) in wins.iter().enumerate() {
            if !detailed && k >= 3 {
                break;
            }
            let mut text = format!("{} was elected leader of term {term} at {}", self.name(i), at(t));
            let cause =
                bands.iter().filter(|b| b.start <= t && t - b.start <= 2_000_000_000).max_by_key(|b| b.start);
            let previous = k.checked_sub(1).map(|p| wins[p].0);
            match cause {
                Some(b) if previous.is_none_or(|p| p < b.start) => {
                    text.push_str(&format!(", {} after the {}", span(t - b.start), fault_noun(b.kind)))
                }
                _ if k == 0 => text.push_str(&format!(", {} after the start", span(t))),
                _ => {}
            }
            if let Some(side) = bands
                .iter()
                .filter(|b| b.start <= t && t < b.end && b.kind.cuts_network())
                .find_map(|b| match b.record.and_then(FaultRecord::cut) {
                    Some(Cut::Groups(g)) => g.iter().find(|s| s.contains(&NodeId(i as u32))),
                    _ => None,
                })
            {
                text.push_str(&format!(", on the side {}", self.servers_set(side)));
            }
            text.push('.');
            self.push(t, 3, text);
        }
        if !detailed {
            let last = wins.last().map_or(0, |w| w.2);
            self.push(
                wins[3].0,
                3,
                format!(
                    "Leadership then changed hands {} more times, up to term {last} (the timeline chart shows every \
                     one).",
                    count((wins.len() - 3) as u64)
                ),
            );
            return;
        }
        // Step-downs: a leader span that ends while the node is still up, before the run ends.
        let mut downs = Vec::new();
        for &i in &self.servers {
            let l = &self.lanes[i];
            for (k, s) in l.roles.iter().enumerate() {
                if s.role != Role::Leader || s.end >= self.end || l.down.iter().any(|d| d.0 == s.end) {
                    continue;
                }
                let why = match l.roles.get(k + 1) {
                    Some(n) if n.term > s.term => format!("it learned of a newer term ({})", n.term),
                    _ => "it could no longer hear from a majority, so it stepped down (check-quorum)"
                        .to_string(),
                };
                downs.push((
                    s.end,
                    format!("{} stopped being leader of term {} at {}: {why}.", l.name, s.term, at(s.end)),
                ));
            }
        }
        for (t, text) in downs {
            self.push(t, 4, text);
        }
    }

    /// During each cut: which side kept committing and which did not.
    fn commits_during(&mut self, bands: &[Band<'_>]) {
        for b in bands.iter().filter(|b| b.kind.cuts_network()) {
            let Some(Cut::Groups(g)) = b.record.and_then(FaultRecord::cut) else { continue };
            let mut parts = Vec::new();
            for side in g {
                let idx: Vec<usize> =
                    side.iter().filter_map(|&n| self.lane(n)).filter(|&i| self.lanes[i].server).collect();
                if idx.is_empty() {
                    continue;
                }
                let stop = b.end.saturating_sub(1);
                let (c0, c1) = (commit_at(&self.lanes, &idx, b.start), commit_at(&self.lanes, &idx, stop));
                // When the side's commit index last rose inside the window.
                let last_rise = idx
                    .iter()
                    .flat_map(|&i| self.lanes[i].progress.iter())
                    .filter(|p| p.0 > b.start && p.0 <= stop && p.3 > c0)
                    .map(|p| p.0)
                    .max();
                match last_rise {
                    None => parts.push(format!(
                        "side {} committed nothing (its commit index stayed at {})",
                        self.servers_set(side),
                        count(c0)
                    )),
                    Some(r) if r - b.start < (stop - b.start) / 4 => parts.push(format!(
                        "side {} stopped committing {} after the cut began (its commit index stayed at {})",
                        self.servers_set(side),
                        span(r - b.start),
                        count(c1)
                    )),
                    Some(_) => parts.push(format!(
                        "side {} kept committing (commit index {} → {})",
                        self.servers_set(side),
                        count(c0),
                        count(c1)
                    )),
                }
            }
            if parts.is_empty() {
                continue;
            }
            let until =
                if b.open { "until the end of the run".to_string() } else { format!("until {}", at(b.end)) };
            self.push(b.start, 6, format!("From {} {until}, {}.", at(b.start), and_list(&parts)));
        }
    }

    /// Stretches in which no server's commit index advanced.
    fn stalls(&mut self) {
        let mut samples: Vec<(u64, u64)> =
            self.servers.iter().flat_map(|&i| self.lanes[i].progress.iter().map(|s| (s.0, s.3))).collect();
        if samples.is_empty() {
            return;
        }
        samples.sort_unstable();
        let threshold = (self.end / 40).max(300_000_000);
        let mut best = 0;
        let mut last_rise = None;
        let mut stalls = Vec::new();
        for &(t, c) in &samples {
            if c > best {
                if best == 0 {
                    self.push(t, 5, format!("The first entry was committed at {}.", at(t)));
                }
                if let Some(r) = last_rise
                    && t - r >= threshold
                {
                    stalls.push((r, t));
                }
                best = c;
                last_rise = Some(t);
            }
        }
        if let Some(r) = last_rise
            && self.end - r >= threshold
            && self.input.ops.is_some()
        {
            stalls.push((r, self.end));
        }
        for (a, b) in stalls.into_iter().take(8) {
            let until = if b >= self.end {
                "until the end of the run".to_string()
            } else {
                format!("until {}", at(b))
            };
            self.push(
                a,
                7,
                format!(
                    "From {} {until} no server committed anything new ({} without progress).",
                    at(a),
                    span(b - a)
                ),
            );
        }
    }

    /// Where the linearizability counterexample sits in time, told in the clients' words.
    fn counterexample(&mut self) {
        let Some(cx) = self.input.outcome.linearizability.as_ref().and_then(|l| l.counterexample.as_ref())
        else {
            return;
        };
        let Some(ops) = cx["ops"].as_array() else { return };
        let mut told = Vec::new();
        let mut first = u64::MAX;
        for o in ops.iter().take(6) {
            let (Some(call), Some(client)) = (o["call"].as_u64(), o["client"].as_u64()) else { continue };
            first = first.min(call);
            let kind = o["kind"].as_str().unwrap_or("op");
            let input = o["input"].as_str().unwrap_or("");
            let output = o["output"].as_str().unwrap_or("?");
            told.push(format!("c{} {kind} {input} → {output}", client + 1));
        }
        if told.is_empty() {
            return;
        }
        self.push(
            first,
            2,
            format!(
                "From {} clients saw results that no one-at-a-time order of operations can explain: {} (ringed in \
                 red on the latency chart; the full counterexample is under Checks).",
                at(first),
                told.join("; ")
            ),
        );
    }

    fn summary(&self) -> Vec<String> {
        let o = self.input.outcome;
        let mut out = Vec::new();
        if let Some(r) = &o.raft {
            out.push(format!(
                "In all, {} and {} were committed; the highest term reached was {}, and for {} in total no \
                 server considered itself leader.",
                plural(r.leadership.leader_changes, "leader was elected", "leaders were elected"),
                plural(r.entries_committed, "entry", "entries"),
                r.leadership.max_term,
                span((r.leadership.time_without_leader_s * 1e9) as u64)
            ));
        }
        if let Some(h) = self.input.ops {
            let n = |k: OpOutcome| h.count(k);
            let mut text = format!(
                "Clients completed {} successfully; {} failed (definitely not applied) and {} got no reply, so \
                 their outcome is unknown.",
                plural(n(OpOutcome::Ok), "operation", "operations"),
                count(n(OpOutcome::Fail)),
                count(n(OpOutcome::Info))
            );
            if let Some(ops) = &o.ops
                && let (Some(p50), Some(p99), Some(max)) = (ops.p50_ms, ops.p99_ms, ops.max_ms)
            {
                text.push_str(&format!(
                    " Half of the successful ones took under {p50:.1} ms, 99% under {p99:.1} ms; the slowest took \
                     {max:.1} ms."
                ));
            }
            out.push(text);
        }
        if let Some(b) = &o.broadcast {
            let mut text = format!(
                "Clients injected {} values and {} were acknowledged by a server.",
                count(b.injected),
                count(b.acknowledged)
            );
            match b.converged_at_s {
                Some(c) => text.push_str(&format!(
                    " Every live server had every acknowledged value by {c:.3} s{}.",
                    b.convergence_after_faults_s
                        .filter(|_| !o.faults.is_empty())
                        .map(|d| format!(", {d:.3} s after the last fault"))
                        .unwrap_or_default()
                )),
                None => text.push_str(&format!(
                    " {} acknowledged values never reached every live server.",
                    count(b.missing)
                )),
            }
            out.push(text);
        }
        let n = &o.network;
        if n.dropped > 0 {
            let why: Vec<String> = n
                .dropped_by
                .iter()
                .filter(|(_, v)| **v > 0)
                .map(|(k, v)| format!("{} {}", count(*v), lost_because(k)))
                .collect();
            out.push(format!(
                "Of {} messages sent, {} were lost: {}.",
                count(n.sent),
                count(n.dropped),
                and_list(&why)
            ));
        } else {
            out.push(format!("All {} messages sent were delivered.", count(n.sent)));
        }
        let failed = o.failed_checks();
        let names: Vec<String> = o.checks.keys().cloned().collect();
        if failed.is_empty() {
            out.push(format!("Every check passed: {}.", and_list(&names)));
        } else {
            for f in failed {
                out.push(format!("The {f} check FAILED: {}.", short_detail(&o.checks[f].detail)));
            }
        }
        out
    }
}

/// A check's detail, cut before its parenthesised elaboration when it is long.
fn short_detail(detail: &str) -> String {
    let d = detail.trim().trim_end_matches('.');
    match d.find(" (") {
        Some(i) if d.len() > 160 && i > 20 => format!("{} (details under Checks)", &d[..i]),
        _ => d.to_string(),
    }
}

/// Why messages were lost, after a count: "290 blocked by a partition".
fn lost_because(reason: &str) -> &'static str {
    match reason {
        "loss" => "lost at random by a lossy link",
        "partition" => "blocked by a partition",
        "queue_full" => "dropped from a full link queue",
        "node_down" => "sent to a crashed node",
        "link_down" => "sent over a link that was down",
        "mtu" => "too big for their link",
        _ => "lost for other reasons",
    }
}

fn fault_noun(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Partition | FaultKind::Bridge | FaultKind::Ring => "split",
        FaultKind::Isolate => "isolation",
        FaultKind::PartitionOneway => "one-way cut",
        FaultKind::Crash => "crash",
        FaultKind::Pause => "pause",
        _ => "fault",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_read_naturally() {
        assert_eq!(count(4230), "4,230");
        assert_eq!(count(12), "12");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(bytes(812), "812 B");
        assert_eq!(bytes(67_914), "67.9 kB");
        assert_eq!(bytes(2_863_345), "2.9 MB");
        assert_eq!(at(3_231_000_000), "3.231 s");
        assert_eq!(span(231_400_000), "231 ms");
        assert_eq!(span(4_000_000_000), "4.0 s");
        assert_eq!(and_list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    }
}
