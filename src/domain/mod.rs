//! The rules of the network, free of GraphQL and HTTP: what a place is, who sees it,
//! how it is found and how it changes.

pub mod calendar;
pub mod change_log;
pub mod directory;
pub mod geo;
pub mod history;
pub mod hours;
pub mod idempotency;
pub mod live;
pub mod offers;
pub mod places;
pub mod validate;
pub mod voice;

use std::sync::{Arc, atomic::AtomicU64};

use sea_orm::DatabaseConnection;

use crate::{auth::Authenticator, config::Config};

/// What every request may use: the database, the published directory, the token
/// verifier and the configuration. Built once by the app; nothing reaches for globals.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub directory: Arc<directory::Directory>,
    pub auth: Arc<Authenticator>,
    pub config: Arc<Config>,
    /// SQL statements run on behalf of requests (the background sync has its own
    /// connection): a metric, and how the tests show nested fields load in batches.
    pub statements: Arc<AtomicU64>,
}

/// The largest page a connection returns.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when a caller does not say.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Checks a connection's `first` argument.
pub fn page_size(first: Option<i32>) -> crate::error::AppResult<usize> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(first) if (0..=MAX_PAGE_SIZE as i32).contains(&first) => Ok(first as usize),
        Some(first) => Err(crate::error::AppError::bad_input(format!(
            "first must be between 0 and {MAX_PAGE_SIZE}, got {first}; page with `after` for more"
        ))),
    }
}
