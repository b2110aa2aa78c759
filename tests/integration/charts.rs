//! The report's charts and index.html reflect the run they were drawn from: every SVG is
//! well-formed XML, the latency chart has one mark per operation, fault windows sit at the
//! x of their start on the time axis plotters drew, the timeline shows the leader the
//! recording has, the message diagram has one arrow per recorded message; the page tells
//! the story, fetches nothing and embeds the step-through data; `eightfold chart` redraws
//! byte-identical files, re-simulates for a new window, and refuses bad input.

use std::path::{Path, PathBuf};

use super::common::{read_json, root, run_bin, tempdir};
use roxmltree::{Document, Node};

/// Runs a shipped scenario into `dir` and returns its report directory.
fn run(scenario: &str, dir: &Path, extra: &[&str]) -> PathBuf {
    let s = root().join(format!("scenarios/{scenario}.json"));
    let mut args = vec!["run", s.to_str().expect("utf8"), "--out", dir.to_str().expect("utf8"), "-q"];
    args.extend_from_slice(extra);
    let o = run_bin(&args);
    assert!(o.status.code() == Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    dir.join(format!("{scenario}-seed1"))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn has_class(n: &Node<'_, '_>, class: &str) -> bool {
    n.attribute("class").is_some_and(|c| c.split_whitespace().any(|t| t == class))
}

fn num(n: &Node<'_, '_>, attr: &str) -> f64 {
    n.attribute(attr).unwrap_or_else(|| panic!("no {attr}")).parse().expect("a number")
}

/// The time axis of a chart, from the `plot-area` marker: (t0 s, t1 s, x0 px, x1 px).
fn time_axis(doc: &Document<'_>) -> (f64, f64, f64, f64) {
    let p = doc.descendants().find(|n| has_class(n, "plot-area")).expect("a plot-area marker");
    (num(&p, "data-t0-s"), num(&p, "data-t1-s"), num(&p, "data-x0"), num(&p, "data-x1"))
}

fn px((t0, t1, x0, x1): (f64, f64, f64, f64), t: f64) -> f64 {
    x0 + (t - t0) / (t1 - t0) * (x1 - x0)
}

/// The x of plotters' tick label with exactly this text, under the plot.
fn tick_x(doc: &Document<'_>, text: &str) -> f64 {
    let p = doc.descendants().find(|n| has_class(n, "plot-area")).expect("plot-area");
    let bottom = num(&p, "data-y") + num(&p, "data-height");
    let t = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("text")
                && n.text().map(str::trim) == Some(text)
                && n.attribute("text-anchor") == Some("middle")
        })
        .find(|n| num(n, "y") > bottom)
        .unwrap_or_else(|| panic!("no tick labelled {text}"));
    num(&t, "x")
}

#[test]
fn a_raft_report_has_charts_that_reflect_the_run() {
    let dir = tempdir("charts-raft");
    let report = run("raft-minority-partition", &dir, &[]);
    for f in ["latency.svg", "throughput.svg", "timeline.svg", "messages.svg", "network.svg", "index.html"] {
        assert!(report.join(f).is_file(), "{f} missing");
    }
    let history = read_json(&report.join("history.json"));
    let outcome = read_json(&report.join("outcome.json"));
    let recording = read_json(&report.join("recording.json"));
    let scenario = read_json(&report.join("scenario.json"));

    // Latency: one mark per operation, by outcome.
    let text = read(&report.join("latency.svg"));
    let doc = Document::parse(&text).expect("latency.svg is well-formed");
    let ops = history["ops"].as_array().expect("ops");
    let marks: Vec<_> = doc.descendants().filter(|n| has_class(n, "op")).collect();
    assert_eq!(marks.len(), ops.len());
    for outcome_name in ["ok", "fail", "info"] {
        let want = ops.iter().filter(|o| o["outcome"] == outcome_name).count();
        assert_eq!(marks.iter().filter(|n| has_class(n, outcome_name)).count(), want, "{outcome_name}");
    }
    assert!(ops.iter().any(|o| o["outcome"] == "info"), "this run has info operations to draw");

    // The partition of the schedule (faults[0], at 3 s) is shaded from the x of 3 s, which is
    // where plotters wrote the tick label "3".
    let at = scenario["faults"][0]["at"].as_str().expect("at");
    assert_eq!(at, "3s");
    assert_eq!(outcome["faults"][0]["start"], 3_000_000_000u64);
    let axis = time_axis(&doc);
    let band = doc
        .descendants()
        .find(|n| has_class(n, "fault-band") && n.attribute("data-entry") == Some("0"))
        .expect("a band for faults[0]");
    assert_eq!(band.attribute("data-fault"), Some("partition"));
    let expected = px(axis, 3.0);
    assert!((num(&band, "x") - expected).abs() < 0.6, "band at {} not {expected}", num(&band, "x"));
    assert!((tick_x(&doc, "3") - expected).abs() <= 1.0, "the axis puts 3 s at {}", tick_x(&doc, "3"));
    let width = px(axis, 7.0) - expected;
    assert!((num(&band, "width") - width).abs() < 1.0, "the band ends at the heal");
    let label = doc
        .descendants()
        .filter(|n| has_class(n, "fault-label"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>();
    assert!(label.iter().any(|l| l.starts_with("partition {") && l.contains(" | ")), "{label:?}");

    // Throughput: the bars add up to every operation.
    let text = read(&report.join("throughput.svg"));
    let doc = Document::parse(&text).expect("throughput.svg is well-formed");
    let total: u64 =
        doc.descendants().filter(|n| has_class(n, "bar")).map(|n| num(&n, "data-count") as u64).sum();
    assert_eq!(total, ops.len() as u64);

    // Timeline: the leader the recording has at 5 s (and a crash-free lane) is drawn.
    let t = 5_000_000_000u64;
    let (leader, term) = leader_in_recording(&recording, t);
    let text = read(&report.join("timeline.svg"));
    let doc = Document::parse(&text).expect("timeline.svg is well-formed");
    let axis = time_axis(&doc);
    let span = doc
        .descendants()
        .filter(|n| has_class(n, "leader") && n.attribute("data-node") == Some(leader.as_str()))
        .find(|n| num(n, "data-start-ns") as u64 <= t && t < num(n, "data-end-ns") as u64)
        .unwrap_or_else(|| panic!("no leader span for {leader} at 5 s"));
    assert_eq!(num(&span, "data-term") as u64, term);
    let x = px(axis, 5.0);
    assert!(num(&span, "x") <= x && x <= num(&span, "x") + num(&span, "width"));
    // Nobody else is drawn as leader at 5 s on the majority side, and the sides are shown.
    let sides: Vec<_> = doc.descendants().filter(|n| has_class(n, "side")).collect();
    assert_eq!(sides.len(), 5, "each server is on a side of the partition");
    assert!(sides.iter().any(|n| n.attribute("data-side") == Some("A")));
    // The minority's pre-candidates (asking, without a new term, through the partition) say
    // their term on the bar, as every other role does, wherever the bar is wide enough.
    let pre: Vec<_> =
        doc.descendants().filter(|n| has_class(n, "pre-candidate") && num(n, "width") > 60.0).collect();
    assert!(!pre.is_empty(), "the stranded minority asks for votes for a while");
    for bar in pre {
        let (x0, x1) = (num(&bar, "x"), num(&bar, "x") + num(&bar, "width"));
        let (y0, y1) = (num(&bar, "y"), num(&bar, "y") + num(&bar, "height"));
        let term = bar.attribute("data-term").expect("a term");
        let label = doc.descendants().find(|n| {
            has_class(n, "span-text") && (x0..=x1).contains(&num(n, "x")) && (y0..=y1).contains(&num(n, "y"))
        });
        let text = label.and_then(|n| n.text()).unwrap_or_default();
        assert!(
            text.ends_with(&format!(" {term}")) || text.ends_with(&format!("t{term}")),
            "pre-candidate bar says {text:?}"
        );
    }

    // Messages: one arrow per recorded message; lost ones carry their reason.
    let text = read(&report.join("messages.svg"));
    let doc = Document::parse(&text).expect("messages.svg is well-formed");
    let msgs = recording["messages"].as_array().expect("messages");
    let delivered = doc.descendants().filter(|n| has_class(n, "msg") && has_class(n, "delivered")).count();
    let lost: Vec<_> = doc.descendants().filter(|n| has_class(n, "msg") && has_class(n, "lost")).collect();
    assert_eq!(delivered + lost.len(), msgs.len());
    assert_eq!(lost.len(), msgs.iter().filter(|m| m["fate"] != "delivered").count());
    assert!(lost.iter().all(|n| n.attribute("data-fate") == Some("partition")));

    // Network: one cell per link, with its bytes.
    let text = read(&report.join("network.svg"));
    let doc = Document::parse(&text).expect("network.svg is well-formed");
    let links = outcome["links"].as_array().expect("links");
    let cells: Vec<_> =
        doc.descendants().filter(|n| has_class(n, "cell") && !has_class(n, "empty")).collect();
    assert_eq!(cells.len(), links.len());
    for l in links {
        let c = cells
            .iter()
            .find(|c| {
                c.attribute("data-from") == l["from"].as_str() && c.attribute("data-to") == l["to"].as_str()
            })
            .expect("a cell per link");
        assert_eq!(c.attribute("data-bytes").map(str::to_string), Some(l["bytes"].to_string()));
    }

    // index.html: the story, no fetches, the step-through data.
    let html = read(&report.join("index.html"));
    assert!(html.contains("the network split the cluster into {n1,n4} | {n2,n3,n5}"), "the split is told");
    assert!(html.contains(&format!("{leader} was elected leader of term {term}")), "the election is told");
    assert!(
        html.contains("committed nothing") || html.contains("stopped committing"),
        "the minority's stall"
    );
    assert!(!html.contains("http://") && !html.contains("https://"), "the page must not fetch anything");
    for f in ["latency.svg", "throughput.svg", "timeline.svg", "messages.svg", "network.svg"] {
        assert!(html.contains(&format!("<object data=\"{f}\"")), "{f} is shown");
    }
    let open = "<script type=\"application/json\" id=\"step-data\">";
    let start = html.find(open).expect("step data") + open.len();
    let end = start + html[start..].find("</script>").expect("closed");
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).expect("step data is JSON");
    assert_eq!(data["msgs"].as_array().map(Vec::len), Some(msgs.len()));
    assert_eq!(data["roles"].as_array().map(Vec::len), recording["roles"].as_array().map(Vec::len));
    assert!(
        html.contains("id=\"step-slider\"")
            && html.contains("id=\"step-next\"")
            && html.contains("id=\"stage\"")
    );
    assert!(!html.contains(&outcome["timing"]["wall_s"].to_string()), "no wall-clock time on the page");

    // Redrawing from the saved files gives byte-identical files.
    let before: Vec<String> = ["latency.svg", "timeline.svg", "messages.svg", "network.svg", "index.html"]
        .iter()
        .map(|f| read(&report.join(f)))
        .collect();
    let o = run_bin(&["chart", report.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let after: Vec<String> = ["latency.svg", "timeline.svg", "messages.svg", "network.svg", "index.html"]
        .iter()
        .map(|f| read(&report.join(f)))
        .collect();
    assert!(before == after, "eightfold chart must redraw the same bytes");
    let _ = std::fs::remove_dir_all(dir);
}

/// The leader at `t` according to the recording alone: a server whose last role change at
/// or before `t` made it leader, not crashed since; the highest term wins.
fn leader_in_recording(rec: &serde_json::Value, t: u64) -> (String, u64) {
    let nodes = rec["nodes"].as_array().expect("nodes");
    let mut best: Option<(u64, String)> = None;
    for (i, n) in nodes.iter().enumerate() {
        if n["kind"] != "server" {
            continue;
        }
        let last = rec["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .rfind(|r| r["node"] == i && r["t"].as_u64().expect("t") <= t);
        let crashed = rec["lifecycle"]
            .as_array()
            .expect("lifecycle")
            .iter()
            .rfind(|e| e["node"] == i && e["t"].as_u64().expect("t") <= t)
            .is_some_and(|e| e["event"] == "crash");
        if let Some(r) = last
            && r["role"] == "leader"
            && !crashed
        {
            let term = r["term"].as_u64().expect("term");
            if best.as_ref().is_none_or(|b| term > b.0) {
                best = Some((term, n["name"].as_str().expect("name").to_string()));
            }
        }
    }
    let (term, name) = best.expect("a leader at t");
    (name, term)
}

#[test]
fn a_gossip_report_has_no_latency_chart_but_shows_the_sides() {
    let dir = tempdir("charts-gossip");
    let report = run("gossip-partition-heal", &dir, &[]);
    assert!(!report.join("latency.svg").exists() && !report.join("throughput.svg").exists());
    let text = read(&report.join("timeline.svg"));
    let doc = Document::parse(&text).expect("well-formed");
    // The partition {n1,n2} | {n3,n4,n5}: n1 on side A, n4 on side B; then n4 isolated.
    let side = |node: &str, entry: &str| {
        doc.descendants()
            .find(|n| {
                has_class(n, "side")
                    && n.attribute("data-node") == Some(node)
                    && n.attribute("data-entry") == Some(entry)
            })
            .and_then(|n| n.attribute("data-side").map(str::to_string))
    };
    assert_eq!(side("n1", "0").as_deref(), Some("A"));
    assert_eq!(side("n4", "0").as_deref(), Some("B"));
    assert_eq!(side("n4", "1").as_deref(), Some("A"));
    assert_eq!(side("n2", "2").as_deref(), Some("from"), "the one-way cut's blocked sender");
    // The one-way cut's strip says whom n2 cannot send to, whichever text fits.
    let oneway = doc
        .descendants()
        .find(|n| has_class(n, "side") && n.attribute("data-side") == Some("from"))
        .expect("the one-way cut's strip");
    let (x, y0, y1) = (num(&oneway, "x"), num(&oneway, "y"), num(&oneway, "y") + num(&oneway, "height"));
    let text = doc
        .descendants()
        .find(|n| {
            has_class(n, "side-text")
                && (num(n, "x") - (x + 4.0)).abs() < 0.01
                && (y0..=y1).contains(&num(n, "y"))
        })
        .and_then(|n| n.text())
        .expect("the strip is labelled");
    assert!(text.contains("n1"), "the one-way strip says {text:?}, not to whom");
    // Every message label lies inside the diagram's plot, where it is not clipped.
    let msgs = read(&report.join("messages.svg"));
    let doc = Document::parse(&msgs).expect("well-formed");
    let (_, _, x0, x1) = time_axis(&doc);
    let labels: Vec<_> = doc.descendants().filter(|n| has_class(n, "mlabel")).collect();
    assert!(!labels.is_empty());
    for l in labels {
        let text = l.text().expect("a label");
        let w = eightfold::report::charts::fonts::text_width(text, 9.0);
        let x = num(&l, "x");
        assert!(
            x >= x0 - 0.01 && x + w <= x1 + 0.01,
            "label {text:?} at {x}..{} leaves the plot {x0}..{x1}",
            x + w
        );
    }
    // Lost counts sit on red tags, white on red, on pale and dark cells alike.
    let net = read(&report.join("network.svg"));
    let doc = Document::parse(&net).expect("well-formed");
    let tags = doc.descendants().filter(|n| has_class(n, "lost-tag")).count();
    let counts = doc.descendants().filter(|n| has_class(n, "cell-lost")).count();
    assert!(counts > 0 && tags == counts, "{counts} lost counts, {tags} red tags");
    assert!(net.contains(".cell-lost{fill:#fff;") && net.contains(".lost-tag{fill:#C00000}"));
    assert!(!net.contains("cell-lost light"), "no pale lost counts");
    let html = read(&report.join("index.html"));
    assert!(html.contains("the network split the cluster into {n1,n2} | {n3,n4,n5}"));
    assert!(html.contains("n4 was cut off from every other node"));
    assert!(html.contains("no latency or throughput chart"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_crash_is_drawn_and_told() {
    let dir = tempdir("charts-crash");
    let report = run("raft-leader-crash", &dir, &[]);
    let outcome = read_json(&report.join("outcome.json"));
    let id = outcome["faults"][0]["nodes"][0].as_u64().expect("a crashed node's id") as usize;
    let crashed = outcome["nodes"][id].as_str().expect("its name").to_string();
    let text = read(&report.join("timeline.svg"));
    let doc = Document::parse(&text).expect("well-formed");
    let down = doc
        .descendants()
        .find(|n| has_class(n, "down") && n.attribute("data-node") == Some(crashed.as_str()))
        .expect("a crashed span");
    assert_eq!(num(&down, "data-start-ns") as u64, 3_000_000_000);
    assert_eq!(num(&down, "data-end-ns") as u64, 6_000_000_000);
    let html = read(&report.join("index.html"));
    assert!(
        html.contains(&format!("At 3.000 s {crashed}, the leader of term 1, crashed")),
        "the crash is told"
    );
    assert!(html.contains(&format!("At 6.000 s {crashed} restarted from its disk")), "the restart is told");
    // The catch-up after the restart is stamped with when it happened, not the restart's
    // instant: "<span class=\"t\">6.689 s</span>By 6.689 s every running server…".
    let by = html.find("</span>By ").expect("the catch-up is told");
    let stamp = &html[html[..by].rfind('>').expect("a stamp") + 1..by];
    let said = &html[by + "</span>By ".len()..];
    let said = &said[..said.find(" every").expect("By … every")];
    assert_eq!(stamp, said, "the story line is stamped with its event's time");
    assert_ne!(stamp, "6.000 s", "the catch-up takes time after the restart");
    // The message diagram draws the crashed lane light, so the black crosses of messages
    // sent to the crashed server stay readable on it.
    let msgs = read(&report.join("messages.svg"));
    let doc = Document::parse(&msgs).expect("well-formed");
    let lane = doc
        .descendants()
        .find(|n| has_class(n, "lane-bg") && has_class(n, "down"))
        .expect("the crashed lane is in the window");
    let grey = u8::from_str_radix(&lane.attribute("fill").expect("a fill")[1..3], 16).expect("hex");
    let alpha: f64 = lane.attribute("fill-opacity").expect("an opacity").parse().expect("a number");
    // Its shade over the white page: far from black.
    assert!(255.0 - alpha * (255.0 - f64::from(grey)) > 180.0, "the crashed lane is too dark");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn chart_re_simulates_a_new_window_and_checks_the_digest() {
    let dir = tempdir("charts-window");
    let report = run("raft-leader-crash", &dir, &["--no-charts"]);
    assert!(!report.join("index.html").exists(), "--no-charts writes no charts");
    assert!(report.join("recording.json").exists());
    let r = report.to_str().expect("utf8");
    let o = run_bin(&["chart", r, "--window", "2.95s..3.25s"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("matches"));
    let rec = read_json(&report.join("recording.json"));
    assert_eq!(rec["window"], serde_json::json!([2_950_000_000u64, 3_250_000_000u64]));
    assert!(read(&report.join("messages.svg")).contains("Messages between 2.950 s and 3.250 s"));
    assert!(read(&report.join("index.html")).contains("elected leader"));
    // A report whose digest does not match what the scenario gives is refused with exit 1.
    let path = report.join("outcome.json");
    let tampered =
        read(&path).replace(read_json(&path)["digest"].as_str().expect("digest"), "0123456789abcdef");
    std::fs::write(&path, tampered).expect("write");
    let o = run_bin(&["chart", r, "--window", "2.9s..3.0s"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("digest") && err.trim().lines().count() == 1, "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn chart_records_again_a_recording_of_an_older_format_over_its_window() {
    let dir = tempdir("charts-old-format");
    let report = run("raft-leader-crash", &dir, &["--no-charts", "--window", "5.9s..6.1s"]);
    let fresh = read(&report.join("recording.json"));
    // What the previous format looked like: no format field, sampled `progress`.
    let old = serde_json::json!({
        "nodes": read_json(&report.join("recording.json"))["nodes"],
        "end_ns": 10_000_000_000u64,
        "window": [5_900_000_000u64, 6_100_000_000u64],
        "roles": [], "lifecycle": [], "progress": [[6_000_000_000u64, 3, 1000, 1, 1000]],
        "messages": [], "messages_dropped": 0, "queues": []
    });
    std::fs::write(report.join("recording.json"), old.to_string()).expect("write");
    let o = run_bin(&["chart", report.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("matches"), "re-simulated");
    assert_eq!(read(&report.join("recording.json")), fresh, "the same recording, over the same window");
    assert!(read(&report.join("index.html")).contains("step-data"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn chart_refuses_what_is_not_a_report() {
    let dir = tempdir("charts-bad");
    for args in [vec!["chart", "/nonexistent/report"], vec!["chart", dir.to_str().expect("utf8")]] {
        let o = run_bin(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("not a report directory"), "{err}");
    }
    std::fs::write(dir.join("outcome.json"), "{not json").expect("write");
    let o = run_bin(&["chart", dir.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).trim().lines().count(), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_counterexample_is_ringed_on_the_latency_chart_and_told() {
    use eightfold::report::charts::ops::named_indices;
    use eightfold::report::charts::{Inputs, OpSeries, end_ns, render_report};
    use eightfold::runner::{self, RunOptions};
    let s = eightfold::scenario::load(&root().join("scenarios/raft-leader-crash.json")).expect("scenario");
    let record = Some(runner::default_recording(&s));
    let out = runner::run_full(&s, RunOptions { record, ..RunOptions::seed(1) }).expect("runs");
    let history = out.history.expect("a key-value run");
    let mut outcome = out.outcome;
    // Pretend the checker blamed operations 10 and 12 (the drawing must not care why).
    let (a, b) = (&history.ops[10], &history.ops[12]);
    let op = |o: &eightfold::workload::history::HistoryOp, i: usize| {
        serde_json::json!({"index": i, "call": o.invoke_ns, "client": o.client, "kind": "get",
                           "input": format!("\"{}\"", o.key), "output": "\"x\""})
    };
    let lin = outcome.linearizability.as_mut().expect("checked");
    lin.counterexample = Some(serde_json::json!({"ops": [op(a, 10), op(b, 12)]}));
    lin.explanation = Some("these two <cannot> be ordered".into());
    let recording = out.recording.expect("recorded");
    let ops = OpSeries::new(&history.ops, &named_indices(&outcome), end_ns(&outcome, &recording));
    let input = Inputs { outcome: &outcome, ops: Some(&ops), recording: &recording, description: "" };
    let files = render_report(&input).expect("renders");
    let svg = &files.iter().find(|f| f.name == "latency.svg").expect("latency").contents;
    let doc = Document::parse(svg).expect("well-formed");
    let rings: Vec<&str> = doc
        .descendants()
        .filter(|n| has_class(n, "ring"))
        .filter_map(|n| n.attribute("data-index"))
        .collect();
    assert_eq!(rings, ["10", "12"]);
    let html = &files.iter().find(|f| f.name == "index.html").expect("index").contents;
    assert!(html.contains("no one-at-a-time order of operations can explain"));
    assert!(html.contains("these two &lt;cannot&gt; be ordered"), "the explanation is shown, escaped");
}

/// The page in each protocol's own words: real reports of a gossip, a quorum, a Paxos and a
/// Raft scenario (seed 1), read as a student sees them (the text, and the labels the
/// step-through script draws from its embedded words).
mod protocol_words {
    use super::*;

    /// Runs a shipped scenario, whatever its verdict (the quorum store's teaching scenario
    /// is meant to fail linearizability), and returns its report directory.
    fn report(scenario: &str, dir: &Path) -> PathBuf {
        let s = root().join(format!("scenarios/{scenario}.json"));
        let o = run_bin(&[
            "run",
            s.to_str().expect("utf8"),
            "--out",
            dir.to_str().expect("utf8"),
            "-q",
            "--seed",
            "1",
        ]);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
        dir.join(format!("{scenario}-seed1"))
    }

    /// What a reader sees of an HTML or SVG file: its text, without scripts, styles, tags or
    /// attributes, lower-cased, entities decoded.
    fn visible(markup: &str) -> String {
        let mut s = markup.to_string();
        for tag in ["script", "style"] {
            while let Some(a) = s.find(&format!("<{tag}")) {
                let close = format!("</{tag}>");
                let b = s[a..].find(&close).map_or(s.len(), |b| a + b + close.len());
                s.replace_range(a..b, " ");
            }
        }
        let mut out = String::with_capacity(s.len());
        let mut in_tag = false;
        for c in s.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => {
                    in_tag = false;
                    out.push(' ');
                }
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .to_lowercase()
    }

    /// The words of `text`, split at anything not a letter or digit.
    fn words(text: &str) -> Vec<&str> {
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
    }

    /// Every forbidden word of a leaderless protocol found in `text`: term(s), commit…,
    /// elect…, leader… (not `leaderless`), role(s), and the phrase `last index`.
    fn consensus_words(text: &str) -> Vec<String> {
        let w = words(text);
        let mut found: Vec<String> = w
            .iter()
            .filter(|w| {
                matches!(**w, "term" | "terms" | "role" | "roles")
                    || w.starts_with("commit")
                    || w.starts_with("elect")
                    || (w.starts_with("leader") && **w != "leaderless")
            })
            .map(|w| w.to_string())
            .collect();
        found.extend(w.windows(2).filter(|p| p == &["last", "index"]).map(|p| p.join(" ")));
        found
    }

    /// The step-through's embedded data.
    fn step_data(html: &str) -> serde_json::Value {
        let open = "<script type=\"application/json\" id=\"step-data\">";
        let a = html.find(open).expect("step data") + open.len();
        let b = a + html[a..].find("</script>").expect("its end");
        serde_json::from_str(&html[a..b]).expect("step data is JSON")
    }

    /// The step-through table's column headers.
    fn step_columns(html: &str) -> Vec<String> {
        let a = html.find("<table id=\"step-table\"><thead><tr>").expect("the step table");
        let b = a + html[a..].find("</tr>").expect("its header row");
        html[a..b].split("<th>").skip(1).map(|c| c.trim_end_matches("</th>").to_string()).collect()
    }

    #[test]
    fn leaderless_pages_use_no_consensus_words() {
        let dir = tempdir("words-leaderless");
        for (scenario, what) in [
            ("gossip-partition-heal", "gossip peers"),
            ("quorum-minority-partition", "quorum-store replicas"),
        ] {
            let r = report(scenario, &dir);
            let html = read(&r.join("index.html"));
            let text = visible(&html);
            assert_eq!(consensus_words(&text), Vec::<String>::new(), "{scenario}: index.html");
            // The page still says what these servers are and what they do have.
            assert!(text.contains(&format!("these are {what}, all alike: none of them leads")), "{scenario}");
            assert!(text.contains("servers over time") && !text.contains("roles over time"), "{scenario}");
            assert_eq!(step_columns(&html), ["server", "state"], "{scenario}: only what the servers have");
            // The step-through script gets no words for rounds or a log to draw.
            assert_eq!(step_data(&html)["words"], serde_json::Value::Null, "{scenario}");
            // Nor do the charts the page shows say otherwise.
            for f in ["timeline.svg", "messages.svg"] {
                let svg = visible(&read(&r.join(f)));
                assert_eq!(consensus_words(&svg), Vec::<String>::new(), "{scenario}: {f}");
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_paxos_page_says_ballot_and_slot_never_term() {
        let dir = tempdir("words-paxos");
        let r = report("paxos-leader-churn", &dir);
        let html = read(&r.join("index.html"));
        let text = visible(&html);
        let w = words(&text);
        assert!(w.contains(&"ballot"), "a Paxos page speaks of ballots");
        assert!(!w.iter().any(|w| matches!(*w, "term" | "terms")), "no term on a Paxos page");
        assert!(!text.contains("last index") && !text.contains("commit index"));
        assert_eq!(
            step_columns(&html),
            [
                "server",
                "state",
                "role",
                "ballot round",
                "highest accepted slot",
                "its ballot round",
                "highest chosen slot"
            ]
        );
        assert!(text.contains("highest ballot round") && text.contains("slots chosen"), "the key figures");
        let data = step_data(&html);
        assert_eq!(data["words"]["round"], "ballot round");
        assert_eq!(data["words"]["stageCommit"], "chosen to");
        let timeline = visible(&read(&r.join("timeline.svg")));
        assert!(timeline.contains("ballot round") && !words(&timeline).contains(&"term"), "timeline.svg");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_raft_page_keeps_terms_and_commits() {
        let dir = tempdir("words-raft");
        let r = report("raft-leader-crash", &dir);
        let html = read(&r.join("index.html"));
        let text = visible(&html);
        let w = words(&text);
        assert!(w.contains(&"term") && w.iter().any(|w| w.starts_with("commit")));
        assert!(!w.contains(&"ballot"));
        assert_eq!(
            step_columns(&html),
            ["server", "state", "role", "term", "last index", "last term", "commit index"]
        );
        assert!(
            text.contains("roles over time") && text.contains("green = leader (its term is written on it)")
        );
        assert_eq!(step_data(&html)["words"]["round"], "term");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_word_check_catches_what_it_should() {
        // The checker itself: it would notice a leaked word, and it spares `leaderless`.
        assert_eq!(consensus_words("a leaderless store"), Vec::<String>::new());
        assert_eq!(consensus_words(&visible("<p>Its Term</p>")), ["term"]);
        assert_eq!(consensus_words("the commit-index"), ["commit"]);
        assert_eq!(consensus_words("n2 was elected"), ["elected"]);
        assert_eq!(consensus_words("its last   index"), ["last index"]);
        assert_eq!(
            consensus_words(&visible("<option selected>x</option><script>term</script>")),
            Vec::<String>::new()
        );
        assert!(consensus_words("deterministic").is_empty());
    }
}

/// The operation timeline's data in `index.html` gives back every operation of
/// `history.json` exactly (the compact encoding adds up), the latency chart names every
/// operation on hover, the quantiles chart exists, and a failed linearizability check puts
/// its counterexample (by position) and its instant into the step-through's data.
#[test]
fn the_operation_timeline_and_its_counterexample_match_the_history() {
    let dir = tempdir("charts-timeline");
    let s = root().join("scenarios/quorum-minority-partition.json");
    let o = run_bin(&[
        "run",
        s.to_str().expect("utf8"),
        "--out",
        dir.to_str().expect("utf8"),
        "-q",
        "--seed",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1), "this teaching scenario fails linearizability");
    let report = dir.join("quorum-minority-partition-seed1");
    let history = read_json(&report.join("history.json"));
    let outcome = read_json(&report.join("outcome.json"));
    let html = read(&report.join("index.html"));
    let start = html.find("id=\"step-data\">").expect("step data") + "id=\"step-data\">".len();
    let end = start + html[start..].find("</script>").expect("end of the data");
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).expect("JSON");
    let ops = history["ops"].as_array().expect("ops");
    let shown = data["clients"]["ops"].as_array().expect("timeline ops");
    assert_eq!(shown.len(), ops.len());
    assert_eq!(data["clients"]["total"], ops.len());
    let mut sent = 0u64;
    for (o, s) in ops.iter().zip(shown) {
        sent += s[1].as_u64().expect("gap");
        assert_eq!(s[0], o["client"]);
        assert_eq!(sent, o["invoke_ns"].as_u64().expect("invoke") / 1000);
        match o["complete_ns"].as_u64() {
            Some(c) => assert_eq!(sent + s[2].as_u64().expect("latency"), c / 1000),
            None => assert_eq!(s[2], -1),
        }
        let code = ["ok", "fail", "info"].iter().position(|w| o["outcome"] == *w).expect("outcome");
        assert_eq!(s[3], code);
        let text = s[4].as_str().expect("text");
        assert!(text.starts_with(&format!(
            "{} {}",
            o["op"].as_str().expect("op"),
            o["key"].as_str().expect("key")
        )));
    }
    // The counterexample: its operations by position, and its instant a check-failure stop.
    let cx = &outcome["linearizability"]["counterexample"]["ops"];
    let want: Vec<u64> = cx
        .as_array()
        .expect("a counterexample")
        .iter()
        .map(|o| o["index"].as_u64().expect("index"))
        .collect();
    let got: Vec<u64> = data["clients"]["cx"]["ops"]
        .as_array()
        .expect("cx")
        .iter()
        .map(|v| v.as_u64().expect("position"))
        .collect();
    assert_eq!(got, want, "every operation is on the timeline, so positions are history indices");
    let last_call =
        cx.as_array().expect("ops").iter().map(|o| o["call"].as_u64().expect("call")).max().expect("some");
    assert_eq!(data["checkFails"][0][0], last_call / 1000);
    let why = data["clients"]["cx"]["why"].as_str().expect("words");
    assert!(why.contains("cannot all have happened as their clients saw them"), "{why}");
    assert!(html.contains("Why no order works."));
    // Every latency mark names its operation; the quantiles chart is there and well-formed.
    let svg = read(&report.join("latency.svg"));
    let doc = Document::parse(&svg).expect("well-formed");
    let marks: Vec<_> = doc.descendants().filter(|n| has_class(n, "op")).collect();
    assert_eq!(marks.len(), ops.len());
    for m in &marks {
        let title = m.children().find(|c| c.has_tag_name("title")).and_then(|t| t.text()).expect("a title");
        assert!(title.starts_with('c') && title.contains(" at "), "{title}");
    }
    let q = read(&report.join("latency-quantiles.svg"));
    let doc = Document::parse(&q).expect("well-formed");
    assert!(
        doc.descendants().any(|n| has_class(&n, "q50")) && doc.descendants().any(|n| has_class(&n, "q99"))
    );
}
