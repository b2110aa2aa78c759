//! Run reports: `outcome.json` (verdicts and figures), written atomically, and the charts,
//! narrative and `index.html` that make a run readable.

pub mod charts;
pub mod html;
pub mod narrative;
pub mod outcome;
pub mod tally;
pub mod words;
pub mod writer;

pub use outcome::Outcome;
pub use writer::ReportDir;
