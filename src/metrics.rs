//! The instruments `GET /metrics` reports in the Prometheus text format (`prometheus-client`,
//! a registry per app, so several servers in one process keep apart). Counters and
//! histograms are recorded as requests pass; gauges of the directory, the database pool,
//! the change-log lag and the rate limits are read when scraped.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

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
    validations_reused: Counter,
    planned: Counter,
    websocket_connections: Gauge,
    websocket_operations: Gauge,
    directory_places: Gauge,
    directory_restored: Gauge,
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

/// What is read at scrape time, from parts the metrics do not own.
#[derive(Clone, Copy, Debug)]
pub struct Readings {
    /// Published places in the directory.
    pub directory_places: usize,
    /// Whether the directory came from its snapshot file rather than from the database.
    pub directory_restored: bool,
    /// Change-log positions the directory is behind the head it last saw.
    pub change_log_lag: i64,
    /// Connections in the database pool.
    pub database_connections: u32,
    /// Idle connections in the database pool.
    pub database_idle: usize,
    /// Callers whose rate-limit state is held.
    pub rate_limit_callers: usize,
}

impl Metrics {
    /// A fresh registry with every instrument at zero.
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
        let directory_restored = gauge(
            "directory_restored_from_snapshot",
            "1 when the directory started from its snapshot file, 0 when it read the database",
        );
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
        let validations_reused = Counter::default();
        registry.register(
            "graphql_validations_reused",
            "Queries whose document passed every validation rule before, so only their variables were checked",
            validations_reused.clone(),
        );
        let planned = Counter::default();
        registry.register(
            "graphql_operations_planned",
            "Queries answered by their document's compiled plan rather than the general executor",
            planned.clone(),
        );
        Arc::new(Self {
            registry,
            operations,
            latency,
            in_flight,
            rate_limited,
            validations_reused,
            planned,
            websocket_connections,
            websocket_operations,
            directory_places,
            directory_restored,
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

    /// Counts a request or operation refused by the rate limits.
    pub fn rate_limited(&self) {
        self.rate_limited.inc();
    }

    /// Counts a query that reused its document's earlier validation.
    pub fn validation_reused(&self) {
        self.validations_reused.inc();
    }

    /// Counts a query answered by a compiled plan.
    pub fn planned(&self) {
        self.planned.inc();
    }

    /// Counts an HTTP request being answered.
    pub fn request_began(&self) {
        self.in_flight.inc();
    }

    /// Records an answered request's route, status and time.
    pub fn request_ended(&self, route: String, status: u16, took: Duration) {
        self.in_flight.dec();
        self.latency
            .get_or_create(&RouteLabels {
                route,
                status: status.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// The text exposition of every instrument, with the gauges set from `readings`.
    pub fn render(&self, readings: Readings) -> Result<String, std::fmt::Error> {
        set(&self.directory_places, readings.directory_places);
        set(&self.directory_restored, u32::from(readings.directory_restored));
        set(&self.change_log_lag, readings.change_log_lag.max(0));
        set(&self.database_connections, readings.database_connections);
        set(&self.database_idle, readings.database_idle);
        set(&self.rate_limit_callers, readings.rate_limit_callers);
        let mut body = String::new();
        encode(&mut body, &self.registry)?;
        Ok(body)
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

fn set(gauge: &Gauge, value: impl TryInto<i64>) {
    gauge.set(value.try_into().unwrap_or(i64::MAX));
}
