//! The HTTP face of yizhan: GraphQL over HTTP on `/graphql` (POST, and GET for queries),
//! GraphiQL for browsers, graphql-transport-ws on `/graphql/ws`, and the health probes.
//!
//! The stock async-graphql-axum handler answers 200 to everything; this one follows the
//! GraphQL-over-HTTP spec: `application/graphql-response+json` (or `application/json` for
//! older clients), 4xx for requests refused before execution (200 with the errors for
//! clients that accept only `application/json`), 405 for a mutation sent by GET, 415 for a
//! body that is not JSON, 413 past the body limit.

mod cache;
mod graphiql;
mod graphql;
mod health;
mod metrics;
mod respond;
mod throttle;
mod ws;

use std::time::Duration;

use axum::{Router, body::Body, routing::get};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

pub use throttle::RateLimits;
use throttle::Throttle;

use crate::{
    auth::Authenticator,
    domain::Services,
    error::AppError,
    graphql::{AppSchema, prepare::Documents},
};

/// The most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;

/// What bounds one request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Reads are stopped after this long (writes run to the end).
    pub request_timeout: Duration,
    /// The largest request body, and the largest WebSocket message.
    pub max_body_bytes: usize,
}

/// What every request handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema, for HTTP and WebSocket operations alike.
    pub schema: AppSchema,
    /// Parsed documents and persisted queries, shared by every request.
    pub documents: Documents,
    /// The domain: database, directory, rules.
    pub services: Services,
    /// Verifies bearer tokens.
    pub auth: std::sync::Arc<Authenticator>,
    /// Time and size limits of a request.
    pub limits: Limits,
    /// Changes once when the server begins to shut down: WebSockets close with 1001.
    pub shutdown: tokio::sync::watch::Receiver<()>,
    /// Each caller's budget of reads and writes.
    pub throttle: std::sync::Arc<Throttle>,
    /// What `/metrics` reports.
    pub metrics: std::sync::Arc<metrics::Metrics>,
}

impl AppState {
    /// Builds the state; the limiters start empty.
    pub fn new(
        schema: AppSchema,
        services: Services,
        auth: std::sync::Arc<Authenticator>,
        limits: Limits,
        rate_limits: &RateLimits,
        shutdown: tokio::sync::watch::Receiver<()>,
    ) -> Self {
        Self {
            schema,
            documents: Documents::default(),
            services,
            auth,
            limits,
            shutdown,
            throttle: Throttle::new(rate_limits),
            metrics: metrics::Metrics::new(),
        }
    }

    /// Forgets idle callers' budgets every minute, while the app serves.
    pub fn spawn_housekeeping(&self) -> tokio::task::JoinHandle<()> {
        let throttle = self.throttle.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(60));
            loop {
                ticker.tick().await;
                throttle.forget_idle();
            }
        })
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .merge(graphiql::routes())
        .fallback(|| async {
            let error = AppError::NotFound("no such endpoint; GraphQL lives at /graphql".into());
            respond::refusal(respond::MediaType::Json, &error)
        })
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
        // Innermost, so that a panic's answer still leaves with the request id.
        .layer(CatchPanicLayer::custom(respond::panicked))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<Body>| {
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CompressionLayer::new())
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    use super::*;

    async fn boom() -> &'static str {
        panic!("a resolver went wrong")
    }

    #[tokio::test]
    async fn a_panic_in_a_handler_becomes_an_internal_answer_with_the_request_id() {
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(respond::panicked))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        assert!(response.headers().contains_key("x-request-id"));
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
        assert!(
            !body.to_string().contains("resolver went wrong"),
            "no internals leak"
        );
    }
}
