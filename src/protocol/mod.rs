//! Bring your own protocol: the public API a replicated key-value protocol implements to
//! run under every command of eightfold (`run`, `sweep`, `shrink`, `compare`, `replay`,
//! `check`, `lab`), beside the shipped Raft, Multi-Paxos, quorum store and gossip — which
//! register through exactly this API.
//!
//! # The pieces
//!
//! - **A server** is a sans-IO state machine: a [`Node`] whose messages are [`ServiceMsg`]
//!   (clients send [`ServiceMsg::Request`] carrying a [`ClientRequest`]; a server answers
//!   with [`ServiceMsg::Reply`] carrying a [`ClientReply`], through [`Ctx::send`]). Its timers
//!   are its own enum (a [`Timer`]); its operator commands its own type ([`Node::Admin`],
//!   [`Never`] for none). **Its own server-to-server messages** are a type of its own
//!   implementing [`PeerMessage`] (a stable encoding, a kind label, an honest wire size):
//!   `ctx.send(peer, msg.into())` wraps one in [`ServiceMsg::Peer`], and [`Host::open`]
//!   opens what arrives into an [`Inbound::Peer`] of that type or an [`Inbound::Client`]
//!   request. It never performs I/O: it reacts to inputs and emits outputs
//!   through its [`Ctx`] (send, set a timer, write and fsync its disk, observe).
//! - **What it must persist before answering.** A crash drops the server's memory and
//!   rebuilds it with [`KvProtocol::recover`] from what survived on its disk
//!   ([`StorageView`]): only what was fsynced ([`Ctx::disk`]) before a crash is there. A
//!   server that acknowledges a write it has not made durable (or replicated to servers that
//!   have) can lose it in a crash, and the linearizability check will say so.
//! - **What it reports.** [`Ctx::observe`] hands the kernel an [`Observation`] (its role and
//!   term, a log entry appended, committed, applied, a slot accepted): the invariant checker
//!   judges the families the protocol declares ([`Capabilities::invariants`]) from them, and
//!   the report draws each server's state from them. Linearizability and liveness need
//!   nothing: they judge the clients' history.
//! - **A registration** ([`KvProtocol`]) names its settings type, read with serde from the
//!   scenario's `cluster.<name>` object, builds servers from it, and declares what the rest
//!   of eightfold may rely on ([`Capabilities`]: a leader? terms? which invariants? which
//!   per-server state to draw?). Scenario validation, the symbolic fault targets `leader` and
//!   `follower`, `compare` and the report ask these capabilities, never the protocol's name.
//! - **A registry** ([`Registry`]) maps names to registrations. [`crate::cli::main_with`]
//!   runs the whole command line with one: `Registry::shipped().with::<Mine>("mine")`.
//!
//! # A complete protocol
//!
//! One server holding the store in memory is trivially linearizable: it applies each request
//! in the order it arrives and answers at once. (It loses everything in a crash, which is why
//! the scenario below crashes nothing.)
//!
//! ```
//! use eightfold::protocol::*;
//! use eightfold::proto::kv::KvStore;
//!
//! /// The server: the whole store, in memory.
//! #[derive(Debug, Default)]
//! struct Single { store: KvStore }
//!
//! impl Node for Single {
//!     type Msg = ServiceMsg;
//!     type Timer = Never;
//!     type Admin = Never;
//!     fn on_start(&mut self, _ctx: &mut Ctx<'_, ServiceMsg>) {}
//!     fn on_message(&mut self, ctx: &mut Ctx<'_, ServiceMsg>, from: NodeId, msg: ServiceMsg) {
//!         if let ServiceMsg::Request(req) = msg {
//!             let result = self.store.apply(&req);
//!             ctx.send(from, ServiceMsg::Reply(ClientReply::Ok { seq: req.seq, result }));
//!         }
//!     }
//!     fn on_timer(&mut self, _ctx: &mut Ctx<'_, ServiceMsg>, t: Never) { match t {} }
//! }
//!
//! /// The registration: no settings, no leader, no log.
//! struct SingleServer;
//!
//! impl KvProtocol for SingleServer {
//!     type Settings = NoSettings;
//!     type Server = Single;
//!     fn capabilities() -> Capabilities {
//!         Capabilities { title: "a single server", ..Capabilities::default() }
//!     }
//!     fn configure(_: NoSettings, _: &Scenario) -> Self { SingleServer }
//!     fn recover(&self, _id: NodeId, _disk: &dyn StorageView) -> Single { Single::default() }
//!     fn liveness_unit(&self) -> SimDuration { SimDuration::from_millis(100) }
//! }
//!
//! // The process's registry: the shipped protocols and this one (what `main_with` installs).
//! assert!(Registry::shipped().with::<SingleServer>("single").install());
//! let scenario = eightfold::scenario::parse(r#"{ "name": "single", "duration": "2s",
//!     "cluster": { "protocol": "single", "nodes": 1 },
//!     "workload": { "type": "kv", "clients": 3, "keys": 2 } }"#).expect("valid");
//! let out = eightfold::runner::run(&scenario, RunOptions::seed(1)).expect("runs");
//! assert!(out.checks["linearizable"].passed());
//! ```
//!
//! Two such servers (`"nodes": 2`) are not linearizable: each client sends to a server of
//! its own choosing and nothing makes the two agree, so a client can read from one a value
//! another client overwrote on the other. `examples/custom-protocol` ships both and its tests
//! show the linearizability check failing on the second.

use std::sync::OnceLock;

use serde::de::DeserializeOwned;

use crate::check::invariants::InvariantStats;
use crate::runner::RunError;
pub use crate::runner::RunOptions;
use crate::runner::protocol::{KvRun, LabWorld, ProtocolRun};
use crate::scenario::Protocol;

pub use crate::check::invariants::Invariant;
pub use crate::fault::AdminCommand;
pub use crate::proto::host::{Host, Inbound};
pub use crate::proto::kv::{ClientReply, ClientRequest, KvOp, KvResult};
pub use crate::proto::peer::{PeerMessage, PeerPayload};
pub use crate::proto::service::ServiceMsg;
pub use crate::scenario::Scenario;
pub use crate::sim::{
    Ctx, DiskEvent, DiskOp, FileId, LogIndex, Never, Node, NodeId, Observation, Role, SimDuration, SimTime,
    StorageView, Term, Timer, TimerId,
};

/// What the report draws for each server in its step-through view.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ServerView {
    /// Only up/down, role and term.
    #[default]
    Role,
    /// A replicated log of entries with terms, compared position by position (Raft).
    Log,
    /// Slots accepted and chosen per ballot round (Multi-Paxos).
    Slots,
    /// The version of each key each replica holds (a leaderless store).
    Versions,
    /// The values each peer has learned (broadcast).
    Values,
}

/// What a protocol declares about itself, for the parts of eightfold that must know:
/// validation, symbolic fault targets, `compare`, the lab and the report.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The protocol's name in prose (`"Raft"`, `"a leaderless quorum store"`).
    pub title: &'static str,
    /// Whether its servers serve the key-value workload (clients, a history, the
    /// linearizability check, `compare`, the lab). Gossip is the one shipped exception.
    pub key_value: bool,
    /// Whether it elects a leader: the fault targets `"leader"` and `"follower"` resolve
    /// against it (they are refused otherwise), and the report charts leadership.
    pub leader: bool,
    /// Whether its [`Observation::Role`]s carry terms (or ballot rounds) worth charting.
    pub terms: bool,
    /// Whether its servers take an operator's commands ([`AdminCommand`]: `add_server`,
    /// `remove_server`, `reconfigure`); scenarios with those faults are refused otherwise.
    pub operator: bool,
    /// The invariants its observations let the checker hold it to.
    pub invariants: &'static [Invariant],
    /// What the report draws for each server.
    pub view: ServerView,
}

/// What a protocol takes from the settings of the protocol a scenario was written for, when
/// `compare` or `grade` runs that scenario on it ([`KvProtocol::adopt`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Adoption {
    /// Its own settings object built from them (`None`: its defaults).
    pub settings: Option<serde_json::Value>,
    /// What it carried over, as (the JSON path in the scenario, why): `compare` and `grade`
    /// report these as translated and every other setting of the other protocol as dropped.
    pub carried: Vec<(String, String)>,
}

/// The settings of a protocol that has none: `cluster.<name>` may be absent or `{}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// A replicated key-value protocol, registered under a name with [`Registry::with`]: how a
/// run builds (and after a crash rebuilds) its servers from the scenario.
///
/// The value of the implementing type is the protocol *configured* for one scenario (its
/// settings read, defaults filled in); the runner makes it once per run.
pub trait KvProtocol: Sized + 'static {
    /// Its settings, read with serde from the scenario's `cluster.<name>` object (the
    /// default when the scenario has none). Use `#[serde(deny_unknown_fields)]`: a typo is
    /// then refused naming its path (`cluster.mine.heartbeet`), exit code 2.
    type Settings: DeserializeOwned + Default;

    /// A server: a sans-IO node speaking [`ServiceMsg`].
    type Server: Node<Msg = ServiceMsg> + std::fmt::Debug;

    /// What it declares about itself.
    fn capabilities() -> Capabilities;

    /// The protocol configured from its settings and the rest of the scenario (the number of
    /// servers, per-node overrides, named bugs).
    fn configure(settings: Self::Settings, scenario: &Scenario) -> Self;

    /// Server `id` (`0..cluster.nodes`), rebuilt from what survived on its disk: empty at
    /// first boot, after a crash exactly what it had fsynced.
    fn recover(&self, id: NodeId, disk: &dyn StorageView) -> Self::Server;

    /// The unit of the default liveness bound (ten of them plus a second): the longest time
    /// the protocol may legitimately take to recover (an election timeout, a request timeout).
    fn liveness_unit(&self) -> SimDuration;

    /// Its parameter lines (the effective settings, defaults filled in), printed before a
    /// run and kept in `outcome.json`.
    fn describe(&self) -> Vec<String> {
        Vec::new()
    }

    /// What the invariant check's pass says, from what the checker saw.
    fn invariants_held(&self, stats: &InvariantStats) -> String {
        let families = Self::capabilities().invariants;
        if families.is_empty() {
            return format!(
                "no invariant declared ({} observations); consistency is judged on the history",
                stats.observations
            );
        }
        let words: Vec<&str> = families.iter().map(|f| f.words()).collect();
        format!(
            "{} held over {} observations ({} leaders, {} entries committed)",
            words.join(", "),
            stats.observations,
            stats.leaders,
            stats.committed
        )
    }

    /// Carries another protocol's settings over, for `compare` and `grade`, which run a
    /// scenario written for one protocol on another: a Raft variant can take Raft's
    /// `election_timeout` and `heartbeat` from `cluster.raft` so both run with the same
    /// timeouts. Only called when the scenario has no `cluster.<name>` object of its own.
    /// The default carries nothing: every other protocol's setting is dropped (and
    /// reported).
    fn adopt(scenario: &Scenario) -> Adoption {
        let _ = scenario;
        Adoption::default()
    }

    /// An operator's command from the fault schedule, as its servers take it (`None`: not
    /// taken). Membership changes and `reconfigure` are only scheduled when
    /// [`Capabilities::operator`] is set; a `bug` fault deploying a named bug reaches every
    /// protocol as [`AdminCommand::Configure`] of [`crate::fault::Setting::bug`] settings
    /// (read them with [`crate::fault::Setting::as_bug`]), and a protocol without named bugs
    /// ignores it by returning `None`.
    fn operator(cmd: &AdminCommand) -> Option<<Self::Server as Node>::Admin> {
        let _ = cmd;
        None
    }
}

/// A registered protocol, as the registry holds it: the object-safe face of a registration.
/// [`Registry::with`] makes one from a [`KvProtocol`]; a protocol whose runs are not
/// key-value runs (the shipped gossip) implements it directly.
pub trait Registration: Send + Sync {
    /// What the protocol declares.
    fn capabilities(&self) -> Capabilities;

    /// Checks the scenario's settings object `cluster.<name>` (`None`: absent): an error
    /// names the path inside it and what is wrong.
    fn check_settings(&self, settings: Option<serde_json::Value>) -> Result<(), SettingsError>;

    /// The run of scenario `s` (which names this protocol and passed validation).
    fn resolve(&self, name: Protocol, s: &Scenario) -> Result<Box<dyn ProtocolRun>, RunError>;

    /// What the protocol carries over from another protocol's settings in `s`
    /// ([`KvProtocol::adopt`]).
    fn adopt(&self, s: &Scenario) -> Adoption {
        let _ = s;
        Adoption::default()
    }

    /// A live world of `s` for the lab, if the protocol serves the key-value workload.
    fn lab(&self, name: Protocol, s: &Scenario) -> Option<Box<dyn LabWorld>> {
        let _ = (name, s);
        None
    }
}

/// Why a protocol's settings object does not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SettingsError {
    /// The path inside the settings object (`heartbeat`, `timeouts[1]`; empty: the object).
    pub path: String,
    /// What is wrong, in serde's words.
    pub message: String,
}

/// Reads `T` from the settings object as written (the default when absent), with the path
/// of an error inside it.
pub fn read_settings<T: DeserializeOwned + Default>(
    settings: Option<serde_json::Value>,
) -> Result<T, SettingsError> {
    match settings {
        None => Ok(T::default()),
        Some(v) => crate::scenario::json::nested(v, |d| T::deserialize(d))
            .map_err(|e| SettingsError { path: e.path, message: e.message }),
    }
}

/// The registration [`Registry::with`] makes from a [`KvProtocol`].
struct Kv<P>(std::marker::PhantomData<fn() -> P>);

impl<P: KvProtocol> Registration for Kv<P> {
    fn capabilities(&self) -> Capabilities {
        Capabilities { key_value: true, ..P::capabilities() }
    }

    fn check_settings(&self, settings: Option<serde_json::Value>) -> Result<(), SettingsError> {
        read_settings::<P::Settings>(settings).map(|_| ())
    }

    fn resolve(&self, name: Protocol, s: &Scenario) -> Result<Box<dyn ProtocolRun>, RunError> {
        Ok(Box::new(KvRun::<P>::new(name, s)?))
    }

    fn adopt(&self, s: &Scenario) -> Adoption {
        P::adopt(s)
    }

    fn lab(&self, name: Protocol, s: &Scenario) -> Option<Box<dyn LabWorld>> {
        KvRun::<P>::new(name, s).ok().map(|run| Box::new(run) as Box<dyn LabWorld>)
    }
}

/// The protocols a process knows, by name.
pub struct Registry {
    entries: Vec<(&'static str, Box<dyn Registration>)>,
}

impl Registry {
    /// A registry with no protocol.
    pub fn empty() -> Registry {
        Registry { entries: Vec::new() }
    }

    /// The shipped protocols: `gossip`, `raft`, `paxos`, `quorum`.
    pub fn shipped() -> Registry {
        crate::runner::shipped::register(Registry::empty())
    }

    /// This registry with key-value protocol `P` under `name`.
    ///
    /// # Panics
    /// If `name` is taken, or is a field of the cluster object (`nodes`, `zones`, …): a
    /// mistake in the program that registers, not in a scenario.
    pub fn with<P: KvProtocol>(self, name: &'static str) -> Registry {
        self.with_registration(name, Box::new(Kv::<P>(std::marker::PhantomData)))
    }

    /// This registry with `registration` under `name` (for a protocol whose runs are not
    /// key-value runs).
    ///
    /// # Panics
    /// As [`Registry::with`].
    pub fn with_registration(mut self, name: &'static str, registration: Box<dyn Registration>) -> Registry {
        assert!(self.name(name).is_none(), "protocol \"{name}\" is registered twice");
        let shipped_group = ["gossip", "raft", "paxos", "quorum"].contains(&name);
        assert!(
            shipped_group || !crate::scenario::ClusterSpec::FIELDS.contains(&name),
            "\"{name}\" is a field of the cluster object and cannot name a protocol"
        );
        self.entries.push((name, registration));
        self
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|(n, _)| *n).collect()
    }

    /// The registered name equal to `name`.
    pub fn name(&self, name: &str) -> Option<&'static str> {
        self.entries.iter().find(|(n, _)| *n == name).map(|(n, _)| *n)
    }

    /// The registration of `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Registration> {
        self.entries.iter().find(|(n, _)| *n == name).map(|(_, r)| &**r)
    }

    /// What the protocol registered as `name` declares.
    pub fn capabilities(&self, name: &str) -> Option<Capabilities> {
        self.get(name).map(|r| r.capabilities())
    }

    /// Makes this the registry of the process (what scenario files are read against and
    /// runs resolved with); [`crate::cli::main_with`] calls it. Returns `false` (and changes
    /// nothing) if the process already uses one: the registry is chosen once, before the
    /// first scenario is read, so every part of a process agrees on it.
    pub fn install(self) -> bool {
        INSTALLED.set(self).is_ok()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// The registry the process chose.
static INSTALLED: OnceLock<Registry> = OnceLock::new();

/// The process's registry: the one installed ([`Registry::install`]), else the shipped one.
pub fn registry() -> &'static Registry {
    INSTALLED.get_or_init(Registry::shipped)
}
