//! The `tenet` command. All the work happens in the library; `cli` owns every line printed.

mod cli;

/// mimalloc instead of the system allocator: less memory and time on large runs, see
/// docs/performance.md ("mimalloc"). `--no-default-features` leaves it out (for profiling).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` of mimalloc 3 (its `include/mimalloc.h`), which the `libmimalloc-sys`
/// crate does not name; a test checks that this is the option.
#[cfg(feature = "mimalloc")]
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc 3 gives memory freed by one stage back to the system only a second later
/// (`purge_delay`, 1000 ms), so a stage that allocates right after another freed holds both in
/// resident memory. tenet's stages follow each other within milliseconds: with 10 ms (mimalloc
/// 2's default) the peak of a full-path `check` at 10,000 namespaces is about 40 MB lower (see
/// docs/performance.md). `MIMALLOC_PURGE_DELAY` in the environment still decides.
#[cfg(feature = "mimalloc")]
fn purge_freed_memory_soon() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a number in mimalloc's option table, before any other thread exists.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 10) };
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(feature = "mimalloc")]
    purge_freed_memory_soon();
    cli::main()
}

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    #[test]
    fn the_purge_delay_is_the_option_set() {
        // Of mimalloc 3's options only `purge_delay` defaults to 1000 (ms), so a wrong index
        // shows here (unless the environment sets the option).
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads a number from mimalloc's option table.
            let delay = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
            assert_eq!(delay, 1000);
        }
    }
}
