//! Node lifecycle: boot, crash, restart, pause and resume.
//!
//! A crash is real: the node object is dropped (all volatile state gone), its pending
//! timers and in-flight fsyncs become void, and its disk reverts to what was durable.
//! Restart rebuilds the node from that disk alone. A pause is a process stall (a long GC,
//! a stopped VM): the node keeps its memory but handles nothing; what arrives meanwhile is
//! queued and handed over in one burst on resume — a classic source of stale leaders.

use super::{Lifecycle, World, code};
use crate::sim::{Ctx, Node, NodeId};

impl<N: Node> World<N> {
    /// Boots (or reboots) a node from its disk.
    pub(super) fn start(&mut self, node: NodeId) {
        let t = self.now;
        if self.slots[node.index()].node.is_some() {
            return;
        }
        self.digest.event(t.0, code::START, node.0, 0, 0);
        let built = self.factory.build(node, &self.disks[node.index()]);
        let slot = &mut self.slots[node.index()];
        slot.busy_until = t;
        if let Some(tr) = &mut self.trace {
            tr.lifecycle(t, &slot.name, "start");
        }
        let node_ref = slot.node.insert(built);
        let mut ctx = Ctx::new(node, slot.clock.local(t), &self.servers, &mut slot.rng, &mut self.out);
        node_ref.on_start(&mut ctx);
        self.notify(node, Lifecycle::Start);
        self.flush(node, None);
        // A build deployed while it was down (or before it crashed) is the one it boots.
        self.hand_deployed(node);
        // What the node announced while booting is what it recovered from its disk.
        if let Some(r) = &mut self.recorder {
            r.booted(t, node);
        }
    }

    /// Crashes a node: memory, timers, queued events and unsynced writes are lost.
    /// Returns false if it was already down.
    pub(super) fn crash(&mut self, node: NodeId, why: &str) -> bool {
        let t = self.now;
        let slot = &mut self.slots[node.index()];
        if slot.node.take().is_none() {
            return false;
        }
        slot.paused = false;
        slot.deferred.clear();
        for st in &mut slot.timers {
            st.generation = st.generation.wrapping_add(1);
            st.wake = st.wake.wrapping_add(1);
            st.due = None;
            st.queued = None;
        }
        let report = self.disks[node.index()].crash(t, &mut slot.disk_rng);
        self.digest.event(t.0, code::CRASH, node.0, report.torn_bytes, report.fsyncs_dropped as u32);
        if let Some(tr) = &mut self.trace {
            tr.event(
                t,
                "crash",
                serde_json::json!({
                    "node": slot.name,
                    "why": why,
                    "fsyncs_lost": report.fsyncs_dropped,
                    "torn_bytes": report.torn_bytes,
                }),
            );
        }
        self.notify(node, Lifecycle::Crash);
        true
    }

    /// Stalls a node. Returns false if it is down or already paused.
    pub(super) fn pause(&mut self, node: NodeId) -> bool {
        let t = self.now;
        let slot = &mut self.slots[node.index()];
        if slot.node.is_none() || slot.paused {
            return false;
        }
        slot.paused = true;
        self.digest.event(t.0, code::PAUSE, node.0, 0, 0);
        if let Some(tr) = &mut self.trace {
            tr.lifecycle(t, &slot.name, "pause");
        }
        self.notify(node, Lifecycle::Pause);
        true
    }

    /// Resumes a paused node: everything that arrived meanwhile is handed over now, in
    /// arrival order. Returns false if it was not paused.
    pub(super) fn resume(&mut self, node: NodeId) -> bool {
        let t = self.now;
        let slot = &mut self.slots[node.index()];
        if !slot.paused {
            return false;
        }
        slot.paused = false;
        let backlog = slot.deferred.len();
        // Ahead of anything else due now, in arrival order.
        while let Some(ev) = slot.deferred.pop_back() {
            self.queue.push_urgent(t, ev);
        }
        self.digest.event(t.0, code::RESUME, node.0, backlog as u64, 0);
        if let Some(tr) = &mut self.trace {
            tr.event(t, "resume", serde_json::json!({"node": slot.name, "backlog": backlog}));
        }
        self.notify(node, Lifecycle::Resume);
        true
    }
}
