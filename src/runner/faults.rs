//! The scenario's faults as the kernel's fault kinds: the registry from a scenario file's
//! `"faults"` entries to [`FaultType`]s, and the run's [`Schedule`] made of them.
//!
//! Each kind lives in its own module of [`crate::fault::kinds`] (in the kernel crate); this
//! is the one line per kind that builds it from its JSON shape ([`Fault`]). A `reconfigure`
//! carries Raft's settings in the scenario and reaches the kernel as named settings
//! ([`crate::fault::SettingsPatch`]), which the runner's operator translation turns back into
//! Raft's own patch ([`super::kv::operator`]).

use crate::fault::kinds::{
    Adversary, FaultType, Strike, add_server, bridge, bug, clock, corrupt_disk, crash, degrade, fail_fsync,
    heal, isolate, latency_spike, link_down, link_up, partition, partition_oneway, pause, reconfigure,
    remove_server, restart, resume, ring, rolling_restart, slow_disk, slow_node,
};
use crate::fault::{Schedule, Setting, SettingsPatch};
use crate::scenario::{Fault, FaultEntry};
use crate::sim::SimTime;

use super::kv::runtime_patch;

/// The schedule of a scenario's faults for a cluster of `servers`.
pub fn schedule(entries: &[FaultEntry], servers: u32) -> Schedule {
    Schedule::of(
        servers,
        entries.iter().map(|e| (SimTime(e.at.0.as_nanos()), e.lasts.map(|d| d.0), fault_type(&e.fault))),
    )
}

/// The registry: the kernel's fault kind for a scenario's fault. One line per kind.
pub fn fault_type(f: &Fault) -> Box<dyn FaultType> {
    match f {
        Fault::Partition { groups } => Box::new(partition::Partition::new(groups)),
        Fault::PartitionOneway { from, to } => Box::new(partition_oneway::PartitionOneway::new(from, to)),
        Fault::Isolate { node } => Box::new(isolate::Isolate::new(*node)),
        Fault::Heal {} => Box::new(heal::Heal),
        Fault::Crash { node } => Box::new(crash::Crash::new(*node)),
        Fault::Restart { node } => Box::new(restart::Restart(*node)),
        Fault::Pause { node } => Box::new(pause::Pause::new(*node)),
        Fault::Resume { node } => Box::new(resume::Resume(*node)),
        Fault::LinkDown { from, to, both_ways } => Box::new(link_down::LinkDown::new(from, to, *both_ways)),
        Fault::LinkUp { from, to, both_ways } => Box::new(link_up::LinkUp::new(from, to, *both_ways)),
        Fault::LatencySpike { node, from, to, factor } => {
            Box::new(latency_spike::LatencySpike::new(*node, from, to, *factor))
        }
        Fault::Degrade { from, to, both_ways, profile } => {
            Box::new(degrade::Degrade::new(from, to, *both_ways, profile))
        }
        Fault::Bridge { node } => Box::new(bridge::Bridge::new(*node)),
        Fault::Ring {} => Box::new(ring::Ring::default()),
        Fault::Replay { interval } => Box::new(Adversary::new(Strike::Replay, interval.0)),
        Fault::Forge { interval } => Box::new(Adversary::new(Strike::Forge, interval.0)),
        Fault::Clock { node, offset, drift } => Box::new(clock::ClockFault::new(*node, offset.0, *drift)),
        Fault::Reconfigure { node, raft } => {
            Box::new(reconfigure::Reconfigure::new(*node, runtime_patch(raft).to_settings()))
        }
        Fault::AddServer { node } => Box::new(add_server::AddServer(*node)),
        Fault::RemoveServer { node } => Box::new(remove_server::RemoveServer(*node)),
        Fault::RollingRestart { interval, downtime } => {
            Box::new(rolling_restart::RollingRestart { interval: interval.0, downtime: downtime.0 })
        }
        Fault::SlowNode { node, factor } => Box::new(slow_node::SlowNode::new(*node, *factor)),
        Fault::SlowDisk { node, factor } => Box::new(slow_disk::SlowDisk::new(*node, *factor)),
        Fault::CorruptDisk { node } => Box::new(corrupt_disk::CorruptDisk(*node)),
        Fault::FailFsync { node, count } => Box::new(fail_fsync::FailFsync { node: *node, count: *count }),
        Fault::Bug { name, nodes } => Box::new(bug::Bug::new(
            nodes.clone(),
            SettingsPatch(vec![Setting::bug(name, true)]),
            SettingsPatch(vec![Setting::bug(name, false)]),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::{FaultKind, Phase, Step};
    use crate::scenario::units::{HumanDuration, SignedDuration};
    use crate::scenario::{GroupRef, LinkSpec, NodeRef, RaftSpec};
    use crate::sim::SimDuration;

    /// One fault of every kind, as a scenario would give it.
    fn every_fault() -> Vec<Fault> {
        let n = NodeRef::Server(0);
        let g = || GroupRef::Nodes(vec![NodeRef::Server(1)]);
        let d = HumanDuration(SimDuration::from_millis(10));
        vec![
            Fault::Partition { groups: vec![g()] },
            Fault::PartitionOneway { from: g(), to: GroupRef::Minority },
            Fault::Isolate { node: n },
            Fault::Heal {},
            Fault::Crash { node: n },
            Fault::Restart { node: n },
            Fault::Pause { node: n },
            Fault::Resume { node: n },
            Fault::LinkDown { from: g(), to: g(), both_ways: true },
            Fault::LinkUp { from: g(), to: g(), both_ways: true },
            Fault::LatencySpike { node: Some(n), from: None, to: None, factor: 2.0 },
            Fault::Degrade { from: g(), to: g(), both_ways: false, profile: LinkSpec::default() },
            Fault::Bridge { node: None },
            Fault::Ring {},
            Fault::Replay { interval: d },
            Fault::Forge { interval: d },
            Fault::Clock { node: n, offset: SignedDuration(5), drift: 0.1 },
            Fault::Reconfigure { node: n, raft: RaftSpec::default() },
            Fault::AddServer { node: n },
            Fault::RemoveServer { node: n },
            Fault::RollingRestart { interval: d, downtime: d },
            Fault::SlowNode { node: n, factor: 2.0 },
            Fault::SlowDisk { node: n, factor: 2.0 },
            Fault::CorruptDisk { node: n },
            Fault::FailFsync { node: n, count: 1 },
            Fault::Bug { name: "no_log_check".into(), nodes: None },
        ]
    }

    #[test]
    fn the_registry_gives_every_fault_its_own_kind() {
        let faults = every_fault();
        let kinds: Vec<FaultKind> = faults.iter().map(|f| fault_type(f).kind()).collect();
        assert_eq!(kinds, FaultKind::ALL.to_vec(), "one fault of each kind, in the reference's order");
        for f in &faults {
            assert_eq!(fault_type(f).kind(), f.kind(), "{f:?}");
        }
    }

    #[test]
    fn a_fault_with_for_is_undone_at_its_end_and_a_rolling_restart_has_a_part_per_server() {
        let at = SimTime(1_000);
        let crash = fault_type(&Fault::Crash { node: NodeRef::Leader });
        let steps = crash.steps(at, Some(SimDuration(500)), 5);
        assert_eq!(
            steps,
            vec![
                Step { at, phase: Phase::Start, part: None },
                Step { at: SimTime(1_500), phase: Phase::Revert, part: None }
            ]
        );
        let d = |n| HumanDuration(SimDuration(n));
        let rolling = fault_type(&Fault::RollingRestart { interval: d(100), downtime: d(30) });
        let steps = rolling.steps(at, None, 3);
        let starts: Vec<(u64, Option<u32>)> =
            steps.iter().filter(|s| s.phase == Phase::Start).map(|s| (s.at.0, s.part)).collect();
        let reverts: Vec<(u64, Option<u32>)> =
            steps.iter().filter(|s| s.phase == Phase::Revert).map(|s| (s.at.0, s.part)).collect();
        assert_eq!(starts, vec![(1_000, Some(0)), (1_100, Some(1)), (1_200, Some(2))]);
        assert_eq!(reverts, vec![(1_030, Some(0)), (1_130, Some(1)), (1_230, Some(2))]);
    }
}
