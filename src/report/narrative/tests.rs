use super::*;

#[test]
fn numbers_and_times_read_naturally() {
    assert_eq!(count(4230), "4,230");
    assert_eq!(count(12), "12");
    assert_eq!(count(1_234_567), "1,234,567");
    assert_eq!(bytes(812), "812 B");
    assert_eq!(bytes(67_914), "67.9 kB");
    assert_eq!(bytes(2_863_345), "2.9 MB");
    assert_eq!(at(3_231_000_000), "3.231 s");
    assert_eq!(span(231_400_000), "231 ms");
    assert_eq!(span(4_000_000_000), "4.0 s");
    assert_eq!(and_list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
}

// Each sentence kind against a real run built to trigger it: present when it should be,
// absent when it should not.

use crate::report::charts::ops::{OpSeries, named_indices};
use crate::runner::{HistoryOutput, RunOptions, default_recording, run_full};

/// The story of `scenario` (JSON) at seed 1, one sentence per string, timed ones prefixed
/// with their time in ns.
fn story_of(json: &str) -> Vec<(Option<u64>, String)> {
    let s = crate::scenario::parse(json).expect("a valid scenario");
    let out = run_full(
        &s,
        RunOptions {
            seed: 1,
            record: Some(default_recording(&s)),
            history: HistoryOutput::Keep,
            ..RunOptions::default()
        },
    )
    .expect("the run");
    let recording = out.recording.expect("a recording");
    let end = crate::report::charts::end_ns(&out.outcome, &recording);
    let ops = out.history.as_ref().map(|h| OpSeries::new(&h.ops, &named_indices(&out.outcome), end));
    let input = Inputs {
        outcome: &out.outcome,
        ops: ops.as_ref(),
        recording: &recording,
        description: &s.description,
    };
    narrative(&input).into_iter().map(|s| (s.t_ns, s.text)).collect()
}

fn shipped(name: &str) -> Vec<(Option<u64>, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.json"));
    story_of(&std::fs::read_to_string(&path).expect("a shipped scenario"))
}

fn find<'a>(story: &'a [(Option<u64>, String)], needle: &str) -> Vec<&'a (Option<u64>, String)> {
    story.iter().filter(|(_, s)| s.contains(needle)).collect()
}

fn dump(story: &[(Option<u64>, String)]) -> String {
    story.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>().join("\n")
}

const S: u64 = 1_000_000_000;

#[test]
fn cuts_end_in_time_order_and_messages_flow_again_only_when_no_cut_remains() {
    let story = shipped("gossip-partition-heal");
    let all = dump(&story);
    // At 7 s the isolation ends while the partition (and a new one-way cut) still drop messages.
    let seven = find(&story, "At 7.000 s the isolation of n4 ended");
    assert_eq!(seven.len(), 1, "{all}");
    assert!(!seven[0].1.contains("every message could flow again"), "{all}");
    assert!(seven[0].1.contains("the partition {n1,n2} | {n3,n4,n5} was still in effect"), "{all}");
    assert!(seven[0].1.contains("a new cut began at the same instant"), "{all}");
    // At 8 s the heal lifts both and only then can every message flow.
    let flow = find(&story, "every message could flow again");
    assert_eq!(flow.len(), 1, "{all}");
    assert_eq!(flow[0].0, Some(8 * S));
    assert!(flow[0].1.contains("a heal lifted every cut"), "{all}");
    assert!(flow[0].1.contains("the one-way cut {n2} -/-> {n1}"), "{all}");
    // A heal is one sentence: never an end, never an end before its start.
    assert!(find(&story, "heal fault ended").is_empty(), "{all}");
    assert!(find(&story, "the fault heal started").is_empty(), "{all}");
    // Starts precede their ends and times never go back.
    let pos = |n: &str| story.iter().position(|(_, s)| s.contains(n)).unwrap_or_else(|| panic!("{n}: {all}"));
    assert!(pos("n4 was cut off from every other node") < pos("the isolation of n4 ended"));
    assert!(pos("messages from {n2} to {n1} started being dropped") < pos("a heal lifted every cut"));
    let times: Vec<u64> = story.iter().filter_map(|(t, _)| *t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn downed_links_keep_messages_from_flowing_after_a_heal() {
    let story = story_of(
        r#"{"name": "cut-and-links", "seed": 1, "duration": "4s",
            "cluster": {"protocol": "raft", "nodes": 3},
            "workload": {"type": "kv", "clients": 1, "keys": 2},
            "faults": [{"at": "1s", "fault": "partition", "groups": [["n1"], ["n2", "n3"]]},
                       {"at": "1s", "fault": "link_down", "from": ["n2"], "to": ["n3"]},
                       {"at": "2s", "fault": "heal"},
                       {"at": "3s", "fault": "link_up", "from": ["n2"], "to": ["n3"]}]}"#,
    );
    let all = dump(&story);
    let heal = find(&story, "a heal lifted every cut");
    assert_eq!(heal.len(), 1, "{all}");
    assert!(!heal[0].1.contains("every message could flow again"), "{all}");
    assert!(heal[0].1.contains("the link_down of n2->n3, n3->n2 was still in effect"), "{all}");
    let up = find(&story, "were brought back up");
    assert_eq!(up.len(), 1, "{all}");
    assert_eq!(up[0].0, Some(3 * S));
    assert!(up[0].1.contains("every message could flow again"), "{all}");
}

#[test]
fn a_client_stall_names_the_fault_in_effect_and_cut_off_operations_are_told_apart() {
    let story = shipped("raft-minority-partition");
    let all = dump(&story);
    let stalls = find(&story, "no client operation completed");
    assert_eq!(stalls.len(), 1, "{all}");
    let (t, text) = stalls[0];
    let t = t.expect("timed");
    assert!((3 * S..3 * S + 100_000_000).contains(&t), "{all}");
    assert!(
        text.contains("because the partition {n1,n4} | {n2,n3,n5} (from 3.000 s) was in effect"),
        "{all}"
    );
    assert!(text.contains("n5 was elected leader of term 2"), "{all}");
    // The five operations without a reply were cut off by the end, not lost to the partition.
    let cut = find(&story, "cut off by the end of the run");
    assert_eq!(cut.len(), 2, "a sentence at the end and the summary: {all}");
    assert!(cut[0].1.contains("5 operations were still waiting for a reply (sent between 9.9"), "{all}");
    assert!(cut[0].1.contains("with no fault in effect"), "{all}");
    assert!(!find(&story, "the clients gave up on").iter().any(|_| true), "{all}");
}

#[test]
fn no_stall_is_told_where_clients_never_waited() {
    let story = shipped("raft-happy-path");
    let all = dump(&story);
    assert!(find(&story, "no client operation completed").is_empty(), "{all}");
    assert!(find(&story, "two leaders at once").is_empty(), "{all}");
    // A client thinking between operations is not a stall.
    let story = story_of(
        r#"{"name": "thinker", "seed": 1, "duration": "3s", "cluster": {"protocol": "raft", "nodes": 3},
            "workload": {"type": "kv", "clients": 1, "keys": 2, "think": "400ms"}}"#,
    );
    assert!(find(&story, "no client operation completed").is_empty(), "{}", dump(&story));
}

#[test]
fn a_stall_without_a_fault_says_so() {
    // A leader paused by nothing but a lossy network: elections churn with no fault record.
    let story = shipped("raft-lossy-network");
    let all = dump(&story);
    let stalls = find(&story, "no client operation completed");
    assert!(!stalls.is_empty(), "{all}");
    assert!(stalls.iter().all(|(_, s)| s.contains("with no fault in effect")), "{all}");
    assert!(stalls.iter().all(|(_, s)| !s.contains("because")), "{all}");
}

#[test]
fn two_leaders_of_different_terms_are_called_out() {
    let story = shipped("raft-minority-partition");
    let all = dump(&story);
    let two = find(&story, "two leaders at once");
    assert_eq!(two.len(), 1, "{all}");
    assert!(
        two[0].1.contains("n4 was still acting as leader of term 1 while n5 was leader of term 2"),
        "{all}"
    );
    assert_eq!(
        two[0].0,
        find(&story, "after the split, on the side {n2,n3,n5}")[0].0,
        "from the new election"
    );
}

#[test]
fn each_protocol_is_told_in_its_own_words() {
    let raft = dump(&shipped("raft-minority-partition"));
    assert!(raft.contains("term") && raft.contains("commit index") && !raft.contains("ballot"), "{raft}");
    let paxos = dump(&shipped("paxos-leader-churn"));
    assert!(paxos.contains("won ballot round") && paxos.contains("slots were chosen"), "{paxos}");
    for word in ["term", "entries", "commit index", "committed", "check-quorum"] {
        assert!(!paxos.contains(word), "Paxos says {word:?}: {paxos}");
    }
    for name in ["gossip-partition-heal", "quorum-minority-partition"] {
        let text = dump(&shipped(name)).to_lowercase().replace("leaderless", "");
        for word in ["leader", "term", "elect", "commit", "ballot", "slot", " log", "role"] {
            assert!(!text.contains(word), "{name} says {word:?}: {text}");
        }
    }
}
