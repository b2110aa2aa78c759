//! Replays every input kept in `tests/data/fuzz-regressions/<target>/` through the body of
//! the fuzz target it belongs to (`eightfold::fuzzing`), so an input that once crashed,
//! hung or over-allocated a target — or one the fuzzer found to reach new code — is run on
//! every CI build. A panic fails the test and names the file.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::common::root;
use eightfold::fuzzing;

#[test]
fn every_kept_fuzz_input_runs_through_its_target_without_a_panic() {
    let dir = root().join("tests/data/fuzz-regressions");
    let mut replayed = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/data/fuzz-regressions exists") {
        let target_dir = entry.expect("readable").path();
        if !target_dir.is_dir() {
            continue;
        }
        let target = target_dir.file_name().unwrap().to_string_lossy().to_string();
        assert!(fuzzing::TARGETS.contains(&target.as_str()), "{target}: not a fuzz target");
        let mut files: Vec<_> =
            std::fs::read_dir(&target_dir).expect("readable").map(|e| e.expect("readable").path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("readable");
            if catch_unwind(AssertUnwindSafe(|| fuzzing::run_target(&target, &data))).is_err() {
                failures.push(file.display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "fuzz regressions panicked: {failures:?}");
    // The corpus is committed; an empty one would make this test vacuous.
    assert!(replayed >= fuzzing::TARGETS.len(), "only {replayed} kept inputs");
}

#[test]
fn unknown_targets_are_refused() {
    assert!(!fuzzing::run_target("no-such-target", b""));
    assert!(fuzzing::run_target("wire", b""));
}
