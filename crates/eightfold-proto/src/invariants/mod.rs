//! Consensus safety invariants, checked on every observation as the run goes (Raft paper
//! §5.2–5.4, Figure 3):
//!
//! - **Election safety**: at most one leader per term.
//! - **Log matching**: if two logs contain an entry with the same index and term, the logs
//!   are identical up to that index. Nodes announce each appended entry with a *chain hash*
//!   of their whole prefix, so this is one comparison per entry.
//! - **Leader completeness**: a leader's log contains every entry committed before it
//!   became leader (checked at election, and again when a commit becomes known).
//! - **State-machine safety**: no two nodes apply different commands at the same index, a
//!   node never applies an entry it does not know is committed, and a committed entry is
//!   never truncated.
//! - **Current-term commitment** (§5.4.2, Figure 8): a leader advances its commit index only
//!   to an entry of its own term; older entries are committed underneath one. A leader
//!   that counts replicas of an old entry breaks nothing at once, but a later leader can
//!   overwrite what it called committed; this family catches the rule broken on the run
//!   where it is broken, not only on the rare run where the overwrite follows.
//!
//! The first violation stops the run (the kernel halts on an observer's `Err`), so the
//! report points at the exact moment and node. Memory stays bounded: each node's log view
//! keeps only its uncommitted suffix, and the shared maps are pruned below the lowest
//! snapshot every server has taken.

use std::collections::BTreeMap;

use crate::index_table::IndexTable;
use eightfold_sim::sim::{LogIndex, NodeId, Observation, Role, SimTime, Term};
use eightfold_sim::world::{Lifecycle, Observer};

/// A family of rules the checker can hold a protocol's servers to. A protocol declares the
/// families that apply to it (a leaderless store declares none: nothing it reports is
/// ordered); the checker judges only those.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Invariant {
    /// At most one leader per term (from [`Observation::Role`]; Raft §5.2).
    ElectionSafety,
    /// Equal (index, term) means equal log prefixes (from [`Observation::Appended`]'s chain
    /// hash; Raft §5.3).
    LogMatching,
    /// A leader holds every entry committed before its term (Raft §5.4).
    LeaderCompleteness,
    /// No two servers commit or apply different commands at one index, none applies what it
    /// does not know committed, and nothing committed is overwritten or truncated
    /// ([`Observation::Committed`], [`Observation::Applied`], [`Observation::Truncated`]).
    StateMachineSafety,
    /// Multi-Paxos's name for the committed half of state-machine safety: one value chosen
    /// per slot, never lost (the same checks, for a protocol that declares only it).
    OneValuePerSlot,
    /// A leader's commit index advances only to an entry of its own term (from
    /// [`Observation::Committed`] of a node whose last [`Observation::Role`] is leader;
    /// Raft §5.4.2).
    CurrentTermCommit,
}

impl Invariant {
    /// Every family.
    pub const ALL: [Invariant; 6] = [
        Invariant::ElectionSafety,
        Invariant::LogMatching,
        Invariant::LeaderCompleteness,
        Invariant::StateMachineSafety,
        Invariant::OneValuePerSlot,
        Invariant::CurrentTermCommit,
    ];

    /// The family in words.
    pub fn words(self) -> &'static str {
        match self {
            Invariant::ElectionSafety => "election safety",
            Invariant::LogMatching => "log matching",
            Invariant::LeaderCompleteness => "leader completeness",
            Invariant::StateMachineSafety => "state-machine safety",
            Invariant::OneValuePerSlot => "one value per slot",
            Invariant::CurrentTermCommit => "current-term commitment",
        }
    }
}

/// Which families a checker judges.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Families {
    election: bool,
    matching: bool,
    completeness: bool,
    state_machine: bool,
    current_term_commit: bool,
}

impl Families {
    fn of(families: &[Invariant]) -> Families {
        let has = |f: Invariant| families.contains(&f);
        Families {
            election: has(Invariant::ElectionSafety),
            matching: has(Invariant::LogMatching),
            completeness: has(Invariant::LeaderCompleteness),
            state_machine: has(Invariant::StateMachineSafety) || has(Invariant::OneValuePerSlot),
            current_term_commit: has(Invariant::CurrentTermCommit),
        }
    }
}

/// A node's log as the checker sees it: entries by index, kept sorted in a vector.
///
/// A node appends at its end, truncates its end and, as it commits, drops its front, so a
/// sorted vector does each of those in place; a `BTreeMap` allocated a new tree at every
/// commit (`split_off`) and searched a tree for every entry appended (issue 21).
#[derive(Clone, Debug, Default)]
struct LogView {
    /// (index, (term, chain)), ascending by index.
    entries: Vec<(u64, (Term, u64))>,
}

impl LogView {
    /// Where index `i` is, or would go.
    fn find(&self, i: u64) -> Result<usize, usize> {
        match self.entries.last() {
            Some(&(last, _)) if last < i => Err(self.entries.len()),
            _ => self.entries.binary_search_by_key(&i, |e| e.0),
        }
    }

    /// The entry at index `i`.
    fn get(&self, i: u64) -> Option<&(Term, u64)> {
        self.find(i).ok().map(|k| &self.entries[k].1)
    }

    /// Records the entry at index `i`, replacing what was there.
    fn insert(&mut self, i: u64, e: (Term, u64)) {
        match self.find(i) {
            Ok(k) => self.entries[k].1 = e,
            Err(k) => self.entries.insert(k, (i, e)),
        }
    }

    /// Forgets the entries from index `i` on.
    fn truncate_from(&mut self, i: u64) {
        let k = self.find(i).unwrap_or_else(|k| k);
        self.entries.truncate(k);
    }

    /// Forgets the entries below index `i`.
    fn keep_from(&mut self, i: u64) {
        let k = self.find(i).unwrap_or_else(|k| k);
        self.entries.drain(..k);
    }

    /// The highest index held.
    fn last_index(&self) -> Option<u64> {
        self.entries.last().map(|e| e.0)
    }
}

/// The chain hash of the entry of each (index, term) any server announced, for log
/// matching. Servers nearly always agree on an index's term, so the first term seen at an
/// index is held by index and only the others (a minority's overwritten entries) by
/// (index, term).
#[derive(Clone, Debug, Default)]
struct Chains {
    /// index → (the first term seen there, its chain).
    first: IndexTable<(Term, u64)>,
    /// (index, term) → chain, for the other terms seen at an index.
    others: BTreeMap<(u64, Term), u64>,
}

impl Chains {
    /// The chain known for (`i`, `term`), recording `chain` for it if none was.
    fn chain(&mut self, i: u64, term: Term, chain: u64) -> u64 {
        let &mut (t, c) = self.first.get_or_insert_with(i, || (term, chain));
        if t == term { c } else { *self.others.entry((i, term)).or_insert(chain) }
    }

    /// Forgets every index below `low`.
    fn keep_from(&mut self, low: u64) {
        self.first.keep_from(low);
        self.others = self.others.split_off(&(low, Term(0)));
    }
}

/// What the checker knows about one node.
#[derive(Clone, Debug, Default)]
struct NodeView {
    /// Entries above (and at) the node's commit index.
    log: LogView,
    /// Highest index the node knows committed.
    commit: u64,
    /// The node's current role and term.
    role: Option<(Role, Term)>,
    /// The node's latest snapshot index.
    snapshot: u64,
}

/// The consensus invariant checker.
#[derive(Debug)]
pub struct Invariants {
    servers: usize,
    nodes: Vec<NodeView>,
    /// term → leader.
    leaders: BTreeMap<Term, NodeId>,
    /// (index, term) → chain hash, for log matching.
    entries: Chains,
    /// index → (entry term, chain, term in which it was first known committed) of
    /// committed entries.
    committed: IndexTable<(Term, u64, Term)>,
    /// Highest committed index known anywhere.
    max_commit: u64,
    /// index → (term, command hash) of applied entries.
    applied: IndexTable<(Term, u64)>,
    /// Entries below this index have been pruned from the shared maps.
    pruned_below: u64,
    /// Counters for the report.
    stats: InvariantStats,
    /// The families judged.
    families: Families,
}

/// What the checker saw, for `outcome.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvariantStats {
    /// Leaders elected (distinct terms with a leader).
    pub leaders: u64,
    /// Highest term seen.
    pub max_term: u64,
    /// Highest committed index.
    pub committed: u64,
    /// Observations checked.
    pub observations: u64,
}

impl Invariants {
    /// A checker of every family for servers `0..servers` (other nodes' observations are
    /// ignored).
    pub fn new(servers: usize) -> Self {
        Self::of(servers, &Invariant::ALL)
    }

    /// A checker of `families` only, for servers `0..servers`: what a protocol declared.
    pub fn of(servers: usize, families: &[Invariant]) -> Self {
        Invariants {
            families: Families::of(families),
            servers,
            nodes: vec![NodeView::default(); servers],
            leaders: BTreeMap::new(),
            entries: Chains::default(),
            committed: IndexTable::default(),
            max_commit: 0,
            applied: IndexTable::default(),
            pruned_below: 0,
            stats: InvariantStats::default(),
        }
    }

    /// Counters for the report.
    pub fn stats(&self) -> InvariantStats {
        let mut s = self.stats;
        s.committed = self.max_commit;
        s.leaders = self.leaders.len() as u64;
        s
    }

    /// Checks that `node`, leader of `term`, holds every entry committed in an earlier term
    /// (Leader Completeness, §5.4): it is enough to check the highest such index, since
    /// equal chain hashes mean equal prefixes. Entries committed in `term` or later need
    /// not be there: a server can legitimately win an old term late (a paused candidate
    /// resuming to a burst of old votes) after a newer term committed more.
    fn check_completeness(&self, node: NodeId, term: Term) -> Result<(), String> {
        if !self.families.completeness {
            return Ok(());
        }
        let view = &self.nodes[node.index()];
        let Some((c, &(ct, cchain, _))) = self.committed.iter_rev().find(|(_, e)| e.2 < term) else {
            return Ok(());
        };
        if view.commit >= c || view.snapshot >= c {
            return Ok(());
        }
        match view.log.get(c) {
            Some(&(_, chain)) if chain == cchain => Ok(()),
            Some(&(t, _)) => Err(format!(
                "leader completeness: {node} leads term {term} but its entry at committed index {c} (term {t}) differs from the committed one (term {ct})"
            )),
            None => Err(format!(
                "leader completeness: {node} leads term {term} but lacks committed index {c} (term {ct}); its log ends at {}",
                view.log.last_index().unwrap_or(view.commit)
            )),
        }
    }

    fn commit(&mut self, node: NodeId, index: u64) -> Result<(), String> {
        let from = self.nodes[node.index()].commit.max(self.pruned_below);
        let reporter_term = self.nodes[node.index()].role.map_or(Term(0), |r| r.1);
        if self.families.current_term_commit
            && let Some((Role::Leader, term)) = self.nodes[node.index()].role
            && index > self.nodes[node.index()].commit
            && let Some(&(t, _)) = self.nodes[node.index()].log.get(index)
            && t != term
        {
            return Err(format!(
                "current-term commitment: {node}, leader of term {term}, committed index {index} of term {t} by counting its replicas; a leader may commit by counting only an entry of its own term, older ones underneath it (Raft §5.4.2, Figure 8)"
            ));
        }
        for i in from + 1..=index {
            let view = &self.nodes[node.index()];
            let Some(&(t, chain)) = view.log.get(i) else {
                if i <= view.snapshot {
                    continue;
                }
                if !self.families.state_machine {
                    continue;
                }
                return Err(format!("{node} says index {i} is committed but has no entry there"));
            };
            let &mut (ct, cchain, _) = self.committed.get_or_insert_with(i, || (t, chain, reporter_term));
            if cchain != chain && self.families.state_machine {
                return Err(format!(
                    "state-machine safety: {node} committed index {i} of term {t}, but an entry of term {ct} was already committed there"
                ));
            }
        }
        let view = &mut self.nodes[node.index()];
        if index > view.commit {
            view.commit = index;
            // Keep the entry at the commit index (later commits compare against it).
            view.log.keep_from(index);
        }
        if index > self.max_commit {
            self.max_commit = index;
            // A leader of a later term must hold the newly committed entry too.
            let committed_in = self.committed.get(index).map(|c| c.2).unwrap_or_default();
            for (i, v) in self.nodes.iter().enumerate() {
                if let Some((Role::Leader, t)) = v.role {
                    if t > committed_in {
                        self.check_completeness(NodeId(i as u32), t)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn prune(&mut self) {
        let low = self.nodes.iter().map(|v| v.snapshot).min().unwrap_or(0);
        if low > self.pruned_below + 1024 {
            self.entries.keep_from(low);
            self.committed.keep_from(low);
            self.applied.keep_from(low);
            self.pruned_below = low;
        }
    }
}

impl Observer for Invariants {
    fn observe(&mut self, _now: SimTime, node: NodeId, obs: &Observation) -> Result<(), String> {
        if node.index() >= self.servers {
            return Ok(());
        }
        self.stats.observations += 1;
        match *obs {
            Observation::Role { role, term } => {
                self.stats.max_term = self.stats.max_term.max(term.0);
                self.nodes[node.index()].role = Some((role, term));
                if role == Role::Leader {
                    if let Some(&other) = self.leaders.get(&term) {
                        if other != node && self.families.election {
                            return Err(format!(
                                "election safety: {node} and {other} are both leader of term {term}"
                            ));
                        }
                    }
                    self.leaders.insert(term, node);
                    self.check_completeness(node, term)?;
                }
            }
            Observation::Appended { index: LogIndex(i), term, chain } => {
                let view = &mut self.nodes[node.index()];
                if self.families.state_machine
                    && i <= view.commit
                    && view.log.get(i).is_some_and(|&(_, c)| c != chain)
                {
                    return Err(format!("state-machine safety: {node} overwrote committed index {i}"));
                }
                view.log.insert(i, (term, chain));
                if i >= self.pruned_below {
                    let c = self.entries.chain(i, term, chain);
                    if c != chain && self.families.matching {
                        return Err(format!(
                            "log matching: {node} has an entry of term {term} at index {i} whose preceding log differs from another node's entry at the same index and term"
                        ));
                    }
                }
            }
            Observation::Truncated { from: LogIndex(from) } => {
                let view = &mut self.nodes[node.index()];
                if from <= view.commit && self.families.state_machine {
                    return Err(format!(
                        "state-machine safety: {node} truncated its log from index {from}, but index {} is committed",
                        view.commit
                    ));
                }
                view.log.truncate_from(from);
            }
            Observation::Committed { index: LogIndex(c) } => self.commit(node, c)?,
            Observation::Applied { index: LogIndex(i), term, command } => {
                let view = &self.nodes[node.index()];
                if i > view.commit && self.families.state_machine {
                    return Err(format!(
                        "{node} applied index {i} before knowing it committed (commit index {})",
                        view.commit
                    ));
                }
                if i >= self.pruned_below {
                    let &mut (t, c) = self.applied.get_or_insert_with(i, || (term, command));
                    if (c != command || t != term) && self.families.state_machine {
                        return Err(format!(
                            "state-machine safety: {node} applied a different command at index {i} (term {term}) than another node did (term {t})"
                        ));
                    }
                }
            }
            Observation::Snapshot { index: LogIndex(i), .. } => {
                let view = &mut self.nodes[node.index()];
                view.snapshot = view.snapshot.max(i);
                if i > view.commit {
                    view.commit = i;
                    view.log.keep_from(i);
                }
                self.prune();
            }
            _ => {}
        }
        Ok(())
    }

    fn lifecycle(&mut self, _now: SimTime, node: NodeId, event: Lifecycle) {
        if node.index() < self.servers && event == Lifecycle::Crash {
            // Volatile knowledge is gone; the node re-announces what it recovers from disk.
            let snapshot = self.nodes[node.index()].snapshot;
            self.nodes[node.index()] = NodeView { snapshot, ..NodeView::default() };
        }
    }

    fn name(&self) -> &str {
        "invariants"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(c: &mut Invariants, node: u32, o: Observation) -> Result<(), String> {
        c.observe(SimTime(0), NodeId(node), &o)
    }
    fn leader(term: u64) -> Observation {
        Observation::Role { role: Role::Leader, term: Term(term) }
    }
    fn append(i: u64, t: u64, chain: u64) -> Observation {
        Observation::Appended { index: LogIndex(i), term: Term(t), chain }
    }

    #[test]
    fn two_leaders_in_one_term_is_a_violation() {
        let mut c = Invariants::new(3);
        obs(&mut c, 0, leader(2)).unwrap();
        obs(&mut c, 0, leader(2)).unwrap();
        let e = obs(&mut c, 1, leader(2)).unwrap_err();
        assert!(e.contains("election safety"), "{e}");
        obs(&mut c, 1, leader(3)).unwrap();
    }

    #[test]
    fn divergent_prefixes_with_the_same_index_and_term_break_log_matching() {
        let mut c = Invariants::new(3);
        obs(&mut c, 0, append(1, 1, 11)).unwrap();
        obs(&mut c, 1, append(1, 1, 11)).unwrap();
        let e = obs(&mut c, 2, append(1, 1, 99)).unwrap_err();
        assert!(e.contains("log matching"), "{e}");
    }

    #[test]
    fn a_leader_missing_a_committed_entry_breaks_completeness() {
        let mut c = Invariants::new(3);
        for n in 0..2 {
            obs(&mut c, n, append(1, 1, 11)).unwrap();
        }
        obs(&mut c, 0, Observation::Committed { index: LogIndex(1) }).unwrap();
        let e = obs(&mut c, 2, leader(2)).unwrap_err();
        assert!(e.contains("leader completeness"), "{e}");
        // n2 (which has the entry) may lead.
        obs(&mut c, 1, leader(3)).unwrap();
    }

    #[test]
    fn a_leader_committing_an_old_terms_entry_by_counting_breaks_the_commit_rule() {
        let committed = |i| Observation::Committed { index: LogIndex(i) };
        // n1 leads term 4 holding entries of terms 2 and 4: committing the term-2 entry
        // alone is Figure 8's mistake; committing through the term-4 entry is the rule.
        let mut c = Invariants::new(3);
        obs(&mut c, 0, append(1, 2, 12)).unwrap();
        obs(&mut c, 0, append(2, 4, 24)).unwrap();
        obs(&mut c, 0, leader(4)).unwrap();
        let e = obs(&mut c, 0, committed(1)).unwrap_err();
        assert!(e.contains("current-term commitment") && e.contains("index 1 of term 2"), "{e}");
        let mut c = Invariants::new(3);
        obs(&mut c, 0, append(1, 2, 12)).unwrap();
        obs(&mut c, 0, append(2, 4, 24)).unwrap();
        obs(&mut c, 0, leader(4)).unwrap();
        obs(&mut c, 0, committed(2)).unwrap();
        // A follower learns commits of any term from its leader.
        obs(&mut c, 1, append(1, 2, 12)).unwrap();
        obs(&mut c, 1, committed(1)).unwrap();
        // Without the family declared, the same step passes.
        let mut c = Invariants::of(3, &[Invariant::StateMachineSafety]);
        obs(&mut c, 0, append(1, 2, 12)).unwrap();
        obs(&mut c, 0, leader(4)).unwrap();
        obs(&mut c, 0, committed(1)).unwrap();
    }

    #[test]
    fn a_late_leader_of_an_older_term_need_not_hold_newer_commits() {
        let mut c = Invariants::new(3);
        // n1 leads term 5 and commits index 1.
        obs(&mut c, 0, leader(5)).unwrap();
        for n in 0..2 {
            obs(&mut c, n, append(1, 5, 15)).unwrap();
        }
        obs(&mut c, 0, Observation::Committed { index: LogIndex(1) }).unwrap();
        // n3, a paused candidate of term 4, wins term 4 late: legitimate.
        obs(&mut c, 2, leader(4)).unwrap();
        // But a leader of term 6 must hold it.
        let e = obs(&mut c, 2, leader(6)).unwrap_err();
        assert!(e.contains("leader completeness"), "{e}");
    }

    #[test]
    fn different_commands_applied_at_one_index_break_state_machine_safety() {
        let mut c = Invariants::new(2);
        for n in 0..2 {
            obs(&mut c, n, append(1, 1, 11)).unwrap();
            obs(&mut c, n, Observation::Committed { index: LogIndex(1) }).unwrap();
        }
        obs(&mut c, 0, Observation::Applied { index: LogIndex(1), term: Term(1), command: 5 }).unwrap();
        let e = obs(&mut c, 1, Observation::Applied { index: LogIndex(1), term: Term(1), command: 6 })
            .unwrap_err();
        assert!(e.contains("state-machine safety"), "{e}");
    }

    #[test]
    fn truncating_or_applying_beyond_commit_is_caught() {
        let mut c = Invariants::new(1);
        obs(&mut c, 0, append(1, 1, 11)).unwrap();
        obs(&mut c, 0, append(2, 1, 12)).unwrap();
        let e = obs(&mut c, 0, Observation::Applied { index: LogIndex(2), term: Term(1), command: 1 })
            .unwrap_err();
        assert!(e.contains("before knowing it committed"), "{e}");
        obs(&mut c, 0, Observation::Committed { index: LogIndex(1) }).unwrap();
        obs(&mut c, 0, Observation::Truncated { from: LogIndex(2) }).unwrap();
        let e = obs(&mut c, 0, Observation::Truncated { from: LogIndex(1) }).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn a_crash_forgets_volatile_views() {
        let mut c = Invariants::new(2);
        obs(&mut c, 0, append(1, 1, 11)).unwrap();
        obs(&mut c, 0, Observation::Committed { index: LogIndex(1) }).unwrap();
        c.lifecycle(SimTime(0), NodeId(0), Lifecycle::Crash);
        // After restart the node re-announces its log and relearns the commit index.
        obs(&mut c, 0, append(1, 1, 11)).unwrap();
        obs(&mut c, 0, Observation::Committed { index: LogIndex(1) }).unwrap();
        obs(&mut c, 0, leader(2)).unwrap();
    }
}
