//! Liveness, as TigerBeetle's simulator judges it, per client and per kind of operation:
//! once the faults that can be healed have healed, every client must make progress on
//! every kind of operation it issues (an `ok` get, put, append, cas) within a bound derived
//! from the election timeout. A cluster that stays silent after the storm — or answers the
//! reads and never a write — is a failed check, not a quiet pass.
//!
//! The judgement has three parts.
//! - **What a fault can do** ([`impact`]): each [`FaultRecord`] is classified from its typed
//!   fields. A zero-drift clock, a factor-1 slowdown, a heal or a crash of a node that was
//!   already down cannot stop progress and are ignored; every other fault excuses the
//!   clients while it is in effect and for one bound after it ends.
//! - **Who waited too long** ([`Progress`]): as the history streams past, each (client,
//!   kind) tracks since when it has been asking without an `ok`; only waits longer than the
//!   bound are kept, so memory does not grow with the run.
//! - **What the scenario made impossible**: servers whose disks the scenario destroyed (a
//!   `corrupt_disk` flip followed by a restart, a `fail_fsync` that brought the server down
//!   for good) or that it crashed or paused for good are lost. Once a majority is lost, no
//!   client can make progress, and the check says "not judged" — with one reason whichever
//!   way the servers were lost.

use super::CheckResult;
use crate::fault::{Effect, FaultRecord, LinkChange};
use crate::scenario::FaultKind;
use crate::sim::{NodeId, SimDuration, SimTime};
use crate::workload::history::{HistoryOp, OpKind, OpOutcome};

/// Whether a fault can stop a healthy cluster from making progress.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Impact {
    /// It cannot (a perfect clock, a factor-1 slowdown, a heal, an action that found
    /// nothing to do): the check ignores it.
    Harmless,
    /// It can, while it lasts and for a bounded time after.
    Impairs,
}

/// Classifies what a fault record can do to progress, from its typed fields.
pub fn impact(r: &FaultRecord) -> Impact {
    let harmless = match &r.effect {
        Effect::Heal => true,
        // A clock that runs at the true rate measures every timeout right; a constant offset
        // moves no deadline.
        Effect::Clock { rate, .. } => *rate == 1.0,
        Effect::Slow { factor, .. } => *factor <= 1.0,
        Effect::Links { change, .. } => match change {
            LinkChange::Up => true,
            LinkChange::LatencyFactor(f) => *f <= 1.0,
            LinkChange::Down | LinkChange::Degraded => false,
        },
        // A restart or resume heals; an action that found the node already in that state
        // did nothing.
        Effect::Node { changed, .. } => !*changed || matches!(r.kind, FaultKind::Restart | FaultKind::Resume),
        Effect::Admin { delivered, .. } => !*delivered,
        Effect::CorruptDisk { flipped, .. } => flipped.is_none(),
        Effect::FailFsync { count, .. } => *count == 0,
        // A deployed bug is a defect of the code under test, not of its surroundings: it
        // excuses no wait (a protocol a bug leaves unavailable fails liveness, rightly).
        Effect::Deploy { .. } => true,
        Effect::Cut(_) | Effect::Adversary { .. } => false,
    };
    if harmless { Impact::Harmless } else { Impact::Impairs }
}

/// A client that asked for one kind of operation longer than the bound without an `ok`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    /// The client (its index among the clients).
    pub client: u32,
    /// The kind of operation.
    pub kind: OpKind,
    /// When it first asked without an `ok` since.
    pub from: SimTime,
    /// When an `ok` of that kind finally came (`None`: never, up to the end of the run).
    pub until: Option<SimTime>,
}

/// Tracks, as a history streams past, since when each client has been waiting for an `ok`
/// of each kind of operation, and keeps the waits longer than the bound.
#[derive(Clone, Debug)]
pub struct Progress {
    bound: SimDuration,
    /// Per client and kind (`client * 4 + kind`): asking since, without an `ok`.
    waiting: Vec<Option<SimTime>>,
    long: Vec<Wait>,
    ops: u64,
    /// Per client: when its last `ok` operation completed.
    last_ok: Vec<Option<SimTime>>,
}

const KINDS: [OpKind; 4] = [OpKind::Get, OpKind::Put, OpKind::Append, OpKind::Cas];

fn kind_index(k: OpKind) -> usize {
    match k {
        OpKind::Get => 0,
        OpKind::Put => 1,
        OpKind::Append => 2,
        OpKind::Cas => 3,
    }
}

impl Progress {
    /// A tracker for `clients` clients and waits longer than `bound`.
    pub fn new(clients: u32, bound: SimDuration) -> Self {
        Progress {
            bound,
            waiting: vec![None; clients as usize * 4],
            long: Vec::new(),
            ops: 0,
            last_ok: vec![None; clients as usize],
        }
    }

    /// Takes one operation (each client's in the order it issued them).
    pub fn push(&mut self, op: &HistoryOp) {
        self.ops += 1;
        let slot = op.client as usize * 4 + kind_index(op.op);
        if slot >= self.waiting.len() {
            self.waiting.resize(slot + 1, None);
            self.last_ok.resize(op.client as usize + 1, None);
        }
        let invoked = SimTime(op.invoke_ns);
        match (op.outcome, op.complete_ns) {
            (OpOutcome::Ok, Some(done)) => {
                let from = self.waiting[slot].take().unwrap_or(invoked);
                let done = SimTime(done);
                let last = &mut self.last_ok[op.client as usize];
                *last = Some(last.map_or(done, |l| l.max(done)));
                if done.saturating_since(from) > self.bound {
                    self.long.push(Wait { client: op.client, kind: op.op, from, until: Some(done) });
                }
            }
            _ => {
                self.waiting[slot].get_or_insert(invoked);
            }
        }
    }

    /// What the run's clients did, once the run ended at `end`.
    #[must_use = "the finished progress is what liveness is judged on"]
    pub fn finish(mut self, end: SimTime) -> Finished {
        for (slot, w) in self.waiting.iter().enumerate() {
            if let Some(from) = *w
                && end.saturating_since(from) > self.bound
            {
                let kind = KINDS[slot % 4];
                self.long.push(Wait { client: (slot / 4) as u32, kind, from, until: None });
            }
        }
        self.long.sort_by_key(|w| (w.from, w.client, kind_index(w.kind)));
        Finished { waits: self.long, ops: self.ops, last_ok: self.last_ok }
    }
}

/// What [`Progress`] gathered over a run.
#[derive(Clone, Debug, Default)]
pub struct Finished {
    /// The waits longer than the bound.
    pub waits: Vec<Wait>,
    /// How many operations the clients issued.
    pub ops: u64,
    /// Per client: when its last `ok` operation completed.
    pub last_ok: Vec<Option<SimTime>>,
}

/// What the liveness judgement needs to know about a run.
#[derive(Clone, Debug)]
pub struct LivenessInput {
    /// What the clients did ([`Progress::finish`]).
    pub progress: Finished,
    /// Every fault the run applied.
    pub faults: Vec<FaultRecord>,
    /// The servers the run started with (ids `0..servers`); a majority of them must be left.
    pub servers: u32,
    /// The id of client 0 (client `c` is this plus `c`).
    pub first_client: u32,
    /// The servers that were down at the end of the run.
    pub down_at_end: Vec<NodeId>,
    /// Node names by id, for the verdict's words.
    pub names: Vec<String>,
    /// When the clients start.
    pub start: SimTime,
    /// When the clients stop issuing operations.
    pub stop: SimTime,
    /// When the run ended.
    pub end: SimTime,
    /// How long the cluster may take to recover after a fault.
    pub bound: SimDuration,
}

/// A time span during which the clients (all, or one) are excused.
#[derive(Copy, Clone, Debug)]
struct Excused {
    from: SimTime,
    to: SimTime,
    /// The client it excuses (a fault on a client node); `None`: every client.
    client: Option<u32>,
}

impl LivenessInput {
    fn name(&self, n: NodeId) -> String {
        self.names.get(n.index()).cloned().unwrap_or_else(|| format!("node {}", n.0))
    }

    fn client_of(&self, n: NodeId) -> Option<u32> {
        (n.0 >= self.first_client).then(|| n.0 - self.first_client)
    }

    fn is_server(&self, n: NodeId) -> bool {
        n.0 < self.servers
    }

    /// The spans during which impairing faults excuse the clients. A server crashed or
    /// paused for good counts among the lost servers instead (an instant here).
    fn excused(&self) -> Vec<Excused> {
        let mut v: Vec<Excused> = self
            .faults
            .iter()
            .filter(|r| impact(r) == Impact::Impairs)
            .map(|r| {
                let client = match r.effect {
                    Effect::Node { node, .. } => self.client_of(node),
                    _ => None,
                };
                let to = match (&r.effect, r.end) {
                    (_, Some(e)) => e,
                    (Effect::Node { node, .. }, None) if self.is_server(*node) => r.start,
                    (_, None) => self.end,
                };
                Excused { from: r.start, to, client }
            })
            .collect();
        v.sort_by_key(|e| (e.from, e.to));
        v
    }

    /// When the lost servers were lost, in order: each server the scenario left unable to
    /// serve (crashed or paused for good, down at the end after a failed fsync, or restarted
    /// onto a disk a bit flip had destroyed), with when.
    fn lost(&self) -> Vec<(SimTime, NodeId)> {
        let mut lost: Vec<(SimTime, NodeId)> = Vec::new();
        for n in (0..self.servers).map(NodeId) {
            let named =
                |k: FaultKind| self.faults.iter().filter(move |r| r.kind == k && r.nodes.contains(&n));
            let changed = |r: &&FaultRecord| matches!(r.effect, Effect::Node { changed: true, .. });
            let mut when: Option<SimTime> = None;
            // Crashed or paused for good.
            for r in named(FaultKind::Crash).chain(named(FaultKind::Pause)).filter(changed) {
                if r.end.is_none() {
                    when = Some(r.start);
                }
            }
            // Its fsyncs failed and it is down at the end (a server crashes itself then).
            if self.down_at_end.contains(&n)
                && let Some(r) = named(FaultKind::FailFsync).next()
            {
                when = Some(when.map_or(r.start, |w| w.min(r.start)));
            }
            // A bit of its durable data flipped, then it restarted onto that disk.
            for c in named(FaultKind::CorruptDisk).filter(|r| impact(r) == Impact::Impairs) {
                let restart = named(FaultKind::Crash)
                    .chain(named(FaultKind::RollingRestart))
                    .filter(changed)
                    .filter(|r| r.start >= c.start)
                    .map(|r| r.end.unwrap_or(r.start))
                    .min();
                if let Some(t) = restart {
                    when = Some(when.map_or(t, |w| w.min(t)));
                }
            }
            if let Some(t) = when {
                lost.push((t, n));
            }
        }
        lost.sort();
        lost
    }

    /// The time by which a client waiting since `from` must have made progress: the end of
    /// the first stretch of one bound, at or after `from`, in which no fault excuses it.
    fn deadline(&self, excused: &[Excused], client: Option<u32>, from: SimTime) -> SimTime {
        let mut d = from;
        loop {
            let until = d + self.bound;
            let blocking = excused
                .iter()
                .filter(|e| e.client.is_none() || e.client == client)
                .filter(|e| e.from <= until && e.to >= d)
                .map(|e| e.to)
                .max();
            match blocking {
                Some(to) if to > d => d = to,
                // An instant fault at `d` itself: recovery starts at it.
                Some(_) => return d.max(until),
                None => return until,
            }
            if d >= self.end {
                return d + self.bound;
            }
        }
    }

    /// True if a fault on client `c` lasts to the end of the run.
    fn excused_at_end(&self, excused: &[Excused], c: u32) -> bool {
        excused.iter().any(|e| e.client == Some(c) && e.to >= self.end)
    }

    fn describe_wait(&self, w: &Wait) -> String {
        let who = self.name(NodeId(self.first_client + w.client));
        let kind = format!("{:?}", w.kind).to_lowercase();
        match w.until {
            Some(t) => format!("{who} got no ok {kind} from {} to {t}", w.from),
            None => format!("{who} got no ok {kind} from {} to the end", w.from),
        }
    }
}

/// Judges liveness: every client makes progress on every kind of operation it issues
/// within the bound, except while faults are in effect and for one bound after each; not
/// judged when the scenario left no majority of servers, or no stretch of one bound free
/// of faults.
pub fn judge(input: &LivenessInput) -> CheckResult {
    let excused = input.excused();
    let lost = input.lost();
    let majority = input.servers / 2 + 1;
    let lost_majority_at = lost.get(majority as usize - 1).map(|&(t, _)| t);
    // Each failed wait, with the instant it ran past its deadline.
    let mut failed: Vec<(&Wait, SimTime)> = Vec::new();
    let mut excused_by_loss = 0usize;
    for w in &input.progress.waits {
        let d = input.deadline(&excused, Some(w.client), w.from);
        if d > input.end || w.until.is_some_and(|t| t <= d) {
            continue;
        }
        if lost_majority_at.is_some_and(|l| l <= d) {
            excused_by_loss += 1;
        } else {
            failed.push((w, d));
        }
    }
    if let Some(at) = failed.iter().map(|f| f.1).min() {
        let shown: Vec<String> = failed.iter().take(3).map(|(w, _)| input.describe_wait(w)).collect();
        let more = if failed.len() > 3 { format!(" and {} more", failed.len() - 3) } else { String::new() };
        return CheckResult::fail(format!(
            "{}{more}: longer than the bound of {} with no fault in effect or healing",
            shown.join("; "),
            input.bound
        ))
        .at(at);
    }
    if excused_by_loss > 0 {
        let names: Vec<String> = lost.iter().map(|&(_, n)| input.name(n)).collect();
        return CheckResult::not_judged(format!(
            "not judged: the scenario left {} of {} servers unable to serve ({}: a destroyed disk or a permanent crash), so no majority can make progress",
            lost.len(),
            input.servers,
            names.join(", ")
        ));
    }
    if input.progress.ops == 0 {
        return CheckResult::not_judged("not judged: the clients issued no operation");
    }
    let first = input.deadline(&excused, None, input.start);
    if first > input.end {
        let open: Vec<String> = input
            .faults
            .iter()
            .filter(|r| r.end.is_none() && impact(r) == Impact::Impairs)
            .map(|r| format!("{} {}", r.kind, r.describe(|n| input.name(n))))
            .collect();
        if !open.is_empty() {
            return CheckResult::not_judged(format!(
                "not judged: faults are still in effect at the end ({})",
                open.join(", ")
            ));
        }
        // The run ends less than one bound after the faults healed: no client can be
        // failed, but a client that has made progress since shows it.
        let healed = first.saturating_since(SimTime::ZERO + input.bound);
        let healed = SimTime(healed.as_nanos());
        let clients = input.progress.last_ok.len() as u32;
        let silent: Vec<String> = (0..clients)
            .filter(|&c| input.stop > healed && !input.excused_at_end(&excused, c))
            .filter(|&c| input.progress.last_ok[c as usize].is_none_or(|t| t < healed))
            .map(|c| input.name(NodeId(input.first_client + c)))
            .collect();
        if silent.is_empty() && input.stop > healed {
            return CheckResult::pass(format!(
                "every client completed an operation after the faults healed at {healed} (the run ends {} after, less than the bound of {}, so only the stretches a bound fits in were judged for every kind of operation)",
                input.end.saturating_since(healed),
                input.bound
            ));
        }
        return CheckResult::not_judged(format!(
            "not judged: the run ends {} after the faults healed at {healed}, before the bound of {}{}",
            input.end.saturating_since(healed),
            input.bound,
            if silent.is_empty() {
                String::new()
            } else {
                format!(", and {} had not completed an operation since", silent.join(", "))
            }
        ));
    }
    CheckResult::pass(format!(
        "every client made progress on every kind of operation it issued within {} of each fault healing ({} longer waits, all while faults were in effect or healing)",
        input.bound,
        input.progress.waits.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use crate::fault::BitFlip;

    const MS: u64 = 1_000_000;

    fn op(client: u32, kind: OpKind, invoke: u64, done: u64, outcome: OpOutcome) -> HistoryOp {
        HistoryOp {
            client,
            op: kind,
            key: "k1".into(),
            value: None,
            expected: None,
            invoke_ns: invoke * MS,
            complete_ns: Some(done * MS),
            outcome,
            read: Some(None),
            applied: None,
        }
    }

    fn record(kind: FaultKind, start: u64, end: Option<u64>, effect: Effect) -> FaultRecord {
        FaultRecord {
            entry: 0,
            kind,
            start: SimTime(start * MS),
            end: end.map(|e| SimTime(e * MS)),
            nodes: effect.nodes(),
            effect,
        }
    }

    /// Three servers, clients from id 3; the run ends at 20 s; bound 4 s.
    fn input(ops: &[HistoryOp], faults: Vec<FaultRecord>, servers: u32) -> LivenessInput {
        let mut p = Progress::new(2, SimDuration::from_secs(4));
        let mut ops = ops.to_vec();
        ops.sort_by_key(|o| (o.client, o.invoke_ns));
        for o in &ops {
            p.push(o);
        }
        let end = SimTime(20_000 * MS);
        LivenessInput {
            progress: p.finish(end),
            faults,
            servers,
            first_client: servers,
            down_at_end: Vec::new(),
            names: (0..servers)
                .map(|i| format!("n{}", i + 1))
                .chain((0..2).map(|i| format!("c{}", i + 1)))
                .collect(),
            start: SimTime::ZERO,
            stop: end,
            end,
            bound: SimDuration::from_secs(4),
        }
    }

    /// Client 0 gets every 100 ms and puts fail; client 1 succeeds at both.
    fn gets_only(until: u64) -> Vec<HistoryOp> {
        let mut v = Vec::new();
        for t in (0..until).step_by(100) {
            v.push(op(0, OpKind::Get, t, t + 5, OpOutcome::Ok));
            v.push(op(0, OpKind::Put, t + 10, t + 60, OpOutcome::Info));
            v.push(op(1, OpKind::Get, t, t + 5, OpOutcome::Ok));
            v.push(op(1, OpKind::Put, t + 10, t + 15, OpOutcome::Ok));
        }
        v
    }

    fn healthy(until: u64) -> Vec<HistoryOp> {
        gets_only(until)
            .into_iter()
            .map(|mut o| {
                o.outcome = OpOutcome::Ok;
                o
            })
            .collect()
    }

    #[test]
    fn a_client_whose_puts_never_succeed_fails_even_if_its_gets_do() {
        let r = judge(&input(&gets_only(20_000), vec![], 3));
        assert_eq!(r.status, Status::Fail, "{}", r.detail);
        assert!(r.detail.contains("c1 got no ok put from 0.010s to the end"), "{}", r.detail);
        // The failure is stamped with the instant the wait ran past its bound: 0.010 s + 4 s.
        assert_eq!(r.at, Some(SimTime(4_010 * MS)));
        assert_eq!(judge(&input(&healthy(20_000), vec![], 3)).status, Status::Pass);
    }

    #[test]
    fn a_fault_that_cannot_stop_progress_does_not_switch_the_check_off() {
        let clock =
            record(FaultKind::Clock, 1_000, None, Effect::Clock { node: NodeId(0), offset_ns: 0, rate: 1.0 });
        let slow = record(FaultKind::SlowNode, 1_000, None, Effect::Slow { node: NodeId(1), factor: 1.0 });
        for f in [clock, slow] {
            assert_eq!(impact(&f), Impact::Harmless);
            let r = judge(&input(&gets_only(20_000), vec![f], 3));
            assert_eq!(r.status, Status::Fail, "{}", r.detail);
        }
        let drift =
            record(FaultKind::Clock, 1_000, None, Effect::Clock { node: NodeId(0), offset_ns: 0, rate: 1.5 });
        assert_eq!(impact(&drift), Impact::Impairs);
        let r = judge(&input(&healthy(20_000), vec![drift.clone()], 3));
        assert_eq!(r.status, Status::NotJudged, "a drifting clock to the end: {}", r.detail);
        // A stall that began more than a bound before the drift is still a failure; one that
        // began within a bound of it is excused, and the drift lasts to the end.
        assert_eq!(judge(&input(&gets_only(20_000), vec![drift.clone()], 3)).status, Status::NotJudged);
        let late = FaultRecord { start: SimTime(10_000 * MS), ..drift };
        assert_eq!(judge(&input(&gets_only(20_000), vec![late], 3)).status, Status::Fail);
    }

    #[test]
    fn progress_is_excused_while_a_fault_lasts_and_for_one_bound_after() {
        let cut = || Effect::Cut(crate::net::Cut::Groups(vec![vec![NodeId(0)], vec![NodeId(1), NodeId(2)]]));
        // Puts stall from 2 s to 9 s; the partition lasts 1 s to 6 s: due by 10 s.
        let mut ops = healthy(20_000);
        ops.retain(|o| {
            !(o.client == 0 && o.op == OpKind::Put && o.invoke_ns >= 2_000 * MS && o.invoke_ns < 9_000 * MS)
        });
        ops.push(op(0, OpKind::Put, 2_000, 2_500, OpOutcome::Info));
        let with = |end| input(&ops, vec![record(FaultKind::Partition, 1_000, Some(end), cut())], 3);
        assert_eq!(judge(&with(6_000)).status, Status::Pass, "{}", judge(&with(6_000)).detail);
        // Healed at 4 s: due by 8 s, and the stall lasted to 9 s; it failed at 8 s, and a
        // passing verdict carries no instant.
        assert_eq!(judge(&with(4_000)).status, Status::Fail);
        assert_eq!(judge(&with(4_000)).at, Some(SimTime(8_000 * MS)));
        assert_eq!(judge(&with(6_000)).at, None);
    }

    #[test]
    fn a_lost_majority_is_not_judged_with_one_reason_whatever_destroyed_it() {
        let stalled: Vec<HistoryOp> = gets_only(3_000)
            .into_iter()
            .chain((3_000..20_000).step_by(500).map(|t| op(1, OpKind::Get, t, t + 400, OpOutcome::Info)))
            .collect();
        let flip = Some(BitFlip { file: 0, offset: 9, bit: 1 });
        let crash = |n, t| {
            record(FaultKind::Crash, t, Some(t + 100), Effect::Node { node: NodeId(n), changed: true })
        };
        let mut corrupt = Vec::new();
        let mut fsync = Vec::new();
        for n in 0..3 {
            corrupt.push(record(
                FaultKind::CorruptDisk,
                2_000,
                Some(2_000),
                Effect::CorruptDisk { node: NodeId(n), flipped: flip },
            ));
            corrupt.push(crash(n, 2_001));
            fsync.push(record(
                FaultKind::FailFsync,
                2_000,
                Some(2_000),
                Effect::FailFsync { node: NodeId(n), count: 1 },
            ));
            fsync.push(record(
                FaultKind::Crash,
                2_001,
                Some(2_001),
                Effect::Node { node: NodeId(n), changed: false },
            ));
        }
        let a = judge(&input(&stalled, corrupt, 5));
        let mut i = input(&stalled, fsync, 5);
        i.down_at_end = vec![NodeId(0), NodeId(1), NodeId(2)];
        let b = judge(&i);
        assert_eq!(a.status, Status::NotJudged, "{}", a.detail);
        assert_eq!(a, b, "one rule, one reason");
        assert!(a.detail.contains("3 of 5 servers"), "{}", a.detail);
        // Two of five lost: a majority is left, and the stall is the cluster's.
        i.down_at_end = vec![NodeId(0), NodeId(1)];
        i.faults.retain(|r| !r.nodes.contains(&NodeId(2)));
        assert_eq!(judge(&i).status, Status::Fail);
    }

    #[test]
    fn a_fault_on_a_client_excuses_only_that_client() {
        // Client 0 (node 3) crashed for good at 5 s; its last put never completes.
        let mut ops: Vec<HistoryOp> = healthy(5_000);
        ops.push(op(0, OpKind::Put, 5_000, 20_000, OpOutcome::Info));
        ops.extend(healthy(20_000).into_iter().filter(|o| o.client == 1 && o.invoke_ns >= 5_000 * MS));
        let crash = record(FaultKind::Crash, 5_000, None, Effect::Node { node: NodeId(3), changed: true });
        let r = judge(&input(&ops, vec![crash], 3));
        assert_eq!(r.status, Status::Pass, "{}", r.detail);
    }

    #[test]
    fn a_run_ending_within_a_bound_of_the_heal_passes_only_if_every_client_progressed() {
        let cut = || Effect::Cut(crate::net::Cut::Groups(vec![vec![NodeId(0)], vec![NodeId(1), NodeId(2)]]));
        let healed_at_17s = || vec![record(FaultKind::Partition, 0, Some(17_000), cut())];
        let r = judge(&input(&healthy(20_000), healed_at_17s(), 3));
        assert_eq!(r.status, Status::Pass, "{}", r.detail);
        // Client 1 stops completing anything at 16 s.
        let mut ops = healthy(20_000);
        ops.retain(|o| o.client == 0 || o.invoke_ns < 16_000 * MS);
        let r = judge(&input(&ops, healed_at_17s(), 3));
        assert_eq!(r.status, Status::NotJudged, "{}", r.detail);
        assert!(r.detail.contains("c2 had not completed an operation since"), "{}", r.detail);
        assert_eq!(judge(&input(&[], vec![], 3)).status, Status::NotJudged);
    }
}
