//! Schedules that contradict themselves on a named server, refused before anything runs.
//!
//! Each fault that starts, stops or stalls a server (`crash`, `restart`, `pause`, `resume`,
//! `rolling_restart`, and the automatic undo of a `crash` or `pause` with `for`) is a step
//! in that server's life: running → crashed → running, running → paused → running. The
//! steps are replayed in time order (at one instant, what ends goes before what starts) and
//! a step that does not fit the state the server is in is refused, naming **both** faults
//! and the conflict: `faults[1]: crashes n1 at 1.5s, but faults[0] keeps n1 paused from 1s
//! to 3s: a crashed node cannot be resumed at 3s; …`. At run time each of these would be
//! quietly ignored ("already down"), so the run would not be the one the file describes.
//!
//! The rules, for a server in each state:
//!
//! | step \ state | running | crashed | paused (open-ended) | paused (until a `for` ends) |
//! |---|---|---|---|---|
//! | crash | crashed | refused: already down | crashed (the crash ends the pause) | refused: nothing left to resume |
//! | pause | paused | refused: a crashed node cannot be paused | refused: already paused | refused: already paused |
//! | restart | refused: nothing to restart | running (refused if a `for` restarts it anyway) | refused: resume instead | refused: resume instead |
//! | resume | refused: nothing to resume | refused: restart instead | running | refused: the `for` resumes it anyway |
//!
//! Symbolic targets (`"leader"`, `"random"`, …) are resolved during the run and are not
//! checked here. Raft membership changes with concrete targets are checked the same way:
//! adding a server that already votes, removing one that does not, or removing the last
//! voter is refused.

use super::error::ScenarioError;
use super::model::{Fault, Protocol, Scenario};
use super::nodes::NodeRef;
use crate::sim::SimDuration;

/// What stops a server for a while.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Crash,
    Pause,
}

/// Why a server is not running: which entry stopped it, from when, and until when if the
/// entry itself undoes it.
#[derive(Copy, Clone, Debug)]
struct Hold {
    entry: usize,
    kind: Kind,
    from: u64,
    until: Option<u64>,
    rolling: bool,
}

/// One step of a server's life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Step {
    /// A crash or pause begins (`until`: when its own `for` undoes it).
    Start { kind: Kind, until: Option<u64>, rolling: bool },
    /// The automatic undo at the end of a crash or pause with `for` (or of one server's
    /// downtime in a rolling restart).
    End(Kind),
    /// An explicit `restart`.
    Restart,
    /// An explicit `resume`.
    Resume,
}

/// The last change of a server's state, to explain why it is running.
#[derive(Copy, Clone, Debug)]
struct Change {
    entry: usize,
    at: u64,
    what: &'static str,
}

fn t(ns: u64) -> SimDuration {
    SimDuration(ns)
}

fn node(id: u32) -> String {
    format!("n{}", id + 1)
}

/// "faults[0] keeps n1 paused from 1s to 3s", "faults[2] crashed n1 at 4s", ….
fn describe(h: &Hold, id: u32) -> String {
    let n = node(id);
    let e = h.entry;
    match (h.kind, h.until, h.rolling) {
        (_, Some(u), true) => {
            format!("the rolling restart of faults[{e}] keeps {n} down from {} to {}", t(h.from), t(u))
        }
        (Kind::Crash, Some(u), _) => format!("faults[{e}] keeps {n} crashed from {} to {}", t(h.from), t(u)),
        (Kind::Crash, None, _) => {
            format!("faults[{e}] crashed {n} at {} and nothing restarted it", t(h.from))
        }
        (Kind::Pause, Some(u), _) => format!("faults[{e}] keeps {n} paused from {} to {}", t(h.from), t(u)),
        (Kind::Pause, None, _) => format!("faults[{e}] paused {n} at {} and nothing resumed it", t(h.from)),
    }
}

/// What an entry does at `at` (its path is the error's, so it is not repeated).
fn doing(step: Step, id: u32, at: u64) -> String {
    let n = node(id);
    let verb = match step {
        Step::Start { rolling: true, .. } => {
            return format!("its rolling restart takes {n} down at {}", t(at));
        }
        Step::Start { kind: Kind::Crash, .. } => "crashes",
        Step::Start { kind: Kind::Pause, .. } => "pauses",
        Step::End(Kind::Crash) | Step::Restart => "restarts",
        Step::End(Kind::Pause) | Step::Resume => "resumes",
    };
    format!("{verb} {n} at {}", t(at))
}

/// Checks the lifecycle steps and membership changes of every concrete server.
pub fn validate(s: &Scenario) -> Result<(), ScenarioError> {
    lifecycle(s)?;
    membership(s)
}

fn lifecycle(s: &Scenario) -> Result<(), ScenarioError> {
    let mut steps: Vec<(u64, u8, usize, u32, Step)> = Vec::new();
    // At one instant, what ends goes before what starts (a restart at the instant of a new
    // crash is fine); automatic ends before explicit ones.
    let mut add = |at: u64, entry: usize, id: u32, step: Step| {
        let rank = match step {
            Step::End(_) => 0,
            Step::Restart | Step::Resume => 1,
            Step::Start { .. } => 2,
        };
        steps.push((at, rank, entry, id, step));
    };
    for (i, f) in s.faults.iter().enumerate() {
        let at = f.at.0.as_nanos();
        let until = f.lasts.map(|d| at.saturating_add(d.0.as_nanos()));
        let window = |n: &NodeRef, kind: Kind, add: &mut dyn FnMut(u64, usize, u32, Step)| {
            if let NodeRef::Server(id) = *n {
                add(at, i, id, Step::Start { kind, until, rolling: false });
                if let Some(u) = until {
                    add(u, i, id, Step::End(kind));
                }
            }
        };
        match &f.fault {
            Fault::Crash { node } => window(node, Kind::Crash, &mut add),
            Fault::Pause { node } => window(node, Kind::Pause, &mut add),
            Fault::Restart { node: NodeRef::Server(id) } => add(at, i, *id, Step::Restart),
            Fault::Resume { node: NodeRef::Server(id) } => add(at, i, *id, Step::Resume),
            Fault::RollingRestart { interval, downtime } => {
                for id in 0..s.cluster.nodes {
                    let down = at.saturating_add(interval.0.as_nanos().saturating_mul(u64::from(id)));
                    let up = down.saturating_add(downtime.0.as_nanos());
                    add(down, i, id, Step::Start { kind: Kind::Crash, until: Some(up), rolling: true });
                    add(up, i, id, Step::End(Kind::Crash));
                }
            }
            _ => {}
        }
    }
    steps.sort_by_key(|&(at, rank, entry, id, _)| (at, rank, entry, id));
    let n = s.cluster.nodes as usize;
    let mut held: Vec<Option<Hold>> = vec![None; n];
    let mut last: Vec<Option<Change>> = vec![None; n];
    for (at, _, i, id, step) in steps {
        let k = id as usize;
        if k >= n {
            continue; // a server that does not exist: refused elsewhere, with its path
        }
        let refuse = |why: String| {
            Err(ScenarioError::at(format!("faults[{i}]"), format!("{}, but {why}", doing(step, id, at))))
        };
        let running = |last: &Option<Change>| match last {
            Some(c) => {
                format!("{} is running then (faults[{}] {} it at {})", node(id), c.entry, c.what, t(c.at))
            }
            None => format!("{} is running then", node(id)),
        };
        match (step, held[k]) {
            (Step::Start { kind, until, rolling }, None) => {
                held[k] = Some(Hold { entry: i, kind, from: at, until, rolling });
            }
            (
                Step::Start { kind: Kind::Crash, until, rolling },
                Some(h @ Hold { kind: Kind::Pause, until: None, .. }),
            ) => {
                // Killing a stalled process: the crash ends the open-ended pause.
                let _ = h;
                held[k] = Some(Hold { entry: i, kind: Kind::Crash, from: at, until, rolling });
            }
            (
                Step::Start { kind: Kind::Crash, .. },
                Some(h @ Hold { kind: Kind::Pause, until: Some(u), .. }),
            ) => {
                return refuse(format!(
                    "{}: a crashed node cannot be resumed at {}; crash it after the pause, or end the pause before the crash",
                    describe(&h, id),
                    t(u)
                ));
            }
            (Step::Start { kind: Kind::Crash, .. }, Some(h @ Hold { kind: Kind::Crash, .. })) => {
                return refuse(format!("{}: it cannot crash again before it restarts", describe(&h, id)));
            }
            (Step::Start { kind: Kind::Pause, .. }, Some(h @ Hold { kind: Kind::Crash, .. })) => {
                return refuse(format!("{}: a crashed node cannot be paused", describe(&h, id)));
            }
            (Step::Start { kind: Kind::Pause, .. }, Some(h @ Hold { kind: Kind::Pause, .. })) => {
                return refuse(format!("{}: it cannot be paused twice", describe(&h, id)));
            }
            (Step::End(kind), Some(h)) if h.entry == i && h.kind == kind => {
                held[k] = None;
                let what = if kind == Kind::Crash { "restarted" } else { "resumed" };
                last[k] = Some(Change { entry: i, at, what });
            }
            (Step::End(_), other) => {
                // Every step that could have changed the state in between was refused.
                return Err(ScenarioError::at(
                    format!("faults[{i}]"),
                    format!(
                        "{}, but {} (internal: the schedule check lost track of {})",
                        doing(step, id, at),
                        other.map_or_else(|| running(&last[k]), |h| describe(&h, id)),
                        node(id)
                    ),
                ));
            }
            (Step::Restart, None) => {
                return refuse(format!("{}: there is nothing to restart", running(&last[k])));
            }
            (Step::Resume, None) => {
                return refuse(format!("{}: there is nothing to resume", running(&last[k])));
            }
            (Step::Restart, Some(h @ Hold { kind: Kind::Crash, until: Some(u), .. })) => {
                return refuse(format!(
                    "{}, and restarts it itself at {}: drop this restart or that fault's `for`",
                    describe(&h, id),
                    t(u)
                ));
            }
            (Step::Resume, Some(h @ Hold { kind: Kind::Pause, until: Some(u), .. })) => {
                return refuse(format!(
                    "{}, and resumes it itself at {}: drop this resume or that fault's `for`",
                    describe(&h, id),
                    t(u)
                ));
            }
            (Step::Restart, Some(Hold { kind: Kind::Crash, until: None, .. }))
            | (Step::Resume, Some(Hold { kind: Kind::Pause, until: None, .. })) => {
                held[k] = None;
                let what = if step == Step::Restart { "restarted" } else { "resumed" };
                last[k] = Some(Change { entry: i, at, what });
            }
            (Step::Restart, Some(h @ Hold { kind: Kind::Pause, .. })) => {
                return refuse(format!("{}: a paused node is resumed, not restarted", describe(&h, id)));
            }
            (Step::Resume, Some(h @ Hold { kind: Kind::Crash, .. })) => {
                return refuse(format!("{}: a crashed node is restarted, not resumed", describe(&h, id)));
            }
        }
    }
    Ok(())
}

/// Raft membership changes with concrete targets: add a server that does not vote, remove
/// one that does, never the last one. Tracking stops at the first symbolic target (the
/// voters after it are not known before the run).
fn membership(s: &Scenario) -> Result<(), ScenarioError> {
    if s.cluster.protocol != Protocol::RAFT {
        return Ok(());
    }
    let n = s.cluster.nodes as usize;
    // Who votes, and which entry made them a voter or not (None: from the start).
    let initial: Option<Vec<u32>> =
        s.cluster.raft.as_ref().and_then(|r| r.initial_voters.as_ref()).map(|v| {
            v.iter()
                .filter_map(|r| match r {
                    NodeRef::Server(id) => Some(*id),
                    _ => None,
                })
                .collect()
        });
    let mut voter: Vec<(bool, Option<(usize, u64)>)> =
        (0..n as u32).map(|id| (initial.as_ref().is_none_or(|v| v.contains(&id)), None)).collect();
    let mut changes: Vec<(u64, usize, bool, &NodeRef)> = s
        .faults
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match &f.fault {
            Fault::AddServer { node } => Some((f.at.0.as_nanos(), i, true, node)),
            Fault::RemoveServer { node } => Some((f.at.0.as_nanos(), i, false, node)),
            _ => None,
        })
        .collect();
    changes.sort_by_key(|&(at, i, _, _)| (at, i));
    for (at, i, add, target) in changes {
        let NodeRef::Server(id) = *target else { return Ok(()) };
        let k = id as usize;
        if k >= n {
            continue;
        }
        let name = node(id);
        let since = |c: Option<(usize, u64)>, made: &str| match c {
            Some((j, when)) => format!(" (faults[{j}] {made} it at {})", t(when)),
            None if made == "added" => " (it votes from the start)".to_string(),
            None => " (cluster.raft.initial_voters leaves it out)".to_string(),
        };
        let path = format!("faults[{i}]");
        match (add, voter[k]) {
            (true, (true, c)) => {
                return Err(ScenarioError::at(
                    path,
                    format!("adds {name} at {}, but {name} is already a voter{}", t(at), since(c, "added")),
                ));
            }
            (false, (false, c)) => {
                return Err(ScenarioError::at(
                    path,
                    format!(
                        "removes {name} at {}, but {name} is not a voter then{}",
                        t(at),
                        since(c, "removed")
                    ),
                ));
            }
            (false, (true, _)) if voter.iter().filter(|v| v.0).count() == 1 => {
                return Err(ScenarioError::at(
                    path,
                    format!(
                        "removes {name} at {}, but {name} is the last voter: a cluster cannot remove its last member",
                        t(at)
                    ),
                ));
            }
            _ => voter[k] = (add, Some((i, at))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse;

    /// Validates a 3-server Raft scenario of 10 s with these faults.
    fn check(faults: &[String]) -> Result<(), String> {
        let json = format!(
            r#"{{"name": "t", "duration": "10s", "cluster": {{"protocol": "raft", "nodes": 3}},
                "workload": {{"type": "kv", "clients": 1}}, "faults": [{}]}}"#,
            faults.join(", ")
        );
        parse(&json).map(|_| ()).map_err(|e| e.to_string())
    }

    /// What a case expects.
    #[derive(Clone, Copy, Debug)]
    enum Want {
        Ok,
        /// Refused at `faults[i]`, the message naming the other entry too and containing
        /// the fragment.
        Both(usize, &'static str),
        /// Refused at `faults[i]`, a fault wrong on its own.
        Alone(usize, &'static str),
    }
    use Want::*;

    /// A lifecycle fault of n1 at `at`.
    fn fault(kind: &str, at: &str) -> String {
        let (fault, extra) = match kind {
            "crash-for" => ("crash", r#", "for": "500ms""#),
            "crash" => ("crash", ""),
            "pause-for" => ("pause", r#", "for": "500ms""#),
            "pause" => ("pause", ""),
            "restart" => ("restart", ""),
            "resume" => ("resume", ""),
            "rolling" => {
                return format!(
                    r#"{{"at": "{at}", "fault": "rolling_restart", "interval": "1s", "downtime": "500ms"}}"#
                );
            }
            other => panic!("no kind {other}"),
        };
        format!(r#"{{"at": "{at}"{extra}, "fault": "{fault}", "node": "n1"}}"#)
    }

    /// Every ordered pair of lifecycle faults on one server, the second one inside the
    /// first one's window (2 s) and after it (4 s). The first runs from 1 s: a crash or
    /// pause with `for` until 3 s; without `for`, for ever; a rolling restart takes n1 down
    /// from 1 s to 1.5 s, n2 from 2 s, n3 from 3 s.
    #[test]
    fn every_pair_of_lifecycle_faults() {
        const SECOND: [&str; 7] =
            ["crash-for", "crash", "pause-for", "pause", "restart", "resume", "rolling"];
        let firsts: [(&str, &str, [Want; 7], [Want; 7]); 7] = [
            (
                "crash-for",
                r#"{"at": "1s", "for": "2s", "fault": "crash", "node": "n1"}"#,
                [
                    Both(1, "cannot crash again"),
                    Both(1, "cannot crash again"),
                    Both(1, "cannot be paused"),
                    Both(1, "cannot be paused"),
                    Both(1, "restarts it itself at 3s"),
                    Both(1, "restarted, not resumed"),
                    Both(1, "cannot crash again"),
                ],
                [Ok, Ok, Ok, Ok, Both(1, "nothing to restart"), Both(1, "nothing to resume"), Ok],
            ),
            (
                "crash",
                r#"{"at": "1s", "fault": "crash", "node": "n1"}"#,
                [
                    Both(1, "nothing restarted it"),
                    Both(1, "nothing restarted it"),
                    Both(1, "cannot be paused"),
                    Both(1, "cannot be paused"),
                    Ok,
                    Both(1, "restarted, not resumed"),
                    Both(1, "cannot crash again"),
                ],
                [
                    Both(1, "cannot crash again"),
                    Both(1, "cannot crash again"),
                    Both(1, "cannot be paused"),
                    Both(1, "cannot be paused"),
                    Ok,
                    Both(1, "restarted, not resumed"),
                    Both(1, "cannot crash again"),
                ],
            ),
            (
                "pause-for",
                r#"{"at": "1s", "for": "2s", "fault": "pause", "node": "n1"}"#,
                [
                    Both(1, "cannot be resumed at 3s"),
                    Both(1, "cannot be resumed at 3s"),
                    Both(1, "cannot be paused twice"),
                    Both(1, "cannot be paused twice"),
                    Both(1, "resumed, not restarted"),
                    Both(1, "resumes it itself at 3s"),
                    Both(1, "cannot be resumed at 3s"),
                ],
                [Ok, Ok, Ok, Ok, Both(1, "nothing to restart"), Both(1, "nothing to resume"), Ok],
            ),
            (
                "pause",
                r#"{"at": "1s", "fault": "pause", "node": "n1"}"#,
                // A crash (or a rolling restart) kills the stalled process: it ends the pause.
                [
                    Ok,
                    Ok,
                    Both(1, "cannot be paused twice"),
                    Both(1, "cannot be paused twice"),
                    Both(1, "resumed, not restarted"),
                    Ok,
                    Ok,
                ],
                [
                    Ok,
                    Ok,
                    Both(1, "cannot be paused twice"),
                    Both(1, "cannot be paused twice"),
                    Both(1, "resumed, not restarted"),
                    Ok,
                    Ok,
                ],
            ),
            (
                "restart",
                r#"{"at": "1s", "fault": "restart", "node": "n1"}"#,
                [Alone(0, "nothing to restart"); 7],
                [Alone(0, "nothing to restart"); 7],
            ),
            (
                "resume",
                r#"{"at": "1s", "fault": "resume", "node": "n1"}"#,
                [Alone(0, "nothing to resume"); 7],
                [Alone(0, "nothing to resume"); 7],
            ),
            (
                "rolling",
                r#"{"at": "1s", "fault": "rolling_restart", "interval": "1s", "downtime": "500ms"}"#,
                // n1 is back from 1.5 s; a second rolling restart from 2 s interleaves.
                [Ok, Ok, Ok, Ok, Both(1, "nothing to restart"), Both(1, "nothing to resume"), Ok],
                [Ok, Ok, Ok, Ok, Both(1, "nothing to restart"), Both(1, "nothing to resume"), Ok],
            ),
        ];
        let mut cases = 0;
        for (first, json, inside, after) in firsts {
            for (at, wants) in [("2s", inside), ("4s", after)] {
                for (second, want) in SECOND.iter().zip(wants) {
                    cases += 1;
                    let got = check(&[json.to_string(), fault(second, at)]);
                    let case = format!("{first} at 1s, then {second} at {at}: {got:?}");
                    match (want, &got) {
                        (Ok, Result::Ok(())) => {}
                        (Both(i, text) | Alone(i, text), Err(e)) => {
                            let other = 1 - i;
                            assert!(e.starts_with(&format!("faults[{i}]: ")), "{case}");
                            assert!(e.contains(text), "{case}: expected {text:?}");
                            assert_eq!(e.lines().count(), 1, "{case}");
                            if matches!(want, Both(..)) {
                                assert!(
                                    e.contains(&format!("faults[{other}]")),
                                    "{case}: names one entry only"
                                );
                            }
                        }
                        _ => panic!("{case}: expected {want:?}"),
                    }
                }
            }
        }
        assert_eq!(cases, 98);
    }

    /// The example of issue 14: a crash inside a pause with `for` is blamed on the crash,
    /// names the pause, and speaks of no `resume` fault the file does not contain.
    #[test]
    fn a_crash_inside_a_pause_names_both_and_the_conflict() {
        let e = check(&[
            r#"{"at":"1s","for":"2s","fault":"pause","node":"n1"}"#.into(),
            r#"{"at":"1.5s","for":"500ms","fault":"crash","node":"n1"}"#.into(),
        ])
        .unwrap_err();
        assert_eq!(
            e,
            "faults[1]: crashes n1 at 1.5s, but faults[0] keeps n1 paused from 1s to 3s: a crashed node cannot be resumed at 3s; crash it after the pause, or end the pause before the crash"
        );
        // The same, listed the other way round: the entry that comes later in time is blamed.
        let e = check(&[
            r#"{"at":"1.5s","for":"500ms","fault":"crash","node":"n1"}"#.into(),
            r#"{"at":"1s","for":"2s","fault":"pause","node":"n1"}"#.into(),
        ])
        .unwrap_err();
        assert!(e.starts_with("faults[0]: crashes n1 at 1.5s, but faults[1] keeps n1 paused"), "{e}");
    }

    #[test]
    fn the_other_servers_of_a_rolling_restart_and_instants_that_touch() {
        let rolling = r#"{"at": "1s", "fault": "rolling_restart", "interval": "1s", "downtime": "500ms"}"#;
        let e =
            check(&[rolling.into(), r#"{"at": "2.2s", "fault": "crash", "node": "n2"}"#.into()]).unwrap_err();
        assert!(
            e.starts_with(
                "faults[1]: crashes n2 at 2.2s, but the rolling restart of faults[0] keeps n2 down"
            ),
            "{e}"
        );
        let e =
            check(&[r#"{"at": "2.8s", "for": "1s", "fault": "pause", "node": "n3"}"#.into(), rolling.into()])
                .unwrap_err();
        assert!(
            e.starts_with(
                "faults[1]: its rolling restart takes n3 down at 3s, but faults[0] keeps n3 paused"
            ),
            "{e}"
        );
        // A window that ends at the instant another starts does not overlap it.
        for second in ["crash", "pause"] {
            for first in ["crash", "pause"] {
                let a = format!(r#"{{"at": "1s", "for": "1s", "fault": "{first}", "node": "n1"}}"#);
                let b = format!(r#"{{"at": "2s", "for": "1s", "fault": "{second}", "node": "n1"}}"#);
                assert_eq!(check(&[a, b]), Result::Ok(()), "{first} then {second}");
            }
        }
        // Symbolic targets are resolved during the run, not here.
        let leader = r#"{"at": "1s", "for": "2s", "fault": "crash", "node": "leader"}"#;
        assert_eq!(check(&[leader.into(), leader.replace("1s", "2s")]), Result::Ok(()));
    }

    #[test]
    fn membership_changes_follow_who_votes() {
        let voters = |faults: &[&str]| {
            let json = format!(
                r#"{{"name": "t", "duration": "10s",
                    "cluster": {{"protocol": "raft", "nodes": 4, "raft": {{"initial_voters": ["n1", "n2", "n3"]}}}},
                    "faults": [{}]}}"#,
                faults.join(", ")
            );
            parse(&json).map(|_| ()).map_err(|e| e.to_string())
        };
        assert_eq!(
            voters(&[
                r#"{"at": "1s", "fault": "add_server", "node": "n4"}"#,
                r#"{"at": "2s", "fault": "remove_server", "node": "n4"}"#,
                r#"{"at": "3s", "fault": "add_server", "node": "n4"}"#,
            ]),
            Result::Ok(())
        );
        let e = voters(&[r#"{"at": "1s", "fault": "add_server", "node": "n2"}"#]).unwrap_err();
        assert_eq!(e, "faults[0]: adds n2 at 1s, but n2 is already a voter (it votes from the start)");
        let e = voters(&[r#"{"at": "1s", "fault": "remove_server", "node": "n4"}"#]).unwrap_err();
        assert!(e.contains("n4 is not a voter then (cluster.raft.initial_voters leaves it out)"), "{e}");
        let e = voters(&[
            r#"{"at": "1s", "fault": "add_server", "node": "n4"}"#,
            r#"{"at": "2s", "fault": "add_server", "node": "n4"}"#,
        ])
        .unwrap_err();
        assert!(e.starts_with("faults[1]: ") && e.contains("(faults[0] added it at 1s)"), "{e}");
        let e = voters(&[
            r#"{"at": "1s", "fault": "remove_server", "node": "n1"}"#,
            r#"{"at": "2s", "fault": "remove_server", "node": "n2"}"#,
            r#"{"at": "3s", "fault": "remove_server", "node": "n3"}"#,
        ])
        .unwrap_err();
        assert!(e.starts_with("faults[2]: ") && e.contains("the last voter"), "{e}");
        // After a symbolic target, the voters are not known before the run.
        assert_eq!(
            voters(&[
                r#"{"at": "1s", "fault": "remove_server", "node": "leader"}"#,
                r#"{"at": "2s", "fault": "add_server", "node": "n1"}"#,
            ]),
            Result::Ok(())
        );
    }
}
