//! `eightfold bench`: figures of the simulator's own speed.

use clap::Subcommand;

use super::{Exit, Failure};
use crate::bench::{lab_rewind, long_run, ring};
use crate::scenario::units::parse_duration;
use crate::sim::SimDuration;

#[derive(Subcommand)]
pub(super) enum BenchCommand {
    /// The kernel alone: 5 nodes in a ring, 4 messages of 64 bytes in flight each.
    Ring {
        /// Deliveries to simulate.
        #[arg(long, default_value_t = 2_000_000)]
        deliveries: u64,
    },
    /// A long run: 5 Raft servers, 10 clients, a partition and a leader crash, checked as
    /// it goes, no report; prints speed, operations, peak memory and memory at checkpoints.
    LongRun {
        /// Simulated time to run (at least 45s, past the faults), e.g. `15m` or `1h`.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        duration: SimDuration,
        /// Note resident memory every this much simulated time (`0s`: never).
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        every: SimDuration,
    },
    /// A lab session's time travel: plays a shipped Raft scenario in a lab session, acts at
    /// the end and rewinds to the middle (both re-simulate from the start); one JSON line.
    LabRewind {
        /// Virtual time to play, e.g. `10m`.
        #[arg(long, default_value = "10m", value_parser = parse_duration)]
        duration: SimDuration,
    },
}

pub(super) fn bench(cmd: BenchCommand) -> Result<Exit, Failure> {
    match cmd {
        BenchCommand::Ring { deliveries } => {
            if deliveries == 0 {
                return Err(Failure::input("--deliveries: expected a positive number, found 0"));
            }
            let r = ring::run(deliveries);
            println!("{}", serde_json::to_string(&r).map_err(|e| Failure::internal(e.to_string()))?);
            Ok(Exit::Passed)
        }
        BenchCommand::LongRun { duration, every } => {
            let s = long_run::scenario(duration).map_err(|e| Failure::input(format!("--duration: {e}")))?;
            let every = Some(every).filter(|e| *e > SimDuration::ZERO);
            let r = long_run::run(&s, every).map_err(|e| Failure::internal(e.to_string()))?;
            println!("{}", serde_json::to_string(&r).map_err(|e| Failure::internal(e.to_string()))?);
            Ok(if r.passed { Exit::Passed } else { Exit::CheckFailed })
        }
        BenchCommand::LabRewind { duration } => {
            if duration == SimDuration::ZERO || duration > crate::lab::session::HORIZON {
                return Err(Failure::input(format!("--duration: expected 1ns to 24h, found {duration}")));
            }
            let r = lab_rewind::run(duration).map_err(|e| Failure::internal(e.to_string()))?;
            println!("{}", serde_json::to_string(&r).map_err(|e| Failure::internal(e.to_string()))?);
            Ok(Exit::Passed)
        }
    }
}
