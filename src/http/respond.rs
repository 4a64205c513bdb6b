//! Content negotiation and the shape of refusals: every refusal is an `AppError`, whose
//! code and status are defined once in `error.rs`.

use std::any::Any;

use async_graphql::{ErrorExtensionValues, ServerError};
use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::error::{AppError, DOCUMENT_ERROR_CODE};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// The response media type a client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`, the GraphQL-over-HTTP spec's own.
    GraphqlResponse,
    /// `application/json`, for older clients.
    Json,
}

impl MediaType {
    /// The type to answer in; `NOT_ACCEPTABLE` when the client accepts neither.
    pub fn negotiate(headers: &HeaderMap) -> Result<Self, AppError> {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()) else {
            return Ok(Self::Json);
        };
        let types: Vec<&str> = accept
            .split(',')
            .map(|part| part.split(';').next().unwrap_or_default().trim())
            .collect();
        if types.contains(&"application/graphql-response+json") {
            Ok(Self::GraphqlResponse)
        } else if types
            .iter()
            .any(|t| matches!(*t, "application/json" | "application/*" | "*/*"))
        {
            Ok(Self::Json)
        } else {
            Err(AppError::NotAcceptable(
                "yizhan answers application/graphql-response+json or application/json; set Accept accordingly"
                    .to_owned(),
            ))
        }
    }

    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => GRAPHQL_RESPONSE,
            Self::Json => JSON,
        })
    }

    /// The status of a request refused before execution (a document that does not parse or
    /// validate, bad variables): 4xx in the spec's own media type; 200 for clients that
    /// accept only `application/json`, as the spec recommends for them.
    pub fn refused_status(self) -> StatusCode {
        match self {
            Self::GraphqlResponse => StatusCode::BAD_REQUEST,
            Self::Json => StatusCode::OK,
        }
    }
}

/// A whole request refused, as `{"errors": [...]}` with the error's status.
pub fn refusal(media: MediaType, error: &AppError) -> Response {
    let body =
        json!({ "errors": [{ "message": error.public_message(), "extensions": { "code": error.code() } }] });
    let status = error.http_status();
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, media.content_type());
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    match status {
        StatusCode::UNAUTHORIZED => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        _ => {}
    }
    response
}

/// Every error leaves with a code. Resolvers set theirs; what remains comes from
/// async-graphql's own checks of the document and its arguments: the caller's input.
pub fn default_code(error: &mut ServerError) {
    let extensions = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_none() {
        extensions.set("code", DOCUMENT_ERROR_CODE);
    }
}

/// The last line of defence: a panic anywhere in a request becomes an INTERNAL answer
/// (with the request id in its header, added on the way out) instead of a reset connection.
pub fn panicked(cause: Box<dyn Any + Send + 'static>) -> Response {
    let detail = cause
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| cause.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    refusal(
        MediaType::Json,
        &AppError::internal(anyhow::anyhow!("a request panicked: {detail}")),
    )
}
