//! The history as one doubly linked list of call and return events in time order — the
//! data structure of Wing & Gong's algorithm (1993) as refined by Lowe (2017).
//!
//! Linearizing an operation *lifts* its call and return events out of the list; backtracking
//! *unlifts* them back in exactly where they were, in O(1), because lifts and unlifts happen
//! in stack order. Event `2·i` is operation `i`'s call, `2·i + 1` its return; the list head
//! is a sentinel after all events.

/// No event: the end of the list.
pub(super) const NIL: u32 = u32::MAX;

/// The call/return events of one partition, linked in time order.
pub(super) struct EventList {
    next: Vec<u32>,
    prev: Vec<u32>,
    head: u32,
}

/// Operation `op`'s call event.
pub(super) fn call_event(op: u32) -> u32 {
    2 * op
}

/// The operation an event belongs to.
pub(super) fn op_of(event: u32) -> u32 {
    event / 2
}

/// True for a call event.
pub(super) fn is_call(event: u32) -> bool {
    event % 2 == 0
}

impl EventList {
    /// Links the events of operations with these call and return times. A return time of
    /// `u64::MAX` means never. At equal times calls come first, so operations that touch
    /// count as concurrent; remaining ties go by operation index, for determinism.
    pub(super) fn new(times: &[(u64, u64)]) -> Self {
        let n = times.len();
        let mut order: Vec<(u64, u8, u32)> = Vec::with_capacity(2 * n);
        for (i, &(call, ret)) in times.iter().enumerate() {
            order.push((call, 0, 2 * i as u32));
            order.push((ret.max(call), 1, 2 * i as u32 + 1));
        }
        order.sort_unstable();
        let head = 2 * n as u32;
        let mut next = vec![NIL; 2 * n + 1];
        let mut prev = vec![NIL; 2 * n + 1];
        let mut last = head;
        for &(_, _, e) in &order {
            next[last as usize] = e;
            prev[e as usize] = last;
            last = e;
        }
        EventList { next, prev, head }
    }

    /// The first event still in the list, or [`NIL`].
    pub(super) fn first(&self) -> u32 {
        self.next[self.head as usize]
    }

    /// The event after `e`, or [`NIL`].
    pub(super) fn next(&self, e: u32) -> u32 {
        self.next[e as usize]
    }

    /// Removes operation `op`'s call and return events.
    pub(super) fn lift(&mut self, op: u32) {
        let (c, r) = (2 * op as usize, 2 * op as usize + 1);
        // A call is always followed by its own return, so `next[c]` is never NIL.
        let (cp, cn) = (self.prev[c], self.next[c]);
        self.next[cp as usize] = cn;
        self.prev[cn as usize] = cp;
        let (rp, rn) = (self.prev[r], self.next[r]);
        self.next[rp as usize] = rn;
        if rn != NIL {
            self.prev[rn as usize] = rp;
        }
    }

    /// Puts operation `op`'s events back; must undo the most recent [`lift`](Self::lift).
    pub(super) fn unlift(&mut self, op: u32) {
        let (c, r) = (2 * op, 2 * op + 1);
        let (rp, rn) = (self.prev[r as usize], self.next[r as usize]);
        self.next[rp as usize] = r;
        if rn != NIL {
            self.prev[rn as usize] = r;
        }
        let (cp, cn) = (self.prev[c as usize], self.next[c as usize]);
        self.next[cp as usize] = c;
        self.prev[cn as usize] = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(l: &EventList) -> Vec<u32> {
        let mut out = Vec::new();
        let mut e = l.first();
        while e != NIL {
            out.push(e);
            e = l.next(e);
        }
        out
    }

    #[test]
    fn orders_by_time_calls_first_and_lifts_in_stack_order() {
        // op0 [0, 5], op1 [5, 9], op2 [2, never]
        let mut l = EventList::new(&[(0, 5), (5, 9), (2, u64::MAX)]);
        assert_eq!(walk(&l), vec![0, 4, 2, 1, 3, 5]);
        l.lift(0);
        assert_eq!(walk(&l), vec![4, 2, 3, 5]);
        l.lift(2);
        assert_eq!(walk(&l), vec![2, 3]);
        l.unlift(2);
        l.unlift(0);
        assert_eq!(walk(&l), vec![0, 4, 2, 1, 3, 5]);
    }
}
