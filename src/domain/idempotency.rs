//! Idempotent retries: the first answer to a mutation sent with an `Idempotency-Key` is
//! kept for a day, per account; the same key and body again gets that answer without
//! writing again, the same key with another body is a CONFLICT. The key is claimed with one
//! conditional insert, so of two concurrent retries exactly one runs. Ages are measured by
//! the database's clock.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

use super::change_log::statement;
use crate::error::{AppError, AppResult};

/// How long a key is remembered.
const KEEP_HOURS: u32 = 24;
/// A claimed key whose answer never came (the process died mid-request) is free again after
/// this many minutes.
const ABANDONED_MINUTES: u32 = 10;

/// A stored answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status of the first answer.
    pub status: u16,
    /// Its media type.
    pub content_type: String,
    /// Its body, replayed byte for byte.
    pub body: String,
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Claim {
    /// The key is new: run the request, then `finish`.
    Fresh,
    /// The key was answered before: send this again.
    Replay(Answer),
}

fn older_than(backend: DatabaseBackend, unit: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("created_at < now() - (? * interval '1 {unit}')"),
        _ => format!("created_at < datetime('now', '-' || ? || ' {unit}s')"),
    }
}

/// Checks a client's key: 1 to 200 visible ASCII characters.
pub fn check_key(key: &str) -> AppResult<&str> {
    if (1..=200).contains(&key.len()) && key.bytes().all(|byte| byte.is_ascii_graphic()) {
        Ok(key)
    } else {
        Err(AppError::bad_input(
            "Idempotency-Key must be 1 to 200 visible ASCII characters, such as a UUID",
        ))
    }
}

/// Claims `key` for `account`'s request with body hash `hash`.
pub async fn claim(db: &DatabaseConnection, account: &str, key: &str, hash: &str) -> AppResult<Claim> {
    let backend = db.get_database_backend();
    // A stale claim (the day is over, or a request died before answering) frees its key.
    db.execute_raw(statement(
        backend,
        &format!(
            "DELETE FROM idempotency_keys WHERE account = ? AND idempotency_key = ? AND ({} OR (status IS NULL AND {}))",
            older_than(backend, "hour"),
            older_than(backend, "minute")
        ),
        vec![account.into(), key.into(), f64::from(KEEP_HOURS).into(), f64::from(ABANDONED_MINUTES).into()],
    ))
    .await?;
    let inserted = db
        .execute_raw(statement(
            backend,
            "INSERT INTO idempotency_keys (account, idempotency_key, request_hash) VALUES (?, ?, ?) \
             ON CONFLICT (account, idempotency_key) DO NOTHING",
            vec![account.into(), key.into(), hash.into()],
        ))
        .await?
        .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let row = db
        .query_one_raw(statement(
            backend,
            "SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE account = ? AND idempotency_key = ?",
            vec![account.into(), key.into()],
        ))
        .await?
        .ok_or_else(|| AppError::Conflict("this Idempotency-Key was just released; send the request again".to_owned()))?;
    let stored_hash: String = row.try_get("", "request_hash")?;
    if stored_hash != hash {
        return Err(AppError::Conflict(
            "this Idempotency-Key was used for a different request in the last 24 hours; use a new key for a new request"
                .to_owned(),
        ));
    }
    let status: Option<i32> = row.try_get("", "status")?;
    match status {
        None => Err(AppError::Conflict(
            "a request with this Idempotency-Key is still running; wait for it and retry".to_owned(),
        )),
        Some(status) => Ok(Claim::Replay(Answer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: row
                .try_get::<Option<String>>("", "content_type")?
                .unwrap_or_default(),
            body: row.try_get::<Option<String>>("", "body")?.unwrap_or_default(),
        })),
    }
}

/// Stores the answer to a claimed key.
pub async fn finish(db: &DatabaseConnection, account: &str, key: &str, answer: &Answer) -> AppResult<()> {
    db.execute_raw(statement(
        db.get_database_backend(),
        "UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? WHERE account = ? AND idempotency_key = ?",
        vec![
            i32::from(answer.status).into(),
            answer.content_type.clone().into(),
            answer.body.clone().into(),
            account.into(),
            key.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Forgets keys older than a day.
pub async fn expire(db: &DatabaseConnection) -> AppResult<u64> {
    let backend = db.get_database_backend();
    Ok(db
        .execute_raw(statement(
            backend,
            &format!(
                "DELETE FROM idempotency_keys WHERE {}",
                older_than(backend, "hour")
            ),
            vec![f64::from(KEEP_HOURS).into()],
        ))
        .await?
        .rows_affected())
}
