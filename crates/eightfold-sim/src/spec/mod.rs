//! The kernel's words in a scenario file: what the network, the disks and the fault kinds
//! read from it — human units (`"250ms"`, `"10MB/s"`), references to nodes (`"n3"`,
//! `"leader"`, `"minority"`), a link's profile — and the reading machinery that gives every
//! bad value one line naming its JSON path.
//!
//! The rest of a scenario (the cluster and its protocol's settings, the workload, the
//! checks, the list of faults) is the simulator's (`eightfold::scenario`), which builds on
//! these.

pub mod json;
pub mod link;
pub mod nodes;
pub mod units;

pub use link::{LatencySpec, LinkSpec};
pub use nodes::{GroupRef, NodeRef};
