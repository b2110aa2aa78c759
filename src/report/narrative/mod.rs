//! The plain-language story of a run, for the top of `index.html`.
//!
//! Every sentence is derived from the saved data as typed facts, never from the scenario's
//! intentions nor from formatted text: faults and their ends from `outcome.faults` (each a
//! [`FaultRecord`] with its kind, its cut as sets of node ids and its window), elections,
//! step-downs and overlapping leaders from the recording's role changes, crashes and
//! restarts from its lifecycle events, commit progress from its log samples, client stalls
//! from the history's completion times, operations cut off by the end of the run from
//! `outcome.ops.unfinished`, and the closing figures and verdicts from `outcome.json`. So if
//! a scenario says "the leader crashes" but the fault hit a follower, the story says which
//! node crashed and what it was; and a sentence is only said when what it claims held.
//!
//! One family of sentences per module:
//! - `faults`: fault starts and ends, in time order, and what still cut the network when a
//!   cut was lifted;
//! - `leadership`: elections, step-downs, two leaders at once, commit progress during cuts
//!   and commit stalls (Raft and Paxos only, each in its own words: terms and entries for
//!   Raft, ballot rounds and slots for Paxos);
//! - `clients`: stretches in which no client operation completed and why, operations cut
//!   off by the end of the run, and the linearizability counterexample;
//! - `summary`: the closing figures and verdicts.
//!
//! Long fault schedules (dozens of crashes) are summarised rather than told one by one.

mod clients;
mod faults;
mod leadership;
mod summary;

#[cfg(test)]
mod tests;

use crate::fault::FaultRecord;
use crate::protocol::ServerView;
use crate::report::charts::Inputs;
use crate::report::charts::faults::bands;
use crate::report::charts::lanes::{Lane, lanes};
use crate::scenario::Protocol;
use crate::sim::{NodeId, Role};

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

/// The words a protocol's story uses for its leaders and its log: Raft has terms, entries and
/// a commit index; Multi-Paxos has ballot rounds and slots whose values are chosen. The
/// quorum store and gossip have neither, and their stories never use these words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Words {
    /// `term 3` / `ballot round 3`.
    pub round: &'static str,
    /// What a commit is called: `committed` / `chosen`.
    pub committed: &'static str,
    /// One log position: `entry` / `slot`.
    pub entry: &'static str,
    /// Several: `entries` / `slots`.
    pub entries: &'static str,
    /// The commit index: `commit index` / `highest chosen slot`.
    pub commit_index: &'static str,
}

impl Words {
    /// The words of `protocol`, if it has leaders and a log.
    pub fn of(protocol: Protocol) -> Option<Words> {
        match protocol.capabilities().view {
            ServerView::Log => Some(Words {
                round: "term",
                committed: "committed",
                entry: "entry",
                entries: "entries",
                commit_index: "commit index",
            }),
            ServerView::Slots => Some(Words {
                round: "ballot round",
                committed: "chosen",
                entry: "slot",
                entries: "slots",
                commit_index: "highest chosen slot",
            }),
            _ => None,
        }
    }

    /// `leader of term 3` / `leader of ballot round 3`.
    pub fn leader_of(&self, term: u64) -> String {
        format!("leader of {} {term}", self.round)
    }
}

pub(crate) struct Story<'a> {
    input: &'a Inputs<'a>,
    lanes: Vec<Lane>,
    servers: Vec<usize>,
    end: u64,
    /// The protocol's words, if it has leaders and a log.
    words: Option<Words>,
    out: Vec<(u64, u8, String)>,
}

/// The story of a run, in time order, then the closing summary.
pub fn narrative(input: &Inputs<'_>) -> Vec<Sentence> {
    let lanes = lanes(input.recording);
    let servers: Vec<usize> = lanes.iter().enumerate().filter(|(_, l)| l.server).map(|(i, _)| i).collect();
    let words = Words::of(input.outcome.protocol)
        .filter(|_| lanes.iter().any(|l| l.roles.iter().any(|r| r.role != Role::Peer)));
    let mut story = Story { input, lanes, servers, end: input.end_ns(), words, out: Vec::new() };
    let mut sentences = vec![Sentence { t_ns: None, text: story.setup() }];
    let bands = bands(input.outcome, story.end);
    if bands.len() <= DETAILED_FAULTS {
        for b in &bands {
            story.fault(b);
        }
        story.network_ends();
    } else {
        story.many_faults(&bands);
    }
    if let Some(w) = story.words {
        story.elections(&bands, w);
        story.two_leaders(w);
        if bands.len() <= DETAILED_FAULTS {
            story.commits_during(&bands, w);
        }
        story.commit_stalls(w);
    }
    story.client_stalls();
    story.counterexample();
    if let Some(h) = &input.outcome.halted {
        story.push(
            h.at.0,
            9,
            format!("At {} the run stopped: {} on {} saw {}.", at(h.at.0), h.check, h.node, h.detail),
        );
    }
    // Stable: sentences of one moment and kind keep the order they were made in.
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
            Protocol::RAFT => "Raft",
            Protocol::PAXOS => "Multi-Paxos",
            p => p.title(),
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
        } else if self.input.outcome.protocol.capabilities().view == ServerView::Values {
            format!("{servers} gossiped the values that {clients} injected, for {dur}.")
        } else {
            format!("{servers} ran {protocol} for {dur}; {clients} took part.")
        }
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
}
