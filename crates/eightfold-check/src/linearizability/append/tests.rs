//! The shortcuts against the plain search: on random small histories of appends and reads
//! (which the append-only decision takes), and of appends, reads, writes and
//! compare-and-sets (which only the read-guided prune touches), linearizable ones and ones
//! with a read corrupted, both must give the same verdict, the same counterexample, and the
//! same end configurations.

use proptest::prelude::*;

use super::super::cell::{CellOp, CellResult, Value};
use super::super::op::Operation;
use super::super::register::Register;
use super::super::search::{End, Goal, Progress, Root, Search, SearchOp};
use super::super::segment::uncovered;
use super::super::{Options, Verdict, check, check_segmented};
use super::ENDS_CAP;

type Op = Operation<CellOp, CellResult>;

#[derive(Clone, Debug)]
enum Ending {
    Ok,
    /// Timed out, took effect.
    InfoApplied,
    /// Timed out, never took effect.
    InfoLost,
}

#[derive(Clone, Debug)]
enum Action {
    Read,
    Append,
    Write,
    /// A compare-and-set from the value the key holds (it applies)…
    CasCurrent,
    /// …or from one it does not hold (it fails).
    CasStale,
}

#[derive(Clone, Debug)]
struct Gen {
    action: Action,
    ending: Ending,
    before: u64,
    after: u64,
}

/// How a read's result is corrupted (to get histories that are not linearizable).
#[derive(Clone, Debug)]
enum Corruption {
    None,
    /// Drop the last value the read saw.
    DropLast(usize),
    /// Swap the first two values it saw.
    SwapFirst(usize),
    /// Add the value of an append (which may not precede the read, or never happen).
    Add(usize, usize),
    /// Saw nothing.
    Absent(usize),
    /// Exchange the results of two reads.
    Exchange(usize, usize),
}

fn gens(max: usize, mixed: bool) -> impl Strategy<Value = Vec<Gen>> {
    let ending =
        prop_oneof![6 => Just(Ending::Ok), 1 => Just(Ending::InfoApplied), 1 => Just(Ending::InfoLost)];
    let action = if mixed {
        prop_oneof![
            4 => Just(Action::Read),
            5 => Just(Action::Append),
            1 => Just(Action::Write),
            1 => Just(Action::CasCurrent),
            1 => Just(Action::CasStale),
        ]
        .boxed()
    } else {
        prop_oneof![2 => Just(Action::Read), 3 => Just(Action::Append)].boxed()
    };
    proptest::collection::vec(
        (action, ending, 0u64..40, 0u64..40).prop_map(|(action, ending, before, after)| Gen {
            action,
            ending,
            before,
            after,
        }),
        0..max,
    )
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        3 => Just(Corruption::None),
        1 => (0usize..8).prop_map(Corruption::DropLast),
        1 => (0usize..8).prop_map(Corruption::SwapFirst),
        1 => (0usize..8, 0usize..8).prop_map(|(r, a)| Corruption::Add(r, a)),
        1 => (0usize..8).prop_map(Corruption::Absent),
        1 => (0usize..8, 0usize..8).prop_map(|(a, b)| Corruption::Exchange(a, b)),
    ]
}

/// Runs the operations one after another (operation `i` takes effect at `100 + 10·i`),
/// values from `value(i)`, then corrupts one read.
fn history(gens: &[Gen], value: impl Fn(usize) -> String, corrupt: &Corruption) -> Vec<Op> {
    let mut text: Option<String> = None;
    let mut ops = Vec::new();
    let mut reads: Vec<(usize, Vec<String>)> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    for (i, g) in gens.iter().enumerate() {
        let at = 100 + 10 * i as u64;
        let call = at - g.before.min(at);
        let ret = at + g.after;
        let effect = !matches!(g.ending, Ending::InfoLost);
        let (input, output) = match g.action {
            Action::Append => {
                if effect {
                    text.get_or_insert_with(String::new).push_str(&value(i));
                    tokens.push(value(i));
                }
                (CellOp::Append(Value::from(value(i))), CellResult::Done)
            }
            Action::Read => {
                reads.push((ops.len(), tokens.clone()));
                (CellOp::Read, CellResult::Read(text.as_deref().map(Value::from)))
            }
            Action::Write | Action::CasCurrent | Action::CasStale => {
                let new = format!("w{i}|");
                let before = text.as_deref().map(Value::from);
                if effect && !matches!(g.action, Action::CasStale) {
                    text = Some(new.clone());
                    tokens = vec![new.clone()];
                }
                let new = Value::from(new);
                match g.action {
                    Action::Write => (CellOp::Write(new), CellResult::Done),
                    Action::CasCurrent => {
                        (CellOp::Cas { expected: before, new }, CellResult::Cas { applied: true })
                    }
                    _ => {
                        let expected = Some(Value::from("never"));
                        (CellOp::Cas { expected, new }, CellResult::Cas { applied: false })
                    }
                }
            }
        };
        ops.push(match g.ending {
            Ending::Ok => Operation::completed(i as u32, input, output, call, ret),
            // A read that timed out has no result.
            Ending::InfoApplied | Ending::InfoLost => Operation::indeterminate(i as u32, input, call),
        });
    }
    let seen = |t: &[String]| if t.is_empty() { None } else { Some(Value::from(t.concat())) };
    let set = |ops: &mut Vec<Op>, at: usize, v: Option<Value>| {
        if ops[at].output.is_some() {
            ops[at].output = Some(CellResult::Read(v));
        }
    };
    let all: Vec<String> =
        (0..gens.len()).filter(|&i| matches!(gens[i].action, Action::Append)).map(&value).collect();
    let pick = |n: usize| (!reads.is_empty()).then(|| &reads[n % reads.len()]);
    match corrupt {
        Corruption::None => {}
        Corruption::DropLast(r) => {
            if let Some((at, t)) = pick(*r).filter(|(_, t)| !t.is_empty()) {
                set(&mut ops, *at, seen(&t[..t.len() - 1]));
            }
        }
        Corruption::SwapFirst(r) => {
            if let Some((at, t)) = pick(*r).filter(|(_, t)| t.len() >= 2) {
                let mut t = t.clone();
                t.swap(0, 1);
                set(&mut ops, *at, seen(&t));
            }
        }
        Corruption::Add(r, a) => {
            if let (Some((at, t)), false) = (pick(*r), all.is_empty()) {
                let mut t = t.clone();
                t.push(all[a % all.len()].clone());
                set(&mut ops, *at, seen(&t));
            }
        }
        Corruption::Absent(r) => {
            if let Some((at, _)) = pick(*r) {
                set(&mut ops, *at, None);
            }
        }
        Corruption::Exchange(a, b) => {
            if let (Some((x, tx)), Some((y, ty))) = (pick(*a), pick(*b)) {
                set(&mut ops, *x, seen(ty));
                set(&mut ops, *y, seen(tx));
            }
        }
    }
    ops
}

fn options(fast: bool) -> Options {
    Options { shortcuts: fast, ..Options::default() }
}

fn search_ops(ops: &[Op]) -> Vec<SearchOp<'_, CellOp, CellResult>> {
    ops.iter()
        .map(|o| SearchOp {
            input: &o.input,
            output: o.output.as_ref(),
            call: o.call,
            ret: o.ret.unwrap_or(u64::MAX),
            optional: false,
        })
        .collect()
}

/// Every end configuration from `roots`, uncovered and sorted, or `None` if there are more
/// than a cut could take.
fn ends(ops: &[Op], roots: &[Root<Option<Value>>], fast: bool) -> Option<Vec<End<Option<Value>>>> {
    let model = Register::default();
    let mut s = Search::with_roots(&model, search_ops(ops), roots.to_vec(), Goal::Ends, false, fast);
    let progress = s.run(50_000_000);
    assert_ne!(progress, Progress::Running, "undecided");
    let found = s.take_ends();
    if found.len() > ENDS_CAP {
        return None;
    }
    let mut found = uncovered(found);
    found.sort_by(|a, b| (&a.state, &a.pending).cmp(&(&b.state, &b.pending)));
    Some(found)
}

/// Unique, prefix-free values (the fast path applies)…
fn clean(i: usize) -> String {
    format!("{i};")
}

/// …or values where one is a prefix of another (it must not apply: the general search).
fn tangled(i: usize) -> String {
    ["a", "ab", "b", "ba"][i % 4].to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_fast_path_gives_the_general_search_verdict(gens in gens(10, false), corrupt in corruption(), tangle in proptest::bool::weighted(0.15)) {
        let ops = if tangle { history(&gens, tangled, &corrupt) } else { history(&gens, clean, &corrupt) };
        let fast = check(&Register::default(), &ops, &options(true));
        let slow = check(&Register::default(), &ops, &options(false));
        prop_assert!(!matches!(slow.verdict, Verdict::Unknown { .. }), "general search undecided on {ops:?}");
        // Same verdict, and the same counterexample (the shrinker's tests get the same
        // answers either way).
        prop_assert_eq!(&fast.verdict, &slow.verdict, "{:?}", ops);
        if matches!(corrupt, Corruption::None) {
            prop_assert_eq!(&fast.verdict, &Verdict::Linearizable, "{:?}", ops);
        }
        // Piece by piece, cutting wherever possible, with and without the fast path.
        for fast_path in [true, false] {
            let seg = check_segmented(&Register::default(), &ops, &Options { min_segment: 1, ..options(fast_path) });
            prop_assert_eq!(
                matches!(seg.verdict, Verdict::Linearizable),
                matches!(slow.verdict, Verdict::Linearizable),
                "segmented (fast path {}) {:?} on {:?}", fast_path, seg.verdict, ops
            );
        }
    }

    #[test]
    fn the_shortcuts_find_the_same_end_configurations(gens in gens(8, false), mixed in gens(8, true), corrupt in corruption(), preset in proptest::bool::ANY, pick in proptest::bool::ANY) {
        let ops = history(if pick { &gens } else { &mixed }, clean, &corrupt);
        let mut roots = vec![Root { state: None, applied: Vec::new() }];
        if preset {
            // A second root: some text already there, and the first operation that never
            // returns already applied.
            let applied: Vec<u32> = (0..ops.len() as u32).filter(|&i| ops[i as usize].ret.is_none()).take(1).collect();
            roots.push(Root { state: Some(Value::from("p;")), applied });
        }
        let fast = ends(&ops, &roots, true);
        let slow = ends(&ops, &roots, false);
        prop_assert_eq!(fast, slow, "{:?}", ops);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// With writes and compare-and-sets among the appends, only the prune applies: it must
    /// never change a verdict or a counterexample.
    #[test]
    fn the_read_guided_prune_never_changes_a_verdict(gens in gens(11, true), corrupt in corruption()) {
        let ops = history(&gens, clean, &corrupt);
        let pruned = check(&Register::default(), &ops, &options(true));
        let plain = check(&Register::default(), &ops, &options(false));
        prop_assert!(!matches!(plain.verdict, Verdict::Unknown { .. }), "plain search undecided on {ops:?}");
        prop_assert_eq!(&pruned.verdict, &plain.verdict, "{:?}", ops);
        if matches!(corrupt, Corruption::None) {
            prop_assert_eq!(&pruned.verdict, &Verdict::Linearizable, "{:?}", ops);
        }
    }
}

#[test]
fn a_read_pins_the_order_of_concurrent_appends() {
    // Twelve appends all concurrent, then a read that saw them in one order: the general
    // search tries orders blindly; the fast path reads the order off the value.
    let mut ops: Vec<Op> = (0..12)
        .map(|i| {
            Operation::completed(i, CellOp::Append(Value::from(clean(i as usize))), CellResult::Done, 0, 100)
        })
        .collect();
    let order = [7, 3, 11, 0, 5, 9, 1, 10, 2, 8, 4, 6];
    let seen: String = order.iter().map(|&i| clean(i)).collect();
    ops.push(Operation::completed(
        20,
        CellOp::Read,
        CellResult::Read(Some(Value::from(seen.as_str()))),
        50,
        150,
    ));
    let fast = check(&Register::default(), &ops, &options(true));
    assert_eq!(fast.verdict, Verdict::Linearizable);
    assert!(fast.stats.steps < 100, "{} steps", fast.stats.steps);
    // The general search cannot tell within two million steps.
    let budget = super::super::Budget { max_steps: 2_000_000, ..super::super::Budget::DECIDE };
    let slow = check(&Register::default(), &ops, &Options { budget, ..options(false) });
    assert!(matches!(slow.verdict, Verdict::Unknown { .. }), "{:?}", slow.verdict);
    // The same read having returned before the last append was called cannot be.
    ops[12] =
        Operation::completed(20, CellOp::Read, CellResult::Read(Some(Value::from(seen.as_str()))), 50, 60);
    ops[6] = Operation::completed(6, CellOp::Append(Value::from(clean(6))), CellResult::Done, 70, 100);
    let fast = check(&Register::default(), &ops, &options(true));
    assert!(matches!(fast.verdict, Verdict::NotLinearizable(_)), "{:?}", fast.verdict);
    assert!(fast.stats.steps < 100, "{} steps", fast.stats.steps);
    // Refuting it, the general search tries every order of the appends: it runs out.
    let slow = check(&Register::default(), &ops, &Options { budget, ..options(false) });
    assert!(matches!(slow.verdict, Verdict::Unknown { .. }), "{:?}", slow.verdict);
}

#[test]
fn writes_or_tangled_values_leave_the_partition_to_the_general_search() {
    let model = Register::default();
    let roots = [Root { state: None, applied: Vec::new() }];
    let w = Operation::completed(0, CellOp::Write(Value::from("x")), CellResult::Done, 0, 1);
    let a = |v: &str| Operation::completed(1, CellOp::Append(Value::from(v)), CellResult::Done, 2, 3);
    let decide = |ops: &[Op]| super::decide(&model, &search_ops(ops), &roots, Goal::First).is_some();
    assert!(decide(&[a("x;"), a("y;")]));
    assert!(!decide(&[w.clone(), a("y;")]));
    assert!(!decide(&[a("x"), a("xy")]), "a value that is a prefix of another");
    assert!(!decide(&[a("x"), a("x")]), "two appends of the same value");
    assert!(!decide(&[a(""), a("y")]), "an empty append");
}
