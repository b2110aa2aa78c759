//! Append-only partitions decided without search.
//!
//! # Why appends explode the general search
//!
//! A partition whose operations are only appends and reads (a key that clients append to,
//! as Jepsen's list-append workloads do) is the worst case of Wing & Gong's search. Its
//! state is the whole text, so two orders of the same appends are different states and the
//! memo table never merges them: between two reads, `k` concurrent appends can be placed in
//! `k!` orders, and the search tries them blindly, one after another, until the next read's
//! value happens to match. Leader crashes make `k` large (every client's operation waits
//! through the election), the states are long strings, and the search runs out of steps or
//! memory on a history that is plainly linearizable.
//!
//! # The idea
//!
//! A read of an append-only value pins everything before it: its value is the concatenation
//! of the appends linearized before it, in their order. With append values that are
//! non-empty and *prefix-free* (no value is a prefix of another, so each text splits into
//! values in at most one way), the longest value read spells out one sequence
//! `S = a₁ a₂ … a_m` of appends, and every other read must see a prefix `a₁ … a_k` of it.
//! Every linearization then has the same shape, a sequence of layers:
//!
//! ```text
//! reads that saw k=0 | a₁ | reads that saw k=1 | a₂ | … | a_m | reads that saw m | U
//! ```
//!
//! where `U` holds the appends that returned and no read saw (they took effect after every
//! read), and appends that never returned and no read saw are left out (they took effect at
//! the very end, or never). Operations within a layer may take effect in any order, so the
//! history is linearizable if and only if real time allows the layers in this order: no
//! operation returned before an operation of an earlier layer was called. One pass decides
//! that, in time linear in the history (plus the length of the longest value).
//!
//! The same reasoning gives the end configurations a segment can leave ([`Goal::Ends`]):
//! the text after `S`, followed by each order of `U` that real time allows (interleaved
//! with any of the unseen appends that never returned, which otherwise stay pending).
//!
//! Anything outside these conditions (a write or compare-and-set in the partition, two
//! appends of the same value, values that are not prefix-free, an empty append) is left to
//! the general search, which is always right, only slower. A property test compares the
//! two on random histories.

use std::collections::HashMap;

use super::model::{Model, TextOp};
use super::search::{End, Goal, Progress, Root, SearchOp};

/// The outcome of the append-only decision.
pub(super) struct Decided<S> {
    /// Linearizable (with at least one end configuration, for [`Goal::Ends`]) or not.
    pub(super) outcome: Progress,
    /// The work it took, in search steps (operations, values split, end configurations
    /// built): deterministic, and charged to the step budget like the general search's.
    pub(super) cost: u64,
    /// The end configurations ([`Goal::Ends`]); more than [`ENDS_CAP`] is cut short at
    /// `ENDS_CAP + 1`, which no segment cut accepts.
    pub(super) ends: Vec<End<S>>,
    /// The bytes it accounts: its tables and the states of its end configurations.
    pub(super) bytes: usize,
}

/// End configurations enumerated at most (a cut accepts far fewer, see
/// [`segment`](super::segment)).
pub(super) const ENDS_CAP: usize = 4 * super::segment::MAX_FRONTIER;

/// One operation as the decision sees it.
#[derive(Copy, Clone)]
enum Kind<'a> {
    Append(&'a str),
    Read(Option<&'a str>),
}

/// Decides the search `ops` from `roots` for `goal`, if the partition is append-only (see
/// the module documentation); `None` leaves it to the general search.
pub(super) fn decide<M: Model>(
    model: &M,
    ops: &[SearchOp<'_, M::Input, M::Output>],
    roots: &[Root<M::State>],
    goal: Goal,
) -> Option<Decided<M::State>> {
    let mut kinds: Vec<Option<Kind<'_>>> = Vec::with_capacity(ops.len());
    for o in ops {
        let kind = match model.text_op(o.input, o.output)? {
            TextOp::Append("") => return None,
            TextOp::Append(v) => Some(Kind::Append(v)),
            // A read that never returned, or that is only optional, is never built by the
            // callers; leave such oddities to the general search.
            TextOp::Read(_) | TextOp::UnknownRead if o.optional => return None,
            TextOp::Read(_) if o.ret == u64::MAX => return None,
            TextOp::Read(seen) => Some(Kind::Read(seen)),
            // A read with an unknown result fits anywhere, but it may come after appends
            // nobody saw and so shape the end configurations; callers drop such reads
            // before searching, so leave that case to the general search.
            TextOp::UnknownRead if goal == Goal::Ends => return None,
            TextOp::UnknownRead => None,
        };
        // The end configurations of a search with optional operations would also skip
        // them; no caller asks for that.
        if goal == Goal::Ends && o.optional {
            return None;
        }
        kinds.push(kind);
    }
    // Distinct, prefix-free append values: then a text splits into values in at most one
    // way, and each value names one operation.
    let mut values: Vec<&str> =
        kinds.iter().filter_map(|k| if let Some(Kind::Append(v)) = k { Some(*v) } else { None }).collect();
    values.sort_unstable();
    if values.windows(2).any(|w| w[1].starts_with(w[0])) {
        return None;
    }
    let texts: Vec<Option<&str>> = roots.iter().map(|r| model.state_text(&r.state)).collect::<Option<_>>()?;
    if goal == Goal::Ends && model.text_state(None).is_none() {
        return None;
    }
    let mut lengths: Vec<usize> = values.iter().map(|v| v.len()).collect();
    lengths.sort_unstable();
    lengths.dedup();
    let mut cost = ops.len() as u64 + values.len() as u64;
    let mut bytes = ops.len() * 48 + values.len() * 32;
    let mut ends = Vec::new();
    let mut linearizable = false;
    for (root, text) in roots.iter().zip(texts) {
        let mut by_value: HashMap<&str, u32> = HashMap::with_capacity(values.len());
        for (i, k) in kinds.iter().enumerate() {
            if let Some(Kind::Append(v)) = k
                && !root.applied.contains(&(i as u32))
            {
                by_value.insert(v, i as u32);
            }
        }
        let mut d = Decision { ops, kinds: &kinds, by_value, lengths: &lengths, base: text, cost: 0 };
        let layers = d.layers();
        cost += d.cost;
        let Some(layers) = layers else { continue };
        linearizable = true;
        if goal == Goal::First {
            break;
        }
        let before = ends.len();
        d.ends(root, &layers, model, &mut ends);
        cost += (ends.len() - before) as u64;
        if ends.len() > ENDS_CAP {
            break;
        }
    }
    for e in &ends {
        bytes += std::mem::size_of::<End<M::State>>() + model.heap_bytes(&e.state) + 4 * e.pending.len();
    }
    let outcome = if linearizable { Progress::Linearizable } else { Progress::NotLinearizable };
    Some(Decided { outcome, cost: cost.max(1), ends, bytes })
}

/// A linearization's shape: the appends `S` in order, and the appends `U` that returned,
/// no read saw, and so follow every read.
struct Layers {
    seen: Vec<u32>,
    unseen: Vec<u32>,
    /// The latest call among the operations of the layers before `U`.
    horizon: u64,
    /// The text after `S`.
    text: Option<String>,
}

/// The decision from one root.
struct Decision<'o, 'a, I, O> {
    ops: &'o [SearchOp<'a, I, O>],
    kinds: &'o [Option<Kind<'a>>],
    /// The value of each append the root has not applied → the operation.
    by_value: HashMap<&'a str, u32>,
    /// The distinct lengths of append values, ascending.
    lengths: &'o [usize],
    /// The root's text.
    base: Option<&'o str>,
    cost: u64,
}

impl<I, O> Decision<'_, '_, I, O> {
    /// The layers, if real time allows them; `None` if no linearization exists from this
    /// root.
    fn layers(&mut self) -> Option<Layers> {
        // Reads: what each saw after the root's text (`None`: absent).
        let mut reads: Vec<(u32, Option<&str>)> = Vec::new();
        for (i, k) in self.kinds.iter().enumerate() {
            if let Some(Kind::Read(seen)) = k {
                let rest = match (self.base, seen) {
                    (None, None) => None,
                    // Appending to an absent value makes it present.
                    (None, Some("")) => return None,
                    (None, Some(s)) => Some(*s),
                    (Some(_), None) => return None,
                    (Some(b), Some(s)) => Some(s.strip_prefix(b)?),
                };
                reads.push((i as u32, rest));
            }
        }
        // The longest value read, split into appends.
        let longest = reads.iter().filter_map(|r| r.1).max_by_key(|s| s.len()).unwrap_or("");
        let mut seen: Vec<u32> = Vec::new();
        let mut boundary: Vec<usize> = vec![0];
        let mut position = vec![u32::MAX; self.ops.len()];
        let mut at = 0;
        while at < longest.len() {
            self.cost += 1;
            let op = self.lengths.iter().find_map(|&n| {
                let piece = longest.get(at..at + n)?;
                self.by_value.get(piece).copied()
            })?;
            if position[op as usize] != u32::MAX {
                return None; // one append seen twice
            }
            position[op as usize] = seen.len() as u32;
            seen.push(op);
            at += self.value(op).len();
            boundary.push(at);
        }
        // Layer of each operation: read with k appends before it → 2k; append a_{k+1} →
        // 2k + 1; unseen appends that returned → after everything.
        let last = 2 * seen.len() + 1;
        let mut layer: Vec<(usize, u32)> = Vec::with_capacity(self.ops.len());
        for &(i, rest) in &reads {
            self.cost += 1;
            let k = match rest {
                None => 0,
                Some(s) => {
                    if !longest.starts_with(s) {
                        return None;
                    }
                    boundary.binary_search(&s.len()).ok()?
                }
            };
            layer.push((2 * k, i));
        }
        for (p, &op) in seen.iter().enumerate() {
            layer.push((2 * p + 1, op));
        }
        let mut unseen = Vec::new();
        for (i, k) in self.kinds.iter().enumerate() {
            let o = &self.ops[i];
            if matches!(k, Some(Kind::Append(_)))
                && position[i] == u32::MAX
                && self.by_value.contains_key(self.value(i as u32))
                && o.ret != u64::MAX
                && !o.optional
            {
                unseen.push(i as u32);
                layer.push((last, i as u32));
            }
        }
        layer.sort_unstable();
        // Real time: an operation may not have returned before one of an earlier layer
        // was called (operations that touch count as concurrent, as in the search).
        let mut horizon = 0u64; // latest call of the earlier layers
        let mut current = 0u64; // latest call of the layers so far
        let mut at_layer = usize::MAX;
        let mut before_unseen = 0u64;
        for &(l, i) in &layer {
            self.cost += 1;
            if l != at_layer {
                horizon = current;
                at_layer = l;
            }
            let o = &self.ops[i as usize];
            if o.ret.max(o.call) < horizon {
                return None;
            }
            current = current.max(o.call);
            if l < last {
                before_unseen = current;
            }
        }
        let mut text = self.base.map(str::to_string);
        if !seen.is_empty() {
            text.get_or_insert_with(String::new).push_str(longest);
        }
        Some(Layers { seen, unseen, horizon: before_unseen, text })
    }

    /// The value of append `op`.
    fn value(&self, op: u32) -> &str {
        match self.kinds[op as usize] {
            Some(Kind::Append(v)) => v,
            _ => unreachable!("only appends have values"),
        }
    }

    /// Adds the end configurations from `root` to `ends` (stopping past [`ENDS_CAP`]): the
    /// state once every operation that returns has taken effect, and the operations that
    /// never return still pending. Positions in `pending` are operation indices.
    fn ends<M: Model<Input = I, Output = O>>(
        &self,
        root: &Root<M::State>,
        layers: &Layers,
        model: &M,
        ends: &mut Vec<End<M::State>>,
    ) {
        // Unseen appends that never return: each may take effect among U or stay pending.
        let optional: Vec<u32> = (0..self.ops.len() as u32)
            .filter(|&i| {
                matches!(self.kinds[i as usize], Some(Kind::Append(_)))
                    && self.ops[i as usize].ret == u64::MAX
                    && !layers.seen.contains(&i)
                    && !root.applied.contains(&i)
            })
            .collect();
        let mut walk = Walk {
            decision: self,
            layers,
            optional: &optional,
            placed: Vec::new(),
            used: vec![false; self.ops.len()],
            ends: Vec::new(),
        };
        if layers.unseen.is_empty() {
            // The last operation that returns is a read (or there is none): the end comes
            // right after it, with every unseen indeterminate append still pending.
            walk.record();
        } else {
            walk.extend(layers.horizon);
        }
        for (text, pending) in walk.ends {
            let state = model.text_state(text.as_deref()).expect("checked: states are texts");
            ends.push(End { state, pending });
        }
    }
}

/// The orders of U (with unseen indeterminate appends among them) that real time allows.
struct Walk<'d, 'o, 'a, I, O> {
    decision: &'d Decision<'o, 'a, I, O>,
    layers: &'d Layers,
    optional: &'d [u32],
    placed: Vec<u32>,
    used: Vec<bool>,
    ends: Vec<(Option<String>, Vec<u32>)>,
}

impl<I, O> Walk<'_, '_, '_, I, O> {
    /// Records the current order as an end configuration.
    fn record(&mut self) {
        let mut text = self.layers.text.clone();
        for &op in &self.placed {
            text.get_or_insert_with(String::new).push_str(self.decision.value(op));
        }
        let pending = self.optional.iter().copied().filter(|&i| !self.used[i as usize]).collect();
        self.ends.push((text, pending));
    }

    /// Extends the current order in every way real time allows, given the latest call
    /// among the operations placed (`horizon`); an end is recorded when the last of U is
    /// placed.
    fn extend(&mut self, horizon: u64) {
        if self.ends.len() > ENDS_CAP {
            return;
        }
        let ops = self.decision.ops;
        let candidates: Vec<u32> = self
            .layers
            .unseen
            .iter()
            .chain(self.optional)
            .copied()
            .filter(|&i| !self.used[i as usize])
            .collect();
        let left = self.layers.unseen.iter().filter(|&&i| !self.used[i as usize]).count();
        for op in candidates {
            let o = &ops[op as usize];
            let next = horizon.max(o.call);
            // It must not have returned before an operation already placed was called,
            // and no operation of U left may have returned before it was called.
            if o.ret.max(o.call) < horizon
                || self
                    .layers
                    .unseen
                    .iter()
                    .any(|&u| u != op && !self.used[u as usize] && ops[u as usize].ret < next)
            {
                continue;
            }
            self.used[op as usize] = true;
            self.placed.push(op);
            let is_unseen = o.ret != u64::MAX;
            if is_unseen && left == 1 {
                self.record();
            } else {
                self.extend(next);
            }
            self.placed.pop();
            self.used[op as usize] = false;
            if self.ends.len() > ENDS_CAP {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests;
