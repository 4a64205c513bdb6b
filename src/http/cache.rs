//! Cache headers: public answers to anonymous GETs carry an `ETag` and may be kept briefly
//! by shared caches (and revalidated with `If-None-Match`); everything else is private.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::respond::MediaType;

/// How long shared caches may keep public answers: live status moves in minutes.
const PUBLIC_CACHE: &str = "public, max-age=5";
/// A public answer depends on these request headers besides the URL (compression adds
/// `Accept-Encoding` itself): a cache must not hand a token holder's request an
/// anonymous answer, nor one media type's answer to a client asking for another.
const VARY: &str = "authorization, accept";

/// A weak tag of the body. `DefaultHasher::new()` has fixed keys, so every instance of a
/// deployment tags the same body alike.
fn entity_tag(body: &[u8]) -> HeaderValue {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    hasher.write(body);
    HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish())).expect("a hex tag is a valid header")
}

/// The response for a GraphQL answer, with the cache headers its kind calls for.
pub fn respond(
    status: StatusCode,
    media: MediaType,
    body: Vec<u8>,
    cacheable: bool,
    request: &HeaderMap,
) -> Response {
    if !cacheable {
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, media.content_type());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        return response;
    }
    let etag = entity_tag(&body);
    let mut response = if request.get(header::IF_NONE_MATCH) == Some(&etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, media.content_type());
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
    headers.insert(header::ETAG, etag);
    headers.append(header::VARY, HeaderValue::from_static(VARY));
    response
}
