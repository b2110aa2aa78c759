//! Disk counters, as reported in `outcome.json`.
//!
//! The fsync counters balance: `fsyncs_issued = fsyncs_completed + fsyncs_failed +
//! fsyncs_dropped + in flight`, which the tests check.

use serde::Serialize;

use crate::sim::SimDuration;

/// What one disk (or, summed with [`DiskStats::absorb`], a cluster's disks) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiskStats {
    /// Bytes handed to the disk by appends and replaces.
    pub bytes_written: u64,
    /// Append requests (empty ones included).
    pub appends: u64,
    /// Truncate requests.
    pub truncates: u64,
    /// Replace requests.
    pub replaces: u64,
    /// Fsyncs requested.
    pub fsyncs_issued: u64,
    /// Fsyncs that completed with `Synced` (including `fsyncs_unpersisted`).
    pub fsyncs_completed: u64,
    /// Fsyncs that completed with `SyncFailed`.
    pub fsyncs_failed: u64,
    /// Fsyncs that reported `Synced` but persisted nothing, because an earlier fsync of the
    /// same file failed (the fsyncgate trap; see [`crate::disk`]).
    pub fsyncs_unpersisted: u64,
    /// Fsyncs still in flight when the disk crashed (they never complete).
    pub fsyncs_dropped: u64,
    /// Sum of issue-to-completion times of completed and failed fsyncs, in ns.
    pub fsync_latency_sum_ns: u64,
    /// Longest issue-to-completion time of a completed or failed fsync, in ns.
    pub fsync_latency_max_ns: u64,
    /// Crashes (power losses) of the disk.
    pub crashes: u64,
    /// Appends a crash cut short, leaving at least one of their bytes behind.
    pub torn_writes: u64,
    /// Bits flipped in durable data by the corruption fault.
    pub corruptions: u64,
}

impl DiskStats {
    /// Mean issue-to-completion time of the fsyncs that finished (zero if none did).
    pub fn fsync_latency_mean(&self) -> SimDuration {
        let finished = self.fsyncs_completed + self.fsyncs_failed;
        SimDuration(self.fsync_latency_sum_ns.checked_div(finished).unwrap_or(0))
    }

    /// Adds another disk's counters to these (maxima are combined as maxima).
    pub fn absorb(&mut self, other: &DiskStats) {
        self.bytes_written += other.bytes_written;
        self.appends += other.appends;
        self.truncates += other.truncates;
        self.replaces += other.replaces;
        self.fsyncs_issued += other.fsyncs_issued;
        self.fsyncs_completed += other.fsyncs_completed;
        self.fsyncs_failed += other.fsyncs_failed;
        self.fsyncs_unpersisted += other.fsyncs_unpersisted;
        self.fsyncs_dropped += other.fsyncs_dropped;
        self.fsync_latency_sum_ns += other.fsync_latency_sum_ns;
        self.fsync_latency_max_ns = self.fsync_latency_max_ns.max(other.fsync_latency_max_ns);
        self.crashes += other.crashes;
        self.torn_writes += other.torn_writes;
        self.corruptions += other.corruptions;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorb_sums_counts_and_keeps_the_max() {
        let a = DiskStats {
            fsyncs_completed: 2,
            fsync_latency_sum_ns: 10,
            fsync_latency_max_ns: 7,
            ..Default::default()
        };
        let b = DiskStats {
            fsyncs_completed: 3,
            fsync_latency_sum_ns: 5,
            fsync_latency_max_ns: 4,
            ..Default::default()
        };
        let mut t = a;
        t.absorb(&b);
        assert_eq!((t.fsyncs_completed, t.fsync_latency_sum_ns, t.fsync_latency_max_ns), (5, 15, 7));
        assert_eq!(t.fsync_latency_mean(), SimDuration(3));
        assert_eq!(DiskStats::default().fsync_latency_mean(), SimDuration::ZERO);
    }
}
