//! The lab's local web server: axum on tokio (the Rust ecosystem's standard HTTP stack; no
//! home-made HTTP), serving the page and a small JSON API over one [`Session`].
//!
//! The session lives on a thread of its own (its World is single-threaded by design, see
//! `DESIGN.md`); every request becomes a command on one channel to that thread, so actions
//! from several tabs or clients are applied one at a time in the order they arrive, and
//! every tab reads the same session. That thread also paces play: at each tick it advances
//! virtual time by the speed times the wall-clock time since the last tick (or, as fast as
//! possible, as much as it simulates in a tick). The wall clock only decides *when* the next
//! batch is simulated, never what happens in it.
//!
//! A local server is still reachable by every web page the browser opens, so:
//! - it listens on 127.0.0.1 unless `--bind` says otherwise (the CLI warns then);
//! - every request needs the random access token printed with the URL (as Jupyter does):
//!   `?token=` or the `X-Lab-Token` header; without it, 403;
//! - a `Host` that is not `localhost` or an IP literal with the server's port is refused
//!   (403): that is how a DNS-rebinding page would arrive; an `Origin`, when sent, must be
//!   the same `http://` host;
//! - a malformed or impossible action gets 400 with one line, and the session is untouched.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::session::{HORIZON, STEP_LIMIT, Session, StepBy};
use crate::sim::{SimDuration, SimTime};

/// The page, its script and the report's stylesheet (shared, not copied).
const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("lab.js");
const CSS: &str = include_str!("../report/html/page.css");

/// How often the session thread wakes to play on.
const TICK: Duration = Duration::from_millis(40);

/// How the lab is started.
pub struct Config {
    /// The starting scenario's text.
    pub text: String,
    /// The seed.
    pub seed: u64,
    /// The address to listen on.
    pub bind: IpAddr,
    /// The port (0: any free one).
    pub port: u16,
    /// Where saved sessions are written.
    pub out: PathBuf,
    /// The access token (`None`: a fresh random one).
    pub token: Option<String>,
}

/// A running lab server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The access token.
    pub token: String,
    /// The page's URL, with the token.
    pub url: String,
}

/// How fast the session plays.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Speed {
    /// Virtual seconds per wall-clock second (1/100 to 100).
    Times(f64),
    /// As fast as it simulates.
    Max,
}

/// A request to the session thread.
enum Cmd {
    State,
    Play(Speed),
    Pause,
    Step(StepBy),
    Act(Value),
    Rewind(SimTime),
    Save,
    History,
    View(SimDuration),
}

/// What the session thread answers.
enum Out {
    Json(Value),
    Html(String),
}

type Answer = Result<Out, (StatusCode, String)>;
type Sender = mpsc::Sender<(Cmd, oneshot::Sender<Answer>)>;

/// What every handler shares.
struct Shared {
    session: std::sync::Mutex<Sender>,
    token: String,
    port: u16,
}

/// Opens the session (exit-2 errors: a bad scenario) and binds the address (an address in
/// use is an error too), then serves on a thread of its own until the process ends.
pub fn start(config: Config) -> Result<Running, String> {
    let listener = std::net::TcpListener::bind(SocketAddr::new(config.bind, config.port))
        .map_err(|e| format!("--port: cannot listen on {}:{}: {e}", config.bind, config.port))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let token = config.token.unwrap_or_else(fresh_token);
    let (tx, rx) = mpsc::channel();
    let (out, text, seed) = (config.out, config.text, config.seed);
    // The session is opened on its own thread (its World is not Send); a bad scenario comes
    // back from there.
    let (opened, open) = mpsc::channel();
    std::thread::Builder::new()
        .name("lab-session".into())
        .spawn(move || match Session::open(&text, seed) {
            Ok(session) => {
                let _ = opened.send(Ok(()));
                drive(session, rx, out);
            }
            Err(e) => {
                let _ = opened.send(Err(e.to_string()));
            }
        })
        .map_err(|e| e.to_string())?;
    open.recv().map_err(|e| e.to_string())??;
    let shared =
        Arc::new(Shared { session: std::sync::Mutex::new(tx), token: token.clone(), port: addr.port() });
    let app = router(shared);
    std::thread::Builder::new()
        .name("lab-http".into())
        .spawn(move || {
            let rt =
                tokio::runtime::Builder::new_current_thread().enable_io().build().expect("a tokio runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listening socket");
                let _ = axum::serve(listener, app).await;
            });
        })
        .map_err(|e| e.to_string())?;
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    };
    let url = format!("http://{host}:{}/?token={token}", addr.port());
    Ok(Running { addr, token, url })
}

/// 128 random bits, in hex: the access token.
fn fresh_token() -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    format!("{:032x}", rng.random::<u128>())
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/state", get(|s: State<Arc<Shared>>| ask(s, Cmd::State)))
        .route("/api/history", get(|s: State<Arc<Shared>>| ask(s, Cmd::History)))
        .route("/api/view", get(view))
        .route("/api/play", post(play))
        .route("/api/pause", post(|s: State<Arc<Shared>>| ask(s, Cmd::Pause)))
        .route("/api/step", post(step))
        .route("/api/act", post(act))
        .route("/api/rewind", post(rewind))
        .route("/api/save", post(|s: State<Arc<Shared>>| ask(s, Cmd::Save)))
        .layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

/// Refuses what the module docs say: a foreign `Host` or `Origin`, a missing token.
async fn guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !own_host(host, shared.port) {
        return refuse(
            StatusCode::FORBIDDEN,
            "refused: the Host header names another site (a DNS-rebinding page?)",
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("http://"))
            .is_some_and(|o| own_host(o, shared.port));
        if !ok {
            return refuse(StatusCode::FORBIDDEN, "refused: a request from another origin");
        }
    }
    let given = headers.get("x-lab-token").and_then(|t| t.to_str().ok()).map(str::to_string).or_else(|| {
        req.uri()
            .query()
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("token=")).map(str::to_string))
    });
    if !given.is_some_and(|t| same(t.as_bytes(), shared.token.as_bytes())) {
        return refuse(
            StatusCode::FORBIDDEN,
            "a valid access token is needed: open the URL eightfold lab printed",
        );
    }
    next.run(req).await
}

/// `localhost` or an IP literal, with the server's port: names a rebinding page cannot use.
fn own_host(host: &str, port: u16) -> bool {
    let Some((name, p)) = host.rsplit_once(':') else { return false };
    if p.parse::<u16>().ok() != Some(port) {
        return false;
    }
    let bare = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
    name.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok()
}

/// Compares two tokens in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refuse(code: StatusCode, why: &str) -> Response {
    (code, axum::Json(json!({ "error": why }))).into_response()
}

async fn page() -> Response {
    let html = PAGE.replace("/*CSS*/", CSS).replace("/*SCRIPT*/", SCRIPT);
    let mut r = Html(html).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Hands `cmd` to the session thread and turns its answer into a response.
async fn ask(State(shared): State<Arc<Shared>>, cmd: Cmd) -> Response {
    let (tx, rx) = oneshot::channel();
    let sent = shared.session.lock().map(|s| s.send((cmd, tx)).is_ok()).unwrap_or(false);
    if !sent {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "the session has stopped");
    }
    match rx.await {
        Ok(Ok(Out::Json(v))) => axum::Json(v).into_response(),
        Ok(Ok(Out::Html(h))) => Html(h).into_response(),
        Ok(Err((code, why))) => refuse(code, &why),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "the session has stopped"),
    }
}

/// A request body as a JSON value, or a 400 naming what is wrong.
fn body(bytes: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(bytes)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, &format!("the body is not JSON: {e}")))
}

async fn play(s: State<Arc<Shared>>, bytes: Bytes) -> Response {
    let v = match body(&bytes) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let speed = match &v["speed"] {
        Value::String(m) if m == "max" => Speed::Max,
        Value::Number(n) => match n.as_f64() {
            Some(x) if (0.01..=100.0).contains(&x) => Speed::Times(x),
            _ => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    &format!("speed: expected 0.01 to 100 or \"max\", found {n}"),
                );
            }
        },
        other => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("speed: expected 0.01 to 100 or \"max\", found {other}"),
            );
        }
    };
    ask(s, Cmd::Play(speed)).await
}

/// `POST /api/step`, with `{"by": KIND}` (one of [`StepBy`]'s, in snake case) or no body (the
/// next instant).
async fn step(s: State<Arc<Shared>>, bytes: Bytes) -> Response {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return ask(s, Cmd::Step(StepBy::Instant)).await;
    }
    let v = match body(&bytes) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match serde_json::from_value::<StepBy>(v["by"].clone()) {
        Ok(by) => ask(s, Cmd::Step(by)).await,
        Err(_) => refuse(
            StatusCode::BAD_REQUEST,
            &format!(
                "by: expected event, instant, fault, role, commit, operation or lost, found {}",
                v["by"]
            ),
        ),
    }
}

async fn act(s: State<Arc<Shared>>, bytes: Bytes) -> Response {
    match body(&bytes) {
        Ok(v) => ask(s, Cmd::Act(v)).await,
        Err(r) => r,
    }
}

async fn rewind(s: State<Arc<Shared>>, bytes: Bytes) -> Response {
    let v = match body(&bytes) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match v["to_ns"].as_u64() {
        Some(ns) => ask(s, Cmd::Rewind(SimTime(ns))).await,
        None => refuse(
            StatusCode::BAD_REQUEST,
            &format!("to_ns: expected a whole number of nanoseconds, found {}", v["to_ns"]),
        ),
    }
}

async fn view(
    s: State<Arc<Shared>>,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let ms = match q.get("window_ms").map(|w| w.parse::<u64>()) {
        None => 500,
        Some(Ok(ms)) if (1..=60_000).contains(&ms) => ms,
        Some(_) => return refuse(StatusCode::BAD_REQUEST, "window_ms: expected 1 to 60000"),
    };
    ask(s, Cmd::View(SimDuration::from_millis(ms))).await
}

/// The session thread: answers commands in the order they come and plays on between them.
fn drive(mut session: Session, rx: mpsc::Receiver<(Cmd, oneshot::Sender<Answer>)>, out: PathBuf) {
    let mut speed: Option<Speed> = None;
    let mut last = Instant::now();
    loop {
        let next = match rx.recv_timeout(TICK) {
            Ok(c) => Some(c),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let now = Instant::now();
        if let Some(sp) = speed {
            // Time spent answering (a rebuild after an action takes a while late in a long
            // session) is not playing time, and a late tick does not leap ahead.
            let wall = (now - last).min(TICK * 4);
            match sp {
                Speed::Times(x) => {
                    let ahead = SimDuration((wall.as_nanos() as f64 * x) as u64);
                    session.advance_to(session.now() + ahead);
                }
                Speed::Max => {
                    let until = Instant::now() + TICK;
                    while Instant::now() < until
                        && session.violation().is_none()
                        && session.now() < SimTime::ZERO + HORIZON
                    {
                        session.advance_to(session.now() + SimDuration::from_millis(20));
                    }
                }
            }
            if session.violation().is_some() || session.now() >= SimTime::ZERO + HORIZON {
                speed = None;
            }
        }
        last = now;
        let Some((cmd, reply)) = next else { continue };
        let answer = match cmd {
            Cmd::State => Ok(Out::Json(state(&session, speed))),
            Cmd::Play(sp) => {
                speed = Some(sp);
                Ok(Out::Json(state(&session, speed)))
            }
            Cmd::Pause => {
                speed = None;
                Ok(Out::Json(state(&session, speed)))
            }
            Cmd::Step(by) => {
                speed = None;
                let stepped = session.step_by(by);
                let mut v = state(&session, speed);
                v["stepped"] = json!({
                    "by": by,
                    "found": stepped.found,
                    "events": stepped.events,
                    "limit_ns": STEP_LIMIT.as_nanos(),
                });
                Ok(Out::Json(v))
            }
            Cmd::Act(v) => session
                .act(v)
                .map(|()| Out::Json(state(&session, speed)))
                .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string())),
            Cmd::Rewind(t) => {
                speed = None;
                session
                    .rewind(t)
                    .map(|()| Out::Json(state(&session, speed)))
                    .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))
            }
            // A file ends with every event of its last instant: a save, the history and the
            // step-through first finish the instant.
            Cmd::Save => {
                session.finish_instant();
                save(&session, &out)
            }
            Cmd::History => {
                session.finish_instant();
                session
                    .history()
                    .map(|h| Out::Json(serde_json::to_value(&h).unwrap_or(Value::Null)))
                    .map_err(|e| (StatusCode::CONFLICT, e.to_string()))
            }
            Cmd::View(w) => {
                session.finish_instant();
                session.report_page(w).map(Out::Html).map_err(|e| (StatusCode::CONFLICT, e.to_string()))
            }
        };
        let _ = reply.send(answer);
        // Time spent answering is not playing time.
        last = Instant::now();
    }
}

/// The session's view, with how it plays.
fn state(session: &Session, speed: Option<Speed>) -> Value {
    let mut v = session.view();
    v["playing"] = json!(speed.is_some());
    v["speed"] = match speed {
        Some(Speed::Times(x)) => json!(x),
        Some(Speed::Max) => json!("max"),
        None => Value::Null,
    };
    v
}

/// Writes the session as a scenario file in `out` (atomically) and answers with its text,
/// path and digest.
fn save(session: &Session, out: &std::path::Path) -> Answer {
    let (text, s) = session.save().map_err(|e| (StatusCode::CONFLICT, e.to_string()))?;
    let file = format!("{}-seed{}-{}ns.json", s.name, session.seed(), session.now().as_nanos());
    let path = out.join(&file);
    let written =
        std::fs::create_dir_all(out).and_then(|()| tempfile::NamedTempFile::new_in(out)).and_then(|mut f| {
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            f.persist(&path).map(|_| ()).map_err(|e| e.error)
        });
    written.map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("writing {}: {e}", path.display())))?;
    Ok(Out::Json(json!({
        "path": path.display().to_string(),
        "file": file,
        "text": text,
        "digest": session.digest(),
        "seed": session.seed(),
        "now_ns": session.now().as_nanos(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_localhost_and_ip_literals_on_our_port_are_our_host() {
        for ok in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080", "10.0.0.7:8080"] {
            assert!(own_host(ok, 8080), "{ok}");
        }
        for bad in
            ["evil.example:8080", "127.0.0.1:8081", "127.0.0.1", "localhost.evil.example:8080", "", "[::1]"]
        {
            assert!(!own_host(bad, 8080), "{bad}");
        }
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd") && !same(b"abc", b"ab") && !same(b"", b"a"));
        assert_ne!(fresh_token(), fresh_token());
        assert_eq!(fresh_token().len(), 32);
    }
}
