//! Unit tests of the quorum store without the simulator: quorum overlap (and its absence),
//! read repair, sloppy quorum and hinted handoff, persistence before acknowledging,
//! timeouts, and the anomalies that are part of the lesson (non-atomic read-modify-write,
//! last-writer-wins under clock skew).

mod cases;
mod harness;
mod random;
