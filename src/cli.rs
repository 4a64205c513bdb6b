//! The `yizhan` command line.

use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use entity::place::WorkerGroup;
use tracing_subscriber::EnvFilter;

use crate::{
    app,
    auth::{Authenticator, Role},
    config::Config,
    graphql, seed,
};

/// yizhan (驿站): the GraphQL backend of a city's new-worker friendly network.
#[derive(Parser)]
#[command(name = "yizhan", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve GraphQL on `YIZHAN_LISTEN` (the default command).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the Feicheng demo network into an empty database, or add a synthetic city.
    Seed {
        /// Add this many generated, published places (the benchmark city) instead.
        #[arg(long, value_name = "N")]
        synthetic: Option<u32>,
    },
    /// Print a signed token that the server, under the same configuration, accepts.
    Token {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The account id (`sub` claim).
        #[arg(long)]
        sub: String,
        /// A worker's group, such as `DELIVERY_RIDER`.
        #[arg(long, value_parser = parse_group)]
        group: Option<WorkerGroup>,
        /// With `YIZHAN_TRUST_FILE`: the issuer (its `issuer` entry) to sign as; it needs a
        /// secret and may grant only its roles.
        #[arg(long)]
        issuer: Option<String>,
        /// How long the token lives, such as 30m, 1h or 7d.
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        ttl: Duration,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` holds exactly this.
    Schema,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Worker,
    Merchant,
    Operator,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Worker => Role::Worker,
            RoleArg::Merchant => Role::Merchant,
            RoleArg::Operator => Role::Operator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

fn parse_group(value: &str) -> Result<WorkerGroup, String> {
    serde_json::from_value(serde_json::Value::String(value.to_ascii_uppercase()))
        .map_err(|_| format!("{value:?} is not a worker group (DELIVERY_RIDER, COURIER, TRUCK_DRIVER, …)"))
}

fn parse_ttl(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value)
        .map_err(|error| format!("{value:?} is not a duration such as 30m or 1h: {error}"))
}

impl Cli {
    /// Runs the command the arguments name.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => app::App::build(Config::from_env()?).await?.run().await,
            Command::Migrate => {
                let config = Config::from_env()?;
                app::migrate(&app::connect(&config).await?).await?;
                println!("migrations applied to {}", app::redact(&config.database_url));
                Ok(())
            }
            Command::Seed { synthetic } => {
                let config = Config::from_env()?;
                let db = app::connect(&config).await?;
                app::migrate(&db).await?;
                match synthetic {
                    Some(count) => {
                        seed::synthetic::insert(&db, count)
                            .await
                            .context("adding synthetic places")?;
                        println!("added {count} synthetic places");
                    }
                    None if seed::load_demo_if_empty(&db).await? => {
                        println!("loaded the Feicheng demo network")
                    }
                    None => println!("the database already holds places; nothing loaded"),
                }
                Ok(())
            }
            Command::Token {
                role,
                sub,
                group,
                issuer,
                ttl,
            } => {
                let config = Config::from_env()?;
                let auth = Authenticator::new(&config.auth)?;
                if let Some(path) = auth.development_secret() {
                    eprintln!(
                        "warning: signing with the DEVELOPMENT secret in {}",
                        path.display()
                    );
                }
                println!(
                    "{}",
                    auth.mint_for(issuer.as_deref(), &sub, role.into(), group, ttl)?
                );
                Ok(())
            }
            Command::Schema => {
                print!("{}", graphql::sdl());
                Ok(())
            }
        }
    }
}

/// Logs to stderr; `YIZHAN_LOG` filters (default `info`), `YIZHAN_LOG_FORMAT=json` for
/// machine-read logs.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_env("YIZHAN_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("YIZHAN_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
