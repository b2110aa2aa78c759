//! The data behind the step-through view of `index.html`, as compact JSON.
//!
//! Times are whole microseconds (a message takes at least a few of them), arrays replace
//! objects, and names are listed once and referred to by position, so a 60-second run with
//! thousands of log points and a window of messages stays a few hundred kilobytes. The
//! script rebuilds each node's state at any instant from these lists: its role and term
//! (role changes), crashed or paused (lifecycle), log (the recording's log points, each
//! `[t, node, last, last term, commit]`, with a sixth number on a thinned point: how long
//! before `t` the changes it stands for began, a stretch the page shows as a range), what
//! each restart recovered from disk, each truncation (with the snapshot that replaced the
//! log, if any), and the messages in flight (the window's messages with their send and end
//! times). `words` carries the protocol's words for its rounds, log and commit (`null` for
//! the quorum store and gossip, which have none, and whose page then shows no role, round or
//! log), so the script holds no protocol's vocabulary itself. `clients` holds the client
//! operations for the operation timeline and the counterexample ([`super::ops`]);
//! `checkFails` the instants at which a check is known to have failed, `[t, what]`. The
//! script steps by any one kind of event (faults, role changes, commits, client
//! operations, lost messages, check failures) from these same lists.

use crate::protocol::ServerView;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::fault::{Effect, FaultKind, FaultRecord, LinkChange};
use crate::net::Cut;
use crate::report::charts::Inputs;
use crate::report::charts::faults::bands;
use crate::report::charts::style::{fate_colour, fate_meaning, kind_colour, role_colour};
use crate::sim::Role;
use crate::world::{Lifecycle, NodeKind};

/// Role names, by the code used in the data.
const ROLES: [Role; 5] = [Role::Follower, Role::Probing, Role::Candidate, Role::Leader, Role::Peer];

fn us(ns: u64) -> u64 {
    ns / 1000
}

fn role_code(r: Role) -> usize {
    ROLES.iter().position(|&x| x == r).unwrap_or(4)
}

fn life_code(e: Lifecycle) -> u8 {
    match e {
        Lifecycle::Start => 0,
        Lifecycle::Crash => 1,
        Lifecycle::Pause => 2,
        Lifecycle::Resume => 3,
    }
}

/// The step-through data of a run.
pub fn data(input: &Inputs<'_>) -> Value {
    let rec = input.recording;
    let nodes: Vec<Value> = rec
        .nodes
        .iter()
        .map(|n| json!([n.name, if n.kind == NodeKind::Server { "s" } else { "c" }]))
        .collect();
    let roles: Vec<Value> =
        rec.roles.iter().map(|r| json!([us(r.t), r.node, role_code(r.role), r.term])).collect();
    let life: Vec<Value> =
        rec.lifecycle.iter().map(|e| json!([us(e.t), e.node, life_code(e.event)])).collect();
    let mut log: Vec<Value> = Vec::new();
    let mut recoveries: Vec<Value> = Vec::new();
    let mut truncations: Vec<Value> = Vec::new();
    for track in &rec.tracks {
        let n = track.node;
        log.extend(track.log.iter().map(|p| match p.since {
            // A thinned point: how long before it the changes it stands for began.
            Some(since) => json!([us(p.t), n, p.last, p.last_term, p.commit, us(p.t) - us(since)]),
            None => json!([us(p.t), n, p.last, p.last_term, p.commit]),
        }));
        recoveries.extend(
            track.recoveries.iter().map(|r| json!([us(r.t), n, r.snapshot, r.last, r.last_term, r.commit])),
        );
        // A truncation with a snapshot installed at the same instant: the log was replaced.
        truncations.extend(track.truncations.iter().map(|x| {
            let snapshot = track.snapshots.iter().find(|s| s.t == x.t).map_or(0, |s| s.index);
            json!([us(x.t), n, x.from, snapshot])
        }));
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fates: BTreeMap<&str, usize> = BTreeMap::new();
    fates.insert("delivered", 0);
    for m in &rec.messages {
        kinds.entry(&m.kind).or_default();
        fates.entry(&m.fate).or_default();
    }
    for (i, v) in kinds.values_mut().enumerate() {
        *v = i;
    }
    for (i, v) in fates.values_mut().enumerate() {
        *v = i;
    }
    // A message's contents ride with it as [name, value, name, value, …], each name an
    // index into `fieldNames` (the names repeat in every message of a kind).
    let mut field_names: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &rec.messages {
        for f in &m.contents.0 {
            field_names.entry(&f.0).or_default();
        }
    }
    for (i, v) in field_names.values_mut().enumerate() {
        *v = i;
    }
    let msgs: Vec<Value> = rec
        .messages
        .iter()
        .map(|m| {
            let mut row = json!([
                us(m.sent),
                us(m.end.max(m.sent)),
                m.from,
                m.to,
                kinds[m.kind.as_str()],
                fates[m.fate.as_str()]
            ]);
            if !m.contents.is_empty() {
                let flat: Vec<Value> = m
                    .contents
                    .0
                    .iter()
                    .flat_map(|f| [json!(field_names[f.0.as_ref()]), json!(f.1)])
                    .collect();
                row.as_array_mut().expect("a row is an array").push(Value::Array(flat));
            }
            row
        })
        .collect();
    let faults: Vec<Value> = bands(input.outcome, input.end_ns())
        .iter()
        // The fifth field: still in effect when the run ended (so in effect at its last
        // instant too, where one that ended then is not).
        .map(|b| json!([us(b.start), us(b.end), b.label(), b.kind, u8::from(b.open)]))
        .collect();
    let state = input.vocab().log.map(|_| server_state(input));
    let words = input.vocab().log.map(|w| {
        json!({
            "round": w.round,
            "roundShort": w.round_short,
            "log": w.log,
            "position": w.position,
            "positions": w.positions,
            "stageLog": w.stage_log,
            "stageCommit": w.stage_commit,
            "thinned": w.thinned,
            "compare": w.compares_logs,
        })
    });
    json!({
        "words": words,
        "nodes": nodes,
        "end": us(input.end_ns()),
        "window": [us(rec.window.0), us(rec.window.1)],
        "roles": roles,
        "roleNames": ROLES.iter().map(|r| r.name()).collect::<Vec<_>>(),
        "roleColours": ROLES.iter().map(|&r| role_colour(r)).collect::<Vec<_>>(),
        "life": life,
        "log": log,
        "thin": us(rec.thin_ns).max(1),
        "recoveries": recoveries,
        "truncations": truncations,
        "kinds": kinds.keys().collect::<Vec<_>>(),
        "kindColours": kinds.iter().map(|(k, i)| kind_colour(k, *i)).collect::<Vec<_>>(),
        "fates": fates.keys().collect::<Vec<_>>(),
        "fateColours": fates.keys().map(|f| fate_colour(f)).collect::<Vec<_>>(),
        "fateMeanings": fates.keys().map(|f| fate_meaning(f)).collect::<Vec<_>>(),
        "msgs": msgs,
        "fieldNames": field_names.keys().collect::<Vec<_>>(),
        "faults": faults,
        "net": bands(input.outcome, input.end_ns()).iter().map(|b| net(b.record)).collect::<Vec<_>>(),
        "clients": super::ops::data(input),
        "state": state,
        "peers": peers_state(input),
        "checkFails": super::ops::check_failures(input.outcome)
            .into_iter()
            .map(|(t, what)| json!([us(t), what]))
            .collect::<Vec<_>>(),
    })
}

/// What a fault did to the network or to a node's speed, for the stage to draw (node
/// positions, as in `nodes`): `{"groups": [[..], ..]}` for a partition's sides,
/// `{"from": [..], "to": [..]}` for a one-way cut, `{"blocked": [[a, b], ..]}` for an
/// irregular cut (ring, bridge), `{"links": [[a, b], ..], "change": "down" | "slow" |
/// "degraded", "factor": x}` for changed links, `{"slow": node, "what": "CPU" | "disk",
/// "factor": x}` for a slowed node; `null` for every other fault (crashes and pauses are
/// drawn from the lifecycle events, which say when they really happened).
fn net(record: Option<&FaultRecord>) -> Value {
    let ids = |v: &[crate::sim::NodeId]| v.iter().map(|n| n.0).collect::<Vec<_>>();
    let pairs = |p: &[(crate::sim::NodeId, crate::sim::NodeId)]| {
        p.iter().map(|(a, b)| [a.0, b.0]).collect::<Vec<_>>()
    };
    let Some(r) = record else { return Value::Null };
    match &r.effect {
        Effect::Cut(Cut::Groups(g)) => json!({ "groups": g.iter().map(|x| ids(x)).collect::<Vec<_>>() }),
        Effect::Cut(Cut::OneWay { from, to }) => json!({ "from": ids(from), "to": ids(to) }),
        Effect::Cut(Cut::Pairs(p)) => json!({ "blocked": pairs(p) }),
        Effect::Links { pairs: p, change } => match change {
            LinkChange::Down => json!({ "links": pairs(p), "change": "down" }),
            LinkChange::LatencyFactor(f) => json!({ "links": pairs(p), "change": "slow", "factor": f }),
            LinkChange::Degraded => json!({ "links": pairs(p), "change": "degraded" }),
            LinkChange::Up => Value::Null,
        },
        Effect::Slow { node, factor } => json!({
            "slow": node.0,
            "what": if r.kind == FaultKind::SlowDisk { "disk" } else { "CPU" },
            "factor": factor,
        }),
        _ => Value::Null,
    }
}

/// What the per-server state panel draws beside the log points (protocols with a log): each
/// server's votes `[t, node, term, candidate]` (the whole run), the runs of terms of its log
/// `[t, node, start, term]` (the whole run; a Paxos acceptor's: the rounds its slots were
/// accepted in), its promises `[t, node, round, proposer]` (the whole run; Paxos), and inside the
/// recorded window its applied position `[t, node, index]`, its deadline `[t armed, node,
/// fires at or -1]` and, as a leader, its view of each follower `[t, node, peer, next,
/// matched]`, each series headed by the value in force when the window opened.
fn server_state(input: &Inputs<'_>) -> Value {
    let rec = input.recording;
    let (mut votes, mut runs, mut applied, mut deadlines, mut progress, mut promises) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for track in &rec.tracks {
        let n = track.node;
        votes.extend(track.votes.iter().map(|v| json!([us(v.t), n, v.term, v.candidate])));
        promises
            .extend(track.promises.iter().map(|&(t, round, proposer)| json!([us(t), n, round, proposer])));
        runs.extend(track.runs.iter().map(|r| json!([us(r.t), n, r.start, r.term])));
        applied.extend(track.applied.iter().map(|&(t, i)| json!([us(t), n, i])));
        deadlines.extend(
            track.deadlines.iter().map(|&(t, at)| json!([us(t), n, at.map_or(-1, |a| us(a) as i64)])),
        );
        progress.extend(track.progress.iter().map(|&(t, peer, next, m)| json!([us(t), n, peer, next, m])));
    }
    json!({
        "votes": votes,
        "runs": runs,
        "applied": applied,
        "deadlines": deadlines,
        "progress": progress,
        "promises": promises,
    })
}

/// What the leaderless panel draws (`null` for protocols with a log): a quorum store's
/// replicas' versions inside the recorded window `[t, node, key, stamp, coordinator]` (stamp
/// in ns of the coordinator's clock) and the hints waiting `[t, node, intended, key, stamp,
/// coordinator]`, or `[t, node, intended, key]` once handed back, each series headed by what
/// was in force when the window opened; gossip peers' values learned `[t, node, k]` over the
/// whole run, `k` the value's position in `values` (each value once, ascending). A start empties a node; what it recovers follows at the start's instant.
fn peers_state(input: &Inputs<'_>) -> Value {
    let rec = input.recording;
    match input.vocab().protocol.capabilities().view {
        ServerView::Versions => {
            let (mut versions, mut hints) = (Vec::new(), Vec::new());
            for track in &rec.tracks {
                let n = track.node;
                versions.extend(
                    track.versions.iter().map(|&(t, key, stamp, by)| json!([us(t), n, key, stamp, by])),
                );
                hints.extend(track.hints.iter().map(|&(t, intended, key, held)| match held {
                    Some((stamp, by)) => json!([us(t), n, intended, key, stamp, by]),
                    None => json!([us(t), n, intended, key]),
                }));
            }
            json!({ "versions": versions, "hints": hints })
        }
        ServerView::Values => {
            // Each value once, in `values`; a row names it by its position there.
            let values: BTreeMap<u64, usize> =
                rec.tracks.iter().flat_map(|x| x.learned.iter().map(|&(_, v)| (v, 0))).collect();
            let at: BTreeMap<u64, usize> = values.keys().enumerate().map(|(i, &v)| (v, i)).collect();
            let learned: Vec<Value> = rec
                .tracks
                .iter()
                .flat_map(|track| track.learned.iter().map(|&(t, v)| json!([us(t), track.node, at[&v]])))
                .collect();
            json!({ "values": values.keys().collect::<Vec<_>>(), "learned": learned })
        }
        ServerView::Log | ServerView::Slots | ServerView::Role => Value::Null,
    }
}

/// The data as text safe inside `<script type="application/json">`: every `<` (which can
/// only occur inside a JSON string) is written as the escape `\u003c`, so nothing in a node
/// name or a fault's description can close the script element.
pub fn embed(v: &Value) -> String {
    v.to_string().replace('<', "\\u003c")
}
