//! Any valid small scenario runs to the end without panicking: the simulator, the
//! protocols and the checkers must survive whatever a scenario asks for.
#![no_main]

use eightfold::runner::{self, RunOptions};
use eightfold::sim::SimDuration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(mut s) = eightfold::scenario::parse(text) else { return };
    if eightfold::runner::bugs::validate(&s).is_err() {
        return;
    }
    // Keep each run short: small clusters, at most two simulated seconds.
    if s.cluster.nodes > 7 || s.client_count() > 6 || s.duration.0 > SimDuration::from_secs(2) {
        return;
    }
    s.checks.linearizability_budget = Some(eightfold::scenario::units::HumanDuration(SimDuration::from_millis(200)));
    let _ = runner::run_full(&s, RunOptions { record: Some(runner::default_recording(&s)), ..RunOptions::seed(1) });
});
