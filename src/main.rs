//! The `eightfold` binary: everything lives in the library; this only hands over to the CLI
//! with the shipped protocols.

fn main() -> std::process::ExitCode {
    eightfold::cli::main_with(eightfold::protocol::Registry::shipped())
}
