//! The linearizability checker against Porcupine's corpus: every history listed in
//! `tests/data/porcupine/verdicts.json` must get the verdict recorded there, and every
//! counterexample must itself be non-linearizable — both searching each history whole and
//! checking it piece by piece, cut at quiescent points, as a run does.
//!
//! Timing: `cargo test --release --test integration porcupine_corpus:: -- --nocapture`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use eightfold::check::formats::{self, Format};
use eightfold::check::linearizability::{
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
    initial: Option<eightfold::check::linearizability::Value>,
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

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_eightfold")).args(args).output().expect("run eightfold");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_exit_codes() {
    let good = corpus().join("jepsen/etcd_002.log");
    let bad = corpus().join("kv/c01-bad.txt");
    let (code, out, _) = run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("linearizable"), "{out}");
    let (code, out, _) = run_cli(&["check", bad.to_str().unwrap(), "--format", "porcupine-kv"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot all have happened as observed"), "{out}");

    // Undecided within the budget: exit 3.
    let (code, out, _) =
        run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd", "--budget", "10"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("unknown: the budget of 10 search steps ran out"), "{out}");

    // Bad input: exit 2 with one line naming the place.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let malformed = dir.join("malformed-etcd.log");
    std::fs::write(&malformed, "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nthis is not a log line\n")
        .unwrap();
    let (code, _, err) = run_cli(&["check", malformed.to_str().unwrap(), "--format", "porcupine-etcd"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: ") && err.contains("malformed-etcd.log: line 2: expected"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let json = dir.join("malformed-history.json");
    std::fs::write(&json, r#"{"ops":[{"client":0,"op":"get","key":"k","invoke_ns":1,"outcome":"maybe"}]}"#)
        .unwrap();
    let (code, _, err) = run_cli(&["check", json.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("malformed-history.json: ops[0].outcome: unknown variant `maybe`"), "{err}");

    let (code, _, err) = run_cli(&["check", dir.join("no-such-file.json").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) =
        run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd", "--budget", "soon"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--budget: expected a number of search steps"), "{err}");
    // A wall-clock budget is refused: it would make the verdict depend on the machine.
    let (code, _, err) =
        run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd", "--budget", "10s"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "--budget: expected a number of search steps (e.g. 20000000 or 20M), found the duration \"10s\""
        ),
        "{err}"
    );
    let (code, _, err) =
        run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd", "--memory", "1KB"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--memory: expected a size of at least 1MiB"), "{err}");
    // Several keys cannot be one register.
    let (code, _, err) =
        run_cli(&["check", bad.to_str().unwrap(), "--format", "porcupine-kv", "--model", "register"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the register model checks one register"), "{err}");
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
