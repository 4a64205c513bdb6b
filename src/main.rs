use clap::Parser;

// mimalloc keeps the many small allocations of GraphQL execution fast and returns memory
// to the system instead of letting per-thread arenas grow.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = yizhan::cli::Cli::parse();
    yizhan::cli::init_tracing();
    // A huge page is resident whole once any of it is used, and the directory's partly
    // used 2 MiB regions then held 30 MB more at a million places (bench/RESULTS.md).
    // mimalloc's `no_thp` stops it asking for them; this stops hosts that give them
    // unasked (`always`) giving them.
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::warn!(%error, "could not turn transparent huge pages off; memory use may be higher");
    }
    match cli.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("yizhan: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
