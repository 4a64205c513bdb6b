//! The HTTP face of yizhan: GraphQL over HTTP on `/graphql` (POST, and GET for queries),
//! GraphiQL for browsers, graphql-transport-ws on `/graphql/ws`, and the health probes.
//!
//! The stock async-graphql-axum handler answers 200 to everything; this one follows the
//! GraphQL-over-HTTP spec: `application/graphql-response+json` (or `application/json` for
//! older clients), 4xx for requests refused before execution, 405 for a mutation sent by
//! GET, 415 for a body that is not JSON, 413 past the body limit.

use std::time::Duration;

use async_graphql::{BatchRequest, Data, ErrorExtensionValues, ServerError, http::ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    Router,
    body::{Body, Bytes},
    extract::{RawQuery, State, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    auth::Viewer,
    domain::Services,
    error::AppError,
    graphql::{
        AppSchema,
        prepare::{Documents, Refusal},
    },
};

mod graphiql;

/// The most operations one batched request may carry.
pub const MAX_BATCH: usize = 10;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    /// The same schema with the alias cap as an extension, for WebSocket operations,
    /// which do not pass through `Documents::prepare`.
    pub ws_schema: AppSchema,
    pub documents: Documents,
    pub services: Services,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .merge(graphiql::routes())
        .fallback(|| async { refusal(MediaType::Json, &AppError::NotFound("no such endpoint; GraphQL lives at /graphql".into())) })
        .with_state(state)
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

/// The response media type a client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponse,
    Json,
}

impl MediaType {
    /// The type to answer in; `None` when the client accepts neither.
    fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()) else {
            return Some(Self::Json);
        };
        let types: Vec<&str> = accept
            .split(',')
            .map(|part| part.split(';').next().unwrap_or_default().trim())
            .collect();
        if types.contains(&"application/graphql-response+json") {
            Some(Self::GraphqlResponse)
        } else if types
            .iter()
            .any(|t| matches!(*t, "application/json" | "application/*" | "*/*"))
        {
            Some(Self::Json)
        } else {
            None
        }
    }

    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => GRAPHQL_RESPONSE,
            Self::Json => JSON,
        })
    }
}

fn error_response(status: StatusCode, media: MediaType, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn not_acceptable() -> Response {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        "BAD_USER_INPUT",
        "yizhan answers application/graphql-response+json or application/json; set Accept accordingly",
    )
}

fn refusal(media: MediaType, error: &AppError) -> Response {
    error_response(error.http_status(), media, error.code(), &error.public_message())
}

/// The caller, from `Authorization: Bearer …`. A present but bad token is refused, never
/// treated as anonymous.
fn viewer_from(services: &Services, authorization: Option<&str>) -> Result<Viewer, AppError> {
    let Some(value) = authorization else {
        return Ok(Viewer::anonymous());
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            AppError::Unauthenticated("the Authorization header must be `Bearer <token>`".to_owned())
        })?;
    services.auth.verify(token).map(Viewer::authenticated)
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = MediaType::negotiate(&headers) else {
        return not_acceptable();
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "BAD_USER_INPUT",
            "send the request as JSON with Content-Type: application/json, for example {\"query\": \"{ me { role } }\"}",
        );
    }
    let viewer = match viewer_from(&state.services, header_text(&headers, header::AUTHORIZATION)) {
        Ok(viewer) => viewer,
        Err(error) => return refusal(media, &error),
    };
    let limit = state.services.config.max_body_bytes;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                "BAD_USER_INPUT",
                &format!("the request body is larger than {limit} bytes"),
            );
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                "BAD_USER_INPUT",
                &format!("the body is not a GraphQL request (a JSON object with a `query` string): {error}"),
            );
        }
    };
    execute(&state, media, viewer, batch, Method::POST, &headers).await
}

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let wants_html = header_text(&headers, header::ACCEPT).is_some_and(|accept| accept.contains("text/html"));
    if query.as_deref().is_none_or(str::is_empty) && wants_html {
        return graphiql::page();
    }
    let Some(media) = MediaType::negotiate(&headers) else {
        return not_acceptable();
    };
    let viewer = match viewer_from(&state.services, header_text(&headers, header::AUTHORIZATION)) {
        Ok(viewer) => viewer,
        Err(error) => return refusal(media, &error),
    };
    let request = match async_graphql::http::parse_query_string(query.as_deref().unwrap_or_default()) {
        Ok(request) => request,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                "BAD_USER_INPUT",
                &format!("the query string is not a GraphQL request (?query=…&variables=…): {error}"),
            );
        }
    };
    execute(
        &state,
        media,
        viewer,
        BatchRequest::Single(request),
        Method::GET,
        &headers,
    )
    .await
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Runs each operation of the request and shapes the HTTP response.
async fn execute(
    state: &AppState,
    media: MediaType,
    viewer: Viewer,
    batch: BatchRequest,
    method: Method,
    headers: &HeaderMap,
) -> Response {
    let requests = match batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(requests) if requests.is_empty() || requests.len() > MAX_BATCH => {
            return error_response(
                StatusCode::BAD_REQUEST,
                media,
                "BAD_USER_INPUT",
                &format!("a batch carries 1 to {MAX_BATCH} operations"),
            );
        }
        BatchRequest::Batch(requests) => requests,
    };
    let batched = requests.len() > 1;
    let anonymous = viewer.identity().is_none();
    let timeout = state.services.config.request_timeout;
    let mut outcomes = Vec::with_capacity(requests.len());
    for mut request in requests {
        match state.documents.prepare(&mut request, method == Method::GET) {
            Ok(()) => {}
            Err(Refusal::MutationViaGet) => {
                let mut response = error_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    media,
                    "BAD_USER_INPUT",
                    "mutations must be sent with POST",
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
            Err(Refusal::Invalid(error)) => {
                outcomes.push(async_graphql::Response::from_errors(vec![error]));
                continue;
            }
        }
        let request = request.data(viewer.clone());
        match tokio::time::timeout(timeout, state.schema.execute(request)).await {
            Ok(response) => outcomes.push(response),
            Err(_) => return timed_out(media, timeout),
        }
    }
    let mut status = StatusCode::OK;
    let mut any_error = false;
    let bodies: Vec<Vec<u8>> = outcomes
        .into_iter()
        .map(|mut response| {
            any_error |= !response.errors.is_empty();
            for error in &mut response.errors {
                default_code(error);
            }
            let body = if refused_before_execution(&response) {
                // There is no data entry at all.
                status = StatusCode::BAD_REQUEST;
                serde_json::to_vec(&json!({ "errors": response.errors }))
            } else {
                serde_json::to_vec(&response)
            };
            body.unwrap_or_else(|_| br#"{"errors":[{"message":"internal error"}]}"#.to_vec())
        })
        .collect();
    let body = if batched {
        [b"[".to_vec(), bodies.join(&b","[..]), b"]".to_vec()].concat()
    } else {
        bodies.concat()
    };
    let status = if batched { StatusCode::OK } else { status };
    // Public data fetched by GET may be cached briefly and revalidated by ETag; anything
    // personal, written or failed is not cached.
    let cacheable = method == Method::GET && anonymous && status == StatusCode::OK && !any_error;
    let etag = cacheable.then(|| entity_tag(&body));
    if let Some(etag) = &etag
        && headers
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            == Some(etag.as_str())
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
        response.headers_mut().insert(
            header::ETAG,
            HeaderValue::from_str(etag).expect("a hex tag is a valid header"),
        );
        return response;
    }
    let mut http = (status, body).into_response();
    let response_headers = http.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, media.content_type());
    match etag {
        Some(etag) => {
            response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
            response_headers.insert(
                header::ETAG,
                HeaderValue::from_str(&etag).expect("a hex tag is a valid header"),
            );
        }
        None => {
            response_headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
        }
    }
    http
}

/// How long shared caches may keep public answers: live status moves in minutes.
const PUBLIC_CACHE: &str = "public, max-age=5";

/// A weak tag of the body. `DefaultHasher::new()` has fixed keys, so every instance of a
/// deployment tags the same body alike.
fn entity_tag(body: &[u8]) -> String {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    hasher.write(body);
    format!("W/\"{:016x}\"", hasher.finish())
}

/// A request refused before execution (a document that does not parse or validate, bad
/// variables) has no data and only errors without a path; field errors always have one.
fn refused_before_execution(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// Every error leaves with a code. Resolvers set theirs; what remains comes from
/// async-graphql's own checks of the document and its arguments: the caller's input.
fn default_code(error: &mut ServerError) {
    let extensions = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_none() {
        extensions.set("code", "BAD_USER_INPUT");
    }
}

fn timed_out(media: MediaType, timeout: Duration) -> Response {
    error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        media,
        "INTERNAL",
        &format!(
            "the request took longer than {} s and was stopped; ask for fewer places or fields",
            timeout.as_secs()
        ),
    )
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.services.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

/// graphql-transport-ws. The token travels in `connection_init`'s payload as
/// `{"Authorization": "Bearer …"}` (or `{"token": "…"}`); a bad one closes the connection.
async fn graphql_ws(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.ws_schema.clone();
    let services = state.services.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let authorization = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|value| value.as_str())
                        .map(str::to_owned)
                        .or_else(|| {
                            payload
                                .get("token")
                                .and_then(|t| t.as_str())
                                .map(|token| format!("Bearer {token}"))
                        });
                    let viewer = viewer_from(&services, authorization.as_deref())
                        .map_err(|error| async_graphql::Error::new(error.public_message()))?;
                    let mut data = Data::default();
                    data.insert(viewer);
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}
