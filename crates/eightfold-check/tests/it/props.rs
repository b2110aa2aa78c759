//! Properties of the linearizability checker on generated histories:
//! - a history produced by running the key-value model sequentially, with each operation's
//!   interval drawn around its linearization point (so intervals overlap, but consistently),
//!   and with timeouts (`info`) and failures (`fail`) mixed in, is always linearizable;
//! - swapping the results of two reads that are ordered in real time and saw different
//!   values makes it non-linearizable, and the counterexample's operations alone fail too;
//! - checking piece by piece, cut at quiescent points as a run does (`check_segmented`),
//!   gives the same verdict as searching the whole history, on histories with some results
//!   corrupted (so both verdicts occur), and its counterexamples fail together with the
//!   operations before their cut.

use std::collections::BTreeMap;

use eightfold_check::formats;
use eightfold_check::history::{History, HistoryOp, OpKind, OpOutcome};
use eightfold_check::linearizability::{KeyValue, Options, Verdict, check, check_history, check_segmented};
use proptest::prelude::*;

/// What a generated operation does.
#[derive(Clone, Debug)]
enum Action {
    Get,
    Put(u8),
    Append(u8),
    /// Compare-and-set from a random value (usually fails to match)…
    Cas(Option<u8>, u8),
    /// …or from whatever the key holds at that point (always matches).
    CasCurrent(u8),
}

/// How a generated operation ends.
#[derive(Clone, Copy, Debug)]
enum Ending {
    Ok,
    /// Timed out, but took effect.
    InfoApplied,
    /// Timed out and never took effect.
    InfoLost,
    /// Definitely did not take effect.
    Fail,
}

#[derive(Clone, Debug)]
struct Gen {
    key: u8,
    action: Action,
    ending: Ending,
    /// How long before its linearization point the operation was invoked…
    before: u64,
    /// …and how long after it the client learned the outcome.
    after: u64,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Get),
        2 => (0u8..4).prop_map(Action::Put),
        2 => (0u8..4).prop_map(Action::Append),
        1 => (proptest::option::of(0u8..4), 0u8..4).prop_map(|(e, n)| Action::Cas(e, n)),
        1 => (0u8..4).prop_map(Action::CasCurrent),
    ]
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![8 => Just(Ending::Ok), 1 => Just(Ending::InfoApplied), 1 => Just(Ending::InfoLost), 1 => Just(Ending::Fail)]
}

fn gens(max: usize, timing: u64, endings: BoxedStrategy<Ending>) -> impl Strategy<Value = Vec<Gen>> {
    proptest::collection::vec(
        (0u8..3, action(), endings, 0..=timing, 0..=timing)
            .prop_map(|(key, action, ending, before, after)| Gen { key, action, ending, before, after }),
        0..max,
    )
}

/// Runs `gens` one after another against a map, operation `i` taking effect at time
/// `1000 + 10·i`, and records what each client saw.
fn execute(gens: &[Gen]) -> History {
    let mut state: BTreeMap<String, String> = BTreeMap::new();
    let mut history = History::new();
    for (i, g) in gens.iter().enumerate() {
        let at = 1000 + 10 * i as u64;
        let key = format!("k{}", g.key);
        let current = state.get(&key).cloned();
        let takes_effect = matches!(g.ending, Ending::Ok | Ending::InfoApplied);
        let (op, value, expected, read, applied) = match &g.action {
            Action::Get => (OpKind::Get, None, None, Some(current.clone()), None),
            Action::Put(n) => {
                let v = format!("v{n}");
                if takes_effect {
                    state.insert(key.clone(), v.clone());
                }
                (OpKind::Put, Some(v), None, None, None)
            }
            Action::Append(n) => {
                let v = format!("+{n}");
                if takes_effect {
                    state.entry(key.clone()).or_default().push_str(&v);
                }
                (OpKind::Append, Some(v), None, None, None)
            }
            Action::Cas(expected, new) => {
                let expected = expected.map(|e| format!("v{e}"));
                let matches = current == expected;
                let new = format!("v{new}");
                if takes_effect && matches {
                    state.insert(key.clone(), new.clone());
                }
                (OpKind::Cas, Some(new), expected, None, Some(matches))
            }
            Action::CasCurrent(new) => {
                let new = format!("v{new}");
                if takes_effect {
                    state.insert(key.clone(), new.clone());
                }
                (OpKind::Cas, Some(new), current.clone(), None, Some(true))
            }
        };
        let outcome = match g.ending {
            Ending::Ok => OpOutcome::Ok,
            Ending::InfoApplied | Ending::InfoLost => OpOutcome::Info,
            Ending::Fail => OpOutcome::Fail,
        };
        let ok = outcome == OpOutcome::Ok;
        history.ops.push(HistoryOp {
            client: i as u32,
            op,
            key,
            value,
            expected,
            invoke_ns: at - g.before,
            complete_ns: (outcome != OpOutcome::Info).then_some(at + g.after),
            outcome,
            read: if ok { read } else { None },
            applied: if ok { applied } else { None },
        });
    }
    history
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn sequential_executions_are_linearizable(gens in gens(40, 25, ending().boxed())) {
        let history = execute(&gens);
        let report = check_history(&history, &Options::default()).expect("generated histories are well formed");
        prop_assert_eq!(&report.verdict, &Verdict::Linearizable, "{}", report.summary());
        let again = check_history(&history, &Options::default()).expect("well formed");
        prop_assert_eq!(report.verdict, again.verdict);
        prop_assert_eq!(report.stats.steps, again.stats.steps);
    }

    #[test]
    fn swapping_what_two_ordered_reads_saw_is_caught(gens in gens(40, 0, Just(Ending::Ok).boxed()), pick in any::<prop::sample::Index>()) {
        // Intervals [at, at]: one point each, so every pair of operations is ordered.
        let mut history = execute(&gens);
        let reads: Vec<usize> = (0..history.ops.len()).filter(|&i| history.ops[i].op == OpKind::Get).collect();
        let pairs: Vec<(usize, usize)> = reads
            .iter()
            .flat_map(|&a| reads.iter().map(move |&b| (a, b)))
            .filter(|&(a, b)| a < b && history.ops[a].read != history.ops[b].read)
            .collect();
        prop_assume!(!pairs.is_empty());
        let (a, b) = pairs[pick.index(pairs.len())];
        let seen_a = history.ops[a].read.take();
        history.ops[a].read = history.ops[b].read.take();
        history.ops[b].read = seen_a;

        let report = check_history(&history, &Options::default()).expect("well formed");
        let Verdict::NotLinearizable(c) = &report.verdict else {
            return Err(TestCaseError::fail(format!("swapped reads {a} and {b} passed: {}", report.summary())));
        };
        // The counterexample names real operations, and they alone cannot be linearized.
        let mut alone = History::new();
        for op in &c.ops {
            prop_assert!(op.index < history.ops.len());
            alone.ops.push(history.ops[op.index].clone());
        }
        let again = check_history(&alone, &Options::default()).expect("well formed");
        prop_assert!(matches!(again.verdict, Verdict::NotLinearizable(_)), "{}", again.summary());
        prop_assert!(c.minimal);
    }
}

/// Corrupts what some `ok` reads saw (value `n`, or absent for 4) and flips some `ok`
/// compare-and-sets' `applied`: the history may stay linearizable or not.
fn corrupt(history: &mut History, flips: &[(prop::sample::Index, u8)]) {
    let oks: Vec<usize> = (0..history.ops.len())
        .filter(|&i| {
            history.ops[i].outcome == OpOutcome::Ok && matches!(history.ops[i].op, OpKind::Get | OpKind::Cas)
        })
        .collect();
    if oks.is_empty() {
        return;
    }
    for (pick, n) in flips {
        let op = &mut history.ops[oks[pick.index(oks.len())]];
        match op.op {
            OpKind::Get => op.read = Some((*n < 4).then(|| format!("v{n}"))),
            _ => op.applied = op.applied.map(|a| !a),
        }
    }
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Linearizable => "linearizable",
        Verdict::NotLinearizable(_) => "not linearizable",
        Verdict::Unknown { .. } => "unknown",
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn checking_piece_by_piece_agrees_with_the_whole_history(
        gens in gens(70, 12, ending().boxed()),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..5), 0..3),
        min_segment in 1usize..6,
    ) {
        let mut history = execute(&gens);
        corrupt(&mut history, &flips);
        let ops = formats::eightfold::operations(&history).expect("well formed");
        let model = KeyValue::default();
        let whole = check(&model, &ops, &Options::default());
        let options = Options { min_segment, ..Options::default() };
        let seg = check_segmented(&model, &ops, &options);
        prop_assert_eq!(verdict_name(&seg.verdict), verdict_name(&whole.verdict), "{} / {}", seg.summary(), whole.summary());
        let decided = !matches!(seg.verdict, Verdict::Unknown { .. });
        prop_assert!(decided, "{}", seg.summary());
        if let Verdict::NotLinearizable(c) = &seg.verdict {
            // The held operations, with everything the partition did before the cut,
            // cannot be linearized either.
            let key: String = c.partition.trim_start_matches("key ").trim_matches('"').to_string();
            let cut = c.carried_in.as_ref().map_or(0, |k| k.cut);
            let mut subset: Vec<usize> = (0..ops.len())
                .filter(|&i| *ops[i].input.key == *key && ops[i].call < cut)
                .collect();
            subset.extend(c.ops.iter().map(|o| o.index));
            subset.sort_unstable();
            subset.dedup();
            let part: Vec<_> = subset.iter().map(|&i| ops[i].clone()).collect();
            let again = check(&model, &part, &Options::default());
            prop_assert!(matches!(again.verdict, Verdict::NotLinearizable(_)), "{}", again.summary());
        }
    }
}

/// The generator above is only worth something if it produces both verdicts, and failures
/// found after a cut: counted over a fixed sample.
#[test]
fn the_generated_histories_exercise_both_verdicts_and_cuts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let strategy = (
        gens(70, 12, ending().boxed()),
        proptest::collection::vec((any::<prop::sample::Index>(), 0u8..5), 0..3),
    );
    let mut runner = TestRunner::deterministic();
    let (mut linearizable, mut not, mut after_cut) = (0, 0, 0);
    for _ in 0..300 {
        let (gens, flips) = strategy.new_tree(&mut runner).expect("a sample").current();
        let mut history = execute(&gens);
        corrupt(&mut history, &flips);
        let ops = formats::eightfold::operations(&history).expect("well formed");
        let options = Options { min_segment: 1, ..Options::default() };
        match check_segmented(&KeyValue::default(), &ops, &options).verdict {
            Verdict::Linearizable => linearizable += 1,
            Verdict::NotLinearizable(c) => {
                not += 1;
                after_cut += usize::from(c.carried_in.is_some());
            }
            Verdict::Unknown { reason } => panic!("undecided: {reason}"),
        }
    }
    assert!(
        linearizable >= 50 && not >= 50 && after_cut >= 20,
        "{linearizable} linearizable, {not} not ({after_cut} after a cut)"
    );
}
