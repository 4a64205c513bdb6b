//! Every `YIZHAN_*` variable, read once at start-up. A bad value stops the process with a
//! message naming the variable and the form it expects.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use crate::{
    auth::AuthSettings,
    domain::{
        Rules,
        geo::TravelSpeeds,
        photos::{BucketSettings, MediaSettings},
    },
    throttle::RateLimits,
};

/// An embedded SQLite file in the working folder, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://yizhan.db?mode=rwc";

/// The whole configuration of one process. The app hands each part to the layer it
/// belongs to: `rules` to the domain, `auth` to the token verifier, the limits to HTTP.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to serve on (`YIZHAN_LISTEN`).
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…` (`YIZHAN_DATABASE_URL`).
    pub database_url: String,
    /// Development or production (`YIZHAN_ENV`).
    pub environment: Environment,
    /// Load the Feicheng demo network into an empty database at start-up.
    pub load_demo: bool,
    /// Reads are stopped after this long.
    pub request_timeout: Duration,
    /// The largest request body, and the largest WebSocket message.
    pub max_body_bytes: usize,
    /// The size of the request connection pool.
    pub db_max_connections: u32,
    /// The network's adjustable rules: service area, review distance, travel speeds,
    /// status durations.
    pub rules: Rules,
    /// How often the directory polls the change log for other instances' writes (on
    /// PostgreSQL a notification usually wakes it sooner).
    pub sync_interval: Duration,
    /// How long change-log entries, and so delta-sync cursors, stay valid.
    pub change_retention_days: u32,
    /// Where the directory's snapshot is kept, so a restart resumes from it; none by default.
    pub snapshot_file: Option<PathBuf>,
    /// How often the follower rewrites the snapshot while changes arrive.
    pub snapshot_interval: Duration,
    /// Operations per caller per minute, and which proxies to believe.
    pub rate_limits: RateLimits,
    /// How long requests in flight may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// How bearer tokens are verified (secrets redacted in `Debug`).
    pub auth: AuthSettings,
    /// Where storefront photos are kept and how their URLs read.
    pub media: MediaSettings,
}

/// Where the process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// A development secret signs tokens when no key is configured.
    Development,
    /// A signing key is required.
    Production,
}

/// The database behind `YIZHAN_DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A setting that cannot be used, naming the variable and the form it expects.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    variable: &'static str,
    problem: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can configure a server without touching
    /// the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&lookup);
        let defaults = TravelSpeeds::default();
        let database_url = vars
            .text("YIZHAN_DATABASE_URL")
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let environment = match vars.text("YIZHAN_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(_) => return Err(vars.error("YIZHAN_ENV", "expected development or production")),
        };
        let config = Self {
            listen: vars
                .parsed("YIZHAN_LISTEN", "a socket address such as 127.0.0.1:8080")?
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            auth: AuthSettings {
                trust_file: vars.text("YIZHAN_TRUST_FILE").map(PathBuf::from),
                secret: vars.text("YIZHAN_JWT_SECRET"),
                public_key_file: vars.text("YIZHAN_JWT_PUBLIC_KEY_FILE").map(PathBuf::from),
                jwks_file: vars.text("YIZHAN_JWT_JWKS_FILE").map(PathBuf::from),
                issuer: vars.text("YIZHAN_JWT_ISSUER"),
                audience: vars.text("YIZHAN_JWT_AUDIENCE"),
                leeway: vars
                    .seconds("YIZHAN_JWT_LEEWAY_SECS")?
                    .unwrap_or(Duration::from_secs(30)),
                dev_secret_path: dev_secret_path(&database_url),
                key_required: environment == Environment::Production,
            },
            media: MediaSettings {
                dir: vars
                    .text("YIZHAN_MEDIA_DIR")
                    .map_or_else(|| default_media_dir(&database_url), PathBuf::from),
                base_url: vars
                    .text("YIZHAN_MEDIA_BASE_URL")
                    .unwrap_or_else(|| "/media".to_owned()),
                bucket: match vars.text("YIZHAN_MEDIA_BUCKET_URL") {
                    None => None,
                    Some(url) => Some(BucketSettings {
                        url,
                        endpoint: vars.text("YIZHAN_MEDIA_BUCKET_ENDPOINT"),
                        region: vars.text("YIZHAN_MEDIA_BUCKET_REGION"),
                        access_key_id: vars.text("YIZHAN_MEDIA_BUCKET_ACCESS_KEY_ID"),
                        secret_access_key: vars.text("YIZHAN_MEDIA_BUCKET_SECRET_ACCESS_KEY"),
                        virtual_hosted: vars.flag("YIZHAN_MEDIA_BUCKET_VIRTUAL_HOSTED")?.unwrap_or(false),
                    }),
                },
            },
            database_url,
            environment,
            load_demo: vars.flag("YIZHAN_LOAD_DEMO")?.unwrap_or(true),
            request_timeout: Duration::from_secs(vars.ranged(
                "YIZHAN_REQUEST_TIMEOUT_SECS",
                "a whole number of seconds",
                1..=300,
                10,
            )?),
            max_body_bytes: vars.ranged(
                "YIZHAN_MAX_BODY_BYTES",
                "a number of bytes",
                1_024..=64 << 20,
                64 * 1024,
            )?,
            db_max_connections: vars.ranged(
                "YIZHAN_DB_MAX_CONNECTIONS",
                "a number of connections",
                1..=1_000,
                10,
            )?,
            rules: Rules {
                travel: TravelSpeeds {
                    walk_kmh: vars
                        .parsed("YIZHAN_WALK_KMH", "a speed in km/h")?
                        .unwrap_or(defaults.walk_kmh),
                    ebike_kmh: vars
                        .parsed("YIZHAN_EBIKE_KMH", "a speed in km/h")?
                        .unwrap_or(defaults.ebike_kmh),
                    car_kmh: vars
                        .parsed("YIZHAN_CAR_KMH", "a speed in km/h")?
                        .unwrap_or(defaults.car_kmh),
                    detour_factor: vars
                        .parsed("YIZHAN_DETOUR_FACTOR", "a factor of at least 1.0")?
                        .unwrap_or(defaults.detour_factor),
                }
                .validated()
                .map_err(|problem| vars.error("YIZHAN_*_KMH / YIZHAN_DETOUR_FACTOR", problem))?,
                service_area: vars.parsed(
                    "YIZHAN_SERVICE_AREA",
                    "south,west,north,east in degrees, such as 35.9,116.4,36.4,117.1",
                )?,
                review_move_meters: vars.ranged(
                    "YIZHAN_REVIEW_MOVE_METERS",
                    "a distance in metres",
                    1.0..=100_000.0,
                    300.0,
                )?,
                status_default_minutes: vars.ranged(
                    "YIZHAN_STATUS_DEFAULT_MINUTES",
                    "a number of minutes",
                    1..=10_080,
                    120,
                )?,
                status_max_minutes: vars.ranged(
                    "YIZHAN_STATUS_MAX_MINUTES",
                    "a number of minutes",
                    1..=10_080,
                    480,
                )?,
                loan_pii_retention_days: vars.ranged(
                    "YIZHAN_LOAN_PII_RETENTION_DAYS",
                    "a number of days",
                    1..=3_650,
                    90,
                )?,
            },
            sync_interval: Duration::from_millis(vars.ranged(
                "YIZHAN_SYNC_INTERVAL_MS",
                "a number of milliseconds",
                10..=60_000,
                500,
            )?),
            change_retention_days: vars.ranged(
                "YIZHAN_CHANGE_RETENTION_DAYS",
                "a number of days",
                1..=3_650,
                30,
            )?,
            snapshot_file: vars.text("YIZHAN_SNAPSHOT_FILE").map(PathBuf::from),
            snapshot_interval: Duration::from_secs(vars.ranged(
                "YIZHAN_SNAPSHOT_INTERVAL_SECS",
                "a whole number of seconds",
                1..=86_400,
                600,
            )?),
            shutdown_grace: Duration::from_secs(vars.ranged(
                "YIZHAN_SHUTDOWN_GRACE_SECS",
                "a whole number of seconds",
                0..=600,
                10,
            )?),
            rate_limits: RateLimits {
                reads_per_minute: vars.ranged(
                    "YIZHAN_RATE_READS_PER_MINUTE",
                    "a number of requests",
                    1..=10_000_000,
                    1_200,
                )?,
                writes_per_minute: vars.ranged(
                    "YIZHAN_RATE_WRITES_PER_MINUTE",
                    "a number of mutations",
                    1..=10_000_000,
                    120,
                )?,
                trusted_proxies: vars
                    .text("YIZHAN_TRUSTED_PROXIES")
                    .map(|list| {
                        list.split(',')
                            .map(|address| {
                                address.trim().parse().map_err(|_| {
                                    vars.error(
                                        "YIZHAN_TRUSTED_PROXIES",
                                        format!("expected IP addresses separated by commas, got {address:?}"),
                                    )
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()?
                    .unwrap_or_default(),
            },
        };
        let rules = &config.rules;
        if rules.status_default_minutes > rules.status_max_minutes {
            return Err(vars.error(
                "YIZHAN_STATUS_DEFAULT_MINUTES",
                format!(
                    "the default expiry ({} minutes) exceeds YIZHAN_STATUS_MAX_MINUTES ({})",
                    rules.status_default_minutes, rules.status_max_minutes
                ),
            ));
        }
        Ok(config)
    }

    /// SQLite or PostgreSQL, from the URL's scheme.
    pub fn database_kind(&self) -> DatabaseKind {
        database_kind(&self.database_url)
    }
}

fn database_kind(database_url: &str) -> DatabaseKind {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        DatabaseKind::Postgres
    } else {
        DatabaseKind::Sqlite
    }
}

/// Where the development signing secret lives when no key is configured: beside the
/// SQLite file, or in the working folder for PostgreSQL.
fn dev_secret_path(database_url: &str) -> PathBuf {
    match database_kind(database_url) {
        DatabaseKind::Postgres => PathBuf::from("yizhan-dev.jwt-secret"),
        DatabaseKind::Sqlite => {
            let path = database_url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or_default();
            PathBuf::from(format!("{path}.jwt-secret"))
        }
    }
}

/// Where photos are kept by default: a `yizhan-media` folder beside the SQLite file, or in
/// the working folder for PostgreSQL.
fn default_media_dir(database_url: &str) -> PathBuf {
    let folder = PathBuf::from("yizhan-media");
    match database_kind(database_url) {
        DatabaseKind::Postgres => folder,
        DatabaseKind::Sqlite => {
            let secret = dev_secret_path(database_url);
            match secret.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.join(folder),
                _ => folder,
            }
        }
    }
}

struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn text(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|value| !value.trim().is_empty())
    }

    fn error(&self, variable: &'static str, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            variable,
            problem: problem.into(),
        }
    }

    fn parsed<T: std::str::FromStr>(
        &self,
        name: &'static str,
        expected: &str,
    ) -> Result<Option<T>, ConfigError> {
        self.text(name)
            .map(|value| {
                value
                    .trim()
                    .parse()
                    .map_err(|_| self.error(name, format!("expected {expected}, got {value:?}")))
            })
            .transpose()
    }

    /// A number within `range`, or `default` when unset. Zero intervals, empty limits and
    /// absurd values stop the start with the variable named, instead of a panic later.
    fn ranged<T>(
        &self,
        name: &'static str,
        expected: &str,
        range: std::ops::RangeInclusive<T>,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
    {
        let value = self.parsed(name, expected)?.unwrap_or(default);
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(self.error(
                name,
                format!(
                    "expected {expected} from {} to {}, got {value}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    fn seconds(&self, name: &'static str) -> Result<Option<Duration>, ConfigError> {
        Ok(self
            .parsed::<u64>(name, "a whole number of seconds")?
            .map(Duration::from_secs))
    }

    fn flag(&self, name: &'static str) -> Result<Option<bool>, ConfigError> {
        match self.text(name).as_deref() {
            None => Ok(None),
            Some("1" | "true" | "yes") => Ok(Some(true)),
            Some("0" | "false" | "no") => Ok(Some(false)),
            Some(other) => Err(self.error(name, format!("expected true or false, got {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_kept_beside_the_sqlite_file_or_in_the_working_folder() {
        assert_eq!(
            default_media_dir("sqlite:///srv/yizhan/yizhan.db?mode=rwc"),
            PathBuf::from("/srv/yizhan/yizhan-media")
        );
        for url in [DEFAULT_DATABASE_URL, "postgres://u@h/db"] {
            assert_eq!(default_media_dir(url), PathBuf::from("yizhan-media"));
        }
    }
}
