//! `eightfold lab`: a live simulation driven from the browser, where every action a student
//! takes becomes an entry of a scenario that replays bit-exact.
//!
//! - [`session`]: the session model — a starting scenario, a seed and timed actions; how it
//!   plays, acts, rewinds and saves, and why a saved session replays exactly.
//! - [`server`]: the local web server (axum on tokio) that serves the page and the
//!   session's API, behind an access token, to its own host and origin only.

pub mod server;
pub mod session;

pub use session::{Action, LabError, Session};
