//! The one list of fault kinds: what a fault record, the digest, the charts and the
//! narrative call a fault, without its settings.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Which fault of the schedule something is, without its settings: the one list of fault
/// kinds that fault records, charts, the narrative and the checks share. Serialised as the
/// name a scenario file uses (`"partition"`, `"crash"`, …).
///
/// A kind of one's own (a [`crate::fault::FaultType`] put on a schedule directly, not read
/// from a scenario file) is [`FaultKind::Custom`], named by its author.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// `partition`: groups that cannot reach each other.
    Partition,
    /// `partition_oneway`: messages from some nodes to others are dropped.
    PartitionOneway,
    /// `isolate`: one node cut off from every other.
    Isolate,
    /// `heal`: every partition lifted.
    Heal,
    /// `crash`: a node loses its memory (and restarts after `for`).
    Crash,
    /// `restart`: a crashed node boots from its disk.
    Restart,
    /// `pause`: a node stalls (and resumes after `for`).
    Pause,
    /// `resume`: a paused node goes on.
    Resume,
    /// `link_down`: links taken down.
    LinkDown,
    /// `link_up`: links brought back up.
    LinkUp,
    /// `latency_spike`: latency of some links multiplied.
    LatencySpike,
    /// `degrade`: some links' profile changed.
    Degrade,
    /// `bridge`: two halves joined by one node.
    Bridge,
    /// `ring`: every server reaches only its two neighbours.
    Ring,
    /// `replay`: an adversary re-sends captured envelopes.
    Replay,
    /// `forge`: an adversary forges messages.
    Forge,
    /// `clock`: a node's clock set off (skew, drift).
    Clock,
    /// `reconfigure`: an operator changes a server's settings.
    Reconfigure,
    /// `add_server`: a membership change adding a server.
    AddServer,
    /// `remove_server`: a membership change removing a server.
    RemoveServer,
    /// `rolling_restart`: every server restarted in turn.
    RollingRestart,
    /// `slow_node`: a node's CPU slowed.
    SlowNode,
    /// `slow_disk`: a server's fsyncs slowed.
    SlowDisk,
    /// `corrupt_disk`: a bit of a server's durable data flipped.
    CorruptDisk,
    /// `fail_fsync`: a server's next fsyncs fail.
    FailFsync,
    /// `bug`: a build with a named bug deployed to servers (it outlives their restarts).
    Bug,
    /// A kind defined outside the built-in list, by its name (which must differ from every
    /// built-in one). Recorded and folded like any other; it cannot be read back from a
    /// scenario or an `outcome.json`, which know only the built-in kinds.
    Custom(&'static str),
}

impl FaultKind {
    /// Every kind, in the order of the scenario reference.
    pub const ALL: [FaultKind; 26] = [
        FaultKind::Partition,
        FaultKind::PartitionOneway,
        FaultKind::Isolate,
        FaultKind::Heal,
        FaultKind::Crash,
        FaultKind::Restart,
        FaultKind::Pause,
        FaultKind::Resume,
        FaultKind::LinkDown,
        FaultKind::LinkUp,
        FaultKind::LatencySpike,
        FaultKind::Degrade,
        FaultKind::Bridge,
        FaultKind::Ring,
        FaultKind::Replay,
        FaultKind::Forge,
        FaultKind::Clock,
        FaultKind::Reconfigure,
        FaultKind::AddServer,
        FaultKind::RemoveServer,
        FaultKind::RollingRestart,
        FaultKind::SlowNode,
        FaultKind::SlowDisk,
        FaultKind::CorruptDisk,
        FaultKind::FailFsync,
        FaultKind::Bug,
    ];

    /// A stable number for the kind, folded into trace digests: its position in
    /// [`FaultKind::ALL`] (new kinds go at the end, so existing digests keep their value); for
    /// a custom kind, a hash of its name (FNV-1a), above every position.
    pub fn code(self) -> u64 {
        match self {
            FaultKind::Custom(name) => {
                let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                    (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
                });
                h | 1 << 63
            }
            k => FaultKind::ALL.iter().position(|&x| x == k).map_or(u64::MAX, |i| i as u64),
        }
    }

    /// The name scenario files use.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::PartitionOneway => "partition_oneway",
            FaultKind::Isolate => "isolate",
            FaultKind::Heal => "heal",
            FaultKind::Crash => "crash",
            FaultKind::Restart => "restart",
            FaultKind::Pause => "pause",
            FaultKind::Resume => "resume",
            FaultKind::LinkDown => "link_down",
            FaultKind::LinkUp => "link_up",
            FaultKind::LatencySpike => "latency_spike",
            FaultKind::Degrade => "degrade",
            FaultKind::Bridge => "bridge",
            FaultKind::Ring => "ring",
            FaultKind::Replay => "replay",
            FaultKind::Forge => "forge",
            FaultKind::Clock => "clock",
            FaultKind::Reconfigure => "reconfigure",
            FaultKind::AddServer => "add_server",
            FaultKind::RemoveServer => "remove_server",
            FaultKind::RollingRestart => "rolling_restart",
            FaultKind::SlowNode => "slow_node",
            FaultKind::SlowDisk => "slow_disk",
            FaultKind::CorruptDisk => "corrupt_disk",
            FaultKind::FailFsync => "fail_fsync",
            FaultKind::Bug => "bug",
            FaultKind::Custom(name) => name,
        }
    }

    /// True for the kinds that cut the network into sides (a partition, a one-way cut, an
    /// isolated node, a bridge, a ring): what `heal` lifts.
    pub fn cuts_network(self) -> bool {
        matches!(
            self,
            FaultKind::Partition
                | FaultKind::PartitionOneway
                | FaultKind::Isolate
                | FaultKind::Bridge
                | FaultKind::Ring
        )
    }
}

impl Serialize for FaultKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for FaultKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        FaultKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown fault kind `{name}`")))
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
