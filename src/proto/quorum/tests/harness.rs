//! A deterministic harness for the quorum store: servers with the in-memory disks of
//! [`crate::proto::replica::test_disk`], a network the test pumps by hand, timers, and a
//! per-server clock offset (to show what clock skew does to last-writer-wins).

use std::collections::BTreeMap;

use crate::proto::kv::{ClientReply, ClientRequest, ClientSeq, KvOp};
use crate::proto::quorum::{QuorumConfig, QuorumMsg, QuorumNode};
use crate::proto::replica::test_disk::Disk;
use crate::proto::wire::{Reader, Writer};
use crate::sim::{
    Ctx, DiskEvent, Message, NodeId, Observation, Outbox, RngStreams, SimDuration, SimRng, SimTime, TimerId,
};

/// The kernel message type of the tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestMsg {
    Quorum(QuorumMsg),
    Reply(ClientReply),
}

impl From<QuorumMsg> for TestMsg {
    fn from(m: QuorumMsg) -> Self {
        TestMsg::Quorum(m)
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
            TestMsg::Quorum(m) => m.wire_size(),
            TestMsg::Reply(r) => r.wire_size(),
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            TestMsg::Quorum(m) => m.kind(),
            TestMsg::Reply(_) => "Reply",
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TestMsg::Quorum(m) => {
                out.push(0);
                m.encode(out);
            }
            TestMsg::Reply(r) => {
                out.push(1);
                r.encode(&mut Writer::new(out));
            }
        }
    }
    fn decode(bytes: &[u8]) -> Option<Self> {
        let (&tag, rest) = bytes.split_first()?;
        match tag {
            0 => QuorumMsg::decode(rest).map(TestMsg::Quorum),
            1 => {
                let mut r = Reader::new(rest);
                let rep = ClientReply::decode(&mut r)?;
                r.finish(TestMsg::Reply(rep))
            }
            _ => None,
        }
    }
}

/// A message on the wire.
#[derive(Clone, Debug)]
pub struct Flight {
    pub from: NodeId,
    pub to: NodeId,
    pub msg: QuorumMsg,
}

/// Servers, disks, network, timers.
pub struct Cluster {
    pub cfg: QuorumConfig,
    pub servers: Vec<NodeId>,
    pub nodes: Vec<Option<QuorumNode<TestMsg>>>,
    pub disks: Vec<Disk>,
    rngs: Vec<SimRng>,
    /// Global time; server `i` reads `now + ahead[i]`.
    pub now: SimTime,
    pub ahead: Vec<SimDuration>,
    pub net: Vec<Flight>,
    pub timers: BTreeMap<(usize, TimerId), SimTime>,
    /// (server, client, reply).
    pub replies: Vec<(NodeId, NodeId, ClientReply)>,
    pub obs: Vec<(NodeId, Observation)>,
}

/// The id of server `i`.
pub fn n(i: usize) -> NodeId {
    NodeId(i as u32)
}

/// The id of client `c`.
pub fn client(c: u32) -> NodeId {
    NodeId(100 + c)
}

/// A put request.
pub fn put(seq: u64, key: u32, value: &str) -> ClientRequest {
    ClientRequest { client: 0, seq: ClientSeq(seq), op: KvOp::Put { key, value: value.into() } }
}

/// A get request.
pub fn get(seq: u64, key: u32) -> ClientRequest {
    ClientRequest { client: 0, seq: ClientSeq(seq), op: KvOp::Get { key } }
}

/// An append request.
pub fn append(seq: u64, key: u32, value: &str) -> ClientRequest {
    ClientRequest { client: 0, seq: ClientSeq(seq), op: KvOp::Append { key, value: value.into() } }
}

impl Cluster {
    /// `size` servers with fresh disks, all started.
    pub fn new(size: usize, cfg: QuorumConfig) -> Self {
        let streams = RngStreams::new(7);
        let mut c = Cluster {
            cfg,
            servers: (0..size).map(n).collect(),
            nodes: (0..size).map(|_| None).collect(),
            disks: vec![Disk::default(); size],
            rngs: (0..size).map(|i| streams.indexed("node", i as u64)).collect(),
            now: SimTime(1_000_000_000),
            ahead: vec![SimDuration::ZERO; size],
            net: Vec::new(),
            timers: BTreeMap::new(),
            replies: Vec::new(),
            obs: Vec::new(),
        };
        for i in 0..size {
            c.start(i);
        }
        c
    }

    /// Builds server `i` from its disk and starts it.
    pub fn start(&mut self, i: usize) {
        self.nodes[i] = Some(QuorumNode::recover(n(i), self.cfg.clone(), &self.disks[i]));
        self.drive(i, |node, ctx| node.on_start(ctx));
    }

    /// Crashes server `i`.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i] = None;
        self.disks[i].crash();
        self.timers.retain(|(k, _), _| *k != i);
    }

    /// Server `i` (panics if down).
    pub fn node(&self, i: usize) -> &QuorumNode<TestMsg> {
        self.nodes[i].as_ref().expect("server is up")
    }

    /// The preference list of `key`, as server indexes.
    pub fn replicas(&self, key: u32) -> Vec<usize> {
        self.nodes
            .iter()
            .flatten()
            .next()
            .expect("a server is up")
            .preference_list(key)
            .iter()
            .map(|x| x.index())
            .collect()
    }

    fn drive(&mut self, i: usize, f: impl FnOnce(&mut QuorumNode<TestMsg>, &mut Ctx<'_, TestMsg>)) {
        let Some(node) = self.nodes[i].as_mut() else {
            return;
        };
        let mut out = Outbox::default();
        {
            let local = self.now + self.ahead[i];
            let mut ctx = Ctx::new(n(i), local, &self.servers, &mut self.rngs[i], &mut out);
            f(node, &mut ctx);
        }
        for obs in out.observations {
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
                TestMsg::Quorum(msg) => self.net.push(Flight { from: n(i), to, msg }),
                TestMsg::Reply(r) => self.replies.push((n(i), to, r)),
            }
        }
        if out.crash {
            self.crash(i);
        }
    }

    /// Client `c` sends `req` to server `i`.
    pub fn request(&mut self, i: usize, c: u32, req: ClientRequest) {
        self.drive(i, |node, ctx| node.on_client(ctx, client(c), req));
    }

    /// Delivers the message at position `k` of the network.
    pub fn deliver(&mut self, k: usize) {
        let f = self.net.remove(k);
        self.drive(f.to.index(), |node, ctx| node.on_peer(ctx, f.from, f.msg));
    }

    /// Delivers every message now on the wire that matches, in order; returns how many.
    pub fn deliver_where(&mut self, pred: impl Fn(&Flight) -> bool) -> usize {
        let (take, keep): (Vec<Flight>, Vec<Flight>) = self.net.drain(..).partition(|f| pred(f));
        self.net = keep;
        let count = take.len();
        for f in take {
            let to = f.to.index();
            self.drive(to, |node, ctx| node.on_peer(ctx, f.from, f.msg));
        }
        count
    }

    /// Drops every message now on the wire that matches.
    pub fn drop_where(&mut self, pred: impl Fn(&Flight) -> bool) {
        self.net.retain(|f| !pred(f));
    }

    /// Completes every pending fsync of server `i`.
    pub fn sync(&mut self, i: usize) {
        while self.nodes[i].is_some() {
            let Some((_, token)) = self.disks[i].complete_at(0) else {
                break;
            };
            self.drive(i, |node, ctx| node.on_disk(ctx, DiskEvent::Synced { token }));
        }
    }

    /// Hands server `i` a disk completion (a failed fsync, say).
    pub fn fail(&mut self, i: usize, event: DiskEvent) {
        self.drive(i, |node, ctx| node.on_disk(ctx, event));
    }

    /// Completes every pending fsync everywhere.
    pub fn sync_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.sync(i);
        }
    }

    /// Delivers everything (dropping what matches `cut`) and completes every fsync until
    /// the network is quiet.
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

    /// Delivers everything until quiet.
    pub fn settle(&mut self) {
        self.settle_cut(|_| false);
    }

    /// Lets `d` pass: due timers fire in order, the network settles after each (with
    /// messages matching `cut` dropped).
    pub fn run_cut(&mut self, d: SimDuration, cut: impl Fn(&Flight) -> bool) {
        let end = self.now + d;
        while let Some((&(i, t), &at)) = self.timers.iter().min_by_key(|(k, at)| (**at, **k)) {
            if at > end {
                break;
            }
            self.timers.remove(&(i, t));
            self.now = self.now.max(at);
            self.drive(i, |node, ctx| node.on_timer(ctx, t));
            self.settle_cut(&cut);
        }
        self.now = end;
    }

    /// The replies client `c` received for `seq`.
    pub fn replies_for(&self, c: u32, seq: u64) -> Vec<ClientReply> {
        self.replies
            .iter()
            .filter(|(_, to, r)| *to == client(c) && r.seq() == ClientSeq(seq))
            .map(|(_, _, r)| r.clone())
            .collect()
    }

    /// The value server `i` holds for `key`.
    pub fn held(&self, i: usize, key: u32) -> Option<String> {
        self.node(i).held(key).map(|v| v.value.clone())
    }
}

/// Messages of a kind.
pub fn kind(f: &Flight, k: &str) -> bool {
    f.msg.kind() == k
}
