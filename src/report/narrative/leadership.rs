//! Leadership and log sentences, for protocols that have both (Raft, Multi-Paxos), each in
//! its own [`Words`]: who was elected (or won a ballot round) when and on which side of a
//! cut, who stopped leading and why, two servers acting as leader of different rounds at the
//! same time, which side of a partition kept committing, and stretches in which nothing new
//! was committed.

use crate::fault::FaultRecord;
use crate::net::Cut;
use crate::report::charts::faults::Band;
use crate::report::charts::lanes::commit_at;
use crate::scenario::Protocol;
use crate::sim::{NodeId, Role};

use super::faults::fault_noun;
use super::{DETAILED_ELECTIONS, Story, Words, and_list, at, count, span};

/// Overlapping leaders told one by one up to this many; beyond, counted.
const DETAILED_OVERLAPS: usize = 6;

/// Commit stalls told one by one up to this many.
const DETAILED_STALLS: usize = 8;

impl Story<'_> {
    /// Every leader span of every server: `(start, end, lane, term)`, in time order, cut
    /// short where the server crashed.
    fn leader_spans(&self) -> Vec<(u64, u64, usize, u64)> {
        let mut v = Vec::new();
        for &i in &self.servers {
            let l = &self.lanes[i];
            for s in l.roles.iter().filter(|s| s.role == Role::Leader) {
                let crash = l.down.iter().filter(|d| d.0 >= s.start && d.0 < s.end).map(|d| d.0).min();
                v.push((s.start, crash.unwrap_or(s.end).min(self.end), i, s.term));
            }
        }
        v.sort();
        v
    }

    pub(super) fn elections(&mut self, bands: &[Band<'_>], w: Words) {
        let wins: Vec<(u64, usize, u64)> =
            self.leader_spans().into_iter().map(|(t, _, i, term)| (t, i, term)).collect();
        let detailed = wins.len() <= DETAILED_ELECTIONS;
        let paxos = self.input.outcome.protocol == Protocol::PAXOS;
        for (k, &(t, i, term)) in wins.iter().enumerate() {
            if !detailed && k >= 3 {
                break;
            }
            let mut text = if paxos {
                format!("{} won ballot round {term} and became the leader at {}", self.name(i), at(t))
            } else {
                format!("{} was elected leader of term {term} at {}", self.name(i), at(t))
            };
            let cause =
                bands.iter().filter(|b| b.start <= t && t - b.start <= 2_000_000_000).max_by_key(|b| b.start);
            let previous = k.checked_sub(1).map(|p| wins[p].0);
            match cause {
                Some(b) if previous.is_none_or(|p| p < b.start) => {
                    text.push_str(&format!(", {} after the {}", span(t - b.start), fault_noun(b.kind)))
                }
                _ if k == 0 => text.push_str(&format!(", {} after the start", span(t))),
                _ => {}
            }
            if let Some(side) = bands
                .iter()
                .filter(|b| b.start <= t && t < b.end && b.kind.cuts_network())
                .find_map(|b| match b.record.and_then(FaultRecord::cut) {
                    Some(Cut::Groups(g)) => g.iter().find(|s| s.contains(&NodeId(i as u32))),
                    _ => None,
                })
            {
                text.push_str(&format!(", on the side {}", self.servers_set(side)));
            }
            text.push('.');
            self.push(t, 3, text);
        }
        if !detailed {
            let last = wins.last().map_or(0, |w| w.2);
            self.push(
                wins[3].0,
                3,
                format!(
                    "Leadership then changed hands {} more times, up to {} {last} (the timeline chart shows every \
                     one).",
                    count((wins.len() - 3) as u64),
                    w.round
                ),
            );
            return;
        }
        // Step-downs: a leader span that ends while the node is still up, before the run ends.
        let mut downs = Vec::new();
        for &i in &self.servers {
            let l = &self.lanes[i];
            for (k, s) in l.roles.iter().enumerate() {
                if s.role != Role::Leader || s.end >= self.end || l.down.iter().any(|d| d.0 == s.end) {
                    continue;
                }
                let why = match (l.roles.get(k + 1), self.input.outcome.protocol) {
                    (Some(n), _) if n.term > s.term => {
                        format!("it learned of a newer {} ({})", w.round, n.term)
                    }
                    (_, Protocol::RAFT) => {
                        "it could no longer hear from a majority, so it stepped down (check-quorum)"
                            .to_string()
                    }
                    _ => "it stopped leading".to_string(),
                };
                downs.push((
                    s.end,
                    format!("{} stopped being {} at {}: {why}.", l.name, w.leader_of(s.term), at(s.end)),
                ));
            }
        }
        for (t, text) in downs {
            self.push(t, 4, text);
        }
    }

    /// Two servers that both acted as leader at the same time: of different rounds (a stale
    /// leader that had not yet learned of the newer one), or of the same one (which the
    /// invariant checker reports as a violation of election safety).
    pub(super) fn two_leaders(&mut self, w: Words) {
        let spans = self.leader_spans();
        let mut overlaps = Vec::new();
        for (k, &(a0, a1, i, ti)) in spans.iter().enumerate() {
            for &(b0, b1, j, tj) in &spans[k + 1..] {
                if b0 >= a1 {
                    break;
                }
                let (from, to) = (a0.max(b0), a1.min(b1));
                if i != j && from < to {
                    overlaps.push((from, to, i, ti, j, tj));
                }
            }
        }
        overlaps.sort();
        for &(from, to, i, ti, j, tj) in overlaps.iter().take(DETAILED_OVERLAPS) {
            let ((old, told), (new, tnew)) = if ti <= tj { ((i, ti), (j, tj)) } else { ((j, tj), (i, ti)) };
            let until = if to >= self.end { "the end of the run".to_string() } else { at(to) };
            let text = if told == tnew {
                format!(
                    "From {} until {until} two servers, {} and {}, both acted as {}: two leaders of the same {} \
                     (election safety forbids this).",
                    at(from),
                    self.name(old),
                    self.name(new),
                    w.leader_of(told),
                    w.round
                )
            } else {
                format!(
                    "From {} until {until} ({}) there were two leaders at once: {} was still acting as {} while \
                     {} was {}; the older one could not have anything {} without a majority.",
                    at(from),
                    span(to - from),
                    self.name(old),
                    w.leader_of(told),
                    self.name(new),
                    w.leader_of(tnew),
                    w.committed
                )
            };
            self.push(from, 4, text);
        }
        if overlaps.len() > DETAILED_OVERLAPS {
            let (t, ..) = overlaps[DETAILED_OVERLAPS];
            self.push(
                t,
                4,
                format!(
                    "Two servers acted as leader at the same time {} more times after that.",
                    count((overlaps.len() - DETAILED_OVERLAPS) as u64)
                ),
            );
        }
    }

    /// During each cut: which side kept committing and which did not.
    pub(super) fn commits_during(&mut self, bands: &[Band<'_>], w: Words) {
        let (committing, committed) = match self.input.outcome.protocol {
            Protocol::PAXOS => ("choosing values", "chose nothing"),
            _ => ("committing", "committed nothing"),
        };
        for b in bands.iter().filter(|b| b.kind.cuts_network()) {
            let Some(Cut::Groups(g)) = b.record.and_then(FaultRecord::cut) else { continue };
            let mut parts = Vec::new();
            for side in g {
                let idx: Vec<usize> =
                    side.iter().filter_map(|&n| self.lane(n)).filter(|&i| self.lanes[i].server).collect();
                if idx.is_empty() {
                    continue;
                }
                let stop = b.end.saturating_sub(1);
                let (c0, c1) = (commit_at(&self.lanes, &idx, b.start), commit_at(&self.lanes, &idx, stop));
                // When the side's commit index last rose inside the window.
                let last_rise = idx
                    .iter()
                    .flat_map(|&i| self.lanes[i].progress.iter())
                    .filter(|p| p.0 > b.start && p.0 <= stop && p.3 > c0)
                    .map(|p| p.0)
                    .max();
                let who = self.servers_set(side);
                match last_rise {
                    None => parts.push(format!(
                        "side {who} {committed} (its {} stayed at {})",
                        w.commit_index,
                        count(c0)
                    )),
                    Some(r) if r - b.start < (stop - b.start) / 4 => parts.push(format!(
                        "side {who} stopped {committing} {} after the cut began (its {} stayed at {})",
                        span(r - b.start),
                        w.commit_index,
                        count(c1)
                    )),
                    Some(_) => parts.push(format!(
                        "side {who} kept {committing} ({} {} → {})",
                        w.commit_index,
                        count(c0),
                        count(c1)
                    )),
                }
            }
            if parts.is_empty() {
                continue;
            }
            let until =
                if b.open { "until the end of the run".to_string() } else { format!("until {}", at(b.end)) };
            self.push(b.start, 6, format!("From {} {until}, {}.", at(b.start), and_list(&parts)));
        }
    }

    /// Stretches in which no server's commit index advanced.
    pub(super) fn commit_stalls(&mut self, w: Words) {
        let mut samples: Vec<(u64, u64)> =
            self.servers.iter().flat_map(|&i| self.lanes[i].progress.iter().map(|s| (s.0, s.3))).collect();
        if samples.is_empty() {
            return;
        }
        samples.sort_unstable();
        let threshold = (self.end / 40).max(300_000_000);
        let mut best = 0;
        let mut last_rise = None;
        let mut stalls = Vec::new();
        for &(t, c) in &samples {
            if c > best {
                if best == 0 {
                    self.push(t, 5, format!("The first {} was {} at {}.", w.entry, w.committed, at(t)));
                }
                if let Some(r) = last_rise
                    && t - r >= threshold
                {
                    stalls.push((r, t));
                }
                best = c;
                last_rise = Some(t);
            }
        }
        if let Some(r) = last_rise
            && self.end - r >= threshold
            && self.input.ops.is_some()
        {
            stalls.push((r, self.end));
        }
        let nothing = match self.input.outcome.protocol {
            Protocol::PAXOS => "no new slot was chosen".to_string(),
            _ => "no server committed anything new".to_string(),
        };
        for (a, b) in stalls.into_iter().take(DETAILED_STALLS) {
            let until = if b >= self.end {
                "until the end of the run".to_string()
            } else {
                format!("until {}", at(b))
            };
            self.push(a, 7, format!("From {} {until} {nothing} ({} without progress).", at(a), span(b - a)));
        }
    }
}
