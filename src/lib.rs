//! eightfold: a deterministic simulator of distributed systems under the eight fallacies of
//! distributed computing.
//!
//! Layers, from the bottom up (each depends only on those before it):
//! - [`sim`]: the kernel's vocabulary — virtual time, ids, seeded RNG streams, the event
//!   queue, the digest and the sans-IO [`sim::Node`] interface;
//! - [`scenario`]: scenario files — parse, validate, clear errors;
//! - [`net`]: the network model (latency, loss, duplication, reordering, bandwidth,
//!   partitions);
//! - [`disk`]: the simulated storage device and the write-ahead log (its latency model is
//!   the network's);
//! - [`fault`]: the fault schedule, symbolic target resolution and one module per fault
//!   kind ([`fault::kinds`]);
//! - [`world`]: the kernel proper, running nodes over the network under the schedule;
//! - [`proto`]: sans-IO protocols run by the servers;
//! - [`workload`]: virtual clients and what they record;
//! - [`check`]: the checks that judge a run;
//! - [`report`]: `outcome.json` and the report directory;
//! - [`runner`]: scenario → world → outcome, shared by every command;
//! - [`protocol`]: the public protocol API — what a replica implements, how a protocol
//!   registers under a name with its own settings and capabilities ([`protocol::Registry`]),
//!   the registry the process uses; the shipped protocols register through it
//!   (`runner::shipped`). Scenario parsing and the report ask the process's registry about
//!   a protocol's name and capabilities (the one lookup that goes upward, at run time);
//! - [`experiment`]: sweeps over seeds, shards and their merge, replay, shrinking;
//! - [`cli`]: the command-line front end ([`cli::main_with`] runs it with a registry of
//!   one's own).
//!
//! Beside the layers, at the top: [`bench`](mod@bench) (the benchmarks, run as `eightfold bench …`)
//! and [`fuzzing`] (the bodies of the fuzz targets).
#![warn(missing_docs)]

pub mod bench;
pub mod check;
pub mod cli;
pub mod experiment;
pub mod fuzzing;
pub mod lab;
pub mod protocol;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod workload;

pub use eightfold_proto as proto;
pub use eightfold_sim::{disk, fault, net, sim, spec, world};
