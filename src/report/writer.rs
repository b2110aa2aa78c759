//! Writing a report directory atomically: everything goes into a hidden temporary
//! directory next to the destination, which is renamed into place only when complete.
//! An interrupted run therefore leaves either the previous report or the new one, never
//! a half-written mix.
//!
//! A run killed outright (SIGKILL, a crash of the machine) cannot remove its temporary
//! directory; the next report written into the same directory does, with
//! [`remove_stale`]: every hidden `.NAME.tmp-PID` (or `.NAME.old-PID`) whose process is no
//! longer alive. One whose process still runs is never touched.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How old a temporary entry must be before it is removed where this system cannot tell
/// whether the process that made it is still alive.
pub const STALE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// The process id in the name of a temporary entry (`.x-seed1.tmp-4242`, `.sweep.json.old-7`).
pub fn temporary_owner(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let (stem, pid) = name.rsplit_once('-')?;
    if !(stem.ends_with(".tmp") || stem.ends_with(".old")) || stem.len() <= ".tmp".len() + 1 {
        return None;
    }
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` is alive: `Some` where the system says (Linux's `/proc`),
/// `None` where it cannot be known.
fn alive(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return None;
    }
    Some(proc.join(pid.to_string()).exists())
}

/// Removes the temporary entries left in `dir` by processes that died before they could
/// (see the module docs); returns how many it removed. Errors are ignored: cleaning up
/// must never stop a new report from being written.
pub fn remove_stale(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    let own = std::process::id();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_owner) else { continue };
        if pid == own {
            continue;
        }
        let stale = match alive(pid) {
            Some(alive) => !alive,
            None => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_AFTER),
        };
        if !stale {
            continue;
        }
        let path = entry.path();
        let gone = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed += usize::from(gone.is_ok());
    }
    removed
}

/// A report directory being written.
pub struct ReportDir {
    tmp: PathBuf,
    dest: PathBuf,
}

impl ReportDir {
    /// Starts a report that will end up at `dest`.
    pub fn create(dest: &Path) -> io::Result<ReportDir> {
        let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent)?;
        remove_stale(parent);
        let name =
            dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir(&tmp)?;
        Ok(ReportDir { tmp, dest: dest.to_path_buf() })
    }

    /// The path of a file inside the (temporary) report.
    pub fn path(&self, file: &str) -> PathBuf {
        self.tmp.join(file)
    }

    /// Writes one file into the report.
    pub fn write(&self, file: &str, contents: impl AsRef<[u8]>) -> io::Result<()> {
        fs::write(self.path(file), contents)
    }

    /// Writes a value as JSON into the report, streamed (a long run's history is large).
    pub fn write_json(&self, file: &str, value: &impl serde::Serialize) -> io::Result<()> {
        let mut w = io::BufWriter::new(fs::File::create(self.path(file))?);
        serde_json::to_writer(&mut w, value).map_err(io::Error::from)?;
        io::Write::write_all(&mut w, b"\n")?;
        io::Write::flush(&mut w)
    }

    /// Moves the finished report into place, replacing an older one.
    pub fn commit(self) -> io::Result<PathBuf> {
        let dest = self.dest.clone();
        if dest.exists() {
            let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let old = self.tmp.with_file_name(format!(".{name}.old-{}", std::process::id()));
            fs::rename(&dest, &old)?;
            fs::rename(&self.tmp, &dest)?;
            fs::remove_dir_all(&old)?;
        } else {
            fs::rename(&self.tmp, &dest)?;
        }
        let path = dest.clone();
        std::mem::forget(self);
        Ok(path)
    }

    /// Discards the report.
    pub fn abandon(self) {
        drop(self);
    }
}

impl Drop for ReportDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_and_their_owner() {
        assert_eq!(temporary_owner(".raft-seed1.tmp-4242"), Some(4242));
        assert_eq!(temporary_owner(".x-sweep.json.tmp-7"), Some(7));
        assert_eq!(temporary_owner(".raft-seed1.old-12"), Some(12));
        for name in
            ["raft-seed1.tmp-4242", ".raft-seed1.tmp-", ".raft-seed1.tmp-12a", ".tmp-5", ".a.bak-5", ".x.tmp"]
        {
            assert_eq!(temporary_owner(name), None, "{name}");
        }
    }

    #[test]
    fn only_the_leftovers_of_dead_processes_are_removed() {
        let dir = std::env::temp_dir().join(format!("eightfold-stale-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        // A process that has ended: its id is free (and is not reused this soon).
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let dead = child.id();
        child.wait().expect("wait");
        // A process that is still running.
        let mut sleeper = std::process::Command::new("sleep").arg("30").spawn().expect("spawn");
        let live = sleeper.id();
        let stale_dir = dir.join(format!(".x-seed1.tmp-{dead}"));
        fs::create_dir(&stale_dir).unwrap();
        fs::write(stale_dir.join("outcome.json"), "{}").unwrap();
        fs::write(dir.join(format!(".x-sweep.json.tmp-{dead}")), "{}").unwrap();
        fs::create_dir(dir.join(format!(".x-seed1.old-{dead}"))).unwrap();
        let busy = dir.join(format!(".x-seed2.tmp-{live}"));
        fs::create_dir(&busy).unwrap();
        let own = dir.join(format!(".x-seed3.tmp-{}", std::process::id()));
        fs::create_dir(&own).unwrap();
        let unrelated = dir.join(format!("x-seed1.tmp-{dead}"));
        fs::create_dir(&unrelated).unwrap();
        let removed = remove_stale(&dir);
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let _ = fs::remove_dir_all(&dir);
        if alive(dead).is_none() {
            return; // no /proc: liveness cannot be told, and nothing this young is removed
        }
        assert_eq!(removed, 3, "{left:?}");
        let mut want = vec![
            format!(".x-seed2.tmp-{live}"),
            format!(".x-seed3.tmp-{}", std::process::id()),
            format!("x-seed1.tmp-{dead}"),
        ];
        want.sort();
        assert_eq!(left, want);
    }
}
