//! Randomized schedules: deliveries in random order, drops, duplicates, fsyncs completing
//! (or failing) at random, crashes, restarts, timeouts and client requests, with safety
//! checked after every step:
//! - **no two different values are chosen for one slot**, judged by the harness's oracle
//!   from what acceptors durably accepted, and no server applies a value that was not
//!   chosen;
//! - the consensus invariant checker's rules on the observations (election safety per
//!   round, log matching and state-machine safety over decided prefixes, leader
//!   completeness);
//! - `applied ≤ commit` on every server.
//!
//! After the faults stop, every server must converge on one state (liveness).

use super::harness::*;
use crate::bugs::NamedBugs;
use crate::kv::ClientSeq;
use crate::kv::{ClientRequest, KvOp};
use crate::paxos::{PaxosBugs, PaxosConfig, PaxosMsg, PaxosTimer, SNAPSHOT, WAL};
use eightfold_sim::sim::rng::Draw;
use eightfold_sim::sim::{Message, RngStreams, Role, SimDuration};

struct Run {
    c: Cluster,
    seqs: [u64; 3],
}

impl Run {
    fn check(&self, seed: u64, step: usize) -> Result<(), String> {
        if let Some(v) = self.c.checker.violations.first() {
            return Err(format!("seed {seed} step {step}: {v}"));
        }
        for i in 0..self.c.nodes.len() {
            let Some(node) = self.c.nodes[i].as_ref() else {
                continue;
            };
            if let Some(e) = node.refused() {
                return Err(format!("seed {seed} step {step}: {} refuses to run: {e}", n(i)));
            }
            if node.applied_index() > node.commit_index() {
                return Err(format!("seed {seed} step {step}: {node:?} applied beyond its decided prefix"));
            }
        }
        Ok(())
    }

    fn request(&mut self, rng: &mut eightfold_sim::sim::SimRng) -> ClientRequest {
        let client = rng.below(3) as usize;
        // Sometimes retry the previous request (sessions must deduplicate it).
        if self.seqs[client] == 0 || !rng.chance(0.2) {
            self.seqs[client] += 1;
        }
        let key = rng.below(4) as u32;
        let value = format!("{}.{}", client, self.seqs[client]);
        let op = match rng.below(4) {
            0 => KvOp::Get { key },
            1 => KvOp::Put { key, value },
            2 => KvOp::Append { key, value },
            _ => KvOp::Cas { key, expected: None, new: value },
        };
        ClientRequest { client: client as u32, seq: ClientSeq(self.seqs[client]), op }
    }
}

fn random_run(seed: u64, size: usize, cfg: PaxosConfig, steps: usize) -> Result<Cluster, String> {
    random_run_with(seed, size, cfg, steps, 0.0)
}

/// `corrupt`: probability per step of flipping bits in a message on the wire (delivered if
/// it still decodes, as with message authentication off). Safety is not expected then.
fn random_run_with(
    seed: u64,
    size: usize,
    cfg: PaxosConfig,
    steps: usize,
    corrupt: f64,
) -> Result<Cluster, String> {
    let mut run = Run { c: Cluster::new_seeded(size, cfg, seed), seqs: [0; 3] };
    let mut rng = RngStreams::new(seed).stream("schedule");
    let max_down = (size - 1) / 2;
    let trace = std::env::var("PAXOS_TRACE").is_ok();
    // Calm stretches alternate with stormy ones (drops, duplicates, crashes, failed
    // fsyncs, spurious timeouts), so that runs both make progress and get hurt.
    let mut stormy = false;
    let mut phase_left = 0u64;
    for step in 0..steps {
        if phase_left == 0 {
            stormy = !stormy;
            phase_left = rng.between(30, 120);
        }
        phase_left -= 1;
        let c = &mut run.c;
        let pick = |rng: &mut eightfold_sim::sim::SimRng| rng.below(size as u64) as usize;
        if !c.net.is_empty() && rng.chance(corrupt) {
            let k = rng.below(c.net.len() as u64) as usize;
            let mut bytes = Vec::new();
            c.net[k].msg.encode(&mut bytes);
            for _ in 0..rng.between(1, 3) {
                let i = rng.below(bytes.len() as u64) as usize;
                bytes[i] ^= 1 << rng.below(8);
            }
            match PaxosMsg::decode(&bytes) {
                Some(m) => c.net[k].msg = m,
                None => {
                    c.net.remove(k);
                }
            }
        }
        let roll = rng.below(100);
        let seen = c.obs.len();
        if trace {
            println!("step {step} roll {roll} stormy {stormy} now {:?} net {}", c.now, c.net.len());
        }
        match roll {
            0..=29 if !c.net.is_empty() => {
                let k = rng.below(c.net.len() as u64) as usize;
                c.deliver(k);
            }
            30..=39 => {
                let to = n(pick(&mut rng));
                c.deliver_where(|f| f.to == to);
            }
            40..=54 => {
                let i = pick(&mut rng);
                if rng.chance(0.5) {
                    c.sync(i);
                } else {
                    let file = if rng.chance(0.2) { SNAPSHOT } else { WAL };
                    if !c.sync_file(i, file) {
                        c.sync_file(i, if file == WAL { SNAPSHOT } else { WAL });
                    }
                }
            }
            55..=64 if c.net.is_empty() || rng.chance(0.2) => {
                c.fire_next();
            }
            65..=79 => {
                let leader = c.leaders().iter().max_by_key(|(_, b)| *b).map(|(i, _)| *i);
                let i = match leader {
                    Some(l) if rng.chance(0.7) => l,
                    _ => pick(&mut rng),
                };
                let req = run.request(&mut rng);
                run.c.client(i, req);
            }
            82..=85 => {
                let i = pick(&mut rng);
                if !c.up(i) {
                    c.start(i);
                }
            }
            _ if !stormy => {}
            86..=90 if !c.net.is_empty() => {
                let k = rng.below(c.net.len() as u64) as usize;
                c.net.remove(k);
            }
            91..=92 if !c.net.is_empty() => {
                let k = rng.below(c.net.len() as u64) as usize;
                let dup = c.net[k].clone();
                c.net.push(dup);
            }
            93..=94 => {
                let i = pick(&mut rng);
                c.fire(i, PaxosTimer::Election);
            }
            95..=97 => {
                let down = (0..size).filter(|&i| !c.up(i)).count();
                let i = pick(&mut rng);
                if c.up(i) && down < max_down {
                    c.crash(i);
                }
            }
            98 => {
                let i = pick(&mut rng);
                let down = (0..size).filter(|&i| !c.up(i)).count();
                if down < max_down {
                    c.fail_sync(i);
                }
            }
            _ => {}
        }
        if trace {
            for (who, o) in &run.c.obs[seen..] {
                println!("   {who} {o:?}");
            }
            for i in 0..size {
                if let Some(x) = run.c.nodes[i].as_ref() {
                    print!(" {x:?}");
                }
            }
            println!();
        }
        if corrupt == 0.0 {
            run.check(seed, step)?;
        }
    }
    if corrupt > 0.0 {
        return Ok(run.c);
    }
    // Faults stop: everyone restarts, time passes, the cluster must converge.
    for i in 0..size {
        if !run.c.up(i) {
            run.c.start(i);
        }
    }
    run.c.run_cut(SimDuration::from_secs(10), |_| false);
    run.check(seed, steps)?;
    let c = &run.c;
    let established: Vec<usize> = (0..size).filter(|&i| c.node(i).role() == Role::Leader).collect();
    let [l] = established[..] else {
        return Err(format!(
            "seed {seed}: {} established leaders after the faults stopped: {:?}",
            established.len(),
            c.nodes
        ));
    };
    let leader = c.node(l);
    for i in 0..size {
        let node = c.node(i);
        if node.commit_index() != leader.commit_index()
            || node.store().fingerprint() != leader.store().fingerprint()
        {
            return Err(format!("seed {seed}: {node:?} did not converge with {leader:?}"));
        }
    }
    Ok(run.c)
}

fn many(seeds: std::ops::Range<u64>, size: usize, cfg: PaxosConfig, steps: usize) {
    let mut failures = Vec::new();
    for seed in seeds {
        if let Err(e) = random_run(seed, size, cfg.clone(), steps) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{} failing seeds:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn random_schedules_three_servers() {
    many(0..300, 3, cfg(), 600);
}

fn refined() -> PaxosConfig {
    PaxosConfig {
        check_quorum: true,
        snapshot_threshold: 8,
        max_entries_per_msg: 2,
        ..PaxosConfig::default()
    }
}

#[test]
fn random_schedules_five_servers_with_compaction_and_small_batches() {
    many(1000..1300, 5, refined(), 600);
}

#[test]
fn long_random_schedules() {
    many(3000..3100, 3, PaxosConfig { max_entries_per_msg: 1, snapshot_threshold: 4, ..cfg() }, 1500);
    many(3500..3560, 5, PaxosConfig { snapshot_threshold: 16, ..refined() }, 1500);
}

/// With authentication off, bit flips that still decode reach the servers: whatever they
/// do then, they must not panic.
#[test]
fn corrupted_messages_never_crash_a_server() {
    for seed in 0..60 {
        let _ = random_run_with(seed, 5, refined(), 800, 0.3);
    }
}

/// The schedules and checks have teeth: they catch the named safety bugs on their own.
#[test]
fn random_schedules_find_the_named_safety_bugs() {
    // `forget_promise` needs an acceptor to crash between promising and an old leader's
    // Accept reaching it: rarer, so longer schedules.
    let cases = [
        (PaxosBugs { no_promise_check: true, ..PaxosBugs::NONE }, 800),
        (PaxosBugs { ignore_accepted: true, ..PaxosBugs::NONE }, 800),
        (PaxosBugs { forget_promise: true, ..PaxosBugs::NONE }, 1500),
    ];
    for (bugs, steps) in cases {
        let cfg = PaxosConfig { bugs, ..cfg() };
        let found = (0..800).any(|seed| random_run(seed, 3, cfg.clone(), steps).is_err());
        assert!(found, "no schedule exposed {:?}", bugs.enabled());
    }
}

#[test]
#[ignore = "debugging aid: PAXOS_TRACE=1 SEED=n CFG=0|1 [SIZE= STEPS=] cargo test paxos_trace_one -- --ignored --nocapture"]
fn paxos_trace_one() {
    let env = |k: &str, d: u64| std::env::var(k).map(|s| s.parse().unwrap()).unwrap_or(d);
    let (size, cfg) = if env("CFG", 0) == 0 { (3, cfg()) } else { (5, refined()) };
    let size = env("SIZE", size as u64) as usize;
    match random_run(env("SEED", 0), size, cfg, env("STEPS", 600) as usize) {
        Ok(c) => println!("ok {:?}", c.nodes),
        Err(e) => println!("{e}"),
    }
}
