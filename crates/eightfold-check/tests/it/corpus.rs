//! The linearizability checker against Porcupine's corpus: every history listed in
//! `tests/data/porcupine/verdicts.json` must get the verdict recorded there, and every
//! counterexample must itself be non-linearizable — both searching each history whole and
//! checking it piece by piece, cut at quiescent points, as a run does.
//!
//! Timing: `cargo test --release -p eightfold-check --test it corpus:: -- --nocapture`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eightfold_check::formats::{self, Format};
use eightfold_check::linearizability::{
    Budget, CheckReport, KeyValue, KvOperation, Options, Register, Verdict, check, check_segmented,
    single_register,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    family: String,
    linearizable: bool,
    ops: usize,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/porcupine")
}

/// The defaults: every budget counts steps and accounted bytes, so the verdicts are the
/// same on any machine under any load.
fn options() -> Options {
    Options::default()
}

/// Checks `ops` of a corpus `family` with the whole-history search, or with `segmented`,
/// the search that cuts the history at quiescent points first.
fn check_ops(
    family: &str,
    ops: &[KvOperation],
    initial: Option<eightfold_check::linearizability::Value>,
    segmented: bool,
) -> CheckReport {
    match family {
        "etcd" => {
            let ops = single_register(ops.to_vec()).expect("etcd logs have one register");
            let model = Register { initial };
            if segmented {
                check_segmented(&model, &ops, &options())
            } else {
                check(&model, &ops, &options())
            }
        }
        "kv" => {
            let model = KeyValue { initial };
            if segmented { check_segmented(&model, ops, &options()) } else { check(&model, ops, &options()) }
        }
        other => panic!("unknown family {other}"),
    }
}

#[derive(Default)]
struct Tally {
    files: usize,
    ops: usize,
    steps: u64,
    decide: Duration,
    shrink: Duration,
    total: Duration,
}

#[test]
fn every_corpus_history_gets_its_recorded_verdict() {
    let text = std::fs::read_to_string(corpus().join("verdicts.json")).expect("verdicts.json");
    let expected: BTreeMap<String, Expected> = serde_json::from_str(&text).expect("verdicts.json parses");
    assert_eq!(expected.len(), 108, "the corpus lists 108 histories");
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    let start = Instant::now();
    for (file, want) in &expected {
        let format = if want.family == "etcd" { Format::PorcupineEtcd } else { Format::PorcupineKv };
        let t0 = Instant::now();
        let parsed = formats::load(&corpus().join(file), format).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(parsed.ops.len(), want.ops, "{file}: operation count");
        let report = check_ops(&want.family, &parsed.ops, parsed.initial.clone(), false);
        let elapsed = t0.elapsed();
        let t = tallies.entry(want.family.clone()).or_default();
        t.files += 1;
        t.ops += want.ops;
        t.steps += report.stats.steps + report.stats.shrink_steps;
        t.decide += report.stats.elapsed;
        t.shrink += report.stats.shrink_elapsed;
        t.total += elapsed;
        match (&report.verdict, want.linearizable) {
            (Verdict::Linearizable, true) => {}
            (Verdict::NotLinearizable(c), false) => {
                // The held operations alone must fail too: relaxing the others only ever
                // helped, and deleting them only removes options.
                let held: Vec<KvOperation> = c.ops.iter().map(|o| parsed.ops[o.index].clone()).collect();
                assert!(!held.is_empty(), "{file}: empty counterexample");
                let again = check_ops(&want.family, &held, parsed.initial.clone(), false);
                assert!(
                    matches!(again.verdict, Verdict::NotLinearizable(_)),
                    "{file}: the counterexample's operations alone are {:?}",
                    again.verdict
                );
            }
            (got, _) => failures.push(format!(
                "{file}: expected linearizable={}, got {}",
                want.linearizable,
                summary(got)
            )),
        }
        if file == "kv/c50-bad.txt" {
            // Keys 1-8 are cheap to refute; keys 0 and 9 are not. Interleaving must find a
            // cheap one long before the budget — a deterministic bound, unlike time.
            assert!(report.stats.steps < 1_000_000, "c50-bad took {} steps to refute", report.stats.steps);
            println!("kv/c50-bad.txt: {} in {:.3} s", report.summary(), elapsed.as_secs_f64());
        }
    }
    let total = start.elapsed();
    println!("family  files    ops       steps  decide (s)  shrink (s)  total (s)");
    for (family, t) in &tallies {
        println!(
            "{family:<6} {:>6} {:>6} {:>11} {:>11.3} {:>11.3} {:>10.3}",
            t.files,
            t.ops,
            t.steps,
            t.decide.as_secs_f64(),
            t.shrink.as_secs_f64(),
            t.total.as_secs_f64()
        );
    }
    println!("whole corpus: {} histories checked in {:.3} s", expected.len(), total.as_secs_f64());
    assert!(failures.is_empty(), "{} wrong verdicts:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn checking_piece_by_piece_gets_every_recorded_verdict() {
    let text = std::fs::read_to_string(corpus().join("verdicts.json")).expect("verdicts.json");
    let expected: BTreeMap<String, Expected> = serde_json::from_str(&text).expect("verdicts.json parses");
    let mut failures = Vec::new();
    let (mut steps, mut decide, mut shrink) = (0u64, Duration::ZERO, Duration::ZERO);
    let start = Instant::now();
    for (file, want) in &expected {
        let format = if want.family == "etcd" { Format::PorcupineEtcd } else { Format::PorcupineKv };
        let parsed = formats::load(&corpus().join(file), format).unwrap_or_else(|e| panic!("{file}: {e}"));
        let report = check_ops(&want.family, &parsed.ops, parsed.initial.clone(), true);
        steps += report.stats.steps + report.stats.shrink_steps;
        decide += report.stats.elapsed;
        shrink += report.stats.shrink_elapsed;
        match (&report.verdict, want.linearizable) {
            (Verdict::Linearizable, true) => {}
            (Verdict::NotLinearizable(c), false) => {
                // The held operations, with everything before the cut they were found
                // after, cannot be linearized either.
                let cut = c.carried_in.as_ref().map_or(0, |k| k.cut);
                let key = |o: &KvOperation| format!("key {:?}", &*o.input.key);
                let mut subset: Vec<usize> = (0..parsed.ops.len())
                    .filter(|&i| parsed.ops[i].call < cut)
                    .filter(|&i| want.family == "etcd" || key(&parsed.ops[i]) == c.partition)
                    .collect();
                subset.extend(c.ops.iter().map(|o| o.index));
                subset.sort_unstable();
                subset.dedup();
                let held: Vec<KvOperation> = subset.iter().map(|&i| parsed.ops[i].clone()).collect();
                let again = check_ops(&want.family, &held, parsed.initial.clone(), false);
                assert!(
                    matches!(again.verdict, Verdict::NotLinearizable(_)),
                    "{file}: the counterexample's operations with those before its cut are {:?}",
                    again.verdict
                );
            }
            (got, _) => failures.push(format!(
                "{file}: expected linearizable={}, got {} piece by piece",
                want.linearizable,
                summary(got)
            )),
        }
    }
    println!(
        "piece by piece: {} histories in {:.3} s ({steps} steps, deciding {:.3} s, shrinking {:.3} s)",
        expected.len(),
        start.elapsed().as_secs_f64(),
        decide.as_secs_f64(),
        shrink.as_secs_f64()
    );
    assert!(failures.is_empty(), "{} wrong verdicts:\n{}", failures.len(), failures.join("\n"));
}

fn summary(v: &Verdict) -> String {
    match v {
        Verdict::Linearizable => "linearizable".into(),
        Verdict::NotLinearizable(c) => format!("not linearizable ({})", c.partition),
        Verdict::Unknown { reason } => format!("unknown: {reason}"),
    }
}

#[test]
fn budget_is_respected_deterministically() {
    let parsed = formats::load(&corpus().join("jepsen/etcd_002.log"), Format::PorcupineEtcd).unwrap();
    let ops = single_register(parsed.ops).unwrap();
    let mut o = options();
    o.budget = Budget { max_steps: 5_000, max_memory: usize::MAX };
    let a = check(&Register::default(), &ops, &o);
    let b = check(&Register::default(), &ops, &o);
    assert!(matches!(a.verdict, Verdict::Unknown { .. }), "{:?}", a.verdict);
    assert_eq!(a.verdict, b.verdict);
    assert_eq!(a.stats.steps, 5_000);
}
