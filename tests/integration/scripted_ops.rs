//! Scripted client operations (the scenario's `operations`): explicit operations at given
//! times from a chosen client, recorded in the history like the workload's, checked like
//! them, and refused with one line naming the field when malformed.

use eightfold::runner::{RunOptions, run_full};
use eightfold::scenario::parse;
use eightfold::workload::history::{OpKind, OpOutcome};

fn scenario(workload: &str, operations: &str) -> String {
    format!(
        r#"{{ "name": "scripted", "duration": "6s",
             "cluster": {{ "protocol": "raft", "nodes": 3 }},
             "network": {{ "default": {{ "latency": {{ "dist": "uniform", "min": "1ms", "max": "3ms" }} }} }},
             "workload": {workload},
             "faults": [ {{ "at": "2500ms", "for": "1s", "fault": "isolate", "node": "leader" }} ],
             "operations": [{operations}] }}"#
    )
}

const TEACHING: &str = r#"
  { "at": "1s", "client": "c1", "op": "put", "key": "k1", "value": "x" },
  { "at": "2s", "client": "c2", "op": "get", "key": "k1" },
  { "at": "3s", "client": "c1", "op": "cas", "key": "k1", "expected": "x", "value": "y" },
  { "at": "3s", "client": "c2", "op": "append", "key": "k2", "value": "a;" },
  { "at": "3s", "client": "c2", "op": "cas", "key": "k3", "expected": null, "value": "z" },
  { "at": "5s", "client": "c2", "op": "get", "key": "k1" }"#;

/// A teaching scenario of scripted operations only: each happens once, from its client,
/// no earlier than asked, in the history with what it read or whether it applied; the run
/// is checked and passes.
#[test]
fn scripted_operations_run_as_written_and_are_recorded_like_the_workloads() {
    let s = parse(&scenario(r#"{ "type": "kv", "clients": 2, "random": false }"#, TEACHING)).expect("valid");
    let out = run_full(&s, RunOptions::seed(1)).expect("runs");
    assert!(out.outcome.passed, "{:?}", out.outcome.checks);
    let h = out.history.expect("kept");
    let ops: Vec<_> = h.ops.iter().map(|o| (o.client, o.op, o.key.as_str(), o.outcome)).collect();
    assert_eq!(
        ops,
        vec![
            (0, OpKind::Put, "k1", OpOutcome::Ok),
            (1, OpKind::Get, "k1", OpOutcome::Ok),
            (0, OpKind::Cas, "k1", OpOutcome::Ok),
            (1, OpKind::Append, "k2", OpOutcome::Ok),
            (1, OpKind::Cas, "k3", OpOutcome::Ok),
            (1, OpKind::Get, "k1", OpOutcome::Ok),
        ],
        "c2's cas waits for its append to end: a client runs one operation at a time"
    );
    let at = [1_000, 2_000, 3_000, 3_000, 3_000, 5_000];
    for (o, ms) in h.ops.iter().zip(at) {
        assert!(o.invoke_ns >= ms * 1_000_000, "{o:?} invoked before {ms} ms");
    }
    assert_eq!(h.ops[0].invoke_ns, 1_000_000_000, "an idle client invokes at once");
    assert_eq!(h.ops[1].read, Some(Some("x".into())));
    assert_eq!((h.ops[2].expected.as_deref(), h.ops[2].value.as_deref()), (Some("x"), Some("y")));
    assert_eq!(h.ops[2].applied, Some(true));
    assert_eq!(h.ops[4].applied, Some(true), "k3 held nothing, as expected");
    assert!(h.ops[4].invoke_ns >= h.ops[3].complete_ns.expect("ok"));
    assert_eq!(h.ops[5].read, Some(Some("y".into())));
    let again = run_full(&s, RunOptions::seed(1)).expect("runs");
    assert_eq!(again.outcome.digest, out.outcome.digest, "deterministic");
}

/// Beside clients drawing at random, a scripted operation goes to the named client, which
/// invokes it when its operation in flight ends; the drawn operations go on around it, and
/// `max_ops` counts only the drawn ones.
#[test]
fn a_busy_client_invokes_its_scripted_operation_when_it_is_free() {
    let ops = r#"{ "at": "1500ms", "client": "c2", "op": "put", "key": "k4", "value": "scripted" }"#;
    let s =
        parse(&scenario(r#"{ "type": "kv", "clients": 3, "keys": 3, "max_ops": 40 }"#, ops)).expect("valid");
    let out = run_full(&s, RunOptions::seed(3)).expect("runs");
    assert!(out.outcome.passed, "{:?}", out.outcome.checks);
    let h = out.history.expect("kept");
    let mine: Vec<_> = h.ops.iter().filter(|o| o.value.as_deref() == Some("scripted")).collect();
    assert_eq!(mine.len(), 1, "once");
    assert_eq!((mine[0].client, mine[0].key.as_str()), (1, "k4"));
    assert!(mine[0].invoke_ns >= 1_500_000_000);
    let earlier = h.ops.iter().filter(|o| o.client == 1 && o.invoke_ns < mine[0].invoke_ns);
    let busy_until = earlier.filter_map(|o| o.complete_ns).max().unwrap_or(0);
    assert!(mine[0].invoke_ns >= busy_until, "not before c2's previous operation ended");
    assert_eq!(h.ops.iter().filter(|o| o.client == 1).count(), 41, "40 drawn and the scripted one");
    assert_eq!(h.ops.iter().filter(|o| o.client == 0).count(), 40);
    let plain =
        parse(&scenario(r#"{ "type": "kv", "clients": 3, "keys": 3, "max_ops": 40 }"#, "")).expect("valid");
    let before = run_full(&plain, RunOptions::seed(3)).expect("runs").history.expect("kept");
    let drawn = |h: &[eightfold::workload::history::HistoryOp]| {
        h.iter()
            .filter(|o| o.client == 0 && o.invoke_ns < 1_000_000_000)
            .map(|o| (o.op, o.key.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(drawn(&h.ops), drawn(&before.ops), "a script changes no client's draws");
}

/// Each malformed operation is refused with one line naming its field.
#[test]
fn malformed_operations_are_refused_naming_the_field() {
    let kv = r#"{ "type": "kv", "clients": 2 }"#;
    let cases = [
        (r#"{ "at": "1s", "client": "n1", "op": "get", "key": "k1" }"#, "operations[0].client"),
        (r#"{ "at": "1s", "client": "c3", "op": "get", "key": "k1" }"#, "operations[0].client"),
        (r#"{ "at": "1s", "client": "c1", "op": "get", "key": "k1", "value": "v" }"#, "operations[0].value"),
        (
            r#"{ "at": "1s", "client": "c1", "op": "put", "key": "k1", "expected": "v" }"#,
            "operations[0].expected",
        ),
        (
            r#"{ "at": "1s", "client": "c1", "op": "cas", "key": "k1", "value": "v" }"#,
            "operations[0].expected",
        ),
        (r#"{ "at": "7s", "client": "c1", "op": "get", "key": "k1" }"#, "operations[0].at"),
        (r#"{ "at": "1s", "client": "c1", "op": "get", "key": "k0" }"#, "operations[0].key"),
        (r#"{ "at": "1s", "client": "c1", "op": "get", "key": "x1" }"#, "operations[0].key"),
        (r#"{ "at": "1s", "client": "c1", "op": "delete", "key": "k1" }"#, "operations[0].op"),
        (r#"{ "at": "1s", "client": "c1", "op": "put", "key": "k1", "value": "" }"#, "operations[0].value"),
        (r#"{ "at": "1s", "client": "c1", "op": "get", "key": "k1", "colour": 1 }"#, "operations[0]"),
        (r#"{ "at": "-1s", "client": "c1", "op": "get", "key": "k1" }"#, "operations[0].at"),
    ];
    for (op, field) in cases {
        let e = parse(&scenario(kv, op)).expect_err(op).to_string();
        assert!(e.starts_with(field), "{op}: {e}");
        assert!(!e.contains('\n'), "one line: {e}");
    }
    let late = parse(&scenario(
        r#"{ "type": "kv", "clients": 2, "start": "2s" }"#,
        r#"{ "at": "1s", "client": "c1", "op": "get", "key": "k1" }"#,
    ));
    assert!(late.expect_err("before the clients start").to_string().starts_with("operations[0].at"));
    let none = parse(
        r#"{ "name": "x", "duration": "2s", "cluster": { "protocol": "raft", "nodes": 3 },
             "operations": [ { "at": "1s", "client": "c1", "op": "get", "key": "k1" } ] }"#,
    );
    assert!(none.expect_err("no workload").to_string().starts_with("operations"));
}
