//! `eightfold lab`: a live session in the browser (see [`crate::lab`]).

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;

use super::{Exit, Failure};
use crate::lab::server::{self, Config};

/// The shipped scenario a lab opens when given none.
const DEFAULT: &str = include_str!("../../scenarios/raft-leader-crash.json");

#[derive(Args)]
pub(super) struct LabArgs {
    /// The starting scenario (a key-value one: raft, paxos or quorum); default: the shipped
    /// `raft-leader-crash`.
    scenario: Option<PathBuf>,
    /// The seed (default: the scenario's own).
    #[arg(long)]
    seed: Option<u64>,
    /// The port to listen on (default: any free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The address to listen on; anything but the loopback lets other machines reach the
    /// session (still behind its token).
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Open the page in the default browser.
    #[arg(long)]
    open: bool,
    /// Where saved sessions are written.
    #[arg(long, default_value = "reports/lab")]
    out: PathBuf,
    /// Run the scenario on this registered protocol instead of its own, adapted as `run
    /// --protocol` adapts it (the saved session holds the adapted scenario).
    #[arg(long, value_name = "NAME")]
    protocol: Option<String>,
}

pub(super) fn lab(args: LabArgs) -> Result<Exit, Failure> {
    let text = match &args.scenario {
        Some(p) => crate::scenario::read(p).map_err(|e| Failure::input(e.to_string()))?,
        None => DEFAULT.to_string(),
    };
    let mut parsed = crate::scenario::parse(&text).map_err(|e| Failure::input(e.to_string()))?;
    let mut text = text;
    if let Some(p) = &args.protocol {
        let from =
            args.scenario.as_ref().map_or("the default scenario".to_string(), |p| p.display().to_string());
        let changes;
        (parsed, text, changes) = super::run::retarget(parsed, text, p, &from)?;
        super::run::print_changes(p, &changes, "");
    }
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: --bind {}: the lab is reachable from other machines (every request still needs the token)",
            args.bind
        );
    }
    let seed = args.seed.unwrap_or(parsed.seed);
    let config = Config { text, seed, bind: args.bind, port: args.port, out: args.out, token: None };
    let running = server::start(config).map_err(Failure::input)?;
    println!("eightfold lab: {} (seed {seed})", parsed.name);
    println!("open {}", running.url);
    println!("saved sessions go to the --out directory; Ctrl-C stops the lab");
    if args.open {
        let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
        if let Err(e) = std::process::Command::new(opener).arg(&running.url).spawn() {
            eprintln!("warning: --open: could not start {opener}: {e}; open the URL above yourself");
        }
    }
    loop {
        std::thread::park();
    }
}
