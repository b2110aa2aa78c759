//! How stale reads were, measured from the client history alone: **t-visibility** and
//! **k-staleness**, the two measures of *Probabilistically Bounded Staleness* (PBS: Bailis,
//! Venkataraman, Franklin, Hellerstein and Stoica, "Probabilistically Bounded Staleness for
//! Practical Partial Quorums", VLDB 2012; "Quantifying eventual consistency with PBS", CACM
//! 2014).
//!
//! Like every check, this judges what the clients saw (`history.json`), never a protocol's
//! internals, so it measures Raft, Multi-Paxos and the quorum store alike.
//!
//! # Which write a read saw
//!
//! Every value the workload writes is a fresh token (`"3:17"`: client 3's 17th operation),
//! so the value a `get` returns names the write it reflects. A key's state is the value of
//! its last put or applied cas, followed by the tokens of the appends after it. A read's
//! value `v` therefore reflects:
//!
//! - nothing (the initial state) when it is `null`;
//! - the put or cas whose value is exactly `v`;
//! - the append whose token ends `v`, where what precedes that token is empty, ends with an
//!   append's `;`, or is exactly a put's or cas's value.
//!
//! Every write of the key is a candidate, whatever its outcome (an `info` write may have
//! taken effect). A read is measured only when exactly one candidate fits; a value that
//! fits none or several (a scripted value written twice) is counted as *unattributed*,
//! never guessed.
//!
//! # Acknowledged, and older
//!
//! A write is **acknowledged** at its completion time when it ended `ok` (a cas only if it
//! was applied); `fail`, `info` and unapplied cas writes are never acknowledged. Versions are
//! ordered by real time, as linearizability orders them: write `a` is **older** than write
//! `b` when `a` was acknowledged before `b` was invoked. Two overlapping writes are not
//! ordered — either may be the newer one, and a read returning either is not called stale.
//! A write that was never acknowledged is older than nothing. The initial state is older
//! than every write.
//!
//! For a measured read of key `K` invoked at `s` that saw `w_r`:
//!
//! - its **k-staleness** is the number of writes of `K` acknowledged before `s` that `w_r` is
//!   older than: the acknowledged versions it provably missed. `k = 0` is a fresh read.
//! - for **t-visibility**, every write `w` of `K` acknowledged at `a < s` is one sample at
//!   lag `t = s − a`: *fresh* unless `w_r` is older than `w`. The curve is, per lag bin, the
//!   share of fresh samples: the probability that a read beginning `t` after a write was
//!   acknowledged returns that write or a newer one (PBS's definition, §3.2).
//!
//! Reads of a key with no acknowledged write before them are counted apart
//! (`without_prior_write`): there is nothing they could have missed. Only `ok` gets are reads;
//! a cas's comparison is not measured. A linearizable history has `k = 0` for every read and
//! every bin at 1.
//!
//! # The closed form beside it
//!
//! PBS's simplest model: a write is acknowledged by `W` of `N` replicas and reaches no more; a
//! read asks `R` replicas chosen uniformly. The read misses one write with probability
//! `p = C(N−W, R) / C(N, R)` and the last `k` independent writes with `p^k`
//! ([`pbs_miss`]). This store does better: its coordinator sends every write to all `N`
//! replicas (it only *waits* for `W`), read repair copies the newest version to the replicas
//! a read found behind, and hinted handoff delivers what a down replica missed — quorums that
//! keep expanding after the acknowledgement, so the measured staleness falls with `t`, where
//! the model's stays flat.
//!
//! # Cost
//!
//! The analyser runs beside the history as it is recorded and holds no more than a window
//! of it, so a run of an hour costs what a run of a minute does. A read is measured as soon
//! as every write it could have seen has been recorded (the history arrives in invocation
//! order: once an operation invoked after the read completed arrives, none can follow), and
//! only its counts are kept. Of each key's writes it keeps those of the last
//! [`RETAIN_NS`] (10 s) before the oldest read still to be measured, and at least the last
//! [`RETAIN_MIN`] (64): an older acknowledged write is only counted (every later read is
//! more than 5 s after it, in the last lag bin, and can have missed it only if it returned
//! something older still). A read returning the value of a write that old is therefore
//! counted as unattributed, like a value nobody wrote.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::workload::history::{HistoryOp, OpKind, OpOutcome};
use rustc_hash::FxHashMap as FastMap;

const MS: u64 = 1_000_000;

/// How long before the oldest read still to be measured a key's writes are kept (ns): more
/// than the last lag bin's lower edge, so a forgotten write is in the last bin of every read.
pub const RETAIN_NS: u64 = 10_000 * MS;
/// How many of a key's latest writes are kept however old they are (a key written rarely is
/// read at its old value, which must still be recognised).
pub const RETAIN_MIN: usize = 64;

/// The lag bins of the t-visibility curve, by lower edge (ns); the last bin has no upper edge.
pub const LAG_EDGES_NS: [u64; 13] = [
    0,
    MS,
    2 * MS,
    5 * MS,
    10 * MS,
    20 * MS,
    50 * MS,
    100 * MS,
    200 * MS,
    500 * MS,
    1000 * MS,
    2000 * MS,
    5000 * MS,
];

/// A write of one key, as the history recorded it.
#[derive(Clone, Debug)]
struct Write {
    invoke: u64,
    /// When it was acknowledged (`ok`, and applied for a cas).
    ack: Option<u64>,
    /// Its value (shared with the lookup table it is in), and whether it is an append's token.
    value: Rc<str>,
    append: bool,
}

/// What a read reflects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// The initial state (the read returned `null`).
    Initial,
    /// The write of this number (counted from the key's first write).
    Write(u64),
}

/// A value seen twice among a key's writes: it names none of them.
const AMBIGUOUS: u64 = u64::MAX;

#[derive(Debug, Default)]
struct KeyState {
    /// The number of `writes[0]` (earlier ones are forgotten).
    first: u64,
    /// The kept writes, in invocation order.
    writes: VecDeque<Write>,
    /// Put and cas values → write number (lookups only, never iterated).
    whole: FastMap<Rc<str>, u64>,
    /// Append tokens → write number (lookups only, never iterated).
    tokens: FastMap<Rc<str>, u64>,
    /// The lengths of the append tokens.
    token_lens: BTreeSet<usize>,
    /// The kept acknowledged writes, (ack, invoke), sorted.
    acked: Vec<(u64, u64)>,
    /// Acknowledged writes forgotten.
    forgotten: u64,
}

impl KeyState {
    fn insert(map: &mut FastMap<Rc<str>, u64>, value: &Rc<str>, number: u64) {
        map.entry(Rc::clone(value)).and_modify(|i| *i = AMBIGUOUS).or_insert(number);
    }

    fn push(&mut self, w: Write) {
        let number = self.first + self.writes.len() as u64;
        if w.append {
            KeyState::insert(&mut self.tokens, &w.value, number);
            self.token_lens.insert(w.value.len());
        } else {
            KeyState::insert(&mut self.whole, &w.value, number);
        }
        if let Some(a) = w.ack {
            let at = self.acked.partition_point(|&x| x < (a, w.invoke));
            self.acked.insert(at, (a, w.invoke));
        }
        self.writes.push_back(w);
    }

    /// Forgets the writes, oldest first, that ended (or began, if never acknowledged) before
    /// `before`, keeping at least [`RETAIN_MIN`].
    fn forget(&mut self, before: u64) {
        while self.writes.len() > RETAIN_MIN
            && let Some(w) = self.writes.front()
            && w.ack.unwrap_or(w.invoke) < before
        {
            let w = self.writes.pop_front().expect("checked");
            let map = if w.append { &mut self.tokens } else { &mut self.whole };
            if map.get(&*w.value) == Some(&self.first) {
                map.remove(&*w.value);
            }
            if let Some(a) = w.ack {
                let at = self.acked.partition_point(|&x| x < (a, w.invoke));
                self.acked.remove(at);
                self.forgotten += 1;
            }
            self.first += 1;
        }
    }

    fn write(&self, number: u64) -> Option<&Write> {
        number.checked_sub(self.first).and_then(|i| self.writes.get(i as usize))
    }

    /// The one kept write a read's value can reflect, if exactly one fits.
    fn attribute(&self, value: Option<&str>) -> Option<Seen> {
        let Some(v) = value else { return Some(Seen::Initial) };
        let mut found: Option<u64> = None;
        let mut fits = 0;
        let mut fit = |i: u64| {
            fits += 1;
            found = Some(i);
        };
        if let Some(&i) = self.whole.get(v) {
            fit(i);
        }
        for &len in self.token_lens.range(..=v.len()) {
            let p = v.len() - len;
            if !v.is_char_boundary(p) {
                continue;
            }
            if let Some(&i) = self.tokens.get(&v[p..]) {
                let before = &v[..p];
                if before.is_empty() || before.ends_with(';') || self.whole.contains_key(before) {
                    fit(i);
                }
            }
        }
        match (fits, found) {
            (1, Some(i)) if i != AMBIGUOUS && self.write(i).is_some() => Some(Seen::Write(i)),
            _ => None,
        }
    }

    /// Adds the samples and the k-staleness of a read invoked at `s` that saw `seen`.
    fn measure(&self, s: u64, seen: Seen, bins: &mut [LagBin], k_counts: &mut BTreeMap<u64, u64>) -> bool {
        let acks = &self.acked;
        // Acknowledged strictly before `s`, among the kept ones.
        let kept = acks.partition_point(|&(a, _)| a < s);
        let n = kept as u64 + self.forgotten;
        if n == 0 {
            return false;
        }
        // Samples per lag bin: writes acknowledged at `a` with lag s − a in [lo, hi). With
        // `upto[b]` the kept writes of lag ≥ LAG_EDGES_NS[b] (acknowledged at or before
        // s − lo), bin b holds upto[b] − upto[b + 1]; the edges only go back in time, so
        // each count is searched for below the previous one. The forgotten writes are all
        // more than RETAIN_NS old, in the last bin.
        let last = LAG_EDGES_NS.len() - 1;
        let mut upto = [0usize; LAG_EDGES_NS.len() + 1];
        upto[0] = kept;
        for (b, &lo) in LAG_EDGES_NS.iter().enumerate().skip(1) {
            upto[b] = s.checked_sub(lo).map_or(0, |x| count_below(acks, upto[b - 1], x + 1));
        }
        for (b, bin) in bins.iter_mut().enumerate() {
            bin.samples += upto[b].saturating_sub(upto[b + 1]) as u64;
        }
        bins[last].samples += self.forgotten;
        // The acknowledged writes this read provably missed (a forgotten write was invoked
        // before every kept one, so only the initial state is older than it).
        let missed = match seen {
            Seen::Initial => {
                // Every kept write before `s`, in the bins just counted.
                for (b, bin) in bins.iter_mut().enumerate() {
                    bin.stale += upto[b].saturating_sub(upto[b + 1]) as u64;
                }
                bins[last].stale += self.forgotten;
                kept as u64 + self.forgotten
            }
            Seen::Write(i) => match self.write(i).and_then(|w| w.ack) {
                None => 0,
                Some(a) => {
                    let from = acks.partition_point(|&(x, _)| x <= a);
                    let mut missed = 0;
                    for &(ack, _) in acks[from.min(kept)..kept].iter().filter(|(_, inv)| *inv > a) {
                        bins[lag_bin(s - ack)].stale += 1;
                        missed += 1;
                    }
                    missed
                }
            },
        };
        *k_counts.entry(missed).or_default() += 1;
        true
    }
}

/// How many of `acks[..end]` (sorted) were acknowledged strictly before `t`: searched
/// backwards from `end` in doubling steps, then by halving (cheap when the answer is near
/// `end`, as it is for the short lags).
fn count_below(acks: &[(u64, u64)], end: usize, t: u64) -> usize {
    // Every write in acks[known..end] was acknowledged at or after `t`.
    let mut known = end;
    let mut step = 1;
    while known > 0 {
        let probe = known.saturating_sub(step);
        if acks[probe].0 < t {
            return probe + 1 + acks[probe + 1..known].partition_point(|&(a, _)| a < t);
        }
        known = probe;
        step *= 2;
    }
    0
}

/// A read waiting for every write it could have seen (those invoked before it completed).
/// Pending reads are ordered by when they become ready: completion, then arrival.
#[derive(Debug)]
struct Pending {
    complete: u64,
    /// Its place among the reads (from 0, in history order).
    seq: u64,
    /// Its key's place in [`Staleness::states`].
    key: usize,
    invoke: u64,
    value: Option<String>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.complete, self.seq) == (other.complete, other.seq)
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.complete, self.seq).cmp(&(other.complete, other.seq))
    }
}

/// The quorum sizes the closed-form prediction is computed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quorums {
    /// Replicas per key.
    pub n: usize,
    /// Read quorum.
    pub r: usize,
    /// Write quorum.
    pub w: usize,
    /// Whether the store used sloppy quorums (the model assumes strict ones).
    pub sloppy: bool,
}

/// The staleness analyser: fed the history in order ([`Staleness::push`]), it gives the
/// figures at the end ([`Staleness::finish`]).
#[derive(Debug)]
pub struct Staleness {
    /// Key → its place in `states` (lookups only).
    keys: FastMap<String, usize>,
    states: Vec<KeyState>,
    /// The reads still to be measured, the first to become ready on top.
    pending: BinaryHeap<Reverse<Pending>>,
    /// The invocations of the reads since the oldest still pending, in history order
    /// (`u64::MAX` once measured); the first is `reads - invokes.len()`.
    invokes: VecDeque<u64>,
    reads: u64,
    unattributed: u64,
    without_prior: u64,
    bins: Vec<LagBin>,
    k_counts: BTreeMap<u64, u64>,
}

impl Default for Staleness {
    fn default() -> Self {
        Staleness {
            keys: FastMap::default(),
            states: Vec::new(),
            pending: BinaryHeap::new(),
            invokes: VecDeque::new(),
            reads: 0,
            unattributed: 0,
            without_prior: 0,
            bins: vec![LagBin::default(); LAG_EDGES_NS.len()],
            k_counts: BTreeMap::new(),
        }
    }
}

impl Staleness {
    /// An empty analyser.
    pub fn new() -> Self {
        Staleness::default()
    }

    /// Takes the next operation of the history (in invocation order, as `history.json` holds them).
    pub fn push(&mut self, op: &HistoryOp) {
        self.settle(Some(op.invoke_ns));
        match op.op {
            OpKind::Get => {
                if op.outcome == OpOutcome::Ok
                    && let (Some(read), Some(complete)) = (&op.read, op.complete_ns)
                {
                    debug_assert!(
                        self.invokes.back().is_none_or(|&i| i == u64::MAX || i <= op.invoke_ns),
                        "reads out of invocation order"
                    );
                    let key = self.key(&op.key);
                    self.pending.push(Reverse(Pending {
                        complete,
                        seq: self.reads,
                        key,
                        invoke: op.invoke_ns,
                        value: read.clone(),
                    }));
                    self.invokes.push_back(op.invoke_ns);
                    self.reads += 1;
                }
            }
            OpKind::Put | OpKind::Append | OpKind::Cas => {
                let Some(value) = &op.value else { return };
                let acknowledged =
                    op.outcome == OpOutcome::Ok && (op.op != OpKind::Cas || op.applied == Some(true));
                let oldest = self.oldest_read(op.invoke_ns);
                let key = self.key(&op.key);
                let k = &mut self.states[key];
                k.push(Write {
                    invoke: op.invoke_ns,
                    ack: op.complete_ns.filter(|_| acknowledged),
                    value: Rc::from(value.as_str()),
                    append: op.op == OpKind::Append,
                });
                k.forget(oldest.saturating_sub(RETAIN_NS));
            }
        }
    }

    /// The place of `key`'s state in `states`, added if new.
    fn key(&mut self, key: &str) -> usize {
        if let Some(&k) = self.keys.get(key) {
            return k;
        }
        self.states.push(KeyState::default());
        self.keys.insert(key.to_string(), self.states.len() - 1);
        self.states.len() - 1
    }

    /// The invocation of the oldest read still to be measured, or `now` (every later read is
    /// invoked at or after the history's position).
    fn oldest_read(&self, now: u64) -> u64 {
        // Reads are invoked in history order, so the first one not measured is the oldest.
        self.invokes.front().map_or(now, |&i| i.min(now))
    }

    /// Measures the pending reads that completed before `now` (every read, without `now`):
    /// only those, taken in the order they became ready.
    fn settle(&mut self, now: Option<u64>) {
        let ready = |p: &Pending| now.is_none_or(|t| p.complete < t);
        if !self.pending.peek().is_some_and(|Reverse(p)| ready(p)) {
            return;
        }
        let oldest = self.oldest_read(now.unwrap_or(u64::MAX));
        let first = self.reads - self.invokes.len() as u64;
        while let Some(Reverse(p)) = self.pending.peek()
            && ready(p)
        {
            let Some(Reverse(p)) = self.pending.pop() else { break };
            self.invokes[(p.seq - first) as usize] = u64::MAX;
            let k = &mut self.states[p.key];
            k.forget(oldest.saturating_sub(RETAIN_NS));
            match k.attribute(p.value.as_deref()) {
                Some(seen) => {
                    if !k.measure(p.invoke, seen, &mut self.bins, &mut self.k_counts) {
                        self.without_prior += 1;
                    }
                }
                None => self.unattributed += 1,
            }
        }
        while self.invokes.front() == Some(&u64::MAX) {
            self.invokes.pop_front();
        }
    }

    /// The figures of the whole history; `quorums` adds the closed-form prediction.
    pub fn finish(mut self, quorums: Option<Quorums>) -> StalenessFigures {
        self.settle(None);
        let (bins, k_counts, without_prior) = (self.bins, self.k_counts, self.without_prior);
        let measured: u64 = k_counts.values().sum();
        let stale_reads: u64 = k_counts.iter().filter(|(k, _)| **k > 0).map(|(_, c)| c).sum();
        let k_sum: u64 = k_counts.iter().map(|(k, c)| k * c).sum();
        let k_at_least = |j: u64| k_counts.range(j..).map(|(_, c)| c).sum::<u64>();
        let model = quorums.map(|q| {
            let p = pbs_miss(q.n, q.r, q.w, 1);
            PbsModel {
                n: q.n,
                r: q.r,
                w: q.w,
                sloppy: q.sloppy,
                p_miss: p,
                by_k: (1..=3)
                    .map(|j| KPrediction {
                        k: j,
                        predicted: pbs_miss(q.n, q.r, q.w, j),
                        measured: (measured > 0).then(|| k_at_least(j) as f64 / measured as f64),
                    })
                    .collect(),
            }
        });
        StalenessFigures {
            reads: self.reads,
            measured,
            unattributed: self.unattributed,
            without_prior_write: without_prior,
            stale_reads,
            k_mean: (measured > 0).then(|| k_sum as f64 / measured as f64),
            k_max: k_counts.keys().next_back().copied().unwrap_or(0),
            k_distribution: k_counts.into_iter().map(|(k, reads)| KCount { k, reads }).collect(),
            t_visibility: bins
                .into_iter()
                .enumerate()
                .map(|(b, bin)| TPoint {
                    from_ms: LAG_EDGES_NS[b] as f64 / MS as f64,
                    to_ms: LAG_EDGES_NS.get(b + 1).map(|&e| e as f64 / MS as f64),
                    samples: bin.samples,
                    fresh: bin.samples - bin.stale,
                    p_fresh: (bin.samples > 0).then(|| (bin.samples - bin.stale) as f64 / bin.samples as f64),
                })
                .collect(),
            model,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct LagBin {
    samples: u64,
    stale: u64,
}

/// The bin of a lag (ns) among [`LAG_EDGES_NS`].
fn lag_bin(lag: u64) -> usize {
    LAG_EDGES_NS.partition_point(|&e| e <= lag) - 1
}

/// The binomial coefficient C(n, k) as a float (exact for the cluster sizes used here).
fn choose(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// PBS's closed form for non-expanding quorums chosen uniformly: the probability that a read
/// of `r` of `n` replicas misses each of the last `k` writes, each acknowledged by (and
/// reaching only) `w` replicas: `(C(n−w, r) / C(n, r))^k`. Zero when `r + w > n`.
pub fn pbs_miss(n: usize, r: usize, w: usize, k: u64) -> f64 {
    let all = choose(n, r);
    if all == 0.0 || w > n {
        return 0.0;
    }
    (choose(n - w, r) / all).powi(k as i32)
}

/// One bin of the t-visibility curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TPoint {
    /// Lower edge of the lag (read invoked this long after a write's acknowledgement), ms.
    pub from_ms: f64,
    /// Upper edge, ms (none for the last bin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_ms: Option<f64>,
    /// (write, read) samples with a lag in the bin.
    pub samples: u64,
    /// Of them, those where the read returned that write or one not older.
    pub fresh: u64,
    /// `fresh / samples` (none without samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_fresh: Option<f64>,
}

/// How many measured reads missed exactly `k` acknowledged versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KCount {
    /// Versions missed.
    pub k: u64,
    /// Reads.
    pub reads: u64,
}

/// The closed form's prediction for missing the last `k` writes, beside the measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KPrediction {
    /// Writes missed.
    pub k: u64,
    /// `(C(N−W,R)/C(N,R))^k`.
    pub predicted: f64,
    /// Share of the measured reads that missed at least `k` acknowledged versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<f64>,
}

/// PBS's closed form for the run's quorums (quorum-store runs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PbsModel {
    /// Replicas per key.
    pub n: usize,
    /// Read quorum.
    pub r: usize,
    /// Write quorum.
    pub w: usize,
    /// Whether the store used sloppy quorums (outside the model).
    pub sloppy: bool,
    /// The probability a read misses one given write: `C(N−W,R)/C(N,R)`.
    pub p_miss: f64,
    /// Missing the last 1, 2, 3 writes: predicted and measured.
    pub by_k: Vec<KPrediction>,
}

/// The `staleness` section of `outcome.json` (key-value runs); the module documentation
/// defines every figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StalenessFigures {
    /// `ok` reads in the history.
    pub reads: u64,
    /// Reads attributed to one write, with an acknowledged write of their key before them.
    pub measured: u64,
    /// Reads whose value fits no write or several.
    pub unattributed: u64,
    /// Attributed reads with no acknowledged write of their key before them.
    pub without_prior_write: u64,
    /// Measured reads that missed at least one acknowledged version (`k ≥ 1`).
    pub stale_reads: u64,
    /// Mean k-staleness of the measured reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_mean: Option<f64>,
    /// Largest k-staleness.
    pub k_max: u64,
    /// Measured reads per k-staleness (only the k that occurred).
    pub k_distribution: Vec<KCount>,
    /// The t-visibility curve, one point per lag bin.
    pub t_visibility: Vec<TPoint>,
    /// The closed-form prediction (quorum-store runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<PbsModel>,
}

impl StalenessFigures {
    /// The share of fresh samples in the lag bin starting at `from_ms`, if it has samples.
    pub fn p_fresh_from(&self, from_ms: f64) -> Option<f64> {
        self.t_visibility.iter().find(|p| (p.from_ms - from_ms).abs() < 1e-9).and_then(|p| p.p_fresh)
    }

    /// The share of measured reads that missed at least one acknowledged version.
    pub fn stale_share(&self) -> Option<f64> {
        (self.measured > 0).then(|| self.stale_reads as f64 / self.measured as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(
        client: u32,
        kind: OpKind,
        key: &str,
        value: Option<&str>,
        inv_ms: u64,
        done_ms: Option<u64>,
    ) -> HistoryOp {
        HistoryOp {
            client,
            op: kind,
            key: key.into(),
            value: value.map(str::to_string),
            expected: None,
            invoke_ns: inv_ms * MS,
            complete_ns: done_ms.map(|d| d * MS),
            outcome: if done_ms.is_some() { OpOutcome::Ok } else { OpOutcome::Info },
            read: None,
            applied: None,
        }
    }
    fn put(key: &str, v: &str, inv: u64, done: u64) -> HistoryOp {
        op(0, OpKind::Put, key, Some(v), inv, Some(done))
    }
    fn get(key: &str, read: Option<&str>, inv: u64, done: u64) -> HistoryOp {
        HistoryOp { read: Some(read.map(str::to_string)), ..op(1, OpKind::Get, key, None, inv, Some(done)) }
    }
    fn run(mut ops: Vec<HistoryOp>, q: Option<Quorums>) -> StalenessFigures {
        ops.sort_by_key(|o| o.invoke_ns);
        let mut s = Staleness::new();
        ops.iter().for_each(|o| s.push(o));
        s.finish(q)
    }
    fn bin(f: &StalenessFigures, from_ms: f64) -> (u64, u64) {
        let p = f.t_visibility.iter().find(|p| p.from_ms == from_ms).unwrap();
        (p.samples, p.fresh)
    }

    #[test]
    fn a_read_that_missed_two_acknowledged_writes_is_two_stale() {
        // v1, v2, v3 written one after another; a read at 100 ms still returns v1.
        let f = run(
            vec![
                put("k1", "1:1", 0, 10),
                put("k1", "1:2", 20, 30),
                put("k1", "1:3", 40, 50),
                get("k1", Some("1:1"), 100, 101),
                get("k1", Some("1:3"), 100, 102),
            ],
            None,
        );
        assert_eq!((f.reads, f.measured, f.unattributed), (2, 2, 0));
        assert_eq!(f.k_distribution, vec![KCount { k: 0, reads: 1 }, KCount { k: 2, reads: 1 }]);
        assert_eq!((f.stale_reads, f.k_max), (1, 2));
        assert_eq!(f.k_mean, Some(1.0));
        // Six samples: lags 90, 70 (bin 50–100 ms) and 50 ms (bin 50–100) for each read;
        // the stale read missed the writes acknowledged 70 and 50 ms before it.
        assert_eq!(bin(&f, 50.0), (6, 4));
        assert_eq!(f.t_visibility.iter().map(|p| p.samples).sum::<u64>(), 6);
    }

    #[test]
    fn lags_fall_in_their_bins_and_fresh_reads_are_fresh_at_every_lag() {
        let f = run(
            vec![
                put("k1", "1:1", 0, 10),
                get("k1", Some("1:1"), 10, 11), // acknowledged at 10: not before a read at 10
                get("k1", Some("1:1"), 11, 12), // lag 1 ms
                get("k1", Some("1:1"), 2010, 2011), // lag 2 s
            ],
            None,
        );
        assert_eq!(f.without_prior_write, 1);
        assert_eq!(bin(&f, 1.0), (1, 1));
        assert_eq!(bin(&f, 2000.0), (1, 1));
        assert_eq!(f.stale_reads, 0);
        assert!(f.t_visibility.iter().all(|p| p.p_fresh.is_none_or(|v| v == 1.0)));
    }

    #[test]
    fn concurrent_and_unacknowledged_writes_are_not_called_stale() {
        let f = run(
            vec![
                // A slow write overlapping the next one: either order is possible.
                put("k1", "1:1", 0, 50),
                put("k1", "2:1", 10, 20),
                // A timed-out write that may have taken effect later.
                op(0, OpKind::Put, "k1", Some("1:2"), 60, None),
                get("k1", Some("1:1"), 100, 110),
                get("k1", Some("1:2"), 100, 110),
            ],
            None,
        );
        assert_eq!(f.measured, 2);
        assert_eq!(f.stale_reads, 0, "{f:?}");
        // The initial state is older than everything acknowledged before the read.
        let f = run(vec![put("k1", "1:1", 0, 10), put("k1", "1:2", 20, 30), get("k1", None, 40, 41)], None);
        assert_eq!(f.k_distribution, vec![KCount { k: 2, reads: 1 }]);
    }

    #[test]
    fn appends_are_recognised_by_their_last_token_and_ambiguity_is_not_guessed() {
        let mut ops = vec![
            put("k1", "2:51", 0, 10),
            op(0, OpKind::Append, "k1", Some("1:17;"), 20, Some(30)),
            op(0, OpKind::Append, "k1", Some("3:4;"), 40, Some(50)),
            // After the put and the first append: the state is "2:511:17;".
            get("k1", Some("2:511:17;"), 60, 61),
            get("k1", Some("2:511:17;3:4;"), 60, 62),
        ];
        let f = run(ops.clone(), None);
        assert_eq!((f.measured, f.unattributed), (2, 0));
        assert_eq!(f.k_distribution, vec![KCount { k: 0, reads: 1 }, KCount { k: 1, reads: 1 }]);
        // Now a second append whose token is also a suffix, "11:17;": after "2:5" it fits too.
        ops.push(put("k1", "2:5", 1, 2));
        ops.push(op(0, OpKind::Append, "k1", Some("11:17;"), 3, Some(4)));
        let f = run(ops, None);
        assert_eq!(f.unattributed, 1, "{f:?}");
        // A value written twice names neither write; a value nobody wrote is not guessed either.
        let f = run(
            vec![
                put("k1", "x", 0, 10),
                put("k1", "x", 20, 30),
                get("k1", Some("x"), 40, 41),
                get("k1", Some("y"), 40, 41),
            ],
            None,
        );
        assert_eq!((f.reads, f.measured, f.unattributed), (2, 0, 2));
    }

    #[test]
    fn a_read_may_see_a_write_invoked_after_it_began() {
        // The read is recorded before the write in history order; it must wait for it.
        let f =
            run(vec![put("k1", "1:1", 0, 5), get("k1", Some("1:2"), 10, 30), put("k1", "1:2", 15, 25)], None);
        assert_eq!((f.measured, f.unattributed, f.stale_reads), (1, 0, 0));
    }

    #[test]
    fn old_writes_are_forgotten_but_still_counted() {
        // k1: 200 writes, one every 200 ms (40 s); k2: one write, read a minute later.
        let mut ops: Vec<HistoryOp> =
            (0..200u64).map(|i| put("k1", &format!("1:{i}"), i * 200, i * 200 + 5)).collect();
        ops.push(put("k2", "2:1", 0, 5));
        ops.push(get("k1", Some("1:199"), 40_000, 40_001));
        ops.push(get("k1", Some("1:150"), 40_000, 40_002));
        ops.push(get("k1", Some("1:0"), 40_000, 40_003));
        ops.push(get("k2", Some("2:1"), 60_000, 60_001));
        ops.push(get("k1", None, 40_000, 40_004));
        let f = run(ops, None);
        // The first value of k1 is older than 10 s and than the last 64 writes: forgotten.
        assert_eq!((f.reads, f.measured, f.unattributed), (5, 4, 1), "{f:?}");
        // Every measured read still has every earlier acknowledged write as a sample.
        let samples: u64 = f.t_visibility.iter().map(|p| p.samples).sum();
        assert_eq!(samples, 3 * 200 + 1);
        // 1:150 missed 49 writes; the initial state missed all 200, forgotten ones included.
        let k: Vec<(u64, u64)> = f.k_distribution.iter().map(|c| (c.k, c.reads)).collect();
        assert_eq!(k, vec![(0, 2), (49, 1), (200, 1)]);
        let last = f.t_visibility.last().unwrap();
        // At 5 s or more: writes 0–174 for each of the three reads of k1, and k2's write; the
        // initial state missed all 175 of them, 1:150 missed writes 151–174.
        assert_eq!((last.samples, last.samples - last.fresh), (3 * 175 + 1, 175 + 24));
    }

    #[test]
    fn the_closed_form_matches_pbs() {
        // N=3, R=W=1: C(2,1)/C(3,1) = 2/3.
        assert!((pbs_miss(3, 1, 1, 1) - 2.0 / 3.0).abs() < 1e-12);
        assert!((pbs_miss(3, 1, 1, 2) - 4.0 / 9.0).abs() < 1e-12);
        // N=3, R=1, W=2: 1/3; strict quorums never miss.
        assert!((pbs_miss(3, 1, 2, 1) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(pbs_miss(3, 2, 2, 1), 0.0);
        assert_eq!(pbs_miss(5, 3, 3, 1), 0.0);
        // N=5, R=1, W=2: C(3,1)/C(5,1) = 3/5.
        assert!((pbs_miss(5, 1, 2, 1) - 0.6).abs() < 1e-12);
        let f = run(
            vec![put("k1", "1:1", 0, 10), put("k1", "1:2", 20, 30), get("k1", Some("1:1"), 40, 41)],
            Some(Quorums { n: 3, r: 1, w: 1, sloppy: false }),
        );
        let m = f.model.unwrap();
        assert_eq!(m.by_k.len(), 3);
        assert_eq!(m.by_k[0].measured, Some(1.0));
        assert_eq!(m.by_k[1].measured, Some(0.0));
    }
}
