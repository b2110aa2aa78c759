//! The operation history a run records: what each client asked, when, and what it learned.
//!
//! This is what the linearizability checker judges and what `history.json` stores. Times
//! are virtual nanoseconds. A long run's history is not held whole: [`HistoryWriter`]
//! writes `history.json` one operation at a time, and [`read_history`] reads it back the
//! same way, byte-compatible with serializing a [`History`]. Outcomes follow Jepsen's convention:
//! - `ok`: the operation completed and its result is known;
//! - `fail`: the operation definitely did not take effect;
//! - `info`: unknown — it may take effect at any point after its invocation, or never
//!   (a timeout). Such an operation has no completion time.

use std::fmt;
use std::io::{self, BufWriter, Read, Write};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// How an operation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpOutcome {
    /// Completed with a known result.
    Ok,
    /// Definitely not applied.
    Fail,
    /// Unknown: may or may not have been applied.
    Info,
}

/// What kind of operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Read a key.
    Get,
    /// Overwrite a key.
    Put,
    /// Append to a key.
    Append,
    /// Compare-and-set a key.
    Cas,
}

/// One operation of the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryOp {
    /// The client that issued it (0-based; printed `c1`).
    pub client: u32,
    /// The operation.
    pub op: OpKind,
    /// The key.
    pub key: String,
    /// For put/append: the value written; for cas: the new value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// For cas: the value required (`null` = the key must be absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// When the client invoked it (virtual ns).
    pub invoke_ns: u64,
    /// When the client learned the outcome (absent for `info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_ns: Option<u64>,
    /// How it ended.
    pub outcome: OpOutcome,
    /// For an `ok` get: the value read (`null` = absent).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub read: Option<Option<String>>,
    /// For an `ok` cas: whether the comparison matched and the value was replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
}

/// Reads a field that may be `null`: present-and-null is `Some(None)`, absent is `None`
/// (via `#[serde(default)]`) — serde alone would read both as `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A whole history, as stored in `history.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Format tag, always `"eightfold-history/1"`.
    #[serde(default = "format_tag")]
    pub format: String,
    /// The operations, in invocation order.
    pub ops: Vec<HistoryOp>,
}

/// The format tag of `history.json`.
pub const FORMAT: &str = "eightfold-history/1";

fn format_tag() -> String {
    FORMAT.to_string()
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        History { format: FORMAT.to_string(), ops: Vec::new() }
    }
}

/// Writes `history.json` one operation at a time: the same bytes as serializing the whole
/// [`History`] (plus a final newline), without holding it.
pub struct HistoryWriter<W: Write> {
    out: BufWriter<W>,
    written: usize,
    error: Option<io::Error>,
}

impl<W: Write> HistoryWriter<W> {
    /// Starts a history in `out`.
    pub fn new(out: W) -> Self {
        let mut w = HistoryWriter { out: BufWriter::new(out), written: 0, error: None };
        let head = format!("{{\"format\":{},\"ops\":[", serde_json::Value::from(FORMAT));
        w.write(head.as_bytes());
        w
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(bytes)
        {
            self.error = Some(e);
        }
    }

    /// Appends the next operation. A write error is kept and returned by
    /// [`finish`](Self::finish) (the run goes on; the report is then not committed).
    pub fn push(&mut self, op: &HistoryOp) {
        if self.error.is_some() {
            return;
        }
        if self.written > 0 {
            self.write(b",");
        }
        if let Err(e) = serde_json::to_writer(&mut self.out, op) {
            self.error = Some(e.into());
        }
        self.written += 1;
    }

    /// Operations written.
    #[cfg(test)]
    pub fn written(&self) -> usize {
        self.written
    }

    /// Ends the history and flushes it; the first write error, if any.
    pub fn finish(mut self) -> io::Result<()> {
        self.write(b"]}\n");
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }
}

/// Reads a `history.json` operation by operation, calling `each` with every operation and
/// its index, without holding the history. Fails as deserializing a [`History`] would (an
/// unknown field, a wrong format tag, malformed JSON).
pub fn read_history(input: impl Read, each: impl FnMut(usize, HistoryOp)) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(io::BufReader::new(input));
    de::Deserializer::deserialize_map(&mut de, HistoryVisitor { each })?;
    de.end()
}

/// Visits the top-level object of `history.json`.
struct HistoryVisitor<F> {
    each: F,
}

impl<'de, F: FnMut(usize, HistoryOp)> Visitor<'de> for HistoryVisitor<F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a history object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut ops = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let tag: String = map.next_value()?;
                    if tag != FORMAT {
                        return Err(de::Error::custom(format!("expected format {FORMAT:?}, found {tag:?}")));
                    }
                }
                "ops" => {
                    map.next_value_seed(OpsSeed { each: &mut self.each })?;
                    ops = true;
                }
                other => return Err(de::Error::unknown_field(other, &["format", "ops"])),
            }
        }
        if ops { Ok(()) } else { Err(de::Error::missing_field("ops")) }
    }
}

/// Visits the `ops` array, one element at a time.
struct OpsSeed<'f, F> {
    each: &'f mut F,
}

impl<'de, F: FnMut(usize, HistoryOp)> DeserializeSeed<'de> for OpsSeed<'_, F> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(usize, HistoryOp)> Visitor<'de> for OpsSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of operations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(op) = seq.next_element::<HistoryOp>()? {
            (self.each)(i, op);
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_writes_what_serializing_the_history_does_and_the_reader_reads_it_back() {
        let op = |i: u64| HistoryOp {
            client: (i % 3) as u32,
            op: OpKind::Put,
            key: format!("k{i}"),
            value: Some(format!("{i}:\"quoted\"")),
            expected: None,
            invoke_ns: i,
            complete_ns: (i % 2 == 0).then_some(i + 5),
            outcome: if i % 2 == 0 { OpOutcome::Ok } else { OpOutcome::Info },
            read: None,
            applied: None,
        };
        for n in [0, 1, 5] {
            let h = History { ops: (0..n).map(op).collect(), ..History::new() };
            let mut w = HistoryWriter::new(Vec::new());
            h.ops.iter().for_each(|o| w.push(o));
            assert_eq!(w.written(), n as usize);
            let mut bytes = Vec::new();
            {
                let mut w2 = HistoryWriter::new(&mut bytes);
                h.ops.iter().for_each(|o| w2.push(o));
                w2.finish().expect("writes");
            }
            let want = serde_json::to_string(&h).expect("serializes") + "\n";
            assert_eq!(String::from_utf8(bytes.clone()).expect("utf8"), want);
            let mut back = Vec::new();
            read_history(bytes.as_slice(), |i, o| {
                assert_eq!(i, back.len());
                back.push(o);
            })
            .expect("reads");
            assert_eq!(back, h.ops);
        }
        let bad = [
            r#"{"format":"other","ops":[]}"#,
            r#"{"ops":[],"extra":1}"#,
            r#"{"format":"eightfold-history/1"}"#,
            r#"{"ops":[{"client":0}]}"#,
            r#"{"ops":[]} trailing"#,
        ];
        for text in bad {
            assert!(read_history(text.as_bytes(), |_, _| {}).is_err(), "{text}");
        }
        assert!(read_history(r#"{"ops":[]}"#.as_bytes(), |_, _| {}).is_ok(), "the tag may be left out");
    }

    #[test]
    fn a_read_of_an_absent_key_survives_a_round_trip() {
        let op = HistoryOp {
            client: 0,
            op: OpKind::Get,
            key: "k1".into(),
            value: None,
            expected: None,
            invoke_ns: 1,
            complete_ns: Some(2),
            outcome: OpOutcome::Ok,
            read: Some(None),
            applied: None,
        };
        let h = History {
            ops: vec![
                op.clone(),
                HistoryOp { read: Some(Some("x".into())), ..op.clone() },
                HistoryOp { read: None, outcome: OpOutcome::Info, complete_ns: None, ..op },
            ],
            ..History::new()
        };
        let back: History = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!(back, h);
    }
}
