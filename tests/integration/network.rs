//! Each network feature measured against its configuration: loss, latency distributions,
//! partitions (full, one-way, heal), bandwidth (rate and tail drop), duplication and
//! reordering.

use super::common::{percentile, probe_world};
use eightfold::net::{Latency, LinkProfile};
use eightfold::sim::{NodeId, SimDuration, SimTime};

const MS: u64 = 1_000_000;

fn received(
    w: &eightfold::world::World<super::common::ProbeNode>,
    node: u32,
) -> &[(NodeId, u64, SimTime, SimTime)] {
    &w.node(NodeId(node)).expect("node is up").received
}

#[test]
fn loss_rate_is_within_statistical_bounds() {
    let n = 40_000u64;
    let mut w = probe_world(
        2,
        vec![NodeId(1)],
        n,
        SimDuration::from_micros(100),
        64,
        |_, _| LinkProfile { loss: 0.1, ..Default::default() },
        "[]",
        7,
    );
    w.run_until(SimTime::MAX);
    let got = received(&w, 1).len() as f64;
    let expected = n as f64 * 0.9;
    let sd = (n as f64 * 0.1 * 0.9).sqrt();
    assert!((got - expected).abs() < 4.0 * sd, "delivered {got}, expected {expected} ± {}", 4.0 * sd);
    let s = w.net_stats();
    assert_eq!(s.sent, n);
    assert_eq!(s.dropped_by.loss, n - got as u64);
    assert_eq!(s.delivered + s.dropped, s.sent + s.duplicated);
}

#[test]
fn latency_percentiles_match_the_distribution() {
    let dists = [
        Latency::Constant(3 * MS),
        Latency::Uniform { min: MS, max: 9 * MS },
        Latency::Normal { mean: 20.0 * MS as f64, stddev: 4.0 * MS as f64 },
        Latency::LogNormal { mu: (2.0 * MS as f64).ln(), sigma: 1.0 },
    ];
    for d in dists {
        let mut w = probe_world(
            2,
            vec![NodeId(1)],
            20_000,
            SimDuration::from_micros(500),
            64,
            |_, _| LinkProfile { latency: d, ..Default::default() },
            "[]",
            3,
        );
        w.run_until(SimTime::MAX);
        let mut lat: Vec<u64> = received(&w, 1).iter().map(|r| (r.3 - r.2).as_nanos()).collect();
        lat.sort_unstable();
        assert_eq!(lat.len(), 20_000);
        for q in [0.5, 0.9, 0.99] {
            let got = percentile(&lat, q) as f64;
            let want = d.quantile(q).as_nanos() as f64;
            assert!((got - want).abs() <= want * 0.06 + 1.0, "{d:?} p{}: got {got} want {want}", q * 100.0);
        }
    }
}

#[test]
fn nothing_crosses_a_partition_and_traffic_resumes_after_heal() {
    // n3 is named in no group: servers left out form one more side together.
    let faults = r#"[{"at": "1s", "fault": "partition", "groups": [["n1"], ["n2"]]},
                     {"at": "2s", "fault": "heal"}]"#;
    let mut w = probe_world(
        3,
        vec![NodeId(1), NodeId(2)],
        3000,
        SimDuration::from_millis(1),
        64,
        |_, _| LinkProfile::default(),
        faults,
        1,
    );
    w.run_until(SimTime::MAX);
    assert_eq!(received(&w, 1).len(), received(&w, 2).len());
    let to_n2 = received(&w, 1);
    let during = to_n2.iter().filter(|r| r.3 >= SimTime(1000 * MS) && r.3 < SimTime(2000 * MS)).count();
    assert_eq!(during, 0, "a message crossed the partition");
    let before = to_n2.iter().filter(|r| r.3 < SimTime(1000 * MS)).count();
    let after = to_n2.iter().filter(|r| r.3 >= SimTime(2000 * MS)).count();
    assert!(before >= 999 && after >= 999, "before {before}, after {after}");
    // The probes sent during the partition were dropped and counted as such.
    assert_eq!(w.net_stats().dropped_by.partition, 2 * (3000 - to_n2.len() as u64));
}

#[test]
fn a_message_in_flight_when_the_partition_starts_is_stopped() {
    let faults = r#"[{"at": "50ms", "fault": "partition", "groups": [["n1"], ["n2"]]}]"#;
    let mut w = probe_world(
        2,
        vec![NodeId(1)],
        1,
        SimDuration::from_millis(1),
        64,
        |_, _| LinkProfile { latency: Latency::Constant(100 * MS), ..Default::default() },
        faults,
        1,
    );
    w.run_until(SimTime::MAX);
    assert!(received(&w, 1).is_empty());
    assert_eq!(w.net_stats().dropped_by.partition, 1);
}

#[test]
fn a_one_way_partition_blocks_one_direction_only() {
    let faults = r#"[{"at": "0s", "fault": "partition_oneway", "from": ["n1"], "to": ["n2"]}]"#;
    // n1 and n2 both send to each other: use two worlds' worth of probes by making both send.
    let mut w = probe_world(
        2,
        vec![NodeId(1)],
        100,
        SimDuration::from_millis(1),
        64,
        |_, _| LinkProfile::default(),
        faults,
        1,
    );
    w.run_until(SimTime::MAX);
    assert!(received(&w, 1).is_empty(), "n1 -> n2 must be blocked");
    let faults = r#"[{"at": "0s", "fault": "partition_oneway", "from": ["n2"], "to": ["n1"]}]"#;
    let mut w = probe_world(
        2,
        vec![NodeId(1)],
        100,
        SimDuration::from_millis(1),
        64,
        |_, _| LinkProfile::default(),
        faults,
        1,
    );
    w.run_until(SimTime::MAX);
    assert_eq!(received(&w, 1).len(), 100, "n1 -> n2 must flow when only n2 -> n1 is cut");
}

#[test]
fn a_bandwidth_limited_link_delivers_at_its_rate_and_tail_drops() {
    // 1000-byte messages offered at 2 MB/s into a 1 MB/s link with a 10 KB queue.
    let mut w = probe_world(
        2,
        vec![NodeId(1)],
        2000,
        SimDuration::from_micros(500),
        1000,
        |_, _| LinkProfile {
            bandwidth: Some(1_000_000),
            queue: 10_000,
            latency: Latency::Constant(MS),
            ..Default::default()
        },
        "[]",
        1,
    );
    w.run_until(SimTime::MAX);
    let r = received(&w, 1);
    let first = r.first().expect("some delivered").3;
    let last = r.last().expect("some delivered").3;
    let rate = (r.len() - 1) as f64 * 1000.0 / (last - first).as_secs_f64();
    assert!((rate - 1_000_000.0).abs() < 20_000.0, "delivered at {rate} B/s");
    let s = w.net_stats();
    assert!(s.dropped_by.queue_full > 800, "queue drops {}", s.dropped_by.queue_full);
    assert_eq!(s.dropped_by.queue_full + r.len() as u64, 2000);
    // FIFO: arrivals are in send order, and never closer than 1 ms (serialization delay).
    for pair in r.windows(2) {
        assert!(pair[0].1 < pair[1].1);
        assert!(pair[1].3 - pair[0].3 >= SimDuration::from_millis(1));
    }
    let peak =
        w.network().link(NodeId(0), NodeId(1)).expect("the link carried traffic").counters.peak_queue_bytes;
    assert!((9_000..=10_000).contains(&peak), "peak queue {peak}");
}

#[test]
fn duplication_and_reordering_occur_at_their_rates() {
    let n = 20_000u64;
    let mut w = probe_world(
        2,
        vec![NodeId(1)],
        n,
        SimDuration::from_millis(1),
        64,
        |_, _| LinkProfile {
            duplicate: 0.1,
            reorder: 0.05,
            reorder_delay: SimDuration::from_millis(10),
            ..Default::default()
        },
        "[]",
        5,
    );
    w.run_until(SimTime::MAX);
    let r = received(&w, 1);
    let s = w.net_stats();
    let sd = |p: f64| (n as f64 * p * (1.0 - p)).sqrt();
    assert!((s.duplicated as f64 - 0.1 * n as f64).abs() < 4.0 * sd(0.1), "duplicated {}", s.duplicated);
    assert_eq!(r.len() as u64, n + s.duplicated);
    let mut seen = std::collections::BTreeMap::new();
    for x in r {
        *seen.entry(x.1).or_insert(0) += 1;
    }
    assert_eq!(seen.values().filter(|&&c| c == 2).count() as u64, s.duplicated);
    // A held-back message arrives after at least one later-sent message.
    let overtaken = r.windows(2).filter(|p| p[1].1 < p[0].1).count() as f64;
    assert!((s.reordered as f64 - 0.05 * n as f64).abs() < 4.0 * sd(0.05), "reordered {}", s.reordered);
    assert!(
        overtaken > 0.5 * s.reordered as f64,
        "only {overtaken} inversions for {} reordered",
        s.reordered
    );
}
