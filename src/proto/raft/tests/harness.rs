//! A deterministic test harness: N Raft servers, an in-memory network the test pumps by
//! hand (deliver, drop, reorder), timers fired on demand, and disks that apply `DiskOp`s,
//! complete fsyncs when told, and crash back to their synced content.

use std::collections::BTreeMap;

use crate::proto::kv::{ClientReply, ClientRequest, ClientSeq, KvOp};
use crate::proto::raft::{ELECTION_TIMER, HEARTBEAT_TIMER, RaftConfig, RaftMsg, RaftNode};
use crate::proto::replica::test_disk::Disk;
use crate::proto::wire::{Reader, Writer};
use crate::sim::{
    Ctx, DiskEvent, FileId, LogIndex, Message, NodeId, Observation, Outbox, RngStreams, Role, SimDuration,
    SimRng, SimTime, Term, TimerId,
};

/// The kernel message type of the tests: Raft traffic plus the client protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestMsg {
    Raft(RaftMsg),
    Request(ClientRequest),
    Reply(ClientReply),
}

impl From<RaftMsg> for TestMsg {
    fn from(m: RaftMsg) -> Self {
        TestMsg::Raft(m)
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
            TestMsg::Raft(m) => m.wire_size(),
            TestMsg::Request(r) => r.wire_size(),
            TestMsg::Reply(r) => r.wire_size(),
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            TestMsg::Raft(m) => m.kind(),
            TestMsg::Request(_) => "Request",
            TestMsg::Reply(_) => "Reply",
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TestMsg::Raft(m) => {
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
            0 => RaftMsg::decode(rest).map(TestMsg::Raft),
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
    pub msg: RaftMsg,
}

/// Safety properties checked on every observation.
#[derive(Debug, Default)]
pub struct Checker {
    leaders: BTreeMap<Term, NodeId>,
    entries: BTreeMap<(LogIndex, Term), u64>,
    applied: BTreeMap<LogIndex, (Term, u64)>,
    pub violations: Vec<String>,
}

impl Checker {
    fn observe(&mut self, node: NodeId, obs: &Observation) {
        match obs {
            Observation::Role { role: Role::Leader, term } => {
                let first = *self.leaders.entry(*term).or_insert(node);
                if first != node {
                    self.violations
                        .push(format!("election safety: {first} and {node} both lead term {term}"));
                }
            }
            Observation::Appended { index, term, chain } => {
                let first = *self.entries.entry((*index, *term)).or_insert(*chain);
                if first != *chain {
                    self.violations
                        .push(format!("log matching: {node} holds ({index}, {term}) on another prefix"));
                }
            }
            Observation::Applied { index, term, command } => {
                let first = *self.applied.entry(*index).or_insert((*term, *command));
                if first != (*term, *command) {
                    self.violations.push(format!(
                        "state machine safety: {node} applied term {term} at {index}, another server term {}",
                        first.0
                    ));
                }
            }
            _ => {}
        }
    }
}

/// N servers, their disks, the network and the timers.
pub struct Cluster {
    pub cfg: RaftConfig,
    pub servers: Vec<NodeId>,
    pub nodes: Vec<Option<RaftNode<TestMsg>>>,
    pub disks: Vec<Disk>,
    rngs: Vec<SimRng>,
    pub now: SimTime,
    pub net: Vec<Flight>,
    pub timers: BTreeMap<(usize, TimerId), SimTime>,
    pub replies: Vec<(NodeId, ClientReply)>,
    pub obs: Vec<(NodeId, Observation)>,
    pub checker: Checker,
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
    pub fn new(size: usize, cfg: RaftConfig) -> Self {
        Self::new_seeded(size, cfg, 1)
    }

    /// Same, with the servers' random streams derived from `seed`.
    pub fn new_seeded(size: usize, cfg: RaftConfig, seed: u64) -> Self {
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
            checker: Checker::default(),
        };
        for i in 0..size {
            c.start(i);
        }
        c
    }

    /// Builds server `i` from its disk and starts it.
    pub fn start(&mut self, i: usize) {
        self.nodes[i] = Some(RaftNode::recover(n(i), self.cfg.clone(), &self.disks[i]));
        self.drive(i, |node, ctx| node.on_start(ctx));
    }

    /// Crashes server `i`: its memory is lost and its disk keeps only synced data.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i] = None;
        self.disks[i].crash();
        self.timers.retain(|(k, _), _| *k != i);
    }

    /// True if server `i` is up.
    pub fn up(&self, i: usize) -> bool {
        self.nodes[i].is_some()
    }

    /// Server `i` (panics if down).
    pub fn node(&self, i: usize) -> &RaftNode<TestMsg> {
        self.nodes[i].as_ref().expect("server is up")
    }

    fn drive(&mut self, i: usize, f: impl FnOnce(&mut RaftNode<TestMsg>, &mut Ctx<'_, TestMsg>)) {
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
            self.checker.observe(n(i), &obs);
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
                TestMsg::Raft(msg) => self.net.push(Flight { from: n(i), to, msg }),
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
        let batch: Vec<Flight> = {
            let (take, keep): (Vec<Flight>, Vec<Flight>) = self.net.drain(..).partition(|f| pred(f));
            self.net = keep;
            take
        };
        let count = batch.len();
        for f in batch {
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

    /// Completes every pending fsync of server `i`, oldest first.
    pub fn sync(&mut self, i: usize) {
        while self.up(i) {
            let Some(token) = self.disks[i].complete_at(0).map(|(_, token)| token) else {
                break;
            };
            self.drive(i, |node, ctx| node.on_disk(ctx, DiskEvent::Synced { token }));
        }
    }

    /// Completes the oldest pending fsync of `file` on server `i` (fsyncs of different
    /// files may complete in any order); false if there is none.
    pub fn sync_file(&mut self, i: usize, file: FileId) -> bool {
        let Some(token) = self.disks[i].complete_file(file) else {
            return false;
        };
        self.drive(i, |node, ctx| node.on_disk(ctx, DiskEvent::Synced { token }));
        true
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
        for _ in 0..10_000 {
            self.sync_all();
            if self.net.is_empty() {
                return;
            }
            self.deliver_where(|_| true);
        }
        panic!("the cluster did not settle");
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

    /// Makes server `i` time out and win an election with every message delivered.
    pub fn elect(&mut self, i: usize) {
        self.timeout(i);
        self.settle();
        assert_eq!(self.node(i).role(), Role::Leader, "{} should have won", n(i));
    }

    /// A client request to server `i`.
    pub fn client(&mut self, i: usize, req: ClientRequest) {
        self.drive(i, |node, ctx| node.on_client(ctx, CLIENT, req));
    }

    /// An operator's command typed at server `i`'s console (a settings change, say).
    pub fn operator(&mut self, i: usize, cmd: crate::sim::AdminCommand) {
        self.drive(i, |node, ctx| node.on_admin(ctx, &cmd));
    }

    /// An AdminChange to server `i`.
    pub fn admin(&mut self, i: usize, change: crate::proto::raft::MembershipChange) {
        self.drive(i, |node, ctx| node.on_peer(ctx, NodeId(98), RaftMsg::AdminChange { change }));
    }

    /// The replies sent for `seq`.
    pub fn replies_for(&self, seq: u64) -> Vec<ClientReply> {
        self.replies.iter().filter(|(_, r)| r.seq() == ClientSeq(seq)).map(|(_, r)| r.clone()).collect()
    }

    /// The up servers that believe they lead, with their terms.
    pub fn leaders(&self) -> Vec<(usize, Term)> {
        (0..self.nodes.len())
            .filter_map(|i| {
                self.nodes[i].as_ref().filter(|x| x.role() == Role::Leader).map(|x| (i, x.term()))
            })
            .collect()
    }

    /// Observations of server `i` matching `pred`.
    pub fn observed(&self, i: usize, pred: impl Fn(&Observation) -> bool) -> Vec<Observation> {
        self.obs.iter().filter(|(who, o)| *who == n(i) && pred(o)).map(|(_, o)| o.clone()).collect()
    }

    /// Panics if any safety property was violated.
    pub fn assert_safe(&self) {
        assert!(self.checker.violations.is_empty(), "{:#?}", self.checker.violations);
    }
}

/// Messages of a kind.
pub fn kind(f: &Flight, k: &str) -> bool {
    f.msg.kind() == k
}

/// A config with deterministic, test-friendly settings.
pub fn cfg() -> RaftConfig {
    RaftConfig { pre_vote: false, check_quorum: false, ..RaftConfig::default() }
}
