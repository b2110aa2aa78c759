//! Passing a history on as it is recorded, in `history.json` order, instead of keeping it.
//!
//! Clients finish operations out of invocation order (a slow operation ends after a later,
//! faster one), but `history.json` and the incremental linearizability checker take them
//! in invocation order. A [`HistoryStream`] holds each finished operation back until no
//! client can still report one invoked earlier, then hands it to an [`OpSink`].
//!
//! Clients are closed loops: a client invokes its next operation only after the previous
//! one ended, so nothing it reports later was invoked before the moment its last operation
//! ended. The earliest such moment over the clients still running, the *watermark*, bounds
//! the invocation of every operation yet to be reported; operations invoked before it are
//! released. What is held back is therefore what ended within about one operation's
//! lifetime (at most the clients' give-up timeout), not the history. The order released
//! is by invocation time, then client, then the order the client reported them: exactly
//! the order a sort of the whole history gives.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use super::history::HistoryOp;
use crate::sim::SimTime;

/// Where released operations go, in history order.
pub trait OpSink {
    /// Receives the next operation of the history; `index` is its position in it.
    fn op(&mut self, index: usize, op: HistoryOp);
}

/// What clients report to.
pub trait OpLog {
    /// A client finished an operation (or gave up on it) at `now`.
    fn finished(&mut self, now: SimTime, op: HistoryOp);
    /// A client will start no more operations.
    fn stopped(&mut self, client: u32);
    /// A client with nothing in flight will invoke nothing before `until` (it waits for
    /// a scripted operation due then), so nothing it reports later was invoked earlier.
    fn idle(&mut self, client: u32, until: SimTime) {
        let _ = (client, until);
    }
}

/// A handle to the log every client of a run reports to (clients are nodes of one
/// single-threaded simulation, so the log is shared, not sent).
#[derive(Clone)]
pub struct HistoryLog(Rc<RefCell<dyn OpLog>>);

impl HistoryLog {
    /// A handle to `log`.
    pub fn new(log: Rc<RefCell<dyn OpLog>>) -> Self {
        HistoryLog(log)
    }

    /// A log that forgets everything (for worlds whose history nobody reads).
    pub fn discard() -> Self {
        HistoryLog(Rc::new(RefCell::new(Discard)))
    }

    /// Reports a finished operation.
    pub fn finished(&self, now: SimTime, op: HistoryOp) {
        self.0.borrow_mut().finished(now, op);
    }

    /// Reports that a client will start no more operations.
    pub fn stopped(&self, client: u32) {
        self.0.borrow_mut().stopped(client);
    }

    /// Reports that a client with nothing in flight will invoke nothing before `until`.
    pub fn idle(&self, client: u32, until: SimTime) {
        self.0.borrow_mut().idle(client, until);
    }
}

impl fmt::Debug for HistoryLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HistoryLog")
    }
}

struct Discard;

impl OpLog for Discard {
    fn finished(&mut self, _: SimTime, _: HistoryOp) {}
    fn stopped(&mut self, _: u32) {}
}

/// Reorders finished operations into history order and passes them on (see the module
/// documentation).
pub struct HistoryStream<S: OpSink> {
    sink: S,
    /// Per client: nothing it reports from now on was invoked before this (ns);
    /// `u64::MAX` once it stopped.
    floor: Vec<u64>,
    /// The least floor.
    watermark: u64,
    /// Finished operations not released yet, sorted by (invocation, client, arrival): an
    /// operation usually ends near the back, and they leave from the front.
    held: VecDeque<((u64, u32, u64), HistoryOp)>,
    arrivals: u64,
    released: usize,
    /// The most operations held back at once (for tests of the bound).
    #[cfg(test)]
    most_held: usize,
}

impl<S: OpSink> HistoryStream<S> {
    /// A stream for clients `0..clients` into `sink`.
    pub fn new(clients: u32, sink: S) -> Self {
        HistoryStream {
            sink,
            floor: vec![0; clients as usize],
            watermark: if clients == 0 { u64::MAX } else { 0 },
            held: VecDeque::new(),
            arrivals: 0,
            released: 0,
            #[cfg(test)]
            most_held: 0,
        }
    }

    /// How many finished operations the clients have reported (released or still held).
    pub fn arrived(&self) -> u64 {
        self.arrivals
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, to take results out of it.
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// The most operations held back at once.
    #[cfg(test)]
    pub fn most_held(&self) -> usize {
        self.most_held
    }

    /// Ends the history: every client has stopped; releases everything still held.
    pub fn finish(&mut self) {
        self.floor.iter_mut().for_each(|f| *f = u64::MAX);
        self.watermark = u64::MAX;
        self.release();
    }

    /// Raises client `c`'s floor to `to`.
    fn raise(&mut self, c: u32, to: u64) {
        let Some(f) = self.floor.get_mut(c as usize) else { return };
        let old = *f;
        *f = old.max(to);
        if old == self.watermark {
            self.watermark = self.floor.iter().copied().min().unwrap_or(u64::MAX);
            self.release();
        }
    }

    /// Passes on every held operation invoked before the watermark, in order.
    fn release(&mut self) {
        while self.held.front().is_some_and(|(k, _)| k.0 < self.watermark) {
            let (_, op) = self.held.pop_front().expect("checked above");
            self.sink.op(self.released, op);
            self.released += 1;
        }
    }
}

impl<S: OpSink> OpLog for HistoryStream<S> {
    fn finished(&mut self, now: SimTime, op: HistoryOp) {
        let client = op.client;
        let key = (op.invoke_ns, client, self.arrivals);
        // Keys are distinct (the arrival number is), so the place is unique.
        let at = self.held.partition_point(|(k, _)| *k < key);
        self.held.insert(at, (key, op));
        self.arrivals += 1;
        #[cfg(test)]
        {
            self.most_held = self.most_held.max(self.held.len());
        }
        self.raise(client, now.as_nanos());
    }

    fn stopped(&mut self, client: u32) {
        self.raise(client, u64::MAX);
    }

    fn idle(&mut self, client: u32, until: SimTime) {
        self.raise(client, until.as_nanos());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::history::{OpKind, OpOutcome};

    fn op(client: u32, invoke: u64, complete: u64) -> HistoryOp {
        HistoryOp {
            client,
            op: OpKind::Get,
            key: "k1".into(),
            value: None,
            expected: None,
            invoke_ns: invoke,
            complete_ns: Some(complete),
            outcome: OpOutcome::Ok,
            read: Some(None),
            applied: None,
        }
    }

    #[derive(Default)]
    struct Collect(Vec<(usize, u32, u64)>);

    impl OpSink for Collect {
        fn op(&mut self, index: usize, op: HistoryOp) {
            self.0.push((index, op.client, op.invoke_ns));
        }
    }

    #[test]
    fn operations_come_out_in_invocation_order_as_soon_as_they_can() {
        let mut s = HistoryStream::new(2, Collect::default());
        // Client 0 runs a slow operation from 10 to 100; client 1 runs fast ones.
        s.finished(SimTime(20), op(1, 5, 20));
        assert!(s.sink().0.is_empty(), "client 0 may still report something invoked before 5");
        s.finished(SimTime(40), op(1, 25, 40));
        s.finished(SimTime(100), op(0, 10, 100));
        // Client 0 ended at 100, client 1 at 40: everything invoked before 40 is out.
        assert_eq!(s.sink().0, vec![(0, 1, 5), (1, 0, 10), (2, 1, 25)]);
        s.finished(SimTime(120), op(1, 45, 120));
        assert_eq!(s.sink().0.len(), 4, "client 0 reports nothing invoked before 100 any more");
        s.finished(SimTime(130), op(0, 110, 130));
        assert_eq!(s.sink().0.last(), Some(&(4, 0, 110)));
        s.stopped(0);
        s.finished(SimTime(150), op(1, 125, 150));
        assert_eq!(
            s.sink().0.last(),
            Some(&(5, 1, 125)),
            "with client 0 stopped, client 1 alone sets the watermark"
        );
        s.finish();
        assert_eq!(s.sink().0.len(), 6);
        assert_eq!(s.most_held(), 3);
    }

    /// A scripted client waiting for its next operation holds nobody back past the time it
    /// is due; a client that never said so holds everything.
    #[test]
    fn an_idle_client_releases_the_others_up_to_when_it_is_due() {
        let mut s = HistoryStream::new(2, Collect::default());
        s.finished(SimTime(20), op(0, 5, 20));
        assert!(s.sink().0.is_empty(), "client 1 has said nothing: it might report an op invoked at 0");
        s.idle(1, SimTime(50));
        assert_eq!(s.sink().0, vec![(0, 0, 5)], "client 1 invokes nothing before 50");
        s.finished(SimTime(70), op(0, 30, 70));
        s.finished(SimTime(90), op(0, 75, 90));
        assert_eq!(s.sink().0.len(), 2, "the op invoked at 75 waits: client 1 may invoke at 50");
        assert_eq!(s.arrived(), 3);
    }

    #[test]
    fn ties_keep_the_order_of_a_stable_sort() {
        let mut s = HistoryStream::new(2, Collect::default());
        s.finished(SimTime(9), op(1, 7, 9));
        s.finished(SimTime(8), op(0, 7, 8));
        s.finish();
        assert_eq!(s.sink().0, vec![(0, 0, 7), (1, 1, 7)]);
    }
}
