//! Per-worker limits on reviews and reports, counted in the database, so they hold across
//! instances and restarts. Each write spends one action in its own transaction; a refused
//! write rolls back and spends nothing.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend};

use super::Account;
use crate::{
    domain::change_log::statement,
    error::{AppError, AppResult},
};

/// What a worker spends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Writing or rewriting a review.
    Review,
    /// Filing a report.
    Report,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Self::Review => "REVIEW",
            Self::Report => "REPORT",
        }
    }

    /// How many a worker may spend in an hour: more than a rider riding past places can
    /// honestly judge, far fewer than a script would like.
    pub fn per_hour(self) -> i64 {
        match self {
            Self::Review => 10,
            Self::Report => 10,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::Review => "reviews",
            Self::Report => "reports",
        }
    }
}

/// Records one `action` by `account` at `now` (the database's clock), refusing with
/// `RATE_LIMITED` past the hourly limit. The insert comes first so SQLite takes the write
/// lock before the count, and the count includes this action. Entries older than a day
/// are dropped on the way, so the table holds at most a day of each worker's actions.
pub async fn spend(
    db: &impl ConnectionTrait,
    account: &Account,
    action: Action,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let backend: DatabaseBackend = db.get_database_backend();
    let (role, subject) = (account.role_claim(), account.subject.as_str());
    db.execute_raw(statement(
        backend,
        "DELETE FROM rider_actions WHERE account_role = ? AND account_subject = ? AND at < ?",
        vec![role.into(), subject.into(), (now - Duration::days(1)).into()],
    ))
    .await?;
    db.execute_raw(statement(
        backend,
        "INSERT INTO rider_actions (account_role, account_subject, action, at) VALUES (?, ?, ?, ?)",
        vec![role.into(), subject.into(), action.as_str().into(), now.into()],
    ))
    .await?;
    let row = db
        .query_one_raw(statement(
            backend,
            "SELECT COUNT(*) AS spent FROM rider_actions \
             WHERE account_role = ? AND account_subject = ? AND action = ? AND at > ?",
            vec![
                role.into(),
                subject.into(),
                action.as_str().into(),
                (now - Duration::hours(1)).into(),
            ],
        ))
        .await?;
    let spent: i64 = row.map(|row| row.try_get("", "spent")).transpose()?.unwrap_or(0);
    if spent > action.per_hour() {
        return Err(AppError::RateLimited(format!(
            "you have sent {} {} in the last hour, the most a worker may; try again later",
            action.per_hour(),
            action.what()
        )));
    }
    Ok(())
}
