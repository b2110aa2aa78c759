//! The closing summary: leadership and log figures (in the protocol's words, and only for a
//! protocol that has leaders), client outcomes (with the operations the end of the run cut
//! off counted apart from those given up on), broadcast convergence, lost messages and the
//! verdicts.

use crate::workload::history::OpOutcome;

use super::{Story, and_list, count, plural, span};

impl Story<'_> {
    pub(super) fn summary(&self) -> Vec<String> {
        let o = self.input.outcome;
        let mut out = Vec::new();
        if let (Some(r), Some(w)) = (&o.raft, super::Words::of(o.protocol)) {
            out.push(format!(
                "In all, {} and {} {}; the highest {} reached was {}, and for {} in total no server considered \
                 itself leader.",
                plural(r.leadership.leader_changes, "leader was elected", "leaders were elected"),
                plural(r.entries_committed, w.entry, w.entries),
                if r.entries_committed == 1 { format!("was {}", w.committed) } else { format!("were {}", w.committed) },
                w.round,
                r.leadership.max_term,
                span((r.leadership.time_without_leader_s * 1e9) as u64)
            ));
        }
        if let Some(h) = self.input.ops {
            let n = |k: OpOutcome| h.count(k);
            let info = n(OpOutcome::Info);
            let cut = o.ops.as_ref().map_or(0, |f| f.unfinished.len() as u64).min(info);
            let no_reply = match (cut, info - cut) {
                (0, _) => format!("{} got no reply, so their outcome is unknown", count(info)),
                (c, 0) => format!(
                    "{} got no reply because the run ended while {} waiting (cut off by the end of the run), so {} \
                     outcome is unknown",
                    count(c),
                    if c == 1 { "it was" } else { "they were" },
                    if c == 1 { "its" } else { "their" }
                ),
                (c, gave_up) => format!(
                    "{} got no reply, so their outcome is unknown: the clients gave up on {} and the end of the run \
                     cut off {}",
                    count(info),
                    count(gave_up),
                    count(c)
                ),
            };
            let mut text = format!(
                "Clients completed {} successfully; {} failed (definitely not applied) and {no_reply}.",
                plural(n(OpOutcome::Ok), "operation", "operations"),
                count(n(OpOutcome::Fail)),
            );
            if let Some(ops) = &o.ops
                && let (Some(p50), Some(p99), Some(max)) = (ops.p50_ms, ops.p99_ms, ops.max_ms)
            {
                text.push_str(&format!(
                    " Half of the successful ones took under {p50:.1} ms, 99% under {p99:.1} ms; the slowest took \
                     {max:.1} ms."
                ));
            }
            out.push(text);
        }
        if let Some(b) = &o.broadcast {
            let mut text = format!(
                "Clients injected {} values and {} were acknowledged by a server.",
                count(b.injected),
                count(b.acknowledged)
            );
            match b.converged_at_s {
                Some(c) => text.push_str(&format!(
                    " Every live server had every acknowledged value by {c:.3} s{}.",
                    b.convergence_after_faults_s
                        .filter(|_| !o.faults.is_empty())
                        .map(|d| format!(", {d:.3} s after the last fault"))
                        .unwrap_or_default()
                )),
                None => text.push_str(&format!(
                    " {} acknowledged values never reached every live server.",
                    count(b.missing)
                )),
            }
            out.push(text);
        }
        let n = &o.network;
        if n.dropped > 0 {
            let why: Vec<String> = n
                .dropped_by
                .iter()
                .filter(|(_, v)| **v > 0)
                .map(|(k, v)| format!("{} {}", count(*v), lost_because(k)))
                .collect();
            out.push(format!(
                "Of {} messages sent, {} were lost: {}.",
                count(n.sent),
                count(n.dropped),
                and_list(&why)
            ));
        } else {
            out.push(format!("All {} messages sent were delivered.", count(n.sent)));
        }
        let failed = o.failed_checks();
        let names: Vec<String> = o.checks.keys().cloned().collect();
        if failed.is_empty() {
            out.push(format!("Every check passed: {}.", and_list(&names)));
        } else {
            for f in failed {
                out.push(format!("The {f} check FAILED: {}.", short_detail(&o.checks[f].detail)));
            }
        }
        out
    }
}

/// A check's detail, cut before its parenthesised elaboration when it is long.
fn short_detail(detail: &str) -> String {
    let d = detail.trim().trim_end_matches('.');
    match d.find(" (") {
        Some(i) if d.len() > 160 && i > 20 => format!("{} (details under Checks)", &d[..i]),
        _ => d.to_string(),
    }
}

/// Why messages were lost, after a count: "290 blocked by a partition".
fn lost_because(reason: &str) -> &'static str {
    match reason {
        "loss" => "lost at random by a lossy link",
        "partition" => "blocked by a partition",
        "queue_full" => "dropped from a full link queue",
        "node_down" => "sent to a crashed node",
        "link_down" => "sent over a link that was down",
        "mtu" => "too big for their link",
        _ => "lost for other reasons",
    }
}
