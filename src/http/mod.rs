//! The HTTP face of yizhan: GraphQL over HTTP on `/graphql` (POST, and GET for queries),
//! GraphiQL for browsers, graphql-transport-ws on `/graphql/ws`, and the health probes.
//!
//! The stock async-graphql-axum handler answers 200 to everything; this one follows the
//! GraphQL-over-HTTP spec: `application/graphql-response+json` (or `application/json` for
//! older clients), 4xx for requests refused before execution (200 with the errors for
//! clients that accept only `application/json`), 405 for a mutation sent by GET, 415 for a
//! body that is neither JSON nor a GraphQL multipart upload, 413 past the body limit.
//! Photos are served from the media store on `/media/{key}`.

mod cache;
mod exports;
mod graphiql;
mod graphql;
mod health;
mod media;
mod metrics;
mod respond;
mod upload;
mod ws;

use axum::{Router, body::Body, routing::get};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{error::AppError, state::AppState};

/// The most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;

/// The routes, their middleware and the state they share.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        .route("/exports/places.csv", get(exports::places_csv))
        .route("/exports/places.geojson", get(exports::places_geojson))
        .route("/exports/visits.csv", get(exports::visits_csv))
        .route("/exports/gaps.geojson", get(exports::gaps_geojson))
        .route("/media/{*key}", get(media::serve))
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
