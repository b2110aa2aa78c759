//! The broadcast workload: clients inject unique values into random servers, one at a time,
//! and retry elsewhere when a server does not acknowledge in time.
//!
//! Each client records, per value, when it first tried and when a server acknowledged it.
//! An acknowledged value is a promise: the convergence check demands that every live
//! server ends up holding it.

use serde::Serialize;

use crate::proto::gossip::GossipMsg;
use crate::sim::rng::Draw;
use crate::sim::{
    Ctx, Never, Node, NodeId, Observation, Role, SimDuration, SimRng, SimTime, Term, Timer, TimerId,
};

/// The timers of a broadcast client.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum BroadcastTimer {
    /// Time to inject the next value.
    Next,
    /// The pending value went unacknowledged: try another server.
    Retry,
}

impl Timer for BroadcastTimer {
    const ALL: &'static [Self] = &[BroadcastTimer::Next, BroadcastTimer::Retry];
    fn id(self) -> TimerId {
        TimerId(match self {
            BroadcastTimer::Next => 0,
            BroadcastTimer::Retry => 1,
        })
    }
}

/// Settings of one broadcast client.
#[derive(Clone, Copy, Debug)]
pub struct BroadcastConfig {
    /// This client's number (values are `client << 32 | seq`).
    pub client: u32,
    /// Values to inject.
    pub values: u32,
    /// Time between injections.
    pub interval: SimDuration,
    /// How long to wait for an acknowledgement before trying another server.
    pub timeout: SimDuration,
}

/// What happened to one injected value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Injection {
    /// The value.
    pub value: u64,
    /// The server first asked to broadcast it (drawn from the client's workload stream).
    pub first_server: NodeId,
    /// When the client first sent it.
    pub sent: SimTime,
    /// When a server acknowledged it (`None`: never).
    pub acked: Option<SimTime>,
    /// How many servers were tried.
    pub attempts: u32,
}

/// A client that injects values and waits for acknowledgements.
#[derive(Debug)]
pub struct BroadcastClient {
    config: BroadcastConfig,
    /// The client's workload stream: which server each new value goes to first. Retries
    /// draw from the node's own stream, so faults never shift the workload's draws.
    workload: SimRng,
    next_seq: u32,
    pending: Option<usize>,
    log: Vec<Injection>,
}

impl BroadcastClient {
    /// A client that has injected nothing yet, drawing its workload from `workload`.
    pub fn new(config: BroadcastConfig, workload: SimRng) -> Self {
        BroadcastClient { config, workload, next_seq: 0, pending: None, log: Vec::new() }
    }

    /// Every injection so far.
    pub fn injections(&self) -> &[Injection] {
        &self.log
    }

    fn send_pending(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        let Some(i) = self.pending else { return };
        let server = if self.log[i].attempts == 0 {
            self.log[i].first_server
        } else {
            let servers = ctx.servers();
            *ctx.rng().pick(servers)
        };
        self.log[i].attempts += 1;
        ctx.send(server, GossipMsg::Inject { value: self.log[i].value });
        ctx.set_timer(BroadcastTimer::Retry, self.config.timeout);
    }
}

impl Node for BroadcastClient {
    type Msg = GossipMsg;
    type Timer = BroadcastTimer;
    type Admin = Never;

    fn on_start(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        ctx.observe(Observation::Role { role: Role::Peer, term: Term(0) });
        if self.config.values > 0 {
            ctx.set_timer(BroadcastTimer::Next, SimDuration::ZERO);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, GossipMsg>, _from: NodeId, msg: GossipMsg) {
        if let GossipMsg::InjectOk { value } = msg {
            if let Some(i) = self.pending {
                if self.log[i].value == value {
                    self.log[i].acked = Some(ctx.now());
                    self.pending = None;
                    ctx.cancel_timer(BroadcastTimer::Retry);
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, GossipMsg>, timer: BroadcastTimer) {
        match timer {
            // A new value every interval; an unacknowledged one is abandoned for the next
            // (it stays in the log, unacknowledged, and is not promised).
            BroadcastTimer::Next if self.next_seq < self.config.values => {
                ctx.cancel_timer(BroadcastTimer::Retry);
                let value = ((self.config.client as u64) << 32) | self.next_seq as u64;
                self.next_seq += 1;
                let first_server = *self.workload.pick(ctx.servers());
                self.log.push(Injection { value, first_server, sent: ctx.now(), acked: None, attempts: 0 });
                self.pending = Some(self.log.len() - 1);
                self.send_pending(ctx);
                if self.next_seq < self.config.values {
                    ctx.set_timer(BroadcastTimer::Next, self.config.interval);
                }
            }
            // Every value is out: nothing left to inject.
            BroadcastTimer::Next => {}
            BroadcastTimer::Retry => self.send_pending(ctx),
        }
    }
}
