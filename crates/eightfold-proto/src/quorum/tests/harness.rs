//! A deterministic harness for the quorum store: the shared [`TestCluster`] of quorum-store
//! servers (with the in-memory disks of [`crate::replica::test_disk`], a network the
//! test pumps by hand, timers, and a per-server clock offset, `ahead`, to show what clock
//! skew does to last-writer-wins), with helpers in the store's words.

use crate::kv::{ClientReply, ClientRequest, ClientSeq, KvOp};
use crate::quorum::{QuorumConfig, QuorumMsg, QuorumNode};
use crate::testkit::{Disk, TestCluster, TestNode};
pub use crate::testkit::{kind, n};
use eightfold_sim::sim::{DiskEvent, NodeId, StorageView};

/// The host message type of the tests.
pub type TestMsg = crate::testkit::TestMsg<QuorumMsg>;

/// Servers, disks, network, timers.
pub type Cluster = TestCluster<QuorumNode<TestMsg>, ()>;

impl TestNode for QuorumNode<TestMsg> {
    type Peer = QuorumMsg;
    type Config = QuorumConfig;
    fn build(id: NodeId, cfg: QuorumConfig, disk: &Disk) -> Self {
        QuorumNode::recover(id, cfg, disk as &dyn StorageView)
    }
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
        TestCluster::with(size, cfg, 7, ())
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

    /// Client `c` sends `req` to server `i`.
    pub fn request(&mut self, i: usize, c: u32, req: ClientRequest) {
        self.request_from(i, client(c), req);
    }

    /// Hands server `i` a disk completion (a failed fsync, say).
    pub fn fail(&mut self, i: usize, event: DiskEvent) {
        self.disk_event(i, event);
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
