//! The event budget: a deterministic bound on how busy a run may get, so that a message
//! storm (a protocol that answers each message with more than one, duplicates included)
//! stops with a verdict instead of running, and allocating, without end.
//!
//! The budget counts events per simulated second: every event handled in the window
//! `[k s, (k+1) s)` of virtual time counts against window `k`, and the run stops at the
//! first event beyond the limit. A rate rather than a total, because a legitimate run's
//! event count grows with its duration (an hour of a five-server cluster is about 51 million
//! events) while its rate does not; and because a storm grows geometrically, a rate limit
//! stops it within the second it takes off, however long the run was meant to be. Events at
//! a single instant (a timer re-armed for zero time) count too: virtual time need not move
//! for the window to fill. Only virtual time and event counts are involved, so the same
//! scenario and seed stop at the same event, on every machine.
//!
//! When a window passes half its limit, the kernel starts tallying what it handles — the
//! messages by their own kind labels (the ones the trace records), timers, fsyncs — and by
//! which node, so the verdict can name what was storming without the kernel knowing any
//! protocol and without any cost to runs that stay below half their budget.

use crate::sim::{NodeId, SimDuration, SimTime};

/// How many events a run may handle per simulated second.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EventBudget {
    /// Most events handled in any one simulated second (`[k s, (k+1) s)`).
    pub per_second: u64,
}

impl EventBudget {
    /// The default: 2,000,000 events per simulated second. The busiest shipped scenario
    /// peaks well below a tenth of that (README, "Limits"), and a storm that doubles every
    /// few milliseconds gets there within a fraction of a simulated second.
    pub const DEFAULT: EventBudget = EventBudget { per_second: 2_000_000 };
}

impl Default for EventBudget {
    fn default() -> Self {
        EventBudget::DEFAULT
    }
}

/// Length of one budget window.
const WINDOW: SimDuration = SimDuration::from_secs(1);

/// What a window that passed half its budget was busy with.
#[derive(Debug, Default)]
struct Tally {
    /// Events counted when the tally started.
    from: u64,
    /// Event kinds (message kinds, `timer`, `fsync`, …) and how many of each.
    kinds: Vec<(&'static str, u64)>,
    /// Events per node, indexed by node id.
    nodes: Vec<u64>,
}

/// The budget's running state, kept by the World.
#[derive(Debug)]
pub(super) struct Budget {
    limit: u64,
    /// Events beyond this count in the current window start the tally.
    watch: u64,
    /// Start and end of the current window.
    start: SimTime,
    end: SimTime,
    /// Events handled in the current window.
    count: u64,
    /// The most events handled in one window so far (earlier windows).
    peak: u64,
    tally: Option<Tally>,
}

impl Budget {
    pub(super) fn new(b: EventBudget) -> Self {
        let limit = b.per_second.max(1);
        Budget {
            limit,
            watch: limit / 2,
            start: SimTime::ZERO,
            end: SimTime::ZERO + WINDOW,
            count: 0,
            peak: 0,
            tally: None,
        }
    }

    /// Counts one event at `t`; true when the event should be tallied (the window is past
    /// half its budget), so the caller does the slower work only then.
    #[inline]
    pub(super) fn count(&mut self, t: SimTime) -> bool {
        if t >= self.end {
            self.roll(t);
        }
        self.count += 1;
        self.count > self.watch
    }

    #[cold]
    fn roll(&mut self, t: SimTime) {
        self.peak = self.peak.max(self.count);
        let k = t.as_nanos() / WINDOW.as_nanos();
        self.start = SimTime(k * WINDOW.as_nanos());
        self.end = self.start + WINDOW;
        self.count = 0;
        self.tally = None;
    }

    /// Notes what the event just counted was: its kind and the node it concerns. Returns
    /// true if it exceeds the budget.
    #[cold]
    pub(super) fn note(&mut self, kind: &'static str, node: Option<NodeId>, nodes: usize) -> bool {
        let count = self.count;
        let tally = self.tally.get_or_insert_with(|| Tally {
            from: count - 1,
            kinds: Vec::new(),
            nodes: vec![0; nodes],
        });
        match tally.kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => tally.kinds.push((kind, 1)),
        }
        if let Some(n) = node.and_then(|n| tally.nodes.get_mut(n.index())) {
            *n += 1;
        }
        self.count > self.limit
    }

    /// The most events handled in one simulated second so far.
    pub(super) fn peak(&self) -> u64 {
        self.peak.max(self.count)
    }

    /// The node that handled the most of the tallied events (lowest id on a tie).
    pub(super) fn busiest_node(&self) -> Option<NodeId> {
        let t = self.tally.as_ref()?;
        let (i, n) = t.nodes.iter().enumerate().max_by(|(i, a), (j, b)| a.cmp(b).then(j.cmp(i)))?;
        (*n > 0).then_some(NodeId(i as u32))
    }

    /// The verdict, in one line: the budget, the window, and what filled it.
    pub(super) fn verdict(&self) -> String {
        let mut text = format!(
            "event budget exceeded: more than {} events in the simulated second from {} (the limit is limits.events_per_second = {}; raise it if this load is intended)",
            self.limit, self.start, self.limit
        );
        if let Some(t) = &self.tally {
            let mut kinds = t.kinds.clone();
            kinds.sort_by(|(a, x), (b, y)| y.cmp(x).then(a.cmp(b)));
            let busiest: Vec<String> = kinds.iter().take(5).map(|(k, n)| format!("{k} {n}")).collect();
            text.push_str(&format!(
                "; busiest kinds over its last {} events: {}",
                self.count - t.from,
                busiest.join(", ")
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> SimTime {
        SimTime(n * 1_000_000)
    }

    #[test]
    fn windows_are_whole_simulated_seconds() {
        let mut b = Budget::new(EventBudget { per_second: 10 });
        for _ in 0..10 {
            assert!(!b.count(ms(999)) || !b.note("m", None, 1));
        }
        // The eleventh event of the first second is over; the next second starts afresh.
        assert!(b.count(ms(999)));
        assert!(b.note("m", None, 1));
        assert!(!b.count(ms(1000)));
        assert_eq!(b.peak(), 11);
        // A jump over empty seconds lands in the right window.
        b.count(ms(5_500));
        assert_eq!(b.start, SimTime::ZERO + SimDuration::from_secs(5));
    }

    #[test]
    fn the_tally_starts_past_half_the_budget_and_names_the_busiest() {
        let mut b = Budget::new(EventBudget { per_second: 8 });
        let events = [("Fetch", 1u32), ("Learn", 2), ("timer", 0), ("timer", 0), ("Fetch", 1), ("Learn", 2)];
        let mut over = false;
        for (i, (kind, node)) in events.iter().cycle().take(9).enumerate() {
            if b.count(ms(3)) {
                assert!(i >= 4, "nothing is tallied below half the budget");
                over = b.note(kind, Some(NodeId(*node)), 3);
            }
        }
        assert!(over);
        let v = b.verdict();
        assert!(v.contains("more than 8 events in the simulated second from 0.000s"), "{v}");
        assert!(v.contains("limits.events_per_second = 8"), "{v}");
        assert!(v.contains("busiest kinds over its last 5 events: Fetch 2, Learn 2, timer 1"), "{v}");
        assert_eq!(b.busiest_node(), Some(NodeId(1)));
    }

    #[test]
    fn a_new_window_forgets_the_old_tally() {
        let mut b = Budget::new(EventBudget { per_second: 2 });
        b.count(ms(0));
        b.count(ms(0));
        assert!(b.count(ms(0)));
        b.note("x", None, 1);
        assert!(!b.count(ms(1500)));
        assert!(b.tally.is_none());
        assert_eq!(b.busiest_node(), None);
    }
}
