//! The application shell: connect, migrate, load the directory, build the schema and the
//! router, bind. Tests go through exactly this path on `127.0.0.1:0`.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use anyhow::Context as _;
use async_graphql::ValidationMode;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use tokio::net::TcpListener;

use crate::{
    auth::Authenticator,
    config::{Config, DatabaseKind},
    domain::{
        Domain, calendar,
        directory::{self, Directory, SnapshotFile},
        photos::Media,
    },
    graphql::{prepare::Documents, schema_builder},
    http::router,
    metrics::Metrics,
    seed,
    state::{AppState, Limits, Shared},
    throttle::Throttle,
};

/// A server, bound and ready: `run` serves until the process is told to stop.
pub struct App {
    listener: TcpListener,
    router: axum::Router,
    /// The connection the directory's follower reads the change log on, while the app serves.
    sync_db: DatabaseConnection,
    /// Tells open WebSockets that the server is shutting down.
    shutdown: tokio::sync::watch::Sender<()>,
    /// What the handlers share, for the tasks that run beside them.
    state: AppState,
    /// How the directory's follower runs.
    follow: directory::follow::Settings,
    /// How long requests in flight may finish after the stop signal.
    shutdown_grace: std::time::Duration,
}

impl App {
    /// Connects, migrates, loads the demo network into an empty database when asked,
    /// loads the directory, builds the schema and the router, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let auth = Authenticator::new(&config.auth)?;
        if let Some(path) = auth.development_secret() {
            tracing::warn!(
                secret = %path.display(),
                "DEVELOPMENT MODE: tokens are signed with a development secret kept beside the database. \
                 Anyone who can read that file can sign in as anyone. Configure YIZHAN_JWT_SECRET, \
                 YIZHAN_JWT_PUBLIC_KEY_FILE or YIZHAN_JWT_JWKS_FILE for real use."
            );
        }
        let mut db = connect(&config).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        migrate(&db).await?;
        if config.load_demo && seed::load_demo_if_empty(&db).await? {
            tracing::info!("loaded the Feicheng demo network");
        }
        let calendar = calendar::load(&db)
            .await
            .map_err(|error| anyhow::anyhow!("loading the work calendar: {error:?}"))?;
        let snapshot = config.snapshot_file.clone().map(SnapshotFile::new);
        let directory = match &snapshot {
            Some(snapshot) => snapshot.load(&db, calendar).await,
            None => Directory::load(&db, calendar).await,
        }
        .map_err(|error| anyhow::anyhow!("loading the directory: {error:?}"))?;
        tracing::info!(published = directory.len(), "directory loaded");
        let directory = Arc::new(directory);
        // The sync has a connection of its own, so it never queues behind request traffic.
        let sync_db = connect(&Config {
            db_max_connections: 1,
            ..config.clone()
        })
        .await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("YIZHAN_LISTEN: cannot listen on {}", config.listen))?;
        let media = Media::open(&config.media).with_context(|| match &config.media.bucket {
            Some(bucket) => format!("YIZHAN_MEDIA_BUCKET_URL: cannot use {} for photos", bucket.url),
            None => format!(
                "YIZHAN_MEDIA_DIR: cannot use {} for photos",
                config.media.dir.display()
            ),
        })?;
        let domain = Domain {
            db,
            directory,
            rules: config.rules,
            demand: Arc::default(),
            media,
        };
        let schema = schema_builder().data(domain.clone()).finish();
        let validated_schema = schema_builder()
            .data(domain.clone())
            .validation_mode(ValidationMode::Fast)
            .finish();
        let (shutdown, shutting_down) = tokio::sync::watch::channel(());
        let state = AppState::new(Shared {
            domain,
            auth: Arc::new(auth),
            schema,
            validated_schema,
            documents: Documents::default(),
            statements,
            limits: Limits {
                request_timeout: config.request_timeout,
                max_body_bytes: config.max_body_bytes,
            },
            throttle: Throttle::new(&config.rate_limits),
            metrics: Metrics::new(),
            shutdown: shutting_down,
        });
        let router = router(state.clone());
        let follow = directory::follow::Settings {
            poll_interval: config.sync_interval,
            listen_url: (config.database_kind() == DatabaseKind::Postgres)
                .then(|| config.database_url.clone()),
            retention_days: config.change_retention_days,
            loan_pii_retention_days: state.domain.rules.loan_pii_retention_days,
            snapshot: snapshot.map(|snapshot| (snapshot, config.snapshot_interval)),
        };
        Ok(Self {
            listener,
            router,
            sync_db,
            shutdown,
            state,
            follow,
            shutdown_grace: config.shutdown_grace,
        })
    }

    /// The address the server listens on (its port, when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The state the handlers share: tests read its database, verifier and statement count.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process receives Ctrl-C or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        tracing::info!(address = %self.local_addr(), "yizhan is serving GraphQL at /graphql");
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` resolves, keeping the directory in sync meanwhile.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let snapshot = self.follow.snapshot.clone();
        let sync = directory::follow::spawn(self.sync_db, self.state.domain.directory.clone(), self.follow);
        let housekeeping = self.state.spawn_housekeeping();
        let shutdown = self.shutdown;
        let mut shutting_down = shutdown.subscribe();
        let stopping = async move {
            stop.await;
            tracing::info!("shutting down: finishing requests in flight, closing WebSockets");
            shutdown.send_replace(());
        };
        let serving = axum::serve(
            self.listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stopping);
        // Requests in flight get a grace period to finish; after it the process goes anyway.
        let grace = self.shutdown_grace;
        let served = tokio::select! {
            served = serving => served,
            () = async {
                let _ = shutting_down.changed().await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(seconds = grace.as_secs(), "requests still running after the grace period; stopping anyway");
                Ok(())
            }
        };
        // Let the WebSockets send their closing frames.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        sync.abort();
        housekeeping.abort();
        // The last snapshot, so the next start resumes from where this one stopped.
        if let Some((file, _)) = snapshot {
            let domain = &self.state.domain;
            if let Err(error) = file.save(&domain.db, &domain.directory).await {
                tracing::warn!(error = ?error, "could not write the directory snapshot");
            }
        }
        Ok(served?)
    }
}

/// A connection pool to the configured database; SQLite waits for its lock and keeps WAL.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    // While the database is down, requests that need it fail within seconds instead of
    // queueing for the pool; reads from the directory go on.
    options
        .max_connections(config.db_max_connections)
        .connect_timeout(std::time::Duration::from_secs(3))
        .acquire_timeout(std::time::Duration::from_secs(3))
        .sqlx_logging(false);
    if config.database_kind() == DatabaseKind::Sqlite {
        // One writer at a time is SQLite's rule; waiting for the lock beats failing.
        options.map_sqlx_sqlite_opts(|opts| {
            opts.busy_timeout(std::time::Duration::from_secs(10))
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .foreign_keys(true)
        });
    }
    Database::connect(options).await.with_context(|| {
        format!(
            "YIZHAN_DATABASE_URL: cannot connect to {}",
            redact(&config.database_url)
        )
    })
}

/// Brings the schema up to the latest migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("running database migrations")
}

/// A database URL fit for logs: without its password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
