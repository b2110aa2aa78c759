//! Network counters: what was sent, delivered, dropped (and why) and duplicated.
//!
//! The counters balance: `sent + duplicated = delivered + dropped + in flight`, which the
//! tests check, so no message is ever unaccounted for.

use serde::Serialize;

/// Why a message never reached its destination.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum DropReason {
    /// Random loss on the link (fallacy 1).
    Loss,
    /// A partition blocked it, at send time or while in flight (fallacy 5).
    Partition,
    /// The link's send queue was full (fallacy 3).
    QueueFull,
    /// The destination was crashed when it arrived.
    NodeDown,
    /// The link was down (fallacy 5: links removed at runtime).
    LinkDown,
    /// Larger than the link's MTU with fragmentation off (fallacy 8).
    Mtu,
    /// Addressed to a node that does not exist (a protocol fed garbage, say).
    Unroutable,
}

impl DropReason {
    /// The reason as written in traces and reports.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::QueueFull => "queue_full",
            DropReason::NodeDown => "node_down",
            DropReason::LinkDown => "link_down",
            DropReason::Mtu => "mtu",
            DropReason::Unroutable => "unroutable",
        }
    }
}

/// Dropped messages by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DropCounts {
    /// Lost at random.
    pub loss: u64,
    /// Blocked by a partition.
    pub partition: u64,
    /// Tail-dropped by a full queue.
    pub queue_full: u64,
    /// Arrived at a crashed node.
    pub node_down: u64,
    /// Sent over a link that was down.
    pub link_down: u64,
    /// Too large for the link's MTU.
    pub mtu: u64,
    /// Addressed to a node that does not exist.
    pub unroutable: u64,
}

/// Network-wide message counters, as reported in `outcome.json`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct NetStats {
    /// Messages nodes handed to the network.
    pub sent: u64,
    /// Messages handed to their destination.
    pub delivered: u64,
    /// Messages that never arrived (all reasons).
    pub dropped: u64,
    /// Extra copies the network created.
    pub duplicated: u64,
    /// Messages held back so later ones could overtake them.
    pub reordered: u64,
    /// Messages whose bits were flipped in flight.
    pub corrupted: u64,
    /// Bytes nodes handed to the network.
    pub bytes: u64,
    /// Bytes actually carried, with fragment headers (fallacy 7).
    pub wire_bytes: u64,
    /// Money charged for cross-zone traffic (fallacy 7).
    pub money: f64,
    /// Dropped messages by reason.
    pub dropped_by: DropCounts,
}

impl NetStats {
    /// Counts one dropped message.
    #[inline]
    pub fn drop(&mut self, why: DropReason) {
        self.dropped += 1;
        match why {
            DropReason::Loss => self.dropped_by.loss += 1,
            DropReason::Partition => self.dropped_by.partition += 1,
            DropReason::QueueFull => self.dropped_by.queue_full += 1,
            DropReason::NodeDown => self.dropped_by.node_down += 1,
            DropReason::LinkDown => self.dropped_by.link_down += 1,
            DropReason::Mtu => self.dropped_by.mtu += 1,
            DropReason::Unroutable => self.dropped_by.unroutable += 1,
        }
    }
}
