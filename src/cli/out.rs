//! Output paths, checked before anything runs, and results kept when a write fails anyway.
//!
//! A sweep of a thousand seeds that only finds out at the end that `--out /proc/x.json`
//! cannot be written has wasted its time and lost its results. So every command that writes
//! checks its output first — the directory can be created and a file created in it — and
//! refuses a bad one as bad input (exit 2, one line naming the flag). A write can still fail
//! at the end (the disk fills up meanwhile); then the command says so plainly, prints what
//! it found, and saves its main result in the system's temporary directory instead
//! ([`fallback`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::Failure;

/// Checks that `dir` is (or can be made) a directory this process can create files in;
/// creates it. `what` names the flag or argument in the error.
pub(super) fn dir(what: &str, dir: &Path) -> Result<(), Failure> {
    let shown = dir.display();
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::input(format!("{what}: {shown} exists and is not a directory")));
    }
    if let Some(file) =
        dir.ancestors().skip(1).find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir())
    {
        return Err(Failure::input(format!(
            "{what}: cannot create {shown}: {} is a file, not a directory",
            file.display()
        )));
    }
    fs::create_dir_all(dir)
        .map_err(|e| Failure::input(format!("{what}: cannot create the directory {shown}: {e}")))?;
    probe(dir).map_err(|e| Failure::input(format!("{what}: cannot write into {shown}: {e}")))
}

/// Checks that `file` can be created (or replaced) by writing a temporary file beside it
/// and renaming it, as the commands do; creates its directory.
pub(super) fn file(what: &str, file: &Path) -> Result<(), Failure> {
    let shown = file.display();
    if file.is_dir() {
        return Err(Failure::input(format!("{what}: {shown} is a directory; give a file name")));
    }
    let parent = parent(file);
    if let Some(f) = parent.ancestors().find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir()) {
        return Err(Failure::input(format!(
            "{what}: cannot write {shown}: {} is a file, not a directory",
            f.display()
        )));
    }
    fs::create_dir_all(parent).map_err(|e| {
        Failure::input(format!(
            "{what}: cannot write {shown}: cannot create the directory {}: {e}",
            parent.display()
        ))
    })?;
    probe(parent).map_err(|e| {
        Failure::input(format!(
            "{what}: cannot write {shown}: cannot create files in {}: {e}",
            parent.display()
        ))
    })
}

/// The directory a file goes into (`.` for a bare name).
pub(super) fn parent(file: &Path) -> &Path {
    file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Whether this process can create files in the existing directory `dir`.
pub(super) fn writable(dir: &Path) -> io::Result<()> {
    probe(dir)
}

/// Creates and removes a hidden file in `dir`.
fn probe(dir: &Path) -> io::Result<()> {
    let probe = dir.join(crate::report::writer::temporary_name("eightfold-probe", "tmp"));
    fs::OpenOptions::new().write(true).create_new(true).open(&probe)?;
    fs::remove_file(&probe)
}

/// Saves `bytes` as `name` in the system's temporary directory, after the real output
/// could not be written: where it went, or why that failed too.
pub(super) fn fallback(name: &str, bytes: &[u8]) -> Result<PathBuf, io::Error> {
    let path = std::env::temp_dir().join(format!("eightfold-{}-{name}", std::process::id()));
    fs::write(&path, bytes)?;
    Ok(path)
}

/// The error line for a result that could not be written to `target` (`why`), after trying
/// the temporary directory: where the result is now, or that only the printed summary is.
pub(super) fn lost(target: &str, why: &str, kept: Result<PathBuf, io::Error>) -> Failure {
    Failure::internal(match kept {
        Ok(p) => {
            format!("writing {target} failed ({why}); the results were saved to {} instead", p.display())
        }
        Err(e) => format!(
            "writing {target} failed ({why}), and so did saving the results to the temporary directory ({e}): \
             only the summary printed above is left"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("eightfold-out-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_directory_under_a_file_or_in_proc_is_refused_as_bad_input() {
        let d = scratch("dir");
        let f = d.join("file");
        fs::write(&f, "x").unwrap();
        for (path, says) in [
            (f.clone(), "exists and is not a directory"),
            (f.join("sub"), "is a file, not a directory"),
            (PathBuf::from("/proc/eightfold-x"), "cannot create the directory"),
        ] {
            let e = dir("--out", &path).err().unwrap_or_else(|| panic!("{} accepted", path.display()));
            assert_eq!(e.exit, super::super::Exit::BadInput);
            assert!(e.message.starts_with("--out: ") && e.message.contains(says), "{}", e.message);
            assert_eq!(e.message.lines().count(), 1);
        }
        assert!(dir("--out", &d.join("a/b")).is_ok());
        assert!(d.join("a/b").is_dir());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_file_in_proc_or_under_a_file_is_refused_as_bad_input() {
        let d = scratch("file");
        let f = d.join("file");
        fs::write(&f, "x").unwrap();
        for (path, says) in [
            (PathBuf::from("/proc/x.json"), "cannot create files in /proc"),
            (f.join("x.json"), "is a file, not a directory"),
            (d.clone(), "is a directory; give a file name"),
        ] {
            let e = file("--out", &path).err().unwrap_or_else(|| panic!("{} accepted", path.display()));
            assert_eq!(e.exit, super::super::Exit::BadInput);
            assert!(e.message.starts_with("--out: ") && e.message.contains(says), "{}", e.message);
        }
        assert!(file("--out", &d.join("new/x.json")).is_ok());
        assert!(!d.join("new/x.json").exists(), "the check leaves no file behind");
        assert_eq!(fs::read_dir(d.join("new")).unwrap().count(), 0);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_result_that_cannot_be_written_is_kept_in_the_temporary_directory() {
        let kept = fallback("t-sweep.json", b"{}");
        let f = lost("reports/t-sweep.json", "No space left on device", kept);
        assert_eq!(f.exit, super::super::Exit::Internal);
        assert!(
            f.message.contains("No space left on device") && f.message.contains("saved to"),
            "{}",
            f.message
        );
        let path = f.message.rsplit("saved to ").next().unwrap().trim_end_matches(" instead");
        assert_eq!(fs::read(path).unwrap(), b"{}");
        let _ = fs::remove_file(path);
        let gone = lost("x", "disk full", Err(io::Error::other("also full")));
        assert!(gone.message.contains("only the summary printed above is left"), "{}", gone.message);
    }
}
