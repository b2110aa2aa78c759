//! The lab's HTTP server, over real sockets: the token, the Host and Origin checks, 400s
//! that leave the session untouched, and a consistent order of actions from concurrent
//! clients — stated in the saved scenario, which replays to the session's digest.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};

use eightfold::lab::server::{Config, Running, start};
use eightfold::runner::{RunOptions, run_full};
use serde_json::{Value, json};

use super::common::{root, tempdir};

fn lab(name: &str) -> (Running, std::path::PathBuf) {
    lab_on(name, "raft-leader-crash")
}

fn lab_on(name: &str, scenario: &str) -> (Running, std::path::PathBuf) {
    let text = std::fs::read_to_string(root().join(format!("scenarios/{scenario}.json"))).expect("shipped");
    let out = tempdir(name);
    let config = Config {
        text,
        seed: 3,
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 0,
        out: out.clone(),
        token: None,
    };
    (start(config).expect("starts"), out)
}

/// One HTTP/1.1 request with the headers given (no others but Content-Length and
/// Connection); returns the status and the body.
fn raw(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("sends");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("reads");
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status line");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, dechunk(&body))
}

/// The body of a chunked response, joined (axum chunks what it streams).
fn dechunk(body: &str) -> String {
    if serde_json::from_str::<Value>(body).is_ok() || body.starts_with('<') {
        return body.to_string();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 {
            break;
        }
        out.push_str(&tail[..n]);
        rest = &tail[n + 2..];
    }
    out
}

struct Client {
    addr: SocketAddr,
    host: String,
    token: String,
}

impl Client {
    fn new(r: &Running) -> Client {
        Client { addr: r.addr, host: format!("127.0.0.1:{}", r.addr.port()), token: r.token.clone() }
    }
    fn call(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let (code, text) =
            raw(self.addr, method, path, &[("Host", &self.host), ("X-Lab-Token", &self.token)], body);
        (code, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    fn ok(&self, method: &str, path: &str, body: &str) -> Value {
        let (code, v) = self.call(method, path, body);
        assert_eq!(code, 200, "{method} {path} {body}: {v}");
        v
    }
}

#[test]
fn every_request_without_the_token_or_from_a_foreign_host_or_origin_is_refused() {
    let (r, _) = lab("lab-guard");
    let host = format!("127.0.0.1:{}", r.addr.port());
    let good = [("Host", host.as_str()), ("X-Lab-Token", r.token.as_str())];
    assert_eq!(raw(r.addr, "GET", "/api/state", &good, "").0, 200);
    let with_query = format!("/?token={}", r.token);
    let (code, page) = raw(r.addr, "GET", &with_query, &[("Host", &host)], "");
    assert_eq!(code, 200);
    assert!(page.contains("eightfold lab") && page.contains("lab-servers"), "the page");
    for path in ["/", "/api/state", "/api/history", "/api/view"] {
        assert_eq!(raw(r.addr, "GET", path, &[("Host", &host)], "").0, 403, "{path} without a token");
        let wrong = [("Host", host.as_str()), ("X-Lab-Token", "0123456789abcdef0123456789abcdef")];
        assert_eq!(raw(r.addr, "GET", path, &wrong, "").0, 403, "{path} with a wrong token");
    }
    for path in ["/api/play", "/api/pause", "/api/step", "/api/act", "/api/rewind", "/api/save"] {
        assert_eq!(raw(r.addr, "POST", path, &[("Host", &host)], "{}").0, 403, "{path} without a token");
    }
    let port = r.addr.port();
    for foreign in
        [format!("evil.example:{port}"), format!("localhost.evil.example:{port}"), "127.0.0.1:1".into()]
    {
        let h = [("Host", foreign.as_str()), ("X-Lab-Token", r.token.as_str())];
        let (code, body) = raw(r.addr, "GET", "/api/state", &h, "");
        assert_eq!(code, 403, "Host {foreign}: {body}");
        assert!(body.contains("Host"), "{body}");
    }
    assert_eq!(raw(r.addr, "GET", "/api/state", &[("X-Lab-Token", &r.token)], "").0, 403, "no Host at all");
    for origin in ["http://evil.example", "null", "https://127.0.0.1:1"] {
        let h = [("Host", host.as_str()), ("X-Lab-Token", r.token.as_str()), ("Origin", origin)];
        assert_eq!(raw(r.addr, "POST", "/api/step", &h, "").0, 403, "Origin {origin}");
    }
    let own = format!("http://localhost:{port}");
    let h = [("Host", host.as_str()), ("X-Lab-Token", r.token.as_str()), ("Origin", own.as_str())];
    assert_eq!(raw(r.addr, "POST", "/api/step", &h, "").0, 200, "its own origin");
}

#[test]
fn each_kind_of_bad_action_gets_a_400_with_one_line_and_leaves_the_session_as_it_was() {
    let (r, _) = lab("lab-bad");
    let c = Client::new(&r);
    c.ok("POST", "/api/play", r#"{"speed": "max"}"#);
    std::thread::sleep(std::time::Duration::from_millis(150));
    c.ok("POST", "/api/pause", "");
    let before = c.ok("GET", "/api/state", "");
    assert!(before["now_ns"].as_u64() > Some(0), "it played");
    let bad = [
        ("/api/act", r#"{"fault": "crash", "node": "n9"}"#, "unknown node"),
        ("/api/act", r#"{"fault": "partition", "groups": [["n1", "n2"], ["n2"]]}"#, "a node named twice"),
        (
            "/api/act",
            r#"{"fault": "degrade", "from": ["n1"], "to": ["n2"], "profile": {"latency": "-5ms"}}"#,
            "negative latency",
        ),
        (
            "/api/act",
            r#"{"fault": "degrade", "from": ["n1"], "to": ["n2"], "profile": {"loss": 1.5}}"#,
            "a loss over 1",
        ),
        ("/api/act", r#"{"fault": "restart", "node": "n2"}"#, "restarting a running server"),
        ("/api/act", r#"{"fault": "teleport", "node": "n2"}"#, "an unknown fault"),
        ("/api/act", r#"{"client": "c7", "op": "get", "key": "k1"}"#, "an unknown client"),
        ("/api/act", r#"{"client": "c1", "op": "get", "key": "key one"}"#, "a bad key"),
        ("/api/act", r#"{"at": "0s", "fault": "heal"}"#, "an action in the past"),
        ("/api/act", r#"{"fault": "crash""#, "not JSON"),
        ("/api/act", r#"[]"#, "not an object"),
        ("/api/rewind", r#"{"to_ns": 999999999999999}"#, "a rewind into the future"),
        ("/api/rewind", r#"{"to_ns": -1}"#, "a negative instant"),
        ("/api/play", r#"{"speed": 1000}"#, "too fast"),
        ("/api/play", r#"{"speed": 0}"#, "too slow"),
        ("/api/step", r#"{"by": "sideways"}"#, "an unknown kind of step"),
        ("/api/step", r#"{"by": 3}"#, "a step that is not a kind"),
    ];
    for (path, body, what) in bad {
        let (code, v) = c.call("POST", path, body);
        assert_eq!(code, 400, "{what}: {v}");
        let line = v["error"].as_str().expect("an error line");
        assert!(!line.is_empty() && !line.contains('\n'), "{what}: {line}");
        let now = c.ok("GET", "/api/state", "");
        for field in ["digest", "now_ns", "version", "actions", "events"] {
            assert_eq!(now[field], before[field], "{what} changed {field}");
        }
    }
    let (_, v) = c.call("POST", "/api/act", r#"{"fault": "crash", "node": "n9"}"#);
    assert!(v["error"].as_str().expect("error").starts_with("action.node"), "names the action's field: {v}");
}

/// Two clients acting at once: the server applies their actions one at a time; every
/// action lands, in one order, which the saved scenario states (each at its instant), and
/// the saved file replays to the session's digest and history.
#[test]
fn concurrent_clients_act_in_one_order_that_the_saved_scenario_states_and_replays() {
    let (r, out) = lab("lab-order");
    let c = Client::new(&r);
    c.ok("POST", "/api/play", r#"{"speed": 100}"#);
    let addr = r.addr;
    let token = r.token.clone();
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let token = token.clone();
            std::thread::spawn(move || {
                let c = Client { addr, host: format!("localhost:{}", addr.port()), token };
                for i in 0..6 {
                    let body = json!({"client": format!("c{}", w + 1), "op": "put", "key": "k1", "value": format!("w{w}-{i}")});
                    c.ok("POST", "/api/act", &body.to_string());
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a worker");
    }
    c.ok("POST", "/api/pause", "");
    let state = c.ok("GET", "/api/state", "");
    let actions = state["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 12, "every action landed once");
    let ats: Vec<u64> = actions
        .iter()
        .map(|a| {
            eightfold::scenario::units::parse_duration(a["at"].as_str().expect("at"))
                .expect("a time")
                .as_nanos()
        })
        .collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "applied in one order, in time: {ats:?}");
    for w in 0..2 {
        let mine: Vec<&str> = actions
            .iter()
            .filter(|a| a["client"] == format!("c{}", w + 1))
            .map(|a| a["value"].as_str().expect("v"))
            .collect();
        let sent: Vec<String> = (0..6).map(|i| format!("w{w}-{i}")).collect();
        assert_eq!(mine, sent, "each client's actions in the order it sent them");
    }
    let saved = c.ok("POST", "/api/save", "");
    assert_eq!(saved["digest"], state["digest"]);
    let path = std::path::PathBuf::from(saved["path"].as_str().expect("path"));
    assert!(path.starts_with(&out));
    let text = std::fs::read_to_string(&path).expect("the server wrote the file");
    assert_eq!(text, saved["text"].as_str().expect("text"), "the download is the file");
    let s = eightfold::scenario::parse(&text).expect("valid");
    let ops: Vec<&str> = s.operations.iter().filter_map(|o| o.value.as_deref()).collect();
    let order: Vec<&str> = actions.iter().map(|a| a["value"].as_str().expect("v")).collect();
    assert_eq!(ops, order, "the saved scenario states the order");
    let run = run_full(&s, RunOptions::seed(s.seed)).expect("runs");
    assert_eq!(
        run.outcome.digest,
        saved["digest"].as_str().expect("digest"),
        "replays to the session's digest"
    );
    let history = c.ok("GET", "/api/history", "");
    let ours: eightfold::workload::history::History = serde_json::from_value(history).expect("a history");
    assert_eq!(run.history.expect("kept").ops, ours.ops, "and to its history");
}

/// The issue's walk-through in a real browser (`tests/browser/lab.mjs`): play until a
/// leader, crash it by clicking, see a new leader, partition a minority, heal, put and get,
/// save; the saved file run by `eightfold run` prints the page's digest and writes the
/// session's history. Then a rewind: back to before the crash, another action, saved again:
/// the file holds only the kept actions and replays to the page's digest.
#[test]
fn a_student_session_in_a_real_browser_replays_from_its_saved_file() {
    if !super::browser::tools_ready() {
        return;
    }
    let client = root().join("tests/browser");
    super::browser::ensure_client(&client);
    // The classroom scenario's clients do only what they are told, so the get after the put
    // reads it whatever instant the student paused at.
    let (r, out) = lab_on("lab-browser", "raft-classroom");
    let shots = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-shots");
    let node = std::process::Command::new("node")
        .arg(client.join("lab.mjs"))
        .arg(&r.url)
        .arg(&shots)
        .env("CHROMIUM", super::browser::chromium())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&node.stdout);
    assert!(node.status.success(), "{stdout}{}", String::from_utf8_lossy(&node.stderr));
    let v: Value = serde_json::from_str(stdout.lines().last().expect("a line")).expect("JSON");
    assert_ne!(v["first"], v["second"], "a new leader");
    let c = Client::new(&r);
    for (key, history) in [("saved", false), ("rewound", true)] {
        let text = v[key]["text"].as_str().expect("the download");
        let path = out.join(v[key]["file"].as_str().expect("a name"));
        assert_eq!(std::fs::read_to_string(&path).expect("the server wrote it too"), text);
        let reports = tempdir(&format!("lab-browser-run-{key}"));
        let run = super::common::run_bin(&[
            "run",
            path.to_str().unwrap(),
            "--out",
            reports.to_str().unwrap(),
            "--no-charts",
            "-q",
        ]);
        let printed = String::from_utf8_lossy(&run.stdout);
        let digest = v[key]["digest"].as_str().expect("the page's digest");
        assert!(
            printed.contains(digest),
            "{key}: eightfold run printed another digest than the page's {digest}:\n{printed}"
        );
        let s = eightfold::scenario::parse(text).expect("valid");
        if history {
            // The rewound branch: only the isolation survived the rewind.
            let kinds: Vec<String> = s
                .faults
                .iter()
                .map(|f| serde_json::to_value(&f.fault).expect("a fault")["fault"].to_string())
                .collect();
            assert_eq!(kinds, ["\"isolate\""], "only the action taken after the rewind: {text}");
            assert!(!text.contains("from-the-lab"), "the put came after the rewind's instant");
            let dir = std::fs::read_dir(&reports).expect("a report").flatten().next().expect("one").path();
            let ran: eightfold::workload::history::History = serde_json::from_str(
                &std::fs::read_to_string(dir.join("history.json")).expect("history.json"),
            )
            .expect("a history");
            let ours: eightfold::workload::history::History =
                serde_json::from_value(c.ok("GET", "/api/history", "")).expect("a history");
            assert_eq!(ran.ops, ours.ops, "the saved run's history is the session's");
        } else {
            assert!(
                text.contains("from-the-lab") && text.contains("\"partition\"") && text.contains("\"heal\""),
                "{text}"
            );
        }
    }
}
