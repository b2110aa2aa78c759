//! eightfold's kernel: a deterministic discrete-event simulator of a cluster of sans-IO
//! nodes under the eight fallacies of distributed computing.
//!
//! It knows no protocol by name: a node is anything that implements [`sim::Node`] (its
//! messages, its timer type, its operator commands), and the kernel runs it over a
//! simulated network and disks while a fault schedule changes the world under it.
//!
//! Layers, from the bottom up (each depends only on those before it):
//! - [`sim`]: the vocabulary — virtual time, ids, seeded RNG streams, the event queue, the
//!   digest and the sans-IO [`sim::Node`] interface;
//! - [`spec`]: how the kernel's settings are written in a scenario file (units, node
//!   references, link profiles) and read with errors that name the JSON path;
//! - [`net`]: the network model (latency, loss, duplication, reordering, bandwidth,
//!   partitions);
//! - [`disk`]: the simulated storage device and the write-ahead log (its latency model is
//!   the network's);
//! - [`fault`]: fault kinds (one module each, behind [`fault::FaultType`]), their schedule,
//!   symbolic target resolution and typed records;
//! - [`world`]: the kernel proper, running nodes over the network under the schedule.
//!
//! It depends on no other eightfold crate but `eightfold-check` (for the one way times are
//! written). The protocols (`eightfold-proto`) and the scenario runner, checks and reports
//! (`eightfold`) build on it.
//!
//! ```
//! use eightfold_sim::sim::{SimDuration, SimTime};
//! use eightfold_sim::spec::units::parse_duration;
//!
//! let d = parse_duration("250ms").expect("a duration");
//! assert_eq!(d, SimDuration::from_millis(250));
//! assert_eq!(SimTime::ZERO + d, SimTime(250_000_000));
//! ```
#![warn(missing_docs)]

pub mod disk;
pub mod fault;
pub mod net;
pub mod sim;
pub mod spec;
pub mod world;
