//! Any bytes as a history file of every accepted format: parsing returns operations or an
//! error, and checking what parses stays within its budget.
//!
//! The body lives in `eightfold::fuzzing` so `tests/fuzz_regressions.rs` replays kept
//! inputs through the same code.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eightfold::fuzzing::history(data));
