//! `GET /exports/places.csv`, `/exports/places.geojson` and `/exports/visits.csv?from=&to=`
//! for admins (bearer token). Each answer is streamed batch by batch as the database
//! yields rows (`domain::stations::exports`), so an export of any size holds one batch in
//! memory. A failure mid-stream aborts the connection: a truncated file never looks whole.

use std::collections::HashMap;

use axum::{
    body::{Body, Bytes},
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};

use super::{
    graphql::{header_text, viewer_from},
    respond::{MediaType, refusal},
};
use crate::{
    domain::{
        Domain,
        stations::{exports, stats},
    },
    error::{AppError, AppResult},
    graphql::ids::{NodeType, global_id},
    state::AppState,
};

/// Checks the bearer token and that it is an admin's.
fn admit(state: &AppState, headers: &HeaderMap) -> AppResult<()> {
    let viewer = viewer_from(&state.auth, header_text(headers, header::AUTHORIZATION))?;
    exports::may_export(&viewer)
}

/// Where a streamed export stands.
enum Step {
    Start,
    After(i32),
    End,
    Done,
}

fn failed(error: AppError) -> std::io::Error {
    tracing::error!(error = ?error, "an export failed mid-stream");
    std::io::Error::other("the export failed")
}

/// Streams `head`, then each batch `next(after)` renders, then `tail`.
fn batches<F, Fut>(
    head: String,
    tail: &'static str,
    next: F,
) -> impl Stream<Item = Result<Bytes, std::io::Error>>
where
    F: Fn(i32) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = AppResult<Option<(String, i32)>>> + Send,
{
    stream::unfold((Step::Start, head, next), move |(step, head, next)| async move {
        match step {
            Step::Start => Some((Ok(Bytes::from(head)), (Step::After(0), String::new(), next))),
            Step::After(after) => match next(after).await {
                Ok(Some((chunk, last))) => Some((Ok(Bytes::from(chunk)), (Step::After(last), head, next))),
                Ok(None) => Some((Ok(Bytes::from_static(tail.as_bytes())), (Step::Done, head, next))),
                Err(error) => Some((Err(failed(error)), (Step::End, head, next))),
            },
            Step::End | Step::Done => None,
        }
    })
}

fn answer(content_type: &'static str, filename: &str, body: Body) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Every place, any publication state, as CSV.
pub async fn places_csv(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(error) = admit(&state, &headers) {
        return refusal(MediaType::Json, &error);
    }
    let domain = state.domain.clone();
    let body = batches(exports::places_header(), "", move |after| {
        let domain = domain.clone();
        async move { place_batch(&domain, after, exports::place_line, "").await }
    });
    answer("text/csv; charset=utf-8", "places.csv", Body::from_stream(body))
}

/// Every place, any publication state, as a GeoJSON FeatureCollection (WGS-84).
pub async fn places_geojson(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(error) = admit(&state, &headers) {
        return refusal(MediaType::Json, &error);
    }
    let domain = state.domain.clone();
    let head = r#"{"type":"FeatureCollection","features":["#.to_owned();
    let body = batches(head, "]}\n", move |after| {
        let domain = domain.clone();
        async move { place_batch(&domain, after, exports::place_feature, ",").await }
    });
    answer("application/geo+json", "places.geojson", Body::from_stream(body))
}

/// One batch of places after `after`, rendered and joined by `separator` (a comma between
/// GeoJSON features, nothing between CSV lines, which end in their own CRLF); a batch
/// after the first starts with the separator too.
async fn place_batch(
    domain: &Domain,
    after: i32,
    render: impl Fn(&str, &entity::place::Model) -> String,
    separator: &str,
) -> AppResult<Option<(String, i32)>> {
    let rows = exports::places_after(domain, after).await?;
    let Some(last) = rows.last().map(|place| place.id) else {
        return Ok(None);
    };
    let rendered: Vec<String> = rows
        .iter()
        .map(|place| render(global_id(NodeType::Place, place.id).as_str(), place))
        .collect();
    let lead = if after == 0 { "" } else { separator };
    Ok(Some((format!("{lead}{}", rendered.join(separator)), last)))
}

fn instant(query: &HashMap<String, String>, name: &str) -> AppResult<DateTime<Utc>> {
    let text = query.get(name).ok_or_else(|| {
        AppError::bad_input(format!(
            "add ?{name}= as an RFC 3339 time, such as 2026-11-01T00:00:00+08:00"
        ))
    })?;
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            AppError::bad_input(format!(
                "{name} {text:?} is not an RFC 3339 time, such as 2026-11-01T00:00:00+08:00"
            ))
        })
}

/// Visits in `[from, to)` as CSV: time, day, place and worker group, never the account.
pub async fn visits_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let range = admit(&state, &headers)
        .and_then(|()| stats::check_range(instant(&query, "from")?, instant(&query, "to")?));
    let (from, to) = match range {
        Ok(range) => range,
        Err(error) => return refusal(MediaType::Json, &error),
    };
    let domain = state.domain.clone();
    let body = batches(exports::visits_header(), "", move |after| {
        let domain = domain.clone();
        async move {
            let rows = exports::visits_after(&domain, from, to, after).await?;
            let Some(last) = rows.last().map(|(visit, _)| visit.id) else {
                return Ok(None);
            };
            let text: String = rows
                .iter()
                .map(|(visit, place)| {
                    exports::visit_line(
                        visit,
                        global_id(NodeType::Place, visit.place_id).as_str(),
                        place.as_ref(),
                    )
                })
                .collect();
            Ok(Some((text, last)))
        }
    });
    answer("text/csv; charset=utf-8", "visits.csv", Body::from_stream(body))
}
