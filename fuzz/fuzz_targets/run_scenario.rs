//! Any valid small scenario runs to the end without panicking: the simulator, the
//! protocols and the checkers must survive whatever a scenario asks for.
//!
//! The body lives in `eightfold::fuzzing` so `tests/fuzz_regressions.rs` replays kept
//! inputs through the same code.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eightfold::fuzzing::run_scenario(data));
