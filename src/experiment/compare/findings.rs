//! What the numbers say: the comparison's findings in plain language, every sentence built
//! from `compare.json` (nothing is canned but the connecting words).
//!
//! Sentences come in a fixed order — availability during faults, leaders, latency,
//! throughput, cost, safety, and the trade-off they add up to — and each is emitted only when
//! the data supports it: the CAP sentence, for instance, appears only if a protocol that gave
//! up linearizability really was more available during faults than every protocol that kept
//! it; if it was not, the finding says so instead.

use super::measure::Anomaly;
use super::summary::{Comparison, ProtocolSummary};
use crate::report::narrative::{and_list, bytes, count};

/// One finding: a short topic and its sentences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What it is about (`Availability during faults`).
    pub topic: &'static str,
    /// The sentences.
    pub text: String,
}

/// A fraction as a percentage: `93.4%`, `100%`, `0%`; never rounded up to `100%` or down to
/// `0%` (`>99.9%`, `<0.1%`), so "all" and "none" mean exactly that.
pub fn pct(f: f64) -> String {
    let v = f * 100.0;
    if v > 99.95 && v < 100.0 {
        ">99.9%".to_string()
    } else if v > 0.0 && v < 0.05 {
        "<0.1%".to_string()
    } else if (v - v.round()).abs() < 0.05 {
        format!("{}%", v.round() as i64)
    } else {
        format!("{v:.1}%")
    }
}

/// A latency: `4.2 ms`, `65 ms`, `1.08 s`.
pub fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.1} ms")
    } else if v < 1000.0 {
        format!("{} ms", v.round())
    } else {
        format!("{:.2} s", v / 1000.0)
    }
}

/// Capitalises the first letter (for a protocol name opening a sentence).
pub fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// The findings of a comparison.
pub fn findings(c: &Comparison) -> Vec<Finding> {
    let mut out = Vec::new();
    let ps = &c.protocols;
    if ps.is_empty() {
        return out;
    }
    if let Some(f) = availability(c) {
        out.push(f);
    }
    if let Some(f) = leadership(c) {
        out.push(f);
    }
    if let Some(f) = latency(ps, c.clients.attempt_timeout_s * 1000.0) {
        out.push(f);
    }
    out.push(throughput(ps));
    if let Some(f) = cost(ps) {
        out.push(f);
    }
    out.push(safety(c));
    if let Some(f) = trade_off(ps) {
        out.push(f);
    }
    if let Some(f) = adaptations(ps) {
        out.push(f);
    }
    out
}

/// Protocols sorted by a figure, highest first; those without it are left out.
fn ranked(
    ps: &[ProtocolSummary],
    key: impl Fn(&ProtocolSummary) -> Option<f64>,
) -> Vec<(&ProtocolSummary, f64)> {
    let mut v: Vec<(&ProtocolSummary, f64)> = ps.iter().filter_map(|p| key(p).map(|k| (p, k))).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

/// The spread between the highest and lowest of a ranking.
fn spread(r: &[(&ProtocolSummary, f64)]) -> f64 {
    match (r.first(), r.last()) {
        (Some(a), Some(b)) => a.1 - b.1,
        _ => 0.0,
    }
}

fn seconds(s: f64) -> String {
    if s.fract() == 0.0 { format!("{s} s") } else { format!("{s:.1} s") }
}

fn availability(c: &Comparison) -> Option<Finding> {
    let ps = &c.protocols;
    let by_ops = ranked(ps, |p| p.availability.during_faults_ok);
    if by_ops.is_empty() {
        return Some(Finding {
            topic: "Availability during faults",
            text: "No operation was started while a fault was in effect, so availability during faults cannot be \
                   compared."
                .to_string(),
        });
    }
    let parts: Vec<String> = by_ops
        .iter()
        .enumerate()
        .map(|(i, (p, v))| {
            let a = &p.availability;
            if i == 0 {
                format!(
                    "{} of the operations they started on {} ({} of {})",
                    pct(*v),
                    p.name,
                    count(a.during_faults.ok),
                    count(a.during_faults.total())
                )
            } else {
                format!("{} on {}", pct(*v), p.name)
            }
        })
        .collect();
    let mut text = format!("While a fault was in effect, clients got an answer to {}.", and_list(&parts));
    let by_time = ranked(ps, |p| p.availability.during_faults_time);
    if !by_time.is_empty() {
        let parts: Vec<String> = by_time.iter().map(|(p, v)| format!("{} {}", p.name, pct(*v))).collect();
        text.push_str(&format!(
            " Counted in {} slices of time instead, the share of fault time in which at least one operation \
             completed was: {}.",
            crate::sim::SimDuration(c.bucket_ns),
            and_list(&parts)
        ));
        if by_ops.len() > 1 && spread(&by_ops) < 0.02 && spread(&by_time) >= 0.05 {
            let waits: Vec<String> = by_time
                .iter()
                .rev()
                .enumerate()
                .map(|(i, (p, v))| {
                    let of = if i == 0 { " of the fault time" } else { "" };
                    format!("{}{of} on {}", pct(1.0 - v), p.name)
                })
                .collect();
            let lasting: Vec<f64> = c
                .fault_windows
                .iter()
                .filter(|w| w.end_ns > w.start_ns)
                .map(|w| (w.end_ns - w.start_ns) as f64 / 1e9)
                .collect();
            let shorter = lasting.iter().filter(|d| **d < c.clients.give_up_s).count();
            let how_long = if !lasting.is_empty() && shorter == lasting.len() {
                ", longer than any fault here lasts"
            } else if shorter * 2 > lasting.len() {
                ", longer than most faults here last"
            } else {
                ""
            };
            text.push_str(&format!(
                " Counted by operations the protocols look alike, because a client keeps retrying an operation for \
                 up to {}{how_long}; what differs is how long clients waited. No client got any answer during {}.",
                seconds(c.clients.give_up_s),
                and_list(&waits)
            ));
        }
    }
    let outside = ranked(ps, |p| p.availability.outside_faults_ok);
    if !outside.is_empty() {
        text.push_str(&format!(
            " Outside the fault windows: {}.",
            and_list(&outside.iter().map(|(p, v)| format!("{} {}", p.name, pct(*v))).collect::<Vec<_>>())
        ));
    }
    let best = by_time.first().or(by_ops.first()).map(|b| b.0);
    if let Some(best) = best
        && best.protocol == "quorum"
        && (spread(&by_time) >= 0.05 || spread(&by_ops) >= 0.05)
    {
        text.push_str(
            " A leaderless store can answer as long as enough replicas of a key are reachable from the server a \
             client asked; a leader-based protocol stops committing while it has no leader, or while its leader \
             cannot reach a majority.",
        );
    }
    Some(Finding { topic: "Availability during faults", text })
}

fn leadership(c: &Comparison) -> Option<Finding> {
    let led: Vec<(&ProtocolSummary, &super::summary::Leadership)> =
        c.protocols.iter().filter_map(|p| p.leadership.as_ref().map(|l| (p, l))).collect();
    let ((first, l0), rest) = led.split_first()?;
    let mut text = format!(
        "{} elected a leader {:.1} times per run on average and was without one for {:.2} s of each {} run",
        first.name,
        l0.leader_changes,
        l0.time_without_leader_s,
        seconds(c.duration_s)
    );
    for (p, l) in rest {
        text.push_str(&format!(
            "; {} {:.1} times and {:.2} s",
            p.name, l.leader_changes, l.time_without_leader_s
        ));
    }
    text.push_str(". The first election of each run counts too.");
    if c.protocols.iter().any(|p| p.protocol == "quorum") {
        text.push_str(" The quorum store has no leader to lose, so it never waits for an election.");
    }
    Some(Finding { topic: "Leaders", text })
}

fn latency(ps: &[ProtocolSummary], c_attempt_ms: f64) -> Option<Finding> {
    let with: Vec<&ProtocolSummary> = ps.iter().filter(|p| p.latency_ms.p50.is_some()).collect();
    if with.is_empty() {
        return None;
    }
    let part = |f: &dyn Fn(&ProtocolSummary) -> Option<f64>| {
        and_list(
            &with
                .iter()
                .map(|p| format!("{} {}", p.name, f(p).map_or("–".to_string(), ms)))
                .collect::<Vec<_>>(),
        )
    };
    let mut text = format!(
        "Median latency of completed operations: {}. 99th percentile: {}.",
        part(&|p| p.latency_ms.p50),
        part(&|p| p.latency_ms.p99)
    );
    let key = |p: &&ProtocolSummary| p.latency_ms.p50.unwrap_or(0.0);
    let fastest = with.iter().min_by(|a, b| key(a).total_cmp(&key(b)));
    let slowest = with.iter().max_by(|a, b| key(a).total_cmp(&key(b)));
    if let (Some(f), Some(s)) = (fastest, slowest) {
        let (a, b) = (key(f), key(s));
        if a > 0.0 && b / a >= 1.2 {
            text.push_str(&format!(
                " {}'s median is {:.1} times lower than {}'s.",
                cap(&f.name),
                b / a,
                s.name
            ));
        }
    }
    let split: Vec<(String, f64, f64)> = with
        .iter()
        .filter_map(|p| {
            Some((p.name.clone(), p.latency_ms_during_faults.p99?, p.latency_ms_outside_faults.p99?))
        })
        .collect();
    if !split.is_empty() {
        let pairs = and_list(
            &split.iter().map(|(n, d, o)| format!("{n} {} against {}", ms(*d), ms(*o))).collect::<Vec<_>>(),
        );
        if split.iter().all(|(_, d, o)| *d >= 1.5 * o) {
            text.push_str(&format!(
                " The tail belongs to the faults: the 99th percentile of operations started during a fault, against \
                 those started outside, was {pairs}."
            ));
        } else if split.iter().all(|(_, d, o)| *d < 1.5 * o) {
            text.push_str(&format!(
                " Faults are not the only source of the tail: the 99th percentile of operations started during a \
                 fault, against those started outside any, was {pairs}. A client whose request or reply is lost \
                 waits out its attempt timeout ({}) before it retries, fault or no fault.",
                ms(c_attempt_ms)
            ));
        } else {
            text.push_str(&format!(
                " The 99th percentile of operations started during a fault, against those started outside any, was \
                 {pairs}."
            ));
        }
    }
    Some(Finding { topic: "Latency", text })
}

fn throughput(ps: &[ProtocolSummary]) -> Finding {
    let r = ranked(ps, |p| Some(p.throughput_ops_per_s));
    let parts: Vec<String> = r
        .iter()
        .enumerate()
        .map(|(i, (p, v))| {
            if i == 0 {
                format!("{} completed {v:.1} operations per second of simulated time", p.name)
            } else {
                format!("{} {v:.1}", p.name)
            }
        })
        .collect();
    let text = format!(
        "On average, {}. The clients are closed-loop — each waits for its reply before sending the next request — \
         so a protocol with lower latency also completes more operations.",
        and_list(&parts)
    );
    Finding { topic: "Throughput", text }
}

fn cost(ps: &[ProtocolSummary]) -> Option<Finding> {
    let with: Vec<&ProtocolSummary> = ps.iter().filter(|p| p.cost.messages_per_op.is_some()).collect();
    if with.is_empty() {
        return None;
    }
    let parts: Vec<String> = with
        .iter()
        .map(|p| {
            format!(
                "{} {:.1} messages ({})",
                p.name,
                p.cost.messages_per_op.unwrap_or(0.0),
                bytes(p.cost.bytes_per_op.unwrap_or(0.0).round() as u64)
            )
        })
        .collect();
    let mut text = format!(
        "Per completed operation, the nodes sent: {}. That is everything servers and clients sent — replication, \
         heartbeats, elections, repair and retries — divided by the operations that completed.",
        and_list(&parts)
    );
    let key = |p: &&ProtocolSummary| p.cost.messages_per_op.unwrap_or(0.0);
    let cheapest = with.iter().min_by(|a, b| key(a).total_cmp(&key(b)));
    let dearest = with.iter().max_by(|a, b| key(a).total_cmp(&key(b)));
    if let (Some(a), Some(b)) = (cheapest, dearest) {
        let (x, y) = (key(a), key(b));
        if x > 0.0 && y / x >= 1.2 {
            text.push_str(&format!(
                " {} needed {:.1} times as many messages per operation as {}.",
                cap(&b.name),
                y / x,
                a.name
            ));
        }
    }
    Some(Finding { topic: "Cost", text })
}

/// Whether a protocol kept every promise in every run.
fn clean(p: &ProtocolSummary) -> bool {
    let s = &p.safety;
    let ok = |v: &super::summary::VerdictCounts| v.failed == 0 && v.unknown == 0 && v.absent == 0;
    ok(&s.linearizable) && ok(&s.invariants) && ok(&s.liveness) && s.panicked == 0
}

fn anomaly_short(a: Anomaly) -> &'static str {
    match a {
        Anomaly::StaleRead => "a stale read",
        Anomaly::ConflictingWrites => "conflicting writes",
        Anomaly::Other => "another anomaly",
    }
}

fn troubles(p: &ProtocolSummary) -> String {
    let s = &p.safety;
    let n = p.runs;
    let lin = &s.linearizable;
    let mut parts = Vec::new();
    if lin.failed > 0 {
        let mut t = format!("{}'s history was not linearizable in {} of {n} seeds", cap(&p.name), lin.failed);
        if !s.anomalies.is_empty() {
            let kinds: Vec<String> =
                s.anomalies.iter().map(|(a, k)| format!("{} in {k}", anomaly_short(*a))).collect();
            t.push_str(&format!(": the checker's smallest counterexample shows {}", and_list(&kinds)));
            if s.anomalies_outside_faults > 0 {
                t.push_str(&format!(
                    "; in {} of the {} the violation surfaced while no fault was in effect",
                    s.anomalies_outside_faults, lin.failed
                ));
            }
        }
        parts.push(t);
    } else if lin.passed == n {
        parts.push(format!("{}'s history was linearizable in all {n} seeds", cap(&p.name)));
    }
    if lin.unknown > 0 {
        parts.push(format!(
            "in {} seeds the linearizability checker could not decide within its budget",
            lin.unknown
        ));
    }
    if p.protocol != "quorum" {
        let inv = &s.invariants;
        if inv.failed == 0 && inv.absent == 0 {
            parts.push("its safety invariants held in every run".into());
        } else if inv.failed > 0 {
            parts.push(format!(
                "its safety invariants broke in {} of {n} runs (first: seed {})",
                inv.failed,
                inv.first_failing_seed.unwrap_or_default()
            ));
        }
    }
    if s.liveness.failed > 0 {
        parts.push(format!(
            "in {} of {n} runs operations did not complete again within the liveness bound after the last fault",
            s.liveness.failed
        ));
    }
    if s.panicked > 0 {
        parts.push(format!("{} runs panicked", s.panicked));
    }
    let mut text = format!("{}.", parts.join("; "));
    if let Some(r) = &s.replay {
        text.push_str(&format!(" Replay the first failing run with `{r}` in this directory."));
    }
    text
}

fn safety(c: &Comparison) -> Finding {
    let ps = &c.protocols;
    let good: Vec<&ProtocolSummary> = ps.iter().filter(|p| clean(p)).collect();
    let mut sentences = Vec::new();
    if !good.is_empty() {
        let names = and_list(&good.iter().map(|p| p.name.clone()).collect::<Vec<_>>());
        let leaders = good.iter().any(|p| p.protocol != "quorum");
        sentences.push(format!(
            "{} kept every promise in all {} seeds: every history was linearizable{}, and operations completed \
             again after the last fault.",
            cap(&names),
            c.spec.seeds.len(),
            if leaders { ", the safety invariants (one leader per term, matching logs, nothing committed lost) held" } else { "" }
        ));
    }
    sentences.extend(ps.iter().filter(|p| !clean(p)).map(troubles));
    if ps.iter().any(|p| p.protocol == "quorum") {
        sentences.push(
            "The quorum store has no leader, terms or log, so it has no invariants of that kind: its safety is \
             judged on the history alone."
                .to_string(),
        );
    }
    Finding { topic: "Safety", text: sentences.join(" ") }
}

/// A protocol that gave up linearizability, set against those that kept it.
fn trade_off(ps: &[ProtocolSummary]) -> Option<Finding> {
    let unsafe_: Vec<&ProtocolSummary> = ps.iter().filter(|p| p.safety.linearizable.failed > 0).collect();
    let safe: Vec<&ProtocolSummary> = ps.iter().filter(|p| clean(p)).collect();
    if unsafe_.is_empty() || safe.is_empty() {
        return None;
    }
    let names = |v: &[&ProtocolSummary]| and_list(&v.iter().map(|p| p.name.clone()).collect::<Vec<_>>());
    let best = |f: fn(&ProtocolSummary) -> Option<f64>| {
        safe.iter().filter_map(|p| f(p)).fold(f64::NEG_INFINITY, f64::max)
    };
    let (best_time, best_ops) =
        (best(|p| p.availability.during_faults_time), best(|p| p.availability.during_faults_ok));
    let gained = |p: &ProtocolSummary| {
        p.availability.during_faults_time.is_some_and(|v| v >= best_time + 0.02)
            || p.availability.during_faults_ok.is_some_and(|v| v >= best_ops + 0.02)
    };
    let (won, lost): (Vec<&ProtocolSummary>, Vec<&ProtocolSummary>) = unsafe_.iter().partition(|p| gained(p));
    let mut text = String::new();
    if !won.is_empty() {
        text.push_str(&format!(
            "This is the trade-off the CAP theorem names, measured: when the network fails, a replicated system can \
             keep answering every request or keep every answer consistent with a single copy, not both. {} kept \
             answering through more of the faults and paid with answers no single order of operations can explain; \
             {} kept every history linearizable and paid with clients waiting while no leader could reach a \
             majority.",
            cap(&names(&won)),
            names(&safe)
        ));
        if won.iter().any(|p| p.safety.anomalies_outside_faults > 0) {
            text.push_str(
                " Nor is the price paid only during faults: with no leader to put operations in one order, a \
                 write that reached only some replicas, or servers whose clocks disagree, is enough for a stale \
                 answer.",
            );
        }
    }
    if !lost.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!(
            "{} gave up linearizability without being more available during faults than {}: here the \
             inconsistency bought nothing.",
            cap(&names(&lost)),
            names(&safe)
        ));
    }
    Some(Finding { topic: "The trade-off", text })
}

fn adaptations(ps: &[ProtocolSummary]) -> Option<Finding> {
    use super::adapt::ChangeKind;
    let changed: Vec<String> = ps
        .iter()
        .filter_map(|p| {
            let dropped = p.changes.iter().filter(|c| c.kind == ChangeKind::Dropped).count();
            let translated = p.changes.iter().filter(|c| c.kind == ChangeKind::Translated).count();
            if dropped + translated == 0 {
                return None;
            }
            let mut what = Vec::new();
            if dropped > 0 {
                what.push(format!("{dropped} {} dropped", if dropped == 1 { "part" } else { "parts" }));
            }
            if translated > 0 {
                what.push(format!("{translated} translated"));
            }
            Some(format!("{} ({})", p.name, what.join(", ")))
        })
        .collect();
    if changed.is_empty() {
        return None;
    }
    Some(Finding {
        topic: "Not quite the same scenario",
        text: format!(
            "Settings and faults that only one protocol has were adapted for {}: see \"How the scenario was \
             adapted\" below for each change and why. Everything else — network, disks, clients, the other faults \
             and their timing — is identical.",
            and_list(&changed)
        ),
    })
}

/// The plain meaning of each anomaly kind, for the page's glossary.
pub fn anomaly_glossary() -> Vec<(Anomaly, &'static str)> {
    [Anomaly::StaleRead, Anomaly::ConflictingWrites, Anomaly::Other]
        .into_iter()
        .map(|a| (a, a.meaning()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::SeedRange;
    use crate::experiment::compare::summary::{Availability, Clients, Leadership, Safety, VerdictCounts};
    use crate::experiment::summary::SweepSpec;

    fn verdicts(passed: u64, failed: u64) -> VerdictCounts {
        VerdictCounts { passed, failed, first_failing_seed: (failed > 0).then_some(1), ..Default::default() }
    }

    fn protocol(name: &str, display: &str, ops: f64, time: f64, lin_failed: u64) -> ProtocolSummary {
        ProtocolSummary {
            protocol: name.into(),
            name: display.into(),
            runs: 10,
            availability: Availability {
                during_faults_ok: Some(ops),
                during_faults_time: Some(time),
                outside_faults_ok: Some(1.0),
                ..Default::default()
            },
            safety: Safety {
                invariants: verdicts(10, 0),
                linearizable: verdicts(10 - lin_failed, lin_failed),
                liveness: verdicts(10, 0),
                anomalies: if lin_failed > 0 {
                    [(Anomaly::StaleRead, lin_failed)].into_iter().collect()
                } else {
                    Default::default()
                },
                replay: (lin_failed > 0).then(|| format!("eightfold run scenario-{name}.json --seed 1")),
                ..Default::default()
            },
            leadership: (name != "quorum")
                .then_some(Leadership { leader_changes: 2.0, time_without_leader_s: 0.5 }),
            ..Default::default()
        }
    }

    fn comparison(protocols: Vec<ProtocolSummary>) -> Comparison {
        Comparison {
            format: String::new(),
            spec: SweepSpec {
                scenario: "s".into(),
                scenario_file: "s.json".into(),
                scenario_hash: String::new(),
                seeds: SeedRange::new(1, 10).unwrap(),
                bugs: Vec::new(),
                sets: Vec::new(),
            },
            description: String::new(),
            duration_s: 10.0,
            bucket_ns: 100_000_000,
            clients: Clients { count: 3, start_s: 0.0, stop_s: 10.0, attempt_timeout_s: 0.5, give_up_s: 2.0 },
            fault_windows: Vec::new(),
            protocols,
            timing: Default::default(),
        }
    }

    fn topic<'a>(f: &'a [Finding], topic: &str) -> Option<&'a str> {
        f.iter().find(|x| x.topic == topic).map(|x| x.text.as_str())
    }

    #[test]
    fn the_cap_sentence_needs_the_data_to_show_it() {
        let c = comparison(vec![
            protocol("raft", "Raft", 0.999, 0.70, 0),
            protocol("quorum", "the quorum store", 0.999, 0.92, 4),
        ]);
        let f = findings(&c);
        let cap_text = topic(&f, "The trade-off").expect("a trade-off was measured");
        assert!(cap_text.contains("CAP") && cap_text.starts_with("This is"), "{cap_text}");
        let avail = topic(&f, "Availability during faults").unwrap();
        assert!(avail.contains("the quorum store 92% and Raft 70%"), "{avail}");
        assert!(
            avail.contains(
                "No client got any answer during 30% of the fault time on Raft and 8% on the quorum store"
            ),
            "{avail}"
        );
        let safety = topic(&f, "Safety").unwrap();
        assert!(safety.contains("Raft kept every promise in all 10 seeds"), "{safety}");
        assert!(safety.contains("not linearizable in 4 of 10 seeds"), "{safety}");
        assert!(safety.contains("a stale read in 4"), "{safety}");
        assert!(safety.contains("`eightfold run scenario-quorum.json --seed 1`"), "{safety}");

        // Inconsistent and no more available: the page must not claim a trade-off.
        let c = comparison(vec![
            protocol("raft", "Raft", 0.999, 0.92, 0),
            protocol("quorum", "the quorum store", 0.999, 0.91, 4),
        ]);
        let f = findings(&c);
        let text = topic(&f, "The trade-off").unwrap();
        assert!(!text.contains("CAP") && text.contains("without being more available"), "{text}");

        // Everyone safe: no trade-off to speak of.
        let c = comparison(vec![
            protocol("raft", "Raft", 0.99, 0.9, 0),
            protocol("paxos", "Multi-Paxos", 0.98, 0.8, 0),
        ]);
        let f = findings(&c);
        assert!(topic(&f, "The trade-off").is_none());
        assert!(topic(&f, "Safety").unwrap().contains("Raft and Multi-Paxos kept every promise"));
        assert!(topic(&f, "Leaders").unwrap().contains("Multi-Paxos 2.0 times and 0.50 s"));
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(pct(0.934), "93.4%");
        assert_eq!(pct(1.0), "100%");
        assert_eq!(pct(0.0), "0%");
        assert_eq!(pct(0.99991), ">99.9%");
        assert_eq!(pct(0.00001), "<0.1%");
        assert_eq!(ms(4.24), "4.2 ms");
        assert_eq!(ms(65.4), "65 ms");
        assert_eq!(ms(1075.9), "1.08 s");
        assert_eq!(and_list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(cap("the quorum store"), "The quorum store");
    }
}
