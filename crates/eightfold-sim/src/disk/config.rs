//! How a simulated disk behaves when nothing is wrong with it.

use crate::net::Latency;
use crate::net::latency::Z99;

/// The configuration of one node's disk, built by the runner from the scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiskConfig {
    /// Time from issuing an fsync until the device acknowledges it (before the FIFO wait and
    /// the slow-disk factor).
    pub fsync_latency: Latency,
    /// Whether a crash may leave a strict prefix of the first not-yet-durable append behind
    /// (a torn write), as a real crash can. Off, a crash leaves exactly the durable content.
    pub torn_writes: bool,
}

impl DiskConfig {
    /// A disk with this fsync latency and torn writes on.
    pub fn new(fsync_latency: Latency) -> Self {
        DiskConfig { fsync_latency, torn_writes: true }
    }

    /// A one-line description for the effective-parameter listing.
    pub fn describe(&self) -> String {
        format!(
            "fsync {}, torn writes {}",
            self.fsync_latency.describe(),
            if self.torn_writes { "on" } else { "off" }
        )
    }
}

impl Default for DiskConfig {
    /// Fsync latency log-normal with median 1 ms and p99 10 ms, torn writes on.
    ///
    /// Why this shape: the simulated clusters stand for servers on network-attached SSD
    /// volumes (cloud block storage), where a flush is a network round trip plus the
    /// device's write: about a millisecond typically, with a long tail of slow flushes
    /// (several to tens of milliseconds) from queueing and garbage collection. A local
    /// NVMe drive with power-loss protection is 10–100× faster; a spinning disk is 5–10×
    /// slower — scenarios set their own. A long tail matters for consensus: a leader's
    /// commit latency includes a quorum's fsyncs, so the tail shows up in op latency.
    /// Torn writes are on because a real crash can leave them, and recovery code that
    /// never meets one is untested.
    fn default() -> Self {
        let median_ns = 1_000_000.0_f64;
        let p99_ns = 10_000_000.0_f64;
        DiskConfig::new(Latency::LogNormal {
            mu: libm::log(median_ns),
            sigma: libm::log(p99_ns / median_ns) / Z99,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimDuration;

    #[test]
    fn default_has_the_documented_quantiles() {
        let c = DiskConfig::default();
        let close = |got: SimDuration, want: u64| got.as_nanos().abs_diff(want) <= want / 1000;
        assert!(close(c.fsync_latency.quantile(0.5), 1_000_000));
        assert!(close(c.fsync_latency.quantile(0.99), 10_000_000));
        assert!(c.torn_writes);
        assert!(c.describe().contains("median 1ms"), "{}", c.describe());
    }
}
