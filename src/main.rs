//! The `eightfold` binary: everything lives in the library; this only hands over to the CLI.

fn main() -> std::process::ExitCode {
    eightfold::cli::main()
}
