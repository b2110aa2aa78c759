//! The `compare.json` format: per-protocol aggregates across seeds, assembled from the
//! figures of every run ([`RunData`]).
//!
//! Aggregates are over the runs of one protocol, pooled: operation counts are summed, latency
//! percentiles are taken over every `ok` operation of every seed (nearest rank), costs are
//! totals divided by total `ok` operations, and the charted series (the latency CDF and the
//! mean throughput per time bucket) are stored here too, so the charts and the page are drawn
//! from this file alone. Everything but [`Timing`] is a pure function of the scenario, the
//! seeds and the protocols: two comparisons of the same inputs give the same file apart from
//! that section.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::adapt::{Adapted, Change, display_name};
use super::measure::{Anomaly, OpCounts, RunData, RunFigures, Verdict};
use crate::check::convergence::{nearest_rank, percentile};
use crate::check::linearizability::Counterexample;
use crate::experiment::summary::SweepSpec;
use crate::report::charts::throughput::bucket_ns;
use crate::scenario::{Fault, FaultKind, Scenario};

/// The value of the `format` field this version writes.
pub const FORMAT: &str = "eightfold-compare/1";

/// Most points of a stored latency CDF (the tail is kept in full detail).
const CDF_POINTS: usize = 200;

/// The contents of `compare.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Always [`FORMAT`].
    pub format: String,
    /// The scenario and the seed range.
    #[serde(flatten)]
    pub spec: SweepSpec,
    /// The scenario's plain-language description.
    pub description: String,
    /// Simulated time of each run, s.
    pub duration_s: f64,
    /// Width of the time buckets (throughput chart, availability over time), ns.
    pub bucket_ns: u64,
    /// What the clients do.
    pub clients: Clients,
    /// The scenario's fault windows, as every protocol that kept the fault met them.
    pub fault_windows: Vec<FaultWindow>,
    /// One summary per protocol, in the order asked for.
    pub protocols: Vec<ProtocolSummary>,
    /// Wall-clock figures (the only section that differs between identical comparisons).
    pub timing: Timing,
}

/// One fault window, described without the nodes a particular run resolved it to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    /// Index of the fault in the original scenario's `faults`.
    pub entry: usize,
    /// The fault (`partition`, `crash`, …).
    pub fault: FaultKind,
    /// What it targets, as the scenario says it (`leader`, `minority`, `every 10ms`).
    pub target: String,
    /// Start, ns.
    pub start_ns: u64,
    /// End, ns (equal to the start for an instantaneous action).
    pub end_ns: u64,
    /// The protocols that faced it (a Raft-only fault is dropped for the others).
    pub protocols: Vec<String>,
}

/// The clients' timing, which the availability figures depend on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Clients {
    /// Clients.
    pub count: u32,
    /// When they start issuing operations, s.
    pub start_s: f64,
    /// When they stop, s.
    pub stop_s: f64,
    /// How long one attempt waits for a reply before trying another server, s.
    pub attempt_timeout_s: f64,
    /// How long a client retries one operation before giving up, s.
    pub give_up_s: f64,
}

/// Wall-clock figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Worker threads.
    pub jobs: u64,
    /// Wall-clock time of all runs, s.
    pub wall_s: f64,
    /// Runs (protocol × seed) per wall-clock second.
    pub runs_per_s: f64,
}

/// How many runs a check passed, failed or could not decide.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCounts {
    /// Runs where it held.
    pub passed: u64,
    /// Runs where it found a violation.
    pub failed: u64,
    /// Runs where it could not decide.
    pub unknown: u64,
    /// Runs where it did not run (stopped early or panicked).
    pub absent: u64,
    /// The first seed where it failed, to replay.
    pub first_failing_seed: Option<u64>,
}

impl VerdictCounts {
    fn add(&mut self, v: Verdict, seed: u64) {
        match v {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => {
                self.failed += 1;
                self.first_failing_seed.get_or_insert(seed);
            }
            Verdict::Unknown => self.unknown += 1,
            Verdict::Absent => self.absent += 1,
        }
    }
}

/// The safety and liveness verdicts of one protocol across seeds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Safety {
    /// Protocol invariants.
    pub invariants: VerdictCounts,
    /// Linearizability of the client history.
    pub linearizable: VerdictCounts,
    /// Progress after the last fault.
    pub liveness: VerdictCounts,
    /// What the linearizability counterexamples show: kind → runs.
    pub anomalies: BTreeMap<Anomaly, u64>,
    /// Runs whose counterexample surfaced outside every fault window.
    pub anomalies_outside_faults: u64,
    /// Runs whose simulation panicked.
    pub panicked: u64,
    /// Runs where a check did not pass (it failed or could not decide), or that panicked.
    pub failed_runs: u64,
    /// The command that replays the first such run (from the report directory).
    pub replay: Option<String>,
    /// The linearizability counterexample of the first seed whose history failed the
    /// check, drawn on the page as operation bars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<AnomalyExample>,
}

/// One run's linearizability counterexample, kept so the comparison can draw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnomalyExample {
    /// The run's seed.
    pub seed: u64,
    /// What the counterexample shows.
    pub anomaly: Anomaly,
    /// The command that writes that run's full report (from the comparison's directory).
    pub replay: String,
    /// The checker's smallest counterexample.
    pub counterexample: Counterexample,
}

/// Availability during and outside fault windows (see [`super::measure`] for the definitions).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Availability {
    /// Operations invoked while a fault window was open.
    pub during_faults: OpCounts,
    /// Their `ok` fraction.
    pub during_faults_ok: Option<f64>,
    /// Operations invoked while no fault window was open.
    pub outside_faults: OpCounts,
    /// Their `ok` fraction.
    pub outside_faults_ok: Option<f64>,
    /// Operations the end of the run cut off, left out of both (summed over seeds).
    pub cut_off: u64,
    /// Time buckets during faults, summed over seeds.
    pub fault_buckets: u64,
    /// Of those, buckets with at least one `ok` completion.
    pub served_fault_buckets: u64,
    /// `served_fault_buckets / fault_buckets`.
    pub during_faults_time: Option<f64>,
}

/// Latency of `ok` operations, pooled over seeds, ms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Worst.
    pub max: Option<f64>,
}

impl Latency {
    /// The percentiles of `sorted` (ascending).
    pub fn of(sorted: &[f64]) -> Latency {
        Latency {
            p50: percentile(sorted, 0.5),
            p90: percentile(sorted, 0.9),
            p99: percentile(sorted, 0.99),
            max: sorted.last().copied(),
        }
    }
}

/// What the protocol's traffic cost per completed operation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Messages sent, all seeds.
    pub messages: u64,
    /// Payload bytes sent, all seeds.
    pub bytes: u64,
    /// Messages per `ok` operation.
    pub messages_per_op: Option<f64>,
    /// Bytes per `ok` operation.
    pub bytes_per_op: Option<f64>,
}

/// Leader figures of a leader-based protocol, mean per run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Leadership {
    /// Times a server became leader.
    pub leader_changes: f64,
    /// Time with no leader, s.
    pub time_without_leader_s: f64,
}

/// Everything measured of one protocol across the seeds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProtocolSummary {
    /// The protocol as written in scenarios (`raft`).
    pub protocol: String,
    /// Its name in sentences (`Raft`).
    pub name: String,
    /// Its effective settings, one per line.
    pub settings: Vec<String>,
    /// What adapting the scenario to it changed.
    pub changes: Vec<Change>,
    /// Runs (seeds) finished.
    pub runs: u64,
    /// Every operation, all seeds.
    pub ops: OpCounts,
    /// Availability during and outside faults.
    pub availability: Availability,
    /// Latency of `ok` operations.
    pub latency_ms: Latency,
    /// Latency of `ok` operations invoked during faults.
    pub latency_ms_during_faults: Latency,
    /// Latency of `ok` operations invoked outside faults.
    pub latency_ms_outside_faults: Latency,
    /// `ok` operations per second of simulated time, mean over seeds.
    pub throughput_ops_per_s: f64,
    /// Traffic per completed operation.
    pub cost: Cost,
    /// Safety and liveness verdicts.
    pub safety: Safety,
    /// Leader figures (leader-based protocols only).
    pub leadership: Option<Leadership>,
    /// The latency CDF: `[latency ms, fraction of ok operations at or below it]`.
    pub latency_cdf: Vec<[f64; 2]>,
    /// `ok` operations per second in each time bucket, mean over seeds.
    pub throughput: Vec<f64>,
    /// The figures of each run, in seed order.
    pub seeds: Vec<RunFigures>,
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

/// Points of the CDF of `sorted` (ascending): about `CDF_POINTS` evenly spaced ranks, plus
/// ranks ever closer to the top (90%, 99%, 99.9%, …) so the tail keeps its shape.
pub fn cdf_points(sorted: &[f64]) -> Vec<[f64; 2]> {
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let rank = |q: f64| nearest_rank(q, n);
    let mut ranks: Vec<usize> = (0..=CDF_POINTS).map(|i| rank(i as f64 / CDF_POINTS as f64)).collect();
    let mut j = 1;
    loop {
        let tail = 10f64.powf(-(j as f64) / 10.0);
        if tail * (n as f64) < 1.0 {
            break;
        }
        ranks.push(rank(1.0 - tail));
        j += 1;
    }
    ranks.push(n);
    ranks.sort_unstable();
    ranks.dedup();
    ranks.into_iter().map(|r| [round(sorted[r - 1], 3), round(r as f64 / n as f64, 5)]).collect()
}

/// How a fault entry's target reads in a label: `leader`, `minority`, `every 10ms`, `×10`.
pub fn target_text(f: &Fault) -> String {
    let v = serde_json::to_value(f).unwrap_or_default();
    let Some(obj) = v.as_object() else { return String::new() };
    let mut parts = Vec::new();
    for (k, v) in obj.iter().filter(|(k, _)| *k != "fault") {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(","),
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
                _ => n.to_string(),
            },
            _ => continue,
        };
        // Where first, then how: `leader ×10`.
        parts.push(match k.as_str() {
            "node" | "groups" | "from" | "to" => (0, text),
            "interval" => (1, format!("every {text}")),
            "factor" => (1, format!("×{text}")),
            _ => (1, format!("{k} {text}")),
        });
    }
    parts.sort_by_key(|p| p.0);
    parts.into_iter().map(|p| p.1).collect::<Vec<_>>().join(" ")
}

impl ProtocolSummary {
    /// Aggregates the runs (any order) of `adapted`; `runs` is not empty unless no seed ran.
    pub fn assemble(adapted: &Adapted, mut runs: Vec<RunData>) -> ProtocolSummary {
        runs.sort_by_key(|r| r.figures.seed);
        let s = &adapted.scenario;
        let end = s.duration.0.as_nanos().max(1);
        let width = bucket_ns(end);
        let n = runs.len() as u64;
        let mut ops = OpCounts::default();
        let mut av = Availability::default();
        let mut safety = Safety::default();
        let mut cost = Cost::default();
        let mut lat: Vec<(f64, bool)> = Vec::new();
        let mut buckets = vec![0u64; end.div_ceil(width) as usize];
        let mut lead: Vec<(u64, f64)> = Vec::new();
        let file = super::scenario_file(adapted.protocol);
        for r in &runs {
            let f = &r.figures;
            ops.merge(&f.ops);
            av.during_faults.merge(&f.during_faults);
            av.outside_faults.merge(&f.outside_faults);
            av.cut_off += f.cut_off;
            av.fault_buckets += f.fault_buckets;
            av.served_fault_buckets += f.served_fault_buckets;
            cost.messages += f.messages;
            cost.bytes += f.bytes;
            lat.extend_from_slice(&r.latencies_ms);
            for (b, c) in buckets.iter_mut().zip(&r.ok_per_bucket) {
                *b += c;
            }
            safety.invariants.add(f.invariants, f.seed);
            safety.linearizable.add(f.linearizable, f.seed);
            safety.liveness.add(f.liveness, f.seed);
            if let Some(a) = f.anomaly {
                *safety.anomalies.entry(a).or_insert(0) += 1;
                if safety.example.is_none()
                    && let Some(c) = &r.counterexample
                {
                    safety.example = Some(AnomalyExample {
                        seed: f.seed,
                        anomaly: a,
                        replay: format!("eightfold run {file} --seed {}", f.seed),
                        counterexample: c.clone(),
                    });
                }
            }
            if f.anomaly_during_faults == Some(false) {
                safety.anomalies_outside_faults += 1;
            }
            if f.panic.is_some() {
                safety.panicked += 1;
            }
            if f.failed() {
                safety.failed_runs += 1;
                safety.replay.get_or_insert_with(|| format!("eightfold run {file} --seed {}", f.seed));
            }
            if let (Some(c), Some(t)) = (f.leader_changes, f.time_without_leader_s) {
                lead.push((c, t));
            }
        }
        av.during_faults_ok = av.during_faults.ok_fraction();
        av.outside_faults_ok = av.outside_faults.ok_fraction();
        av.during_faults_time =
            (av.fault_buckets > 0).then(|| av.served_fault_buckets as f64 / av.fault_buckets as f64);
        let per = |v: u64| (ops.ok > 0).then(|| v as f64 / ops.ok as f64);
        cost.messages_per_op = per(cost.messages);
        cost.bytes_per_op = per(cost.bytes);
        let mut all: Vec<f64> = lat.iter().map(|l| l.0).collect();
        let mut during: Vec<f64> = lat.iter().filter(|l| l.1).map(|l| l.0).collect();
        let mut outside: Vec<f64> = lat.iter().filter(|l| !l.1).map(|l| l.0).collect();
        for v in [&mut all, &mut during, &mut outside] {
            v.sort_by(f64::total_cmp);
        }
        let seconds = end as f64 / 1e9;
        let width_s = width as f64 / 1e9;
        let mean = |v: f64| if n == 0 { 0.0 } else { v / n as f64 };
        ProtocolSummary {
            protocol: adapted.protocol.name().to_string(),
            name: display_name(adapted.protocol).to_string(),
            settings: crate::runner::resolve(s).map(|r| r.describe()).unwrap_or_default(),
            changes: adapted.changes.clone(),
            runs: n,
            ops,
            availability: av,
            latency_ms: Latency::of(&all),
            latency_ms_during_faults: Latency::of(&during),
            latency_ms_outside_faults: Latency::of(&outside),
            throughput_ops_per_s: round(mean(ops.ok as f64) / seconds, 3),
            cost,
            leadership: (!lead.is_empty()).then(|| Leadership {
                leader_changes: round(lead.iter().map(|l| l.0 as f64).sum::<f64>() / lead.len() as f64, 3),
                time_without_leader_s: round(lead.iter().map(|l| l.1).sum::<f64>() / lead.len() as f64, 4),
            }),
            safety,
            latency_cdf: cdf_points(&all),
            throughput: buckets.iter().map(|&b| round(mean(b as f64) / width_s, 2)).collect(),
            seeds: runs.into_iter().map(|r| r.figures).collect(),
        }
    }
}

/// The fault windows of a comparison: each fault of the original scenario, timed as the first
/// run (in protocol order) that faced it recorded it. `windows[i]` holds, for protocol `i`,
/// the first run's fault log as `(entry in the adapted scenario, start, end)`.
pub fn fault_windows(
    original: &Scenario,
    adapted: &[Adapted],
    windows: &[Vec<(usize, u64, u64)>],
) -> Vec<FaultWindow> {
    let mut out = Vec::new();
    for (e, entry) in original.faults.iter().enumerate() {
        let facing: Vec<usize> =
            (0..adapted.len()).filter(|&i| adapted[i].kept_faults.contains(&e)).collect();
        let Some(&first) = facing.first() else {
            continue;
        };
        let Some(local) = adapted[first].kept_faults.iter().position(|&k| k == e) else { continue };
        let log = windows.get(first).map(Vec::as_slice).unwrap_or_default();
        for &(_, start, end) in log.iter().filter(|w| w.0 == local) {
            out.push(FaultWindow {
                entry: e,
                fault: entry.fault.kind(),
                target: target_text(&entry.fault),
                start_ns: start,
                end_ns: end,
                protocols: facing.iter().map(|&i| adapted[i].protocol.name().to_string()).collect(),
            });
        }
    }
    out.sort_by_key(|w| (w.start_ns, w.entry));
    out
}

impl Comparison {
    /// The comparison as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a comparison always serialises") + "\n"
    }

    /// The summary of a protocol, by its scenario name.
    pub fn protocol(&self, name: &str) -> Option<&ProtocolSummary> {
        self.protocols.iter().find(|p| p.protocol == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    #[test]
    fn a_cdf_keeps_its_ends_and_its_tail() {
        let v: Vec<f64> = (1..=10_000).map(f64::from).collect();
        let c = cdf_points(&v);
        assert_eq!(c.first(), Some(&[1.0, 0.0001]));
        assert_eq!(c.last(), Some(&[10_000.0, 1.0]));
        assert!(c.len() < 260, "{}", c.len());
        assert!(c.iter().any(|p| p[0] == 9_990.0), "the 99.9th percentile is kept");
        assert!(c.windows(2).all(|w| w[0][0] <= w[1][0] && w[0][1] < w[1][1]));
        assert_eq!(cdf_points(&[5.0]), vec![[5.0, 1.0]]);
        assert!(cdf_points(&[]).is_empty());
    }

    #[test]
    fn targets_read_like_the_scenario() {
        let s = parse(
            r#"{ "name": "t", "duration": "5s", "cluster": { "protocol": "raft", "nodes": 5 },
                 "faults": [
                   { "at": "1s", "for": "1s", "fault": "partition", "groups": ["minority"] },
                   { "at": "1s", "for": "1s", "fault": "latency_spike", "node": "leader", "factor": 10 },
                   { "at": "1s", "for": "1s", "fault": "replay", "interval": "10ms" },
                   { "at": "1s", "for": "1s", "fault": "bridge" }
                 ] }"#,
        )
        .unwrap();
        let t: Vec<String> = s.faults.iter().map(|f| target_text(&f.fault)).collect();
        assert_eq!(t, ["minority", "leader ×10", "every 10ms", ""]);
    }
}
