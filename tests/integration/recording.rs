//! The flight recording (`recording.json`) never shows a state that did not exist.
//!
//! Every shipped Raft and Multi-Paxos scenario runs with several seeds, with the default
//! recording (as `eightfold run` writes it) read back through its JSON form. The recording
//! is then replayed frame by frame (one frame per log point, in time order) and each frame
//! must satisfy what the invariant checker enforces on the live run:
//!
//! - **no commit without a majority**: no server shows a commit index above what a
//!   majority of the servers' logs held at that instant (of the voters the entry was first
//!   committed under; a crashed server holds what its disk holds, which is what it recovers
//!   when it restarts);
//! - **logs shrink only by an explicit truncation** (or a crash and restart), and a server's
//!   commit index never exceeds its own log;
//! - **a restart shows what recovery read**: at its restart a server shows its recovery.
//!
//! For the first seed of each scenario the run's event trace is also kept, and an oracle
//! (an independent, unthinned follower of every observation) checks the recording against
//! what really happened: at every instant where anything changed, each running server's
//! displayed log is its true state, or, outside the recorded window only, a range that
//! contains it; inside the window no point is thinned; and each recovery is exactly the
//! state the server announced while booting.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::common::shipped_scenarios;
use eightfold::runner::{self, RunOptions};
use eightfold::scenario::{self, Protocol, Scenario};
use eightfold::world::recorder::{LogPoint, Recording};
use eightfold::world::{Lifecycle, NodeKind};

/// Seeds per scenario (the first also checked against its trace).
const SEEDS: [u64; 3] = [1, 2, 3];

/// A server's log as the oracle follows it: every entry's term, last index, commit.
#[derive(Clone, Debug, Default)]
struct TrueLog {
    terms: BTreeMap<u64, u64>,
    snapshot: (u64, u64),
    last: u64,
    last_term: u64,
    commit: u64,
}

impl TrueLog {
    fn view(&self) -> (u64, u64, u64) {
        (self.last, self.last_term, self.commit)
    }

    /// Applies one observation line of the trace; true if the log changed.
    fn apply(&mut self, obs: &serde_json::Value) -> bool {
        let n = |k: &str| obs[k].as_u64().unwrap_or_else(|| panic!("{k} in {obs}"));
        let before = self.view();
        match obs["obs"].as_str().expect("obs kind") {
            "appended" => self.extend(n("index"), n("index"), n("term")),
            "accepted" => self.extend(n("first"), n("last"), n("term")),
            "truncated" => {
                let from = n("from");
                self.terms.split_off(&from);
                if from <= self.last {
                    self.last = from - 1;
                    self.last_term = match self.terms.get(&self.last) {
                        Some(&t) => t,
                        None if self.last == self.snapshot.0 => self.snapshot.1,
                        None => 0,
                    };
                }
            }
            "committed" => self.commit = n("index"),
            "snapshot" => {
                let (index, term) = (n("index"), n("term"));
                self.snapshot = (index, term);
                if index > self.last {
                    self.last = index;
                    self.last_term = term;
                }
                self.commit = self.commit.max(index);
            }
            _ => {}
        }
        self.view() != before
    }

    fn extend(&mut self, first: u64, last: u64, term: u64) {
        for i in first..=last {
            self.terms.insert(i, term);
        }
        if last >= self.last {
            self.last = last;
            self.last_term = term;
        }
    }
}

/// What the oracle saw of one server: its true log after each instant at which it changed
/// (the state after the instant's last change), and what it announced at each boot.
#[derive(Clone, Debug, Default)]
struct Truth {
    log: TrueLog,
    up: bool,
    changes: BTreeMap<u64, (u64, u64, u64)>,
    boots: Vec<(u64, (u64, u64, u64), bool)>,
    booting: Option<u64>,
    announced_log: bool,
}

/// Follows the trace line by line as the run writes it, keeping only what the oracle needs.
#[derive(Default)]
struct Oracle {
    servers: usize,
    partial: Vec<u8>,
    truth: Vec<Truth>,
}

impl Oracle {
    fn server(&self, v: &serde_json::Value, key: &str) -> Option<usize> {
        let name = v[key].as_str()?;
        let i: usize = name.strip_prefix('n')?.parse().ok()?;
        (i >= 1 && i <= self.servers).then_some(i - 1)
    }

    fn end_boot(&mut self) {
        for tr in &mut self.truth {
            if let Some(t) = tr.booting.take() {
                tr.boots.push((t, tr.log.view(), tr.announced_log));
            }
        }
    }

    fn line(&mut self, line: &[u8]) {
        let text = std::str::from_utf8(line).expect("utf8 trace");
        let boot_continues = |o: &Oracle, v: &serde_json::Value| {
            // While a server boots, the trace shows its observations (and any sends of
            // its boot handler) at the start instant, and nothing else.
            o.truth.iter().any(|tr| tr.booting.is_some())
                && (v["ev"] == "obs" || v["ev"] == "send")
                && o.truth.iter().enumerate().any(|(i, tr)| {
                    tr.booting == v["t"].as_u64()
                        && (o.server(v, "node") == Some(i) || o.server(v, "from") == Some(i))
                })
        };
        let booting = self.truth.iter().any(|tr| tr.booting.is_some());
        let is = |k: &str| text.contains(k);
        let interesting = is("\"ev\":\"obs\"")
            || is("\"ev\":\"start\"")
            || is("\"ev\":\"crash\"")
            || (booting && is("\"ev\":\"send\""));
        if !interesting {
            self.end_boot();
            return;
        }
        let v: serde_json::Value = serde_json::from_str(text).expect("a trace line is JSON");
        if !boot_continues(self, &v) {
            self.end_boot();
        }
        let t = v["t"].as_u64().expect("t");
        match v["ev"].as_str() {
            Some("start") => {
                if let Some(i) = self.server(&v, "node") {
                    let tr = &mut self.truth[i];
                    tr.log = TrueLog::default();
                    if !tr.changes.is_empty() {
                        // A new incarnation starts from nothing but its disk.
                        tr.changes.insert(t, tr.log.view());
                    }
                    tr.up = true;
                    tr.booting = Some(t);
                    tr.announced_log = false;
                }
            }
            Some("crash") => {
                if let Some(i) = self.server(&v, "node") {
                    self.truth[i].up = false;
                }
            }
            Some("obs") => {
                if let Some(i) = self.server(&v, "node") {
                    let tr = &mut self.truth[i];
                    let kind = v["obs"].as_str().unwrap_or("");
                    if ["appended", "accepted", "truncated", "committed", "snapshot"].contains(&kind) {
                        tr.announced_log = true;
                    }
                    if tr.log.apply(&v) {
                        tr.changes.insert(t, tr.log.view());
                    }
                }
            }
            _ => {}
        }
    }
}

/// The trace sink: hands each complete line to the oracle.
#[derive(Clone)]
struct Sink(Arc<Mutex<Oracle>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let mut o = self.0.lock().expect("lock");
        o.partial.extend_from_slice(b);
        let mut start = 0;
        let buf = std::mem::take(&mut o.partial);
        while let Some(k) = buf[start..].iter().position(|&c| c == b'\n') {
            o.line(&buf[start..start + k]);
            start += k + 1;
        }
        o.partial = buf[start..].to_vec();
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `s` with `seed` and the default recording, read back from its JSON form; with
/// `oracle`, also follows the trace.
fn record(s: &Scenario, seed: u64, oracle: bool) -> (Recording, Option<Vec<Truth>>) {
    let servers = s.cluster.nodes as usize;
    let shared =
        Arc::new(Mutex::new(Oracle { servers, truth: vec![Truth::default(); servers], ..Oracle::default() }));
    let trace: Option<Box<dyn Write + Send>> =
        if oracle { Some(Box::new(Sink(shared.clone()))) } else { None };
    let out = runner::run_full(
        s,
        RunOptions { record: Some(runner::default_recording(s)), trace, ..RunOptions::seed(seed) },
    )
    .expect("the run completes");
    let json = serde_json::to_string(&out.recording.expect("recorded")).expect("serialises");
    let rec: Recording = serde_json::from_str(&json).expect("recording.json reads back");
    let truth = oracle.then(|| {
        let mut o = shared.lock().expect("lock");
        o.end_boot();
        o.truth.clone()
    });
    (rec, truth)
}

/// The lifecycle events of node `node`, in order.
fn life(rec: &Recording, node: u32) -> Vec<(u64, Lifecycle)> {
    rec.lifecycle.iter().filter(|e| e.node == node).map(|e| (e.t, e.event)).collect()
}

/// True if `node` was crashed at `t` (a crash at `t` counts; a restart at `t` ends it).
fn down_at(life: &[(u64, Lifecycle)], t: u64) -> bool {
    let mut down = false;
    for &(at, e) in life {
        if at > t {
            break;
        }
        match e {
            Lifecycle::Crash => down = true,
            Lifecycle::Start => down = false,
            _ => {}
        }
    }
    down
}

/// What the page shows of a log at `t`: the point in force, and the thinned point ahead
/// whose changes have begun (then the log lies between the two).
fn shown(log: &[LogPoint], t: u64) -> (Option<LogPoint>, Option<LogPoint>) {
    let k = log.partition_point(|p| p.t <= t);
    let cur = k.checked_sub(1).map(|k| log[k]);
    let moving = log.get(k).filter(|q| q.since.is_some_and(|s| s <= t)).copied();
    (cur, moving)
}

/// True if `node` was crashed just before `t` and did not restart at `t`.
fn crashed_during(life: &[(u64, Lifecycle)], t: u64) -> bool {
    let before = life.iter().rev().find(|e| e.0 < t && matches!(e.1, Lifecycle::Crash | Lifecycle::Start));
    before.is_some_and(|e| e.1 == Lifecycle::Crash)
        && !life.iter().any(|&(at, e)| at == t && e == Lifecycle::Start)
}

/// The frame-by-frame properties of one recording. `what` names the run in messages.
fn check_frames(rec: &Recording, what: &str) {
    let everyone: Vec<u32> = rec
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == NodeKind::Server)
        .map(|(i, _)| i as u32)
        .collect();
    // Per track: its points, lifecycle, recoveries, truncations.
    for track in &rec.tracks {
        let life = life(rec, track.node);
        let name = &rec.nodes[track.node as usize].name;
        for w in track.log.windows(2) {
            let (p, q) = (w[0], w[1]);
            assert!(p.t <= q.t, "{what}: {name}'s points go back in time: {p:?} then {q:?}");
            let restarted =
                track.recoveries.iter().any(|r| {
                    r.t == q.t && (r.last, r.last_term, r.commit) == (q.last, q.last_term, q.commit)
                }) && life.iter().any(|&(t, e)| e == Lifecycle::Crash && p.t <= t && t <= q.t);
            if q.last < p.last {
                let truncated = track.truncations.iter().any(|x| x.t == q.t && x.from == q.last + 1);
                assert!(
                    truncated || restarted,
                    "{what}: {name}'s log shrank from {} to {} at {} without a truncation or a restart",
                    p.last,
                    q.last,
                    q.t
                );
            }
            if q.commit < p.commit {
                assert!(
                    restarted,
                    "{what}: {name}'s commit index fell from {} to {} at {}",
                    p.commit, q.commit, q.t
                );
            }
        }
        for p in &track.log {
            assert!(
                p.commit <= p.last,
                "{what}: {name} shows commit {} above its own last index {} at {}",
                p.commit,
                p.last,
                p.t
            );
            assert!(!crashed_during(&life, p.t), "{what}: {name} has a point while crashed: {p:?}");
            if let Some(since) = p.since {
                assert!(
                    since > rec.window.1 || p.t < rec.window.0,
                    "{what}: {name} has a thinned point inside the recorded window: {p:?}"
                );
                assert_eq!(
                    since / rec.thin_ns,
                    p.t / rec.thin_ns,
                    "{what}: {name}'s point spans buckets: {p:?}"
                );
            }
        }
        for r in &track.recoveries {
            assert!(
                track.log.iter().any(|p| p.t == r.t
                    && p.since.is_none()
                    && (p.last, p.last_term, p.commit) == (r.last, r.last_term, r.commit)),
                "{what}: at its restart at {} {name} does not show what recovery read ({r:?})",
                r.t
            );
            assert!(
                life.iter().any(|&(t, e)| t == r.t && e == Lifecycle::Start),
                "{what}: {name}'s recovery at {} is no start",
                r.t
            );
        }
    }
    // Frames: every point of every server, in time order.
    let mut frames: Vec<(u64, u32, usize)> = Vec::new();
    for (k, track) in rec.tracks.iter().enumerate() {
        frames.extend(track.log.iter().enumerate().map(|(j, p)| (p.t, k as u32, j)));
    }
    frames.sort();
    let mut pos = vec![0usize; rec.tracks.len()]; // points of each track applied so far
    let lives: Vec<Vec<(u64, Lifecycle)>> = rec.tracks.iter().map(|tr| life(rec, tr.node)).collect();
    // The voters a commit index was first shown under: (highest index, voters), ascending.
    let mut committed_under: Vec<(u64, Vec<u32>)> = Vec::new();
    let voters_of = |k: usize, t: u64| -> Vec<u32> {
        let m = &rec.tracks[k].membership;
        let i = m.partition_point(|p| p.t <= t);
        i.checked_sub(1).map_or(everyone.clone(), |i| m[i].voters.clone())
    };
    for &(t, k, j) in &frames {
        pos[k as usize] = j + 1;
        let shown_commit = rec.tracks[k as usize].log[j].commit;
        let top = committed_under.last().map_or(0, |c| c.0);
        if shown_commit > top {
            committed_under.push((shown_commit, voters_of(k as usize, t)));
        }
        // How far each server's log reaches at this frame, at most (a server whose log is
        // moving through a thinned stretch may already hold the end of it; a crashed one
        // holds what it recovers next).
        let held = |m: usize| -> u64 {
            let track = &rec.tracks[m];
            let applied = &track.log[..pos[m]];
            if down_at(&lives[m], t) {
                return track
                    .recoveries
                    .iter()
                    .find(|r| r.t > t)
                    .map_or(applied.last().map_or(0, |p| p.last), |r| r.last);
            }
            let cur = applied.last().map_or(0, |p| p.last);
            match track.log.get(pos[m]) {
                Some(q) if q.since.is_some_and(|s| s <= t) => cur.max(q.last),
                _ => cur,
            }
        };
        for (m, track) in rec.tracks.iter().enumerate() {
            if down_at(&lives[m], t) || pos[m] == 0 {
                continue;
            }
            let c = track.log[pos[m] - 1].commit;
            if c == 0 {
                continue;
            }
            let voters = &committed_under[committed_under.partition_point(|x| x.0 < c)].1;
            let holding = rec
                .tracks
                .iter()
                .enumerate()
                .filter(|(_, tr)| voters.contains(&tr.node))
                .filter(|&(i, _)| held(i) >= c)
                .count();
            assert!(
                holding > voters.len() / 2,
                "{what}: at {t} {} shows commit {c} but only {holding} of the {} voters {voters:?} hold it",
                rec.nodes[track.node as usize].name,
                voters.len()
            );
        }
    }
}

/// The recording against the oracle: at every instant where a server's true log or its
/// recorded points changed, a running server shows its true state (or, outside the
/// window, a range that contains it), and each recovery is what the server announced
/// while booting.
fn check_against_truth(rec: &Recording, truth: &[Truth], what: &str) {
    let mut checked = 0u64;
    for (i, tr) in truth.iter().enumerate() {
        let Some(track) = rec.track(i as u32) else { panic!("{what}: no track for server {i}") };
        let name = &rec.nodes[i].name;
        let life = life(rec, i as u32);
        let mut instants: Vec<u64> = tr.changes.keys().copied().collect();
        instants.extend(track.log.iter().map(|p| p.t));
        instants.sort_unstable();
        instants.dedup();
        for &t in &instants {
            if down_at(&life, t) {
                continue;
            }
            // The true state after everything at `t` (the last change at or before it).
            let Some((_, &want)) = tr.changes.range(..=t).next_back() else {
                assert!(track.log.iter().all(|p| p.t > t), "{what}: {name} shows a log before having one");
                continue;
            };
            let (cur, moving) = shown(&track.log, t);
            // Before its first point a server shows no log: nothing yet, or a first range.
            let cur = cur.unwrap_or_else(|| {
                assert!(moving.is_some(), "{what}: at {t} {name} holds {want:?} but shows nothing");
                LogPoint { t: 0, last: 0, last_term: 0, commit: 0, since: None }
            });
            checked += 1;
            match moving {
                None => assert_eq!(
                    (cur.last, cur.last_term, cur.commit),
                    want,
                    "{what}: at {t} {name} shows a log that is not its state"
                ),
                Some(q) => {
                    assert!(t > rec.window.1 || t < rec.window.0, "{what}: a range inside the window at {t}");
                    assert!(
                        cur.last <= want.0 && want.0 <= q.last && cur.commit <= want.2 && want.2 <= q.commit,
                        "{what}: at {t} {name} is at {want:?}, outside the range shown {cur:?} .. {q:?}"
                    );
                }
            }
        }
        // Every boot after which the server held a log has its recovery, as announced.
        let boots: Vec<_> = tr.boots.iter().filter(|b| b.2).collect();
        assert_eq!(
            track.recoveries.len(),
            boots.len(),
            "{what}: {name} booted with a log {} times but has {} recoveries",
            boots.len(),
            track.recoveries.len()
        );
        for (r, b) in track.recoveries.iter().zip(boots) {
            assert_eq!(
                (r.t, (r.last, r.last_term, r.commit)),
                (b.0, b.1),
                "{what}: {name}'s recovery is not what it read"
            );
        }
    }
    assert!(checked > 0, "{what}: nothing was checked");
}

#[test]
fn recordings_never_show_a_state_that_did_not_exist() {
    let runs: Vec<(Scenario, u64)> = shipped_scenarios()
        .iter()
        .map(|p| scenario::load(p).expect("shipped scenarios are valid"))
        .filter(|s| matches!(s.cluster.protocol, Protocol::RAFT | Protocol::PAXOS))
        .flat_map(|s| SEEDS.map(|seed| (s.clone(), seed)))
        .collect();
    assert!(runs.len() >= 20 * SEEDS.len(), "every Raft and Paxos scenario: {}", runs.len() / SEEDS.len());
    let next = AtomicUsize::new(0);
    let (restarts, truncations) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((s, seed)) = runs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let what = format!("{} seed {seed}", s.name);
                    let (rec, truth) = record(s, *seed, *seed == SEEDS[0]);
                    check_frames(&rec, &what);
                    if let Some(truth) = truth {
                        check_against_truth(&rec, &truth, &what);
                    }
                    let restarted = rec
                        .tracks
                        .iter()
                        .map(|t| t.recoveries.iter().filter(|r| r.t > 0).count())
                        .sum::<usize>();
                    restarts.fetch_add(restarted, Ordering::Relaxed);
                    truncations
                        .fetch_add(rec.tracks.iter().map(|t| t.truncations.len()).sum(), Ordering::Relaxed);
                }
            });
        }
    });
    // The scenarios exercise what the properties are about.
    assert!(restarts.into_inner() >= 10, "few restarts recorded");
    assert!(truncations.into_inner() >= 3, "few truncations recorded");
}

/// The two states the issue reported, pinned: the stranded leader of the minority
/// partition at 3.0034 s, and the restarted leader of the crash scenario from 6.000 s.
#[test]
fn the_two_reported_defects_are_gone() {
    let load = |name: &str| {
        scenario::load(&super::common::root().join(format!("scenarios/{name}.json"))).expect("valid")
    };
    let (rec, _) = record(&load("raft-minority-partition"), 1, false);
    let t = 3_003_400_000;
    let n4 = rec.track(3).expect("n4");
    let (cur, moving) = shown(&n4.log, t);
    let commit = cur.expect("n4 has a log").commit;
    assert!(moving.is_none(), "t = 3.0034 s is inside the recorded window");
    let holding =
        rec.tracks.iter().filter(|tr| shown(&tr.log, t).0.is_some_and(|p| p.last >= commit)).count();
    assert!(holding >= 3, "n4 shows commit {commit}, but only {holding} servers hold it");

    let (rec, _) = record(&load("raft-leader-crash"), 1, false);
    let n4 = rec.track(3).expect("n4");
    let r = n4.recoveries.iter().find(|r| r.t == 6_000_000_000).expect("n4 restarted at 6 s");
    assert!(r.last >= 1396 && r.snapshot == 1000 && r.commit == 1000, "{r:?}");
    let (cur, _) = shown(&n4.log, 6_000_000_000);
    assert_eq!(cur.map(|p| p.last), Some(r.last), "n4 shows what it read at its restart");
    // Until the leader's snapshot replaced its log, n4 kept showing the entries it read.
    let x = n4.truncations.first().expect("n4's log was replaced");
    let (cur, _) = shown(&n4.log, x.t - 1);
    assert!(cur.is_some_and(|p| p.last >= r.last), "{cur:?}");
}

/// True if `f` panics (a check that found something).
fn fails(f: impl FnOnce()) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err()
}

/// The checks above are not vacuous: recordings with the defects of the old recorder (a
/// sample at most every 5 ms, a change that was not due dropped and carried forward; a
/// restart shown as its first announcement) and with a truncation left out are caught.
#[test]
fn the_checks_catch_what_the_old_recorder_did() {
    let load = |name: &str| {
        scenario::load(&super::common::root().join(format!("scenarios/{name}.json"))).expect("valid")
    };
    let (rec, truth) = record(&load("raft-minority-partition"), 1, true);
    let truth = truth.expect("traced");
    // The old sampling, rebuilt from the true changes.
    let mut old = rec.clone();
    for (track, tr) in old.tracks.iter_mut().zip(&truth) {
        let mut kept: Vec<LogPoint> = Vec::new();
        for (&t, &(last, last_term, commit)) in &tr.changes {
            if kept.last().is_none_or(|p| t - p.t >= 5_000_000) {
                kept.push(LogPoint { t, last, last_term, commit, since: None });
            }
        }
        track.log = kept;
    }
    let stale_truth = fails(|| check_against_truth(&old, &truth, "old sampling"));
    let stale_frames = fails(|| check_frames(&old, "old sampling"));
    // A truncation left out.
    let mut untruncated = rec.clone();
    let with_truncation = untruncated.tracks.iter().position(|t| !t.truncations.is_empty());
    if let Some(k) = with_truncation {
        untruncated.tracks[k].truncations.clear();
    }
    let missing_truncation = fails(|| check_frames(&untruncated, "no truncation"));
    // A restart shown as the snapshot alone, as the old recorder did.
    let (rec, truth) = record(&load("raft-leader-crash"), 1, true);
    let truth = truth.expect("traced");
    let mut first_only = rec.clone();
    let n4 = &mut first_only.tracks[3];
    let r = n4.recoveries.iter().find(|r| r.t == 6_000_000_000).copied().expect("n4 restarted at 6 s");
    for p in n4.log.iter_mut().filter(|p| p.t == r.t) {
        (p.last, p.last_term, p.commit) = (r.snapshot, 1, r.snapshot);
    }
    let restart_truth = fails(|| check_against_truth(&first_only, &truth, "first announcement"));
    let restart_frames = fails(|| check_frames(&first_only, "first announcement"));
    assert!(stale_truth, "stale samples pass the comparison with the trace");
    assert!(stale_frames, "the old sampling's commit without a majority passes the frame check");
    assert!(with_truncation.is_some() && missing_truncation, "a log shrinking without a truncation passes");
    assert!(restart_truth && restart_frames, "a restart that does not show its recovery passes");
}
