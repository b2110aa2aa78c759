//! Quorum store settings: replication factor, quorums, sloppiness, timeouts.
//!
//! The defaults are Dynamo's common `(N, R, W) = (3, 2, 2)` (*Dynamo* §4.5): `R + W > N`, so
//! every read quorum meets every write quorum — on the *preferred* replicas. A sloppy
//! quorum gives that up for availability (§4.6).

use eightfold_sim::sim::SimDuration;

/// Settings of a quorum-store server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumConfig {
    /// Replicas per key (the first `n` servers of the key's preference list; at most the
    /// number of servers).
    pub n: usize,
    /// Replies a read waits for (1 ≤ r ≤ n).
    pub r: usize,
    /// Acknowledgements a write waits for (1 ≤ w ≤ n).
    pub w: usize,
    /// Sloppy quorum with hinted handoff (*Dynamo* §4.6): a preferred replica that does not
    /// answer within `replica_timeout` is replaced by the next server on the ring, which
    /// keeps the value with a hint and hands it back later.
    pub sloppy: bool,
    /// How long a coordinator works on one client request before answering with a failure
    /// (below the clients' attempt timeout, so they hear the outcome).
    pub request_timeout: SimDuration,
    /// How long a coordinator waits for a replica before asking a fallback (sloppy only).
    pub replica_timeout: SimDuration,
    /// How often a server retries handing hinted values back to their replicas.
    pub handoff_interval: SimDuration,
    /// After answering a read, write the newest value back to replicas that answered with
    /// an older one (*Dynamo* §5, read repair).
    pub read_repair: bool,
}

impl Default for QuorumConfig {
    fn default() -> Self {
        QuorumConfig {
            n: 3,
            r: 2,
            w: 2,
            sloppy: false,
            request_timeout: SimDuration::from_millis(300),
            replica_timeout: SimDuration::from_millis(50),
            handoff_interval: SimDuration::from_millis(200),
            read_repair: true,
        }
    }
}

impl QuorumConfig {
    /// `(n, r, w)` clamped to what `servers` servers allow: `1 ≤ n ≤ servers`,
    /// `1 ≤ r, w ≤ n`.
    pub fn effective(&self, servers: usize) -> (usize, usize, usize) {
        let n = self.n.clamp(1, servers.max(1));
        (n, self.r.clamp(1, n), self.w.clamp(1, n))
    }

    /// Parameter lines for the run's effective-parameter listing.
    pub fn describe(&self) -> Vec<String> {
        let overlap = if self.r + self.w > self.n {
            "R + W > N: read and write quorums of preferred replicas overlap"
        } else {
            "R + W ≤ N: a read may miss a completed write"
        };
        vec![
            format!("quorum: N {} R {} W {} ({overlap})", self.n, self.r, self.w),
            format!(
                "quorum: {}, read repair {}, request timeout {}",
                if self.sloppy {
                    format!(
                        "sloppy quorum with hinted handoff (fallback after {}, handoff every {})",
                        self.replica_timeout, self.handoff_interval
                    )
                } else {
                    "strict quorum".to_string()
                },
                if self.read_repair { "on" } else { "off" },
                self.request_timeout
            ),
            "quorum: last writer wins by coordinator clock; append and cas are read-then-write, not atomic; no client sessions".to_string(),
        ]
    }
}
