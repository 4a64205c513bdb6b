//! GraphQL over HTTP: POST (single or batched) and GET (queries only), following the
//! GraphQL-over-HTTP spec rather than async-graphql-axum's answer-200-to-everything.

use async_graphql::BatchRequest;
use std::net::SocketAddr;

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    MAX_BATCH, cache,
    respond::{MediaType, default_code, refusal},
    upload,
};
use crate::{
    auth::{Authenticator, Viewer},
    domain::idempotency::{self, Claim},
    error::AppError,
    graphql::prepare::Refusal,
    metrics::Outcome,
    state::AppState,
};

/// The caller, from `Authorization: Bearer …`. A present but bad token is refused, never
/// treated as anonymous.
pub fn viewer_from(auth: &Authenticator, authorization: Option<&str>) -> Result<Viewer, AppError> {
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
    auth.verify(token).map(Viewer::authenticated)
}

pub fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let media = match MediaType::negotiate(&headers) {
        Ok(media) => media,
        Err(error) => return refusal(MediaType::Json, &error),
    };
    let is_json = header_text(&headers, header::CONTENT_TYPE)
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    let is_multipart = upload::is_multipart(&headers);
    if !is_json && !is_multipart {
        return refusal(
            media,
            &AppError::UnsupportedMediaType(
                "send the request as JSON with Content-Type: application/json, for example {\"query\": \"{ me { role } }\"} (or, to upload a photo, as a GraphQL multipart request)"
                    .to_owned(),
            ),
        );
    }
    if is_multipart && let Err(error) = upload::require_preflight(&headers) {
        return refusal(media, &error);
    }
    let viewer = match viewer_from(&state.auth, header_text(&headers, header::AUTHORIZATION)) {
        Ok(viewer) => viewer,
        Err(error) => return refusal(media, &error),
    };
    let limit = if is_multipart {
        upload::body_limit(state.limits.max_body_bytes)
    } else {
        state.limits.max_body_bytes
    };
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let photo = if is_multipart {
                "; a photo is at most 8 MiB"
            } else {
                ""
            };
            let error =
                AppError::PayloadTooLarge(format!("the request body is larger than {limit} bytes{photo}"));
            return refusal(media, &error);
        }
    };
    let parsed = if is_multipart {
        upload::receive(&headers, &bytes).await
    } else {
        serde_json::from_slice(&bytes).map_err(|error| {
            AppError::bad_input(format!(
                "the body is not a GraphQL request (a JSON object with a `query` string): {error}"
            ))
        })
    };
    let batch: BatchRequest = match parsed {
        Ok(batch) => batch,
        Err(error) => return refusal(media, &error),
    };
    let key = headers
        .get("idempotency-key")
        .map(|value| value.to_str().unwrap_or("\u{fffd}"));
    let idempotency = match key {
        None => None,
        Some(key) => match idempotency::check_key(key) {
            Ok(key) => Some(Retry {
                key: key.to_owned(),
                hash: if is_multipart {
                    upload::retry_hash(&headers, &bytes)
                } else {
                    format!("{:x}", Sha256::digest(&bytes))
                },
            }),
            Err(error) => return refusal(media, &error),
        },
    };
    let call = Call {
        media,
        viewer,
        method: Method::POST,
        peer,
        idempotency,
    };
    execute(&state, call, batch, &headers).await
}

pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let wants_html = header_text(&headers, header::ACCEPT).is_some_and(|accept| accept.contains("text/html"));
    if query.as_deref().is_none_or(str::is_empty) && wants_html {
        return super::graphiql::page();
    }
    let media = match MediaType::negotiate(&headers) {
        Ok(media) => media,
        Err(error) => return refusal(MediaType::Json, &error),
    };
    let viewer = match viewer_from(&state.auth, header_text(&headers, header::AUTHORIZATION)) {
        Ok(viewer) => viewer,
        Err(error) => return refusal(media, &error),
    };
    let request = match async_graphql::http::parse_query_string(query.as_deref().unwrap_or_default()) {
        Ok(request) => request,
        Err(error) => {
            let error = AppError::bad_input(format!(
                "the query string is not a GraphQL request (?query=…&variables=…): {error}"
            ));
            return refusal(media, &error);
        }
    };
    let call = Call {
        media,
        viewer,
        method: Method::GET,
        peer,
        idempotency: None,
    };
    execute(&state, call, BatchRequest::Single(request), &headers).await
}

/// Who sent a request and how.
struct Call {
    media: MediaType,
    viewer: Viewer,
    method: Method,
    peer: SocketAddr,
    idempotency: Option<Retry>,
}

/// An `Idempotency-Key` and the hash of the body it came with.
struct Retry {
    key: String,
    hash: String,
}

/// The answer stored for a key, sent again as it was.
fn replayed(answer: idempotency::Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    if let Ok(content_type) = answer.content_type.parse() {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Runs the operations of a request and shapes the HTTP response. Reads are stopped at the
/// request's time limit, all operations of a batch together; a request with a mutation runs
/// to the end, so a write that committed is never reported as failed.
async fn execute(state: &AppState, call: Call, batch: BatchRequest, headers: &HeaderMap) -> Response {
    let Call {
        media,
        viewer,
        method,
        peer,
        idempotency,
    } = call;
    let requests = match batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(requests) if requests.is_empty() || requests.len() > MAX_BATCH => {
            let error = AppError::bad_input(format!("a batch carries 1 to {MAX_BATCH} operations"));
            return refusal(media, &error);
        }
        BatchRequest::Batch(requests) => requests,
    };
    if requests
        .iter()
        .any(|request| request.query.is_empty() && !request.extensions.contains_key("persistedQuery"))
    {
        let error = AppError::bad_input("every request needs a `query` (or a persisted-query hash)");
        return refusal(media, &error);
    }
    let batched = requests.len() > 1;
    let anonymous = viewer.identity().is_none();
    let mut prepared = Vec::with_capacity(requests.len());
    let mut writes = false;
    for mut request in requests {
        match state.documents.prepare(&mut request, method == Method::GET) {
            Ok(ready) => {
                writes |= ready.mutation;
                prepared.push(Ok((request.data(viewer.clone()), ready)));
            }
            Err(Refusal::MutationViaGet) => {
                return refusal(
                    media,
                    &AppError::MethodNotAllowed("mutations must be sent with POST".to_owned()),
                );
            }
            Err(Refusal::Invalid(error)) => {
                state
                    .metrics
                    .operation(request.operation_name.as_deref(), Outcome::Refused);
                prepared.push(Err(error));
            }
        }
    }
    let caller = state.throttle.caller(&viewer, peer, headers);
    if let Err(refused) = state.throttle.admit(&caller, prepared.len(), writes) {
        state.metrics.rate_limited();
        let mut response = refusal(media, &refused.error);
        response.headers_mut().insert(
            header::RETRY_AFTER,
            refused
                .retry_after
                .as_secs()
                .to_string()
                .parse()
                .expect("digits are a header value"),
        );
        return response;
    }
    let claimed = match idempotency.filter(|_| writes) {
        None => None,
        Some(retry) => {
            let account = viewer.identity().map_or_else(
                || "anonymous".to_owned(),
                |identity| format!("{}:{}", identity.role.claim(), identity.subject),
            );
            match idempotency::claim(&state.domain.db, &account, &retry.key, &retry.hash).await {
                Ok(Claim::Replay(answer)) => return replayed(answer),
                Ok(Claim::Fresh) => Some((account, retry.key)),
                Err(error) => return refusal(media, &error),
            }
        }
    };
    let run = async {
        let mut outcomes = Vec::with_capacity(prepared.len());
        for operation in prepared {
            match operation {
                Ok((mut request, ready)) => {
                    let name = ready.name.clone();
                    if let Some(plan) = ready.plan()
                        && let Some(body) = Box::pin(plan.answer(&request, &state.domain, &viewer)).await
                    {
                        state.metrics.validation_reused();
                        state.metrics.planned();
                        state.metrics.operation(name.as_deref(), Outcome::Ok);
                        // A persisted query's hash, new to the hash cache, is kept.
                        state.documents.remember(ready);
                        outcomes.push(Answer::Written(body));
                        continue;
                    }
                    // Boxed: an operation's future is many kilobytes (it can hold any root
                    // field's), and the handler's future is moved several times on its way.
                    ready.hand_document(&mut request);
                    let response = Box::pin(state.schema_for(&ready).execute(request)).await;
                    let outcome = if refused_before_execution(&response) {
                        Outcome::Refused
                    } else {
                        state.documents.remember(ready);
                        if response.errors.is_empty() {
                            Outcome::Ok
                        } else {
                            Outcome::Errors
                        }
                    };
                    state.metrics.operation(name.as_deref(), outcome);
                    outcomes.push(Answer::Executed(response));
                }
                Err(error) => outcomes.push(Answer::Executed(async_graphql::Response::from_errors(vec![
                    error,
                ]))),
            }
        }
        outcomes
    };
    let timeout = state.limits.request_timeout;
    let outcomes = if writes {
        run.await
    } else {
        match tokio::time::timeout(timeout, run).await {
            Ok(outcomes) => outcomes,
            Err(_) => {
                let error = AppError::TimedOut(format!(
                    "the request took longer than {} s and was stopped; ask for fewer places or fields",
                    timeout.as_secs()
                ));
                return refusal(media, &error);
            }
        }
    };
    let mut status = StatusCode::OK;
    let mut any_error = false;
    let bodies: Vec<Vec<u8>> = outcomes
        .into_iter()
        .map(|answer| {
            let mut response = match answer {
                Answer::Written(body) => return body,
                Answer::Executed(response) => response,
            };
            any_error |= !response.errors.is_empty();
            for error in &mut response.errors {
                default_code(error);
            }
            let body = if refused_before_execution(&response) {
                // There is no data entry at all.
                status = media.refused_status();
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
    if let Some((account, key)) = claimed {
        let answer = idempotency::Answer {
            status: status.as_u16(),
            content_type: media.content_type().to_str().unwrap_or_default().to_owned(),
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        if let Err(error) = idempotency::finish(&state.domain.db, &account, &key, &answer).await {
            tracing::warn!(error = ?error, "could not store the answer of an idempotent request");
        }
    }
    cache::respond(status, media, body, cacheable, headers)
}

/// An operation's answer: written by its document's plan, or executed by async-graphql.
enum Answer {
    Written(Vec<u8>),
    Executed(async_graphql::Response),
}

/// A request refused before execution (a document that does not parse or validate, bad
/// variables) has no data and only errors without a path; field errors always have one.
fn refused_before_execution(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}
