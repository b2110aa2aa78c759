//! Any bytes as a scenario file: parsing and validation return a value or an error, never
//! panic, never hang, never allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(s) = eightfold::scenario::parse(text) {
            let _ = eightfold::runner::bugs::validate(&s);
            let _ = eightfold::runner::parameters(&s, 1);
        }
    }
});
