//! `raft-lab`: eightfold's whole command line with your Raft (`lab/src/student.rs`)
//! registered as `student` beside the shipped protocols.

fn main() -> std::process::ExitCode {
    eightfold::cli::main_with(raft_lab::registry())
}
