//! Any bytes as a message on the wire: decoding (what a receiver does with a corrupted
//! or forged envelope when authentication is off) never panics or over-allocates.
//!
//! The body lives in `eightfold::fuzzing` so `tests/fuzz_regressions.rs` replays kept
//! inputs through the same code.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| eightfold::fuzzing::wire(data));
