//! The `tenet` command. All the work happens in the library; `cli` owns every line printed.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
