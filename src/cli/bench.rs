//! `eightfold bench`: figures of the simulator's own speed.

use clap::Subcommand;

use super::{Exit, Failure};
use crate::bench::scale::{self, ScaleProtocol};
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
    /// Gossip and Raft at growing cluster sizes, each size in a process of its own: one JSON
    /// line per size with events per second and peak resident memory, so growth in the cost
    /// of an event (or in memory beyond the work) is one command away.
    Scale {
        /// Protocols to run, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [ScaleProtocol::Gossip, ScaleProtocol::Raft])]
        protocols: Vec<ScaleProtocol>,
        /// Cluster sizes (servers), comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = scale::SIZES)]
        sizes: Vec<u32>,
        /// Simulated time per run, e.g. `10s`.
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        duration: SimDuration,
        /// Run the one protocol and size given here, in this process (what each child runs).
        #[arg(long, hide = true)]
        in_process: bool,
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
        BenchCommand::Scale { protocols, sizes, duration, in_process } => {
            scale_bench(&protocols, &sizes, duration, in_process)
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

fn scale_bench(
    protocols: &[ScaleProtocol],
    sizes: &[u32],
    duration: SimDuration,
    in_process: bool,
) -> Result<Exit, Failure> {
    if duration == SimDuration::ZERO {
        return Err(Failure::input("--duration: expected a positive duration, found 0s"));
    }
    // Every size's scenario first, so a bad size is refused before anything runs.
    let mut runs = Vec::new();
    for &p in protocols {
        for &n in sizes {
            let s = scale::scenario(p, n, duration)
                .map_err(|e| Failure::input(format!("--sizes: {n} servers: {e}")))?;
            runs.push((p, n, s));
        }
    }
    if in_process {
        let [(p, _, s)] = runs.as_slice() else {
            return Err(Failure::input("--in-process: expected exactly one protocol and one size"));
        };
        let r = scale::run_one(*p, s).map_err(|e| Failure::internal(e.to_string()))?;
        println!("{}", serde_json::to_string(&r).map_err(|e| Failure::internal(e.to_string()))?);
        return Ok(Exit::Passed);
    }
    let exe = std::env::current_exe().map_err(|e| Failure::internal(format!("finding this program: {e}")))?;
    let mut all_passed = true;
    for (p, n, _) in &runs {
        let name =
            clap::ValueEnum::to_possible_value(p).map(|v| v.get_name().to_string()).unwrap_or_default();
        let out = std::process::Command::new(&exe)
            .args(["bench", "scale", "--in-process", "--protocols", &name, "--sizes", &n.to_string()])
            .arg("--duration")
            .arg(format!("{}ms", duration.as_nanos() / 1_000_000))
            .output()
            .map_err(|e| Failure::internal(format!("running {name} at {n} servers: {e}")))?;
        let line = String::from_utf8_lossy(&out.stdout);
        let report: scale::ScaleReport = serde_json::from_str(line.trim()).map_err(|_| {
            Failure::internal(format!(
                "{name} at {n} servers: {}",
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("no figures")
            ))
        })?;
        all_passed &= report.passed;
        println!("{}", line.trim());
    }
    Ok(if all_passed { Exit::Passed } else { Exit::CheckFailed })
}
