//! One simulated file: what a read sees now, and exactly what a crash would leave.
//!
//! A file keeps its *current* content (the page cache: every write applied) in one vector,
//! plus an **undo log** of the changes made since the content was last durable, oldest
//! first. Undoing the whole log yields the durable content, which is what a crash leaves.
//! Memory stays proportional to live data: an append is recorded as just its offset and
//! length (its bytes are in the current content), and only a truncation below bytes a
//! crash could bring back, or a replace, keeps old bytes — the bytes a real disk would also
//! still hold.
//!
//! An fsync *seals* the log at its current length: the changes before the seal are what
//! that fsync covers. When it completes, the sealed prefix of the log is dropped (those
//! changes are now durable). Changes after the last seal form the *open segment*, which a
//! new change may rewrite in place, because only the state at the segment's start can
//! ever be restored: appends merge, a truncation eats the appends it cuts off, and after a
//! replace nothing more needs recording. So a node that appends without syncing keeps a
//! constant-size log, not one entry per append.
//!
//! Besides the log, a file remembers two faults:
//! - *poison* (fsyncgate): after an fsync of this file fails, later fsyncs of the same
//!   inode persist nothing (see [`crate::disk`] for the model and why);
//! - *latent bit flips*: corruption of durable bytes on the medium, invisible to reads of
//!   the current content until a crash reloads the file from the medium.

use std::collections::VecDeque;

use super::faults::Corruption;
use crate::sim::rng::Draw;

/// One change since the durable content, with what it takes to undo it.
#[derive(Clone, Debug)]
enum Undo {
    /// `len` bytes (nonzero) were appended at offset `at`, by one append or by several in
    /// a row; the bytes are in the newer state.
    Appended {
        /// Offset of the first appended byte (the file's length before the append).
        at: usize,
        /// Number of bytes appended.
        len: usize,
        /// Length of the first of the appends merged here: the most a crash can tear off
        /// if this becomes the first change after the durable content.
        first: usize,
    },
    /// The file was cut to `at` bytes, removing `removed`.
    Truncated {
        /// The length after the cut.
        at: usize,
        /// The bytes the cut removed.
        removed: Vec<u8>,
    },
    /// The whole content was replaced; `old` is what it replaced.
    Replaced {
        /// The content before the replace.
        old: Vec<u8>,
    },
}

impl Undo {
    /// Lowest offset this change touched (bytes below it were left alone).
    fn touched_from(&self) -> usize {
        match *self {
            Undo::Appended { at, .. } | Undo::Truncated { at, .. } => at,
            Undo::Replaced { .. } => 0,
        }
    }

    /// Turns the state right after this change back into the state right before it.
    fn revert(self, data: &mut Vec<u8>) {
        match self {
            Undo::Appended { at, len, .. } => {
                debug_assert_eq!(data.len(), at + len);
                data.truncate(at);
            }
            Undo::Truncated { at, removed } => {
                debug_assert_eq!(data.len(), at);
                data.extend_from_slice(&removed);
            }
            Undo::Replaced { old } => *data = old,
        }
    }

    /// The length of the state before this change, given the length after it.
    fn length_before(&self) -> usize {
        match self {
            Undo::Appended { at, .. } => *at,
            Undo::Truncated { at, removed } => at + removed.len(),
            Undo::Replaced { old } => old.len(),
        }
    }
}

/// How two consecutive changes of the open segment combine.
enum Fold {
    /// They do not combine: keep both.
    Both(Undo, Undo),
    /// One record undoes both; it may combine further with the change before it.
    One(Undo),
    /// The earlier record already undoes both (nothing after a replace needs recording).
    Kept(Undo),
    /// The second change exactly cancels the first (an append cut off entirely).
    Neither,
}

/// Combines `prev` and the change `next` made right after it, when undoing them one after
/// the other can be done by a single record (or none).
fn fold(prev: Undo, next: Undo) -> Fold {
    use Undo::{Appended, Replaced, Truncated};
    match (prev, next) {
        // Undoing a replace restores the old content wholesale, whatever came after it.
        (prev @ Replaced { .. }, _) => Fold::Kept(prev),
        // Replacing after a change: restore what was there before that change.
        (prev, Replaced { mut old }) => {
            prev.revert(&mut old);
            Fold::One(Replaced { old })
        }
        (Appended { at, len, first }, Appended { at: b, len: m, .. }) if at + len == b => {
            Fold::One(Appended { at, len: len + m, first })
        }
        // A cut into or below an append shortens it, or removes it and cuts deeper.
        (Appended { at, first, .. }, Truncated { at: t, removed }) => {
            if t > at {
                Fold::One(Appended { at, len: t - at, first: first.min(t - at) })
            } else if t == at {
                Fold::Neither
            } else {
                let mut removed = removed;
                removed.truncate(at - t);
                Fold::One(Truncated { at: t, removed })
            }
        }
        // Two cuts in a row: one deeper cut removing both ranges.
        (Truncated { at: t1, removed: r1 }, Truncated { at: t2, mut removed }) => {
            debug_assert_eq!(t2 + removed.len(), t1);
            removed.extend_from_slice(&r1);
            Fold::One(Truncated { at: t2, removed })
        }
        (prev, next) => Fold::Both(prev, next),
    }
}

/// Which inode a file name points to. A replace writes a new inode and renames it over
/// the name, so it starts a new inode (and leaves any fsyncgate poison behind).
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
pub(crate) struct Inode(u32);

/// What an fsync covers: the changes of the undo log before `mark`, of inode `inode`.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) struct SyncPoint {
    /// Absolute position in the file's change history (changes before it are covered).
    mark: u64,
    /// The inode the file name pointed to when the fsync was issued.
    inode: Inode,
}

/// What completing an fsync did to the file.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum SyncOutcome {
    /// The covered changes are durable.
    Persisted,
    /// The fsync failed: nothing became durable, and the inode is now poisoned.
    Failed,
    /// The fsync reported success, but the inode was poisoned by an earlier failure, so
    /// nothing became durable (the fsyncgate trap).
    Unpersisted,
}

/// One bit flipped on the medium: applied to the durable content when a crash reloads it.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
struct Flip {
    offset: usize,
    mask: u8,
}

/// One file of a simulated disk.
#[derive(Clone, Debug, Default)]
pub(crate) struct SimFile {
    /// Current content: every write applied (what a read sees if no crash happens).
    data: Vec<u8>,
    /// Changes since the durable content, oldest first.
    undo: VecDeque<Undo>,
    /// Absolute history position of `undo[0]`.
    base: u64,
    /// Absolute history position of the last seal: changes before it are covered by an
    /// issued fsync and must not be rewritten. Never below `base`.
    sealed: u64,
    /// Fsyncs of this file issued and not yet completed.
    in_flight: u32,
    /// The inode the name points to now.
    inode: Inode,
    /// The inode whose fsync failed, if any since the last crash.
    poisoned: Option<Inode>,
    /// Bit flips on the medium, not visible in `data` until a crash.
    latent: Vec<Flip>,
}

impl SimFile {
    /// The current content.
    pub(crate) fn content(&self) -> &[u8] {
        &self.data
    }

    /// The content a crash right now would leave (ignoring torn writes), latent bit flips
    /// included. Costs a copy of the file: for tests and checkers, not the hot path.
    pub(crate) fn durable_content(&self) -> Vec<u8> {
        let mut data = self.data.clone();
        for change in self.undo.iter().rev() {
            change.clone().revert(&mut data);
        }
        for f in &self.latent {
            data[f.offset] ^= f.mask;
        }
        data
    }

    /// Length of the durable content.
    pub(crate) fn durable_len(&self) -> usize {
        self.undo.front().map_or(self.data.len(), Undo::length_before)
    }

    /// Number of undo records kept (a measure of the bookkeeping, for tests).
    #[cfg(test)]
    pub(crate) fn undo_records(&self) -> usize {
        self.undo.len()
    }

    /// Absolute history position just past the newest change.
    fn head(&self) -> u64 {
        self.base + self.undo.len() as u64
    }

    /// True if changes were made since the last seal.
    fn segment_open(&self) -> bool {
        self.head() > self.sealed
    }

    /// Appends bytes (creating the content if empty).
    pub(crate) fn append(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let at = self.data.len();
        self.data.extend_from_slice(bytes);
        self.record(Undo::Appended { at, len: bytes.len(), first: bytes.len() });
    }

    /// Cuts the content to `len` bytes, or extends it with zeros (as `ftruncate` does; the
    /// extension is recorded like an append of zeros).
    pub(crate) fn truncate(&mut self, len: usize) {
        let at = self.data.len();
        if len > at {
            self.data.resize(len, 0);
            self.record(Undo::Appended { at, len: len - at, first: len - at });
        } else if len < at {
            let removed = self.data.split_off(len);
            self.record(Undo::Truncated { at: len, removed });
        }
    }

    /// Replaces the whole content (a new inode renamed over the name: atomic).
    pub(crate) fn replace(&mut self, bytes: Vec<u8>) {
        self.inode = Inode(self.inode.0.wrapping_add(1));
        let old = std::mem::replace(&mut self.data, bytes);
        self.record(Undo::Replaced { old });
    }

    /// Records a change just applied to `data`, folding it into the open segment: only the
    /// state at the segment's start must stay restorable, so two changes in a row can
    /// often be undone by one record.
    fn record(&mut self, mut change: Undo) {
        while self.segment_open() {
            let prev = self.undo.pop_back().expect("open segment is non-empty");
            match fold(prev, change) {
                Fold::Both(prev, next) => {
                    self.undo.push_back(prev);
                    change = next;
                    break;
                }
                Fold::One(merged) => change = merged,
                Fold::Kept(prev) => {
                    self.undo.push_back(prev);
                    return;
                }
                Fold::Neither => return,
            }
        }
        self.undo.push_back(change);
    }

    /// Seals the log for an fsync issued now: it covers exactly the changes made so far.
    pub(crate) fn seal(&mut self) -> SyncPoint {
        self.sealed = self.head();
        self.in_flight += 1;
        SyncPoint { mark: self.sealed, inode: self.inode }
    }

    /// Completes an fsync (in issue order), successful or failed.
    pub(crate) fn complete(&mut self, point: SyncPoint, ok: bool) -> SyncOutcome {
        debug_assert!(self.in_flight > 0 && point.mark >= self.base && point.mark <= self.head());
        self.in_flight -= 1;
        let outcome = if !ok {
            self.poisoned = Some(point.inode);
            SyncOutcome::Failed
        } else if self.poisoned == Some(point.inode) {
            SyncOutcome::Unpersisted
        } else {
            self.persist(point.mark);
            SyncOutcome::Persisted
        };
        if self.in_flight == 0 && self.sealed > self.base {
            // A failed or unpersisted fsync left its seal behind, and no fsync of this file
            // needs an intermediate state any more: only the durable one must stay
            // restorable, so the whole log becomes one open segment and folds again (this
            // keeps a poisoned file's log from growing by a record per fsync).
            self.sealed = self.base;
            for change in std::mem::take(&mut self.undo) {
                self.record(change);
            }
        }
        outcome
    }

    /// Makes the changes before `mark` durable.
    fn persist(&mut self, mark: u64) {
        let n = (mark - self.base) as usize;
        if n == 0 {
            return;
        }
        // Bytes the newly durable changes rewrote replace the flipped ones on the medium.
        let rewritten_from = self.undo.drain(..n).map(|c| c.touched_from()).min().unwrap_or(usize::MAX);
        self.latent.retain(|f| f.offset < rewritten_from);
        self.base = mark;
    }

    /// A crash: the content reverts to its durable state. With `torn` given, the first
    /// change after the durable content, if it is an append, may leave a strict prefix of
    /// its bytes behind (drawn uniformly, so possibly none; an append later shortened by a
    /// truncation counts as the shorter append). Returns how many bytes of a torn append
    /// survived (0 if none).
    pub(crate) fn crash(&mut self, torn: Option<&mut impl Draw>) -> usize {
        let mut survived = 0;
        let first = self.undo.pop_front();
        while let Some(change) = self.undo.pop_back() {
            change.revert(&mut self.data);
        }
        match (first, torn) {
            (Some(Undo::Appended { at, first, .. }), Some(rng)) => {
                survived = rng.below(first as u64) as usize;
                self.data.truncate(at + survived);
            }
            (Some(change), _) => change.revert(&mut self.data),
            (None, _) => {}
        }
        for f in self.latent.drain(..) {
            self.data[f.offset] ^= f.mask;
        }
        *self = SimFile { data: std::mem::take(&mut self.data), ..SimFile::default() };
        survived
    }

    /// Flips one uniformly chosen bit of the durable content on the medium. `None` when
    /// nothing is durable (no draw is made then).
    pub(crate) fn corrupt(&mut self, rng: &mut impl Draw) -> Option<Corruption> {
        let len = self.durable_len();
        if len == 0 {
            return None;
        }
        let bit = rng.below(len as u64 * 8);
        let flip = Flip { offset: (bit / 8) as usize, mask: 1 << (bit % 8) };
        self.latent.push(flip);
        Some(Corruption { offset: bit / 8, bit: (bit % 8) as u8 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RngStreams;
    use crate::sim::SimRng;

    fn rng() -> SimRng {
        RngStreams::new(5).stream("file-test")
    }

    /// Crash without torn writes.
    fn crash(f: &mut SimFile) {
        f.crash(None::<&mut SimRng>);
    }

    fn synced(f: &mut SimFile) {
        let p = f.seal();
        assert_eq!(f.complete(p, true), SyncOutcome::Persisted);
    }

    #[test]
    fn unsynced_appends_are_lost_synced_ones_kept() {
        let mut f = SimFile::default();
        f.append(b"abc");
        synced(&mut f);
        f.append(b"def");
        assert_eq!(f.content(), b"abcdef");
        assert_eq!(f.durable_content(), b"abc");
        crash(&mut f);
        assert_eq!(f.content(), b"abc");
    }

    #[test]
    fn a_seal_covers_only_earlier_writes() {
        let mut f = SimFile::default();
        f.append(b"abc");
        let p = f.seal();
        f.append(b"def");
        f.complete(p, true);
        assert_eq!(f.durable_content(), b"abc");
        crash(&mut f);
        assert_eq!(f.content(), b"abc");
    }

    #[test]
    fn truncating_durable_bytes_is_undone_by_a_crash() {
        let mut f = SimFile::default();
        f.append(b"0123456789");
        synced(&mut f);
        f.truncate(4);
        f.append(b"xy");
        f.truncate(2);
        f.append(b"zz");
        assert_eq!(f.content(), b"01zz");
        assert_eq!(f.durable_content(), b"0123456789");
        crash(&mut f);
        assert_eq!(f.content(), b"0123456789");
    }

    #[test]
    fn truncation_sealed_then_persisted_survives() {
        let mut f = SimFile::default();
        f.append(b"0123456789");
        synced(&mut f);
        f.truncate(4);
        let p = f.seal();
        f.append(b"late");
        f.complete(p, true);
        crash(&mut f);
        assert_eq!(f.content(), b"0123");
    }

    #[test]
    fn extension_fills_zeros_and_is_volatile() {
        let mut f = SimFile::default();
        f.append(b"ab");
        synced(&mut f);
        f.truncate(5);
        assert_eq!(f.content(), b"ab\0\0\0");
        crash(&mut f);
        assert_eq!(f.content(), b"ab");
    }

    #[test]
    fn intermediate_sealed_states_are_exact() {
        // Three fsyncs in flight over a mix of changes; completing them one by one must
        // make exactly each issue-time state durable.
        let mut f = SimFile::default();
        f.append(b"hello");
        let p1 = f.seal();
        f.truncate(2);
        f.append(b"y");
        let p2 = f.seal();
        f.replace(b"new".to_vec());
        f.append(b"!");
        let p3 = f.seal();
        f.append(b"?");
        assert_eq!(f.durable_content(), b"");
        f.complete(p1, true);
        assert_eq!(f.durable_content(), b"hello");
        f.complete(p2, true);
        assert_eq!(f.durable_content(), b"hey");
        f.complete(p3, true);
        assert_eq!(f.durable_content(), b"new!");
        assert_eq!(f.content(), b"new!?");
    }

    #[test]
    fn replace_is_all_or_nothing() {
        let mut f = SimFile::default();
        f.append(b"old state");
        synced(&mut f);
        f.replace(b"new".to_vec());
        f.replace(b"newer".to_vec());
        let p = f.seal();
        f.append(b"!");
        f.complete(p, false);
        crash(&mut f);
        assert_eq!(f.content(), b"old state");
        // After the reboot, a replace that is synced persists whole.
        f.replace(b"newer".to_vec());
        synced(&mut f);
        crash(&mut f);
        assert_eq!(f.content(), b"newer");
    }

    #[test]
    fn appends_without_sync_keep_the_log_small() {
        let mut f = SimFile::default();
        for i in 0..10_000u32 {
            f.append(&i.to_le_bytes());
        }
        assert!(f.undo_records() <= 2, "{} records", f.undo_records());
        f.truncate(7);
        f.replace(vec![1; 3]);
        for _ in 0..100 {
            f.append(b"x");
            f.replace(vec![2; 3]);
        }
        assert!(f.undo_records() <= 2, "{} records", f.undo_records());
        assert_eq!(f.durable_content(), b"");
    }

    #[test]
    fn torn_crash_leaves_a_strict_prefix_of_the_first_unsynced_append() {
        let mut r = rng();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let mut f = SimFile::default();
            f.append(b"durable");
            synced(&mut f);
            f.append(b"ABCDEFGH");
            f.append(b"more");
            let survived = f.crash(Some(&mut r));
            assert!(survived < 8);
            assert_eq!(f.content(), [b"durable".as_slice(), &b"ABCDEFGH"[..survived]].concat());
            seen.insert(survived);
        }
        assert_eq!(seen.len(), 8, "every prefix length should occur: {seen:?}");
    }

    #[test]
    fn a_tear_never_crosses_an_append_boundary_when_the_durable_point_moves() {
        // "B" and "CD" merge into one record while "A" is in flight; once "A" is durable
        // that record is the first change, and a tear may only cut into "B".
        let mut r = rng();
        for _ in 0..50 {
            let mut f = SimFile::default();
            f.append(b"A");
            let p = f.seal();
            f.append(b"B");
            f.append(b"CD");
            f.complete(p, true);
            assert_eq!(f.crash(Some(&mut r)), 0, "a strict prefix of a 1-byte append is empty");
            assert_eq!(f.content(), b"A");
        }
    }

    #[test]
    fn no_tear_after_a_truncation_or_replace() {
        let mut r = rng();
        for _ in 0..50 {
            let mut f = SimFile::default();
            f.append(b"durable");
            synced(&mut f);
            f.truncate(3);
            f.append(b"ABCDEFGH");
            assert_eq!(f.crash(Some(&mut r)), 0);
            assert_eq!(f.content(), b"durable");
        }
    }

    #[test]
    fn failed_sync_persists_nothing_and_poisons_the_inode() {
        let mut f = SimFile::default();
        f.append(b"a");
        synced(&mut f);
        f.append(b"b");
        let p = f.seal();
        assert_eq!(f.complete(p, false), SyncOutcome::Failed);
        f.append(b"c");
        let p = f.seal();
        assert_eq!(f.complete(p, true), SyncOutcome::Unpersisted);
        assert_eq!(f.durable_content(), b"a");
        // A replace writes a new inode: its fsync works again.
        f.replace(b"fresh".to_vec());
        let p = f.seal();
        assert_eq!(f.complete(p, true), SyncOutcome::Persisted);
        crash(&mut f);
        assert_eq!(f.content(), b"fresh");
        // And a crash (reboot) clears the poison.
        f.append(b"!");
        synced(&mut f);
        crash(&mut f);
        assert_eq!(f.content(), b"fresh!");
    }

    #[test]
    fn latent_flip_shows_after_crash_and_is_healed_by_rewrite() {
        let mut r = rng();
        let mut f = SimFile::default();
        f.append(b"abcd");
        synced(&mut f);
        let c = f.corrupt(&mut r).expect("durable bytes exist");
        assert_eq!(f.content(), b"abcd", "reads from the page cache do not see it");
        let mut expect = b"abcd".to_vec();
        expect[c.offset as usize] ^= 1 << c.bit;
        assert_eq!(f.durable_content(), expect);
        // A durable append after it does not heal it…
        f.append(b"ef");
        synced(&mut f);
        crash(&mut f);
        expect.extend_from_slice(b"ef");
        assert_eq!(f.content(), expect);
        // …but rewriting the region does.
        let c = f.corrupt(&mut r).expect("durable bytes exist");
        f.truncate(c.offset as usize);
        f.append(&b"abcdef"[c.offset as usize..]);
        synced(&mut f);
        crash(&mut f);
        let mut want = b"abcdef".to_vec();
        want[..c.offset as usize].copy_from_slice(&expect[..c.offset as usize]);
        assert_eq!(f.content(), want);
    }

    #[test]
    fn nothing_durable_nothing_to_corrupt() {
        let mut f = SimFile::default();
        f.append(b"volatile");
        assert_eq!(f.corrupt(&mut rng()), None);
    }

    // Exactness: the undo log, with all its merging, must agree with a naive model that
    // keeps a full copy of every state an fsync captured.

    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Append(Vec<u8>),
        Truncate(usize),
        Replace(Vec<u8>),
        Seal,
        Complete(bool),
        Crash,
    }

    fn op() -> impl Strategy<Value = Op> {
        let bytes = || prop::collection::vec(any::<u8>(), 0..12);
        prop_oneof![
            4 => bytes().prop_map(Op::Append),
            2 => (0..40usize).prop_map(Op::Truncate),
            1 => bytes().prop_map(Op::Replace),
            3 => Just(Op::Seal),
            3 => prop::bool::weighted(0.85).prop_map(Op::Complete),
            1 => Just(Op::Crash),
        ]
    }

    #[derive(Default)]
    struct Naive {
        current: Vec<u8>,
        durable: Vec<u8>,
        seals: VecDeque<(Vec<u8>, u32)>,
        inode: u32,
        poisoned: Option<u32>,
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn undo_log_matches_full_snapshots(ops in prop::collection::vec(op(), 1..120)) {
            let mut f = SimFile::default();
            let mut points = VecDeque::new();
            let mut n = Naive::default();
            for o in ops {
                match o {
                    Op::Append(b) => {
                        f.append(&b);
                        n.current.extend_from_slice(&b);
                    }
                    Op::Truncate(len) => {
                        f.truncate(len);
                        n.current.resize(len, 0);
                    }
                    Op::Replace(b) => {
                        f.replace(b.clone());
                        n.current = b;
                        n.inode += 1;
                    }
                    Op::Seal => {
                        points.push_back(f.seal());
                        n.seals.push_back((n.current.clone(), n.inode));
                    }
                    Op::Complete(ok) => {
                        if let (Some(p), Some((snap, inode))) = (points.pop_front(), n.seals.pop_front()) {
                            let outcome = f.complete(p, ok);
                            let want = if !ok {
                                n.poisoned = Some(inode);
                                SyncOutcome::Failed
                            } else if n.poisoned == Some(inode) {
                                SyncOutcome::Unpersisted
                            } else {
                                n.durable = snap;
                                SyncOutcome::Persisted
                            };
                            prop_assert_eq!(outcome, want);
                        }
                    }
                    Op::Crash => {
                        crash(&mut f);
                        points.clear();
                        n = Naive { current: n.durable.clone(), durable: n.durable, ..Naive::default() };
                    }
                }
                prop_assert_eq!(f.content(), &n.current[..]);
                prop_assert_eq!(f.durable_content(), n.durable.clone());
                prop_assert_eq!(f.durable_len(), n.durable.len());
                // Bookkeeping stays bounded by the fsyncs in flight, not by the ops (at most
                // two records per segment; a poisoned file may briefly keep dead segments).
                if n.poisoned.is_none() || points.is_empty() {
                    prop_assert!(f.undo_records() <= 2 * (points.len() + 1), "{} records", f.undo_records());
                }
            }
        }
    }
}
