//! The event queue: a priority queue with a total order on `(time, insertion sequence)`.
//!
//! Two events at the same virtual instant run in the order they were scheduled, never in
//! an order that depends on memory layout or hashing. That tie-break is what makes a run a
//! pure function of its seed.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

struct Entry<E> {
    time: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest (time, seq) is on top.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A min-queue of events ordered by `(time, insertion sequence)`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    next_urgent: u64,
}

/// Sequence numbers of ordinary events start here; urgent ones count down from below it.
const FIRST_SEQ: u64 = 1 << 63;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(1024), next_seq: FIRST_SEQ, next_urgent: FIRST_SEQ - 1 }
    }

    /// Schedules `event` at `time`; returns its sequence number (its rank among equal times).
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time: time.0, seq, event });
        seq
    }

    /// Schedules `event` at `time` ahead of every event already scheduled for that time
    /// (a node resuming from a pause handles its backlog before anything newer). Successive
    /// urgent pushes at one time run in *reverse* push order, so push a batch backwards.
    pub fn push_urgent(&mut self, time: SimTime, event: E) {
        let seq = self.next_urgent;
        self.next_urgent -= 1;
        self.heap.push(Entry { time: time.0, seq, event });
    }

    /// Removes and returns the earliest event, if its time is at most `limit`.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        if self.heap.peek()?.time > limit.0 {
            return None;
        }
        self.heap.pop().map(|e| (SimTime(e.time), e.event))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime(e.time))
    }

    /// Number of scheduled events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True if nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Removes every event for which `keep` returns false (used when a node crashes).
    pub fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.heap.retain(|e| keep(&e.event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_then_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), "c");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "d");
        q.push(SimTime(1), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop_until(SimTime::MAX).map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    #[test]
    fn urgent_events_jump_the_queue_at_their_time() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), "late");
        q.push(SimTime(1), "early");
        for e in ["u1", "u2"].iter().rev() {
            q.push_urgent(SimTime(5), *e);
        }
        let order: Vec<_> = std::iter::from_fn(|| q.pop_until(SimTime::MAX).map(|(_, e)| e)).collect();
        assert_eq!(order, ["early", "u1", "u2", "late"]);
    }

    #[test]
    fn pop_until_respects_the_limit() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), 1);
        assert!(q.pop_until(SimTime(9)).is_none());
        assert_eq!(q.pop_until(SimTime(10)), Some((SimTime(10), 1)));
    }
}
