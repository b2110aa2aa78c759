//! A deterministic test harness: N Paxos servers, an in-memory network the test pumps by
//! hand (deliver, drop, reorder), timers fired on demand, and disks that apply `DiskOp`s,
//! complete fsyncs when told, and crash back to their synced content — the approach of the
//! Raft harness, with the shared [`Disk`].
//!
//! Two judges watch every step:
//! - the run's real consensus invariant checker ([`Invariants`]), fed the observations the
//!   servers announce — so these tests also show the observations are sound;
//! - an oracle that knows what was *chosen*: whenever an fsync completes it reads the
//!   acceptances now durable in that server's WAL, and a value is chosen in a slot once a
//!   majority durably accepted it in one ballot. It reports two different values chosen
//!   for one slot, two values proposed in one ballot for one slot, and a server applying a
//!   value that was not (yet) chosen there.

use std::collections::BTreeMap;

use crate::check::invariants::Invariants;
use crate::proto::kv::{ClientReply, ClientRequest, ClientSeq, KvOp};
use crate::proto::paxos::storage::{self, WAL};
use crate::proto::paxos::{Ballot, ELECTION_TIMER, HEARTBEAT_TIMER, PaxosConfig, PaxosMsg, PaxosNode};
use crate::proto::replica::LogPayload;
pub use crate::proto::replica::test_disk::Disk;
use crate::proto::wire::{Reader, Writer};
use crate::sim::{
    Ctx, DiskEvent, FileId, LogIndex, Message, NodeId, Observation, Outbox, RngStreams, Role, SimDuration,
    SimRng, SimTime, StorageView, Term, TimerId,
};
use crate::world::{Lifecycle, Observer};

/// The kernel message type of the tests: Paxos traffic plus the client protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestMsg {
    Paxos(PaxosMsg),
    Request(ClientRequest),
    Reply(ClientReply),
}

impl From<PaxosMsg> for TestMsg {
    fn from(m: PaxosMsg) -> Self {
        TestMsg::Paxos(m)
    }
}

impl From<ClientReply> for TestMsg {
    fn from(r: ClientReply) -> Self {
        TestMsg::Reply(r)
    }
}

impl Message for TestMsg {
    fn wire_size(&self) -> u32 {
        match self {
            TestMsg::Paxos(m) => m.wire_size(),
            TestMsg::Request(r) => r.wire_size(),
            TestMsg::Reply(r) => r.wire_size(),
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            TestMsg::Paxos(m) => m.kind(),
            TestMsg::Request(_) => "Request",
            TestMsg::Reply(_) => "Reply",
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TestMsg::Paxos(m) => {
                out.push(0);
                m.encode(out);
            }
            TestMsg::Request(r) => {
                out.push(1);
                r.encode(&mut Writer::new(out));
            }
            TestMsg::Reply(r) => {
                out.push(2);
                r.encode(&mut Writer::new(out));
            }
        }
    }
    fn decode(bytes: &[u8]) -> Option<Self> {
        let (&tag, rest) = bytes.split_first()?;
        match tag {
            0 => PaxosMsg::decode(rest).map(TestMsg::Paxos),
            1 => {
                let mut r = Reader::new(rest);
                let req = ClientRequest::decode(&mut r)?;
                r.finish(TestMsg::Request(req))
            }
            2 => {
                let mut r = Reader::new(rest);
                let rep = ClientReply::decode(&mut r)?;
                r.finish(TestMsg::Reply(rep))
            }
            _ => None,
        }
    }
}

/// The client every test request comes from.
pub const CLIENT: NodeId = NodeId(99);

/// A message on the wire.
#[derive(Clone, Debug)]
pub struct Flight {
    pub from: NodeId,
    pub to: NodeId,
    pub msg: PaxosMsg,
}

/// A value's identity: the round that first proposed it and the hash of its payload (what
/// `Observation::Applied` carries).
type Value = (Term, u64);

/// What was chosen, judged from durable acceptances.
#[derive(Debug, Default)]
pub struct Oracle {
    quorum: usize,
    /// (slot, ballot) → the value proposed and the servers that durably accepted it.
    votes: BTreeMap<(LogIndex, Ballot), (Value, Vec<usize>)>,
    /// slot → the value chosen there.
    pub chosen: BTreeMap<LogIndex, Value>,
    /// How many bytes of each server's WAL were already read (while it only grew).
    read: Vec<(usize, u64)>,
}

impl Oracle {
    fn durable_wal(&mut self, i: usize, wal: &[u8], violations: &mut Vec<String>) {
        // Read only what was appended since the last look when the file just grew.
        let (seen, hash) = self.read[i];
        let start =
            if seen <= wal.len() && crate::sim::digest::hash_bytes(&wal[..seen]) == hash { seen } else { 0 };
        let valid = crate::disk::wal::recover(&wal[start..]).valid_len as usize;
        for (ballot, slot, entry) in storage::acceptances(&wal[start..start + valid]) {
            let value = (entry.term, entry.payload.hash());
            let v = self.votes.entry((slot, ballot)).or_insert((value, Vec::new()));
            if v.0 != value {
                violations.push(format!("ballot {ballot} proposed two values at slot {slot}"));
                continue;
            }
            if !v.1.contains(&i) {
                v.1.push(i);
            }
            if v.1.len() >= self.quorum {
                let c = *self.chosen.entry(slot).or_insert(value);
                if c != value {
                    violations.push(format!(
                        "two values chosen at slot {slot}: term {} and term {} (ballot {ballot})",
                        c.0, value.0
                    ));
                }
            }
        }
        let end = start + valid;
        self.read[i] = (end, crate::sim::digest::hash_bytes(&wal[..end]));
    }
}

/// N servers, their disks, the network and the timers.
pub struct Cluster {
    pub cfg: PaxosConfig,
    pub servers: Vec<NodeId>,
    pub nodes: Vec<Option<PaxosNode<TestMsg>>>,
    pub disks: Vec<Disk>,
    rngs: Vec<SimRng>,
    pub now: SimTime,
    pub net: Vec<Flight>,
    pub timers: BTreeMap<(usize, TimerId), SimTime>,
    pub replies: Vec<(NodeId, ClientReply)>,
    pub obs: Vec<(NodeId, Observation)>,
    invariants: Invariants,
    pub oracle: Oracle,
    pub violations: Vec<String>,
}

/// The id of server `i`.
pub fn n(i: usize) -> NodeId {
    NodeId(i as u32)
}

/// A put request.
pub fn put(seq: u64, key: u32, value: &str) -> ClientRequest {
    ClientRequest { client: 1, seq: ClientSeq(seq), op: KvOp::Put { key, value: value.into() } }
}

/// A get request.
pub fn get(seq: u64, key: u32) -> ClientRequest {
    ClientRequest { client: 1, seq: ClientSeq(seq), op: KvOp::Get { key } }
}

impl Cluster {
    /// `size` servers with fresh disks, all started.
    pub fn new(size: usize, cfg: PaxosConfig) -> Self {
        Self::new_seeded(size, cfg, 1)
    }

    /// Same, with the servers' random streams derived from `seed`.
    pub fn new_seeded(size: usize, cfg: PaxosConfig, seed: u64) -> Self {
        let streams = RngStreams::new(seed);
        let mut c = Cluster {
            cfg,
            servers: (0..size).map(n).collect(),
            nodes: (0..size).map(|_| None).collect(),
            disks: vec![Disk::default(); size],
            rngs: (0..size).map(|i| streams.indexed("node", i as u64)).collect(),
            now: SimTime(1_000_000_000),
            net: Vec::new(),
            timers: BTreeMap::new(),
            replies: Vec::new(),
            obs: Vec::new(),
            invariants: Invariants::new(size),
            oracle: Oracle { quorum: size / 2 + 1, read: vec![(0, 0); size], ..Oracle::default() },
            violations: Vec::new(),
        };
        for i in 0..size {
            c.start(i);
        }
        c
    }

    /// Builds server `i` from its disk and starts it.
    pub fn start(&mut self, i: usize) {
        self.nodes[i] = Some(PaxosNode::recover(n(i), self.cfg.clone(), &self.disks[i]));
        self.invariants.lifecycle(self.now, n(i), Lifecycle::Start);
        self.drive(i, |node, ctx| node.on_start(ctx));
    }

    /// Crashes server `i`: its memory is lost and its disk keeps only synced data.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i] = None;
        self.disks[i].crash();
        self.timers.retain(|(k, _), _| *k != i);
        self.invariants.lifecycle(self.now, n(i), Lifecycle::Crash);
    }

    /// True if server `i` is up.
    pub fn up(&self, i: usize) -> bool {
        self.nodes[i].is_some()
    }

    /// Server `i` (panics if down).
    pub fn node(&self, i: usize) -> &PaxosNode<TestMsg> {
        self.nodes[i].as_ref().expect("server is up")
    }

    fn drive(&mut self, i: usize, f: impl FnOnce(&mut PaxosNode<TestMsg>, &mut Ctx<'_, TestMsg>)) {
        let Some(node) = self.nodes[i].as_mut() else {
            return;
        };
        let mut out = Outbox::default();
        {
            let mut ctx = Ctx::new(n(i), self.now, &self.servers, &mut self.rngs[i], &mut out);
            f(node, &mut ctx);
        }
        self.process(i, out);
    }

    fn process(&mut self, i: usize, out: Outbox<TestMsg>) {
        for obs in out.observations {
            if let Err(v) = self.invariants.observe(self.now, n(i), &obs) {
                self.violations.push(v);
            }
            if let Observation::Applied { index, term, command } = obs
                && self.oracle.chosen.get(&index) != Some(&(term, command))
            {
                self.violations
                    .push(format!("{} applied at {index} a value that was not chosen there", n(i)));
            }
            self.obs.push((n(i), obs));
        }
        for op in out.disk {
            self.disks[i].apply(op);
        }
        for (timer, after) in out.timers {
            match after {
                Some(d) => {
                    self.timers.insert((i, timer), self.now + d);
                }
                None => {
                    self.timers.remove(&(i, timer));
                }
            }
        }
        for (to, msg) in out.sends {
            match msg {
                TestMsg::Paxos(msg) => self.net.push(Flight { from: n(i), to, msg }),
                TestMsg::Reply(r) => self.replies.push((n(i), r)),
                TestMsg::Request(_) => panic!("servers do not send requests"),
            }
        }
        if out.crash {
            self.crash(i);
        }
    }

    /// Delivers the message at position `k` of the network.
    pub fn deliver(&mut self, k: usize) {
        let f = self.net.remove(k);
        let to = f.to.index();
        if to < self.nodes.len() {
            self.drive(to, |node, ctx| node.on_peer(ctx, f.from, f.msg));
        }
    }

    /// Delivers every message now on the wire that matches, in order; returns how many.
    pub fn deliver_where(&mut self, pred: impl Fn(&Flight) -> bool) -> usize {
        let (take, keep): (Vec<Flight>, Vec<Flight>) = self.net.drain(..).partition(|f| pred(f));
        self.net = keep;
        let count = take.len();
        for f in take {
            let to = f.to.index();
            if to < self.nodes.len() {
                self.drive(to, |node, ctx| node.on_peer(ctx, f.from, f.msg));
            }
        }
        count
    }

    /// Drops every message now on the wire that matches; returns how many.
    pub fn drop_where(&mut self, pred: impl Fn(&Flight) -> bool) -> usize {
        let before = self.net.len();
        self.net.retain(|f| !pred(f));
        before - self.net.len()
    }

    /// Messages now on the wire that match.
    pub fn count(&self, pred: impl Fn(&Flight) -> bool) -> usize {
        self.net.iter().filter(|f| pred(f)).count()
    }

    fn complete(&mut self, i: usize, k: usize) -> bool {
        let Some((file, token)) = self.disks[i].complete_at(k) else {
            return false;
        };
        if file == WAL {
            let wal = self.disks[i].read(WAL);
            self.oracle.durable_wal(i, &wal, &mut self.violations);
        }
        self.drive(i, |node, ctx| node.on_disk(ctx, DiskEvent::Synced { token }));
        true
    }

    /// Completes every pending fsync of server `i`, oldest first.
    pub fn sync(&mut self, i: usize) {
        while self.up(i) && self.complete(i, 0) {}
    }

    /// Completes the oldest pending fsync of `file` on server `i`; false if there is none.
    pub fn sync_file(&mut self, i: usize, file: FileId) -> bool {
        match self.disks[i].pending_of(file) {
            Some(k) => self.complete(i, k),
            None => false,
        }
    }

    /// Completes every pending fsync of every server.
    pub fn sync_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.sync(i);
        }
    }

    /// Fails the oldest pending fsync of server `i`.
    pub fn fail_sync(&mut self, i: usize) {
        if let Some(token) = self.disks[i].fail_oldest() {
            self.drive(i, |node, ctx| node.on_disk(ctx, DiskEvent::SyncFailed { token }));
        }
    }

    /// Delivers everything and completes every fsync until the cluster is quiet (timers
    /// aside).
    pub fn settle(&mut self) {
        self.settle_cut(|_| false);
    }

    /// Like `settle`, but messages matching `cut` are dropped instead of delivered.
    pub fn settle_cut(&mut self, cut: impl Fn(&Flight) -> bool) {
        for _ in 0..10_000 {
            self.sync_all();
            self.drop_where(&cut);
            if self.net.is_empty() {
                return;
            }
            self.deliver_where(|_| true);
        }
        panic!("the cluster did not settle");
    }

    /// Advances the clock.
    pub fn advance(&mut self, d: SimDuration) {
        self.now += d;
    }

    /// Fires timer `t` of server `i` if it is armed, first moving the clock to its deadline
    /// if that is later; true if it fired.
    pub fn fire(&mut self, i: usize, t: TimerId) -> bool {
        let Some(at) = self.timers.remove(&(i, t)) else {
            return false;
        };
        self.now = self.now.max(at);
        self.drive(i, |node, ctx| node.on_timer(ctx, t));
        true
    }

    /// Fires the earliest armed timer of any server; returns (server, timer).
    pub fn fire_next(&mut self) -> Option<(usize, TimerId)> {
        let (&(i, t), _) = self.timers.iter().min_by_key(|(k, at)| (**at, **k))?;
        self.fire(i, t);
        Some((i, t))
    }

    /// Lets `d` of time pass: every timer due fires in order, and the network settles after
    /// each (messages take no time), with messages matching `cut` dropped.
    pub fn run_cut(&mut self, d: SimDuration, cut: impl Fn(&Flight) -> bool) {
        let end = self.now + d;
        while let Some((&(i, t), &at)) = self.timers.iter().min_by_key(|(k, at)| (**at, **k)) {
            if at > end {
                break;
            }
            self.fire(i, t);
            self.settle_cut(&cut);
        }
        self.now = end;
    }

    /// Server `i`'s election timeout fires.
    pub fn timeout(&mut self, i: usize) {
        assert!(self.fire(i, ELECTION_TIMER), "{} has no election timer armed", n(i));
    }

    /// The leader's heartbeat fires.
    pub fn heartbeat(&mut self, i: usize) {
        assert!(self.fire(i, HEARTBEAT_TIMER), "{} is not leading", n(i));
    }

    /// Makes server `i` time out and establish its leadership with every message delivered.
    pub fn elect(&mut self, i: usize) {
        self.timeout(i);
        self.settle();
        assert_eq!(self.node(i).role(), Role::Leader, "{} should have won", n(i));
    }

    /// Delivers `msg` to server `i` as if `from` had sent it.
    pub fn inject(&mut self, i: usize, from: NodeId, msg: PaxosMsg) {
        self.drive(i, |node, ctx| node.on_peer(ctx, from, msg));
    }

    /// A client request to server `i`.
    pub fn client(&mut self, i: usize, req: ClientRequest) {
        self.drive(i, |node, ctx| node.on_client(ctx, CLIENT, req));
    }

    /// The replies sent for `seq`.
    pub fn replies_for(&self, seq: u64) -> Vec<ClientReply> {
        self.replies.iter().filter(|(_, r)| r.seq() == ClientSeq(seq)).map(|(_, r)| r.clone()).collect()
    }

    /// The up servers that completed phase 1 (established or not), with their ballots.
    pub fn leaders(&self) -> Vec<(usize, Ballot)> {
        (0..self.nodes.len())
            .filter_map(|i| self.nodes[i].as_ref().and_then(|x| x.leading()).map(|b| (i, b)))
            .collect()
    }

    /// Observations of server `i` matching `pred`.
    pub fn observed(&self, i: usize, pred: impl Fn(&Observation) -> bool) -> Vec<Observation> {
        self.obs.iter().filter(|(who, o)| *who == n(i) && pred(o)).map(|(_, o)| o.clone()).collect()
    }

    /// Panics if any safety property was violated.
    pub fn assert_safe(&self) {
        assert!(self.violations.is_empty(), "{:#?}", self.violations);
    }

    /// True if some violation mentions `what`.
    pub fn violated(&self, what: &str) -> bool {
        self.violations.iter().any(|v| v.contains(what))
    }
}

/// Messages of a kind.
pub fn kind(f: &Flight, k: &str) -> bool {
    f.msg.kind() == k
}

/// A config with deterministic, test-friendly settings.
pub fn cfg() -> PaxosConfig {
    PaxosConfig { check_quorum: false, ..PaxosConfig::default() }
}
