//! `index.html`: one self-contained page per run, for a student who has never seen the
//! protocol's paper.
//!
//! In order: what the scenario sets out to show (its description), what actually happened
//! (the [narrative](crate::report::narrative), every sentence derived from the data), the
//! checks and their verdicts (with the linearizability counterexample when there is one),
//! the key figures, a step-through of the cluster at any instant, and the charts with a
//! caption on how to read each. The page loads nothing from the network: its CSS and script
//! are inline, the charts are `<object>`s of the SVGs beside it (live documents, so every mark's
//! hover text works inside the page, as an `<img>` would not allow), and the
//! step-through's data is embedded as JSON. No wall-clock figure appears on it, so the same
//! run gives the same page.
//!
//! Every caption, header and label is in the run's protocol's own words
//! ([`Vocab`], chosen from `outcome.json`'s typed `protocol`):
//! terms, a log and a commit index for Raft; ballot rounds and accepted and chosen slots for
//! Multi-Paxos; for the leaderless quorum store and gossip, only what they have (which
//! servers were up, their messages, the values and operations), never a role, round or log.

pub mod ops;
pub mod staleness;
pub mod step;

use crate::protocol::ServerView;
use std::fmt::Write;

use crate::check::Status;
use crate::report::charts::Inputs;
use crate::report::charts::svg::esc;
use crate::report::narrative::{at, count, narrative};
use crate::report::words::Vocab;
use crate::scenario::Protocol;

const CSS: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("step.js");
/// The per-server state panel under the step-through (logs entry by entry, votes, timers,
/// a leader's view of its followers); it redraws on each instant the step-through shows.
const STATE_SCRIPT: &str = include_str!("state.js");
/// The leaderless panel: a quorum store's versions and hints, gossip peers' values.
const PEERS_SCRIPT: &str = include_str!("peers.js");

/// What each chart shows and how to read it, in the words of the run's protocol: (file,
/// title, caption).
fn chart_table(vocab: Vocab) -> Vec<(&'static str, String, String)> {
    let timeline = match (vocab.protocol, vocab.leaderless()) {
        (Protocol::PAXOS, _) => (
            "Roles over time".to_string(),
            "One lane per server. The bar's colour is the server's role: green = leader (the ballot round it \
             leads in is written on it), orange = candidate (running phase 1 of a new ballot: asking a majority \
             of acceptors to promise it), pale blue = follower (accepting the leader's values). Dark grey = \
             crashed, hatched = paused. The strips under a lane say which side of a network cut the server was \
             on. Shaded bands are fault windows."
                .to_string(),
        ),
        (_, Some(what)) => (
            "Servers over time".to_string(),
            format!(
                "One lane per server. These are {what}, all alike: none of them leads, so the bar only says it was \
                 up (grey). Dark grey = crashed, hatched = paused. The strips under a lane say which side of a \
                 network cut the server was on. Shaded bands are fault windows."
            ),
        ),
        _ => (
            "Roles over time".to_string(),
            "One lane per server. The bar's colour is the server's role: green = leader (its term is written on \
             it), orange = candidate (running for election), yellow = pre-candidate (asking whether it could win \
             before starting an election), pale blue = follower. Dark grey = crashed, hatched = paused. The strips \
             under a lane say which side of a network cut the server was on. Shaded bands are fault windows."
                .to_string(),
        ),
    };
    let leader_line = if vocab.log.is_some() { " The leader's line is tinted green." } else { "" };
    vec![
        ("timeline.svg", timeline.0, timeline.1),
        (
            "latency.svg",
            "Operation latency".to_string(),
            "Each mark is one client operation: across, when it was sent; up, how long until its reply (log \
             scale, so every power of ten gets the same room). Blue dots completed (ok); vermillion squares \
             definitely failed; orange triangles in the top strip never got a reply, so whether they took effect \
             is unknown (info). Shaded bands are fault windows: look for gaps and rising clouds inside them. Hover \
             a mark to see its operation and its result."
                .to_string(),
        ),
        (
            "latency-quantiles.svg",
            "Latency quantiles over time".to_string(),
            "Under the scatter: the run cut into equal slices; in each, the median (blue, solid: half of the \
             ok operations sent in the slice were faster) and the 99th percentile (vermillion, dashed: one in a \
             hundred was slower). A fault that slows only some operations lifts the p99 line and leaves the \
             median flat; one that stalls everyone lifts both. A gap is a slice in which no operation sent \
             completed ok. Hover a slice for its figures."
                .to_string(),
        ),
        (
            "throughput.svg",
            "Throughput".to_string(),
            "Operations finished per second, in equal time buckets, stacked by outcome. A bar that drops to zero \
             inside a fault band is time during which no client could get anything done."
                .to_string(),
        ),
        (
            "staleness.svg",
            "How soon reads saw a write (t-visibility)".to_string(),
            "Across: how long after a write was acknowledged a read began (log scale, one point per range of \
             lags). Up: of those (write, read) pairs, the share in which the read returned that write or a newer \
             one. 100 % everywhere is a store whose reads never go back in time; a curve that starts lower and \
             climbs is eventual consistency, measured. The dashed line (quorum store) is PBS's prediction for \
             quorums that never grow after the acknowledgement. Hover a point for its counts."
                .to_string(),
        ),
        (
            "k-staleness.svg",
            "How many versions behind (k-staleness)".to_string(),
            "Each bar: the share of measured reads that missed exactly k versions acknowledged before they began \
             (k = 0: fresh). Diamonds (quorum store): PBS's closed form for non-expanding quorums."
                .to_string(),
        ),
        (
            "messages.svg",
            "Messages around the first fault".to_string(),
            format!(
                "A space-time diagram: one line per node, time running right. Each arrow is a message from its \
                 sender (when sent) to its receiver (when it arrived), coloured by type. A × marks a lost message, \
                 coloured by why it was lost.{leader_line} Hover an arrow for its details (its contents \
                 included); `eightfold chart DIR --window 4.9s..5.4s` redraws it for another window."
            ),
        ),
        (
            "network.svg",
            "Network traffic".to_string(),
            "Top: bytes sent from each node (row) to each node (column) over the whole run, with how many messages \
             each link lost. Bottom: for bandwidth-limited links, how many bytes waited in the link's queue over \
             time; a queue stuck at its limit drops new messages."
                .to_string(),
        ),
    ]
}

/// What a check means, in plain words and the protocol's own, for the checks eightfold runs.
fn check_meaning(name: &str, protocol: Protocol) -> &'static str {
    match name {
        "invariants" => match protocol {
            Protocol::RAFT => {
                "Raft's safety rules held at every step: at most one leader per term, logs that agree up to an \
                 index agree before it, and nothing committed is ever lost or changed."
            }
            Protocol::PAXOS => {
                "Multi-Paxos's safety rules held at every step: at most one leader per ballot round, servers that \
                 learned a slot's value learned the same value, and a value once chosen is never lost or changed."
            }
            _ => {
                "What the servers announced while the run went on was consistent; the store's guarantees to \
                 clients are judged on what the clients saw."
            }
        },
        "linearizable" => {
            "Every client saw results consistent with the operations taking effect one at a time, each at \
             some instant between its request and its reply."
        }
        "liveness" => {
            "Every client completed an operation of every kind it issued within the bound, except while a fault that can stop progress was in effect and for one bound after it healed."
        }
        "convergence" => "After the faults, every server ended up holding every acknowledged value.",
        "event_budget" => {
            "The run stayed within its budget of events per simulated second (limits.events_per_second); a run \
             that exceeds it, usually a message storm, is stopped there."
        }
        _ => "",
    }
}

/// The whole page.
pub fn index(input: &Inputs<'_>, charts: &[&str]) -> String {
    let o = input.outcome;
    let mut h = String::with_capacity(256 * 1024);
    let title = format!("{} seed {} — eightfold report", o.scenario, o.seed);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n\
         <style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&title)
    );
    header(&mut h, input);
    let _ = write!(
        h,
        "<section id=\"scenario\">\n<h2>The scenario</h2>\n<p class=\"description\">{}</p>\n</section>\n",
        esc(input.description)
    );
    story(&mut h, input);
    checks_and_figures(&mut h, input);
    step_through(&mut h, input);
    chart_section(&mut h, input, charts);
    staleness::section(&mut h, o);
    let _ = write!(
        h,
        "<section id=\"parameters\">\n<h2>Every effective parameter</h2>\n<details><summary>{} lines</summary>\
         <pre>{}</pre></details>\n</section>\n",
        o.parameters.len(),
        esc(&o.parameters.join("\n"))
    );
    let _ = write!(
        h,
        "<footer>Reproduce this run exactly with <code>eightfold run scenario.json --seed {}</code> (trace digest \
         {}); redraw this page with <code>eightfold chart &lt;this directory&gt;</code>.</footer>\n</main>\n\
         <script type=\"application/json\" id=\"step-data\">{}</script>\n<script>\n{SCRIPT}</script>\n{state_script}\
         </body>\n</html>\n",
        o.seed,
        esc(&o.digest),
        step::embed(&step::data(input)),
        // Each page carries the panel script of its kind of protocol only.
        state_script = if input.vocab().log.is_some() {
            format!("<script>\n{STATE_SCRIPT}</script>\n")
        } else {
            format!("<script>\n{PEERS_SCRIPT}</script>\n")
        }
    );
    h
}

fn header(h: &mut String, input: &Inputs<'_>) {
    let o = input.outcome;
    let undecided: Vec<String> = o
        .checks
        .iter()
        .filter(|(_, c)| c.status != Status::Pass && !c.failed())
        .map(|(k, c)| format!("{k} {}", c.status.word().to_lowercase()))
        .collect();
    let unknown = o.unknown_checks();
    let verdict = if o.passed && undecided.is_empty() {
        "<span class=\"verdict pass\">PASSED — every check held</span>".to_string()
    } else if o.passed && !unknown.is_empty() {
        // Neither a pass nor a failure: a check ran out of its budget before it could tell.
        format!(
            "<span class=\"verdict undecided\">UNDECIDED — no check failed, but {} could not decide within its budget</span>",
            esc(&unknown.join(", "))
        )
    } else if o.passed {
        format!(
            "<span class=\"verdict pass\">PASSED — no check failed ({})</span>",
            esc(&undecided.join(", "))
        )
    } else {
        format!("<span class=\"verdict fail\">FAILED — {}</span>", esc(&o.failed_checks().join(", ")))
    };
    let _ = write!(
        h,
        "<header>\n<h1>{} <span class=\"seed\">seed {}</span></h1>\n{verdict}\n\
         <div class=\"meta\">{} of virtual time simulated, {} events, trace digest <code>{}</code></div>\n\
         <nav><a href=\"#story\">What happened</a><a href=\"#checks\">Checks</a><a href=\"#figures\">Key figures</a>\
         <a href=\"#step\">Step through</a><a href=\"#charts\">Charts</a><a href=\"#parameters\">Parameters</a></nav>\n\
         </header>\n",
        esc(&o.scenario),
        o.seed,
        at(o.sim_time_ns),
        count(o.events),
        esc(&o.digest)
    );
}

fn story(h: &mut String, input: &Inputs<'_>) {
    h.push_str("<section id=\"story\">\n<h2>What happened</h2>\n<ol class=\"story\">\n");
    for s in narrative(input) {
        match s.t_ns {
            Some(t) => {
                let _ = writeln!(h, "<li><span class=\"t\">{}</span>{}</li>", at(t), esc(&s.text));
            }
            None => {
                let _ = writeln!(h, "<li class=\"summary\"><span class=\"t\"></span>{}</li>", esc(&s.text));
            }
        }
    }
    h.push_str("</ol>\n</section>\n");
}

fn row(h: &mut String, name: &str, value: &str) {
    let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(name), esc(value));
}

fn checks_and_figures(h: &mut String, input: &Inputs<'_>) {
    let o = input.outcome;
    h.push_str("<div class=\"cols\">\n<section id=\"checks\"><h2>Checks</h2>\n<table>\n<tr><th>check</th><th>verdict</th><th>what it found</th></tr>\n");
    for (name, c) in &o.checks {
        let class = match c.status {
            Status::Pass => "pass-cell",
            Status::Fail => "fail-cell",
            Status::Unknown | Status::NotJudged => "undecided-cell",
        };
        let word = c.status.word();
        let meaning = check_meaning(name, o.protocol);
        let _ = writeln!(
            h,
            "<tr><td><b>{}</b><div class=\"explain\">{}</div></td><td class=\"{class}\">{word}</td><td>{}</td></tr>",
            esc(name),
            esc(meaning),
            esc(&c.detail)
        );
    }
    h.push_str("</table>\n");
    if let Some(halt) = &o.halted {
        let _ = writeln!(
            h,
            "<p><b>The run stopped early</b> at {} when {} on {} saw: {}</p>",
            at(halt.at.0),
            esc(&halt.check),
            esc(&halt.node),
            esc(&halt.detail)
        );
    }
    if let Some(l) = &o.linearizability
        && let Some(text) = &l.explanation
    {
        let _ = writeln!(
            h,
            "<h3>Linearizability: why not</h3>\n<p class=\"explain\">The smallest set of operations the checker \
             found that no one-at-a-time order can explain:</p>\n<pre>{}</pre>",
            esc(text)
        );
    }
    h.push_str("</section>\n<section id=\"figures\"><h2>Key figures</h2>\n<table>\n");
    let n = &o.network;
    row(h, "simulated", &format!("{} of virtual time, {} events", at(o.sim_time_ns), count(o.events)));
    row(
        h,
        "messages",
        &format!(
            "{} sent, {} delivered, {} lost, {} duplicated",
            count(n.sent),
            count(n.delivered),
            count(n.dropped),
            count(n.duplicated)
        ),
    );
    let lost: Vec<String> =
        n.dropped_by.iter().filter(|(_, v)| **v > 0).map(|(k, v)| format!("{k} {}", count(*v))).collect();
    if !lost.is_empty() {
        row(h, "lost because", &lost.join(", "));
    }
    row(h, "bytes sent", &count(n.bytes));
    if let Some(ops) = &o.ops {
        row(
            h,
            "operations",
            &format!("{} ok, {} fail, {} info (no reply)", count(ops.ok), count(ops.fail), count(ops.info)),
        );
        let ms = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1} ms"));
        row(
            h,
            "latency of ok operations",
            &format!(
                "median {}, p90 {}, p99 {}, worst {}",
                ms(ops.p50_ms),
                ms(ops.p90_ms),
                ms(ops.p99_ms),
                ms(ops.max_ms)
            ),
        );
    }
    if let (Some(r), Some(w)) = (&o.raft, input.vocab().log) {
        let leaders = if o.protocol == Protocol::RAFT { "leaders elected" } else { "leaders (phase 1 won)" };
        row(h, leaders, &count(r.leadership.leader_changes));
        row(h, &format!("highest {}", w.round), &r.leadership.max_term.to_string());
        row(h, "time without a leader", &format!("{:.3} s", r.leadership.time_without_leader_s));
        row(h, w.committed_count, &count(r.entries_committed));
    }
    if let Some(l) = &o.linearizability {
        row(
            h,
            "linearizability",
            &format!(
                "{} ({} operations on {} keys; {} of {} search steps, {:.1} of {} MiB of search state)",
                l.verdict.replace('_', " "),
                count(l.ops),
                count(l.partitions),
                count(l.steps),
                count(l.budget_steps),
                l.memory_bytes as f64 / f64::from(1 << 20),
                l.budget_memory_bytes >> 20
            ),
        );
    }
    if let Some(b) = &o.broadcast {
        row(
            h,
            "values",
            &format!(
                "{} injected, {} acknowledged, {} missing at the end",
                count(b.injected),
                count(b.acknowledged),
                count(b.missing)
            ),
        );
        let ms = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1} ms"));
        row(
            h,
            "spread to every server",
            &format!(
                "median {}, p99 {}, worst {}",
                ms(b.spread_p50_ms),
                ms(b.spread_p99_ms),
                ms(b.spread_max_ms)
            ),
        );
        if let Some(c) = b.converged_at_s {
            row(h, "every value everywhere by", &format!("{c:.3} s"));
        }
    }
    if let Some(s) = &o.security {
        row(
            h,
            "security",
            &format!(
                "{} corrupted, {} replayed, {} forged; {} rejected; {} tampered accepted",
                count(s.corrupted),
                count(s.replayed),
                count(s.forged),
                count(s.rejected()),
                count(s.accepted_tampered)
            ),
        );
    }
    h.push_str("</table>\n</section>\n</div>\n");
}

/// What the stage draws of the network, for every protocol.
const NETWORK: &str = "Under them, the network as the faults left it at that instant: each side of a partition \
     shaded and ringed in its colour with the cut between the sides dashed, a one-way cut as barred arrows, cut \
     or downed links as barred lines, slow links and slowed servers in amber; the top-left corner says it in \
     words.";

/// The step-through's introduction, in the protocol's words.
fn step_intro(input: &Inputs<'_>) -> String {
    let w = input.recording.window;
    let vocab = input.vocab();
    let kinds: Vec<String> =
        step_kinds(vocab, input.ops.is_some()).into_iter().map(|(_, label)| label).collect();
    let op = if input.ops.is_some() {
        ", a client operation where it is sent and where it is answered"
    } else {
        ""
    };
    let controls = format!(
        "Drag the slider, or step from one event to the next with the buttons or the arrow keys; the \
         \u{25c0} \u{25b6} buttons of the second row jump straight to the previous or next {} (a fault \
         counts where it starts and where it ends{op}; lost messages are known only inside the recorded \
         window). The page opens at the first check failure, or else at the first fault. Hover a \
         message dot to read what it says; click it to keep its contents under the stage.",
        kinds.join(", ")
    );
    match (vocab.log, vocab.protocol) {
        (Some(words), protocol) => {
            let state = if protocol == Protocol::PAXOS {
                "each server's role and the ballot round it has promised, its slots (the highest slot it has \
                 accepted a value for, the ballot round of that value, and the highest slot whose value is chosen)"
            } else {
                "each server's role and term, its log (last index, the term of that entry, and the commit index)"
            };
            format!(
                "The cluster at one instant: {state}, crashed or paused servers, and the messages in flight as \
                 dots travelling from sender to receiver. {NETWORK} Between {} and {} (the recorded window) every message \
                 and every change of a server's {} is shown at the instant it happened; outside it, {} recorded \
                 once per {} ms, and while one was changing between two recorded values the page shows the range \
                 it moved through, marked \u{2248}. {controls} The strip above the slider shows fault windows \
                 (pink), the recorded window (blue outline) and {} (green ticks); click it to jump.",
                at(w.0),
                at(w.1),
                words.log,
                words.thinned,
                input.recording.thin_ns as f64 / 1e6,
                words.leader_changes
            )
        }
        (None, _) => format!(
            "The cluster at one instant: which servers are up, crashed or paused, and the messages in flight as \
             dots travelling from sender to receiver. {NETWORK} These are {}, all alike: none of them leads. \
             Between {} and {} (the recorded window) every message is shown from the instant it was sent to the \
             instant it arrived or was lost. {controls} The strip above the slider shows fault windows (pink) \
             and the recorded window (blue outline); click it to jump.",
            vocab.leaderless().unwrap_or("servers without roles"),
            at(w.0),
            at(w.1)
        ),
    }
}

/// The step-through table's column headers, in the protocol's words.
fn step_columns(vocab: Vocab) -> Vec<&'static str> {
    match vocab.log {
        Some(w) => vec!["server", "state", "role", w.round, w.last, w.last_round, w.commit_index],
        None => vec!["server", "state"],
    }
}

fn step_through(h: &mut String, input: &Inputs<'_>) {
    let head: String = step_columns(input.vocab()).iter().map(|c| format!("<th>{}</th>", esc(c))).collect();
    let _ = write!(
        h,
        "<section id=\"step\" tabindex=\"0\">\n<h2>Step through the run</h2>\n\
         <p class=\"explain\">{}</p>\n\
         <div class=\"controls\"><button id=\"step-prev\" type=\"button\">\u{25c0} previous event</button>\
         <button id=\"step-play\" type=\"button\">\u{25b6} play</button>\
         <button id=\"step-next\" type=\"button\">next event \u{25b6}</button>\
         <label>speed <select id=\"step-speed\"><option value=\"1000\">1 ms per second</option>\
         <option value=\"10000\" selected>10 ms per second</option><option value=\"100000\">100 ms per second</option>\
         <option value=\"1000000\">real time</option></select></label>\
         <button id=\"step-window\" type=\"button\">go to the recorded window</button>\
         <span id=\"step-time\"></span></div>\n\
         <div id=\"step-by\" class=\"controls\">{by}</div>\n\
         <svg id=\"step-strip\" viewBox=\"0 0 1000 26\" preserveAspectRatio=\"none\"></svg>\n\
         <input id=\"step-slider\" type=\"range\" min=\"0\" max=\"1\" step=\"1\" value=\"0\" aria-label=\"time\">\n\
         <p id=\"step-events\"></p><p id=\"step-faults\"></p>\n\
         <div class=\"step-box\"><svg id=\"stage\" viewBox=\"0 0 900 440\" role=\"img\" \
         aria-label=\"the cluster at the chosen instant\"></svg>\n\
         <table id=\"step-table\"><thead><tr>{head}</tr></thead><tbody></tbody></table></div>\n\
         <div id=\"step-msg\" aria-live=\"polite\"></div>\n\
         <div id=\"step-legend\" aria-label=\"what the colours mean\"></div>\n{servers}{ops}\
         </section>\n",
        esc(&step_intro(input)),
        by = step_by(input.vocab(), input.ops.is_some()),
        servers = servers_panel(input.vocab()),
        ops = ops_timeline(input)
    );
}

/// The per-server state panel's place and its explanation, in each protocol's terms.
/// A protocol that declares no per-server state to draw ([`ServerView::Role`]) has none.
fn servers_panel(vocab: Vocab) -> String {
    let what = match (vocab.log, vocab.protocol.capabilities().view) {
        (Some(w), _) if w.compares_logs => format!(
            "Each server\u{2019}s {log} at this instant, one block per {position}, coloured and numbered by the \
             {round} it was written in; solid blocks are committed, pale dashed ones are not yet; a dot under a block \
             means the server has applied it. The black bar marks the commit point. Long logs show only the \
             interesting stretches (the start, around the commit point, where a server differs from the leader, \
             the end), with the number of {positions} left out in between. Blocks struck through in red were \
             just discarded: a new leader overwrote them. Beside each server: whom it voted for in its current \
             {round}, its election timer running down (a leader has none), and for a leader how far it believes \
             each follower\u{2019}s {log} matches its own (matchIndex) and what it will send next (nextIndex).",
            log = w.log,
            position = w.position,
            positions = w.positions,
            round = w.round,
        ),
        (Some(w), _) => format!(
            "Each acceptor\u{2019}s {log} at this instant, one block per {position}, coloured and numbered by the \
             {round} in which it accepted the value it holds there (a {position} accepted again in a later \
             {round} takes that {round}\u{2019}s colour; a {position} it learned was chosen without accepting it \
             shows the {round} that proposed the value; \u{b7}: nothing accepted there). Solid blocks are chosen, \
             pale dashed ones only accepted; the black bar marks the end of the chosen prefix, and a dot under a \
             block means the server has applied it. Long runs show only the interesting stretches, with counts for \
             the rest. Beside each server: the ballot it has promised (round.proposer): it will accept nothing \
             from a lower ballot.",
            log = w.log,
            position = w.position,
            round = w.round,
        ),
        (None, ServerView::Versions) => "Which version of each key each replica holds at this instant: one column \
             per key, one row per server; the newest version any server holds is drawn solid, an older (stale) \
             one pale orange with its age in versions (\u{2212}1: one version behind), and \u{2013} means the \
             server holds nothing for that key. Versions are numbered per key in the order of their stamps (the \
             coordinator\u{2019}s clock, then its name), counting from the oldest this recording holds (v1: \
             the oldest version held anywhere when the recorded window opened); hover a cell for the stamp. Under each server: the \
             hinted handoffs it holds, writes it took in for a replica it could not reach, waiting to be handed \
             back (key, version, for whom)."
            .to_string(),
        (None, ServerView::Values) => "Which values each gossip peer holds at this instant: one small square per value injected \
             so far, in the order they were first learned anywhere; filled: the peer holds it, empty: it lacks \
             it. A restarted peer starts empty (it keeps its values in memory only)."
            .to_string(),
        (None, ServerView::Role | ServerView::Log | ServerView::Slots) => return String::new(),
    };
    format!(
        "<h3>Inside each server</h3>\n<p class=\"explain\">{}</p>\n<div id=\"servers-state\"></div>\n",
        esc(&what)
    )
}

/// The kinds of instant the page can step by: (kind in the script, label). Only protocols
/// with roles and a log step by role change and commit, and only runs with client
/// operations (not gossip, whose clients inject values) by operation.
fn step_kinds(vocab: Vocab, ops: bool) -> Vec<(&'static str, String)> {
    let mut out = vec![("fault", "fault".to_string())];
    if let Some(w) = vocab.log {
        out.push(("role", "role change".to_string()));
        out.push(("commit", format!("{} advance", w.commit_index)));
    }
    if ops {
        out.push(("op", "client operation".to_string()));
    }
    out.push(("lost", "lost message".to_string()));
    out.push(("check", "check failure".to_string()));
    out
}

/// The "step by" buttons: a previous and a next button per kind of instant.
fn step_by(vocab: Vocab, ops: bool) -> String {
    let mut h = String::from("<span class=\"by\">jump to the previous or next:</span>");
    for (kind, label) in step_kinds(vocab, ops) {
        let label = esc(&label);
        let _ = write!(
            h,
            "<span class=\"pair\"><button type=\"button\" id=\"step-prev-{kind}\" data-kind=\"{kind}\" data-dir=\"-1\" \
             aria-label=\"previous {label}\">\u{25c0}</button>{label}<button type=\"button\" id=\"step-next-{kind}\" \
             data-kind=\"{kind}\" data-dir=\"1\" aria-label=\"next {label}\">\u{25b6}</button></span>"
        );
    }
    h
}

/// The operation timeline under the step-through (runs with client operations).
fn ops_timeline(input: &Inputs<'_>) -> String {
    let Some(series) = input.ops else { return String::new() };
    let shown = series.timeline.len() as u64;
    let partial = if shown < series.total() {
        format!(
            " This long run's timeline holds the first {} of its {} operations (and any the checker names).",
            count(shown),
            count(series.total())
        )
    } else {
        String::new()
    };
    let end = input.end_ns() / 1000;
    let zooms: String = [(10_000u64, "10 ms"), (100_000, "100 ms"), (1_000_000, "1 s"), (10_000_000, "10 s")]
        .iter()
        .filter(|(us, _)| *us < end)
        .map(|(us, label)| {
            let selected =
                if *us == 1_000_000 || (end <= 1_000_000 && *us == 100_000) { " selected" } else { "" };
            format!("<option value=\"{us}\"{selected}>{label}</option>")
        })
        .chain(std::iter::once("<option value=\"0\">the whole run</option>".to_string()))
        .collect();
    let cx = ops::counterexample(input.outcome);
    let why = match &cx {
        Some(c) => format!(
            "<p id=\"ops-why\"><b>Why no order works.</b> {} <button id=\"ops-cx\" type=\"button\">show these \
             operations</button></p>\n",
            esc(&ops::impossible_order(c))
        ),
        None => String::new(),
    };
    let ringed = if cx.is_some() {
        " Operations ringed in dark red are the checker's counterexample: no one-at-a-time order explains them."
    } else {
        ""
    };
    format!(
        "<h3 id=\"ops\">Every client operation</h3>\n<p class=\"explain\">One lane per client; each bar is one \
         operation, from when the client sent it to when the answer came. Blue: ok (it happened, and the client \
         knows its result); vermillion: failed (it definitely did not happen); orange, dashed: no reply (it may or \
         may not have happened), drawn until the client moved on to its next operation.{ringed} Pink ticks above \
         the lanes are fault windows. The black line is the step-through's instant: hover a bar to read the \
         operation, click it to move the step-through to when it was sent, or click a lane to move there.{partial}</p>\n\
         <div class=\"controls\"><label>span shown <select id=\"ops-zoom\">{zooms}</select></label></div>\n\
         <svg id=\"ops-timeline\" viewBox=\"0 0 1000 40\" role=\"img\" aria-label=\"client operations over time\"></svg>\n\
         <p id=\"ops-info\">Hover an operation to read it.</p>\n{why}"
    )
}

fn chart_section(h: &mut String, input: &Inputs<'_>, charts: &[&str]) {
    h.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    if !charts.contains(&"latency.svg") {
        h.push_str(
            "<p class=\"explain\">This run has no client operations with replies (gossip clients inject values), \
             so there is no latency or throughput chart; the key figures give how fast values spread.</p>\n",
        );
    }
    let table = chart_table(input.vocab());
    let table: Vec<(&str, &str, &str)> = table.iter().map(|(f, t, c)| (*f, t.as_str(), c.as_str())).collect();
    figures(h, &table, charts);
    h.push_str("</section>\n");
}

/// One `<figure>` per chart of `table` (file, title, caption) that is among `present`, in
/// the table's order.
pub fn figures(h: &mut String, table: &[(&str, &str, &str)], present: &[&str]) {
    for &(file, title, caption) in table {
        if !present.contains(&file) {
            continue;
        }
        let _ = write!(
            h,
            "<figure id=\"{}\">\n<h3>{title}</h3>\n<object data=\"{file}\" type=\"image/svg+xml\" aria-label=\"{title}\">{title}</object>\n\
             <figcaption>{} <a class=\"alone\" href=\"{file}\">Open the chart on its own.</a></figcaption>\n</figure>\n",
            file.trim_end_matches(".svg"),
            esc(caption)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string literals of the step-through script (full-line comments left out).
    fn script_strings() -> Vec<&'static str> {
        let mut out = Vec::new();
        for line in SCRIPT.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut parts = line.split('\'');
            parts.next();
            while let Some(s) = parts.next() {
                out.push(s);
                parts.next();
            }
        }
        out
    }

    #[test]
    fn the_script_says_no_protocols_words_itself() {
        // Every round, log or commit word the step-through draws comes from the data's
        // `words`, so a page of a protocol without them cannot show them.
        let strings = script_strings();
        assert!(strings.contains(&"crashed") && strings.contains(&" became "), "{strings:?}");
        for s in strings {
            let lower = s.to_lowercase();
            for w in ["term", "commit", "index", "elect", "log ", "ballot", "slot"] {
                assert!(!lower.contains(w), "step.js says {w:?} itself: {s:?}");
            }
        }
    }

    #[test]
    fn each_protocol_gets_its_own_columns_and_captions() {
        assert_eq!(step_columns(Vocab::of(Protocol::GOSSIP)), ["server", "state"]);
        assert_eq!(step_columns(Vocab::of(Protocol::QUORUM)), ["server", "state"]);
        assert_eq!(
            step_columns(Vocab::of(Protocol::RAFT))[3..],
            ["term", "last index", "last term", "commit index"]
        );
        assert_eq!(step_columns(Vocab::of(Protocol::PAXOS))[3], "ballot round");
        for p in [Protocol::GOSSIP, Protocol::QUORUM] {
            for (file, title, caption) in chart_table(Vocab::of(p)) {
                let text = format!("{title} {caption}").to_lowercase();
                for w in ["term", "commit", "leader", "elect", "role"] {
                    assert!(!text.contains(w), "{p:?} {file}: {w} in {text}");
                }
            }
            assert!(!check_meaning("invariants", p).contains("leader per"));
        }
        let paxos = chart_table(Vocab::of(Protocol::PAXOS));
        assert!(paxos[0].2.contains("ballot round") && !paxos[0].2.contains("term"));
        assert!(check_meaning("invariants", Protocol::PAXOS).contains("ballot round"));
        let raft = chart_table(Vocab::of(Protocol::RAFT));
        assert!(raft[0].2.contains("its term is written on it"));
        let messages = raft.iter().find(|c| c.0 == "messages.svg").expect("a messages chart");
        assert!(messages.2.contains("The leader's line is tinted green"));
    }

    #[test]
    fn only_protocols_with_roles_and_a_log_step_by_them() {
        let kinds = |p, ops| step_kinds(Vocab::of(p), ops).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(kinds(Protocol::RAFT, true), ["fault", "role", "commit", "op", "lost", "check"]);
        assert_eq!(kinds(Protocol::GOSSIP, false), ["fault", "lost", "check"]);
        assert_eq!(kinds(Protocol::QUORUM, true), ["fault", "op", "lost", "check"]);
        let paxos = step_kinds(Vocab::of(Protocol::PAXOS), true);
        assert_eq!(paxos[2].1, "highest chosen slot advance");
        // Every kind has a previous and a next button the script can find by its kind.
        let buttons = step_by(Vocab::of(Protocol::RAFT), true);
        for (k, _) in step_kinds(Vocab::of(Protocol::RAFT), true) {
            assert!(
                buttons.contains(&format!("id=\"step-prev-{k}\" data-kind=\"{k}\" data-dir=\"-1\"")),
                "{k}"
            );
            assert!(
                buttons.contains(&format!("id=\"step-next-{k}\" data-kind=\"{k}\" data-dir=\"1\"")),
                "{k}"
            );
            assert!(SCRIPT.contains(&format!("    {k}: ")), "step.js has no instants of kind {k}");
        }
    }
}
