//! The change log: every change that the directory or an app can see is appended here in
//! the same transaction as the change itself, and readers follow it by position.
//!
//! # Why positions are in commit order
//!
//! A reader that has seen position p must never later find a committed entry below p, or
//! it would skip that entry for good. A plain sequence does not give this: values are taken
//! at insert and transactions commit in another order. So on PostgreSQL every append first
//! takes one transaction-scoped advisory lock (`pg_advisory_xact_lock`) and only then draws
//! its position from the identity column. The lock is held until the transaction ends, and
//! PostgreSQL makes a commit visible before it releases the transaction's locks, so the
//! transaction holding position p is visible before any later appender can even draw p + 1.
//! Appends come last in a write's transaction, so writers queue only for the moment between
//! the append and the commit. SQLite already lets one writer at a time hold the database,
//! from its first write to its commit, and `AUTOINCREMENT` never reuses a position.
//!
//! No clock decides order; `recorded_at` (the database's clock) only ages entries out.
//!
//! # Keeping the log small
//!
//! `compact` keeps only the latest entry per place, widening its area to cover the entries
//! it replaces, so every old cursor still finds each place that changed after it. `expire`
//! drops entries older than the retention and raises the horizon: a cursor below the
//! horizon must resynchronise from scratch.

use entity::change_log;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement, Value,
};

mod upkeep;

pub use upkeep::{compact, expire};

use super::geo::Point;
use crate::error::{AppError, AppResult};

/// The PostgreSQL advisory lock that orders appends ("yizhan" in ASCII).
const APPEND_LOCK: i64 = 0x7969_7a68_616e;
/// The PostgreSQL channel that wakes other instances after a commit.
pub const NOTIFY_CHANNEL: &str = "yizhan_changes";

/// A log entry as a follower reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where the entry stands in commit order.
    pub position: i64,
    /// The place that changed; `None` for the work calendar.
    pub place_id: Option<i32>,
}

/// A statement written with `?` placeholders, numbered for PostgreSQL.
pub(crate) fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => {
            let mut numbered = String::with_capacity(sql.len() + 8);
            let mut index = 0;
            for character in sql.chars() {
                if character == '?' {
                    index += 1;
                    numbered.push_str(&format!("${index}"));
                } else {
                    numbered.push(character);
                }
            }
            numbered
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Takes the append lock on PostgreSQL; see the module comment.
async fn serialize_appends(txn: &impl ConnectionTrait) -> AppResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"))
            .await?;
    }
    Ok(())
}

/// Queues a wake-up for other instances, sent by PostgreSQL when the transaction commits.
async fn wake_followers(txn: &impl ConnectionTrait) -> AppResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("NOTIFY {NOTIFY_CHANNEL}"))
            .await?;
    }
    Ok(())
}

/// The box around the points a change touched.
fn bounds(points: &[Point]) -> [Value; 4] {
    let fold = |pick: fn(&Point) -> f64, better: fn(f64, f64) -> f64| points.iter().map(pick).reduce(better);
    [
        fold(|p| p.lat, f64::min).into(),
        fold(|p| p.lng, f64::min).into(),
        fold(|p| p.lat, f64::max).into(),
        fold(|p| p.lng, f64::max).into(),
    ]
}

/// Records that a place changed, inside the change's transaction, as its last write. `touched`
/// holds where the place was before and after (one point when it did not move; none when it
/// is gone and never had a location). Returns the entry's position, which the place row
/// remembers as `log_position`.
pub async fn append_place(txn: &impl ConnectionTrait, place_id: i32, touched: &[Point]) -> AppResult<i64> {
    let backend = txn.get_database_backend();
    // The place's row is locked before the append lock, as every other writer of the place
    // locks them, so two writers of one place can never wait for each other in a circle.
    // NO KEY UPDATE, because writers that inserted rows referring to the place (a review)
    // already hold KEY SHARE on it, which FOR UPDATE would have to wait for.
    let lock_row = match backend {
        DatabaseBackend::Postgres => "SELECT publication FROM places WHERE id = ? FOR NO KEY UPDATE",
        _ => "SELECT publication FROM places WHERE id = ?",
    };
    let published = match txn
        .query_one_raw(statement(backend, lock_row, vec![place_id.into()]))
        .await?
    {
        Some(row) => row.try_get::<String>("", "publication")? == "PUBLISHED",
        None => false,
    };
    serialize_appends(txn).await?;
    // An entry is visible when the place was published before or after the change: only
    // such entries may tell an app that a place left (drafts stay private).
    let was_published = txn
        .query_one_raw(statement(
            backend,
            "SELECT published FROM change_log WHERE place_id = ? ORDER BY position DESC LIMIT 1",
            vec![place_id.into()],
        ))
        .await?
        .map(|row| row.try_get::<i16>("", "published"))
        .transpose()?
        .is_some_and(|published| published == 1);
    let [min_lat, min_lng, max_lat, max_lng] = bounds(touched);
    let row = txn
        .query_one_raw(statement(
            backend,
            "INSERT INTO change_log (place_id, min_lat, min_lng, max_lat, max_lng, published, visible) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING position",
            vec![
                place_id.into(),
                min_lat,
                min_lng,
                max_lat,
                max_lng,
                i16::from(published).into(),
                i16::from(published || was_published).into(),
            ],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the change log returned no position")))?;
    let position: i64 = row.try_get("", "position")?;
    txn.execute_raw(statement(
        backend,
        "UPDATE places SET log_position = ? WHERE id = ?",
        vec![position.into(), place_id.into()],
    ))
    .await?;
    wake_followers(txn).await?;
    Ok(position)
}

/// Records every place that has never been logged (rows inserted in bulk, such as by a
/// seed), each at its own location, inside the inserting transaction.
pub async fn append_unlogged_places(txn: &impl ConnectionTrait) -> AppResult<()> {
    serialize_appends(txn).await?;
    txn.execute_unprepared(
        "INSERT INTO change_log (place_id, min_lat, min_lng, max_lat, max_lng, published, visible) \
         SELECT id, latitude, longitude, latitude, longitude, \
         CASE WHEN publication = 'PUBLISHED' THEN 1 ELSE 0 END, CASE WHEN publication = 'PUBLISHED' THEN 1 ELSE 0 END \
         FROM places WHERE log_position = 0 ORDER BY id",
    )
    .await?;
    txn.execute_unprepared(
        "UPDATE places SET log_position = \
         (SELECT MAX(position) FROM change_log WHERE change_log.place_id = places.id) WHERE log_position = 0",
    )
    .await?;
    wake_followers(txn).await
}

/// Records that the work calendar changed.
pub async fn append_calendar(txn: &impl ConnectionTrait) -> AppResult<i64> {
    serialize_appends(txn).await?;
    let row = txn
        .query_one_raw(statement(
            txn.get_database_backend(),
            "INSERT INTO change_log (place_id) VALUES (NULL) RETURNING position",
            vec![],
        ))
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the change log returned no position")))?;
    let position = row.try_get("", "position")?;
    wake_followers(txn).await?;
    Ok(position)
}

/// The newest position in the log (0 when it is empty). Expiry may empty the log; the head
/// never falls below the horizon, so cursors stay valid.
pub async fn head(db: &impl ConnectionTrait) -> AppResult<i64> {
    let row = db
        .query_one_raw(statement(
            db.get_database_backend(),
            "SELECT (SELECT COALESCE(MAX(position), 0) FROM change_log) AS logged, \
             (SELECT COALESCE(MAX(position), 0) FROM change_log_horizon) AS expired",
            vec![],
        ))
        .await?;
    let Some(row) = row else { return Ok(0) };
    let logged: i64 = row.try_get("", "logged")?;
    let expired: i64 = row.try_get("", "expired")?;
    Ok(logged.max(expired))
}

/// Cursors below this position must resynchronise: entries at or below it were expired.
pub async fn horizon(db: &impl ConnectionTrait) -> AppResult<i64> {
    let row = db
        .query_one_raw(statement(
            db.get_database_backend(),
            "SELECT position FROM change_log_horizon WHERE id = 1",
            vec![],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get("", "position"))
        .transpose()?
        .unwrap_or(0))
}

/// Up to `limit` entries after `after`, in position order.
pub async fn read_after(db: &impl ConnectionTrait, after: i64, limit: u64) -> AppResult<Vec<Entry>> {
    Ok(change_log::Entity::find()
        .filter(change_log::Column::Position.gt(after))
        .order_by_asc(change_log::Column::Position)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| Entry {
            position: row.position,
            place_id: row.place_id,
        })
        .collect())
}

/// A place that changed after a cursor: its latest position and the box it moved in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlaceDelta {
    /// The place that changed.
    pub place_id: i32,
    /// Whether the place was published at some point of these changes: only then may an
    /// app be told that it left.
    pub visible: bool,
    /// The position of its latest change.
    pub position: i64,
    /// The south-west corner of the box it moved in; `None` for entries without a place's
    /// position.
    pub south_west: Option<Point>,
    /// The north-east corner of that box.
    pub north_east: Option<Point>,
}

/// The places whose latest change lies in `(through, up_to]`, in the order of that change,
/// with the box of every entry after `since` (where the reader last saw them). At most `limit`.
pub async fn places_changed(
    db: &impl ConnectionTrait,
    since: i64,
    through: i64,
    up_to: i64,
    limit: u64,
) -> AppResult<Vec<PlaceDelta>> {
    let rows = db
        .query_all_raw(statement(
            db.get_database_backend(),
            "SELECT place_id, MAX(position) AS last, MIN(min_lat) AS south, MIN(min_lng) AS west, \
             MAX(max_lat) AS north, MAX(max_lng) AS east, MAX(visible) AS visible FROM change_log \
             WHERE position > ? AND position <= ? AND place_id IS NOT NULL \
             GROUP BY place_id HAVING MAX(position) > ? ORDER BY last LIMIT ?",
            vec![since.into(), up_to.into(), through.into(), (limit as i64).into()],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            let corner = |lat: &str, lng: &str| -> AppResult<Option<Point>> {
                let lat: Option<f64> = row.try_get("", lat)?;
                let lng: Option<f64> = row.try_get("", lng)?;
                Ok(lat.zip(lng).map(|(lat, lng)| Point { lat, lng }))
            };
            Ok(PlaceDelta {
                visible: row.try_get::<i16>("", "visible")? == 1,
                place_id: row.try_get("", "place_id")?,
                position: row.try_get("", "last")?,
                south_west: corner("south", "west")?,
                north_east: corner("north", "east")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let numbered = statement(
            DatabaseBackend::Postgres,
            "a = ? AND b = ?",
            vec![1.into(), 2.into()],
        );
        assert_eq!(numbered.sql, "a = $1 AND b = $2");
        let plain = statement(
            DatabaseBackend::Sqlite,
            "a = ? AND b = ?",
            vec![1.into(), 2.into()],
        );
        assert_eq!(plain.sql, "a = ? AND b = ?");
    }

    #[test]
    fn bounds_cover_every_touched_point() {
        let [south, west, north, east] = bounds(&[
            Point {
                lat: 36.2,
                lng: 116.8,
            },
            Point {
                lat: 36.1,
                lng: 116.9,
            },
        ]);
        assert_eq!(
            [south, west, north, east],
            [36.1.into(), 116.8.into(), 36.2.into(), 116.9.into()]
        );
        assert_eq!(bounds(&[])[0], Value::Double(None));
    }
}
