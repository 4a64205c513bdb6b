//! The application state: everything the request handlers share, built once by
//! `App::build`. Handlers reach nothing else; nothing reaches for globals.

use std::{
    sync::{Arc, atomic::AtomicU64},
    time::Duration,
};

use crate::{
    auth::Authenticator,
    domain::Domain,
    graphql::{
        AppSchema,
        prepare::{Documents, Prepared},
    },
    metrics::Metrics,
    throttle::Throttle,
};

/// What bounds one request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Reads are stopped after this long (writes run to the end).
    pub request_timeout: Duration,
    /// The largest request body, and the largest WebSocket message.
    pub max_body_bytes: usize,
}

/// What every request handler may use: one shared value, so the extractors and middleware
/// that clone it for every request touch one reference count, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of the application state.
pub struct Shared {
    /// The domain handle (database, directory, rules), also in the schema's data for
    /// resolvers; handlers use it for probes, metrics and idempotency keys.
    pub domain: Domain,
    /// Verifies bearer tokens, for HTTP requests and WebSocket `connection_init` alike.
    pub auth: Arc<Authenticator>,
    /// The GraphQL schema; one serves HTTP and WebSocket operations, so they cannot drift.
    pub schema: AppSchema,
    /// The same schema, checking only what depends on the request (variables, depth and
    /// complexity): for queries whose document passed every rule before (`prepare`).
    pub validated_schema: AppSchema,
    /// Parsed documents and persisted queries, shared by every request and connection.
    pub documents: Documents,
    /// SQL statements run on behalf of requests (the directory's follower has its own
    /// connection): a metric, and how the tests show nested fields load in batches.
    pub statements: Arc<AtomicU64>,
    /// Time and size limits of a request.
    pub limits: Limits,
    /// Each caller's budget of reads and writes.
    pub throttle: Arc<Throttle>,
    /// What `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Changes once when the server begins to shut down: WebSockets close with 1001.
    pub shutdown: tokio::sync::watch::Receiver<()>,
}

impl AppState {
    /// The state handlers share, from its parts.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// The schema a prepared operation runs on: the one that checks only its variables
    /// when its document was validated before (counted), else the fully validating one.
    pub fn schema_for(&self, prepared: &Prepared) -> &AppSchema {
        if prepared.validated {
            self.metrics.validation_reused();
            &self.validated_schema
        } else {
            &self.schema
        }
    }

    /// Every minute while the app serves: forgets idle callers' budgets and writes the
    /// demand counted since the last minute.
    pub fn spawn_housekeeping(&self) -> tokio::task::JoinHandle<()> {
        let throttle = self.throttle.clone();
        let domain = self.domain.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(60));
            loop {
                ticker.tick().await;
                throttle.forget_idle();
                if let Err(error) = domain.demand.flush(&domain.db).await {
                    tracing::warn!(error = %error, "could not write demand counts; keeping them for the next minute");
                }
            }
        })
    }
}
