//! Key-value logs in Jepsen's EDN style, as in Porcupine's `test_data/kv/cNN-*.txt`:
//!
//! ```text
//! {:process 9, :type :invoke, :f :put, :key "6", :value "x 9 3 y"}
//! {:process 4, :type :ok, :f :get, :key "5", :value "x 9 1 y"}
//! ```
//!
//! One map per line; commas count as whitespace (as in EDN); fields other than
//! `:process :type :f :key :value` are ignored. Line order is real-time order. Every key
//! starts as `""`, so a missing key reads as the empty string. `:fail` operations did not
//! happen and are dropped; `:info` ones are indeterminate, as are invocations without a
//! completion.

use std::io::BufRead;

use super::lines::Lines;
use super::pending::{Completion, Pairing};
use super::{FormatError, ParsedHistory};
use crate::linearizability::{CellOp, CellResult, Key, Notation, Value};

/// A scalar of the EDN subset these logs use.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Atom {
    Keyword(String),
    Str(String),
    Int(i64),
    Nil,
}

impl Atom {
    fn describe(&self) -> String {
        match self {
            Atom::Keyword(k) => format!(":{k}"),
            Atom::Str(s) => format!("{s:?}"),
            Atom::Int(i) => i.to_string(),
            Atom::Nil => "nil".to_string(),
        }
    }
}

/// The fields of one line.
#[derive(Default)]
struct Fields {
    process: Option<Atom>,
    kind: Option<Atom>,
    f: Option<Atom>,
    key: Option<Atom>,
    value: Option<Atom>,
}

/// Parses a kv log. The returned history's initial value is `""`.
pub fn parse(reader: impl BufRead) -> Result<ParsedHistory, FormatError> {
    let mut lines = Lines::new(reader);
    let mut ops = Pairing::default();
    while let Some((n, line)) = lines.next_line()? {
        let fields = map(n, line)?;
        let process = match fields.process {
            Some(Atom::Int(p)) if (0..=i64::from(u32::MAX)).contains(&p) => p as u32,
            other => return Err(missing_or(n, ":process <number>", other)),
        };
        let f = match &fields.f {
            Some(Atom::Keyword(k)) if k == "get" => ":get",
            Some(Atom::Keyword(k)) if k == "put" => ":put",
            Some(Atom::Keyword(k)) if k == "append" => ":append",
            other => return Err(missing_or(n, ":f :get, :put or :append", other.clone())),
        };
        let key: Key = match fields.key {
            Some(Atom::Str(s)) => Key::from(s),
            Some(Atom::Int(i)) => Key::from(i.to_string()),
            other => return Err(missing_or(n, ":key <string>", other)),
        };
        let kind = match &fields.kind {
            Some(Atom::Keyword(k)) => k.as_str(),
            other => {
                return Err(missing_or(n, ":type :invoke, :ok, :fail or :info", other.clone()));
            }
        };
        let value = fields.value;
        match kind {
            "invoke" => {
                let op = match f {
                    ":get" => CellOp::Read,
                    ":put" => CellOp::Write(string(n, value)?),
                    _ => CellOp::Append(string(n, value)?),
                };
                ops.invoke(n, process, f, key, op)?;
            }
            "ok" => {
                let result = match (f, value) {
                    (":get", Some(Atom::Nil)) => CellResult::Read(None),
                    (":get", v) => CellResult::Read(Some(string(n, v)?)),
                    _ => CellResult::Done,
                };
                ops.complete(n, process, f, Some(&key), Completion::Returned(result))?;
            }
            "fail" => ops.complete(n, process, f, Some(&key), Completion::Dropped)?,
            "info" => ops.complete(n, process, f, Some(&key), Completion::Indeterminate)?,
            other => {
                return Err(FormatError::line(n, ":type :invoke, :ok, :fail or :info", format!(":{other}")));
            }
        }
    }
    Ok(ParsedHistory { ops: ops.finish(), initial: Some(Value::from("")), notation: Notation::Lines })
}

fn missing_or(n: usize, expected: &str, found: Option<Atom>) -> FormatError {
    FormatError::line(n, expected, found.map_or_else(|| "no such field".to_string(), |a| a.describe()))
}

fn string(n: usize, v: Option<Atom>) -> Result<Value, FormatError> {
    match v {
        Some(Atom::Str(s)) => Ok(Value::from(s)),
        other => Err(missing_or(n, ":value <string>", other)),
    }
}

/// Parses `{:k v, :k v, ...}`.
fn map(n: usize, line: &str) -> Result<Fields, FormatError> {
    let shape = "a map {:process P, :type T, :f F, :key K, :value V}";
    let body = line
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(|| FormatError::line(n, shape, line))?;
    let mut atoms = Atoms { rest: body, line: n };
    let mut fields = Fields::default();
    while let Some(k) = atoms.next()? {
        let Atom::Keyword(name) = k else {
            return Err(FormatError::line(n, "a keyword such as :process", k.describe()));
        };
        let Some(v) = atoms.next()? else {
            return Err(FormatError::line(n, format!("a value after :{name}"), "the end of the map"));
        };
        let slot = match name.as_str() {
            "process" => &mut fields.process,
            "type" => &mut fields.kind,
            "f" => &mut fields.f,
            "key" => &mut fields.key,
            "value" => &mut fields.value,
            _ => continue,
        };
        if slot.is_some() {
            return Err(FormatError::line(n, format!(":{name} once"), format!("a second :{name}")));
        }
        *slot = Some(v);
    }
    Ok(fields)
}

/// The atoms of a map body, one by one.
struct Atoms<'a> {
    rest: &'a str,
    line: usize,
}

impl Atoms<'_> {
    fn next(&mut self) -> Result<Option<Atom>, FormatError> {
        self.rest = self.rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        let s = self.rest;
        let Some(first) = s.chars().next() else {
            return Ok(None);
        };
        if first == '"' {
            let mut out = String::new();
            let mut chars = s[1..].char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        self.rest = &s[i + 2..];
                        return Ok(Some(Atom::Str(out)));
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, 't')) => out.push('\t'),
                        Some((_, c @ ('"' | '\\'))) => out.push(c),
                        other => {
                            let found =
                                other.map_or("the end of the line".to_string(), |(_, c)| format!("\\{c}"));
                            return Err(FormatError::line(
                                self.line,
                                "an escape \\\" \\\\ \\n or \\t",
                                found,
                            ));
                        }
                    },
                    c => out.push(c),
                }
            }
            return Err(FormatError::line(self.line, "a closing quote", "the end of the line"));
        }
        let end = s.find(|c: char| c.is_whitespace() || c == ',').unwrap_or(s.len());
        let (token, rest) = s.split_at(end);
        self.rest = rest;
        if let Some(k) = token.strip_prefix(':')
            && !k.is_empty()
        {
            return Ok(Some(Atom::Keyword(k.to_string())));
        }
        if token == "nil" {
            return Ok(Some(Atom::Nil));
        }
        token
            .parse()
            .map(|i| Some(Atom::Int(i)))
            .map_err(|_| FormatError::line(self.line, "a keyword, string, number or nil", token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizability::KeyedOp;

    #[test]
    fn parses_ops_and_pairs_completions() {
        let text = r#"{:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
{:process 2, :type :invoke, :f :get, :key "1", :value nil}
{:process 2, :type :ok, :f :get, :key "1", :value ""}
{:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}
{:process 3, :type :invoke, :f :put, :key "2", :value "a, b"}
"#;
        let h = parse(text.as_bytes()).unwrap();
        assert_eq!(h.initial, Some(Value::from("")));
        let ops = h.ops;
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].input, KeyedOp { key: Key::from("0"), op: CellOp::Append(Value::from("x 9 0 y")) });
        assert_eq!((ops[0].call, ops[0].ret), (0, Some(3)));
        assert_eq!(ops[1].output, Some(CellResult::Read(Some(Value::from("")))));
        assert_eq!(ops[2].input.op, CellOp::Write(Value::from("a, b")));
        assert_eq!(ops[2].ret, None);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("nope", "line 1: expected a map"),
            ("{:process 1, :type :invoke, :f :get, :key \"1\"", "line 1: expected a map"),
            ("{:process x, :type :invoke}", "line 1: expected a keyword, string, number or nil, found \"x\""),
            (
                "{:type :invoke, :f :get, :key \"1\", :value nil}",
                "line 1: expected :process <number>, found \"no such field\"",
            ),
            (
                "{:process 1, :type :invoke, :f :del, :key \"1\", :value nil}",
                "line 1: expected :f :get, :put or :append",
            ),
            (
                "{:process 1, :type :invoke, :f :put, :key \"1\", :value nil}",
                "line 1: expected :value <string>, found \"nil\"",
            ),
            (
                "{:process 1, :type :invoke, :f :put, :key \"1, :value nil}",
                "line 1: expected a closing quote",
            ),
            (
                "{:process 1, :type :invoke, :f :get, :key \"1\", :value nil}\n{:process 1, :type :ok, :f :get, :key \"2\", :value \"\"}",
                "line 2: expected key \"1\" of process 1's pending :get (line 1), found \"key \\\"2\\\"\"",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text.as_bytes()).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }
}
