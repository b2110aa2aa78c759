//! Any bytes as a scenario file: parsing and validation return a value or an error, never
//! panic, never hang, never allocate without bound.
//!
//! The body lives in `eightfold::fuzzing` so `tests/fuzz_regressions.rs` replays kept
//! inputs through the same code.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eightfold::fuzzing::scenario(data));
