//! The optional event trace: one JSON object per line (`trace.jsonl`), streamed to disk as
//! the run goes so memory does not grow with the run's length.
//!
//! Every line has `t` (virtual nanoseconds) and `ev` (the event kind); the rest depends on
//! the kind. Two runs of the same scenario and seed write byte-identical traces.

use std::io::{self, BufWriter, Write};

use serde_json::json;

use crate::sim::{MsgId, Observation, SimTime};

/// Writes trace lines to a sink, remembering the first I/O error instead of panicking.
pub struct Trace {
    out: BufWriter<Box<dyn Write + Send>>,
    error: Option<io::Error>,
    lines: u64,
}

impl Trace {
    /// A trace written to `sink`.
    pub fn new(sink: Box<dyn Write + Send>) -> Self {
        Trace { out: BufWriter::with_capacity(1 << 16, sink), error: None, lines: 0 }
    }

    fn line(&mut self, v: serde_json::Value) {
        if self.error.is_some() {
            return;
        }
        let r = serde_json::to_writer(&mut self.out, &v)
            .map_err(io::Error::from)
            .and_then(|_| self.out.write_all(b"\n"));
        match r {
            Ok(()) => self.lines += 1,
            Err(e) => self.error = Some(e),
        }
    }

    /// A message handed to the network, with its fate.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        t: SimTime,
        from: &str,
        to: &str,
        id: MsgId,
        kind: &str,
        size: u32,
        fate: &str,
        at: Option<SimTime>,
    ) {
        let mut v = json!({"t": t.0, "ev": "send", "from": from, "to": to, "id": id.0, "kind": kind, "size": size, "fate": fate});
        if let Some(at) = at {
            v["at"] = json!(at.0);
        }
        self.line(v);
    }

    /// A message delivered to its destination.
    pub fn deliver(&mut self, t: SimTime, from: &str, to: &str, id: MsgId, kind: &str, size: u32) {
        self.line(json!({"t": t.0, "ev": "deliver", "from": from, "to": to, "id": id.0, "kind": kind, "size": size}));
    }

    /// A message dropped in flight (partition started, destination crashed).
    pub fn drop(&mut self, t: SimTime, from: &str, to: &str, id: MsgId, kind: &str, reason: &str) {
        self.line(json!({"t": t.0, "ev": "drop", "from": from, "to": to, "id": id.0, "kind": kind, "reason": reason}));
    }

    /// A timer fired.
    pub fn timer(&mut self, t: SimTime, node: &str, timer: u16) {
        self.line(json!({"t": t.0, "ev": "timer", "node": node, "timer": timer}));
    }

    /// A node lifecycle event (`start`, `crash`, `restart`, `pause`, `resume`).
    pub fn lifecycle(&mut self, t: SimTime, node: &str, what: &str) {
        self.line(json!({"t": t.0, "ev": what, "node": node}));
    }

    /// A scheduled fault took effect.
    pub fn fault(&mut self, t: SimTime, fault: &str, detail: &str) {
        self.line(json!({"t": t.0, "ev": "fault", "fault": fault, "detail": detail}));
    }

    /// A node announced an observation.
    pub fn observation(&mut self, t: SimTime, node: &str, obs: &Observation) {
        let mut v = serde_json::to_value(obs).unwrap_or_default();
        v["t"] = json!(t.0);
        v["ev"] = json!("obs");
        v["node"] = json!(node);
        self.line(v);
    }

    /// A free-form kernel event with extra fields.
    pub fn event(&mut self, t: SimTime, ev: &str, mut fields: serde_json::Value) {
        fields["t"] = json!(t.0);
        fields["ev"] = json!(ev);
        self.line(fields);
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Flushes the sink; returns the first error the trace met, if any.
    pub fn finish(mut self) -> io::Result<u64> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.lines)
    }
}
