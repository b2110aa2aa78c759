//! Randomized schedules (deliveries in any order, drops, duplicates, crashes,
//! restarts, failed fsyncs, timeouts) against a sloppy and a strict store: no server
//! panics, every request is eventually answered or abandoned, and with overlapping strict
//! quorums and no faults left, a read returns the newest acknowledged write. Bit flips
//! (as with message authentication off) must not crash or wedge a server either.

use super::harness::*;
use crate::kv::ClientSeq;
use crate::kv::{ClientReply, ClientRequest, KvOp, KvResult};
use crate::quorum::{QuorumConfig, QuorumMsg};
use eightfold_sim::sim::rng::Draw;
use eightfold_sim::sim::{DiskEvent, Message, RngStreams, SimDuration};

fn run(seed: u64, cfg: QuorumConfig, steps: usize, corrupt: bool) {
    let size = 5;
    let mut c = Cluster::new(size, cfg);
    let mut rng = RngStreams::new(seed).stream("schedule");
    let mut seq = 0;
    for _ in 0..steps {
        let pick = |rng: &mut eightfold_sim::sim::SimRng| rng.below(size as u64) as usize;
        match rng.below(100) {
            0..=34 if !c.net.is_empty() => {
                let k = rng.below(c.net.len() as u64) as usize;
                c.deliver(k);
            }
            35..=49 => {
                let i = pick(&mut rng);
                c.sync(i);
            }
            50..=64 => {
                seq += 1;
                let key = rng.below(3) as u32;
                let op = match rng.below(4) {
                    0 => KvOp::Get { key },
                    1 => KvOp::Put { key, value: format!("v{seq}") },
                    2 => KvOp::Append { key, value: format!("{seq};") },
                    _ => KvOp::Cas { key, expected: None, new: format!("c{seq}") },
                };
                let i = pick(&mut rng);
                c.request(i, (seq % 4) as u32, ClientRequest { client: 0, seq: ClientSeq(seq), op });
            }
            // Time passes; messages are usually faster than timeouts.
            65..=74 => {
                if rng.chance(0.7) {
                    c.settle();
                }
                c.run_cut(SimDuration::from_millis(rng.between(1, 120)), |_| false);
            }
            75..=79 if !c.net.is_empty() => {
                let k = rng.below(c.net.len() as u64) as usize;
                c.net.remove(k);
            }
            80..=83 if !c.net.is_empty() => {
                let k = rng.below(c.net.len() as u64) as usize;
                let dup = c.net[k].clone();
                c.net.push(dup);
            }
            84..=87 if corrupt && !c.net.is_empty() => {
                let k = rng.below(c.net.len() as u64) as usize;
                let mut bytes = Vec::new();
                c.net[k].msg.encode(&mut bytes);
                let i = rng.below(bytes.len() as u64) as usize;
                bytes[i] ^= 1 << rng.below(8);
                match QuorumMsg::decode(&bytes) {
                    Some(m) => c.net[k].msg = m,
                    None => {
                        c.net.remove(k);
                    }
                }
            }
            88..=89 => {
                let i = pick(&mut rng);
                if c.nodes[i].is_some() && c.nodes.iter().filter(|x| x.is_none()).count() < 2 {
                    c.crash(i);
                }
            }
            90..=92 => {
                let i = pick(&mut rng);
                if c.nodes[i].is_none() {
                    c.start(i);
                }
            }
            93 => {
                let i = pick(&mut rng);
                if c.nodes[i].is_some()
                    && c.nodes.iter().filter(|x| x.is_none()).count() < 2
                    && let Some((_, token)) = c.disks[i].complete_at(0)
                {
                    c.fail(i, DiskEvent::SyncFailed { token });
                }
            }
            _ => {}
        }
    }
    // The runs do work (up to two servers down at a time can make a key unavailable for a
    // while, so this is only a sanity check).
    let oks = c.replies.iter().filter(|(_, _, r)| matches!(r, ClientReply::Ok { .. })).count();
    assert!(oks > 0, "seed {seed}: no request succeeded");
    // Faults stop: everything restarts and every request ends.
    for i in 0..size {
        if c.nodes[i].is_none() {
            c.start(i);
        }
    }
    c.run_cut(SimDuration::from_secs(2), |_| false);
    for i in 0..size {
        assert_eq!(c.node(i).ops_in_flight(), 0, "seed {seed}: n{} still coordinates", i + 1);
        assert!(c.node(i).hints().is_empty(), "seed {seed}: n{} kept hints", i + 1);
    }
    if corrupt {
        // A flipped version stamp may have made a value "newer" than any later write.
        return;
    }
    // A write then a read, both complete with every server up: the read sees the write.
    seq += 1;
    c.request(
        0,
        9,
        ClientRequest { client: 9, seq: ClientSeq(seq), op: KvOp::Put { key: 1, value: "final".into() } },
    );
    c.settle();
    c.run_cut(SimDuration::from_secs(1), |_| false);
    assert_eq!(
        c.replies_for(9, seq),
        vec![ClientReply::Ok { seq: ClientSeq(seq), result: KvResult::Done }],
        "seed {seed}"
    );
    c.request(3, 9, ClientRequest { client: 9, seq: ClientSeq(seq + 1), op: KvOp::Get { key: 1 } });
    c.settle();
    c.run_cut(SimDuration::from_secs(1), |_| false);
    assert_eq!(
        c.replies_for(9, seq + 1),
        vec![ClientReply::Ok { seq: ClientSeq(seq + 1), result: KvResult::Value(Some("final".into())) }],
        "seed {seed}"
    );
}

#[test]
fn random_schedules_never_wedge_a_strict_store() {
    for seed in 0..150 {
        run(seed, QuorumConfig::default(), 500, false);
    }
}

#[test]
fn random_schedules_never_wedge_a_sloppy_store() {
    for seed in 1000..1150 {
        run(seed, QuorumConfig { sloppy: true, ..QuorumConfig::default() }, 500, false);
    }
}

/// With authentication off, bit flips that still decode reach the servers: no panic, no
/// request left hanging.
#[test]
fn corrupted_messages_never_crash_or_wedge_a_server() {
    for seed in 2000..2100 {
        run(seed, QuorumConfig { sloppy: seed % 2 == 0, ..QuorumConfig::default() }, 500, true);
    }
}
