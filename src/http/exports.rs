//! `GET /exports/places.csv`, `/exports/places.geojson`, `/exports/visits.csv?from=&to=`
//! and `/exports/gaps.geojson?from=&to=` for admins (bearer token). Each answer is streamed batch by batch as the database
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
        geo::{TravelMode, Within},
        stations::{coverage, exports, stats},
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

/// The coverage gaps of `coverageGaps` as a GeoJSON `FeatureCollection` of cell centres:
/// `?from=&to=` (RFC 3339), `kinds=GRID_STATION,CITY_STATION` (any kind when omitted),
/// `minutes=10` and `mode=WALK|EBIKE|CAR` (10 minutes' walk by default), `first` (1 to
/// 1,000, default 100). A bounded list, so it is built whole.
pub async fn gaps_geojson(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match gaps_document(&state, &headers, &query).await {
        Ok(document) => answer("application/geo+json", "gaps.geojson", Body::from(document)),
        Err(error) => refusal(MediaType::Json, &error),
    }
}

async fn gaps_document(
    state: &AppState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> AppResult<String> {
    use sea_orm::ActiveEnum;
    let viewer = viewer_from(&state.auth, header_text(headers, header::AUTHORIZATION))?;
    exports::may_export(&viewer)?;
    let range = (instant(query, "from")?, instant(query, "to")?);
    let kinds = query
        .get("kinds")
        .map(|list| {
            list.split(',')
                .filter(|name| !name.is_empty())
                .map(|name| {
                    entity::place::PlaceKind::try_from_value(&name.to_owned())
                        .map_err(|_| AppError::bad_input(format!("kinds: {name:?} is not a PlaceKind")))
                })
                .collect::<AppResult<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    let minutes = match query.get("minutes") {
        Some(text) => text
            .parse::<f64>()
            .map_err(|_| AppError::bad_input(format!("minutes {text:?} is not a number")))?,
        None => 10.0,
    };
    let mode = match query.get("mode").map(String::as_str).unwrap_or("WALK") {
        "WALK" => TravelMode::Walk,
        "EBIKE" => TravelMode::Ebike,
        "CAR" => TravelMode::Car,
        other => return Err(AppError::bad_input(format!("mode {other:?}: WALK, EBIKE or CAR"))),
    };
    let first = match query.get("first").map(|text| text.parse::<usize>()) {
        None => 100,
        Some(Ok(first @ 1..=1_000)) => first,
        Some(_) => return Err(AppError::bad_input("first must be 1 to 1000")),
    };
    let within = Within::from_parts(None, Some(minutes), Some(mode))?;
    let gaps = coverage::gaps(&state.domain, &viewer, kinds, within, range, first).await?;
    let features: Vec<serde_json::Value> = gaps
        .iter()
        .map(|gap| {
            serde_json::json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [gap.centre.lng, gap.centre.lat] },
                "properties": { "demand": gap.demand, "nearestMeters": gap.nearest_meters },
            })
        })
        .collect();
    Ok(serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string())
}
