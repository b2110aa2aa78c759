//! Leadership figures of a consensus run: how often leadership changed, the highest term,
//! and how long the cluster had no leader at all — the availability cost of elections.

use serde::{Deserialize, Serialize};

use crate::sim::{NodeId, Observation, Role, SimTime, Term};
use crate::world::{Lifecycle, Observer};

/// One leadership period, for reports and charts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reign {
    /// The leader.
    pub node: NodeId,
    /// Its term.
    pub term: Term,
    /// When it became leader.
    pub start: SimTime,
    /// When it stopped (stepped down, crashed); `None` if still leading at the end.
    pub end: Option<SimTime>,
}

/// Follows role observations to measure leadership.
#[derive(Debug)]
pub struct Leadership {
    servers: usize,
    roles: Vec<Option<(Role, Term)>>,
    /// How many servers in `roles` are leaders.
    leaders: usize,
    reigns: Vec<Reign>,
    leaderless_since: Option<SimTime>,
    leaderless_total: u64,
    max_term: Term,
}

/// Leadership figures for `outcome.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadershipFigures {
    /// Times a node became leader.
    pub leader_changes: u64,
    /// Highest term any server reached.
    pub max_term: u64,
    /// Total time during which no server considered itself leader, seconds.
    pub time_without_leader_s: f64,
}

impl Leadership {
    /// A tracker for servers `0..servers`.
    pub fn new(servers: usize) -> Self {
        Leadership {
            servers,
            roles: vec![None; servers],
            leaders: 0,
            reigns: Vec::new(),
            leaderless_since: Some(SimTime::ZERO),
            leaderless_total: 0,
            max_term: Term(0),
        }
    }

    /// Every leadership period so far.
    pub fn reigns(&self) -> &[Reign] {
        &self.reigns
    }

    /// The figures, with open periods closed at `end`.
    pub fn figures(&self, end: SimTime) -> LeadershipFigures {
        let open = self.leaderless_since.map_or(0, |s| end.saturating_since(s).as_nanos());
        LeadershipFigures {
            leader_changes: self.reigns.len() as u64,
            max_term: self.max_term.0,
            time_without_leader_s: (self.leaderless_total + open) as f64 / 1e9,
        }
    }

    fn set(&mut self, now: SimTime, node: NodeId, role: Option<(Role, Term)>) {
        let was_leader = matches!(self.roles[node.index()], Some((Role::Leader, _)));
        let is_leader = matches!(role, Some((Role::Leader, _)));
        self.roles[node.index()] = role;
        if was_leader && !is_leader {
            if let Some(r) = self.reigns.iter_mut().rev().find(|r| r.node == node && r.end.is_none()) {
                r.end = Some(now);
            }
        }
        if is_leader && !was_leader {
            let term = role.map(|r| r.1).unwrap_or_default();
            self.reigns.push(Reign { node, term, start: now, end: None });
        }
        // Count leaders as they come and go instead of scanning every server per change.
        self.leaders = self.leaders + is_leader as usize - was_leader as usize;
        match (self.leaders > 0, self.leaderless_since) {
            (true, Some(since)) => {
                self.leaderless_total += now.saturating_since(since).as_nanos();
                self.leaderless_since = None;
            }
            (false, None) => self.leaderless_since = Some(now),
            _ => {}
        }
    }
}

impl Observer for Leadership {
    fn observe(&mut self, now: SimTime, node: NodeId, obs: &Observation) -> Result<(), String> {
        if let Observation::Role { role, term } = *obs {
            if node.index() < self.servers {
                self.max_term = self.max_term.max(term);
                self.set(now, node, Some((role, term)));
            }
        }
        Ok(())
    }

    fn lifecycle(&mut self, now: SimTime, node: NodeId, event: Lifecycle) {
        if node.index() < self.servers && matches!(event, Lifecycle::Crash) {
            self.set(now, node, None);
        }
    }

    fn name(&self) -> &str {
        "leadership"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_leaderless_time_and_changes() {
        let mut l = Leadership::new(2);
        let lead = |t| Observation::Role { role: Role::Leader, term: Term(t) };
        let follow = |t| Observation::Role { role: Role::Follower, term: Term(t) };
        l.observe(SimTime(0), NodeId(0), &follow(0)).unwrap();
        l.observe(SimTime(100), NodeId(0), &lead(1)).unwrap();
        l.lifecycle(SimTime(300), NodeId(0), Lifecycle::Crash);
        l.observe(SimTime(350), NodeId(1), &lead(2)).unwrap();
        let f = l.figures(SimTime(1000));
        assert_eq!(f.leader_changes, 2);
        assert_eq!(f.max_term, 2);
        assert_eq!(f.time_without_leader_s, 150e-9);
        assert_eq!(l.reigns()[0].end, Some(SimTime(300)));
        assert_eq!(l.reigns()[1].end, None);
    }
}
