//! `GET /media/{key}`: photos from the media store. Keys are content hashes, so an answer
//! never changes and may be cached for a year; a removed photo's key answers 404.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::respond::{MediaType, refusal};
use crate::{error::AppError, state::AppState};

/// Keys never change what they name.
const FOREVER: &str = "public, max-age=31536000, immutable";

/// Serves a stored photo or thumbnail, answering `If-None-Match` with 304.
pub async fn serve(State(state): State<AppState>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let found = match state.domain.media.get(&key).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            let error = AppError::NotFound(format!("no photo is stored under {key:?}"));
            return refusal(MediaType::Json, &error);
        }
        Err(error) => return refusal(MediaType::Json, &error),
    };
    // The key's hash part is the content's identity.
    let stem = key.rsplit('/').next().unwrap_or_default();
    let tag = HeaderValue::from_str(&format!("\"{}\"", stem.replace('.', "-")))
        .expect("a photo key is a valid header");
    let mut response = if headers.get(header::IF_NONE_MATCH).is_some_and(|asked| {
        asked
            .as_bytes()
            .split(|b| *b == b',')
            .any(|one| one.trim_ascii() == tag.as_bytes())
    }) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = found.bytes.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(found.media_type));
        response
    };
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(FOREVER));
    out.insert(header::ETAG, tag);
    out.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}
