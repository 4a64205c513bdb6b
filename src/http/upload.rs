//! GraphQL multipart requests (the spec of `graphql-multipart-request-spec`, as Apollo
//! and most upload clients send it): `operations`, `map` and one file part. Browsers may
//! send `multipart/form-data` cross-site without asking, so such a POST must carry a
//! header no plain form can set (`apollo-require-preflight` or `x-apollo-operation-name`),
//! which forces a CORS preflight, as Apollo Server requires.

use async_graphql::{
    BatchRequest, ParseRequestError,
    http::{MultipartOptions, receive_batch_body},
};
use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

use crate::{domain::photos::image::MAX_UPLOAD_BYTES, error::AppError};

/// Files one request may carry.
const MAX_FILES: usize = 1;

/// Whether the body is `multipart/form-data`.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    super::graphql::header_text(headers, header::CONTENT_TYPE)
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Refuses a multipart POST that a cross-site form could have sent.
pub fn require_preflight(headers: &HeaderMap) -> Result<(), AppError> {
    let present = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| !value.trim().is_empty())
    };
    if present("apollo-require-preflight") || present("x-apollo-operation-name") {
        Ok(())
    } else {
        Err(AppError::bad_input(
            "a multipart upload must carry the header `apollo-require-preflight: true` (or a non-empty \
             `x-apollo-operation-name`), so that no cross-site form can send it",
        ))
    }
}

/// The body limit of a multipart request: one photo plus the usual limit for the rest.
pub fn body_limit(max_body_bytes: usize) -> usize {
    MAX_UPLOAD_BYTES + max_body_bytes
}

/// Reads a multipart body into GraphQL requests with their uploads.
pub async fn receive(headers: &HeaderMap, body: &[u8]) -> Result<BatchRequest, AppError> {
    let content_type = super::graphql::header_text(headers, header::CONTENT_TYPE);
    let options = MultipartOptions::default().max_file_size(MAX_UPLOAD_BYTES);
    let batch = receive_batch_body(content_type, body, options)
        .await
        .map_err(|error| match error {
            ParseRequestError::PayloadTooLarge => AppError::PayloadTooLarge(format!(
                "a photo is at most 8 MiB ({MAX_UPLOAD_BYTES} bytes)"
            )),
            other => AppError::bad_input(format!(
                "the body is not a GraphQL multipart request (parts `operations`, `map`, then the file): {other}"
            )),
        })?;
    let files: usize = match &batch {
        BatchRequest::Single(request) => request.uploads.len(),
        BatchRequest::Batch(requests) => requests.iter().map(|request| request.uploads.len()).sum(),
    };
    if files > MAX_FILES {
        return Err(AppError::bad_input(format!(
            "send one photo per request ({files} files came)"
        )));
    }
    Ok(batch)
}

/// The hash an `Idempotency-Key` compares: the body without its boundary, which clients
/// draw afresh for every attempt.
pub fn retry_hash(headers: &HeaderMap, body: &[u8]) -> String {
    let boundary = super::graphql::header_text(headers, header::CONTENT_TYPE)
        .and_then(|value| value.split("boundary=").nth(1))
        .map(|boundary| boundary.split(';').next().unwrap_or_default().trim_matches('"'))
        .filter(|boundary| !boundary.is_empty());
    let mut hash = Sha256::new();
    match boundary {
        None => hash.update(body),
        Some(boundary) => {
            let boundary = boundary.as_bytes();
            let mut rest = body;
            while let Some(at) = rest.windows(boundary.len()).position(|window| window == boundary) {
                hash.update(&rest[..at]);
                rest = &rest[at + boundary.len()..];
            }
            hash.update(rest);
        }
    }
    format!("{:x}", hash.finalize())
}
