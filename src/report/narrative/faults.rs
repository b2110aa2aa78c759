//! Fault sentences: when each fault started and ended, and what still cut the network when a
//! cut was lifted.
//!
//! Every sentence reads the run's [`FaultRecord`]s. An instantaneous action (a heal, a
//! restart, a `link_up`…) is one sentence, never a start and an end. The ends of everything
//! that cut messages (partitions, one-way cuts, isolations, bridges, rings, downed links) are
//! told together per instant, with the heal or `link_up` that ended them, and "every message
//! could flow again" is said only when no cut of any kind was left in effect at that instant.

use std::collections::BTreeMap;

use crate::fault::{Effect, FaultKind, FaultRecord, LinkChange};
use crate::net::Cut;
use crate::report::charts::faults::Band;
use crate::report::charts::lanes::{commit_at, leader_at};
use crate::sim::{NodeId, SimTime};

use super::{Story, and_list, at, count, set, span};

/// Sentence order at one instant: ends before starts (a window that closes as another opens
/// is told first), then everything else.
pub(super) const END: u8 = 0;
/// See [`END`].
pub(super) const START: u8 = 1;

/// True if the fault stops messages while it is in effect: every cut of the network and
/// links taken down.
pub fn blocks_messages(r: &FaultRecord) -> bool {
    r.kind.cuts_network() || r.kind == FaultKind::LinkDown
}

/// True if the record is an instantaneous action rather than a window.
fn instantaneous(r: &FaultRecord) -> bool {
    r.end == Some(r.start)
}

impl Story<'_> {
    /// The faults that stopped messages and were in effect at `t` (after every action at
    /// `t` was applied).
    pub(super) fn cuts_at(&self, t: u64) -> Vec<&FaultRecord> {
        self.input
            .outcome
            .faults
            .iter()
            .filter(|r| blocks_messages(r) && !instantaneous(r) && r.active_at(SimTime(t)))
            .collect()
    }

    /// A fault that stops messages, as a noun phrase: `the partition {n1,n2} | {n3}`,
    /// `the isolation of n4`, `the one-way cut {n2} -/-> {n1}`.
    pub(super) fn cut_noun(&self, r: &FaultRecord) -> String {
        match (r.kind, r.cut()) {
            (FaultKind::Isolate, Some(Cut::Groups(g))) if !g.is_empty() => {
                format!("the isolation of {}", and_list(&self.names(&g[0])))
            }
            (FaultKind::PartitionOneway, _) => format!("the one-way cut {}", self.describe(r)),
            (FaultKind::LinkDown, _) => match &r.effect {
                Effect::Links { pairs, .. } => format!(
                    "the link_down of {}",
                    crate::fault::record::describe_pairs(pairs, |n| self.node(n))
                ),
                _ => "the link_down".to_string(),
            },
            (k, _) => format!("the {k} {}", self.describe(r)),
        }
    }

    /// Any fault in effect at some time in `[a, b)` as a noun phrase with its start (`the
    /// partition {n1,n2} | {n3} (from 3.000 s)`), windows only, in start order.
    pub(super) fn faults_during(&self, a: u64, b: u64) -> Vec<String> {
        self.input
            .outcome
            .faults
            .iter()
            .filter(|r| !instantaneous(r) && r.start.0 < b && r.end.is_none_or(|e| e.0 > a))
            .map(|r| {
                let noun = if blocks_messages(r) {
                    self.cut_noun(r)
                } else {
                    match r.kind {
                        FaultKind::Crash => format!("the crash of {}", self.describe(r)),
                        FaultKind::Pause => format!("the pause of {}", self.describe(r)),
                        k => format!("the {k} fault ({})", self.describe(r)),
                    }
                };
                format!("{noun} (from {})", at(r.start.0))
            })
            .collect()
    }

    /// The start of a fault (and, for a window that is not a cut, its end).
    pub(super) fn fault(&mut self, b: &Band<'_>) {
        let Some(r) = b.record else { return };
        let t = b.start;
        let before = t.saturating_sub(1);
        // Heals and link_ups are told with the cuts they ended (network_ends).
        if matches!(r.kind, FaultKind::Heal | FaultKind::LinkUp) {
            return;
        }
        let leader = |i: usize| {
            self.words.and_then(|w| {
                leader_at(&self.lanes, before).filter(|(l, _)| *l == i).map(|(_, term)| w.leader_of(term))
            })
        };
        let text = match (r.kind, &r.effect) {
            (FaultKind::Isolate, Effect::Cut(Cut::Groups(g))) if !g.is_empty() => {
                let who = and_list(&self.names(&g[0]));
                let was = match g[0].as_slice() {
                    [one] => {
                        self.lane(*one).and_then(leader).map(|l| format!(", the {l},")).unwrap_or_default()
                    }
                    _ => String::new(),
                };
                format!("At {} {who}{was} was cut off from every other node.", at(t))
            }
            (_, Effect::Cut(Cut::Groups(g))) => {
                let sides: Vec<String> = g.iter().map(|s| set(&self.names(s))).collect();
                let mut text =
                    format!("At {} the network split the cluster into {}.", at(t), sides.join(" | "));
                let maj = self.majority();
                let count_servers = |s: &[NodeId]| {
                    s.iter().filter(|&&n| self.lane(n).is_some_and(|i| self.lanes[i].server)).count()
                };
                if let Some(w) = self.words {
                    if let Some((i, term)) = leader_at(&self.lanes, before)
                        && let Some(side) = g.iter().find(|s| s.contains(&NodeId(i as u32)))
                    {
                        let kind = if count_servers(side) >= maj { "majority" } else { "minority" };
                        text.push_str(&format!(
                            " The leader {} ({}) was on the {kind} side {}.",
                            self.name(i),
                            w.leader_of(term),
                            set(&self.names(side))
                        ));
                    }
                    if !g.iter().any(|s| count_servers(s) >= maj) && !self.servers.is_empty() {
                        text.push_str(&format!(
                            " No side held a majority of the servers, so no side could elect a leader or have \
                             anything {}.",
                            w.committed
                        ));
                    }
                }
                text
            }
            (_, Effect::Cut(Cut::OneWay { from, to })) => format!(
                "At {} messages from {} to {} started being dropped (a one-way cut: the other direction still \
                 worked).",
                at(t),
                set(&self.names(from)),
                set(&self.names(to))
            ),
            (_, Effect::Cut(Cut::Pairs(_))) => {
                format!("At {} some links were cut: {}.", at(t), self.describe(r))
            }
            (FaultKind::LinkDown, Effect::Links { pairs, .. }) => format!(
                "At {} links went down: {}.",
                at(t),
                crate::fault::record::describe_pairs(pairs, |n| self.node(n))
            ),
            (FaultKind::Crash, _) => {
                let node = r.nodes.first().map_or_else(|| self.describe(r), |&n| self.node(n));
                let role = r
                    .nodes
                    .first()
                    .and_then(|&n| self.lane(n))
                    .and_then(leader)
                    .map(|l| format!(", the {l},"))
                    .unwrap_or_default();
                format!(
                    "At {} {node}{role} crashed: its memory was lost, only what it had written to disk survives.",
                    at(t)
                )
            }
            (FaultKind::Pause, _) => format!(
                "At {} {} paused: it stopped handling messages and timers but kept its memory.",
                at(t),
                r.nodes.first().map_or_else(|| self.describe(r), |&n| self.node(n))
            ),
            (FaultKind::Replay | FaultKind::Forge, _) => {
                format!("At {} an adversary appeared: {}.", at(t), self.describe(r))
            }
            (f, _) if instantaneous(r) => {
                format!("At {} the fault {f} was applied: {}.", at(t), self.describe(r))
            }
            (f, _) => format!("At {} the fault {f} started: {}.", at(t), self.describe(r)),
        };
        self.push(t, START, text);
        // One sentence for an instantaneous action; cuts end in network_ends.
        if b.open || instantaneous(r) || blocks_messages(r) {
            return;
        }
        let e = b.end;
        let text = match r.kind {
            FaultKind::Crash => {
                let node = r.nodes.first().map(|&n| self.node(n)).unwrap_or_default();
                let mut text = format!("At {} {node} restarted from its disk", at(e));
                if let (Some(w), Some(i)) = (self.words, r.nodes.first().and_then(|&n| self.lane(n))) {
                    let after: Vec<_> = self.lanes[i].roles.iter().filter(|s| s.start >= e).collect();
                    if let Some(first) = after.first().filter(|s| s.term > 0) {
                        text.push_str(&format!(", remembering {} {}", w.round, first.term));
                        if let Some(newer) = after.iter().find(|s| s.term > first.term) {
                            text.push_str(&format!(
                                ", and at {} learned of {} {} and became a {}",
                                at(newer.start),
                                w.round,
                                newer.term,
                                newer.role.name()
                            ));
                        }
                    }
                }
                text.push('.');
                text
            }
            FaultKind::Pause => {
                let node = r.nodes.first().map_or_else(|| "the node".to_string(), |&n| self.node(n));
                format!("At {} {node} resumed.", at(e))
            }
            f => format!("At {} the {f} fault ended.", at(e)),
        };
        self.push(e, END, text);
        if let Some((done, text)) = self.catch_up(e) {
            self.push(done, 8, text);
        }
    }

    /// The ends of the faults that stopped messages, one sentence per instant, with the heal
    /// or `link_up` that ended them and what, if anything, still cut the network after it.
    pub(super) fn network_ends(&mut self) {
        let input = self.input;
        let faults = &input.outcome.faults;
        // Instants at which a cut ended or a heal/link_up was applied.
        let mut instants: BTreeMap<u64, (Vec<&FaultRecord>, Vec<&FaultRecord>)> = BTreeMap::new();
        for r in faults {
            match r.kind {
                FaultKind::Heal | FaultKind::LinkUp => instants.entry(r.start.0).or_default().0.push(r),
                _ if blocks_messages(r) && !instantaneous(r) => {
                    if let Some(e) = r.end.filter(|e| e.0 <= self.end) {
                        instants.entry(e.0).or_default().1.push(r);
                    }
                }
                _ => {}
            }
        }
        for (t, (actions, ended)) in instants {
            let mut cause = Vec::new();
            for a in &actions {
                match (&a.effect, a.kind) {
                    (_, FaultKind::Heal) => cause.push("a heal lifted every cut".to_string()),
                    (Effect::Links { pairs, change: LinkChange::Up }, _) => cause.push(format!(
                        "links {} were brought back up",
                        crate::fault::record::describe_pairs(pairs, |n| self.node(n))
                    )),
                    _ => cause.push(format!("{} ({})", a.kind, self.describe(a))),
                }
            }
            let nouns: Vec<String> = ended.iter().map(|r| self.cut_noun(r)).collect();
            let remaining = self.cuts_at(t);
            let older: Vec<String> =
                remaining.iter().filter(|r| r.start.0 < t).map(|r| self.cut_noun(r)).collect();
            let newer = remaining.iter().any(|r| r.start.0 == t);
            let clear = remaining.is_empty();
            let mut text = format!("At {} ", at(t));
            match (cause.is_empty(), nouns.is_empty()) {
                (false, true) => {
                    text.push_str(&and_list(&cause));
                    text.push_str(", but nothing it could lift was in effect");
                }
                (false, false) => {
                    text.push_str(&and_list(&cause));
                    text.push_str(&format!(": {} ended", and_list(&nouns)));
                }
                (true, _) => text.push_str(&format!("{} ended", and_list(&nouns))),
            }
            if clear {
                if !nouns.is_empty() {
                    text.push_str(", and every message could flow again");
                }
            } else {
                let mut still = Vec::new();
                if !older.is_empty() {
                    let verb = if older.len() == 1 { "was" } else { "were" };
                    still.push(format!("{} {verb} still in effect", and_list(&older)));
                }
                if newer {
                    still.push("a new cut began at the same instant".to_string());
                }
                text.push_str(&format!(", but messages were still being dropped: {}", and_list(&still)));
            }
            text.push('.');
            self.push(t, END, text);
            if !nouns.is_empty()
                && clear
                && let Some((done, text)) = self.catch_up(t)
            {
                self.push(done, 8, text);
            }
        }
    }

    pub(super) fn many_faults(&mut self, bands: &[Band<'_>]) {
        let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
        for b in bands {
            *kinds.entry(b.kind.name()).or_default() += 1;
        }
        let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{} {k}", count(*n))).collect();
        let (first, last) = (bands[0].start, bands.iter().map(|b| b.start).max().unwrap_or(0));
        self.push(
            first,
            START,
            format!(
                "Between {} and {} the schedule applied {} fault windows ({}); the charts shade each one. The first \
                 few:",
                at(first),
                at(last),
                count(bands.len() as u64),
                parts.join(", ")
            ),
        );
        for b in bands.iter().take(3) {
            let until = if b.open { "the end".to_string() } else { at(b.end) };
            self.push(b.start, 2, format!("At {}: {} (until {until}).", at(b.start), b.label()));
        }
    }

    /// After a fault ends: when every server had caught up with the commit index reached by
    /// then (protocols with a log only), as that instant and the sentence, which the story
    /// stamps with that instant, not the fault's end.
    pub(super) fn catch_up(&self, e: u64) -> Option<(u64, String)> {
        let w = self.words?;
        if self.servers.is_empty() || self.lanes.iter().all(|l| l.progress.is_empty()) {
            return None;
        }
        let target = commit_at(&self.lanes, &self.servers, e);
        if target == 0 {
            return None;
        }
        let mut times: Vec<u64> = self
            .servers
            .iter()
            .flat_map(|&i| self.lanes[i].progress.iter().map(|s| s.0))
            .filter(|&t| t >= e)
            .collect();
        times.sort_unstable();
        times.dedup();
        let done = times.into_iter().find(|&t| {
            self.servers.iter().all(|&i| {
                let l = &self.lanes[i];
                l.down_at(t) || l.progress_at(t).is_some_and(|s| s.3 >= target)
            })
        })?;
        if done <= e {
            return None;
        }
        let text = format!(
            "By {} every running server had caught up to {} {} ({} after).",
            at(done),
            w.commit_index,
            count(target),
            span(done - e)
        );
        Some((done, text))
    }
}

/// The noun for a fault in "… after the split".
pub(super) fn fault_noun(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Partition | FaultKind::Bridge | FaultKind::Ring => "split",
        FaultKind::Isolate => "isolation",
        FaultKind::PartitionOneway => "one-way cut",
        FaultKind::Crash => "crash",
        FaultKind::Pause => "pause",
        _ => "fault",
    }
}
