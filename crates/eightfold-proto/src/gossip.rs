//! Broadcast by gossip: every value injected at any node should reach every node.
//!
//! Two mechanisms, as in epidemic broadcast (Demers et al., *Epidemic Algorithms for
//! Replicated Database Maintenance*, 1987):
//! - **rumor mongering**: a node that learns a value for the first time pushes it at once to
//!   `fanout` random peers. Fast, but a lost message or a partition leaves holes.
//! - **anti-entropy**: every `interval`, a node compares a summary of its set (count and an
//!   order-independent hash) with one random peer; if they differ the two exchange what the
//!   other lacks (push-pull). Slow but certain: once the network heals, every live node
//!   converges.
//!
//! A client injects a value with `Inject`; the receiving server acknowledges with
//! `InjectOk` once it holds it. Each server announces every value it learns as an
//! [`Observation::Learned`], which the convergence check follows.

use std::collections::BTreeSet;

use super::wire::{Reader, Writer};
use eightfold_sim::sim::digest::mix64;
use eightfold_sim::sim::rng::Draw;
use eightfold_sim::sim::{
    Contents, Ctx, Message, Never, Node, NodeId, Observation, Role, SimDuration, Term, Timer, TimerId,
};

use crate::wire::HEADER;

/// Messages of the broadcast protocol and its clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GossipMsg {
    /// Client → server: please broadcast `value`.
    Inject {
        /// The value.
        value: u64,
    },
    /// Server → client: `value` is held and will spread.
    InjectOk {
        /// The value.
        value: u64,
    },
    /// Server → server: values the sender just learned (rumor mongering).
    Push {
        /// New values.
        values: Vec<u64>,
    },
    /// Server → server: the sender's set summary (anti-entropy round).
    Summary {
        /// Number of values held.
        count: u64,
        /// Order-independent hash of the values.
        hash: u64,
    },
    /// Reply to a differing summary: the replier's whole set.
    Sync {
        /// Every value the replier holds.
        values: Vec<u64>,
    },
    /// Reply to `Sync`: the values the `Sync` sender lacked.
    SyncReply {
        /// Values the other side did not have.
        values: Vec<u64>,
    },
}

impl Message for GossipMsg {
    fn wire_size(&self) -> u32 {
        match self {
            GossipMsg::Inject { .. } | GossipMsg::InjectOk { .. } => HEADER + 8,
            GossipMsg::Summary { .. } => HEADER + 16,
            GossipMsg::Push { values } | GossipMsg::Sync { values } | GossipMsg::SyncReply { values } => {
                HEADER + 4 + 8 * values.len() as u32
            }
        }
    }

    /// The values carried (a few by name, then how many), or a summary's count.
    fn contents(&self, out: &mut Contents) {
        let values = |out: &mut Contents, v: &[u64]| {
            let shown: Vec<String> = v.iter().take(8).map(u64::to_string).collect();
            let more = if v.len() > 8 { format!(" … ({} in all)", v.len()) } else { String::new() };
            out.num("count", v.len() as u64).text("values", format!("{}{more}", shown.join(", ")));
        };
        match self {
            GossipMsg::Inject { value } | GossipMsg::InjectOk { value } => {
                out.num("value", *value);
            }
            GossipMsg::Push { values: v }
            | GossipMsg::Sync { values: v }
            | GossipMsg::SyncReply { values: v } => values(out, v),
            GossipMsg::Summary { count, hash } => {
                out.num("count", *count).text("hash", format!("{hash:016x}"));
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            GossipMsg::Inject { .. } => "Inject",
            GossipMsg::InjectOk { .. } => "InjectOk",
            GossipMsg::Push { .. } => "Push",
            GossipMsg::Summary { .. } => "Summary",
            GossipMsg::Sync { .. } => "Sync",
            GossipMsg::SyncReply { .. } => "SyncReply",
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        match self {
            GossipMsg::Inject { value } => w.u8(1).u64(*value),
            GossipMsg::InjectOk { value } => w.u8(2).u64(*value),
            GossipMsg::Push { values } => w.u8(3).u64s(values),
            GossipMsg::Summary { count, hash } => w.u8(4).u64(*count).u64(*hash),
            GossipMsg::Sync { values } => w.u8(5).u64s(values),
            GossipMsg::SyncReply { values } => w.u8(6).u64s(values),
        };
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        let m = match r.u8()? {
            1 => GossipMsg::Inject { value: r.u64()? },
            2 => GossipMsg::InjectOk { value: r.u64()? },
            3 => GossipMsg::Push { values: r.u64s()? },
            4 => GossipMsg::Summary { count: r.u64()?, hash: r.u64()? },
            5 => GossipMsg::Sync { values: r.u64s()? },
            6 => GossipMsg::SyncReply { values: r.u64s()? },
            _ => return None,
        };
        r.finish(m)
    }
}

/// Gossip settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GossipConfig {
    /// Time between anti-entropy rounds.
    pub interval: SimDuration,
    /// Peers a newly learned value is pushed to (0 = every peer).
    pub fanout: u32,
}

/// The timer of a gossip server.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum GossipTimer {
    /// Time for the next anti-entropy round.
    Round,
}

impl Timer for GossipTimer {
    const ALL: &'static [Self] = &[GossipTimer::Round];
    fn id(self) -> TimerId {
        match self {
            GossipTimer::Round => TimerId(0),
        }
    }
}

/// One gossip server.
#[derive(Debug)]
pub struct GossipNode {
    config: GossipConfig,
    values: BTreeSet<u64>,
    hash: u64,
}

impl GossipNode {
    /// A server with no values.
    pub fn new(config: GossipConfig) -> Self {
        GossipNode { config, values: BTreeSet::new(), hash: 0 }
    }

    /// The values this node holds.
    pub fn values(&self) -> &BTreeSet<u64> {
        &self.values
    }

    /// The peers other than this node and `except`, as a view that names the `i`-th of them
    /// without building the list: a round or a push touches only the peers it picks, so its
    /// cost does not grow with the cluster (issue 21).
    fn peers<'a>(ctx: &Ctx<'a, GossipMsg>, except: Option<NodeId>) -> Peers<'a> {
        let servers = ctx.servers();
        let at = |n: Option<NodeId>| n.and_then(|n| position(servers, n));
        let skip = match (at(Some(ctx.id())), at(except)) {
            (Some(a), Some(b)) if a != b => [Some(a.min(b)), Some(a.max(b))],
            (Some(a), _) | (None, Some(a)) => [Some(a), None],
            (None, None) => [None, None],
        };
        Peers { servers, skip }
    }

    /// Adds the values not yet held; returns the new ones, in the order given.
    fn learn(&mut self, ctx: &mut Ctx<'_, GossipMsg>, values: &[u64]) -> Vec<u64> {
        let mut fresh = Vec::new();
        for &v in values {
            if self.values.insert(v) {
                self.hash = self.hash.wrapping_add(mix64(v));
                ctx.observe(Observation::Learned { value: v });
                fresh.push(v);
            }
        }
        fresh
    }

    /// The values held that `theirs` lacks, ascending, and the values of `theirs` not held,
    /// in their order. A `Sync` lists its sender's set in ascending order, so one merge pass
    /// finds both without building a set of theirs or trying to insert every value already
    /// held (those two cost a third of a 1000-node run, issue 21); a list out of order (a
    /// forged or mangled message) is looked up value by value instead, with the same result.
    fn diff(&self, theirs: &[u64]) -> (Vec<u64>, Vec<u64>) {
        if !theirs.windows(2).all(|w| w[0] < w[1]) {
            let set: BTreeSet<u64> = theirs.iter().copied().collect();
            let missing = self.values.iter().copied().filter(|v| !set.contains(v)).collect();
            let mut seen = BTreeSet::new();
            let lacked =
                theirs.iter().copied().filter(|v| !self.values.contains(v) && seen.insert(*v)).collect();
            return (missing, lacked);
        }
        let (mut missing, mut lacked) = (Vec::new(), Vec::new());
        let mut rest = theirs.iter().copied().peekable();
        for &v in &self.values {
            while let Some(t) = rest.next_if(|&t| t < v) {
                lacked.push(t);
            }
            if rest.next_if_eq(&v).is_none() {
                missing.push(v);
            }
        }
        lacked.extend(rest);
        (missing, lacked)
    }

    /// Pushes fresh values to `fanout` random peers other than `except`.
    fn spread(&self, ctx: &mut Ctx<'_, GossipMsg>, fresh: Vec<u64>, except: Option<NodeId>) {
        if fresh.is_empty() {
            return;
        }
        let peers = Self::peers(ctx, except);
        let m = peers.len();
        let k = if self.config.fanout == 0 { m } else { (self.config.fanout as usize).min(m) };
        let push = |ctx: &mut Ctx<'_, GossipMsg>, i: usize| {
            ctx.send(peers.get(i), GossipMsg::Push { values: fresh.clone() });
        };
        if k < m {
            // Fewer than all: `k` of them by Floyd's sample, k draws, in peer order.
            for i in ctx.rng().sample_indices(m, k) {
                push(ctx, i);
            }
        } else {
            for i in 0..m {
                push(ctx, i);
            }
        }
    }
}

/// Where `n` is in `servers` (a binary search when the list is in id order, as it is for a
/// gossip cluster; a scan otherwise).
fn position(servers: &[NodeId], n: NodeId) -> Option<usize> {
    match servers.binary_search(&n) {
        Ok(i) => Some(i),
        Err(_) => servers.iter().position(|&s| s == n),
    }
}

/// The servers minus a few positions, indexed without being copied.
struct Peers<'a> {
    servers: &'a [NodeId],
    /// Positions left out (the node itself, the sender), ascending, without allocating.
    skip: [Option<usize>; 2],
}

impl Peers<'_> {
    fn len(&self) -> usize {
        self.servers.len() - self.skip.iter().flatten().count()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th peer, in the servers' order.
    fn get(&self, i: usize) -> NodeId {
        let mut at = i;
        for &s in self.skip.iter().flatten() {
            if s <= at {
                at += 1;
            }
        }
        self.servers[at]
    }
}

impl Node for GossipNode {
    type Msg = GossipMsg;
    type Timer = GossipTimer;
    type Admin = Never;

    fn on_start(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        ctx.observe(Observation::Role { role: Role::Peer, term: Term(0) });
        // Stagger the first round so nodes do not all gossip in lock step.
        let first = ctx.rng().between(1, self.config.interval.as_nanos().max(1));
        ctx.set_timer(GossipTimer::Round, SimDuration(first));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, GossipMsg>, from: NodeId, msg: GossipMsg) {
        match msg {
            GossipMsg::Inject { value } => {
                let fresh = self.learn(ctx, &[value]);
                ctx.send(from, GossipMsg::InjectOk { value });
                self.spread(ctx, fresh, None);
            }
            GossipMsg::Push { values } => {
                let fresh = self.learn(ctx, &values);
                self.spread(ctx, fresh, Some(from));
            }
            GossipMsg::Summary { count, hash } => {
                if (count, hash) != (self.values.len() as u64, self.hash) {
                    ctx.send(from, GossipMsg::Sync { values: self.values.iter().copied().collect() });
                }
            }
            GossipMsg::Sync { values } => {
                let (missing, lacked) = self.diff(&values);
                // The same values learned in the same order as learning all of `values`.
                self.learn(ctx, &lacked);
                if !missing.is_empty() {
                    ctx.send(from, GossipMsg::SyncReply { values: missing });
                }
            }
            GossipMsg::SyncReply { values } => {
                self.learn(ctx, &values);
            }
            GossipMsg::InjectOk { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, GossipMsg>, timer: GossipTimer) {
        match timer {
            GossipTimer::Round => self.round(ctx),
        }
    }
}

impl GossipNode {
    /// An anti-entropy round: a summary to one random peer, and the next round armed.
    fn round(&mut self, ctx: &mut Ctx<'_, GossipMsg>) {
        let peers = Self::peers(ctx, None);
        if !peers.is_empty() {
            // The same draw as picking from the list of peers (`below(len)`), without the list.
            let p = peers.get(ctx.rng().below(peers.len() as u64) as usize);
            ctx.send(p, GossipMsg::Summary { count: self.values.len() as u64, hash: self.hash });
        }
        ctx.set_timer(GossipTimer::Round, self.config.interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eightfold_sim::sim::{Outbox, RngStreams};

    fn drive(node: &mut GossipNode, id: u32, from: u32, msg: GossipMsg) -> Outbox<GossipMsg> {
        let servers: Vec<NodeId> = (0..3).map(NodeId).collect();
        let mut rng = RngStreams::new(1).indexed("node", id as u64);
        let mut out = Outbox::default();
        let mut ctx = Ctx::new(NodeId(id), eightfold_sim::sim::SimTime(0), &servers, &mut rng, &mut out);
        node.on_message(&mut ctx, NodeId(from), msg);
        out
    }

    #[test]
    fn inject_is_acked_and_pushed_to_every_peer() {
        let mut n = GossipNode::new(GossipConfig { interval: SimDuration::from_millis(10), fanout: 0 });
        let out = drive(&mut n, 0, 9, GossipMsg::Inject { value: 42 });
        assert!(out.sends.contains(&(NodeId(9), GossipMsg::InjectOk { value: 42 })));
        assert!(out.sends.contains(&(NodeId(1), GossipMsg::Push { values: vec![42] })));
        assert!(out.sends.contains(&(NodeId(2), GossipMsg::Push { values: vec![42] })));
        assert_eq!(out.observations, vec![Observation::Learned { value: 42 }]);
        // Learning it again changes nothing, spreads nothing and announces nothing (the
        // report keeps each node's values from these announcements alone).
        let out = drive(&mut n, 0, 1, GossipMsg::Push { values: vec![42, 7] });
        assert_eq!(out.sends, vec![(NodeId(2), GossipMsg::Push { values: vec![7] })]);
        assert_eq!(out.observations, vec![Observation::Learned { value: 7 }]);
    }

    #[test]
    fn anti_entropy_exchanges_exactly_the_difference() {
        let cfg = GossipConfig { interval: SimDuration::from_millis(10), fanout: 1 };
        let mut a = GossipNode::new(cfg);
        let mut b = GossipNode::new(cfg);
        drive(&mut a, 0, 1, GossipMsg::Push { values: vec![1, 2] });
        drive(&mut b, 1, 0, GossipMsg::Push { values: vec![2, 3] });
        let out = drive(&mut b, 1, 0, GossipMsg::Summary { count: 2, hash: a.hash });
        let sync = out
            .sends
            .iter()
            .find(|(to, _)| *to == NodeId(0))
            .expect("b answers a differing summary")
            .1
            .clone();
        let out = drive(&mut a, 0, 1, sync);
        assert!(out.sends.contains(&(NodeId(1), GossipMsg::SyncReply { values: vec![1] })));
        drive(&mut b, 1, 0, GossipMsg::SyncReply { values: vec![1] });
        assert_eq!(a.values(), b.values());
        // Equal summaries: no reply.
        let out = drive(&mut b, 1, 0, GossipMsg::Summary { count: 3, hash: a.hash });
        assert!(out.sends.is_empty());
    }

    /// The difference with a `Sync`'s list is the same whether the list is in order (the
    /// merge) or not (the lookup), whatever the overlap; the values it lacks come in the
    /// order learning the whole list would learn them.
    #[test]
    fn the_difference_by_merge_matches_the_lookup() {
        let mut n = GossipNode::new(GossipConfig { interval: SimDuration::from_millis(10), fanout: 1 });
        n.values.extend([2, 3, 5, 8, 13, 21, 34]);
        let lookup = |n: &GossipNode, theirs: &[u64]| {
            let missing: Vec<u64> = n.values.iter().copied().filter(|v| !theirs.contains(v)).collect();
            let mut lacked: Vec<u64> = Vec::new();
            for &v in theirs {
                if !n.values.contains(&v) && !lacked.contains(&v) {
                    lacked.push(v);
                }
            }
            (missing, lacked)
        };
        for theirs in
            [vec![], vec![1, 2, 3], vec![3, 4, 5, 6, 40], vec![2, 3, 5, 8, 13, 21, 34], vec![0, 100]]
        {
            assert_eq!(n.diff(&theirs), lookup(&n, &theirs), "{theirs:?}");
            let mut shuffled = theirs.clone();
            shuffled.reverse();
            shuffled.push(*shuffled.first().unwrap_or(&7));
            assert_eq!(n.diff(&shuffled), lookup(&n, &shuffled), "{shuffled:?}");
        }
    }

    #[test]
    fn encoding_round_trips() {
        for m in [
            GossipMsg::Inject { value: 5 },
            GossipMsg::Push { values: vec![1, 2, 3] },
            GossipMsg::Summary { count: 3, hash: 99 },
            GossipMsg::SyncReply { values: vec![] },
        ] {
            let mut b = Vec::new();
            m.encode(&mut b);
            assert_eq!(GossipMsg::decode(&b), Some(m));
        }
        assert_eq!(GossipMsg::decode(&[9]), None);
    }

    /// A push with fanout 3 among ten servers goes to three different peers, never back to
    /// the sender nor to the node itself, in id order; over many seeds every peer is chosen.
    #[test]
    fn fanout_picks_distinct_peers_other_than_the_sender() {
        let servers: Vec<NodeId> = (0..10).map(NodeId).collect();
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let mut n = GossipNode::new(GossipConfig { interval: SimDuration::from_millis(10), fanout: 3 });
            let mut rng = RngStreams::new(seed).indexed("node", 4);
            let mut out = Outbox::default();
            let mut ctx = Ctx::new(NodeId(4), eightfold_sim::sim::SimTime(0), &servers, &mut rng, &mut out);
            n.on_message(&mut ctx, NodeId(7), GossipMsg::Push { values: vec![seed] });
            let to: Vec<NodeId> = out.sends.iter().map(|(p, _)| *p).collect();
            assert_eq!(to.len(), 3, "{to:?}");
            assert!(to.windows(2).all(|w| w[0] < w[1]), "distinct, in id order: {to:?}");
            assert!(!to.contains(&NodeId(4)) && !to.contains(&NodeId(7)), "{to:?}");
            seen.extend(to);
        }
        assert_eq!(seen.len(), 8, "every other peer is chosen sometimes: {seen:?}");
    }
}
