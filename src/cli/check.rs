//! `eightfold check`: run the linearizability checker on a history file.
//!
//! Exit codes: 0 linearizable, 1 not linearizable, 2 bad input, 3 undecided within the
//! budget (or stopped by the wall-clock watchdog, which is never a verdict).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Exit, Failure};
use crate::check::formats::{self, Format};
use crate::check::linearizability::{self, KeyValue, Options, Register, Verdict, Watchdog, single_register};
use crate::scenario::units::{parse_size, parse_steps};

#[derive(Args)]
pub(super) struct CheckArgs {
    /// The history file.
    history: PathBuf,
    /// The file's format.
    #[arg(long, value_enum, default_value_t = FormatArg::Eightfold)]
    format: FormatArg,
    /// The sequential model [default: register for porcupine-etcd, kv otherwise].
    #[arg(long, value_enum)]
    model: Option<ModelArg>,
    /// Search steps for deciding, e.g. 20000000 or 20M (running out gives exit code 3).
    /// Deterministic: the same file and budget give the same answer on any machine.
    #[arg(long, default_value = "20M")]
    budget: String,
    /// Bytes of search state the checker may hold (as it accounts them), e.g. 512MiB.
    #[arg(long, default_value = "512MiB")]
    memory: String,
}

#[derive(Copy, Clone, ValueEnum)]
enum FormatArg {
    /// eightfold's history.json.
    Eightfold,
    /// Jepsen etcd register logs, as in Porcupine's test data.
    PorcupineEtcd,
    /// Jepsen-style key-value logs, as in Porcupine's test data.
    PorcupineKv,
}

#[derive(Copy, Clone, ValueEnum)]
enum ModelArg {
    /// One register: read, write, cas.
    Register,
    /// A key-value store, checked key by key: get, put, append, cas.
    Kv,
}

pub(super) fn check(args: CheckArgs, watchdog: Option<Watchdog>) -> Result<Exit, Failure> {
    let steps = parse_steps(&args.budget).map_err(|e| Failure::input(format!("--budget: {e}")))?;
    let memory = parse_size(&args.memory).ok().filter(|&m| m >= 1 << 20).ok_or_else(|| {
        Failure::input(format!("--memory: expected a size of at least 1MiB, found {:?}", args.memory))
    })?;
    let mut options = Options { watchdog, ..Options::default() };
    options.budget.max_steps = steps;
    options.budget.max_memory = usize::try_from(memory).unwrap_or(usize::MAX);
    let (format, default_model) = match args.format {
        FormatArg::Eightfold => (Format::Eightfold, ModelArg::Kv),
        FormatArg::PorcupineEtcd => (Format::PorcupineEtcd, ModelArg::Register),
        FormatArg::PorcupineKv => (Format::PorcupineKv, ModelArg::Kv),
    };
    let name = args.history.display();
    let parsed = formats::load(&args.history, format).map_err(|e| Failure::input(format!("{name}: {e}")))?;
    let report = match args.model.unwrap_or(default_model) {
        ModelArg::Kv => {
            linearizability::check(&KeyValue { initial: parsed.initial.clone() }, &parsed.ops, &options)
        }
        ModelArg::Register => {
            let ops = single_register(parsed.ops).map_err(|e| Failure::input(format!("{name}: {e}")))?;
            linearizability::check(&Register { initial: parsed.initial.clone() }, &ops, &options)
        }
    };
    let mut text = format!("{name}: {}\n", report.summary());
    if let Verdict::NotLinearizable(c) = &report.verdict {
        text.push_str(&c.render(parsed.notation));
        text.push('\n');
    }
    // A closed pipe (`| head`) is not an error worth a panic; the exit code still tells.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(match &report.verdict {
        Verdict::Linearizable => Exit::Passed,
        Verdict::NotLinearizable(_) => Exit::CheckFailed,
        // Exit code 3: the checker could not decide, which no caller may read as a pass.
        Verdict::Unknown { .. } => Exit::Internal,
    })
}
