//! The device: a node's files, its FIFO of in-flight fsyncs, its faults and counters.
//!
//! Completions are *lazy*: [`Disk::apply`] decides when an fsync will complete and returns
//! that time for the kernel to schedule, and the disk itself moves the fsync's changes into
//! the durable state the first time it is asked about a moment at or after that time
//! ([`Disk::advance`], which every method taking `now` calls first). So the kernel never
//! has to call back into the disk when it delivers a completion, and the durable state at
//! any instant is exactly "every fsync whose completion time has passed".

use std::collections::VecDeque;

use super::config::DiskConfig;
use super::faults::{Corruption, DiskFaults};
use super::file::{SimFile, SyncOutcome, SyncPoint};
use super::stats::DiskStats;
use crate::sim::rng::Draw;
use crate::sim::{DiskEvent, DiskOp, FileId, SimTime, StorageView};

/// Counts the disk's crashes: a completion issued before the latest crash is void.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Epoch(pub u32);

/// An fsync completion for the kernel to deliver to the node at `at`.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Completion {
    /// When the device acknowledges the fsync (virtual time).
    pub at: SimTime,
    /// What to hand to the node's `on_disk`.
    pub event: DiskEvent,
    /// The disk's epoch when the fsync was issued; if the disk crashed since, the
    /// completion must be dropped (see [`Disk::is_current`]).
    pub epoch: Epoch,
}

/// What a crash did, for the trace and the fault log.
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
pub struct CrashReport {
    /// Fsyncs in flight at the crash: they never complete and persisted nothing.
    pub fsyncs_dropped: u64,
    /// Files where a torn append left part of its bytes behind.
    pub torn_writes: u64,
    /// Bytes those torn appends left behind in total.
    pub torn_bytes: u64,
}

/// An fsync the device has accepted and not yet acknowledged.
#[derive(Copy, Clone, Debug)]
struct InFlight {
    file: FileId,
    point: SyncPoint,
    fails: bool,
    issued: SimTime,
    done: SimTime,
}

/// One node's simulated storage device. See [`crate::disk`] for the model.
#[derive(Clone, Debug)]
pub struct Disk {
    config: DiskConfig,
    /// The files by id, sorted: a node keeps a few (Raft a log and a snapshot), so a
    /// short scan finds one faster than a tree search on every write.
    files: Vec<(FileId, SimFile)>,
    /// Accepted fsyncs in issue order; their completion times never decrease.
    in_flight: VecDeque<InFlight>,
    /// Completion time of the most recently issued fsync (the FIFO's tail).
    tail: SimTime,
    faults: DiskFaults,
    epoch: Epoch,
    stats: DiskStats,
    /// The latest time the disk was told about.
    now: SimTime,
}

impl Disk {
    /// An empty disk.
    pub fn new(config: DiskConfig) -> Self {
        Disk {
            config,
            files: Vec::new(),
            in_flight: VecDeque::new(),
            tail: SimTime::ZERO,
            faults: DiskFaults::default(),
            epoch: Epoch::default(),
            stats: DiskStats::default(),
            now: SimTime::ZERO,
        }
    }

    /// The file `id`, if it exists.
    fn file(&self, id: FileId) -> Option<&SimFile> {
        self.files.iter().find(|(f, _)| *f == id).map(|(_, file)| file)
    }

    /// The file `id`, created empty if it does not exist yet (kept in id order).
    #[inline]
    fn file_mut(&mut self, id: FileId) -> &mut SimFile {
        let i = match self.files.iter().position(|(f, _)| *f >= id) {
            Some(i) if self.files[i].0 == id => i,
            Some(i) => {
                self.files.insert(i, (id, SimFile::default()));
                i
            }
            None => {
                self.files.push((id, SimFile::default()));
                self.files.len() - 1
            }
        };
        &mut self.files[i].1
    }

    /// The configuration the disk was built with.
    pub fn config(&self) -> &DiskConfig {
        &self.config
    }

    /// Carries out one request at virtual time `now` (the kernel's time, not the node's
    /// skewed clock). Writes take effect at once in the current content; an fsync returns
    /// the completion to schedule. Draws (fsync latency, random fsync failure) come from
    /// `rng`, the node's disk stream.
    pub fn apply(&mut self, now: SimTime, op: DiskOp, rng: &mut impl Draw) -> Option<Completion> {
        self.advance(now);
        match op {
            DiskOp::Append { file, data } => {
                self.append(now, file, &data);
                None
            }
            DiskOp::Truncate { file, len } => {
                self.stats.truncates += 1;
                let len = usize::try_from(len).expect("truncate length exceeds the address space");
                self.file_mut(file).truncate(len);
                None
            }
            DiskOp::Replace { file, data } => {
                self.stats.replaces += 1;
                self.stats.bytes_written += data.len() as u64;
                self.file_mut(file).replace(data);
                None
            }
            DiskOp::Fsync { file, token } => Some(self.fsync(now, file, token, rng)),
        }
    }

    /// [`DiskOp::Append`] of `data` to `file`, from a borrowed slice: the kernel keeps the
    /// request's vector to hand out again ([`crate::sim::Ctx::buffer`]).
    pub fn append(&mut self, now: SimTime, file: FileId, data: &[u8]) {
        self.advance(now);
        self.stats.appends += 1;
        self.stats.bytes_written += data.len() as u64;
        self.file_mut(file).append(data);
    }

    fn fsync(&mut self, now: SimTime, file: FileId, token: u64, rng: &mut impl Draw) -> Completion {
        self.stats.fsyncs_issued += 1;
        let point = self.file_mut(file).seal();
        let latency = self.faults.stretch(self.config.fsync_latency.sample(rng));
        let fails = self.faults.next_fails(rng);
        // A FIFO device: an fsync is never acknowledged before one issued earlier.
        let done = (now + latency).max(self.tail);
        self.tail = done;
        self.in_flight.push_back(InFlight { file, point, fails, issued: now, done });
        let event = if fails { DiskEvent::SyncFailed { token } } else { DiskEvent::Synced { token } };
        Completion { at: done, event, epoch: self.epoch }
    }

    /// Moves time forward to `now`: every fsync whose completion time is at or before
    /// `now` takes effect (makes its changes durable, or fails). Called by every method
    /// that takes `now`; call it directly before reading [`Disk::stats`] at the end of a
    /// run.
    pub fn advance(&mut self, now: SimTime) {
        debug_assert!(now >= self.now, "disk time went backwards: {now:?} < {:?}", self.now);
        self.now = self.now.max(now);
        while let Some(f) = self.in_flight.front().copied() {
            if f.done > now {
                break;
            }
            self.in_flight.pop_front();
            let file = self
                .files
                .iter_mut()
                .find(|(id, _)| *id == f.file)
                .map(|(_, file)| file)
                .expect("an fsync's file exists");
            match file.complete(f.point, !f.fails) {
                SyncOutcome::Persisted => self.stats.fsyncs_completed += 1,
                SyncOutcome::Unpersisted => {
                    self.stats.fsyncs_completed += 1;
                    self.stats.fsyncs_unpersisted += 1;
                }
                SyncOutcome::Failed => self.stats.fsyncs_failed += 1,
            }
            let latency = (f.done - f.issued).as_nanos();
            self.stats.fsync_latency_sum_ns += latency;
            self.stats.fsync_latency_max_ns = self.stats.fsync_latency_max_ns.max(latency);
        }
    }

    /// Power loss at `now`: fsyncs completed by then stay durable, those in flight are
    /// lost, and every file reverts to its durable content — plus, with torn writes on, a
    /// strict prefix (drawn from `rng`) of its first not-yet-durable append. Completions
    /// issued before the crash become stale ([`Disk::is_current`]). The page cache is gone,
    /// so latent corruption becomes visible to reads. Fault settings (slowness, pending
    /// fsync failures) belong to the device and stay.
    pub fn crash(&mut self, now: SimTime, rng: &mut impl Draw) -> CrashReport {
        self.advance(now);
        let mut report =
            CrashReport { fsyncs_dropped: self.in_flight.len() as u64, ..CrashReport::default() };
        self.in_flight.clear();
        self.tail = SimTime::ZERO;
        self.epoch = Epoch(self.epoch.0.wrapping_add(1));
        let torn = self.config.torn_writes;
        for (_, file) in &mut self.files {
            let survived = file.crash(if torn { Some(&mut *rng) } else { None });
            if survived > 0 {
                report.torn_writes += 1;
                report.torn_bytes += survived as u64;
            }
        }
        self.stats.crashes += 1;
        self.stats.fsyncs_dropped += report.fsyncs_dropped;
        self.stats.torn_writes += report.torn_writes;
        report
    }

    /// The disk's epoch: how many times it crashed.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// True if `completion` was issued since the last crash and should be delivered; a
    /// stale one belongs to a node incarnation that no longer exists.
    pub fn is_current(&self, completion: &Completion) -> bool {
        completion.epoch == self.epoch
    }

    /// Fault: flips one random bit of `file`'s durable content at `now` (latent corruption
    /// on the medium, seen by reads only after a crash reloads the file). `None` if the
    /// file has no durable bytes.
    pub fn corrupt(&mut self, now: SimTime, file: FileId, rng: &mut impl Draw) -> Option<Corruption> {
        self.advance(now);
        // Not `file_mut`: corrupting a file that does not exist must not create it.
        let hit = self.files.iter_mut().find(|(id, _)| *id == file)?.1.corrupt(rng);
        if hit.is_some() {
            self.stats.corruptions += 1;
        }
        hit
    }

    /// Fault: the next `n` fsyncs issued fail (in addition to any already pending).
    pub fn fail_fsyncs(&mut self, n: u64) {
        self.faults.fail_next(n);
    }

    /// Fault: each fsync issued from now on fails with probability `p` (0 to stop).
    /// Panics if `p` is not in `[0, 1]` (the scenario validator rejects such values).
    pub fn set_fsync_failure_rate(&mut self, p: f64) {
        self.faults.set_fail_rate(p);
    }

    /// Fault: fsyncs issued from now on take `factor` times their drawn latency (1 is
    /// nominal speed). Panics if `factor` is negative or not finite.
    pub fn set_slowness(&mut self, factor: f64) {
        self.faults.set_slowness(factor);
    }

    /// The current slowness factor.
    pub fn slowness(&self) -> f64 {
        self.faults.slowness()
    }

    /// The counters (completions counted up to the last time the disk was advanced to).
    pub fn stats(&self) -> &DiskStats {
        &self.stats
    }

    /// Fsyncs accepted and not yet completed (as of the last advance).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The files that exist, in id order.
    pub fn files(&self) -> impl Iterator<Item = FileId> + '_ {
        self.files.iter().map(|(id, _)| *id)
    }

    /// What a crash would leave of `file` (as of the last advance, torn writes aside,
    /// latent corruption included). Copies the file: for checkers and tests.
    pub fn durable(&self, file: FileId) -> Vec<u8> {
        self.file(file).map(SimFile::durable_content).unwrap_or_default()
    }

    /// Length of what a crash would leave of `file` (as of the last advance, torn writes
    /// aside). Cheap.
    pub fn durable_len(&self, file: FileId) -> u64 {
        self.file(file).map_or(0, |f| f.durable_len() as u64)
    }
}

impl StorageView for Disk {
    /// The current content: everything written, durable or not. The kernel hands the disk
    /// to a node's factory after a crash, when current and durable content are the same.
    fn read(&self, file: FileId) -> Vec<u8> {
        self.file(file).map(|f| f.content().to_vec()).unwrap_or_default()
    }
}
