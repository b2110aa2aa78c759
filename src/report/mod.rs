//! Run reports: `outcome.json` (verdicts and figures), written atomically.

pub mod outcome;
pub mod writer;

pub use outcome::Outcome;
pub use writer::ReportDir;
