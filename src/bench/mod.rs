//! Benchmarks run as subcommands (`eightfold bench …`), printing figures as JSON.

pub mod long_run;
pub mod ring;
