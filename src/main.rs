use clap::Parser;

// mimalloc keeps the many small allocations of GraphQL execution fast and returns memory
// to the system instead of letting per-thread arenas grow.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = yizhan::cli::Cli::parse();
    yizhan::cli::init_tracing();
    match cli.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("yizhan: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
