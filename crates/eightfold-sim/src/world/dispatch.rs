//! The event loop's inner part: handing one event to its node and carrying out what the
//! node asked for.

use super::security::{Payload, Sealed};
use super::{BUDGET_CHECK, Event, Halt, Lifecycle, World, code};
use crate::net::{DropReason, Route};
use crate::sim::{
    Ctx, DiskEvent, DiskOp, Message, MsgId, Node, NodeId, Observation, SimDuration, SimTime, Timer,
};

/// Emptied append buffers kept for reuse, at most.
const SPARE_BUFFERS: usize = 8;
/// The largest buffer kept for reuse (a bigger one, a rare snapshot-sized write, is freed).
const SPARE_BYTES: usize = 1 << 16;

impl<N: Node> World<N> {
    #[inline]
    pub(super) fn handle(&mut self, t: SimTime, ev: Event<N::Msg>) {
        self.now = t;
        self.counts.total += 1;
        if self.budget.count(t) && self.over_budget(&ev) {
            return;
        }
        match ev {
            Event::Deliver { from, to, id, msg } => self.deliver(from, to, id, msg),
            Event::Arrived { from, to, id, msg } => self.hand_over(from, to, id, msg),
            Event::Timer { node, timer, generation } => {
                self.counts.timers += 1;
                let slot = &self.slots[node.index()];
                if slot.timers.get(timer.0 as usize).map(|s| s.generation) != Some(generation)
                    || slot.node.is_none()
                {
                    return; // re-armed, cancelled, or the node crashed since
                }
                if slot.paused || slot.busy_until > t {
                    self.hold(node, Event::Timer { node, timer, generation });
                    return;
                }
                self.digest.event(t.0, code::TIMER, node.0, timer.0 as u64, 0);
                let slot = &mut self.slots[node.index()];
                if let Some(tr) = &mut self.trace {
                    tr.timer(t, &slot.name, timer.0);
                }
                let node_ref = slot.node.as_mut().expect("checked above");
                // Only the node's own timers are ever armed on its slot, so the number
                // always decodes; a number that did not would be a timer of no kind.
                if let Some(timer) = <N::Timer as Timer>::from_id(timer) {
                    let mut ctx =
                        Ctx::new(node, slot.clock.local(t), &self.servers, &mut slot.rng, &mut self.out);
                    node_ref.on_timer(&mut ctx, timer);
                }
                self.flush(node, None);
            }
            Event::Disk { node, epoch, event } => {
                let slot = &self.slots[node.index()];
                if self.disks[node.index()].epoch() != epoch || slot.node.is_none() {
                    return; // issued by an incarnation that has since crashed
                }
                if slot.paused || slot.busy_until > t {
                    self.hold(node, Event::Disk { node, epoch, event });
                    return;
                }
                self.counts.disk += 1;
                let (token, ok) = match event {
                    DiskEvent::Synced { token } => (token, true),
                    DiskEvent::SyncFailed { token } => (token, false),
                };
                self.digest.event(t.0, code::DISK, node.0, token, ok as u32);
                let slot = &mut self.slots[node.index()];
                if let Some(tr) = &mut self.trace {
                    tr.event(t, "fsync", serde_json::json!({"node": slot.name, "token": token, "ok": ok}));
                }
                let node_ref = slot.node.as_mut().expect("checked above");
                let mut ctx =
                    Ctx::new(node, slot.clock.local(t), &self.servers, &mut slot.rng, &mut self.out);
                node_ref.on_disk(&mut ctx, event);
                self.flush(node, None);
            }
            // `World::due` turns a due wake-up into its firing before it gets here.
            Event::Wake { .. } => {}
            Event::Start { node } => self.start(node),
            Event::Fault { action } => self.apply_fault(action as usize),
            Event::Adversary { entry } => self.adversary(entry as usize),
        }
    }

    /// The current window is past half its event budget: tally the event by kind (a
    /// message's own kind label) and node; past the whole budget, halt the run with the
    /// check `event_budget` (the event is not handled). True if the run halted.
    #[cold]
    #[inline(never)]
    fn over_budget(&mut self, ev: &Event<N::Msg>) -> bool {
        let (kind, node) = match ev {
            Event::Deliver { to, msg, .. } => (msg.kind(), Some(*to)),
            Event::Arrived { to, msg, .. } => (msg.kind(), Some(*to)),
            Event::Timer { node, .. } | Event::Wake { node, .. } => ("timer", Some(*node)),
            Event::Disk { node, .. } => ("fsync", Some(*node)),
            Event::Start { node } => ("start", Some(*node)),
            Event::Fault { .. } => ("fault", None),
            Event::Adversary { .. } => ("adversary", None),
        };
        if !self.budget.note(kind, node, self.slots.len()) {
            return false;
        }
        if self.halted.is_none() {
            let node = match self.budget.busiest_node() {
                Some(n) => self.slots[n.index()].name.clone(),
                None => "the cluster".to_string(),
            };
            self.halted = Some(Halt {
                at: self.now,
                node,
                check: BUDGET_CHECK.to_string(),
                detail: self.budget.verdict(),
            });
        }
        true
    }

    /// Keeps an event for later: in the paused node's backlog, or until its CPU is free.
    fn hold(&mut self, node: NodeId, ev: Event<N::Msg>) {
        self.counts.deferred += 1;
        let slot = &mut self.slots[node.index()];
        if slot.paused {
            slot.deferred.push_back(ev);
        } else {
            let at = slot.busy_until;
            self.queue.push(at, ev);
        }
    }

    /// A message reaches its destination's network interface: the network's last word
    /// (a partition that started while it flew, a crashed receiver), then the envelope
    /// guard, then the node.
    #[inline]
    fn deliver(&mut self, from: NodeId, to: NodeId, id: MsgId, payload: Payload<N::Msg>) {
        let t = self.now;
        self.counts.messages += 1;
        let why = if self.net.blocks(from, to) {
            Some(DropReason::Partition)
        } else if self.slots[to.index()].node.is_none() {
            Some(DropReason::NodeDown)
        } else {
            None
        };
        if let Some(why) = why {
            self.net.note_dropped(from, to, why);
            if let Some(r) = &mut self.recorder {
                r.lost(t, id, why.name());
            }
            self.digest.event(t.0, code::DROP, to.0, id.0, payload.wire_size());
            if let Some(tr) = &mut self.trace {
                let (f, d) = (&self.slots[from.index()].name, &self.slots[to.index()].name);
                tr.drop(t, f, d, id, payload.kind(), why.name());
            }
            return;
        }
        let msg = match payload {
            Payload::Plain(m) => {
                if !self.guard.fresh(to, from, id.0) {
                    self.guard.stats.rejected_replay += 1;
                    self.reject(from, to, id, m.kind(), "replay");
                    return;
                }
                m
            }
            Payload::Sealed(s) => match self.guard.open::<N::Msg>(&s) {
                Ok(m) => m,
                Err(why) => {
                    self.reject(from, to, id, s.env.kind, why.name());
                    return;
                }
            },
        };
        self.hand_over(from, to, id, msg);
    }

    fn reject(&mut self, from: NodeId, to: NodeId, id: MsgId, kind: &str, why: &str) {
        let t = self.now;
        if let Some(r) = &mut self.recorder {
            r.lost(t, id, why);
        }
        self.digest.event(t.0, code::REJECT, to.0, id.0, 0);
        if let Some(tr) = &mut self.trace {
            let (f, d) = (&self.slots[from.index()].name, &self.slots[to.index()].name);
            tr.event(
                t,
                "reject",
                serde_json::json!({"from": f, "to": d, "id": id.0, "kind": kind, "reason": why}),
            );
        }
    }

    /// Hands a message that passed the network and the guard to its node, unless the node
    /// is paused or busy (then it waits), or has crashed meanwhile.
    #[inline]
    fn hand_over(&mut self, from: NodeId, to: NodeId, id: MsgId, msg: N::Msg) {
        let t = self.now;
        let slot = &self.slots[to.index()];
        if slot.node.is_none() {
            self.net.note_dropped(from, to, DropReason::NodeDown);
            if let Some(r) = &mut self.recorder {
                r.lost(t, id, DropReason::NodeDown.name());
            }
            self.digest.event(t.0, code::DROP, to.0, id.0, msg.wire_size());
            return;
        }
        if slot.paused || slot.busy_until > t {
            self.hold(to, Event::Arrived { from, to, id, msg });
            return;
        }
        let size = msg.wire_size();
        self.net.note_delivered();
        if let Some(r) = &mut self.recorder {
            r.arrived(id);
        }
        self.digest.event(t.0, code::DELIVER, to.0, id.0, size);
        if let Some(tr) = &mut self.trace {
            tr.deliver(t, &self.slots[from.index()].name, &self.slots[to.index()].name, id, msg.kind(), size);
        }
        let slot = &mut self.slots[to.index()];
        let node = slot.node.as_mut().expect("checked above");
        let mut ctx = Ctx::new(to, slot.clock.local(t), &self.servers, &mut slot.rng, &mut self.out);
        node.on_message(&mut ctx, from, msg);
        self.flush(to, Some(size));
    }

    /// Carries out what node `from` asked for in its last handler call. `received` is the
    /// size of the message it handled, if any (for the CPU-cost model).
    #[inline]
    pub(super) fn flush(&mut self, from: NodeId, received: Option<u32>) {
        let t = self.now;
        // Transport cost: the handler's CPU time, then each send's, one after the other.
        let mut cpu_at = t;
        let cpu = self.cpu;
        let slowness = self.slots[from.index()].slowness;
        if let (Some(cpu), Some(size)) = (cpu, received) {
            cpu_at += SimDuration((cpu.of(size) as f64 * slowness) as u64);
        }
        if !self.out.sends.is_empty() {
            let mut sends = std::mem::take(&mut self.out.sends);
            for (to, msg) in sends.drain(..) {
                if let Some(cpu) = cpu {
                    cpu_at += SimDuration((cpu.of(msg.wire_size()) as f64 * slowness) as u64);
                }
                self.send(cpu_at, from, to, msg);
            }
            self.out.sends = sends;
        }
        if cpu.is_some() {
            self.cpu_time += (cpu_at - t).as_nanos();
            let slot = &mut self.slots[from.index()];
            slot.busy_until = slot.busy_until.max(cpu_at);
        }
        if !self.out.timers.is_empty() {
            let slot = &mut self.slots[from.index()];
            for (timer, after) in self.out.timers.drain(..) {
                let i = timer.0 as usize;
                if slot.timers.len() <= i {
                    slot.timers.resize(i + 1, super::TimerState::default());
                }
                let st = &mut slot.timers[i];
                st.generation = st.generation.wrapping_add(1);
                let Some(after) = after else {
                    st.due = None; // a queued wake-up finds it cancelled
                    continue;
                };
                let at = slot.clock.timer_deadline(t, after).0;
                let seq = self.queue.reserve_seq();
                st.due = Some((at, seq));
                // A wake-up queued no later than the deadline moves there when it comes up.
                if st.queued.is_none_or(|q| q > at) {
                    st.wake = st.wake.wrapping_add(1);
                    st.queued = Some(at);
                    self.queue.push_at(SimTime(at), seq, Event::Wake { node: from, timer, wake: st.wake });
                }
            }
        }
        if !self.out.disk.is_empty() {
            let mut ops = std::mem::take(&mut self.out.disk);
            let slot = &mut self.slots[from.index()];
            let disk = &mut self.disks[from.index()];
            for op in ops.drain(..) {
                if let DiskOp::Append { file, mut data } = op {
                    disk.append(t, file, &data);
                    // Kept for the next handler's `ctx.buffer()` (a few, of modest size).
                    if self.out.spare.len() < SPARE_BUFFERS && data.capacity() <= SPARE_BYTES {
                        data.clear();
                        self.out.spare.push(data);
                    }
                    continue;
                }
                if let Some(c) = disk.apply(t, op, &mut slot.disk_rng) {
                    self.queue.push(c.at, Event::Disk { node: from, epoch: c.epoch, event: c.event });
                }
            }
            self.out.disk = ops;
        }
        if !self.out.observations.is_empty() {
            let mut obs = std::mem::take(&mut self.out.observations);
            for o in obs.drain(..) {
                self.observe(from, o);
            }
            self.out.observations = obs;
        }
        if std::mem::take(&mut self.out.crash) {
            self.crash(from, "the node crashed itself");
        }
    }

    #[inline]
    fn send(&mut self, t: SimTime, from: NodeId, to: NodeId, msg: N::Msg) {
        let id = MsgId(self.next_msg);
        self.next_msg += 1;
        let size = msg.wire_size();
        let route = self.net.route(t, from, to, size);
        self.digest.event(t.0, code::SEND, from.0, id.0, size);
        // The network already refused an address outside the cluster (same size as `slots`).
        if let Route::Drop(DropReason::Unroutable) = route {
            self.digest.word(to.0 as u64);
            if let Some(tr) = &mut self.trace {
                let f = &self.slots[from.index()].name;
                tr.send(t, f, &format!("#{}", to.0), id, msg.kind(), size, "unroutable", None);
            }
            return;
        }
        if let Some(r) = &mut self.recorder {
            let arrive = match route {
                Route::Drop(why) => Err(why.name()),
                Route::Deliver { at, .. } => Ok(at),
            };
            r.sent(t, from, to, id, msg.kind(), size, arrive, |c| msg.contents(c));
            if let Some(backlog) = self.net.backlog(from, to, t) {
                r.queue(t, from, to, size, backlog);
            }
        }
        match route {
            Route::Drop(why) => {
                self.digest.word(((to.0 as u64) << 8) | why as u64);
                if let Some(tr) = &mut self.trace {
                    let (f, d) = (&self.slots[from.index()].name, &self.slots[to.index()].name);
                    tr.send(t, f, d, id, msg.kind(), size, why.name(), None);
                }
            }
            Route::Deliver { at, duplicate, reordered, corrupt } => {
                self.digest.word(((to.0 as u64) << 8) | 0xFF);
                self.digest.word(at.0);
                if let Some(tr) = &mut self.trace {
                    let (f, d) = (&self.slots[from.index()].name, &self.slots[to.index()].name);
                    let fate = if reordered { "reorder" } else { "deliver" };
                    tr.send(t, f, d, id, msg.kind(), size, fate, Some(at));
                    if let Some(dup) = duplicate {
                        tr.send(t, f, d, id, msg.kind(), size, "duplicate", Some(dup));
                    }
                }
                if self.guard.capturing() {
                    let env = self.guard.seal(from, to, id, &msg);
                    self.guard.capture(env);
                }
                if let Some(dup) = duplicate {
                    self.digest.word(dup.0);
                    self.queue.push(dup, Event::Deliver { from, to, id, msg: Payload::Plain(msg.clone()) });
                }
                let payload = if corrupt {
                    let mut env = self.guard.seal(from, to, id, &msg);
                    self.guard.corrupt(&mut env);
                    self.digest.word(env.tag ^ env.bytes.len() as u64);
                    Payload::Sealed(Box::new(Sealed { env, tampered: true, replayed: false, size }))
                } else {
                    Payload::Plain(msg)
                };
                self.queue.push(at, Event::Deliver { from, to, id, msg: payload });
            }
        }
    }

    pub(super) fn observe(&mut self, node: NodeId, obs: Observation) {
        let t = self.now;
        if let Some(r) = &mut self.recorder {
            r.observation(t, node, &obs);
        }
        // Views are for the report alone: no digest, trace or check sees them.
        if obs.is_view() {
            return;
        }
        self.digest.event(t.0, code::OBSERVE, node.0, obs.code() as u64, 0);
        if let Observation::Role { role, term } = obs {
            self.slots[node.index()].role = (role, term);
        }
        if let Some(tr) = &mut self.trace {
            tr.observation(t, &self.slots[node.index()].name, &obs);
        }
        for o in &mut self.observers {
            if let Err(detail) = o.observe(t, node, &obs) {
                if self.halted.is_none() {
                    self.halted = Some(Halt {
                        at: t,
                        node: self.slots[node.index()].name.clone(),
                        check: o.name().to_string(),
                        detail,
                    });
                }
            }
        }
    }

    pub(super) fn notify(&mut self, node: NodeId, event: Lifecycle) {
        let t = self.now;
        if let Some(r) = &mut self.recorder {
            r.lifecycle(t, node, event);
        }
        for o in &mut self.observers {
            o.lifecycle(t, node, event);
        }
    }
}
