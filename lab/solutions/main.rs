//! `raft-lab-solutions`: the teacher's binary. eightfold's command line with the student's
//! Raft (`student`), the reference solution (`reference`) and four broken solutions
//! (`votes-without-log-check`, `commit-without-current-term`, `no-persist-before-reply`,
//! `truncate-on-match`)
//! registered beside the shipped protocols. The kit's tests grade each of them; a teacher
//! calibrates a suite's seeds with it. Delete `solutions/` before handing the kit out.

mod broken;
mod reference;

use eightfold::protocol::Registry;
use raft_lab::{RaftLab, Student};

fn main() -> std::process::ExitCode {
    let registry = Registry::shipped()
        .with::<RaftLab<Student>>("student")
        .with::<RaftLab<reference::Reference>>("reference")
        .with::<RaftLab<broken::VotesWithoutLogCheck>>("votes-without-log-check")
        .with::<RaftLab<broken::CommitWithoutCurrentTerm>>("commit-without-current-term")
        .with::<RaftLab<broken::NoPersistBeforeReply>>("no-persist-before-reply")
        .with::<RaftLab<broken::TruncateOnMatch>>("truncate-on-match");
    eightfold::cli::main_with(registry)
}
