//! `eightfold check` on Porcupine's corpus: exit codes and one-line errors naming the place
//! (the verdicts themselves are tested in the checker's own crate, `eightfold-check`).

use std::path::{Path, PathBuf};

use super::common::{root, run_bin};

fn corpus() -> PathBuf {
    root().join("crates/eightfold-check/tests/data/porcupine")
}

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = run_bin(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_exit_codes() {
    let good = corpus().join("jepsen/etcd_002.log");
    let bad = corpus().join("kv/c01-bad.txt");
    let (code, out, _) = run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("linearizable"), "{out}");
    let (code, out, _) = run_cli(&["check", bad.to_str().unwrap(), "--format", "porcupine-kv"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cannot all have happened as observed"), "{out}");

    // Undecided within the budget: exit 3.
    let (code, out, _) =
        run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd", "--budget", "10"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("unknown: the budget of 10 search steps ran out"), "{out}");

    // Bad input: exit 2 with one line naming the place.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let malformed = dir.join("malformed-etcd.log");
    std::fs::write(&malformed, "INFO  jepsen.util - 1\t:invoke\t:read\tnil\nthis is not a log line\n")
        .unwrap();
    let (code, _, err) = run_cli(&["check", malformed.to_str().unwrap(), "--format", "porcupine-etcd"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: ") && err.contains("malformed-etcd.log: line 2: expected"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let json = dir.join("malformed-history.json");
    std::fs::write(&json, r#"{"ops":[{"client":0,"op":"get","key":"k","invoke_ns":1,"outcome":"maybe"}]}"#)
        .unwrap();
    let (code, _, err) = run_cli(&["check", json.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("malformed-history.json: ops[0].outcome: unknown variant `maybe`"), "{err}");

    let (code, _, err) = run_cli(&["check", dir.join("no-such-file.json").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) =
        run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd", "--budget", "soon"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--budget: expected a number of search steps"), "{err}");
    // A wall-clock budget is refused: it would make the verdict depend on the machine.
    let (code, _, err) =
        run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd", "--budget", "10s"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "--budget: expected a number of search steps (e.g. 20000000 or 20M), found the duration \"10s\""
        ),
        "{err}"
    );
    let (code, _, err) =
        run_cli(&["check", good.to_str().unwrap(), "--format", "porcupine-etcd", "--memory", "1KB"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--memory: expected a size of at least 1MiB"), "{err}");
    // Several keys cannot be one register.
    let (code, _, err) =
        run_cli(&["check", bad.to_str().unwrap(), "--format", "porcupine-kv", "--model", "register"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the register model checks one register"), "{err}");
}

#[test]
fn cli_counterexamples_on_the_costliest_corpus_files_are_minimal() {
    // The histories whose counterexample once spent the whole shrinking budget and came
    // out "perhaps not minimal" (issue 21); now 1-minimal, and the same on every machine.
    for (file, format, ops) in [
        ("kv/c50-bad.txt", "porcupine-kv", 2),
        ("jepsen/etcd_099.log", "porcupine-etcd", 4),
        ("jepsen/etcd_057.log", "porcupine-etcd", 6),
    ] {
        let path = corpus().join(file);
        let (code, out, _) = run_cli(&["check", path.to_str().unwrap(), "--format", format]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(&format!("counterexample of {ops} ops found in")), "{file}: {out}");
        assert!(
            out.contains("(minimal: relaxing any one of them makes the history linearizable)"),
            "{file}: {out}"
        );
        assert!(!out.contains("perhaps not minimal"), "{file}: {out}");
    }
}
