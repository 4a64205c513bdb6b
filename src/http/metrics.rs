//! `GET /metrics` and the middleware that times every request; the instruments themselves
//! live in `crate::metrics`.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{metrics::Readings, state::AppState};

/// Times every request and counts those in flight.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let metrics = state.metrics.clone();
    metrics.request_began();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.request_ended(route, response.status().as_u16(), started.elapsed());
    response
}

/// The scrape endpoint.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let directory = &state.domain.directory;
    let db = &state.domain.db;
    let (database_connections, database_idle) = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let readings = Readings {
        directory_places: directory.len(),
        directory_restored: directory.restored_from_snapshot(),
        change_log_lag: directory.head_seen() - directory.applied(),
        database_connections,
        database_idle,
        rate_limit_callers: state.throttle.tracked(),
    };
    let Ok(body) = state.metrics.render(readings) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
