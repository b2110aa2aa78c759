//! Colours, sizes and the CSS every chart shares.
//!
//! Colours follow the Okabe–Ito palette, which stays distinguishable for the common forms
//! of colour blindness; where a distinction matters (an operation's outcome) shape differs
//! too. Each SVG carries its own `<style>` block, so a chart opened on its own looks the
//! same as inside `index.html`.

use crate::fault::FaultKind;
use crate::scenario::Protocol;
use crate::sim::Role;

/// Width of every time chart, pixels.
pub const WIDTH: u32 = 1100;
/// Size of titles, pixels.
pub const TITLE_PX: f64 = 16.0;
/// Size of ordinary labels, pixels.
pub const LABEL_PX: f64 = 12.0;
/// Size of small labels (on bars and arrows), pixels.
pub const SMALL_PX: f64 = 10.0;

/// An `ok` operation.
pub const OK: &str = "#0072B2";
/// A `fail` operation.
pub const FAIL: &str = "#D55E00";
/// An `info` operation (no reply, outcome unknown).
pub const INFO: &str = "#E69F00";

/// The colour of a role on the timeline.
pub fn role_colour(role: Role) -> &'static str {
    match role {
        Role::Leader => "#009E73",
        Role::Candidate => "#E69F00",
        Role::Probing => "#F0E442",
        Role::Follower => "#BFD7EA",
        Role::Peer => "#D9D9D9",
    }
}

/// The colour of a protocol's line when protocols are drawn side by side (`eightfold
/// compare`): fixed per protocol so every comparison reads the same way.
pub fn protocol_colour(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::RAFT => "#0072B2",
        Protocol::PAXOS => "#009E73",
        Protocol::QUORUM => "#D55E00",
        Protocol::GOSSIP => "#CC79A7",
        // A registered protocol: the palette's next colours, by its place in the registry.
        other => {
            const MORE: [&str; 4] = ["#E69F00", "#56B4E9", "#000000", "#F0E442"];
            let names = crate::protocol::registry().names();
            let at = names.iter().position(|n| *n == other.name()).unwrap_or(0);
            MORE[at % MORE.len()]
        }
    }
}

/// A crashed node.
pub const DOWN: &str = "#3A3A3A";

/// The colour of a fault band, by the fault's name.
pub fn fault_colour(kind: FaultKind) -> &'static str {
    match kind {
        k if k.cuts_network() => "#CC79A7",
        FaultKind::Crash => "#555555",
        FaultKind::Pause => "#E69F00",
        FaultKind::LinkDown | FaultKind::LatencySpike | FaultKind::Degrade => "#009E73",
        FaultKind::Replay | FaultKind::Forge => "#D55E00",
        _ => "#999999",
    }
}

/// The colour of a lost message's cross, by why it was lost.
pub fn fate_colour(fate: &str) -> &'static str {
    match fate {
        "loss" => "#D55E00",
        // Wine, not the partition band's reddish purple: a message blocked by a partition is
        // drawn over the band, and the two must stay apart for every reader (Paul Tol's muted
        // scheme extends Okabe–Ito here).
        "partition" => "#882255",
        "queue_full" => "#E69F00",
        "node_down" => "#000000",
        "link_down" => "#009E73",
        "mtu" => "#56B4E9",
        _ => "#7F7F7F",
    }
}

/// What a message fate means, in plain words.
pub fn fate_meaning(fate: &str) -> &'static str {
    match fate {
        "delivered" => "delivered",
        "loss" => "lost at random (lossy link)",
        "partition" => "blocked by a partition",
        "queue_full" => "dropped: the link's queue was full",
        "node_down" => "the receiver was down",
        "link_down" => "the link was down",
        "mtu" => "too big for the link (MTU)",
        "mac" => "rejected: failed its checksum/MAC",
        "replay" => "rejected: a replayed message",
        "decode" => "rejected: could not be decoded",
        _ => "lost",
    }
}

/// A colour for a message kind: fixed for the kinds of the shipped protocols so charts of
/// different runs agree, from a palette by position otherwise.
pub fn kind_colour(kind: &str, position: usize) -> &'static str {
    match kind {
        "AppendEntries" => "#0072B2",
        "AppendEntriesResp" => "#56B4E9",
        "RequestVote" => "#D55E00",
        "RequestVoteResp" => "#E69F00",
        // Olive and sand (Tol's muted scheme): apart from the partition band's reddish purple
        // and from "blocked by a partition" (wine), which share the stage with them.
        "PreVote" => "#999933",
        "PreVoteResp" => "#DDCC77",
        "InstallSnapshot" | "InstallSnapshotResp" => "#009E73",
        "Request" | "Inject" => "#6A3D9A",
        "Reply" | "InjectOk" => "#B39DDB",
        "Push" => "#0072B2",
        "Summary" => "#009E73",
        "Sync" => "#D55E00",
        "SyncReply" => "#E69F00",
        _ => ["#8C564B", "#17BECF", "#BCBD22", "#7F7F7F", "#E377C2", "#1F77B4"][position % 6],
    }
}

/// CSS shared by every chart.
pub const CSS: &str = "text{font-family:'DejaVu Sans',sans-serif;fill:#222}\
.title{font-weight:bold}.sub{fill:#555}.muted{fill:#777}\
.fault-band{stroke:none}.fault-edge{stroke-width:1;stroke-dasharray:3 2}\
.fault-label-bg{fill:#fff;fill-opacity:.85}.fault-label{fill:#333}";

/// The `<style>` element of a chart: the shared CSS plus the chart's own.
pub fn style_block(own: &str) -> String {
    format!("<style>{CSS}{own}</style>\n")
}
