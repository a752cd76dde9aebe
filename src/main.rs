//! The `tenet` command. All the work happens in the library; `cli` owns every line printed.

mod cli;

/// mimalloc instead of the system allocator: less memory and time on large runs, see
/// docs/performance.md ("mimalloc"). `--no-default-features` leaves it out (for profiling).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
