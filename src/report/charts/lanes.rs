//! Each node's story over time, derived once from the recording and shared by the timeline,
//! the message diagram and the narrative: which role it held in which term (role spans),
//! when it was crashed or paused, and its log's points (see [`crate::world::recorder`]).
//!
//! A role span starts at a role change and ends at the node's next role change or crash,
//! whichever comes first: a crashed node has no role until it restarts (a restarted server
//! announces its role again when it boots).

use crate::sim::Role;
use crate::world::{Lifecycle, NodeKind, Recording};

/// A stretch of time in one role.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RoleSpan {
    /// Start, ns.
    pub start: u64,
    /// End, ns.
    pub end: u64,
    /// The role.
    pub role: Role,
    /// Its term.
    pub term: u64,
}

/// A point of a server's log: (time ns, last index, last term, commit index). Outside the
/// recorded window a point may stand for several changes (see
/// [`LogPoint::since`](crate::world::recorder::LogPoint::since)); it is the true state at its
/// own time either way.
pub type Sample = (u64, u64, u64, u64);

/// One node's derived history.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    /// Node index in the recording.
    pub node: u32,
    /// Its name (`n1`, `c2`).
    pub name: String,
    /// True for servers.
    pub server: bool,
    /// Role spans, in time order.
    pub roles: Vec<RoleSpan>,
    /// Crashed periods `[start, end)`, ns.
    pub down: Vec<(u64, u64)>,
    /// Paused periods `[start, end)`, ns.
    pub paused: Vec<(u64, u64)>,
    /// Log points, in time order.
    pub progress: Vec<Sample>,
}

impl Lane {
    /// The role span covering `t`, if the node had a role then.
    pub fn role_at(&self, t: u64) -> Option<&RoleSpan> {
        let i = self.roles.partition_point(|s| s.start <= t);
        self.roles[..i].last().filter(|s| t < s.end || (t == s.end && s.end == s.start))
    }

    /// True if the node was crashed at `t`.
    pub fn down_at(&self, t: u64) -> bool {
        self.down.iter().any(|&(a, b)| a <= t && t < b)
    }

    /// True if the node was paused at `t`.
    pub fn paused_at(&self, t: u64) -> bool {
        self.paused.iter().any(|&(a, b)| a <= t && t < b)
    }

    /// The last log point at or before `t`.
    pub fn progress_at(&self, t: u64) -> Option<Sample> {
        let i = self.progress.partition_point(|s| s.0 <= t);
        i.checked_sub(1).map(|i| self.progress[i])
    }
}

/// Every node's lane, in recording order.
pub fn lanes(rec: &Recording) -> Vec<Lane> {
    let end = rec.end_ns;
    let mut lanes: Vec<Lane> = rec
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| Lane {
            node: i as u32,
            name: n.name.clone(),
            server: n.kind == NodeKind::Server,
            roles: Vec::new(),
            down: Vec::new(),
            paused: Vec::new(),
            progress: Vec::new(),
        })
        .collect();
    for (i, lane) in lanes.iter_mut().enumerate() {
        let mut life: Vec<(u64, Lifecycle)> =
            rec.lifecycle.iter().filter(|e| e.node as usize == i).map(|e| (e.t, e.event)).collect();
        life.sort_by_key(|e| e.0);
        let (mut crashed, mut paused) = (None, None);
        for &(t, ev) in &life {
            match ev {
                Lifecycle::Crash => {
                    if let Some(p) = paused.take() {
                        lane.paused.push((p, t));
                    }
                    crashed.get_or_insert(t);
                }
                Lifecycle::Start => {
                    if let Some(c) = crashed.take() {
                        lane.down.push((c, t));
                    }
                }
                Lifecycle::Pause => {
                    paused.get_or_insert(t);
                }
                Lifecycle::Resume => {
                    if let Some(p) = paused.take() {
                        lane.paused.push((p, t));
                    }
                }
            }
        }
        if let Some(c) = crashed {
            lane.down.push((c, end));
        }
        if let Some(p) = paused {
            lane.paused.push((p, end));
        }
        let changes: Vec<_> = rec.roles.iter().filter(|r| r.node as usize == i).collect();
        for (k, r) in changes.iter().enumerate() {
            let next = changes.get(k + 1).map_or(end, |n| n.t);
            let crash = lane.down.iter().map(|d| d.0).find(|&c| c >= r.t).unwrap_or(end);
            let stop = next.min(crash).max(r.t);
            if let Some(last) = lane.roles.last_mut()
                && last.role == r.role
                && last.term == r.term
                && last.end == r.t
            {
                last.end = stop;
                continue;
            }
            lane.roles.push(RoleSpan { start: r.t, end: stop, role: r.role, term: r.term });
        }
        lane.roles.retain(|s| s.end > s.start || s.start == end);
    }
    for track in &rec.tracks {
        if let Some(l) = lanes.get_mut(track.node as usize) {
            l.progress = track.log.iter().map(|p| (p.t, p.last, p.last_term, p.commit)).collect();
        }
    }
    lanes
}

/// The leader at `t`: among servers up at `t` whose role span says leader, the one with the
/// highest term. Returns its lane index and term.
pub fn leader_at(lanes: &[Lane], t: u64) -> Option<(usize, u64)> {
    lanes
        .iter()
        .enumerate()
        .filter(|(_, l)| l.server && !l.down_at(t))
        .filter_map(|(i, l)| l.role_at(t).filter(|s| s.role == Role::Leader).map(|s| (i, s.term)))
        .max_by_key(|&(i, term)| (term, std::cmp::Reverse(i)))
}

/// The highest commit index any of `nodes` (lane indices) had reached by `t`.
pub fn commit_at(lanes: &[Lane], nodes: &[usize], t: u64) -> u64 {
    nodes.iter().filter_map(|&i| lanes.get(i)?.progress_at(t)).map(|s| s.3).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::recorder::{LifeEvent, RecNode, RoleChange};

    fn rec() -> Recording {
        Recording {
            nodes: vec![RecNode { name: "n1".into(), kind: NodeKind::Server }],
            end_ns: 100,
            roles: vec![
                RoleChange { t: 0, node: 0, role: Role::Follower, term: 0 },
                RoleChange { t: 10, node: 0, role: Role::Leader, term: 1 },
                RoleChange { t: 60, node: 0, role: Role::Follower, term: 1 },
            ],
            lifecycle: vec![
                LifeEvent { t: 0, node: 0, event: Lifecycle::Start },
                LifeEvent { t: 40, node: 0, event: Lifecycle::Crash },
                LifeEvent { t: 60, node: 0, event: Lifecycle::Start },
            ],
            ..Recording::default()
        }
    }

    #[test]
    fn a_crash_ends_the_role_span() {
        let l = &lanes(&rec())[0];
        assert_eq!(l.down, vec![(40, 60)]);
        assert_eq!(l.roles[1], RoleSpan { start: 10, end: 40, role: Role::Leader, term: 1 });
        assert_eq!(l.role_at(50), None);
        assert_eq!(l.role_at(70).map(|s| s.role), Some(Role::Follower));
        assert_eq!(leader_at(&lanes(&rec()), 20), Some((0, 1)));
        assert_eq!(leader_at(&lanes(&rec()), 45), None);
    }
}
