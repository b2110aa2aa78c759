//! Closed-loop key-value clients, as Jepsen runs them.
//!
//! Each client issues one operation at a time, waits for its outcome, thinks, and issues
//! the next. The operation (kind and key) comes from the client's own workload stream, so
//! faults never change *what* clients ask, only what happens to it. Delivery is the
//! client's problem, as in a real system:
//! - a `NotLeader` reply redirects to the hinted leader (or, without a hint, another server
//!   after a short back-off);
//! - no answer within `timeout` means try another server with the *same* sequence number —
//!   the store's sessions make the retry safe (applied at most once);
//! - after `op_timeout` the client gives up: the operation is recorded `info` (it may still
//!   take effect) — or `fail` if every attempt was definitely refused.
//!
//! Every operation, once it ends, is reported to the run's [`HistoryLog`]; the client keeps
//! only the one in flight.

use std::collections::{BTreeMap, VecDeque};

use super::history::{HistoryOp, OpKind, OpOutcome};
use super::keys::KeyDist;
use super::stream::HistoryLog;
use crate::proto::kv::{ClientReply, ClientRequest, ClientSeq, Key, KvOp, KvResult};
use crate::proto::service::ServiceMsg;
use crate::sim::rng::Draw;
use crate::sim::{
    Ctx, Message, Never, Node, NodeId, Observation, Role, SimDuration, SimRng, SimTime, Term, Timer, TimerId,
};

/// The timers of a key-value client.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ClientTimer {
    /// The current attempt went unanswered: try another server.
    Attempt,
    /// Thinking is over: issue the next operation.
    Next,
    /// A refusal without a leader hint: wait a little, then try again.
    Backoff,
    /// A scripted operation is due (set only for a client with a script).
    Script,
}

impl Timer for ClientTimer {
    const ALL: &'static [Self] =
        &[ClientTimer::Attempt, ClientTimer::Next, ClientTimer::Backoff, ClientTimer::Script];
    fn id(self) -> TimerId {
        TimerId(match self {
            ClientTimer::Attempt => 0,
            ClientTimer::Next => 1,
            ClientTimer::Backoff => 2,
            ClientTimer::Script => 3,
        })
    }
}

/// Relative weights of operation kinds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpMix {
    /// Weight of gets.
    pub get: f64,
    /// Weight of puts.
    pub put: f64,
    /// Weight of appends.
    pub append: f64,
    /// Weight of compare-and-sets.
    pub cas: f64,
}

impl Default for OpMix {
    fn default() -> Self {
        OpMix { get: 0.5, put: 0.3, append: 0.1, cas: 0.1 }
    }
}

impl OpMix {
    fn draw(&self, rng: &mut impl Draw) -> OpKind {
        let total = self.get + self.put + self.append + self.cas;
        let u = rng.unit() * total;
        if u < self.get {
            OpKind::Get
        } else if u < self.get + self.put {
            OpKind::Put
        } else if u < self.get + self.put + self.append {
            OpKind::Append
        } else {
            OpKind::Cas
        }
    }
}

/// Settings of one KV client.
#[derive(Clone, Debug)]
pub struct KvClientConfig {
    /// The client's number (0-based).
    pub client: u32,
    /// Operation mix.
    pub mix: OpMix,
    /// Key distribution.
    pub keys: KeyDist,
    /// How long to wait for one attempt's answer.
    pub timeout: SimDuration,
    /// How long to keep retrying one operation before giving up.
    pub op_timeout: SimDuration,
    /// Pause between an outcome and the next operation.
    pub think: SimDuration,
    /// Back-off before retrying when no leader is known.
    pub backoff: SimDuration,
    /// Stop issuing new operations at this (virtual) time.
    pub stop: SimTime,
    /// Stop after this many operations (0 = no limit).
    pub max_ops: u64,
    /// Pad written values to at least this many bytes.
    pub value_size: usize,
    /// Whether the client draws operations at random (else it runs only its script).
    pub random: bool,
}

/// A scripted operation of one client: at `at` (or as soon after as the client is free) it
/// invokes this operation instead of drawing one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scripted {
    /// When it is due.
    pub at: SimTime,
    /// What it does.
    pub kind: OpKind,
    /// On which key.
    pub key: Key,
    /// The value written (put, append) or the new value (cas); `None`: a fresh token.
    pub value: Option<String>,
    /// A cas's expected value (`None` inside: the key holds none).
    pub expected: Option<String>,
}

/// The operation in progress.
#[derive(Clone, Debug)]
struct Current {
    seq: u64,
    op: KvOp,
    kind: OpKind,
    invoked: SimTime,
    attempts: u32,
    /// True while every attempt so far was definitely refused (NotLeader).
    all_refused: bool,
    /// Whether it came from the script (not drawn at random).
    scripted: bool,
    /// The server of the attempt in flight.
    target: NodeId,
}

/// A closed-loop key-value client.
#[derive(Debug)]
pub struct KvClient {
    config: KvClientConfig,
    workload: SimRng,
    seq: u64,
    current: Option<Current>,
    leader: Option<NodeId>,
    known: BTreeMap<Key, Option<String>>,
    log: HistoryLog,
    /// Scripted operations not invoked yet, in the order they are due.
    script: VecDeque<Scripted>,
    /// Operations drawn at random so far (what `max_ops` counts).
    drawn: u64,
}

/// A client of the key-value service is a node of its cluster: it boots, hears replies and
/// keeps its own timers (it takes no operator commands).
impl Node for KvClient {
    type Msg = ServiceMsg;
    type Timer = ClientTimer;
    type Admin = Never;

    fn on_start(&mut self, ctx: &mut Ctx<'_, ServiceMsg>) {
        ctx.observe(Observation::Role { role: Role::Peer, term: Term(0) });
        ctx.set_timer(ClientTimer::Next, SimDuration::ZERO);
        let now = ctx.now();
        self.script.retain(|o| o.at >= now);
        self.arm_script(ctx);
    }

    /// A reply is handled by [`KvClient::on_reply`]; anything else (a server's message,
    /// misrouted or forged) is ignored.
    fn on_message(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, from: NodeId, msg: ServiceMsg) {
        match msg {
            ServiceMsg::Reply(r) => self.on_reply(ctx, from, r),
            ServiceMsg::Request(_)
            | ServiceMsg::Raft(_)
            | ServiceMsg::Paxos(_)
            | ServiceMsg::Quorum(_)
            | ServiceMsg::Peer(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, timer: ClientTimer) {
        match timer {
            ClientTimer::Next => self.next_op(ctx),
            ClientTimer::Attempt => {
                // No answer: the request may have been accepted, so the outcome is unknown.
                if let Some(c) = &mut self.current {
                    c.all_refused = false;
                }
                self.leader = None;
                self.attempt(ctx, None);
            }
            ClientTimer::Backoff => self.attempt(ctx, None),
            ClientTimer::Script => {
                // A client still busy invokes it when its operation ends (next_op takes
                // what is due first); an idle one (thinking, or done drawing) right now.
                if self.current.is_none() {
                    ctx.cancel_timer(ClientTimer::Next);
                    self.next_op(ctx);
                }
            }
        }
    }
}

impl KvClient {
    /// A client drawing its operations from `workload` (its own stream) and reporting
    /// each one that ends to `log`.
    pub fn new(config: KvClientConfig, workload: SimRng, log: HistoryLog) -> Self {
        Self::scripted(config, workload, log, Vec::new())
    }

    /// A client that also invokes `script`'s operations when they are due (sorted here by
    /// time, stably).
    pub fn scripted(
        config: KvClientConfig,
        workload: SimRng,
        log: HistoryLog,
        mut script: Vec<Scripted>,
    ) -> Self {
        script.sort_by_key(|o| o.at);
        KvClient {
            config,
            workload,
            seq: 0,
            current: None,
            leader: None,
            known: BTreeMap::new(),
            log,
            script: script.into(),
            drawn: 0,
        }
    }

    /// When the operation in flight was invoked, if it was drawn at random (not scripted).
    pub fn drawn_in_flight(&self) -> Option<SimTime> {
        self.current.as_ref().filter(|c| !c.scripted).map(|c| c.invoked)
    }

    /// Sets the script timer for the next scripted operation, if any.
    fn arm_script<M: Message>(&mut self, ctx: &mut Ctx<'_, M>) {
        if let Some(o) = self.script.front() {
            let now = ctx.now();
            let wait = if o.at > now { o.at - now } else { SimDuration::ZERO };
            ctx.set_timer(ClientTimer::Script, wait);
        }
    }

    /// The operation in flight at the end of a run, recorded as `info` (it may take effect).
    pub fn unfinished(&self) -> Option<HistoryOp> {
        let c = self.current.as_ref()?;
        let mut h = self.record(c.clone(), OpOutcome::Info, None);
        h.complete_ns = None;
        Some(h)
    }

    /// Called with a server's reply.
    pub fn on_reply<M: Message + From<ClientRequest>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        reply: ClientReply,
    ) {
        let Some(cur) = &mut self.current else { return };
        if reply.seq() != ClientSeq(cur.seq) {
            return; // a late answer to an earlier attempt of a finished operation
        }
        match reply {
            ClientReply::Ok { result, .. } => {
                self.leader = Some(from);
                let cur = self.current.take().expect("checked above");
                ctx.cancel_timer(ClientTimer::Attempt);
                ctx.cancel_timer(ClientTimer::Backoff);
                self.learn(&cur.op, &result);
                let h = self.record(cur, OpOutcome::Ok, Some((ctx.now(), result)));
                self.log.finished(ctx.now(), h);
                ctx.set_timer(ClientTimer::Next, self.config.think);
            }
            ClientReply::NotLeader { leader, .. } => {
                if from != cur.target {
                    return; // a refusal from an older attempt says nothing about the current one
                }
                ctx.cancel_timer(ClientTimer::Attempt);
                match leader.filter(|&l| l != from) {
                    Some(l) => {
                        self.leader = Some(l);
                        self.attempt(ctx, Some(l));
                    }
                    None => {
                        self.leader = None;
                        ctx.set_timer(ClientTimer::Backoff, self.config.backoff);
                    }
                }
            }
            ClientReply::Unknown { .. } => {
                if from != cur.target {
                    return;
                }
                cur.all_refused = false;
                ctx.cancel_timer(ClientTimer::Attempt);
                self.leader = None;
                ctx.set_timer(ClientTimer::Backoff, self.config.backoff);
            }
        }
    }

    fn next_op<M: Message + From<ClientRequest>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.current.is_some() {
            return;
        }
        if self.script.front().is_some_and(|o| o.at <= ctx.now()) {
            let o = self.script.pop_front().expect("checked above");
            self.arm_script(ctx);
            self.seq += 1;
            let value = o.value.clone().unwrap_or_else(|| self.fresh());
            let op = match o.kind {
                OpKind::Get => KvOp::Get { key: o.key },
                OpKind::Put => KvOp::Put { key: o.key, value },
                OpKind::Append => KvOp::Append { key: o.key, value },
                OpKind::Cas => KvOp::Cas { key: o.key, expected: o.expected, new: value },
            };
            self.invoke(ctx, op, o.kind, true);
            return;
        }
        if !self.config.random
            || ctx.now() >= self.config.stop
            || (self.config.max_ops > 0 && self.drawn >= self.config.max_ops)
        {
            // A client with scripted operations still to come waits for them, and invokes
            // nothing before the next is due: its history can be released up to then (a
            // client idle until its script says otherwise would hold back every other's).
            match self.script.front() {
                None => self.log.stopped(self.config.client),
                Some(o) => self.log.idle(self.config.client, o.at.max(ctx.now())),
            }
            return;
        }
        self.seq += 1;
        self.drawn += 1;
        let kind = self.config.mix.draw(&mut self.workload);
        let key = self.config.keys.draw(&mut self.workload);
        let op = match kind {
            OpKind::Get => KvOp::Get { key },
            OpKind::Put => KvOp::Put { key, value: self.fresh() },
            OpKind::Append => KvOp::Append { key, value: self.fresh_then(";") },
            OpKind::Cas => {
                KvOp::Cas { key, expected: self.known.get(&key).cloned().flatten(), new: self.fresh() }
            }
        };
        self.invoke(ctx, op, kind, false);
    }

    /// A fresh value for the current sequence number, padded to the configured size.
    fn fresh(&self) -> String {
        self.fresh_then("")
    }

    /// [`KvClient::fresh`] followed by `suffix`, built in one allocation.
    fn fresh_then(&self, suffix: &str) -> String {
        use std::fmt::Write as _;
        let pad = self.config.value_size;
        let mut v = String::with_capacity(pad.max(24) + suffix.len());
        write!(v, "{}:{}", self.config.client + 1, self.seq).expect("writing to a String cannot fail");
        if v.len() < pad {
            // Padding that cannot be mistaken for another value's token.
            v.push('~');
            v.extend(std::iter::repeat_n('.', pad - v.len()));
        }
        v.push_str(suffix);
        v
    }

    /// Invokes `op` now and sends its first attempt.
    fn invoke<M: Message + From<ClientRequest>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        op: KvOp,
        kind: OpKind,
        scripted: bool,
    ) {
        self.current = Some(Current {
            seq: self.seq,
            op,
            kind,
            invoked: ctx.now(),
            attempts: 0,
            all_refused: true,
            scripted,
            target: NodeId(0),
        });
        let target = self.leader;
        self.attempt(ctx, target);
    }

    /// Sends (or re-sends) the current operation, to `to` or else a random server; gives
    /// up once the operation is older than `op_timeout`.
    fn attempt<M: Message + From<ClientRequest>>(&mut self, ctx: &mut Ctx<'_, M>, to: Option<NodeId>) {
        let Some(cur) = &mut self.current else { return };
        if cur.attempts > 0 && ctx.now() - cur.invoked >= self.config.op_timeout {
            let cur = self.current.take().expect("checked above");
            let outcome = if cur.all_refused { OpOutcome::Fail } else { OpOutcome::Info };
            let mut h = self.record(cur, outcome, None);
            if outcome == OpOutcome::Info {
                h.complete_ns = None;
            } else {
                h.complete_ns = Some(ctx.now().as_nanos());
            }
            self.log.finished(ctx.now(), h);
            ctx.cancel_timer(ClientTimer::Attempt);
            ctx.set_timer(ClientTimer::Next, self.config.think);
            return;
        }
        let target = match to {
            Some(t) => t,
            None => {
                let servers = ctx.servers();
                let others: Vec<NodeId> = servers.iter().copied().filter(|&s| s != cur.target).collect();
                if others.is_empty() { servers[0] } else { *ctx.rng().pick(&others) }
            }
        };
        cur.attempts += 1;
        cur.target = target;
        let req = ClientRequest { client: self.config.client, seq: ClientSeq(cur.seq), op: cur.op.clone() };
        ctx.send(target, M::from(req));
        ctx.set_timer(ClientTimer::Attempt, self.config.timeout);
    }

    /// Remembers the latest value seen for a key (used as the `expected` of later cas).
    fn learn(&mut self, op: &KvOp, result: &KvResult) {
        match (op, result) {
            (KvOp::Get { key }, KvResult::Value(v)) => {
                self.known.insert(*key, v.clone());
            }
            (KvOp::Put { key, value }, KvResult::Done) => {
                self.known.insert(*key, Some(value.clone()));
            }
            (KvOp::Cas { key, new, .. }, KvResult::Cas { applied: true }) => {
                self.known.insert(*key, Some(new.clone()));
            }
            (KvOp::Append { key, .. }, _) => {
                self.known.remove(key);
            }
            _ => {}
        }
    }

    /// The history's record of `c` (its strings moved into it, not copied).
    fn record(&self, c: Current, outcome: OpOutcome, done: Option<(SimTime, KvResult)>) -> HistoryOp {
        let key = crate::proto::kv::op::key_name(c.op.key());
        let (value, expected) = match c.op {
            KvOp::Get { .. } => (None, None),
            KvOp::Put { value, .. } | KvOp::Append { value, .. } => (Some(value), None),
            KvOp::Cas { expected, new, .. } => (Some(new), expected),
        };
        let (complete_ns, result) = done.map_or((None, None), |(t, r)| (Some(t.as_nanos()), Some(r)));
        let (read, applied) = match result {
            Some(KvResult::Value(v)) => (Some(v), None),
            Some(KvResult::Cas { applied }) => (None, Some(applied)),
            _ => (None, None),
        };
        HistoryOp {
            client: self.config.client,
            op: c.kind,
            key,
            value,
            expected,
            invoke_ns: c.invoked.as_nanos(),
            complete_ns,
            outcome,
            read,
            applied,
        }
    }
}

/// `text` with every value's padding shortened to `…`, for display: a value of `value_size`
/// bytes is written `client:seq~.....` (a `~` then dots, which no value's own token
/// contains), and a counterexample quoting several such values is unreadable with them.
/// `"2:52~......"` becomes `"2:52…"`, so two values run together stay apart
/// (`"4:19…4:25…;"`); text without padding is returned as it is.
pub fn unpadded(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(256));
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' && chars.peek() == Some(&'.') {
            while chars.peek() == Some(&'.') {
                chars.next();
            }
            out.push('\u{2026}');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod padding_tests {
    use super::unpadded;

    #[test]
    fn padding_is_shortened_and_nothing_else() {
        assert_eq!(unpadded("\"k10\" \"2:52~.......\""), "\"k10\" \"2:52\u{2026}\"");
        assert_eq!(unpadded("\"4:19~....4:25~...;\""), "\"4:19\u{2026}4:25\u{2026};\"");
        assert_eq!(unpadded("nil -> \"1:2\""), "nil -> \"1:2\"");
        assert_eq!(unpadded("a~b..."), "a~b...");
    }
}
