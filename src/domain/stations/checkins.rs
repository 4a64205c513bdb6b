//! Check-ins: a worker records a visit by scanning the station's printed code, or by
//! being within `NEAR_METERS` of it. One visit per worker and place per
//! `REPEAT_WINDOW`: a repeat answers the visit already recorded.
//!
//! The repeat check and the insert are one statement (`INSERT … SELECT … WHERE NOT
//! EXISTS`). SQLite runs it under its single writer lock; on PostgreSQL a
//! transaction-scoped advisory lock on (place, worker) makes two concurrent check-ins of
//! one worker wait for each other, so the second sees the first.

use std::collections::HashSet;

use chrono::Duration;
use entity::{
    place::{self, Publication},
    visit,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::{code, local_day_and_week, managed_place, point_of};
use crate::{
    auth::{Viewer, policy::OwnedPlace},
    domain::{
        Domain,
        change_log::statement,
        geo::Point,
        voice::{Account, clock},
    },
    error::{AppError, AppResult},
};

/// How near a worker must be to check in without the code.
pub const NEAR_METERS: f64 = 200.0;
/// A worker's repeated check-ins at one place within this window are one visit.
pub const REPEAT_WINDOW: Duration = Duration::minutes(30);

/// How a worker proves they are at the place.
#[derive(Clone, Debug)]
pub enum Proof {
    /// What the station's printed QR code holds (`Place.checkInCode`).
    Code(String),
    /// The place and where the phone is.
    Near {
        /// The place.
        place_id: i32,
        /// Where the worker's phone says they are; checked, never stored.
        at: Point,
    },
}

/// A recorded visit, and whether this check-in recorded it (false for a repeat).
#[derive(Clone, Debug)]
pub struct CheckIn {
    /// The visit, new or the one this repeat answers.
    pub visit: visit::Model,
    /// True when this check-in recorded the visit; false for a repeat within 30 minutes.
    pub recorded: bool,
}

fn refuse_code() -> AppError {
    AppError::bad_input(
        "this is not a check-in code of this network: scan the QR code on the station's wall, or check in with placeId and near",
    )
}

async fn rotation(db: &impl ConnectionTrait, place_id: i32) -> AppResult<i32> {
    let row = db
        .query_one_raw(statement(
            db.get_database_backend(),
            "SELECT rotation FROM check_in_codes WHERE place_id = ?",
            vec![place_id.into()],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<i32>("", "rotation"))
        .transpose()?
        .unwrap_or(0))
}

/// The code a station prints for workers to scan. The place's owner and admins only.
pub async fn code_of(domain: &Domain, viewer: &Viewer, place: &impl OwnedPlace) -> AppResult<String> {
    crate::auth::policy::may_run_station(viewer, place)?;
    let key = code::key(&domain.db).await?;
    let id = place.id();
    Ok(code::sign(&key, id, rotation(&domain.db, id).await?))
}

/// Replaces a place's code: every printed copy stops working. Returns the new code.
pub async fn rotate(domain: &Domain, viewer: &Viewer, place_id: i32) -> AppResult<(place::Model, String)> {
    let place = managed_place(domain, viewer, place_id).await?;
    let key = code::key(&domain.db).await?;
    let now = chrono::Utc::now();
    domain
        .db
        .execute_raw(statement(
            domain.db.get_database_backend(),
            "INSERT INTO check_in_codes (place_id, rotation, rotated_at) VALUES (?, 1, ?) \
             ON CONFLICT (place_id) DO UPDATE SET rotation = check_in_codes.rotation + 1, rotated_at = excluded.rotated_at",
            vec![place.id.into(), now.into()],
        ))
        .await?;
    let code = code::sign(&key, place.id, rotation(&domain.db, place.id).await?);
    Ok((place, code))
}

/// Records the calling worker's visit, or answers the one recorded within the window.
pub async fn check_in(domain: &Domain, viewer: &Viewer, proof: Proof) -> AppResult<CheckIn> {
    let account = Account::worker(viewer, "check in")?;
    let group = viewer
        .identity()
        .and_then(|identity| identity.group)
        .and_then(|group| serde_json::to_value(group).ok())
        .and_then(|value| value.as_str().map(str::to_owned));
    let (place_id, method) = match &proof {
        Proof::Code(code) => {
            let key = code::key(&domain.db).await?;
            let (place_id, printed) = code::read(&key, code).ok_or_else(refuse_code)?;
            if printed != rotation(&domain.db, place_id).await? {
                return Err(AppError::bad_input(
                    "this check-in code was replaced by the station: scan the code on display now",
                ));
            }
            (place_id, "CODE")
        }
        Proof::Near { place_id, .. } => (*place_id, "NEAR"),
    };
    let place = place::Entity::find_by_id(place_id)
        .one(&domain.db)
        .await?
        .filter(|place| place.publication == Publication::Published)
        .ok_or_else(|| AppError::NotFound(format!("no published place with this id (id {place_id})")))?;
    if let Proof::Near { at, .. } = proof {
        let meters = at.distance_to(point_of(&place));
        if meters > NEAR_METERS {
            return Err(AppError::bad_input(format!(
                "you are {meters:.0} m from {}: check in within {NEAR_METERS:.0} m, or scan its code",
                place.name
            )));
        }
    }
    let txn = domain.db.begin().await?;
    let backend = txn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        txn.execute_raw(statement(
            backend,
            "SELECT pg_advisory_xact_lock(?, hashtext(?))",
            vec![
                place.id.into(),
                format!("{}:{}", account.role_claim(), account.subject).into(),
            ],
        ))
        .await?;
    }
    let now = clock::now(&txn).await?;
    let (local_day, local_week) = local_day_and_week(now);
    let inserted = txn
        .execute_raw(statement(
            backend,
            "INSERT INTO visits (place_id, worker_role, worker_subject, worker_group, visited_at, local_day, local_week, method) \
             SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM visits \
             WHERE place_id = ? AND worker_role = ? AND worker_subject = ? AND visited_at > ?)",
            vec![
                place.id.into(),
                account.role_claim().into(),
                account.subject.clone().into(),
                group.into(),
                now.into(),
                local_day.into(),
                local_week.into(),
                method.into(),
                place.id.into(),
                account.role_claim().into(),
                account.subject.clone().into(),
                (now - REPEAT_WINDOW).into(),
            ],
        ))
        .await?
        .rows_affected();
    let visit = visit::Entity::find()
        .filter(visit::Column::PlaceId.eq(place.id))
        .filter(visit::Column::WorkerRole.eq(account.role_claim()))
        .filter(visit::Column::WorkerSubject.eq(account.subject.as_str()))
        .order_by_desc(visit::Column::VisitedAt)
        .order_by_desc(visit::Column::Id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a visit vanished inside its own check-in")))?;
    txn.commit().await?;
    Ok(CheckIn {
        visit,
        recorded: inserted > 0,
    })
}

/// A visit, for the worker who made it.
pub async fn find(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Option<visit::Model>> {
    let Some(account) = Account::of(viewer) else {
        return Ok(None);
    };
    Ok(visit::Entity::find_by_id(id)
        .one(&domain.db)
        .await?
        .filter(|visit| account.is(&visit.worker_role, &visit.worker_subject)))
}

/// The accounts among `authors` that have checked in at `place_id`: one query.
pub async fn visited(
    db: &impl ConnectionTrait,
    place_id: i32,
    authors: &[Account],
) -> AppResult<HashSet<Account>> {
    let subjects: Vec<&str> = authors.iter().map(|account| account.subject.as_str()).collect();
    let rows: Vec<(String, String)> = visit::Entity::find()
        .select_only()
        .column(visit::Column::WorkerRole)
        .column(visit::Column::WorkerSubject)
        .distinct()
        .filter(visit::Column::PlaceId.eq(place_id))
        .filter(visit::Column::WorkerSubject.is_in(subjects))
        .into_tuple()
        .all(db)
        .await?;
    Ok(authors
        .iter()
        .filter(|account| rows.iter().any(|(role, subject)| account.is(role, subject)))
        .cloned()
        .collect())
}
