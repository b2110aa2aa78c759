//! Writing reports and result files atomically: everything goes into a hidden temporary
//! entry next to the destination, which is renamed into place only when complete (a rename
//! within one directory is atomic). An interrupted run therefore leaves either the previous
//! report or the new one, never a half-written mix.
//!
//! Two shapes, one mechanism: a single file ([`write_file`]: sweep summaries, charts,
//! recordings) is a [`tempfile::NamedTempFile`] persisted over its destination; a report
//! directory ([`ReportDir`]) is a [`tempfile::TempDir`] renamed into place, the old report
//! swapped out first. Both are removed by `tempfile` if dropped unfinished, and both are
//! named by [`temporary_name`] so that [`remove_stale`] recognises them.
//!
//! A run killed outright (SIGKILL, a crash of the machine) cannot remove its temporary
//! entries; the next report written into the same directory does, with
//! [`remove_stale`]. Temporary names carry who made them — `.NAME.XXXXXX.tmp-HOST-PID`
//! (and `.NAME.old-HOST-PID` for a report being replaced), where `XXXXXX` tells apart two
//! writers in one process and `HOST` stands for this machine and PID namespace ([`host`]) —
//! so that a directory shared by several machines or containers (a cluster's shared file
//! system, a volume mounted in many pods) is cleaned only of this host's leftovers whose
//! process is gone. A live process's entry is never touched; another host's only once it
//! is older than [`STALE_AFTER`]. Names without `HOST` (written by earlier versions) are
//! taken as this host's.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// How old a temporary entry must be before it is removed when it is not known to be
/// stale: made on another host, or where this system cannot tell whether its process is
/// alive.
pub const STALE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// This host, as 8 hex digits: a hash of the kernel's boot id and this process's PID
/// namespace on Linux (two containers on one machine differ), of the host name elsewhere.
pub fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
        let ns = fs::read_link("/proc/self/ns/pid").map(|p| p.display().to_string()).unwrap_or_default();
        let name = std::env::var("HOSTNAME").unwrap_or_default();
        let seed = if boot.is_empty() && ns.is_empty() { name } else { format!("{boot}/{ns}") };
        // FNV-1a: a name, not a digest of anything the simulation does.
        let h = seed
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        format!("{:08x}", (h ^ (h >> 32)) as u32)
    })
}

/// The hidden temporary name of `name` made by this process: `.{name}.{kind}-HOST-PID`,
/// `kind` being `tmp` (being written) or `old` (being replaced).
pub fn temporary_name(name: &str, kind: &str) -> String {
    format!(".{name}.{kind}-{}-{}", host(), std::process::id())
}

/// Makes a unique hidden temporary entry for `name` in `dir` with `make` (a file or a
/// directory), named `.{name}.XXXXXX.tmp-HOST-PID` ([`temporary_owner`] reads it). Files
/// get the permissions an ordinary new file gets (`tempfile`'s own default is owner-only,
/// which would make a report unreadable to the rest of a team).
fn temporary<T>(
    dir: &Path,
    name: &str,
    make: impl FnOnce(&tempfile::Builder<'_, '_>, &Path) -> io::Result<T>,
) -> io::Result<T> {
    let prefix = format!(".{name}.");
    let suffix = format!(".tmp-{}-{}", host(), std::process::id());
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(&suffix);
    make(&b, dir)
}

/// The directory a file goes into (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Writes `contents` to the file `path` atomically: into a hidden temporary file in the
/// same directory, persisted over `path` with one rename once whole. The directory is
/// created if need be, and cleaned of dead processes' leftovers ([`remove_stale`]). On
/// failure the temporary file is removed and `path` is as it was.
pub fn write_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = parent(path);
    fs::create_dir_all(dir)?;
    remove_stale(dir);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = temporary(dir, &name, |b, dir| {
        #[cfg(unix)]
        let b = {
            use std::os::unix::fs::PermissionsExt;
            let mut b = b.clone();
            b.permissions(fs::Permissions::from_mode(0o666));
            b
        };
        b.tempfile_in(dir)
    })?;
    tmp.write_all(contents)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Who made a temporary entry: the host (absent in names written by earlier versions) and
/// the process id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// [`host`] of the process that made it.
    pub host: Option<String>,
    /// Its process id.
    pub pid: u32,
}

/// The owner in the name of a temporary entry (`.x-seed1.tmp-0a1b2c3d-4242`, or the older
/// `.x-seed1.tmp-4242`); `None` for any other name.
pub fn temporary_owner(name: &str) -> Option<Owner> {
    let rest = name.strip_prefix('.')?;
    let (stem, pid) = rest.rsplit_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pid = pid.parse().ok()?;
    let marked =
        |s: &str| [".tmp", ".old"].iter().any(|k| s.strip_suffix(k).is_some_and(|base| !base.is_empty()));
    if marked(stem) {
        return Some(Owner { host: None, pid });
    }
    let (stem, host) = stem.rsplit_once('-')?;
    (host.len() == 8 && host.bytes().all(|b| b.is_ascii_hexdigit()) && marked(stem))
        .then(|| Owner { host: Some(host.to_string()), pid })
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
        let Some(owner) = name.to_str().and_then(temporary_owner) else { continue };
        let here = owner.host.as_deref().is_none_or(|h| h == host());
        if here && owner.pid == own {
            continue;
        }
        let old = || {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_AFTER)
        };
        let stale = match (here, alive(owner.pid)) {
            (true, Some(alive)) => !alive,
            _ => old(),
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
    /// Removed by `tempfile` if the report is dropped unfinished.
    tmp: tempfile::TempDir,
    dest: PathBuf,
    /// Keeps `tmp` listed for [`remove_unfinished`] while it exists.
    _listed: Listed,
}

/// An entry of the list of unfinished reports, taken off when dropped.
struct Listed(PathBuf);

impl Drop for Listed {
    fn drop(&mut self) {
        finished(&self.0);
    }
}

impl ReportDir {
    /// Starts a report that will end up at `dest`.
    pub fn create(dest: &Path) -> io::Result<ReportDir> {
        let parent = parent(dest);
        fs::create_dir_all(parent)?;
        remove_stale(parent);
        let name =
            dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
        let tmp = temporary(parent, &name, |b, dir| b.tempdir_in(dir))?;
        unfinished().push(tmp.path().to_path_buf());
        let listed = Listed(tmp.path().to_path_buf());
        Ok(ReportDir { tmp, dest: dest.to_path_buf(), _listed: listed })
    }

    /// The path of a file inside the (temporary) report.
    pub fn path(&self, file: &str) -> PathBuf {
        self.tmp.path().join(file)
    }

    /// Writes one file into the report.
    pub fn write(&self, file: &str, contents: impl AsRef<[u8]>) -> io::Result<()> {
        fs::write(self.path(file), contents)
    }

    /// Writes a value as JSON into the report, streamed (a long run's history is large).
    pub fn write_json(&self, file: &str, value: &impl serde::Serialize) -> io::Result<()> {
        let mut w = io::BufWriter::new(fs::File::create(self.path(file))?);
        serde_json::to_writer(&mut w, value).map_err(io::Error::from)?;
        w.write_all(b"\n")?;
        w.flush()
    }

    /// Moves the finished report into place, replacing an older one. On failure the
    /// temporary directory is removed.
    pub fn commit(self) -> io::Result<PathBuf> {
        let dest = self.dest.clone();
        let tmp = self.tmp.path();
        if dest.exists() {
            let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let old = tmp.with_file_name(temporary_name(&name, "old"));
            fs::rename(&dest, &old)?;
            fs::rename(tmp, &dest)?;
            fs::remove_dir_all(&old)?;
        } else {
            fs::rename(tmp, &dest)?;
        }
        // Renamed away: nothing is left for the TempDir to remove.
        let _ = self.tmp.keep();
        Ok(dest)
    }

    /// Discards the report.
    pub fn abandon(self) {
        drop(self);
    }
}

/// The temporary directories of reports not yet committed or dropped.
fn unfinished() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    static DIRS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    DIRS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn finished(tmp: &Path) {
    unfinished().retain(|d| d != tmp);
}

/// Removes the temporary directory of every report still being written: for a process
/// about to exit without unwinding (the linearizability watchdog), so that it leaves no
/// half-written report behind.
pub fn remove_unfinished() {
    for dir in unfinished().drain(..) {
        let _ = fs::remove_dir_all(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_and_their_owner() {
        let mine = temporary_name("raft-seed1", "tmp");
        assert_eq!(
            temporary_owner(&mine),
            Some(Owner { host: Some(host().into()), pid: std::process::id() })
        );
        assert_eq!(temporary_owner(".raft-seed1.tmp-4242"), Some(Owner { host: None, pid: 4242 }));
        assert_eq!(
            temporary_owner(".x-sweep.json.old-0a1b2c3d-7"),
            Some(Owner { host: Some("0a1b2c3d".into()), pid: 7 })
        );
        for name in [
            "raft-seed1.tmp-4242",
            ".raft-seed1.tmp-",
            ".raft-seed1.tmp-12a",
            ".tmp-5",
            ".a.bak-5",
            ".x.tmp",
            ".x.tmp-0a1b2c3-5",
            ".x.tmp-zz1b2c3d-5",
        ] {
            assert_eq!(temporary_owner(name), None, "{name}");
        }
        assert_eq!(host().len(), 8);
    }

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("eightfold-writer-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A file is written whole or not at all, replaces the old one, leaves nothing
    /// temporary behind, and is as readable as a file written plainly.
    #[test]
    fn a_file_is_replaced_whole_and_nothing_temporary_is_left() {
        let dir = scratch("file");
        let path = dir.join("sweep.json");
        write_file(&path, b"one").unwrap();
        write_file(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(entries(&dir), ["sweep.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::write(dir.join("plain"), b"x").unwrap();
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), mode(&dir.join("plain")));
            fs::remove_file(dir.join("plain")).unwrap();
        }
        // A destination that cannot be replaced (a non-empty directory): an error, the
        // destination untouched and no temporary file left.
        let blocked = dir.join("blocked");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("inside"), b"x").unwrap();
        assert!(write_file(&blocked, b"three").is_err());
        assert!(blocked.join("inside").is_file());
        assert_eq!(entries(&dir), ["blocked", "sweep.json"]);
        // A fresh subdirectory is made.
        write_file(&dir.join("new/chart.svg"), b"<svg/>").unwrap();
        assert_eq!(entries(&dir.join("new")), ["chart.svg"]);
        let _ = fs::remove_dir_all(&dir);
    }

    /// A report appears whole when committed, replaces an older one whole, and an
    /// abandoned one leaves nothing; while it is written its temporary directory is named
    /// so that [`remove_stale`] knows its owner.
    #[test]
    fn a_report_directory_appears_whole_or_not_at_all() {
        let dir = scratch("report");
        let dest = dir.join("x-seed1");
        let r = ReportDir::create(&dest).unwrap();
        r.write("outcome.json", "{}").unwrap();
        let tmp = r.path("");
        let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            temporary_owner(&name),
            Some(Owner { host: Some(host().into()), pid: std::process::id() })
        );
        assert!(unfinished().contains(&tmp));
        assert!(!dest.exists());
        assert_eq!(r.commit().unwrap(), dest);
        assert!(!unfinished().iter().any(|d| d.starts_with(&dir)));
        assert_eq!(entries(&dest), ["outcome.json"]);
        let r = ReportDir::create(&dest).unwrap();
        r.write_json("outcome.json", &serde_json::json!({"seed": 2})).unwrap();
        r.commit().unwrap();
        assert_eq!(fs::read_to_string(dest.join("outcome.json")).unwrap(), "{\"seed\":2}\n");
        let r = ReportDir::create(&dir.join("x-seed2")).unwrap();
        r.write("outcome.json", "{}").unwrap();
        r.abandon();
        assert_eq!(entries(&dir), ["x-seed1"]);
        assert!(!unfinished().iter().any(|d| d.starts_with(&dir)));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_the_leftovers_of_dead_processes_of_this_host_are_removed() {
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
        let h = host();
        let other = if h == "00000000" { "00000001" } else { "00000000" };
        let stale_dir = dir.join(format!(".x-seed1.tmp-{h}-{dead}"));
        fs::create_dir(&stale_dir).unwrap();
        fs::write(stale_dir.join("outcome.json"), "{}").unwrap();
        fs::write(dir.join(format!(".x-sweep.json.tmp-{h}-{dead}")), "{}").unwrap();
        fs::create_dir(dir.join(format!(".x-seed1.old-{dead}"))).unwrap();
        let kept = [
            format!(".x-seed2.tmp-{h}-{live}"),
            format!(".x-seed3.tmp-{h}-{}", std::process::id()),
            // Another machine's: its process may well be alive there.
            format!(".x-seed4.tmp-{other}-{dead}"),
            format!("x-seed1.tmp-{dead}"),
        ];
        for k in &kept {
            fs::create_dir(dir.join(k)).unwrap();
        }
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
        let mut want = kept.to_vec();
        want.sort();
        assert_eq!(left, want);
    }
}
