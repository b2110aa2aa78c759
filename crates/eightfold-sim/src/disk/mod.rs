//! Simulated storage: a per-node device with crash semantics, and a write-ahead log.
//!
//! # The model
//!
//! A real file system keeps two versions of every file: what programs read (the *page
//! cache*, in memory) and what is on the medium (the *durable* content). Writes change
//! the page cache at once; the operating system copies them to the medium later, or when a
//! program calls `fsync`. A power loss throws the page cache away. Consensus protocols
//! live on this distinction — a Raft node may only vote or acknowledge an entry once it is
//! durable — so the simulator models it exactly, and a simulated crash loses precisely
//! what a real one could.
//!
//! Protocols issue [`DiskOp`](crate::sim::DiskOp)s through their context; the kernel
//! applies them to the node's [`Disk`] after the handler returns, at virtual time `now`:
//!
//! - **Append / Truncate / Replace** change the *current* content immediately (a read, or
//!   a crash-free future, sees them). None of them is durable yet.
//! - **Fsync** of a file promises: everything written to *that file* before the fsync was
//!   issued is durable once it completes. Writes made after it was issued are not covered,
//!   even if they happen before it completes. It completes after a latency drawn from the
//!   configured distribution, times the slow-disk factor; the device is a FIFO, so an fsync
//!   never completes before one issued earlier (completion time = max(now + latency,
//!   previous completion)). [`Disk::apply`] returns the [`Completion`] for the kernel to
//!   schedule; until that moment, the covered writes are *not* durable.
//! - **Crash** (power loss): every file reverts to its durable content — what completed
//!   fsyncs covered. An fsync still in flight did nothing. An fsync completing at exactly
//!   the crash instant counts as completed (the device finished; the node may not have
//!   heard). With torn writes on, the first not-yet-durable append to a file may leave a
//!   strict prefix of its bytes after the durable content, as a crash in the middle of a
//!   multi-sector write can; [`wal::recover`] detects and truncates such a tail.
//! - **Replace** is atomic (a temporary file renamed over the old one): after a crash the
//!   file holds either all of its old durable content or, if an fsync covering the replace
//!   completed, all of the new one — never a mix, never torn.
//!
//! # Failed fsyncs: the fsyncgate model
//!
//! In 2018 PostgreSQL discovered ("fsyncgate"; LWN, *PostgreSQL's fsync() surprise*) that
//! when Linux fails to write back dirty pages, `fsync` reports the error once, and the
//! kernel then marks those pages *clean*: their data stays readable in the page cache but
//! will never be written again, and the *next* `fsync` succeeds. A program that retries
//! the fsync believes data durable that is not. Rebello et al. (*Can Applications Recover
//! from fsync Failures?*, USENIX ATC 2020) found the same on ext4, XFS and Btrfs; the only
//! safe reaction is to crash and recover from what is durable, as PostgreSQL now does
//! (`Ctx::crash_self` exists for this).
//!
//! Modelled here: a failing fsync completes with `SyncFailed` and makes nothing durable.
//! The file is then *poisoned*: reads still see the written data, but later fsyncs of it
//! report `Synced` while persisting nothing (counted as `fsyncs_unpersisted`). A crash
//! (reboot) clears the poison, and so does a `Replace`, which writes a fresh inode — the
//! write-a-new-file-and-rename recovery works, as on Linux. This is slightly harsher than
//! Linux for appends made *after* the failure, which Linux would persist behind a hole of
//! stale bytes: for an append-only log read front to back, recovery stops at the hole
//! either way, so the records a node recovers are the same.
//!
//! # Corruption
//!
//! [`Disk::corrupt`] flips one random bit of a file's durable content: latent damage on
//! the medium. Reads served from the page cache do not see it; after a crash the file is
//! reloaded from the medium and [`wal::recover`] reports the damaged record as
//! [`wal::Tail::Corrupt`]. Persisting new data over the damaged bytes repairs them.
//!
//! # Memory
//!
//! Each file keeps its current content once, plus an undo log back to its durable content
//! (see `file.rs`): an append costs a few words until synced, so a long run that appends
//! and fsyncs a lot holds each byte once.
//!
//! # How the kernel uses a disk
//!
//! ```
//! use eightfold_sim::disk::{Disk, DiskConfig};
//! use eightfold_sim::net::Latency;
//! use eightfold_sim::sim::{DiskEvent, DiskOp, FileId, RngStreams, SimTime, StorageView};
//!
//! let mut rng = RngStreams::new(7).indexed("disk", 0); // one stream per node's disk
//! let mut disk = Disk::new(DiskConfig::new(Latency::Constant(1_000_000)));
//! let log = FileId(0);
//! let t = SimTime(0);
//! disk.apply(t, DiskOp::Append { file: log, data: b"entry".to_vec() }, &mut rng);
//! let done = disk.apply(t, DiskOp::Fsync { file: log, token: 1 }, &mut rng).unwrap();
//! assert_eq!(done.event, DiskEvent::Synced { token: 1 });
//! // The kernel schedules `done` at `done.at`, and delivers it only if
//! // `disk.is_current(&done)` (no crash since). A crash before then loses the entry:
//! disk.crash(SimTime(500_000), &mut rng);
//! assert!(!disk.is_current(&done));
//! assert_eq!(disk.read(log), b"");
//! ```

mod config;
mod device;
mod faults;
mod file;
mod stats;
pub mod wal;

#[cfg(test)]
mod tests;

pub use config::DiskConfig;
pub use device::{Completion, CrashReport, Disk, Epoch};
pub use faults::Corruption;
pub use stats::DiskStats;
