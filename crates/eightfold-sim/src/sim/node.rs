//! The sans-IO node interface: what a virtual node is, and the context it acts through.
//!
//! A node is a state machine. The kernel calls one of its handlers (start, message, timer,
//! disk completion); the handler decides what to do and *asks* for it through the [`Ctx`]:
//! send a message, arm a timer, append to its disk, announce an observation. The kernel
//! carries out those requests after the handler returns. Because protocol code never
//! touches a socket, a clock or a file, the same code can run in the simulator, in unit
//! tests that drive it by hand, or on a real network runtime — the approach of tikv/raft-rs
//! (`Ready`) and quinn-proto (`poll_transmit`).

use std::fmt;

use super::contents::Contents;
use super::ids::{NodeId, TimerId};
use super::observe::Observation;
use super::rng::SimRng;
use super::time::{SimDuration, SimTime};

/// A protocol message: something with a size on the wire and a stable byte encoding.
pub trait Message: Clone + 'static {
    /// Bytes this message occupies on the wire (header included); drives bandwidth, MTU and
    /// transport-cost models.
    fn wire_size(&self) -> u32;
    /// A short label for traces and space-time diagrams (`"AppendEntries"`).
    fn kind(&self) -> &'static str;
    /// Appends the message's stable byte encoding (what a MAC is computed over and what a
    /// bit-flipping adversary corrupts).
    fn encode(&self, out: &mut Vec<u8>);
    /// Decodes bytes produced by [`Message::encode`]; `None` for bytes that do not parse.
    fn decode(bytes: &[u8]) -> Option<Self>;
    /// Lists the message's contents for people to read (the step-through shows them when a
    /// message is clicked); asked only of messages the recorder keeps. Lists nothing unless
    /// the type says otherwise.
    fn contents(&self, _out: &mut Contents) {}
}

/// A file on a node's simulated disk, named by a small number the protocol chooses.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct FileId(pub u16);

/// A request to a node's disk, carried out by the kernel after the handler returns.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DiskOp {
    /// Append bytes to the end of a file (creating it if needed). Volatile until fsynced.
    Append {
        /// Target file.
        file: FileId,
        /// Bytes to append.
        data: Vec<u8>,
    },
    /// Cut a file to `len` bytes. Volatile until fsynced.
    Truncate {
        /// Target file.
        file: FileId,
        /// New length.
        len: u64,
    },
    /// Replace a file's whole content (written to a temporary name, then renamed over the
    /// old one: after a crash the file holds either the old or the new content).
    Replace {
        /// Target file.
        file: FileId,
        /// New content.
        data: Vec<u8>,
    },
    /// Make everything written to `file` so far durable; completion arrives later as a
    /// [`DiskEvent`] carrying `token`.
    Fsync {
        /// Target file.
        file: FileId,
        /// Opaque token returned with the completion.
        token: u64,
    },
}

/// The completion of an asynchronous disk request.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum DiskEvent {
    /// The fsync with this token finished: what was written before it is durable.
    Synced {
        /// The token given with the request.
        token: u64,
    },
    /// The fsync with this token failed: the device makes no promise about those writes.
    SyncFailed {
        /// The token given with the request.
        token: u64,
    },
}

/// Read access to what survived on a node's disk, given to a node when it is rebuilt.
pub trait StorageView {
    /// The durable content of a file (empty if it does not exist).
    fn read(&self, file: FileId) -> Vec<u8>;
}

/// The requests a handler made, in the order it made them.
#[derive(Debug)]
pub struct Outbox<M> {
    /// Messages to send: (destination, message).
    pub sends: Vec<(NodeId, M)>,
    /// Timers to arm (`Some(after)`) or cancel (`None`), in local-clock durations, by the
    /// kernel's number ([`Timer::id`]).
    pub timers: Vec<(TimerId, Option<SimDuration>)>,
    /// Disk requests.
    pub disk: Vec<DiskOp>,
    /// Observations announced.
    pub observations: Vec<crate::sim::observe::Observation>,
    /// Set when the node asks to crash itself (e.g. after a failed fsync, the only safe reaction).
    pub crash: bool,
    /// Emptied byte buffers of earlier disk appends, handed out again by [`Ctx::buffer`].
    pub(crate) spare: Vec<Vec<u8>>,
    /// Whether views ([`Observation::is_view`]) reach anyone: see [`Ctx::views`].
    pub(crate) views: bool,
}

impl<M> Default for Outbox<M> {
    fn default() -> Self {
        Outbox {
            sends: Vec::new(),
            timers: Vec::new(),
            disk: Vec::new(),
            observations: Vec::new(),
            crash: false,
            spare: Vec::new(),
            views: true,
        }
    }
}

impl<M> Outbox<M> {
    /// True if the handler asked for nothing.
    pub fn is_empty(&self) -> bool {
        self.sends.is_empty()
            && self.timers.is_empty()
            && self.disk.is_empty()
            && self.observations.is_empty()
            && !self.crash
    }
}

/// What a handler sees of the world and how it acts on it.
pub struct Ctx<'a, M> {
    id: NodeId,
    now: SimTime,
    servers: &'a [NodeId],
    rng: &'a mut SimRng,
    out: &'a mut Outbox<M>,
}

impl<'a, M> Ctx<'a, M> {
    /// A context for one handler call. `now` is the node's *local* clock reading.
    pub fn new(
        id: NodeId,
        now: SimTime,
        servers: &'a [NodeId],
        rng: &'a mut SimRng,
        out: &'a mut Outbox<M>,
    ) -> Self {
        Ctx { id, now, servers, rng, out }
    }

    /// This node's id.
    #[inline]
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The node's local clock (virtual time, shifted by the node's skew and drift).
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Every server of the cluster, in id order (clients and adversaries excluded).
    #[inline]
    pub fn servers(&self) -> &'a [NodeId] {
        self.servers
    }

    /// This node's private random stream.
    #[inline]
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }

    /// Sends `msg` to `to` over the simulated network.
    #[inline]
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.out.sends.push((to, msg));
    }

    /// Arms `timer` to fire after `after` of local time, replacing any pending one.
    #[inline]
    pub fn set_timer(&mut self, timer: impl Timer, after: SimDuration) {
        self.out.timers.push((timer.id(), Some(after)));
    }

    /// Cancels `timer` if it is pending.
    #[inline]
    pub fn cancel_timer(&mut self, timer: impl Timer) {
        self.out.timers.push((timer.id(), None));
    }

    /// An empty byte vector to build a disk write in: one the kernel emptied after an
    /// earlier [`DiskOp::Append`] when there is one, so a node that writes a record per
    /// message allocates nothing in steady state. Using it or `Vec::new()` makes no other
    /// difference.
    #[inline]
    pub fn buffer(&mut self) -> Vec<u8> {
        self.out.spare.pop().unwrap_or_default()
    }

    /// Queues a disk request.
    #[inline]
    pub fn disk(&mut self, op: DiskOp) {
        self.out.disk.push(op);
    }

    /// True if views (observations for the report alone, [`Observation::is_view`]) reach
    /// anyone in this run: they go only to a flight recording, so a run without one (a
    /// sweep, a benchmark) drops them. A protocol may skip building views when this is
    /// false; nothing else in the run can depend on them.
    #[inline]
    pub fn views(&self) -> bool {
        self.out.views
    }

    /// Announces a fact about the protocol state to checkers, charts and the trace.
    #[inline]
    pub fn observe(&mut self, obs: Observation) {
        self.out.observations.push(obs);
    }

    /// Asks the kernel to crash this node now (after this handler returns).
    pub fn crash_self(&mut self) {
        self.out.crash = true;
    }
}

/// The timers of one kind of node: a small `Copy` enum the node arms through its [`Ctx`]
/// and gets back, typed, in [`Node::on_timer`] (match it exhaustively: a new timer then
/// fails to compile where it is not handled).
///
/// The kernel stores a pending timer by its opaque [`TimerId`] (one generation counter per
/// id, and the id folded into the trace digest), so [`Timer::id`] must give each variant
/// its own number and keep it stable: renumbering a timer changes every digest.
pub trait Timer: Copy + Eq + fmt::Debug + 'static {
    /// Every timer of this kind (what [`Timer::from_id`] searches).
    const ALL: &'static [Self];
    /// The kernel's number for this timer.
    fn id(self) -> TimerId;
    /// The timer the kernel numbered `id`, if this kind has one.
    fn from_id(id: TimerId) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.id() == id)
    }
}

/// A node that hosts another node's timers (an enum over several kinds of node) passes the
/// kernel's number through and decodes it with the inner node's own [`Timer`] type.
impl Timer for TimerId {
    /// Every number is a timer; this kind is never searched.
    const ALL: &'static [Self] = &[];
    fn id(self) -> TimerId {
        self
    }
    fn from_id(id: TimerId) -> Option<Self> {
        Some(id)
    }
}

/// The timer type of a node that arms none, and the admin type of a node that takes no
/// operator commands: it has no values, so a handler for it can never be called.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Never {}

impl Timer for Never {
    const ALL: &'static [Self] = &[];
    fn id(self) -> TimerId {
        match self {}
    }
}

/// A virtual node: a sans-IO state machine the kernel drives.
pub trait Node: 'static {
    /// The messages nodes of this kind exchange.
    type Msg: Message;

    /// The timers a node of this kind arms (an enum; [`Never`] for none).
    type Timer: Timer;

    /// The operator commands a node of this kind understands (its own type: membership
    /// changes, settings changes; [`Never`] for none). The kernel hands over what the
    /// fault schedule's operator typed, translated by the hook the runner gives it
    /// (`World::set_operator`), so the kernel never names a protocol's settings.
    type Admin: 'static;

    /// Called once when the node boots (and again after every restart, on the rebuilt node).
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self::Msg>);

    /// Called when a message from `from` is delivered.
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self::Msg>, from: NodeId, msg: Self::Msg);

    /// Called when an armed timer fires.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self::Msg>, timer: Self::Timer);

    /// Called when an asynchronous disk request completes.
    fn on_disk(&mut self, ctx: &mut Ctx<'_, Self::Msg>, event: DiskEvent) {
        let _ = (ctx, event);
    }

    /// Called when an operator issues a command to this node (nodes that support no
    /// administration ignore it).
    fn on_admin(&mut self, ctx: &mut Ctx<'_, Self::Msg>, cmd: &Self::Admin) {
        let _ = (ctx, cmd);
    }
}

/// For a node enum whose [`Node::Timer`] is the opaque [`TimerId`]: hands the kernel's
/// timer number to the inner `node`, typed, if it is one of that node's timers (it always
/// is when the inner node armed it).
pub fn fire_inner<N: Node>(node: &mut N, ctx: &mut Ctx<'_, N::Msg>, id: TimerId) {
    if let Some(timer) = N::Timer::from_id(id) {
        node.on_timer(ctx, timer);
    }
}

/// Builds (and, after a crash, rebuilds) the nodes of a run.
pub trait NodeFactory<N: Node> {
    /// Builds node `id` from what survived on its disk (empty on first boot).
    fn build(&mut self, id: NodeId, storage: &dyn StorageView) -> N;
}

impl<N: Node, F: FnMut(NodeId, &dyn StorageView) -> N> NodeFactory<N> for F {
    fn build(&mut self, id: NodeId, storage: &dyn StorageView) -> N {
        self(id, storage)
    }
}
