//! The leaderless quorum store against Raft under the same schedule,
//! `raft-minority-partition`'s: five servers split into two and three from 3 s to 7 s,
//! clients reaching every server. Raft's minority serves nothing (consistency over
//! availability); a sloppy quorum serves every key on both sides and loses linearizability;
//! a strict quorum (R + W > N, no sloppiness) keeps each key's writes on one side but is
//! unavailable for much of the keyspace, and is still not linearizable.
//!
//! Clients are not pinned to a side (they reach every server), so an operation's side is
//! the side of the server that answered it, read from the event trace: the `Reply`
//! delivered to the client at the instant the operation completed.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use super::common::root;
use eightfold::fault::FaultKind;
use eightfold::net::Cut;
use eightfold::report::Outcome;
use eightfold::runner::{self, RunOptions};
use eightfold::scenario::{self, MixSpec, Scenario, WorkloadSpec};
use eightfold::workload::history::{History, HistoryOp, OpKind, OpOutcome};

/// A trace sink the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn load(name: &str) -> Scenario {
    scenario::load(&root().join(format!("scenarios/{name}.json"))).expect("ships")
}

fn raft() -> Scenario {
    load("raft-minority-partition")
}

/// The shipped quorum scenario: raft-minority-partition's schedule, N 3 R 2 W 2, sloppy.
fn sloppy() -> Scenario {
    load("quorum-minority-partition")
}

/// The same with a strict quorum: only the key's three preferred replicas count.
fn strict() -> Scenario {
    let mut s = sloppy();
    s.cluster.quorum.as_mut().expect("quorum settings").sloppy = Some(false);
    s
}

/// One run, with each operation's serving server and the partition's sides.
struct Sided {
    history: History,
    /// For each `ok` operation, the server (0-based) whose reply completed it.
    server: Vec<Option<u32>>,
    /// The servers of the smaller side.
    minority: Vec<u32>,
    /// When the partition started and healed (ns).
    window: (u64, u64),
    outcome: Outcome,
}

#[derive(Default, Debug, PartialEq, Eq)]
struct Counts {
    minority_reads: usize,
    minority_writes: usize,
    majority_reads: usize,
    majority_writes: usize,
}

impl Sided {
    /// The `ok` operations invoked after the partition started and completed before it
    /// healed, with their server and whether it is on the minority side.
    fn during(&self) -> Vec<(&HistoryOp, u32, bool)> {
        let (start, end) = self.window;
        self.history
            .ops
            .iter()
            .zip(&self.server)
            .filter(|(op, _)| {
                op.outcome == OpOutcome::Ok
                    && op.invoke_ns >= start
                    && op.complete_ns.is_some_and(|c| c <= end)
            })
            .map(|(op, s)| {
                let s = s.expect("every ok operation's server is known");
                (op, s, self.minority.contains(&s))
            })
            .collect()
    }

    fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for (op, _, minority) in self.during() {
            let write = op.op != OpKind::Get;
            match (minority, write) {
                (true, false) => c.minority_reads += 1,
                (true, true) => c.minority_writes += 1,
                (false, false) => c.majority_reads += 1,
                (false, true) => c.majority_writes += 1,
            }
        }
        c
    }

    /// Per key written during the partition: was it written on the minority side, on the
    /// majority side.
    fn written_sides(&self) -> BTreeMap<String, (bool, bool)> {
        let mut m: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        for (op, _, minority) in self.during() {
            if op.op != OpKind::Get {
                let e = m.entry(op.key.clone()).or_default();
                if minority {
                    e.0 = true;
                } else {
                    e.1 = true;
                }
            }
        }
        m
    }

    /// Keys with an `ok` operation answered on the minority side during the partition.
    fn minority_keys(&self) -> usize {
        let mut keys: Vec<&str> =
            self.during().into_iter().filter(|(_, _, m)| *m).map(|(op, _, _)| op.key.as_str()).collect();
        keys.sort();
        keys.dedup();
        keys.len()
    }
}

/// Runs `s` with a trace and works out which server answered each `ok` operation.
fn sided(s: &Scenario, seed: u64) -> Sided {
    let sink = Shared::default();
    let out =
        runner::run_full(s, RunOptions { trace: Some(Box::new(sink.clone())), ..RunOptions::seed(seed) })
            .expect("runs");
    let history = out.history.expect("a key-value run has a history");
    let trace = sink.0.lock().expect("lock").clone();
    let trace = String::from_utf8(trace).expect("the trace is UTF-8");
    // (client name, time) → servers whose reply reached that client at that instant.
    let mut replies: BTreeMap<(String, u64), Vec<String>> = BTreeMap::new();
    for line in trace.lines().filter(|l| l.contains(r#""ev":"deliver""#) && l.contains(r#""kind":"Reply""#)) {
        let v: serde_json::Value = serde_json::from_str(line).expect("a trace line is JSON");
        let to = v["to"].as_str().expect("to").to_string();
        let t = v["t"].as_u64().expect("t");
        replies.entry((to, t)).or_default().push(v["from"].as_str().expect("from").to_string());
    }
    let server = history
        .ops
        .iter()
        .map(|op| {
            let t = op.complete_ns.filter(|_| op.outcome == OpOutcome::Ok)?;
            match replies.get(&(format!("c{}", op.client + 1), t)).map(Vec::as_slice) {
                Some([one]) => Some(one.strip_prefix('n')?.parse::<u32>().ok()? - 1),
                other => panic!("seed {seed}: the reply completing {op:?} is ambiguous: {other:?}"),
            }
        })
        .collect();
    let p = out.outcome.faults.iter().find(|f| f.kind == FaultKind::Partition).expect("the partition fired");
    // The cut's sides, as node ids: the smaller group is the minority.
    let Some(Cut::Groups(groups)) = p.cut() else { panic!("a partition cuts into groups: {p:?}") };
    assert_eq!(groups.len(), 2, "{p:?}");
    let minority: Vec<u32> =
        groups.iter().min_by_key(|g| g.len()).expect("two groups").iter().map(|n| n.0).collect();
    assert_eq!(minority.len(), 2, "{p:?}");
    let window = (p.start.0, p.end.expect("the partition heals").0);
    Sided { history, server, minority, window, outcome: out.outcome }
}

/// Whether the linearizability checker refuted the run, with the counterexample's size.
fn refuted(o: &Outcome) -> Option<usize> {
    let lin = o.linearizability.as_ref().expect("a key-value run is checked");
    (lin.verdict == "not_linearizable")
        .then(|| lin.counterexample.as_ref().and_then(|c| c["ops"].as_array()).map_or(0, Vec::len))
}

/// A value of the scenario model as JSON, for comparisons.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serializes")
}

#[test]
fn the_quorum_scenario_replays_raft_minority_partitions_schedule() {
    let (r, q) = (raft(), sloppy());
    assert_eq!(json(&r.faults), json(&q.faults));
    assert_eq!(json(&r.network), json(&q.network));
    assert_eq!(
        (r.duration.0, r.cluster.nodes, r.client_count()),
        (q.duration.0, q.cluster.nodes, q.client_count())
    );
    let (Some(WorkloadSpec::Kv(a)), Some(WorkloadSpec::Kv(b))) = (&r.workload, &q.workload) else {
        panic!("both run the key-value workload");
    };
    assert_eq!((a.keys, a.timeout.map(|t| t.0)), (b.keys, b.timeout.map(|t| t.0)));
    // Only puts and gets: what breaks is the partition, not a non-atomic append or cas.
    let mix = b.mix.expect("the quorum scenario sets its mix");
    assert_eq!((mix.append, mix.cas), (0.0, 0.0));
}

#[test]
fn both_sides_of_the_partition_serve_the_quorum_store_while_raft_minority_serves_nothing() {
    for seed in 1..=3 {
        let r = sided(&raft(), seed);
        let c = r.counts();
        // (b) Raft: the minority (which held the leader) completes nothing, writes included.
        assert_eq!((c.minority_reads, c.minority_writes), (0, 0), "raft seed {seed}: {c:?}");
        assert!(c.majority_writes > 100 && c.majority_reads > 100, "raft seed {seed}: {c:?}");
        assert!(r.outcome.passed, "raft seed {seed}: {:?}", r.outcome.failed_checks());
        // (a) The sloppy quorum store: reads and writes complete on both sides.
        let q = sided(&sloppy(), seed);
        let c = q.counts();
        assert!(c.minority_reads > 10 && c.minority_writes > 10, "quorum seed {seed}: {c:?}");
        assert!(c.majority_reads > 10 && c.majority_writes > 10, "quorum seed {seed}: {c:?}");
    }
}

#[test]
fn a_sloppy_quorum_writes_the_same_keys_on_both_sides_and_is_not_linearizable() {
    let (mut both_sides, mut refutations) = (Vec::new(), Vec::new());
    for seed in 1..=20 {
        let q = sided(&sloppy(), seed);
        let c = q.counts();
        // Clients stay with the server that last answered them, so in a few seeds they all
        // happen to sit on one side during the partition (seed 7: the minority, seed 19: the
        // majority). Whenever both sides serve writes, they write the same keys: split brain.
        if c.minority_writes > 0 && c.majority_writes > 0 {
            let sides = q.written_sides();
            let split = sides.values().filter(|(m, n)| *m && *n).count();
            assert!(
                split * 2 >= sides.len(),
                "seed {seed}: {split} of {} keys written on both sides",
                sides.len()
            );
            both_sides.push(seed);
        }
        // (c) The checker refutes the history, with a counterexample to show. Besides the
        // split brain, right after the heal a read can ask preferred replicas that missed
        // every write of the partition while those writes still wait on fallbacks for
        // hinted handoff (seed 19, with no split at all).
        if let Some(ops) = refuted(&q.outcome) {
            assert!(ops > 0, "seed {seed}: a refutation must come with a counterexample");
            refutations.push(seed);
        }
    }
    // Measured: both sides write in 18 of the first 20 seeds, and 19 of them are refuted.
    assert!(both_sides.len() >= 10, "both sides wrote only in seeds {both_sides:?}");
    assert!(refutations.len() >= 10, "refuted seeds: {refutations:?}");
}

#[test]
fn a_strict_quorum_keeps_each_key_on_one_side_but_is_neither_available_nor_linearizable() {
    for seed in 1..=3 {
        let st = sided(&strict(), seed);
        let sl = sided(&sloppy(), seed);
        // (d) What R + W > N on the preferred replicas buys: no key is written on both sides.
        let split: Vec<_> = st.written_sides().into_iter().filter(|(_, (m, n))| *m && *n).collect();
        assert!(split.is_empty(), "seed {seed}: strict quorum wrote {split:?} on both sides");
        // What it costs: the minority serves only the keys with two replicas on its side,
        // and the store completes a fraction of what the sloppy one does meanwhile.
        let (keys, all) = (st.minority_keys(), sl.minority_keys());
        assert!(keys < all, "seed {seed}: strict minority served {keys} keys, sloppy {all}");
        let (strict_ok, sloppy_ok) = (st.during().len(), sl.during().len());
        eprintln!(
            "seed {seed}: during the partition strict completes {strict_ok} ok ({keys} keys on the minority side), sloppy {sloppy_ok} ({all} keys)"
        );
        assert!(strict_ok * 2 < sloppy_ok, "seed {seed}: strict {strict_ok} ok vs sloppy {sloppy_ok}");
    }
    // And it is still not linearizable: with no sessions a retried put is written again
    // (with a newer version, after writes that followed its first attempt), and a read can
    // see a write still in flight that a later read misses. Measured: seeds 8 and 13 of the
    // first 20.
    let refuted_seeds: Vec<u64> = (1..=20)
        .filter(|&seed| {
            let o = runner::run(&strict(), RunOptions::seed(seed)).expect("runs");
            refuted(&o).inspect(|&ops| assert!(ops > 0, "seed {seed}: empty counterexample")).is_some()
        })
        .collect();
    eprintln!("strict quorum refuted on seeds {refuted_seeds:?} of 1..=20");
    assert!(!refuted_seeds.is_empty(), "no strict-quorum run refuted in 20 seeds");
    // Nor does R + W > N make read-modify-write atomic: with appends and cas in the mix,
    // concurrent read-then-writes lose updates even on a healthy network.
    let mut healthy = strict();
    healthy.faults.clear();
    if let Some(WorkloadSpec::Kv(k)) = &mut healthy.workload {
        k.mix = Some(MixSpec { get: 0.5, put: 0.3, append: 0.1, cas: 0.1 });
    }
    let o = runner::run(&healthy, RunOptions::seed(1)).expect("runs");
    assert!(refuted(&o).is_some_and(|ops| ops > 0), "{:?}", o.checks["linearizable"]);
}
