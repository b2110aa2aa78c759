//! # The Raft lab kit
//!
//! Implement Raft's core rules and grade them under eightfold's faults: crashes, partitions,
//! lost, delayed and duplicated messages, torn writes. The kit wires up everything that is
//! not Raft's rules — the messages ([`msg`]), the log ([`Log`]), the disk ([`Saved`]),
//! timers, clients and the key-value state machine ([`server`]) — and leaves the rules of the
//! paper's Figure 2 to you, in `lab/src/student.rs`, as three exercises:
//!
//! 1. **Leader election** (§5.2): start an election, grant votes, count them.
//! 2. **Log replication** (§5.3, §5.4): send and accept AppendEntries, track followers,
//!    commit — only entries of the leader's own term by counting (Figure 8).
//! 3. **Persistence and crash recovery** (Figure 2, "Persistent state"): persist before
//!    answering, restore after a crash.
//!
//! Grade your work with the suite a teacher gives you (the kit ships one, `lab/suite.json`):
//!
//! ```text
//! cargo run --release -p raft-lab -- grade lab/suite.json --protocol student
//! ```
//!
//! Each failing test prints the check that failed and what it saw, a hint naming the
//! exercise and the paper's section, the command that replays the failing seed
//! (`raft-lab run … --seed N --set cluster.protocol=student`), its report (a step-through of
//! every message, with each server's log), and the run shrunk to the fewest faults and
//! clients that still fail.
//!
//! The kit's servers run under every command of eightfold: `raft-lab run
//! scenarios/raft-classroom.json --set cluster.protocol=student` runs a shipped scenario
//! against your Raft; `raft-lab compare … --protocols raft,student` puts it beside the
//! shipped one; `raft-lab lab … --set cluster.protocol=student` opens it in the live lab.
//!
//! ## How the kit is built
//!
//! It uses only eightfold's public protocol API ([`eightfold::protocol`]): the lab's Raft is
//! a [`eightfold::protocol::KvProtocol`] ([`RaftLab`]) whose servers ([`LabServer`]) are
//! sans-IO nodes carrying their own messages ([`LabMsg`], a
//! [`eightfold::protocol::PeerMessage`]). A solution is a type implementing [`Rules`];
//! [`registry`] registers yours as `student`.

pub mod log;
pub mod msg;
pub mod protocol;
pub mod raft;
pub mod rules;
pub mod saved;
pub mod server;
pub mod student;

pub use log::Log;
pub use msg::{AppendEntries, AppendReply, Entry, LabMsg, RequestVote, VoteReply};
pub use protocol::{LabSettings, RaftLab};
pub use raft::{Raft, Role};
pub use rules::Rules;
pub use saved::Saved;
pub use server::LabServer;
pub use student::Student;

use eightfold::protocol::Registry;

/// eightfold's shipped protocols and your Raft, as `student`.
pub fn registry() -> Registry {
    Registry::shipped().with::<RaftLab<Student>>("student")
}
