//! A toy key-value protocol registered beside eightfold's shipped ones: **one server holds
//! the store** and answers every request itself, so with one server it is trivially
//! linearizable. It is the smallest complete use of [`eightfold::protocol`]:
//!
//! - the server ([`Single`]) is a sans-IO [`Node`] speaking [`ServiceMsg`];
//! - it **persists before answering**: with `durable` set (the default) it writes the store
//!   to its disk after every change and answers only once the fsync is done, so a crash loses
//!   nothing it acknowledged (and a read waits for the writes it saw to be durable);
//! - its registration ([`SingleStore`]) reads its settings from the scenario's
//!   `cluster.single` object and declares it has no leader, no terms and no invariants.
//!
//! Run with two servers (`"nodes": 2`, `scenarios/pair.json`) the same code is *not*
//! linearizable: each client talks to a server of its own, nothing makes the two agree, and
//! the linearizability check finds a read that missed a write acknowledged on the other
//! server. That is the job consensus does (Raft, Multi-Paxos), and why they exist.

use eightfold::proto::kv::KvStore;
use eightfold::protocol::*;
use eightfold::sim::{DiskOp, FileId};

/// The file the server keeps its store in.
const STORE: FileId = FileId(1);

/// The toy's settings: `"cluster": { "protocol": "single", "single": { "durable": false } }`.
#[derive(Clone, Copy, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SingleSettings {
    /// Write the store to disk and fsync it before answering (default `true`). Without it a
    /// crash forgets acknowledged writes, and the linearizability check says so.
    pub durable: bool,
}

impl Default for SingleSettings {
    fn default() -> Self {
        SingleSettings { durable: true }
    }
}

/// The server: the whole store, and the answers waiting for their fsync.
#[derive(Debug)]
pub struct Single {
    store: KvStore,
    durable: bool,
    /// The last fsync asked for, and the last one done (tokens count up from 1).
    asked: u64,
    done: u64,
    /// Answers held until the fsync they wait for is done: (fsync token, client, answer).
    held: Vec<(u64, NodeId, ClientReply)>,
}

impl Node for Single {
    type Msg = ServiceMsg;
    type Timer = Never;
    type Admin = Never;

    fn on_start(&mut self, _ctx: &mut Ctx<'_, ServiceMsg>) {}

    fn on_message(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, from: NodeId, msg: ServiceMsg) {
        let ServiceMsg::Request(req) = msg else { return };
        let writes = !req.op.is_read();
        let result = self.store.apply(&req);
        let reply = ClientReply::Ok { seq: req.seq, result };
        if !self.durable {
            ctx.send(from, ServiceMsg::Reply(reply));
            return;
        }
        if writes {
            // Persist before answering: the new store, then an fsync whose completion
            // releases the answer.
            self.asked += 1;
            ctx.disk(DiskOp::Replace { file: STORE, data: self.store.snapshot() });
            ctx.disk(DiskOp::Fsync { file: STORE, token: self.asked });
        }
        if self.asked == self.done {
            ctx.send(from, ServiceMsg::Reply(reply));
        } else {
            // A read waits too: it may have seen a write not yet durable.
            self.held.push((self.asked, from, reply));
        }
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, ServiceMsg>, timer: Never) {
        match timer {}
    }

    fn on_disk(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, event: DiskEvent) {
        match event {
            DiskEvent::Synced { token } => {
                self.done = self.done.max(token);
                let done = self.done;
                let (ready, waiting): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut self.held).into_iter().partition(|(t, _, _)| *t <= done);
                self.held = waiting;
                for (_, to, reply) in ready {
                    ctx.send(to, ServiceMsg::Reply(reply));
                }
            }
            // The device promises nothing about those writes: crashing is the only safe answer.
            DiskEvent::SyncFailed { .. } => ctx.crash_self(),
        }
    }
}

/// The registration of the toy protocol (configured: whether it persists).
pub struct SingleStore {
    durable: bool,
}

impl KvProtocol for SingleStore {
    type Settings = SingleSettings;
    type Server = Single;

    fn capabilities() -> Capabilities {
        Capabilities { title: "a single unreplicated server", ..Capabilities::default() }
    }

    fn configure(settings: SingleSettings, _scenario: &Scenario) -> SingleStore {
        SingleStore { durable: settings.durable }
    }

    fn recover(&self, _id: NodeId, disk: &dyn StorageView) -> Single {
        let saved = disk.read(STORE);
        let store =
            if saved.is_empty() { KvStore::new() } else { KvStore::restore(&saved).unwrap_or_default() };
        Single { store, durable: self.durable, asked: 0, done: 0, held: Vec::new() }
    }

    fn liveness_unit(&self) -> SimDuration {
        SimDuration::from_millis(100)
    }

    fn describe(&self) -> Vec<String> {
        vec![format!(
            "single: one unreplicated server per store, {}",
            if self.durable { "fsynced before every answer" } else { "in memory only" }
        )]
    }
}

/// eightfold's shipped protocols and this one, as `single`.
pub fn registry() -> Registry {
    Registry::shipped().with::<SingleStore>("single")
}
