//! Named bugs: deliberate, switchable departures from Multi-Paxos, so the checkers can be
//! shown catching what each rule of the algorithm prevents.
//!
//! Every flag is `false` by default. Each one really produces the misbehaviour it names —
//! the unit tests in `tests/bugs.rs` drive a small cluster into the situation and show the
//! violation (two different values chosen for one slot, a stale read).

use crate::bugs::NamedBugs;

/// Switchable departures from the algorithm (all off by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PaxosBugs {
    /// An acceptor accepts a proposal whose ballot is lower than the one it promised
    /// (*Paxos Made Simple* §2.2, P1a: "an acceptor can accept a proposal numbered n iff it
    /// has not responded to a prepare request having a number greater than n"). A deposed
    /// leader's proposal can then be chosen at a slot that the new leader, having seen it
    /// empty in phase 1, fills with another value: two values chosen for one slot.
    pub no_promise_check: bool,
    /// A new leader proposes a no-op in every slot after phase 1 instead of the value with
    /// the highest ballot its promises reported (P2c, §2.2). A value already chosen — and
    /// perhaps applied and acknowledged — is replaced by another one.
    pub ignore_accepted: bool,
    /// Promises to other proposers are never written to stable storage, and the Promise is
    /// sent without waiting for an fsync. An acceptor that crashes and restarts has
    /// forgotten its promise and accepts a lower ballot's proposal: the same split as
    /// `no_promise_check`, reached through a crash.
    pub forget_promise: bool,
    /// The leader answers `get` requests from its own state machine at once instead of
    /// putting them through the log. A leader that was deposed without noticing (cut off
    /// from the others while a new leader committed writes) serves stale values: reads are
    /// not linearizable.
    pub stale_leader_reads: bool,
}

impl PaxosBugs {
    /// No bug enabled.
    pub const NONE: PaxosBugs = PaxosBugs {
        no_promise_check: false,
        ignore_accepted: false,
        forget_promise: false,
        stale_leader_reads: false,
    };
}

impl NamedBugs for PaxosBugs {
    /// The names of the enabled bugs, for the parameter listing.
    fn enabled(&self) -> Vec<&'static str> {
        let flags = [
            (self.no_promise_check, "no_promise_check"),
            (self.ignore_accepted, "ignore_accepted"),
            (self.forget_promise, "forget_promise"),
            (self.stale_leader_reads, "stale_leader_reads"),
        ];
        flags.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect()
    }

    /// Switches a bug on or off by name (a `bug` fault deploying, or taking back, a build
    /// with it); `false` if the name is unknown.
    fn set(&mut self, name: &str, on: bool) -> bool {
        let flag = match name {
            "no_promise_check" => &mut self.no_promise_check,
            "ignore_accepted" => &mut self.ignore_accepted,
            "forget_promise" => &mut self.forget_promise,
            "stale_leader_reads" => &mut self.stale_leader_reads,
            _ => return false,
        };
        *flag = on;
        true
    }
}
