//! Behaviour of the whole device: crashes, fsync coverage, torn tails and corruption seen
//! through the WAL, failed fsyncs, FIFO completion, slowness, counters.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::wal::{self, Tail};
use super::*;
use crate::net::Latency;
use crate::sim::{DiskEvent, DiskOp, FileId, RngStreams, SimDuration, SimRng, SimTime, StorageView};

const LOG: FileId = FileId(0);
const META: FileId = FileId(1);
const MS: u64 = 1_000_000;

fn rng(seed: u64) -> SimRng {
    RngStreams::new(seed).indexed("disk", 0)
}

/// A disk with a constant 1 ms fsync and the given torn-write setting.
fn disk(torn_writes: bool) -> Disk {
    Disk::new(DiskConfig { fsync_latency: Latency::Constant(MS), torn_writes })
}

fn at(ms: u64) -> SimTime {
    SimTime(ms * MS)
}

fn append(d: &mut Disk, t: SimTime, file: FileId, data: &[u8], r: &mut SimRng) {
    assert_eq!(d.apply(t, DiskOp::Append { file, data: data.to_vec() }, r), None);
}

fn fsync(d: &mut Disk, t: SimTime, file: FileId, token: u64, r: &mut SimRng) -> Completion {
    d.apply(t, DiskOp::Fsync { file, token }, r).expect("an fsync completes")
}

/// Appends one WAL record.
fn record(d: &mut Disk, t: SimTime, payload: &[u8], r: &mut SimRng) {
    append(d, t, LOG, &wal::framed(payload), r);
}

#[test]
fn a_crash_loses_exactly_the_unsynced_writes() {
    let mut r = rng(1);
    let mut d = disk(false);
    append(&mut d, at(0), LOG, b"one", &mut r);
    append(&mut d, at(0), META, b"m1", &mut r);
    let c = fsync(&mut d, at(0), LOG, 1, &mut r);
    assert_eq!(c.at, at(1));
    append(&mut d, at(2), LOG, b"two", &mut r);
    d.apply(at(2), DiskOp::Truncate { file: META, len: 0 }, &mut r);
    assert_eq!(d.read(LOG), b"onetwo", "reads see unsynced writes");
    assert_eq!(d.read(META), b"");
    d.crash(at(3), &mut r);
    assert_eq!(d.read(LOG), b"one", "the synced append survives, the later one is lost");
    assert_eq!(d.read(META), b"", "META was never synced");
    assert_eq!(d.read(FileId(9)), b"", "a file never written reads empty");
}

#[test]
fn an_fsync_does_not_cover_writes_issued_after_it() {
    let mut r = rng(2);
    let mut d = disk(false);
    append(&mut d, at(0), LOG, b"before", &mut r);
    let c = fsync(&mut d, at(0), LOG, 1, &mut r);
    append(&mut d, at(0), LOG, b"after", &mut r); // same instant, but after the fsync
    d.advance(c.at);
    assert_eq!(d.durable(LOG), b"before");
    d.crash(at(5), &mut r);
    assert_eq!(d.read(LOG), b"before");
}

#[test]
fn an_fsync_covers_only_its_own_file() {
    let mut r = rng(3);
    let mut d = disk(false);
    append(&mut d, at(0), LOG, b"log", &mut r);
    append(&mut d, at(0), META, b"meta", &mut r);
    fsync(&mut d, at(0), META, 1, &mut r);
    d.crash(at(5), &mut r);
    assert_eq!((d.read(LOG), d.read(META)), (vec![], b"meta".to_vec()));
}

#[test]
fn a_completed_fsync_survives_a_crash_an_in_flight_one_does_not() {
    let mut r = rng(4);
    let mut d = disk(false);
    append(&mut d, at(0), LOG, b"a", &mut r);
    let first = fsync(&mut d, at(0), LOG, 1, &mut r); // completes at 1 ms
    append(&mut d, at(1), LOG, b"b", &mut r);
    let second = fsync(&mut d, at(1), LOG, 2, &mut r); // completes at 2 ms
    assert_eq!((first.at, second.at), (at(1), at(2)));
    let report = d.crash(SimTime(at(2).0 - 1), &mut r);
    assert_eq!(report.fsyncs_dropped, 1);
    assert_eq!(d.read(LOG), b"a");
    assert!(!d.is_current(&second), "the lost fsync's completion must not be delivered");
    assert!(!d.is_current(&first), "nor any other from before the crash");
    assert_eq!(d.epoch(), Epoch(1));
    assert_eq!(d.in_flight(), 0);
}

#[test]
fn an_fsync_completing_at_the_crash_instant_counts() {
    let mut r = rng(5);
    let mut d = disk(false);
    append(&mut d, at(0), LOG, b"a", &mut r);
    let c = fsync(&mut d, at(0), LOG, 1, &mut r);
    d.crash(c.at, &mut r);
    assert_eq!(d.read(LOG), b"a");
}

#[test]
fn a_torn_tail_is_a_strict_prefix_and_wal_recovery_drops_it() {
    let mut torn_seen = 0;
    for seed in 0..200 {
        let mut r = rng(seed);
        let mut d = disk(true);
        record(&mut d, at(0), b"first", &mut r);
        record(&mut d, at(0), b"second", &mut r);
        fsync(&mut d, at(0), LOG, 1, &mut r);
        let durable = d.read(LOG);
        let unsynced = wal::framed(b"third, never acknowledged");
        append(&mut d, at(2), LOG, &unsynced, &mut r);
        record(&mut d, at(2), b"fourth", &mut r);
        let report = d.crash(at(3), &mut r);
        let after = d.read(LOG);
        // Durable content, then a strict prefix of the first unsynced append.
        assert!(after.starts_with(&durable), "seed {seed}");
        let extra = &after[durable.len()..];
        assert!(extra.len() < unsynced.len() && unsynced.starts_with(extra), "seed {seed}");
        assert_eq!(report.torn_writes, u64::from(!extra.is_empty()));
        assert_eq!(report.torn_bytes, extra.len() as u64);

        let rec = wal::recover(&after);
        assert_eq!(rec.records, vec![b"first".to_vec(), b"second".to_vec()], "seed {seed}");
        assert_eq!(rec.valid_len, durable.len() as u64);
        if extra.is_empty() {
            assert_eq!(rec.tail, Tail::Clean);
        } else {
            torn_seen += 1;
            assert_eq!(rec.tail, Tail::Torn { at: durable.len() as u64 }, "seed {seed}");
        }
        // The recovering node truncates the torn tail and carries on.
        d.apply(at(4), DiskOp::Truncate { file: LOG, len: rec.valid_len }, &mut r);
        record(&mut d, at(4), b"third again", &mut r);
        fsync(&mut d, at(4), LOG, 2, &mut r);
        d.crash(at(9), &mut r);
        assert_eq!(wal::recover(&d.read(LOG)).records.len(), 3);
    }
    assert!(torn_seen > 150, "torn writes should be common: {torn_seen}/200");
}

#[test]
fn torn_writes_off_means_exactly_the_durable_content() {
    for seed in 0..50 {
        let mut r = rng(seed);
        let mut d = disk(false);
        record(&mut d, at(0), b"kept", &mut r);
        fsync(&mut d, at(0), LOG, 1, &mut r);
        record(&mut d, at(2), b"lost", &mut r);
        assert_eq!(d.crash(at(3), &mut r).torn_writes, 0);
        assert_eq!(d.read(LOG), wal::framed(b"kept"));
    }
}

#[test]
fn replace_is_atomic_across_a_crash() {
    let old = vec![b'o'; 64];
    let new = vec![b'n'; 100];
    for seed in 0..50 {
        let mut r = rng(seed);
        // Crash before the replace's fsync completes: all of the old content.
        let mut d = disk(true);
        d.apply(at(0), DiskOp::Replace { file: META, data: old.clone() }, &mut r);
        fsync(&mut d, at(0), META, 1, &mut r);
        d.apply(at(2), DiskOp::Replace { file: META, data: new.clone() }, &mut r);
        let c = fsync(&mut d, at(2), META, 2, &mut r);
        d.crash(SimTime(c.at.0 - 1), &mut r);
        assert_eq!(d.read(META), old, "seed {seed}");
        // Crash after it completes: all of the new content, even with writes after it.
        d.apply(at(5), DiskOp::Replace { file: META, data: new.clone() }, &mut r);
        let c = fsync(&mut d, at(5), META, 3, &mut r);
        d.apply(c.at, DiskOp::Replace { file: META, data: b"newest, unsynced".to_vec() }, &mut r);
        d.apply(c.at, DiskOp::Append { file: META, data: b"!".to_vec() }, &mut r);
        d.crash(c.at, &mut r);
        assert_eq!(d.read(META), new, "seed {seed}");
    }
}

#[test]
fn corruption_is_caught_by_wal_recovery_and_never_yields_a_wrong_record() {
    let payloads: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 3 + 7 * i as usize]).collect();
    for seed in 0..300 {
        let mut r = rng(seed);
        let mut d = disk(true);
        for p in &payloads {
            record(&mut d, at(0), p, &mut r);
        }
        fsync(&mut d, at(0), LOG, 1, &mut r);
        let clean = d.read(LOG);
        let hit = d.corrupt(at(2), LOG, &mut r).expect("the log has durable bytes");
        assert_eq!(d.read(LOG), clean, "the page cache does not see latent corruption");
        d.crash(at(3), &mut r);
        let damaged = d.read(LOG);
        let diff: Vec<usize> = (0..clean.len()).filter(|&i| clean[i] != damaged[i]).collect();
        assert_eq!(diff, vec![hit.offset as usize], "exactly one byte differs");
        assert_eq!((clean[diff[0]] ^ damaged[diff[0]]).count_ones(), 1, "by one bit");

        let rec = wal::recover(&damaged);
        // The damaged record is the one whose frame holds the flipped byte.
        let mut start = 0u64;
        let mut damaged_record = 0;
        for (i, p) in payloads.iter().enumerate() {
            let end = start + (wal::FRAME_HEADER + p.len()) as u64;
            if hit.offset < end {
                damaged_record = i;
                break;
            }
            start = end;
        }
        assert_eq!(rec.tail, Tail::Corrupt { at: start }, "seed {seed}: flip at {hit:?}");
        assert_eq!(rec.records, payloads[..damaged_record].to_vec(), "seed {seed}");
    }
    assert_eq!(disk(true).corrupt(at(0), LOG, &mut rng(0)), None, "nothing durable to corrupt");
}

#[test]
fn a_failed_fsync_makes_nothing_durable_and_poisons_the_file() {
    let mut r = rng(6);
    let mut d = disk(false);
    record(&mut d, at(0), b"durable", &mut r);
    fsync(&mut d, at(0), LOG, 1, &mut r);
    d.fail_fsyncs(1);
    record(&mut d, at(2), b"covered by the failed fsync", &mut r);
    let failed = fsync(&mut d, at(2), LOG, 2, &mut r);
    assert_eq!(failed.event, DiskEvent::SyncFailed { token: 2 });
    d.advance(failed.at);
    assert_eq!(d.durable(LOG), wal::framed(b"durable"));
    assert_eq!(d.read(LOG).len(), 2 * wal::FRAME_HEADER + 7 + 27, "the page cache keeps the data");
    // fsyncgate: retrying reports success, but the data never reaches the medium.
    let retry = fsync(&mut d, at(4), LOG, 3, &mut r);
    assert_eq!(retry.event, DiskEvent::Synced { token: 3 });
    d.advance(retry.at);
    assert_eq!(d.durable(LOG), wal::framed(b"durable"));
    let s = d.stats();
    assert_eq!((s.fsyncs_completed, s.fsyncs_failed, s.fsyncs_unpersisted), (2, 1, 1));
    // Other files are unaffected.
    append(&mut d, at(6), META, b"m", &mut r);
    let c = fsync(&mut d, at(6), META, 4, &mut r);
    d.crash(c.at, &mut r);
    assert_eq!(wal::recover(&d.read(LOG)).records, vec![b"durable".to_vec()]);
    assert_eq!(d.read(META), b"m");
    // After the reboot the file works again.
    record(&mut d, at(10), b"after reboot", &mut r);
    let c = fsync(&mut d, at(10), LOG, 5, &mut r);
    assert_eq!(c.event, DiskEvent::Synced { token: 5 });
    d.crash(c.at, &mut r);
    assert_eq!(wal::recover(&d.read(LOG)).records.len(), 2);
}

#[test]
fn random_fsync_failures_follow_the_rate() {
    let mut r = rng(7);
    let mut d = disk(false);
    d.set_fsync_failure_rate(0.5);
    let failed = (0..1000)
        .filter(|&i| {
            matches!(fsync(&mut d, at(i), FileId(i as u16), i, &mut r).event, DiskEvent::SyncFailed { .. })
        })
        .count();
    assert!((430..570).contains(&failed), "{failed}");
    d.set_fsync_failure_rate(0.0);
    assert!(matches!(fsync(&mut d, at(2000), LOG, 0, &mut r).event, DiskEvent::Synced { .. }));
}

#[test]
fn completions_come_in_issue_order() {
    let mut r = rng(8);
    // Wildly varying latency: without the FIFO, later fsyncs would often finish first.
    let mut d = Disk::new(DiskConfig {
        fsync_latency: Latency::Uniform { min: 0, max: 10 * MS },
        torn_writes: false,
    });
    let mut prev = SimTime::ZERO;
    let mut waited = 0;
    for i in 0..1000u64 {
        let now = SimTime(i * MS / 4);
        let c = fsync(&mut d, now, FileId((i % 3) as u16), i, &mut r);
        assert!(c.at >= prev && c.at >= now, "fsync {i} completes at {:?} before {prev:?}", c.at);
        if c.at == prev {
            waited += 1;
        }
        prev = c.at;
    }
    assert!(waited > 100, "the FIFO should often hold fsyncs back: {waited}");
    d.advance(prev);
    assert_eq!(d.stats().fsyncs_completed, 1000);
}

#[test]
fn slowness_multiplies_fsync_latency() {
    let mut r = rng(9);
    let mut d = disk(false);
    assert_eq!(fsync(&mut d, at(0), LOG, 1, &mut r).at, at(1));
    d.set_slowness(20.0);
    assert_eq!(d.slowness(), 20.0);
    assert_eq!(fsync(&mut d, at(10), LOG, 2, &mut r).at, at(30));
    d.set_slowness(1.0);
    assert_eq!(fsync(&mut d, at(100), LOG, 3, &mut r).at, at(101));
    d.advance(at(200));
    assert_eq!(d.stats().fsync_latency_max_ns, 20 * MS);
    assert_eq!(d.stats().fsync_latency_sum_ns, 22 * MS);
}

#[test]
fn counters_balance() {
    let mut r = rng(10);
    let mut d = Disk::new(DiskConfig::default());
    for i in 0..500u64 {
        let t = SimTime(i * 100_000);
        append(&mut d, t, LOG, &[i as u8; 10], &mut r);
        if i % 3 == 0 {
            fsync(&mut d, t, LOG, i, &mut r);
        }
        if i % 50 == 49 {
            d.fail_fsyncs(1);
        }
        if i % 100 == 99 {
            d.crash(t, &mut r);
        }
    }
    d.advance(SimTime(50_000_000));
    let s = *d.stats();
    assert_eq!(s.appends, 500);
    assert_eq!(s.bytes_written, 5000);
    assert_eq!(s.crashes, 5);
    assert!(s.fsyncs_failed > 0 && s.fsyncs_dropped > 0);
    assert_eq!(
        s.fsyncs_issued,
        s.fsyncs_completed + s.fsyncs_failed + s.fsyncs_dropped + d.in_flight() as u64
    );
    assert!(s.fsync_latency_max_ns > 0 && s.fsync_latency_mean() > SimDuration::ZERO);
}

#[test]
fn same_seed_same_disk() {
    let run = |seed| {
        let mut r = rng(seed);
        let mut d = Disk::new(DiskConfig::default());
        let mut out = Vec::new();
        for i in 0..200u64 {
            record(&mut d, SimTime(i * 300_000), &i.to_le_bytes(), &mut r);
            out.push(fsync(&mut d, SimTime(i * 300_000), LOG, i, &mut r).at);
        }
        d.crash(SimTime(30_000_000), &mut r);
        (out, d.read(LOG))
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3).0, run(4).0);
}

#[test]
fn a_long_append_heavy_run_keeps_one_copy_of_the_log() {
    let mut r = rng(11);
    let mut d = disk(true);
    let mut t = SimTime::ZERO;
    for i in 0..20_000u64 {
        record(&mut d, t, &[i as u8; 100], &mut r);
        if i % 10 == 9 {
            fsync(&mut d, t, LOG, i, &mut r);
        }
        t += SimDuration::from_micros(200);
    }
    d.advance(t + SimDuration::from_secs(1));
    assert_eq!(d.durable_len(LOG), d.read(LOG).len() as u64);
    assert_eq!(d.in_flight(), 0);
}

// ---------------------------------------------------------------------------------------
// Property: append-only files recover to (durable prefix) or (durable prefix + a strict
// prefix of the next unsynced append), and the WAL recovers exactly the durable records.

#[derive(Clone, Debug)]
enum Step {
    Append { file: u16, payload: Vec<u8> },
    Fsync { file: u16 },
    Wait { us: u64 },
    Crash,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..2u16, prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(file, payload)| Step::Append { file, payload }),
        2 => (0..2u16).prop_map(|file| Step::Fsync { file }),
        2 => (0..3000u64).prop_map(|us| Step::Wait { us }),
        1 => Just(Step::Crash),
    ]
}

/// What the test knows about one file, independently of the disk's representation.
#[derive(Default)]
struct Expect {
    /// Content after the last crash (all durable).
    base: Vec<u8>,
    /// Appends since then, in order.
    appends: Vec<Vec<u8>>,
    /// How many of them a completed fsync covered.
    durable: usize,
    /// Records the WAL must recover from `base`.
    base_records: usize,
}

fn check_crash(d: &Disk, file: FileId, e: &mut Expect, torn: bool) -> Result<(), TestCaseError> {
    let mut durable = e.base.clone();
    for a in &e.appends[..e.durable] {
        durable.extend_from_slice(a);
    }
    let after = d.read(file);
    prop_assert!(after.starts_with(&durable), "lost durable data");
    let extra = &after[durable.len()..];
    match e.appends.get(e.durable) {
        Some(next) if torn => prop_assert!(extra.len() < next.len() && next.starts_with(extra)),
        _ => prop_assert!(extra.is_empty(), "kept {} unsynced bytes", extra.len()),
    }
    let rec = wal::recover(&after);
    let want = e.base_records + e.durable;
    prop_assert_eq!(rec.records.len(), want);
    prop_assert_eq!(rec.valid_len, durable.len() as u64);
    prop_assert_eq!(
        rec.tail,
        if extra.is_empty() { Tail::Clean } else { Tail::Torn { at: durable.len() as u64 } }
    );
    // Like a recovering node: keep the valid prefix, drop a torn tail, sync the cut.
    *e = Expect { base: durable, appends: vec![], durable: 0, base_records: want };
    Ok(())
}

fn run_steps(steps: &[Step], torn: bool, seed: u64) -> Result<(), TestCaseError> {
    let mut r = rng(seed);
    let mut d = Disk::new(DiskConfig {
        fsync_latency: Latency::Uniform { min: 100_000, max: 2 * MS },
        torn_writes: torn,
    });
    let mut files = [Expect::default(), Expect::default()];
    // (completion, file, appends covered), in issue order.
    let mut pending: VecDeque<(SimTime, usize, usize)> = VecDeque::new();
    let mut now = SimTime::ZERO;
    let settle = |now: SimTime, pending: &mut VecDeque<(SimTime, usize, usize)>, files: &mut [Expect; 2]| {
        while let Some(&(t, f, n)) = pending.front() {
            if t > now {
                break;
            }
            files[f].durable = files[f].durable.max(n);
            pending.pop_front();
        }
    };
    for (i, s) in steps.iter().enumerate() {
        match s {
            Step::Append { file, payload } => {
                let framed = wal::framed(payload);
                d.apply(now, DiskOp::Append { file: FileId(*file), data: framed.clone() }, &mut r);
                files[*file as usize].appends.push(framed);
            }
            Step::Fsync { file } => {
                let c = d
                    .apply(now, DiskOp::Fsync { file: FileId(*file), token: i as u64 }, &mut r)
                    .expect("completion");
                prop_assert!(pending.back().is_none_or(|p| p.0 <= c.at), "FIFO order");
                pending.push_back((c.at, *file as usize, files[*file as usize].appends.len()));
            }
            Step::Wait { us } => now += SimDuration::from_micros(*us),
            Step::Crash => {
                settle(now, &mut pending, &mut files);
                pending.clear();
                d.crash(now, &mut r);
                for (f, e) in files.iter_mut().enumerate() {
                    check_crash(&d, FileId(f as u16), e, torn)?;
                    // The cut must itself be synced: a crash before that would bring the
                    // torn bytes back (they are on the medium).
                    let file = FileId(f as u16);
                    d.apply(now, DiskOp::Truncate { file, len: e.base.len() as u64 }, &mut r);
                    now =
                        d.apply(now, DiskOp::Fsync { file, token: u64::MAX }, &mut r).expect("completion").at;
                }
            }
        }
        settle(now, &mut pending, &mut files);
        d.advance(now);
        for (f, e) in files.iter().enumerate() {
            let durable = e.base.len() + e.appends[..e.durable].iter().map(Vec::len).sum::<usize>();
            prop_assert_eq!(d.durable_len(FileId(f as u16)), durable as u64);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn recovery_is_durable_prefix_plus_at_most_a_torn_append(
        steps in prop::collection::vec(step(), 1..80),
        seed in any::<u64>(),
        torn in any::<bool>(),
    ) {
        run_steps(&steps, torn, seed)?;
    }
}
