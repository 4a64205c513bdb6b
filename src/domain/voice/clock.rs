//! The database's clock. Windows ("3 reports within 24 hours", "10 reviews an hour") and
//! review order are measured by it, so instances whose clocks drift apart still agree.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::{
    domain::change_log::statement,
    error::{AppError, AppResult},
};

/// The database's current time. On PostgreSQL it is the transaction's start, so every
/// row a transaction writes carries the same time.
pub async fn now(db: &impl ConnectionTrait) -> AppResult<DateTime<Utc>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS now"
        }
        _ => "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS now",
    };
    let row = db
        .query_one_raw(statement(backend, sql, vec![]))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the database did not tell its time")))?;
    let text: String = row.try_get("", "now")?;
    DateTime::parse_from_rfc3339(&text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| AppError::internal(anyhow::anyhow!("the database's time {text:?}: {error}")))
}
