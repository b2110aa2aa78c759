//! The wall-clock safety net of a check.
//!
//! Every budget that can change a verdict counts deterministic units (search steps, bytes
//! the checker accounts), so the same history gets the same answer on a fast machine and a
//! loaded one. A step budget still takes *some* time, and on a machine slow enough that
//! time would be unreasonable, a [`Watchdog`] stops the process instead: it never turns
//! into a verdict (there is no "unknown because of time"), it only aborts, through its
//! `fire` function, which the command line makes print a message naming the budget to
//! raise and exit with code 3.

use std::time::{Duration, Instant};

use super::Budget;

/// A wall-clock limit on one check, and what to do when it is exceeded.
#[derive(Copy, Clone, Debug)]
pub struct Watchdog {
    /// Wall-clock time one check may take (deciding, cutting and shrinking together).
    pub limit: Duration,
    /// Called once the limit is exceeded; it does not return (the command line prints
    /// [`Overrun`] and exits with code 3).
    pub fire: fn(&Overrun) -> !,
}

impl PartialEq for Watchdog {
    fn eq(&self, other: &Self) -> bool {
        // Function addresses are compared as numbers: equal settings, same action.
        self.limit == other.limit && self.fire as usize == other.fire as usize
    }
}

impl Eq for Watchdog {}

/// What the watchdog saw when it fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overrun {
    /// The limit exceeded.
    pub limit: Duration,
    /// Search steps the check had spent (deciding, cutting and shrinking).
    pub steps: u64,
    /// The budget the check was given.
    pub budget: Budget,
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the linearizability check ran past its wall-clock watchdog of {} s after {} search steps (its budget is {} steps and {} MiB); \
             no verdict was given: raise the watchdog (--watchdog) on this machine, or lower the step budget \
             (checks.linearizability_budget, or check --budget) to get an `unknown` sooner",
            self.limit.as_secs_f64(),
            self.steps,
            self.budget.max_steps,
            self.budget.max_memory >> 20
        )
    }
}

/// Measures one check's wall-clock time against an optional watchdog.
pub(super) struct Timer {
    watchdog: Option<Watchdog>,
    /// Time spent in earlier calls (a check fed one operation at a time is timed only
    /// while it works).
    spent: Duration,
    /// When the current call started.
    started: Option<Instant>,
}

impl Timer {
    /// A timer for a check with `watchdog`.
    pub(super) fn new(watchdog: Option<Watchdog>) -> Timer {
        Timer { watchdog, spent: Duration::ZERO, started: None }
    }

    /// Starts timing a call.
    pub(super) fn start(&mut self) {
        self.started = Some(Instant::now());
    }

    /// Stops timing a call.
    pub(super) fn stop(&mut self) {
        if let Some(s) = self.started.take() {
            self.spent += s.elapsed();
        }
    }

    /// Time spent so far (for the report's timing fields only).
    pub(super) fn elapsed(&self) -> Duration {
        self.spent + self.started.map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// Fires the watchdog if the check has run past it, with `steps` spent of `budget`.
    pub(super) fn poll(&self, steps: u64, budget: &Budget) {
        if let Some(w) = self.watchdog
            && self.elapsed() > w.limit
        {
            (w.fire)(&Overrun { limit: w.limit, steps, budget: *budget });
        }
    }
}
