//! The comparison's `index.html`: one self-contained page for a student comparing
//! leader-based consensus with a leaderless quorum store on the same faults.
//!
//! In order: the scenario and its fault windows; what the numbers say (the
//! [findings](super::findings), every sentence derived from `compare.json`); the table, with
//! a definition of every row; the two charts with how to read them; a fixed short explainer
//! of each protocol and of the CAP trade-off; how the scenario was adapted to each protocol
//! and each protocol's effective settings. It uses the run report's stylesheet, loads
//! nothing from the network (the charts are relative links to the SVGs beside it) and shows
//! no wall-clock figure, so the same comparison gives the same page.

use std::fmt::Write;

use super::adapt::ChangeKind;
use super::findings::{cap, findings, ms, pct};
use super::measure::Anomaly;
use super::protocols::protocol_of;
use super::summary::{Comparison, ProtocolSummary, VerdictCounts};
use crate::report::charts::style::protocol_colour;
use crate::report::charts::svg::esc;
use crate::report::html::figures;
use crate::report::html::ops::impossible_order;
use crate::report::narrative::{bytes, count};

const CSS: &str = include_str!("../../report/html/page.css");
const EXTRA_CSS: &str = ".swatch{display:inline-block;width:14px;height:4px;vertical-align:middle;margin-right:6px}\
table.compare td{min-width:150px}table.compare th.row{min-width:230px}\
.findings p{max-width:110ch;margin:6px 0 12px}.findings b{display:block}\
dl.defs dt{font-weight:bold;margin-top:8px}dl.defs dd{margin-left:18px;max-width:110ch}\
.protocols p{max-width:110ch}";

/// What each chart shows and how to read it: (file, title, caption).
const CHARTS: [(&str, &str, &str); 2] = [
    (
        "latency-cdf.svg",
        "Latency, as a distribution",
        "One line per protocol: how many of its completed operations (every seed pooled) finished within the \
         latency across. The axis is logarithmic, so 10 ms, 100 ms and 1 s are equally far apart. A line further \
         left is faster; where a line flattens out near the top, the last few percent of operations waited much \
         longer (usually for a fault to end). Dots mark each protocol's median (50%) and 99th percentile.",
    ),
    (
        "throughput.svg",
        "Throughput over time",
        "One line per protocol: completed operations per second in each time bucket, averaged over the seeds. \
         The shaded bands are the scenario's fault windows, labelled with what they do. Watch what each line does \
         inside a band: a dive to zero is a protocol that stopped serving during that fault; a line that hardly \
         moves kept serving through it.",
    ),
];

/// The fixed explainer of the protocols and the trade-off between them.
const EXPLAINER: &str = "<p><b>Raft</b> and <b>Multi-Paxos</b> are leader-based consensus protocols. One server, \
the leader, puts every operation into a replicated log; an entry counts only once a majority of \
servers has stored it. Because any two majorities share a server, a new leader always knows every committed entry, \
so clients see one history, as if there were a single copy: the history is <i>linearizable</i>. The price: while \
there is no leader — after a crash, or while the leader is cut off from a majority — nothing is committed, and \
requests wait or time out. Raft and Multi-Paxos differ mostly in how they elect the leader and repair logs, not in \
what they promise.</p>\n\
<p>The <b>quorum store</b> is leaderless, in the style of Amazon's Dynamo. Each key lives on N servers; any \
server coordinates a request, writes wait for W of the key's replicas and reads for R, and the newest version \
(by the coordinator's clock) wins. With R + W &gt; N a read quorum overlaps every write quorum, yet that is not \
enough for linearizability: a write that reached only some replicas, concurrent writes ordered by skewed clocks, \
and a read that lands between them can all show clients values no single copy would have. In exchange, there is \
no election to wait for: as long as enough replicas of a key answer, requests succeed.</p>\n\
<p><b>The CAP trade-off.</b> When the network partitions, a replicated system must choose for the requests it \
cannot coordinate across the cut: refuse them (stay <i>consistent</i>) or answer them from what it can reach \
(stay <i>available</i>). Raft and Multi-Paxos choose consistency; a quorum store leans towards availability. The \
table and charts above show what each choice cost in this scenario.</p>\n";

/// Definitions of the table's rows: (row, definition).
const DEFINITIONS: [(&str, &str); 8] = [
    (
        "Fault window",
        "The time from a fault's start to its end, as each run recorded it: a partition until it heals, a crash \
         until the restart, the adversary's replays while they last. An instantaneous operator action (removing a \
         server) has no window.",
    ),
    (
        "Availability during faults (operations)",
        "Of the operations clients started while at least one fault window was open, the share that completed \
         ok. Operations that failed or got no reply before the client gave up count as not served. Each \
         operation counts once, however often the client retried it.",
    ),
    (
        "Availability during faults (time)",
        "The run is cut into equal slices (the throughput chart's buckets). Of the slices inside fault windows \
         while the clients were running, the share in which at least one operation completed ok: could anyone \
         get anything done?",
    ),
    (
        "Availability outside faults",
        "The same share for operations started while no fault window was open: the baseline.",
    ),
    (
        "Latency",
        "From a client sending an operation to its ok reply, retries included, over every seed's completed \
         operations together (nearest-rank percentiles).",
    ),
    ("Throughput", "Completed operations per second of simulated time, averaged over the seeds."),
    (
        "Messages and bytes per operation",
        "Everything every node sent over the whole run (replication, heartbeats, elections, repair, client \
         requests and replies, retries), divided by the operations that completed ok.",
    ),
    (
        "Linearizable",
        "Whether the clients' history can be explained by the operations taking effect one at a time, each at \
         some instant between its request and its reply — what a single copy would have shown. Checked per seed; \
         'undecided' means the checker ran out of its budget of search steps or memory before it could tell \
         (neither a pass nor a failure; the same on every machine).",
    ),
];

fn name_cell(p: &ProtocolSummary) -> String {
    let colour = protocol_of(&p.protocol).map_or("#555555", protocol_colour);
    format!("<span class=\"swatch\" style=\"background:{colour}\"></span>{}", esc(&cap(&p.name)))
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("–".to_string(), f)
}

fn verdicts(v: &VerdictCounts, runs: u64) -> String {
    let mut s = if v.failed > 0 {
        format!("<span class=\"fail-cell\">failed in {} of {runs}</span>", v.failed)
    } else if v.unknown == 0 && v.absent == 0 {
        format!("<span class=\"pass-cell\">held in all {runs}</span>")
    } else {
        format!("<span class=\"pass-cell\">held in {} of {runs}</span>", v.passed)
    };
    if v.unknown > 0 {
        let _ = write!(s, ", <span class=\"undecided-cell\">undecided in {}</span>", v.unknown);
    }
    if v.absent > 0 {
        let _ = write!(s, ", not checked in {}", v.absent);
    }
    if let Some(seed) = v.first_failing_seed {
        let _ = write!(s, " (first: seed {seed})");
    }
    s
}

/// The whole page; `anomalies` holds, per protocol whose history failed linearizability,
/// its first failing seed's counterexample drawn as operation bars (an SVG shown inline,
/// so its hover text works).
pub fn index(c: &Comparison, charts: &[&str], anomalies: &[(String, String)]) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let names: Vec<String> = c.protocols.iter().map(|p| p.name.clone()).collect();
    let title = format!("{} — {} compared", c.spec.scenario, names.join(" vs "));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n\
         <style>\n{CSS}{EXTRA_CSS}\n</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    let runs: u64 = c.protocols.iter().map(|p| p.runs).sum();
    let _ = write!(
        h,
        "<header>\n<h1>{} <span class=\"seed\">{}</span></h1>\n\
         <div class=\"meta\">the same scenario on {} protocols, seeds {} ({} seeds, {} runs of {} s of virtual time each)</div>\n\
         <nav><a href=\"#scenario\">Scenario</a><a href=\"#findings\">What the numbers say</a><a href=\"#table\">Table</a>\
         <a href=\"#charts\">Charts</a><a href=\"#protocols\">The protocols</a><a href=\"#adapted\">How the scenario was adapted</a></nav>\n\
         </header>\n",
        esc(&c.spec.scenario),
        esc(&names.join(" vs ")),
        c.protocols.len(),
        c.spec.seeds,
        c.spec.seeds.len(),
        count(runs),
        c.duration_s
    );
    scenario(&mut h, c);
    let _ = write!(h, "<section id=\"findings\" class=\"findings\">\n<h2>What the numbers say</h2>\n");
    for f in findings(c) {
        let _ = writeln!(h, "<p><b>{}</b>{}</p>", esc(f.topic), code_spans(&esc(&f.text)));
    }
    h.push_str("</section>\n");
    table(&mut h, c);
    anomaly_section(&mut h, c, anomalies);
    chart_section(&mut h, charts);
    let _ = write!(
        h,
        "<section id=\"protocols\" class=\"protocols\">\n<h2>The protocols</h2>\n{EXPLAINER}</section>\n"
    );
    adapted(&mut h, c);
    let protos: Vec<&str> = c.protocols.iter().map(|p| p.protocol.as_str()).collect();
    let _ = write!(
        h,
        "<footer>Reproduce this comparison with <code>eightfold compare scenario.json --protocols {} --seeds {}</code>. \
         Every figure on this page is in <code>compare.json</code>; the scenario each protocol ran is \
         <code>scenario-&lt;protocol&gt;.json</code>, and <code>eightfold run scenario-&lt;protocol&gt;.json --seed N</code> \
         writes the full report of one run.</footer>\n</main>\n</body>\n</html>\n",
        protos.join(","),
        c.spec.seeds
    );
    h
}

/// Turns `text` spans (already escaped) into `<code>` elements.
fn code_spans(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn scenario(h: &mut String, c: &Comparison) {
    let _ = write!(
        h,
        "<section id=\"scenario\">\n<h2>The scenario</h2>\n<p class=\"description\">{}</p>\n",
        esc(&c.description)
    );
    if c.fault_windows.is_empty() {
        h.push_str("<p>The scenario injects no faults.</p>\n</section>\n");
        return;
    }
    let all = c.protocols.len();
    h.push_str("<table>\n<tr><th>from</th><th>until</th><th>fault</th><th>faced by</th></tr>\n");
    for w in &c.fault_windows {
        let until = if w.end_ns == w.start_ns {
            "(instant)".to_string()
        } else {
            format!("{:.3} s", w.end_ns as f64 / 1e9)
        };
        let who = if w.protocols.len() == all {
            "all".to_string()
        } else {
            c.protocols
                .iter()
                .filter(|p| w.protocols.contains(&p.protocol))
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
                + " only"
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"num\">{:.3} s</td><td class=\"num\">{until}</td><td>{} {}</td><td>{}</td></tr>",
            w.start_ns as f64 / 1e9,
            esc(w.fault.name()),
            esc(&w.target),
            esc(&who)
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn table(h: &mut String, c: &Comparison) {
    h.push_str("<section id=\"table\">\n<h2>Side by side</h2>\n<table class=\"compare\">\n<tr><th class=\"row\"></th>");
    for p in &c.protocols {
        let _ = write!(h, "<th>{}</th>", name_cell(p));
    }
    h.push_str("</tr>\n");
    type Cell = dyn Fn(&ProtocolSummary) -> String;
    let rows: Vec<(&str, Box<Cell>)> = vec![
        ("runs (seeds)", Box::new(|p| count(p.runs))),
        (
            "operations: ok / fail / no reply",
            Box::new(|p| format!("{} / {} / {}", count(p.ops.ok), count(p.ops.fail), count(p.ops.info))),
        ),
        (
            "availability during faults (operations)",
            Box::new(|p| {
                let a = &p.availability;
                format!(
                    "<b>{}</b> ({} of {})",
                    opt(a.during_faults_ok, pct),
                    count(a.during_faults.ok),
                    count(a.during_faults.total())
                )
            }),
        ),
        (
            "availability during faults (time)",
            Box::new(|p| {
                let a = &p.availability;
                format!(
                    "<b>{}</b> ({} of {} slices)",
                    opt(a.during_faults_time, pct),
                    count(a.served_fault_buckets),
                    count(a.fault_buckets)
                )
            }),
        ),
        (
            "availability outside faults",
            Box::new(|p| {
                let a = &p.availability;
                format!(
                    "{} ({} of {})",
                    opt(a.outside_faults_ok, pct),
                    count(a.outside_faults.ok),
                    count(a.outside_faults.total())
                )
            }),
        ),
        ("latency p50", Box::new(|p| format!("<b>{}</b>", opt(p.latency_ms.p50, ms)))),
        ("latency p99", Box::new(|p| format!("<b>{}</b>", opt(p.latency_ms.p99, ms)))),
        ("latency max", Box::new(|p| opt(p.latency_ms.max, ms))),
        ("throughput (ok operations/s)", Box::new(|p| format!("{:.1}", p.throughput_ops_per_s))),
        ("messages per ok operation", Box::new(|p| opt(p.cost.messages_per_op, |v| format!("{v:.1}")))),
        ("bytes per ok operation", Box::new(|p| opt(p.cost.bytes_per_op, |b| bytes(b.round() as u64)))),
        (
            "leader elections per run",
            Box::new(|p| {
                p.leadership.as_ref().map_or("no leader".to_string(), |l| format!("{:.1}", l.leader_changes))
            }),
        ),
        (
            "time without a leader per run",
            Box::new(|p| {
                p.leadership
                    .as_ref()
                    .map_or("–".to_string(), |l| format!("{:.2} s", l.time_without_leader_s))
            }),
        ),
        ("linearizable", Box::new(|p| verdicts(&p.safety.linearizable, p.runs))),
        (
            "what broke linearizability",
            Box::new(|p| {
                if p.safety.anomalies.is_empty() {
                    return "–".to_string();
                }
                p.safety
                    .anomalies
                    .iter()
                    .map(|(a, k)| format!("{}: {k}", anomaly_name(*a)))
                    .collect::<Vec<_>>()
                    .join("<br>")
            }),
        ),
        (
            "invariants",
            Box::new(|p| {
                if p.protocol == "quorum" {
                    "none to check (no leader, no log)".to_string()
                } else {
                    verdicts(&p.safety.invariants, p.runs)
                }
            }),
        ),
        ("liveness after the last fault", Box::new(|p| verdicts(&p.safety.liveness, p.runs))),
        (
            "replay the first failing run",
            Box::new(|p| {
                p.safety.replay.as_ref().map_or("–".to_string(), |r| format!("<code>{}</code>", esc(r)))
            }),
        ),
    ];
    for (name, cell) in rows {
        let _ = write!(h, "<tr><th class=\"row\">{}</th>", esc(name));
        for p in &c.protocols {
            let _ = write!(h, "<td>{}</td>", cell(p));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n<dl class=\"defs\">\n");
    for (term, def) in DEFINITIONS {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(term), esc(def));
    }
    for (a, meaning) in super::findings::anomaly_glossary() {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}.</dd>", esc(anomaly_name(a)), esc(&cap(meaning)));
    }
    h.push_str("</dl>\n</section>\n");
}

fn anomaly_name(a: Anomaly) -> &'static str {
    match a {
        Anomaly::StaleRead => "stale read",
        Anomaly::ConflictingWrites => "conflicting writes",
        Anomaly::Other => "other anomaly",
    }
}

/// Each protocol's first counterexample, drawn, with the impossible order in words and the
/// command that writes that run's full report.
fn anomaly_section(h: &mut String, c: &Comparison, anomalies: &[(String, String)]) {
    if anomalies.is_empty() {
        return;
    }
    h.push_str(
        "<section id=\"anomalies\">\n<h2>What went wrong, drawn</h2>\n<p class=\"explain\">For each protocol whose \
         history was not linearizable, the checker's smallest counterexample from its first failing seed, as \
         operation bars (Porcupine draws them the same way): hover a bar for its exact times. An arrow means the \
         first operation returned before the second began, so any explanation must put them in that order.</p>\n",
    );
    for p in &c.protocols {
        let (Some(ex), Some((_, svg))) =
            (&p.safety.example, anomalies.iter().find(|(name, _)| *name == p.protocol))
        else {
            continue;
        };
        let _ = write!(
            h,
            "<figure class=\"anomaly\" data-protocol=\"{}\">\n<h3>{}: {}, seed {}</h3>\n{}\n<figcaption>{} \
             Replay it: <code>{}</code>.</figcaption>\n</figure>\n",
            esc(&p.protocol),
            cap(&p.name),
            anomaly_name(ex.anomaly),
            ex.seed,
            // Inline in HTML the namespace is implied; the page names no URL at all.
            svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1),
            esc(&impossible_order(&ex.counterexample)),
            esc(&ex.replay)
        );
    }
    h.push_str("</section>\n");
}

fn chart_section(h: &mut String, charts: &[&str]) {
    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    figures(h, &CHARTS, charts);
    h.push_str("</section>\n");
}

fn adapted(h: &mut String, c: &Comparison) {
    h.push_str("<section id=\"adapted\">\n<h2>How the scenario was adapted</h2>\n");
    h.push_str(
        "<p class=\"explain\">Each protocol ran the scenario with only <code>cluster.protocol</code> switched, minus \
         what it cannot take. Dropped: removed for this protocol. Translated: moved to this protocol's equivalent \
         setting. Note: kept, but it means something different here.</p>\n",
    );
    for p in &c.protocols {
        let _ = writeln!(h, "<h3>{}</h3>", name_cell(p));
        if p.changes.is_empty() {
            h.push_str("<p>Ran the scenario as written.</p>\n");
        } else {
            h.push_str("<table>\n<tr><th>scenario path</th><th>what</th><th>why</th></tr>\n");
            for ch in &p.changes {
                let kind = match ch.kind {
                    ChangeKind::Dropped => "dropped",
                    ChangeKind::Translated => "translated",
                    ChangeKind::Note => "note",
                };
                let _ = writeln!(
                    h,
                    "<tr><td><code>{}</code></td><td>{kind}</td><td>{}</td></tr>",
                    esc(&ch.path),
                    esc(&ch.why)
                );
            }
            h.push_str("</table>\n");
        }
        let _ = writeln!(
            h,
            "<details><summary>effective settings</summary><pre>{}</pre></details>",
            esc(&p.settings.join("\n"))
        );
    }
    h.push_str("</section>\n");
}
