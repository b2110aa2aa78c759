//! Multi-Paxos (Lamport, *Paxos Made Simple*, 2001; van Renesse & Altinbuken, *Paxos Made
//! Moderately Complex*, 2015), sans-IO.
//!
//! A [`PaxosNode`] decides a sequence of slots, each holding a
//! [`crate::kv::ClientRequest`] (or a no-op), and applies them in order to a
//! [`crate::kv::KvStore`] — the same replicated-log interface as Raft, so the same
//! workloads, faults and checks run on both. A distinguished proposer (the leader) runs
//! phase 1 once for all slots it does not know decided, then phase 2 per slot, pipelined.
//!
//! The rule that makes it safe (§2.2, P2c): a proposer of ballot `b` proposes, in every
//! slot, the value accepted in the highest ballot below `b` by some majority it heard from
//! in phase 1 — so once a value is chosen, every higher ballot proposes it again. Acceptors
//! keep their promises and acceptances on disk (§2.3) and answer only once they are
//! durable.
//!
//! Modules, one rule each:
//! - [`ballot`]: ballots `(round, proposer)`, rounds drawn from disjoint classes;
//! - [`config`]: settings ([`PaxosConfig`]); [`bugs`]: named, switchable bugs;
//! - [`msg`]: the messages ([`PaxosMsg`]) with honest wire sizes and a total decoder;
//! - [`storage`]: the WAL and snapshot files and crash recovery;
//! - `node`: the server, its handlers and the persist-before-answering pipeline;
//! - `acceptor`: Prepare, Accept and Heartbeat on the acceptor side (P1a, §2.3);
//! - `proposer`: phase 1, choosing what to propose, phase 2, leadership, clients (§2.4, §3);
//! - `learner`: the decided prefix, catching up, applying, compaction (§2.3, §3).
//!
//! # Driving a node
//!
//! A [`PaxosNode`] is a [`eightfold_sim::sim::Node`]: the kernel (through the runner's node enum)
//! calls its handlers, and it opens each host message ([`crate::host::Host`]) into
//! [`PaxosNode::on_peer`] (a [`PaxosMsg`]) or [`PaxosNode::on_client`] (a client request).
//! Servers are built — and rebuilt after a crash — with [`PaxosNode::recover`]. Timers:
//! [`PaxosTimer`]. Files: [`WAL`] and [`SNAPSHOT`] (formats in [`storage`]).
//!
//! # Observations, and why they fit the consensus invariant checker
//!
//! A slot is a log index and a ballot's round is a term (rounds are unique per proposer,
//! see [`ballot`]). The checker's rules then read as Paxos properties:
//! - `Role{Leader, round}` is announced once a leader is *established* — its first no-op
//!   and every slot below it decided — not at the end of phase 1: only then does its
//!   decided prefix hold every value chosen before its ballot, which is what leader
//!   completeness asks of a leader. `Candidate` is announced from phase 1 until then,
//!   `Follower` otherwise; the term is always the round of the promised ballot. Election
//!   safety is then "one leader per ballot".
//! - `Appended{slot, term, chain}` is announced for **decided** slots only, in order, with
//!   `term` the round that first proposed the value and `chain` the hash of the decided
//!   prefix ending there. Acceptances are not `Appended`: two acceptors may hold different
//!   values at one slot without anything being wrong, and a hash over undecided slots would
//!   make log matching fail on healthy runs. Over decided prefixes the checks are sound: any
//!   two decided prefixes are equal where they overlap unless Paxos is broken.
//! - `Accepted{first, last, round}` when an acceptor (the leader's own included) accepts
//!   values, and at start for the acceptances it recovered. The invariant checker ignores
//!   it; the flight recorder shows with it how far each acceptor's log reaches, so that a
//!   slot decided by a majority of acceptances is seen held by that majority.
//! - `Committed{end of the decided prefix}` right after the `Appended` it covers, then
//!   `Applied` for every slot applied: state-machine safety becomes "no two servers apply
//!   different values at one slot". A leader extends its decided prefix only in steps that
//!   end on a value of its own ballot (its no-op, or a client command), so every commit
//!   point first announced anywhere carries the announcing leader's round, as it does in
//!   Raft: the checker's "a later leader holds every newly committed entry" stays true.
//! - `Snapshot` when the decided prefix is compacted or installed; `Rejected` for
//!   `disk-corrupt` and `implausible` messages. No `Voted`, `Truncated` or `Membership`
//!   (Paxos has no votes to count per term, never discards decided slots, and runs on a
//!   fixed configuration).
//!
//! - `Promised { round, proposer }`, a view for the report (kept out of the trace, its
//!   digest and the checks): the acceptor's promise, each time it rises.
//!
//! At start a server re-announces its role, its promise, its snapshot, its recovered
//! decided prefix (`Appended`, `Committed`, `Applied`) and its recovered acceptances
//! (`Accepted`).

mod acceptor;
pub mod ballot;
pub mod bugs;
pub mod config;
mod learner;
pub mod msg;
mod node;
mod proposer;
pub mod storage;

#[cfg(test)]
pub(crate) mod tests;

pub use ballot::{Ballot, Round};
pub use bugs::PaxosBugs;
pub use config::PaxosConfig;
pub use msg::{AcceptedSlot, PaxosMsg};
pub use node::{PaxosAdmin, PaxosHost, PaxosNode, PaxosTimer};
pub use storage::{AcceptedValue, SNAPSHOT, WAL};
