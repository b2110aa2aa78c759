//! `custom-eightfold`: eightfold's whole command line with the toy protocol of this crate
//! registered as `single` beside the shipped ones.

fn main() -> std::process::ExitCode {
    eightfold::cli::main_with(custom_protocol::registry())
}
