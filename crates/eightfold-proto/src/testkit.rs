//! One test cluster for every protocol's unit tests: N servers of any [`Node`] kind, an
//! in-memory network the test pumps by hand (deliver, drop, duplicate, reorder), timers
//! fired on demand, and the in-memory disks of [`Disk`] that complete fsyncs when told and
//! crash back to their synced content.
//!
//! A protocol's test harness is a thin layer over [`TestCluster`]: how to build its server
//! ([`TestNode`]), what judges watch each step ([`Watch`]: Raft's safety checker, the
//! Paxos oracle), and a few helpers named in its own words (`elect`, `heartbeat`). The
//! servers run their real [`Node`] implementations, as the kernel drives them: a peer's
//! message or a client's request arrives through [`Node::on_message`] in the test's
//! [`TestMsg`] envelope.

use std::collections::BTreeMap;
use std::fmt;

use super::host::{Host, Inbound};
use super::kv::{ClientReply, ClientRequest, ClientSeq, KvOp};
use super::paxos::PaxosMsg;
use super::quorum::QuorumMsg;
use super::raft::RaftMsg;
pub use super::replica::test_disk::Disk;
use super::wire::{Reader, Writer};
use eightfold_sim::sim::{
    Ctx, DiskEvent, FileId, Message, Node, NodeId, Observation, Outbox, RngStreams, SimDuration, SimRng,
    SimTime, Timer, TimerId,
};

/// The host message type of the tests: protocol `P`'s traffic plus the client protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestMsg<P> {
    /// Server ↔ server.
    Peer(P),
    /// Client → server.
    Request(ClientRequest),
    /// Server → client.
    Reply(ClientReply),
}

macro_rules! peer_from {
    ($($p:ty),*) => {$(
        impl From<$p> for TestMsg<$p> {
            fn from(m: $p) -> Self {
                TestMsg::Peer(m)
            }
        }
    )*};
}
peer_from!(RaftMsg, PaxosMsg, QuorumMsg);

impl<P> From<ClientReply> for TestMsg<P> {
    fn from(r: ClientReply) -> Self {
        TestMsg::Reply(r)
    }
}

impl<P: Message> Message for TestMsg<P> {
    fn wire_size(&self) -> u32 {
        match self {
            TestMsg::Peer(m) => m.wire_size(),
            TestMsg::Request(r) => r.wire_size(),
            TestMsg::Reply(r) => r.wire_size(),
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            TestMsg::Peer(m) => m.kind(),
            TestMsg::Request(_) => "Request",
            TestMsg::Reply(_) => "Reply",
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TestMsg::Peer(m) => {
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
            0 => P::decode(rest).map(TestMsg::Peer),
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

impl<P: Message> Host<P> for TestMsg<P>
where
    TestMsg<P>: From<P>,
{
    fn open(self) -> Option<Inbound<P>> {
        match self {
            TestMsg::Peer(m) => Some(Inbound::Peer(m)),
            TestMsg::Request(r) => Some(Inbound::Client(r)),
            TestMsg::Reply(_) => None,
        }
    }
}

/// A server kind the test cluster can build from its disk.
pub trait TestNode: Node<Msg = TestMsg<Self::Peer>> + fmt::Debug {
    /// The protocol's own messages.
    type Peer: Message + fmt::Debug;
    /// The server's settings.
    type Config: Clone;
    /// Builds server `id` from what survived on `disk` (a fresh disk: a fresh server).
    fn build(id: NodeId, cfg: Self::Config, disk: &Disk) -> Self;
}

/// A judge that watches every step of a test cluster (no-op by default).
pub trait Watch {
    /// Server `id` is about to boot.
    fn started(&mut self, _now: SimTime, _id: NodeId) {}
    /// Server `id` crashed.
    fn crashed(&mut self, _now: SimTime, _id: NodeId) {}
    /// Server `id` announced `obs`.
    fn observe(&mut self, _now: SimTime, _id: NodeId, _obs: &Observation) {}
    /// An fsync of `file` on server `i` completed (its content is now `disk.durable`),
    /// before the server hears of it.
    fn synced(&mut self, _i: usize, _file: FileId, _disk: &Disk) {}
}

/// No judge.
impl Watch for () {}

/// The client every test request comes from (unless a test names another).
pub const CLIENT: NodeId = NodeId(99);

/// The id of server `i`.
pub fn n(i: usize) -> NodeId {
    NodeId(i as u32)
}

/// A put request of client 1.
pub fn put(seq: u64, key: u32, value: &str) -> ClientRequest {
    ClientRequest { client: 1, seq: ClientSeq(seq), op: KvOp::Put { key, value: value.into() } }
}

/// A get request of client 1.
pub fn get(seq: u64, key: u32) -> ClientRequest {
    ClientRequest { client: 1, seq: ClientSeq(seq), op: KvOp::Get { key } }
}

/// A message on the wire.
#[derive(Clone, Debug)]
pub struct Flight<P> {
    /// Sender.
    pub from: NodeId,
    /// Destination.
    pub to: NodeId,
    /// The message.
    pub msg: P,
}

/// Messages of a kind.
pub fn kind<P: Message>(f: &Flight<P>, k: &str) -> bool {
    f.msg.kind() == k
}

/// N servers of kind `N`, their disks, the network, the timers, and the judge `W`.
pub struct TestCluster<N: TestNode, W> {
    /// The servers' settings (a restarted server is built with them).
    pub cfg: N::Config,
    /// Every server, in id order.
    pub servers: Vec<NodeId>,
    /// The servers (`None`: down).
    pub nodes: Vec<Option<N>>,
    /// Their disks.
    pub disks: Vec<Disk>,
    rngs: Vec<SimRng>,
    /// Global time; server `i` reads `now + ahead[i]`.
    pub now: SimTime,
    /// How far each server's clock is ahead of global time.
    pub ahead: Vec<SimDuration>,
    /// Messages on the wire, in the order sent.
    pub net: Vec<Flight<N::Peer>>,
    /// Armed timers: (server, the kernel's number of the timer) → deadline.
    pub timers: BTreeMap<(usize, TimerId), SimTime>,
    /// Client replies: (server, client, reply).
    pub replies: Vec<(NodeId, NodeId, ClientReply)>,
    /// Every observation, in order.
    pub obs: Vec<(NodeId, Observation)>,
    /// The judge.
    pub checker: W,
}

impl<N: TestNode, W: Watch> TestCluster<N, W> {
    /// `size` servers with fresh disks and random streams derived from `seed`, all started
    /// at time 1s, watched by `checker`.
    pub fn with(size: usize, cfg: N::Config, seed: u64, checker: W) -> Self {
        let streams = RngStreams::new(seed);
        let mut c = TestCluster {
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
            checker,
        };
        for i in 0..size {
            c.start(i);
        }
        c
    }

    /// Builds server `i` from its disk and starts it.
    pub fn start(&mut self, i: usize) {
        self.nodes[i] = Some(N::build(n(i), self.cfg.clone(), &self.disks[i]));
        self.checker.started(self.now, n(i));
        self.drive(i, |node, ctx| node.on_start(ctx));
    }

    /// Crashes server `i`: its memory is lost and its disk keeps only synced data.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i] = None;
        self.disks[i].crash();
        self.timers.retain(|(k, _), _| *k != i);
        self.checker.crashed(self.now, n(i));
    }

    /// True if server `i` is up.
    pub fn up(&self, i: usize) -> bool {
        self.nodes[i].is_some()
    }

    /// Server `i` (panics if down).
    pub fn node(&self, i: usize) -> &N {
        self.nodes[i].as_ref().expect("server is up")
    }

    /// Runs one handler of server `i` (if up) and carries out what it asked for.
    fn drive(&mut self, i: usize, f: impl FnOnce(&mut N, &mut Ctx<'_, N::Msg>)) {
        let Some(node) = self.nodes[i].as_mut() else {
            return;
        };
        let mut out = Outbox::default();
        {
            let local = self.now + self.ahead[i];
            let mut ctx = Ctx::new(n(i), local, &self.servers, &mut self.rngs[i], &mut out);
            f(node, &mut ctx);
        }
        self.process(i, out);
    }

    fn process(&mut self, i: usize, out: Outbox<N::Msg>) {
        for obs in out.observations {
            self.checker.observe(self.now, n(i), &obs);
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
                TestMsg::Peer(msg) => self.net.push(Flight { from: n(i), to, msg }),
                TestMsg::Reply(r) => self.replies.push((n(i), to, r)),
                TestMsg::Request(_) => panic!("servers do not send requests"),
            }
        }
        if out.crash {
            self.crash(i);
        }
    }

    /// Hands server `i` a message `from` sent (delivered as the kernel would).
    fn receive(&mut self, i: usize, from: NodeId, msg: N::Msg) {
        if i < self.nodes.len() {
            self.drive(i, |node, ctx| node.on_message(ctx, from, msg));
        }
    }

    /// Delivers the message at position `k` of the network.
    pub fn deliver(&mut self, k: usize) {
        let f = self.net.remove(k);
        self.receive(f.to.index(), f.from, TestMsg::Peer(f.msg));
    }

    /// Delivers every message now on the wire that matches, in order; returns how many.
    pub fn deliver_where(&mut self, pred: impl Fn(&Flight<N::Peer>) -> bool) -> usize {
        let (take, keep): (Vec<_>, Vec<_>) = self.net.drain(..).partition(|f| pred(f));
        self.net = keep;
        let count = take.len();
        for f in take {
            self.receive(f.to.index(), f.from, TestMsg::Peer(f.msg));
        }
        count
    }

    /// Delivers `msg` to server `i` as if `from` had sent it.
    pub fn inject(&mut self, i: usize, from: NodeId, msg: N::Peer) {
        self.receive(i, from, TestMsg::Peer(msg));
    }

    /// Drops every message now on the wire that matches; returns how many.
    pub fn drop_where(&mut self, pred: impl Fn(&Flight<N::Peer>) -> bool) -> usize {
        let before = self.net.len();
        self.net.retain(|f| !pred(f));
        before - self.net.len()
    }

    /// Messages now on the wire that match.
    pub fn count(&self, pred: impl Fn(&Flight<N::Peer>) -> bool) -> usize {
        self.net.iter().filter(|f| pred(f)).count()
    }

    /// A client request to server `i`, from client node `from`.
    pub fn request_from(&mut self, i: usize, from: NodeId, req: ClientRequest) {
        self.receive(i, from, TestMsg::Request(req));
    }

    /// A client request to server `i` from [`CLIENT`].
    pub fn client(&mut self, i: usize, req: ClientRequest) {
        self.request_from(i, CLIENT, req);
    }

    /// An operator's command typed at server `i`'s console.
    pub fn operator(&mut self, i: usize, cmd: N::Admin) {
        self.drive(i, |node, ctx| node.on_admin(ctx, &cmd));
    }

    /// Hands server `i` a disk completion (a failed fsync, say).
    pub fn disk_event(&mut self, i: usize, event: DiskEvent) {
        self.drive(i, |node, ctx| node.on_disk(ctx, event));
    }

    /// Completes the `k`-th pending fsync of server `i` (the judge looks first); false if
    /// there is none.
    fn complete(&mut self, i: usize, k: usize) -> bool {
        let Some((file, token)) = self.disks[i].complete_at(k) else {
            return false;
        };
        self.checker.synced(i, file, &self.disks[i]);
        self.disk_event(i, DiskEvent::Synced { token });
        true
    }

    /// Completes every pending fsync of server `i`, oldest first.
    pub fn sync(&mut self, i: usize) {
        while self.up(i) && self.complete(i, 0) {}
    }

    /// Completes the oldest pending fsync of `file` on server `i` (fsyncs of different
    /// files may complete in any order); false if there is none.
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
            self.disk_event(i, DiskEvent::SyncFailed { token });
        }
    }

    /// Delivers everything and completes every fsync until the cluster is quiet (timers
    /// aside).
    pub fn settle(&mut self) {
        self.settle_cut(|_| false);
    }

    /// Like `settle`, but messages matching `cut` are dropped instead of delivered.
    pub fn settle_cut(&mut self, cut: impl Fn(&Flight<N::Peer>) -> bool) {
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
    pub fn fire(&mut self, i: usize, t: N::Timer) -> bool {
        let Some(at) = self.timers.remove(&(i, t.id())) else {
            return false;
        };
        self.now = self.now.max(at);
        self.drive(i, |node, ctx| node.on_timer(ctx, t));
        true
    }

    /// The earliest armed timer of any server (ties: lowest server, then timer number).
    fn next_timer(&self) -> Option<(usize, N::Timer, SimTime)> {
        let (&(i, id), &at) = self.timers.iter().min_by_key(|(k, at)| (**at, **k))?;
        let t = N::Timer::from_id(id).expect("only the server's own timers are armed");
        Some((i, t, at))
    }

    /// Fires the earliest armed timer of any server; returns (server, timer).
    pub fn fire_next(&mut self) -> Option<(usize, N::Timer)> {
        let (i, t, _) = self.next_timer()?;
        self.fire(i, t);
        Some((i, t))
    }

    /// Lets `d` of time pass: every timer due fires in order, and the network settles after
    /// each (messages take no time), with messages matching `cut` dropped.
    pub fn run_cut(&mut self, d: SimDuration, cut: impl Fn(&Flight<N::Peer>) -> bool) {
        let end = self.now + d;
        while let Some((i, t, at)) = self.next_timer() {
            if at > end {
                break;
            }
            self.fire(i, t);
            self.settle_cut(&cut);
        }
        self.now = end;
    }

    /// The replies sent for `seq` (to any client).
    pub fn replies_to_seq(&self, seq: u64) -> Vec<ClientReply> {
        self.replies.iter().filter(|(_, _, r)| r.seq() == ClientSeq(seq)).map(|(_, _, r)| r.clone()).collect()
    }

    /// Observations of server `i` matching `pred`.
    pub fn observed(&self, i: usize, pred: impl Fn(&Observation) -> bool) -> Vec<Observation> {
        self.obs.iter().filter(|(who, o)| *who == n(i) && pred(o)).map(|(_, o)| o.clone()).collect()
    }
}
