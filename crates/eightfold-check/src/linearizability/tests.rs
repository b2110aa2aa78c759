//! The checker's behaviour on small histories whose verdict is known by hand.

use std::time::Duration;

use super::*;

fn v(s: &str) -> Value {
    Value::from(s)
}

fn write(client: u32, val: &str, call: u64, ret: u64) -> Operation<CellOp, CellResult> {
    Operation::completed(client, CellOp::Write(v(val)), CellResult::Done, call, ret)
}

fn read(client: u32, seen: Option<&str>, call: u64, ret: u64) -> Operation<CellOp, CellResult> {
    Operation::completed(client, CellOp::Read, CellResult::Read(seen.map(v)), call, ret)
}

/// `n` concurrent writes of "0" to "n-1", then reads of the last value, of the one before,
/// and of the last again, which cannot be: refuting it means trying the orders of the
/// writes, and no shortcut can tell early (every read's value is still being written).
fn expensive_to_refute(n: u32) -> Vec<Operation<CellOp, CellResult>> {
    let mut ops: Vec<_> = (0..n).map(|i| write(i, &i.to_string(), 0, 100)).collect();
    let (last, before) = ((n - 1).to_string(), (n - 2).to_string());
    ops.push(read(n, Some(&last), 50, 60));
    ops.push(read(n, Some(&before), 70, 80));
    ops.push(read(n, Some(&last), 85, 95));
    ops
}

fn verdict(ops: &[Operation<CellOp, CellResult>]) -> Verdict {
    check(&Register::default(), ops, &Options::default()).verdict
}

fn is_linearizable(ops: &[Operation<CellOp, CellResult>]) -> bool {
    match verdict(ops) {
        Verdict::Linearizable => true,
        Verdict::NotLinearizable(_) => false,
        Verdict::Unknown { reason } => panic!("undecided: {reason}"),
    }
}

#[test]
fn indeterminate_write_that_must_have_been_applied() {
    // The write timed out, yet a later read saw its value: it took effect.
    let ops = vec![Operation::indeterminate(0, CellOp::Write(v("1")), 0), read(1, Some("1"), 10, 11)];
    assert!(is_linearizable(&ops));
    // Without it, the read is unexplained.
    assert!(!is_linearizable(&ops[1..]));
}

#[test]
fn indeterminate_write_that_must_not_have_been_applied() {
    // The write timed out and no read ever saw it: it never took effect (or only after
    // everything else), even though it was invoked before both reads.
    let ops = vec![
        Operation::indeterminate(0, CellOp::Write(v("1")), 0),
        write(1, "2", 1, 2),
        read(2, Some("2"), 3, 4),
        read(2, Some("2"), 5, 6),
    ];
    assert!(is_linearizable(&ops));
    // Had it completed before the first read, the reads would be wrong.
    let mut completed = ops.clone();
    completed[0] = write(0, "1", 2, 3);
    assert!(is_linearizable(&completed)); // it may still go before write 2…
    completed[0] = write(0, "1", 2, 2);
    completed[1] = write(1, "2", 0, 1);
    assert!(!is_linearizable(&completed)); // …but not after it.
}

#[test]
fn indeterminate_cas_applies_only_if_it_matches() {
    let cas = CellOp::Cas { expected: Some(v("1")), new: v("2") };
    let ops =
        vec![write(0, "1", 0, 1), Operation::indeterminate(1, cas.clone(), 2), read(2, Some("2"), 5, 6)];
    assert!(is_linearizable(&ops));
    let ops = vec![write(0, "3", 0, 1), Operation::indeterminate(1, cas, 2), read(2, Some("2"), 5, 6)];
    assert!(!is_linearizable(&ops));
}

#[test]
fn stale_read_is_rejected_with_a_minimal_counterexample() {
    let ops = vec![write(0, "1", 0, 1), write(1, "2", 2, 3), read(2, Some("1"), 4, 5)];
    let Verdict::NotLinearizable(c) = verdict(&ops) else { panic!("a stale read passed") };
    // Held: write 2 and the read. Write 1 may stay relaxed (it still explains the "1").
    let held: Vec<usize> = c.ops.iter().map(|o| o.index).collect();
    assert_eq!(held, vec![1, 2]);
    assert!(c.minimal);
    assert_eq!(c.ops[1].kind, "read");
    assert_eq!(c.ops[1].output, "\"1\"");
    assert_eq!((c.ops[1].call, c.ops[1].ret), (4, Some(5)));
    // Minimal: removing any one operation of it makes the history linearizable.
    for drop in &held {
        let rest: Vec<_> =
            ops.iter().enumerate().filter(|(i, _)| i != drop).map(|(_, o)| o.clone()).collect();
        assert!(is_linearizable(&rest), "still failing without op {drop}");
    }
    // The partial order shown got as far as write 2.
    assert_eq!(c.partial.last().map(|s| s.state_after.as_str()), Some("\"2\""));
    let text = c.render(Notation::Eightfold);
    assert!(text.contains("c3    read       -> \"1\"  [4ns, 5ns]"), "{text}");
}

#[test]
fn counterexample_is_minimal_on_a_larger_history() {
    // Noise around one lost update: a cas that reports success on a value already replaced.
    let mut ops = vec![write(0, "a", 0, 1)];
    for i in 0..6u32 {
        let t = 10 + 10 * u64::from(i);
        ops.push(read(1, Some("a"), t, t + 1));
    }
    ops.push(write(2, "b", 80, 81));
    let cas = CellOp::Cas { expected: Some(v("a")), new: v("c") };
    ops.push(Operation::completed(3, cas, CellResult::Cas { applied: true }, 90, 91));
    ops.push(read(1, Some("c"), 100, 101));
    let Verdict::NotLinearizable(c) = verdict(&ops) else { panic!("passed") };
    let held: Vec<usize> = c.ops.iter().map(|o| o.index).collect();
    assert_eq!(held, vec![7, 8], "{}", c.render(Notation::Eightfold));
    assert!(c.minimal);
    // The failure shows once the last read is invoked (the cas has returned by then);
    // that read takes part only as an operation still running at the cut.
    assert_eq!((c.considered, c.cut), (10, Some(100)));
}

#[test]
fn step_budget_exhaustion_gives_unknown() {
    // Many concurrent writes and a read of a value none wrote: refuting it takes a while.
    let ops = expensive_to_refute(14);
    let options =
        Options { budget: Budget { max_steps: 1_000, max_memory: usize::MAX }, ..Options::default() };
    let report = check(&Register::default(), &ops, &options);
    let Verdict::Unknown { reason } = report.verdict else { panic!("decided: {:?}", report.verdict) };
    assert_eq!(reason.exhausted, Exhausted::Steps(1_000));
    assert_eq!(reason.unresolved, vec!["the register".to_string()]);
    assert_eq!(report.stats.steps, 1_000);
    assert!(
        reason.to_string().starts_with("the budget of 1000 search steps ran out with 1 partition undecided")
    );
}

#[test]
fn memory_budget_exhaustion_gives_unknown() {
    let ops = expensive_to_refute(14);
    let budget = Budget { max_steps: u64::MAX, max_memory: 64 << 10 };
    let report = check(&Register::default(), &ops, &Options { budget, ..Options::default() });
    let Verdict::Unknown { reason } = report.verdict else { panic!("decided") };
    assert_eq!(reason.exhausted, Exhausted::Memory(64 << 10));
}

#[test]
fn the_watchdog_aborts_and_never_gives_a_verdict() {
    fn fire(o: &Overrun) -> ! {
        std::panic::panic_any(o.clone())
    }
    // An expensive refutation under a watchdog that has already run out.
    let ops = expensive_to_refute(8);
    let options = Options { watchdog: Some(Watchdog { limit: Duration::ZERO, fire }), ..Options::default() };
    let aborted = std::panic::catch_unwind(|| check(&Register::default(), &ops, &options));
    let overrun = aborted.expect_err("the watchdog fired").downcast::<Overrun>().expect("with what it saw");
    assert_eq!(overrun.budget, Budget::DECIDE);
    assert!(overrun.to_string().contains("raise the watchdog (--watchdog)"), "{overrun}");
    // Without it, the same history is decided, whatever the time it takes.
    let report = check(&Register::default(), &ops, &Options::default());
    assert!(matches!(report.verdict, Verdict::NotLinearizable(_)));
}

#[test]
fn the_memory_budget_counts_the_values_states_hold() {
    // Concurrent appends of long values, refuted by a read of nothing they wrote: every
    // memo entry holds a long text, and the budget must see it (the general search: the
    // fast path needs no memo).
    let long = |i: u32| format!("{}{i};", "x".repeat(10_000));
    let mut ops: Vec<_> = (0..10)
        .map(|i| Operation::completed(i, CellOp::Append(v(&long(i))), CellResult::Done, 0, 100))
        .collect();
    ops.push(read(20, Some("none"), 50, 60));
    let options = Options {
        budget: Budget { max_steps: u64::MAX, max_memory: 4 << 20 },
        shortcuts: false,
        ..Options::default()
    };
    let report = check(&Register::default(), &ops, &options);
    let Verdict::Unknown { reason } = report.verdict else { panic!("decided: {:?}", report.verdict) };
    assert_eq!(reason.exhausted, Exhausted::Memory(4 << 20));
    // Its figure: past the budget by at most one slice of steps' worth of entries.
    assert!(report.stats.memory > 4 << 20 && report.stats.memory < 200 << 20, "{}", report.stats.memory);
    // Deterministic: the same steps and bytes again.
    let again = check(&Register::default(), &ops, &options);
    assert_eq!((again.stats.steps, again.stats.memory), (report.stats.steps, report.stats.memory));
    // The fast path decides it at once.
    let fast = check(&Register::default(), &ops, &Options { shortcuts: true, ..options });
    assert!(matches!(fast.verdict, Verdict::NotLinearizable(_)), "{:?}", fast.verdict);
}

fn put(client: u32, key: &str, val: &str, call: u64, ret: u64) -> KvOperation {
    let input = KeyedOp { key: v(key), op: CellOp::Write(v(val)) };
    Operation::completed(client, input, CellResult::Done, call, ret)
}

fn get(client: u32, key: &str, seen: Option<&str>, call: u64, ret: u64) -> KvOperation {
    let input = KeyedOp { key: v(key), op: CellOp::Read };
    Operation::completed(client, input, CellResult::Read(seen.map(v)), call, ret)
}

#[test]
fn partitions_are_interleaved_so_an_expensive_key_cannot_starve_a_cheap_one() {
    // Key "a" (checked first) is expensive to refute; key "b" is a plain stale read.
    let mut ops: Vec<_> = expensive_to_refute(16)
        .into_iter()
        .map(|o| {
            let output = o.output.clone();
            Operation {
                client: o.client,
                input: KeyedOp { key: v("a"), op: o.input },
                output,
                call: o.call,
                ret: o.ret,
            }
        })
        .collect();
    ops.extend([put(40, "b", "1", 0, 1), put(40, "b", "2", 2, 3), get(41, "b", Some("1"), 4, 5)]);
    let options =
        Options { budget: Budget { max_steps: 200_000, max_memory: usize::MAX }, ..Options::default() };
    let report = check(&KeyValue::default(), &ops, &options);
    let Verdict::NotLinearizable(c) = &report.verdict else { panic!("{:?}", report.verdict) };
    assert_eq!(c.partition, "key \"b\"");
    assert!(report.stats.steps < 100_000);
    assert_eq!(report.stats.partitions, 2);
}

#[test]
fn reports_are_deterministic() {
    let mut ops: Vec<_> =
        (0..8).map(|i| put(i, "k", &i.to_string(), u64::from(i), 20 + u64::from(i))).collect();
    ops.push(get(9, "k", Some("3"), 30, 31));
    ops.push(get(9, "k", Some("5"), 32, 33));
    let a = check(&KeyValue::default(), &ops, &Options::default());
    let b = check(&KeyValue::default(), &ops, &Options::default());
    assert_eq!(a.verdict, b.verdict);
    assert_eq!((a.stats.steps, a.stats.shrink_steps), (b.stats.steps, b.stats.shrink_steps));
}

#[test]
fn unknown_reads_are_dropped_and_empty_histories_pass() {
    let ops = vec![write(0, "1", 0, 1), Operation::indeterminate(1, CellOp::Read, 0)];
    let report = check(&Register::default(), &ops, &Options::default());
    assert_eq!(report.verdict, Verdict::Linearizable);
    assert_eq!(report.stats.ops, 1);
    assert_eq!(check(&KeyValue::default(), &[], &Options::default()).verdict, Verdict::Linearizable);
}

#[test]
fn check_history_reads_eightfold_histories() {
    use crate::history::{History, HistoryOp, OpKind, OpOutcome};
    let op = |client, kind, value: Option<&str>, outcome, t0, t1: Option<u64>, read: Option<Option<&str>>| {
        HistoryOp {
            client,
            op: kind,
            key: "k".into(),
            value: value.map(Into::into),
            expected: None,
            invoke_ns: t0,
            complete_ns: t1,
            outcome,
            read: read.map(|r| r.map(Into::into)),
            applied: None,
        }
    };
    let mut h = History::new();
    h.ops.push(op(0, OpKind::Put, Some("a"), OpOutcome::Fail, 0, Some(5), None));
    h.ops.push(op(1, OpKind::Get, None, OpOutcome::Ok, 10, Some(20), Some(None)));
    h.ops.push(op(2, OpKind::Append, Some("b"), OpOutcome::Info, 30, None, None));
    h.ops.push(op(1, OpKind::Get, None, OpOutcome::Ok, 40, Some(50), Some(Some("b"))));
    let report = check_history(&h, &Options::default()).unwrap();
    assert_eq!(report.verdict, Verdict::Linearizable, "the failed put never happened; the append did");
    // Had the put not failed, the first read would be stale.
    h.ops[0].outcome = OpOutcome::Ok;
    let report = check_history(&h, &Options::default()).unwrap();
    let Verdict::NotLinearizable(c) = &report.verdict else { panic!("{:?}", report.verdict) };
    assert!(c.render(Notation::Eightfold).contains("c1    put \"k\" \"a\"  -> ok"));
    assert!(report.summary().starts_with("not linearizable: key \"k\""));
    // Counterexample indices point into `History::ops`, `fail`ed operations included.
    let mut failed_first = h.clone();
    failed_first.ops.insert(0, op(3, OpKind::Put, Some("z"), OpOutcome::Fail, 0, Some(1), None));
    let report = check_history(&failed_first, &Options::default()).unwrap();
    let Verdict::NotLinearizable(c) = &report.verdict else { panic!("{:?}", report.verdict) };
    let held: Vec<usize> = c.ops.iter().map(|o| o.index).collect();
    assert_eq!(held, vec![1, 2], "{}", c.render(Notation::Eightfold));
    assert!(c.partial.iter().all(|s| failed_first.ops[s.op.index].outcome != OpOutcome::Fail));
}

/// Options that cut as often as possible.
fn cutting(min_segment: usize) -> Options {
    Options { min_segment, ..Options::default() }
}

#[test]
fn the_segmented_check_agrees_on_the_hand_made_histories() {
    let cas = CellOp::Cas { expected: Some(v("1")), new: v("2") };
    let histories = vec![
        vec![Operation::indeterminate(0, CellOp::Write(v("1")), 0), read(1, Some("1"), 10, 11)],
        vec![read(1, Some("1"), 10, 11)],
        vec![
            Operation::indeterminate(0, CellOp::Write(v("1")), 0),
            write(1, "2", 1, 2),
            read(2, Some("2"), 3, 4),
            read(2, Some("2"), 5, 6),
        ],
        vec![write(0, "1", 0, 1), Operation::indeterminate(1, cas.clone(), 2), read(2, Some("2"), 5, 6)],
        vec![write(0, "3", 0, 1), Operation::indeterminate(1, cas, 2), read(2, Some("2"), 5, 6)],
        vec![write(0, "1", 0, 1), write(1, "2", 2, 3), read(2, Some("1"), 4, 5)],
        vec![write(0, "1", 0, 10), read(1, None, 1, 2), read(2, Some("1"), 3, 4)],
        vec![write(0, "1", 0, 10), read(1, Some("1"), 1, 2), read(2, None, 3, 4)],
    ];
    for ops in histories {
        let whole = verdict(&ops);
        for min in [1, 2, 32] {
            let seg = check_segmented(&Register::default(), &ops, &cutting(min)).verdict;
            assert_eq!(
                matches!(seg, Verdict::Linearizable),
                matches!(whole, Verdict::Linearizable),
                "{ops:?} with segments of {min}: {seg:?} vs {whole:?}"
            );
        }
    }
}

/// A long single-key history: writes then reads of each value, one at a time, `n` pairs.
fn long_history(n: u64) -> Vec<KvOperation> {
    let mut ops = Vec::new();
    for i in 0..n {
        let t = 100 * i;
        ops.push(put(0, "k", &i.to_string(), t, t + 10));
        ops.push(get(1, "k", Some(&i.to_string()), t + 20, t + 30));
    }
    ops
}

#[test]
fn a_long_history_is_held_only_in_part() {
    let ops = long_history(5_000);
    let mut check = Incremental::new(KeyValue::default(), Options::default());
    let mut most = 0;
    for (i, o) in ops.iter().enumerate() {
        let lane = check.lane("k", || "k".into());
        check.push(lane, i, o.clone());
        most = most.max(check.held());
    }
    assert!(most <= 2 * segment::MIN_SEGMENT, "held up to {most} operations");
    let report = check.finish();
    assert_eq!(report.verdict, Verdict::Linearizable);
    assert_eq!(report.stats.ops, 10_000);
}

#[test]
fn a_stale_read_late_in_a_long_history_is_explained_from_the_cut() {
    let mut ops = long_history(500);
    // Near the end, a read sees the value before the latest write.
    let n = ops.len();
    ops[n - 3] = get(1, "k", Some("497"), ops[n - 3].call, ops[n - 3].ret.expect("returned"));
    let whole = check(&KeyValue::default(), &ops, &Options::default());
    let seg = check_segmented(&KeyValue::default(), &ops, &Options::default());
    let (Verdict::NotLinearizable(w), Verdict::NotLinearizable(c)) = (&whole.verdict, &seg.verdict) else {
        panic!("{:?} / {:?}", whole.verdict, seg.verdict)
    };
    assert_eq!(c.ops.iter().map(|o| o.index).collect::<Vec<_>>(), vec![n - 4, n - 3]);
    assert_eq!(w.ops.iter().map(|o| o.index).collect::<Vec<_>>(), vec![n - 4, n - 3]);
    assert!(c.minimal);
    let carried = c.carried_in.as_ref().expect("the failure lies after a cut");
    assert!(carried.before > 900, "{carried:?}");
    assert_eq!(carried.pending, 0);
    assert_eq!(carried.states.len(), 1);
    // The segment held far fewer operations than the history.
    assert!(c.partition_ops < 100, "{}", c.partition_ops);
    let text = c.render(Notation::Eightfold);
    assert!(text.contains(&format!("the {} operations invoked before", carried.before)), "{text}");
}

#[test]
fn the_segmented_check_runs_out_of_budget_as_unknown() {
    let ops = expensive_to_refute(14);
    let options = Options { budget: Budget { max_steps: 1_000, max_memory: usize::MAX }, ..cutting(1) };
    let report = check_segmented(&Register::default(), &ops, &options);
    let Verdict::Unknown { reason } = report.verdict else { panic!("decided: {:?}", report.verdict) };
    assert_eq!(reason.exhausted, Exhausted::Steps(1_000));
    assert_eq!(reason.unresolved, vec!["the register".to_string()]);
}

#[test]
fn the_history_checker_indexes_counterexamples_into_the_history() {
    use crate::history::{HistoryOp, OpKind, OpOutcome};
    let op = |client, kind, value: Option<&str>, outcome, t0: u64, read: Option<Option<&str>>| HistoryOp {
        client,
        op: kind,
        key: "k".into(),
        value: value.map(Into::into),
        expected: None,
        invoke_ns: t0,
        complete_ns: (outcome != OpOutcome::Info).then_some(t0 + 5),
        outcome,
        read: read.map(|r| r.map(Into::into)),
        applied: None,
    };
    let mut check = HistoryChecker::new(cutting(1));
    let ops = [
        op(0, OpKind::Put, Some("a"), OpOutcome::Fail, 0, None),
        op(1, OpKind::Put, Some("b"), OpOutcome::Ok, 10, None),
        op(2, OpKind::Get, None, OpOutcome::Ok, 20, Some(Some("b"))),
        op(0, OpKind::Get, None, OpOutcome::Ok, 30, Some(Some("a"))),
    ];
    for (i, o) in ops.iter().enumerate() {
        check.push(i, o).expect("well formed");
    }
    let report = check.finish();
    let Verdict::NotLinearizable(c) = &report.verdict else { panic!("{:?}", report.verdict) };
    assert_eq!(c.ops.iter().map(|o| o.index).collect::<Vec<_>>(), vec![3]);
    let mut check = HistoryChecker::new(Options::default());
    let bad = HistoryOp { complete_ns: None, ..ops[1].clone() };
    let err = check.push(7, &bad).expect_err("an ok put needs its completion time");
    assert!(err.to_string().contains("ops[7].complete_ns"), "{err}");
}
