//! Jepsen etcd register logs, as in Porcupine's `test_data/jepsen/etcd_NNN.log`:
//!
//! ```text
//! INFO  jepsen.util - 2<TAB>:invoke<TAB>:cas<TAB>[3 0]
//! INFO  jepsen.util - 2<TAB>:ok<TAB>:cas<TAB>[3 0]
//! ```
//!
//! Fields are separated by any run of whitespace. Line order is real-time order: an
//! operation's call time is its invoke line's index and its return time its completion
//! line's. Semantics, following Porcupine (see `crates/eightfold-check/tests/data/porcupine/README.md`):
//! - `:ok :read V` / `nil` — a read that saw V / nothing;
//! - `:fail :cas [A B]` — a completed CAS that saw a value other than A (kept as a
//!   constraint);
//! - `:fail :read …` — a read without a result (always legal, so it cannot matter);
//! - `:fail :write …` — did not happen: dropped;
//! - `:info …` — indeterminate: the operation stays open until the end of the history, as
//!   does any invocation without a completion.

use std::io::BufRead;

use super::lines::Lines;
use super::pending::{Completion, Pairing};
use super::{FormatError, ParsedHistory};
use crate::linearizability::{CellOp, CellResult, Key, Notation, Value};

const SHAPE: &str = "\"INFO jepsen.util - <process> <:invoke|:ok|:fail|:info> <:read|:write|:cas> <value>\"";

/// Parses an etcd log. Every operation is on the single key `""`; values are kept as text.
pub fn parse(reader: impl BufRead) -> Result<ParsedHistory, FormatError> {
    let mut lines = Lines::new(reader);
    let mut ops = Pairing::default();
    let key = Key::from("");
    while let Some((n, line)) = lines.next_line()? {
        let mut fields = line.split_whitespace();
        let prefix: Vec<&str> = fields.by_ref().take(3).collect();
        if prefix != ["INFO", "jepsen.util", "-"] {
            return Err(FormatError::line(n, SHAPE, line));
        }
        let (Some(process), Some(kind), Some(f)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(FormatError::line(n, SHAPE, line));
        };
        let process: u32 =
            process.parse().map_err(|_| FormatError::line(n, "a process id (a number)", process))?;
        let f = match f {
            ":read" => ":read",
            ":write" => ":write",
            ":cas" => ":cas",
            _ => {
                return Err(FormatError::line(n, "an operation :read, :write or :cas", f));
            }
        };
        let args: Vec<&str> = fields.collect();
        match kind {
            ":invoke" => ops.invoke(n, process, f, key.clone(), invocation(n, f, &args)?)?,
            ":ok" => ops.complete(n, process, f, None, Completion::Returned(result(n, f, &args)?))?,
            ":fail" => {
                let how = match f {
                    ":cas" => {
                        cas_args(n, &args)?;
                        Completion::Returned(CellResult::Cas { applied: false })
                    }
                    ":read" => Completion::ReturnedUnknown,
                    _ => Completion::Dropped,
                };
                ops.complete(n, process, f, None, how)?;
            }
            ":info" => ops.complete(n, process, f, None, Completion::Indeterminate)?,
            _ => {
                return Err(FormatError::line(n, "an event type :invoke, :ok, :fail or :info", kind));
            }
        }
    }
    Ok(ParsedHistory { ops: ops.finish(), initial: None, notation: Notation::Lines })
}

fn invocation(n: usize, f: &str, args: &[&str]) -> Result<CellOp, FormatError> {
    match f {
        ":read" => match args {
            ["nil"] => Ok(CellOp::Read),
            _ => Err(FormatError::line(n, "nil after :invoke :read", args.join(" "))),
        },
        ":write" => Ok(CellOp::Write(value(n, args)?)),
        _ => {
            let (from, to) = cas_args(n, args)?;
            Ok(CellOp::Cas { expected: Some(from), new: to })
        }
    }
}

fn result(n: usize, f: &str, args: &[&str]) -> Result<CellResult, FormatError> {
    match f {
        ":read" => match args {
            ["nil"] => Ok(CellResult::Read(None)),
            _ => Ok(CellResult::Read(Some(value(n, args)?))),
        },
        ":write" => {
            value(n, args)?;
            Ok(CellResult::Done)
        }
        _ => {
            cas_args(n, args)?;
            Ok(CellResult::Cas { applied: true })
        }
    }
}

/// One value token (not `nil`).
fn value(n: usize, args: &[&str]) -> Result<Value, FormatError> {
    match args {
        [v] if *v != "nil" && !v.starts_with('[') && !v.starts_with(':') => Ok(Value::from(*v)),
        _ => Err(FormatError::line(n, "one value", args.join(" "))),
    }
}

/// `[A B]`, split by whitespace into `[A` and `B]`.
fn cas_args(n: usize, args: &[&str]) -> Result<(Value, Value), FormatError> {
    if let [a, b] = args
        && let (Some(a), Some(b)) = (a.strip_prefix('['), b.strip_suffix(']'))
        && !a.is_empty()
        && !b.is_empty()
    {
        return Ok((Value::from(a), Value::from(b)));
    }
    Err(FormatError::line(n, "[<from> <to>]", args.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::{KeyedOp, KvOperation};

    fn parse_str(s: &str) -> Result<Vec<KvOperation>, FormatError> {
        parse(s.as_bytes()).map(|h| h.ops)
    }

    fn v(s: &str) -> Value {
        Value::from(s)
    }

    #[test]
    fn tabs_and_space_runs_both_work() {
        let text = "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\n\
                    INFO  jepsen.util - 1   :invoke :read   nil\n\
                    INFO  jepsen.util - 2\t:ok\t:cas\t[3 0]\n\
                    INFO  jepsen.util - 1   :ok     :read   3\n";
        let ops = parse_str(text).unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(
            ops[0].input,
            KeyedOp { key: v(""), op: CellOp::Cas { expected: Some(v("3")), new: v("0") } }
        );
        assert_eq!(
            (ops[0].call, ops[0].ret, ops[0].output.clone()),
            (0, Some(2), Some(CellResult::Cas { applied: true }))
        );
        assert_eq!(ops[1].output, Some(CellResult::Read(Some(v("3")))));
        assert_eq!((ops[1].call, ops[1].ret), (1, Some(3)));
    }

    #[test]
    fn failures_timeouts_and_missing_completions() {
        let text = "INFO  jepsen.util - 0 :invoke :cas [1 2]\n\
                    INFO  jepsen.util - 1 :invoke :write 4\n\
                    INFO  jepsen.util - 2 :invoke :read nil\n\
                    INFO  jepsen.util - 3 :invoke :write 1\n\
                    INFO  jepsen.util - 0 :fail :cas [1 2]\n\
                    INFO  jepsen.util - 1 :info :write :timed-out\n\
                    INFO  jepsen.util - 2 :fail :read :timed-out\n";
        let ops = parse_str(text).unwrap();
        assert_eq!(ops.len(), 4);
        assert_eq!(ops[0].output, Some(CellResult::Cas { applied: false }));
        assert_eq!((ops[1].output.clone(), ops[1].ret), (None, None));
        assert_eq!((ops[2].output.clone(), ops[2].ret), (None, Some(6)));
        assert_eq!((ops[3].output.clone(), ops[3].ret), (None, None));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("garbage\n", "line 1: expected \"INFO jepsen.util"),
            ("INFO  jepsen.util - x :invoke :read nil\n", "line 1: expected a process id"),
            ("INFO  jepsen.util - 1 :invoke :cas [1]\n", "line 1: expected [<from> <to>], found \"[1]\""),
            ("INFO  jepsen.util - 1 :invoke :delete 1\n", "line 1: expected an operation"),
            ("INFO  jepsen.util - 1 :ok :read 1\n", "line 1: expected an :invoke by process 1"),
            (
                "INFO  jepsen.util - 1 :invoke :read nil\nINFO  jepsen.util - 1 :invoke :read nil\n",
                "line 2: expected a completion of process 1's pending :read (line 1)",
            ),
            (
                "INFO  jepsen.util - 1 :invoke :read nil\nINFO  jepsen.util - 1 :ok :write 3\n",
                "line 2: expected a completion of process 1's pending :read",
            ),
            ("INFO  jepsen.util - 1 :whatever :read nil\n", "line 1: expected an event type"),
        ];
        for (text, want) in cases {
            let err = parse_str(text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }
}
