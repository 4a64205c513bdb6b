use clap::Parser;

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
