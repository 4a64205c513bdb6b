//! The domain handle: what a domain function may reach besides its arguments.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::{demand::Demand, directory::Directory, photos::Media, rules::Rules};

/// The database, the published directory and the network's rules: all a domain function
/// needs, and nothing about tokens, HTTP or how the process was configured. The app
/// builds one at start-up; it is cheap to clone.
#[derive(Clone)]
pub struct Domain {
    /// The connection pool requests use (the directory's follower has its own).
    pub db: DatabaseConnection,
    /// The in-memory directory of published places that discovery answers from.
    pub directory: Arc<Directory>,
    /// The city's settings that shape the rules.
    pub rules: Rules,
    /// Where riders looked for help, counted anonymously until the next flush.
    pub demand: Arc<Demand>,
    /// Where storefront photos are stored and how their URLs read.
    pub media: Media,
}
