//! Robust outputs: an interrupted run leaves no report (and no temporary directory), an
//! unwritable output directory is a clear error, and a report is never half-written.

use std::process::Stdio;
use std::time::Duration;

use super::common::{bin, root, tempdir};

fn long_scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let mut s: serde_json::Value = super::common::read_json(&root().join("scenarios/raft-happy-path.json"));
    s["name"] = "long".into();
    s["duration"] = "1h".into();
    let p = dir.join("long.json");
    std::fs::write(&p, s.to_string()).expect("write scenario");
    p
}

fn interrupt_with(signal: &str) {
    let dir = tempdir(&format!("signal-{signal}"));
    let scenario = long_scenario(&dir);
    let out = dir.join("reports");
    std::fs::create_dir_all(&out).expect("mkdir");
    let child = bin()
        .args(["run", scenario.to_str().expect("utf8"), "--out", out.to_str().expect("utf8"), "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Let it get going (the temporary report directory exists by then).
    std::thread::sleep(Duration::from_millis(700));
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let result = child.wait_with_output().expect("wait");
    assert_eq!(result.status.code(), Some(130), "{}", String::from_utf8_lossy(&result.stderr));
    assert!(String::from_utf8_lossy(&result.stderr).contains("no report written"));
    let left: Vec<_> = std::fs::read_dir(&out).expect("readable").collect();
    assert!(left.is_empty(), "an interrupted run left {left:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sigint_leaves_no_report_and_no_temporary_directory() {
    interrupt_with("INT");
}

#[test]
fn sigterm_leaves_no_report_and_no_temporary_directory() {
    interrupt_with("TERM");
}

#[test]
fn an_unwritable_output_directory_is_a_clear_error() {
    let s = root().join("scenarios/gossip-happy-path.json");
    // /proc does not accept new directories, whoever we run as.
    let o = bin()
        .args(["run", s.to_str().expect("utf8"), "--out", "/proc/eightfold-reports", "-q"])
        .output()
        .expect("runs");
    // Bad input, found before the run: exit 2, one line naming the flag.
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(e.starts_with("error: --out: cannot create the directory /proc/eightfold-reports"), "{e}");
}
