//! eightfold's own `history.json` ([`History`]): parsing it with errors that name the JSON
//! path, and turning it into checker operations.
//!
//! - `ok` operations have a known result and return at `complete_ns`;
//! - `info` operations are indeterminate (any `complete_ns` is ignored);
//! - `fail` operations definitely did not take effect and are dropped.
//!
//! An `ok` get reads `read` (`null` = the key was absent); an `ok` get without a `read` is
//! an error, as an `ok` cas without `applied` is: the history does not say what it
//! returned, and guessing "absent" could turn a wrong read into a right one.

use super::{FormatError, MAX_OPS, ParsedHistory};
use crate::history::{FORMAT, History, HistoryOp, OpKind, OpOutcome};
use crate::linearizability::{CellOp, CellResult, Key, KeyedOp, KvOperation, Notation, Value};

/// Parses `history.json` text.
pub fn parse(text: &str) -> Result<ParsedHistory, FormatError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let history: History = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let path =
            if inner.is_syntax() || inner.is_eof() || path == "." { "(file)".to_string() } else { path };
        FormatError::field(path, describe_json_error(&inner))
    })?;
    Ok(ParsedHistory { ops: operations(&history)?, initial: None, notation: Notation::Eightfold })
}

/// Turns a history into checker operations (indices follow `history.ops` with `fail`
/// operations left out).
pub fn operations(history: &History) -> Result<Vec<KvOperation>, FormatError> {
    if history.format != FORMAT {
        return Err(FormatError::field("format", format!("expected {FORMAT:?}, found {:?}", history.format)));
    }
    if history.ops.len() > MAX_OPS {
        return Err(FormatError::TooManyOps { limit: MAX_OPS });
    }
    let mut out = Vec::with_capacity(history.ops.len());
    for (i, op) in history.ops.iter().enumerate() {
        if let Some(o) = operation(op)
            .map_err(|(field, message)| FormatError::field(format!("ops[{i}].{field}"), message))?
        {
            out.push(o);
        }
    }
    Ok(out)
}

/// One operation, or `None` for a `fail`; errors name the field and the problem.
pub(crate) fn operation(op: &HistoryOp) -> Result<Option<KvOperation>, (&'static str, String)> {
    operation_keyed(op, || Key::from(op.key.as_str()))
}

/// [`operation`] with the key made by `key` (a caller that has seen the key before can
/// share it instead of allocating it again). Nothing is formatted unless it is an error.
pub(crate) fn operation_keyed(
    op: &HistoryOp,
    key: impl FnOnce() -> Key,
) -> Result<Option<KvOperation>, (&'static str, String)> {
    if op.outcome == OpOutcome::Fail {
        return Ok(None);
    }
    let value = |what: &str| -> Result<Value, (&'static str, String)> {
        op.value
            .as_deref()
            .map(Value::from)
            .ok_or_else(|| ("value", format!("expected the value {what}, found none")))
    };
    let none = |field: &'static str, present: bool, kind: &str| -> Result<(), (&'static str, String)> {
        if present { Err((field, format!("a {kind} has no {field}, found one"))) } else { Ok(()) }
    };
    let name = match op.op {
        OpKind::Get => "get",
        OpKind::Put => "put",
        OpKind::Append => "append",
        OpKind::Cas => "cas",
    };
    let cell = match op.op {
        OpKind::Get => {
            none("value", op.value.is_some(), name)?;
            CellOp::Read
        }
        OpKind::Put => CellOp::Write(value("written")?),
        OpKind::Append => CellOp::Append(value("appended")?),
        OpKind::Cas => {
            CellOp::Cas { expected: op.expected.as_deref().map(Value::from), new: value("to set")? }
        }
    };
    if op.op != OpKind::Cas {
        none("expected", op.expected.is_some(), name)?;
    }
    let input = KeyedOp { key: key(), op: cell };
    if op.outcome == OpOutcome::Info {
        return Ok(Some(KvOperation::indeterminate(op.client, input, op.invoke_ns)));
    }
    let ret = op.complete_ns.ok_or_else(|| {
        ("complete_ns", "expected the completion time of an ok operation, found none".to_string())
    })?;
    if ret < op.invoke_ns {
        return Err((
            "complete_ns",
            format!("expected a time at or after invoke_ns ({}), found {ret}", op.invoke_ns),
        ));
    }
    let output = match op.op {
        OpKind::Get => {
            none("applied", op.applied.is_some(), name)?;
            let read = op.read.as_ref().ok_or_else(|| {
                (
                    "read",
                    "expected the value an ok get read (null if the key was absent), found none".to_string(),
                )
            })?;
            CellResult::Read(read.as_deref().map(Value::from))
        }
        OpKind::Put | OpKind::Append => {
            none("read", op.read.is_some(), name)?;
            none("applied", op.applied.is_some(), name)?;
            CellResult::Done
        }
        OpKind::Cas => {
            none("read", op.read.is_some(), name)?;
            let applied = op
                .applied
                .ok_or_else(|| ("applied", "expected whether an ok cas applied, found none".to_string()))?;
            CellResult::Cas { applied }
        }
    };
    Ok(Some(KvOperation::completed(op.client, input, output, op.invoke_ns, ret)))
}

/// serde_json's message with "at line L column C" turned into "(line L, column C)".
fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let core = msg.strip_suffix(&suffix).unwrap_or(&msg);
    let core = if e.is_syntax() || e.is_eof() { format!("not valid JSON: {core}") } else { core.to_string() };
    if e.line() > 0 { format!("{core} (line {}, column {})", e.line(), e.column()) } else { core }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: OpKind, outcome: OpOutcome) -> HistoryOp {
        HistoryOp {
            client: 0,
            op: kind,
            key: "k".into(),
            value: None,
            expected: None,
            invoke_ns: 10,
            complete_ns: Some(20),
            outcome,
            read: None,
            applied: None,
        }
    }

    #[test]
    fn converts_each_kind() {
        let mut h = History::new();
        let mut put = op(OpKind::Put, OpOutcome::Ok);
        put.value = Some("v".into());
        h.ops.push(put);
        let mut get = op(OpKind::Get, OpOutcome::Ok);
        get.read = Some(Some("v".into()));
        h.ops.push(get);
        h.ops.push(op(OpKind::Get, OpOutcome::Fail));
        let mut cas = op(OpKind::Cas, OpOutcome::Info);
        cas.value = Some("w".into());
        h.ops.push(cas);
        let ops = operations(&h).unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].input.op, CellOp::Write(Value::from("v")));
        assert_eq!(ops[1].output, Some(CellResult::Read(Some(Value::from("v")))));
        assert_eq!(ops[2].input.op, CellOp::Cas { expected: None, new: Value::from("w") });
        assert_eq!((ops[2].ret, ops[2].output.clone()), (None, None));
    }

    #[test]
    fn null_read_means_absent() {
        let text = r#"{"format":"eightfold-history/1","ops":[
            {"client":0,"op":"get","key":"k","invoke_ns":1,"complete_ns":2,"outcome":"ok","read":null}]}"#;
        let h = parse(text).unwrap();
        assert_eq!(h.ops[0].output, Some(CellResult::Read(None)));
    }

    #[test]
    fn errors_name_the_json_path() {
        let bad_variant = r#"{"ops":[{"client":0,"op":"get","key":"k","invoke_ns":1,"outcome":"maybe"}]}"#;
        let err = parse(bad_variant).unwrap_err().to_string();
        assert!(err.starts_with("ops[0].outcome: unknown variant `maybe`"), "{err}");
        let err = parse("{\"ops\": [").unwrap_err().to_string();
        assert!(err.starts_with("(file): not valid JSON"), "{err}");
        let no_value =
            r#"{"ops":[{"client":0,"op":"put","key":"k","invoke_ns":1,"complete_ns":2,"outcome":"ok"}]}"#;
        let err = parse(no_value).unwrap_err().to_string();
        assert_eq!(err, "ops[0].value: expected the value written, found none");
        let backwards =
            r#"{"ops":[{"client":0,"op":"get","key":"k","invoke_ns":5,"complete_ns":2,"outcome":"ok"}]}"#;
        let err = parse(backwards).unwrap_err().to_string();
        assert_eq!(err, "ops[0].complete_ns: expected a time at or after invoke_ns (5), found 2");
        let no_applied = r#"{"ops":[{"client":0,"op":"cas","key":"k","value":"v","invoke_ns":1,"complete_ns":2,"outcome":"ok"}]}"#;
        assert_eq!(
            parse(no_applied).unwrap_err().to_string(),
            "ops[0].applied: expected whether an ok cas applied, found none"
        );
        let no_read =
            r#"{"ops":[{"client":0,"op":"get","key":"k","invoke_ns":1,"complete_ns":2,"outcome":"ok"}]}"#;
        assert_eq!(
            parse(no_read).unwrap_err().to_string(),
            "ops[0].read: expected the value an ok get read (null if the key was absent), found none"
        );
        // An indeterminate get has no result, so no `read`.
        let info_get = r#"{"ops":[{"client":0,"op":"get","key":"k","invoke_ns":1,"outcome":"info"}]}"#;
        assert!(parse(info_get).is_ok());
        let wrong_tag = r#"{"format":"other/2","ops":[]}"#;
        assert_eq!(
            parse(wrong_tag).unwrap_err().to_string(),
            "format: expected \"eightfold-history/1\", found \"other/2\""
        );
    }
}
