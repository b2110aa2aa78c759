//! `eightfold check`: run the linearizability checker on a history file.
//!
//! Exit codes: 0 linearizable, 1 not linearizable, 2 bad input, 3 undecided within the
//! budget.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{Exit, Failure};
use crate::check::formats::{self, Format};
use crate::check::linearizability::{self, KeyValue, Options, Register, Verdict, single_register};
use crate::scenario::units::parse_duration;

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
    /// Wall-clock budget for deciding, e.g. "10s" (running out gives exit code 3).
    #[arg(long, default_value = "10s")]
    budget: String,
    /// Search-step budget for deciding; deterministic, unlike --budget [default: 20000000].
    #[arg(long)]
    steps: Option<u64>,
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

pub(super) fn check(args: CheckArgs) -> Result<Exit, Failure> {
    let budget = parse_duration(&args.budget).map_err(|e| Failure::input(format!("--budget: {e}")))?;
    let mut options = Options::default();
    options.budget.max_time = Some(Duration::from_nanos(budget.as_nanos()));
    if let Some(steps) = args.steps {
        options.budget.max_steps = steps;
    }
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
