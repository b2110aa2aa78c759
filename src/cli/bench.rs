//! `eightfold bench`: figures of the simulator's own speed.

use clap::Subcommand;

use super::{Exit, Failure};
use crate::bench::ring;

#[derive(Subcommand)]
pub(super) enum BenchCommand {
    /// The kernel alone: 5 nodes in a ring, 4 messages of 64 bytes in flight each.
    Ring {
        /// Deliveries to simulate.
        #[arg(long, default_value_t = 2_000_000)]
        deliveries: u64,
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
    }
}
