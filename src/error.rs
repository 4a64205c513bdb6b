//! `AppError`, the one error type of yizhan, and how it reaches a caller: as
//! `extensions.code` in GraphQL and as an HTTP status where a request is refused whole.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;
use sea_orm::{DbErr, SqlErr};

/// What every fallible domain, auth and GraphQL function returns.
pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
/// Every way a request can be refused or fail; each maps to one code and one HTTP status.
pub enum AppError {
    #[error("{0}")]
    /// `NOT_FOUND`: nothing with this id is visible to the caller.
    NotFound(String),
    #[error("{0}")]
    /// `UNAUTHENTICATED`: a token is needed, or the one sent is not valid.
    Unauthenticated(String),
    #[error("{0}")]
    /// `FORBIDDEN`: the caller may not do this.
    Forbidden(String),
    #[error("{0}")]
    /// `BAD_USER_INPUT`: the input breaks a rule; nothing changed.
    BadUserInput(String),
    #[error("{0}")]
    /// `CONFLICT`: someone changed it first; read it again.
    Conflict(String),
    /// `CONFLICT` for an edit made from an older version: `extensions.currentVersion`
    /// says which version to read, so a portal can show that someone else edited it.
    #[error("{message}")]
    StaleVersion {
        /// What to tell the caller.
        message: String,
        /// The version the record is at now.
        current_version: i32,
    },
    #[error("{0}")]
    /// `RATE_LIMITED`: too many requests; retry later.
    RateLimited(String),
    /// A sync cursor the change log no longer covers: the app downloads its area again.
    #[error("{0}")]
    ResyncRequired(String),
    /// The client accepts no media type yizhan answers in.
    #[error("{0}")]
    NotAcceptable(String),
    /// A body that is neither JSON nor a GraphQL multipart upload.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A body over the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A mutation sent by GET.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A persisted-query hash the server does not know: Apollo clients resend the query when
    /// they read this message or code.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// The request ran out of time and was stopped (only reads are stopped).
    #[error("{0}")]
    TimedOut(String),
    /// A dependency (the database) does not answer; the request fails fast.
    #[error("{0}")]
    Unavailable(String),
    /// The cause is logged; the caller only learns that something failed on our side.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// A `BAD_USER_INPUT` refusal with this message.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput(message.into())
    }

    /// An `INTERNAL` failure; the cause is logged, never shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(cause.into())
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "NOT_FOUND",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::Conflict(_) | Self::StaleVersion { .. } => "CONFLICT",
            Self::RateLimited(_) => "RATE_LIMITED",
            Self::ResyncRequired(_) => "RESYNC_REQUIRED",
            Self::NotAcceptable(_)
            | Self::UnsupportedMediaType(_)
            | Self::PayloadTooLarge(_)
            | Self::MethodNotAllowed(_) => "BAD_USER_INPUT",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::TimedOut(_) | Self::Unavailable(_) => "INTERNAL",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The status for a request refused before GraphQL execution.
    pub fn http_status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadUserInput(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) | Self::StaleVersion { .. } => StatusCode::CONFLICT,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::ResyncRequired(_) => StatusCode::GONE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PersistedQueryNotFound => StatusCode::BAD_REQUEST,
            Self::TimedOut(_) | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message a caller may read. Internal causes never leave the process.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "internal error: the server could not answer; quote the x-request-id response header when reporting it"
                    .to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// The code of errors that async-graphql raises itself while checking a document and its
/// variables: they are the caller's input.
pub const DOCUMENT_ERROR_CODE: &str = "BAD_USER_INPUT";

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        let current_version = match self {
            Self::StaleVersion { current_version, .. } => Some(*current_version),
            _ => None,
        };
        async_graphql::Error::new(self.public_message()).extend_with(|_, extensions| {
            extensions.set("code", code);
            if let Some(version) = current_version {
                extensions.set("currentVersion", version);
            }
        })
    }
}

impl From<DbErr> for AppError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                return Self::Conflict("that record already exists".to_owned());
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                return Self::bad_input("that refers to a record that does not exist");
            }
            _ => {}
        }
        match error {
            DbErr::RecordNotFound(what) => Self::NotFound(format!("{what} was not found")),
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable(
                "the database does not answer right now; try again in a few seconds".to_owned(),
            ),
            other => Self::internal(other),
        }
    }
}
