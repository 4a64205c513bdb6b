//! Keeping the log small: compaction to the latest entry per place, and expiry behind a
//! horizon that cursors must not fall below.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, TransactionTrait};

use super::{head, horizon, statement};
use crate::error::AppResult;

/// Keeps only the latest entry of each place (and of the calendar), widening its box to
/// cover the entries it replaces. Entries after the head read at the start are left alone,
/// so a concurrent append is never merged away. Returns how many entries went.
pub async fn compact(db: &DatabaseConnection) -> AppResult<u64> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let bound = head(&txn).await?;
    let latest = "(SELECT MAX(c.position) FROM change_log c WHERE c.place_id = change_log.place_id AND c.position <= ?)";
    let widest = |pick: &str, column: &str| {
        format!(
            "{column} = (SELECT {pick}(c.{column}) FROM change_log c WHERE c.place_id = change_log.place_id AND c.position <= ?)"
        )
    };
    txn.execute_raw(statement(
        backend,
        &format!(
            "UPDATE change_log SET {}, {}, {}, {}, {} WHERE place_id IS NOT NULL AND position = {latest} \
             AND EXISTS (SELECT 1 FROM change_log c WHERE c.place_id = change_log.place_id AND c.position < change_log.position)",
            widest("MIN", "min_lat"),
            widest("MIN", "min_lng"),
            widest("MAX", "max_lat"),
            widest("MAX", "max_lng"),
            widest("MAX", "visible"),
        ),
        vec![bound.into(), bound.into(), bound.into(), bound.into(), bound.into(), bound.into()],
    ))
    .await?;
    let places = txn
        .execute_raw(statement(
            backend,
            &format!("DELETE FROM change_log WHERE place_id IS NOT NULL AND position < {latest}"),
            vec![bound.into()],
        ))
        .await?
        .rows_affected();
    let calendar = txn
        .execute_raw(statement(
            backend,
            "DELETE FROM change_log WHERE place_id IS NULL AND position < \
             (SELECT MAX(c.position) FROM change_log c WHERE c.place_id IS NULL AND c.position <= ?)",
            vec![bound.into()],
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(places + calendar)
}

/// Drops entries recorded more than `retention_days` ago and raises the horizon past them.
/// Returns the horizon.
pub async fn expire(db: &DatabaseConnection, retention_days: u32) -> AppResult<i64> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let cutoff = match backend {
        DatabaseBackend::Postgres => "now() - (? * interval '1 day')",
        _ => "datetime('now', '-' || ? || ' days')",
    };
    let row = txn
        .query_one_raw(statement(
            backend,
            &format!(
                "SELECT COALESCE(MAX(position), 0) AS expired FROM change_log WHERE recorded_at < {cutoff}"
            ),
            vec![f64::from(retention_days).into()],
        ))
        .await?;
    let expired: i64 = row
        .map(|row| row.try_get("", "expired"))
        .transpose()?
        .unwrap_or(0);
    if expired > 0 {
        // Positions below the newest expired one may have been recorded later (a long
        // transaction); the horizon covers them, so they go too.
        txn.execute_raw(statement(
            backend,
            "DELETE FROM change_log WHERE position <= ?",
            vec![expired.into()],
        ))
        .await?;
        txn.execute_raw(statement(
            backend,
            "UPDATE change_log_horizon SET position = ? WHERE id = 1 AND position < ?",
            vec![expired.into(), expired.into()],
        ))
        .await?;
    }
    let horizon = horizon(&txn).await?;
    txn.commit().await?;
    Ok(horizon)
}
