//! The event queue: a priority queue with a total order on `(time, insertion sequence)`.
//!
//! Two events at the same virtual instant run in the order they were scheduled, never in
//! an order that depends on memory layout or hashing. That tie-break is what makes a run a
//! pure function of its seed.
//!
//! The heap holds small fixed-size entries (time, sequence, slot: 24 bytes) and the events
//! themselves wait in a slab of reused slots: a heap operation moves `log n` entries, and
//! moving a whole event (a protocol message with its fields, often a hundred bytes or more)
//! each time cost a fifth of a 201-server Raft run (issue 21). The heap is 4-ary: half as
//! deep as a binary one, and the four children of a node share a cache line or two, which
//! suits a queue of tens of thousands of pending events.
//!
//! A caller may take a sequence number now and schedule under it later
//! ([`EventQueue::reserve_seq`], [`EventQueue::push_at`]): the world arms a timer that way,
//! so a timer re-armed many times keeps one queued wake-up and still fires in the place its
//! last arming gave it.

use super::time::SimTime;

/// A scheduled event's place in the heap; the event is in `slot` of the slab.
#[derive(Copy, Clone)]
struct Entry {
    time: u64,
    seq: u64,
    slot: u32,
}

impl Entry {
    /// True if this entry comes first: earlier time, or the same time and a lower
    /// sequence number. Written without branches: the heap's comparisons are
    /// unpredictable, and a mispredicted branch costs more than the comparison.
    #[inline(always)]
    fn before(&self, other: &Entry) -> bool {
        // One 128-bit comparison (a compare and a subtract-with-borrow), the same order as
        // comparing the time and then the sequence number.
        self.key() < other.key()
    }

    /// Time and sequence number as one number, ordered as the pair is.
    #[inline(always)]
    fn key(&self) -> u128 {
        ((self.time as u128) << 64) | self.seq as u128
    }
}

/// Children per node of the heap.
const ARITY: usize = 4;

/// A min-queue of events ordered by `(time, insertion sequence)`.
pub struct EventQueue<E> {
    /// A 4-ary min-heap on `(time, seq)`: the children of `i` are `4i + 1 ..= 4i + 4`.
    heap: Vec<Entry>,
    /// The events, each in the slot its heap entry names (`None`: a free slot).
    slots: Vec<Option<E>>,
    /// Free slots, reused last-freed first.
    free: Vec<u32>,
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
        EventQueue {
            heap: Vec::with_capacity(1024),
            slots: Vec::with_capacity(1024),
            free: Vec::new(),
            next_seq: FIRST_SEQ,
            next_urgent: FIRST_SEQ - 1,
        }
    }

    /// Puts `event` in a free slot; returns the slot.
    #[inline]
    fn store(&mut self, event: E) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(event);
                i
            }
            None => {
                self.slots.push(Some(event));
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// Schedules `event` at `time`; returns its sequence number (its rank among equal times).
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = self.store(event);
        self.insert(Entry { time: time.0, seq, slot });
        seq
    }

    /// Takes the next sequence number without scheduling anything: an event pushed later
    /// with it ([`EventQueue::push_at`]) ranks among equal times as if pushed now.
    #[inline]
    pub fn reserve_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Schedules `event` at `time` under a sequence number from [`EventQueue::reserve_seq`]
    /// (not one in use). `(time, seq)` must not come before the last event popped.
    #[inline]
    pub fn push_at(&mut self, time: SimTime, seq: u64, event: E) {
        let slot = self.store(event);
        self.insert(Entry { time: time.0, seq, slot });
    }

    /// Adds `e` to the heap.
    #[inline]
    fn insert(&mut self, e: Entry) {
        self.heap.push(e);
        self.sift_up(self.heap.len() - 1, e);
    }

    /// Puts `e` at position `i` (a hole) and moves it up to where the heap order holds.
    #[inline]
    fn sift_up(&mut self, mut i: usize, e: Entry) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if !e.before(&self.heap[parent]) {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = e;
    }

    /// The smallest of the children starting at `first` (which must exist) in a heap of
    /// `n` entries. All four present: a branch-free tournament; fewer (the last parent):
    /// a scan. Keys are unique, so either way it is the one minimum.
    #[inline(always)]
    fn min_child(&self, first: usize, n: usize) -> usize {
        let h = &self.heap;
        if first + ARITY <= n {
            let a = if h[first + 1].before(&h[first]) { first + 1 } else { first };
            let b = if h[first + 3].before(&h[first + 2]) { first + 3 } else { first + 2 };
            if h[b].before(&h[a]) { b } else { a }
        } else {
            (first + 1..n).fold(first, |m, c| if h[c].before(&h[m]) { c } else { m })
        }
    }

    /// Puts `e` at position `i` and moves it down to where the heap order holds.
    #[inline]
    fn sift_down(&mut self, mut i: usize, e: Entry) {
        let n = self.heap.len();
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let m = self.min_child(first, n);
            if !self.heap[m].before(&e) {
                break;
            }
            self.heap[i] = self.heap[m];
            i = m;
        }
        self.heap[i] = e;
    }

    /// Removes the heap's first entry.
    ///
    /// Bottom-up: the hole left at the root sinks along the smallest children to a leaf,
    /// and the heap's last entry then rises from there. The last entry is among the
    /// latest, so it rarely rises far; this saves the comparison with it at every level
    /// on the way down (Wegener's bottom-up heapsort).
    #[inline]
    fn remove_first(&mut self) -> Option<Entry> {
        let last = self.heap.pop()?;
        let Some(&first) = self.heap.first() else {
            return Some(last);
        };
        let n = self.heap.len();
        let mut i = 0;
        while ARITY * i + 1 < n {
            let m = self.min_child(ARITY * i + 1, n);
            self.heap[i] = self.heap[m];
            i = m;
        }
        self.sift_up(i, last);
        Some(first)
    }

    /// Schedules `event` at `time` ahead of every event already scheduled for that time
    /// (a node resuming from a pause handles its backlog before anything newer). Successive
    /// urgent pushes at one time run in *reverse* push order, so push a batch backwards.
    pub fn push_urgent(&mut self, time: SimTime, event: E) {
        let seq = self.next_urgent;
        self.next_urgent -= 1;
        let slot = self.store(event);
        self.insert(Entry { time: time.0, seq, slot });
    }

    /// Removes and returns the earliest event, if its time is at most `limit`.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        self.pop_ranked(limit).map(|(t, _, e)| (t, e))
    }

    /// Like [`EventQueue::pop_until`], with the event's sequence number.
    #[inline]
    pub fn pop_ranked(&mut self, limit: SimTime) -> Option<(SimTime, u64, E)> {
        if self.heap.first()?.time > limit.0 {
            return None;
        }
        let e = self.remove_first()?;
        let event = self.slots[e.slot as usize].take().expect("a scheduled event is in its slot");
        self.free.push(e.slot);
        Some((SimTime(e.time), e.seq, event))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(|e| SimTime(e.time))
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
        let (slots, free) = (&mut self.slots, &mut self.free);
        self.heap.retain(|e| {
            let i = e.slot as usize;
            if slots[i].as_ref().is_some_and(&mut keep) {
                return true;
            }
            slots[i] = None;
            free.push(e.slot);
            false
        });
        // Restore the heap order bottom-up.
        for i in (0..self.heap.len() / ARITY + 1).rev() {
            if let Some(&e) = self.heap.get(i) {
                self.sift_down(i, e);
            }
        }
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

    /// Many events at random times, some at equal times, some removed: they come out in
    /// `(time, insertion order)` order, exactly as a sort would put them.
    #[test]
    fn the_heap_pops_in_total_order_after_pushes_and_removals() {
        let mut q = EventQueue::new();
        let mut expect = Vec::new();
        let mut x: u64 = 12345;
        for i in 0..5000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let t = (x >> 40) % 300;
            q.push(SimTime(t), i);
            expect.push((t, i));
            if i % 7 == 3 {
                // Interleave pops with pushes, as a run does.
                let (pt, pe) = q.pop_until(SimTime::MAX).expect("not empty");
                expect.sort();
                assert_eq!((pt.0, pe), expect.remove(0));
            }
        }
        q.retain(|e| e % 5 != 0);
        expect.retain(|(_, e)| e % 5 != 0);
        expect.sort();
        let got: Vec<_> = std::iter::from_fn(|| q.pop_until(SimTime::MAX).map(|(t, e)| (t.0, e))).collect();
        assert_eq!(got, expect);
        assert!(q.is_empty());
    }

    /// An event pushed under a reserved number runs where a push at reservation time would
    /// have put it, before events pushed after the reservation at the same time.
    #[test]
    fn a_reserved_sequence_number_keeps_its_rank() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), "first");
        let seq = q.reserve_seq();
        q.push(SimTime(5), "third");
        q.push(SimTime(1), "early");
        q.push_at(SimTime(5), seq, "second");
        let got: Vec<_> = std::iter::from_fn(|| q.pop_ranked(SimTime::MAX).map(|(_, s, e)| (s, e))).collect();
        let order: Vec<_> = got.iter().map(|(_, e)| *e).collect();
        assert_eq!(order, ["early", "first", "second", "third"]);
        assert_eq!(got[2].0, seq);
    }

    #[test]
    fn pop_until_respects_the_limit() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), 1);
        assert!(q.pop_until(SimTime(9)).is_none());
        assert_eq!(q.pop_until(SimTime(10)), Some((SimTime(10), 1)));
    }
}
