//! Writing a report directory atomically: everything goes into a hidden temporary
//! directory next to the destination, which is renamed into place only when complete.
//! An interrupted run therefore leaves either the previous report or the new one, never
//! a half-written mix.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

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
        let name =
            dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "report".into());
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir(&tmp)?;
        unfinished().push(tmp.clone());
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
            let old = self.tmp.with_extension("old");
            fs::rename(&dest, &old)?;
            fs::rename(&self.tmp, &dest)?;
            fs::remove_dir_all(&old)?;
        } else {
            fs::rename(&self.tmp, &dest)?;
        }
        let path = dest.clone();
        finished(&self.tmp);
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
        finished(&self.tmp);
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
