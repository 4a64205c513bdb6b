//! `GET /metrics` in the Prometheus text format (`prometheus-client`, a registry per app, so
//! several servers in one process keep apart). Counters and histograms are recorded as
//! requests pass; gauges of the directory, the database pool, the change-log lag and the
//! WebSockets are read when scraped.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use super::AppState;

/// Distinct operation names reported; later ones count as `other`, since clients choose them.
const MAX_OPERATION_NAMES: usize = 200;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    status: String,
}

/// The instruments of one app.
pub struct Metrics {
    registry: Registry,
    operations: Family<OperationLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    rate_limited: Counter,
    websocket_connections: Gauge,
    websocket_operations: Gauge,
    directory_places: Gauge,
    change_log_lag: Gauge,
    database_connections: Gauge,
    database_idle: Gauge,
    rate_limit_callers: Gauge,
    names: Mutex<HashSet<String>>,
}

/// The outcome of one GraphQL operation.
#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    /// Answered without errors.
    Ok,
    /// Answered with field errors.
    Errors,
    /// Refused before execution (a document that does not parse or validate).
    Refused,
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("yizhan");
        let operations = Family::<OperationLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.000_25, 2.0, 16,
            ))
        });
        registry.register(
            "graphql_operations",
            "GraphQL operations by operation name and outcome",
            operations.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by route and status",
            latency.clone(),
        );
        let mut gauge = |name: &str, help: &str| {
            let gauge = Gauge::default();
            registry.register(name, help, gauge.clone());
            gauge
        };
        let in_flight = gauge("http_requests_in_flight", "HTTP requests being answered");
        let websocket_connections = gauge("websocket_connections", "Open graphql-transport-ws connections");
        let websocket_operations = gauge(
            "websocket_operations",
            "Operations (mostly subscriptions) running over WebSockets",
        );
        let directory_places = gauge("directory_places", "Published places in the in-memory directory");
        let change_log_lag = gauge(
            "change_log_lag_positions",
            "How many change-log positions the directory is behind the head it last saw",
        );
        let database_connections = gauge("database_connections", "Connections in the database pool");
        let database_idle = gauge(
            "database_connections_idle",
            "Idle connections in the database pool",
        );
        let rate_limit_callers = gauge("rate_limit_callers", "Callers whose rate-limit state is held");
        let rate_limited = Counter::default();
        registry.register(
            "rate_limited_requests",
            "Requests and WebSocket operations refused by the rate limits",
            rate_limited.clone(),
        );
        Arc::new(Self {
            registry,
            operations,
            latency,
            in_flight,
            rate_limited,
            websocket_connections,
            websocket_operations,
            directory_places,
            change_log_lag,
            database_connections,
            database_idle,
            rate_limit_callers,
            names: Mutex::default(),
        })
    }

    /// Counts one GraphQL operation.
    pub fn operation(&self, name: Option<&str>, outcome: Outcome) {
        let name = match name {
            None => "anonymous".to_owned(),
            Some(name) => {
                let mut names = self.names.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if names.contains(name) || (names.len() < MAX_OPERATION_NAMES && name.len() <= 64) {
                    names.insert(name.to_owned());
                    name.to_owned()
                } else {
                    "other".to_owned()
                }
            }
        };
        let outcome = match outcome {
            Outcome::Ok => "ok",
            Outcome::Errors => "errors",
            Outcome::Refused => "refused",
        };
        self.operations
            .get_or_create(&OperationLabels {
                operation: name,
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Counts an open WebSocket until the returned guard drops.
    pub fn websocket(self: &Arc<Self>) -> GaugeGuard {
        GaugeGuard::new(self.clone(), |metrics| &metrics.websocket_connections)
    }

    /// Counts a running WebSocket operation until the returned guard drops.
    pub fn websocket_operation(self: &Arc<Self>) -> GaugeGuard {
        GaugeGuard::new(self.clone(), |metrics| &metrics.websocket_operations)
    }
}

/// Adds one to a gauge while it lives.
pub struct GaugeGuard {
    metrics: Arc<Metrics>,
    gauge: fn(&Metrics) -> &Gauge,
}

impl GaugeGuard {
    fn new(metrics: Arc<Metrics>, gauge: fn(&Metrics) -> &Gauge) -> Self {
        gauge(&metrics).inc();
        Self { metrics, gauge }
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        (self.gauge)(&self.metrics).dec();
    }
}

/// Times every request and counts those in flight.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let metrics = state.metrics.clone();
    metrics.in_flight.inc();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route,
            status: response.status().as_u16().to_string(),
        })
        .observe(started.elapsed().as_secs_f64());
    response
}

fn set(gauge: &Gauge, value: impl TryInto<i64>) {
    gauge.set(value.try_into().unwrap_or(i64::MAX));
}

/// The scrape endpoint.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let metrics = &state.metrics;
    let directory = &state.services.directory;
    set(&metrics.directory_places, directory.len());
    set(
        &metrics.change_log_lag,
        (directory.head_seen() - directory.applied()).max(0),
    );
    let db = &state.services.db;
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    set(&metrics.database_connections, size);
    set(&metrics.database_idle, idle);
    set(&metrics.rate_limit_callers, state.throttle.tracked());
    let mut body = String::new();
    if encode(&mut body, &metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
