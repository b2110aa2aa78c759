//! Ballots: the totally ordered proposal numbers of Paxos (*Paxos Made Simple* §2.2).
//!
//! A ballot is a pair `(round, proposer)`, compared by round and then by proposer, so two
//! proposers can never issue the same ballot. Lamport adds that "different proposers choose
//! their numbers from disjoint sets of numbers" (§2.3): here the proposer at position `k`
//! (of `n` servers) only uses rounds `r` with `r mod n = (k + 1) mod n`. The round alone
//! then names the ballot, which is what lets the round serve as the *term* of
//! observations: one leader per term is Paxos's one proposer per ballot, checked by the
//! same election-safety check as Raft. The proposer part of the pair stays, as the
//! tie-breaker the order is defined by and as the leader hint it gives for free.

use std::fmt;

use crate::wire::{Reader, Writer};
use eightfold_sim::sim::{NodeId, Term};

/// The round of a ballot: what orders ballots first, and what observations announce as the
/// term.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Round(pub u64);

impl fmt::Display for Round {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A Paxos ballot: `(round, proposer)`, ordered lexicographically.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Ballot {
    /// The round (0 only for [`Ballot::ZERO`], which precedes every real ballot).
    pub round: Round,
    /// The proposer that owns the ballot.
    pub node: NodeId,
}

impl Ballot {
    /// The ballot below every real one: what an acceptor has promised before any Prepare.
    pub const ZERO: Ballot = Ballot { round: Round(0), node: NodeId(0) };

    /// Bytes of the encoding.
    pub const ENCODED_LEN: u32 = 12;

    /// The term this ballot is announced as (its round).
    #[inline]
    pub fn term(self) -> Term {
        Term(self.round.0)
    }

    /// The lowest ballot of proposer `me` (at position `k` of `n` servers) whose round is
    /// above `above`.
    pub fn next_for(me: NodeId, k: usize, n: usize, above: Round) -> Ballot {
        let n = n.max(1) as u64;
        let class = (k as u64 + 1) % n;
        let first = above.0.saturating_add(1);
        let round = first + (class + n - first % n) % n;
        Ballot { round: Round(round), node: me }
    }

    /// Appends the stable encoding.
    pub fn encode(self, w: &mut Writer<'_>) {
        w.u64(self.round.0).u32(self.node.0);
    }

    /// Decodes a ballot.
    pub fn decode(r: &mut Reader<'_>) -> Option<Ballot> {
        Some(Ballot { round: Round(r.u64()?), node: NodeId(r.u32()?) })
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballots_order_by_round_then_proposer() {
        let b = |r, n| Ballot { round: Round(r), node: NodeId(n) };
        assert!(b(1, 2) < b(2, 0));
        assert!(b(2, 0) < b(2, 1));
        assert!(Ballot::ZERO < b(1, 0));
    }

    #[test]
    fn proposers_draw_rounds_from_disjoint_classes() {
        let n = 3;
        let mut seen = std::collections::BTreeSet::new();
        for k in 0..n {
            let mut above = Round(0);
            for _ in 0..20 {
                let b = Ballot::next_for(NodeId(k as u32), k, n, above);
                assert!(b.round > above);
                assert_eq!(b.round.0 % n as u64, (k as u64 + 1) % n as u64);
                assert!(seen.insert(b.round), "round {} issued twice", b.round);
                above = b.round;
            }
        }
        // The next round is the smallest one of the class above the bound.
        assert_eq!(Ballot::next_for(NodeId(0), 0, 3, Round(0)).round, Round(1));
        assert_eq!(Ballot::next_for(NodeId(0), 0, 3, Round(1)).round, Round(4));
        assert_eq!(Ballot::next_for(NodeId(2), 2, 3, Round(1)).round, Round(3));
        assert_eq!(Ballot::next_for(NodeId(1), 1, 3, Round(7)).round, Round(8));
        assert_eq!(Ballot::next_for(NodeId(0), 0, 1, Round(7)).round, Round(8));
    }
}
