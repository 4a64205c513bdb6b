//! The one way every change to a place is written: loaded for the change, guarded by its
//! version, recorded in its history and the change log, and re-read by the directory.

use std::sync::Arc;

use chrono::Utc;
use entity::place;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
    TryIntoModel,
};

use super::read::listings;
use crate::{
    auth::{Viewer, policy},
    domain::{
        Domain, change_log,
        directory::Listing,
        geo::Point,
        history::{self, Action},
        version::ExpectedVersion,
    },
    error::{AppError, AppResult},
};

/// Where a place row says it is.
pub(super) fn point_of(place: &place::Model) -> Point {
    Point {
        lat: place.latitude,
        lng: place.longitude,
    }
}

/// Drops a place's live status: it belongs to a published listing, so a place leaving
/// PUBLISHED loses it and is never reinstated showing a status from before.
pub(super) fn clear_status(row: &mut place::ActiveModel) {
    row.status_state = Set(None);
    row.status_seats_free = Set(None);
    row.status_note = Set(None);
    row.status_updated_at = Set(None);
    row.status_expires_at = Set(None);
}

/// How a write guards against concurrent writers.
#[derive(Clone, Copy, Debug)]
pub(super) enum Guard {
    /// The place must still be at this version; the write bumps it.
    Version(ExpectedVersion),
    /// The live status: last writer wins, no bump, and only while the place is
    /// published, so a status never lands on a place suspended a moment before.
    WhilePublished,
}

/// One change to a place: the row as read, the row as it should become, how the write is
/// guarded, and what the history records.
pub(super) struct Change<'a> {
    /// The place as read before the change.
    pub(super) current: &'a place::Model,
    /// The fields to write.
    pub(super) row: place::ActiveModel,
    /// How concurrent writers are told apart.
    pub(super) guard: Guard,
    /// What the history records.
    pub(super) action: Action,
    /// Why, when the history keeps a reason.
    pub(super) reason: Option<String>,
}

/// The place with `id` for a change: UNAUTHENTICATED without a token, `NOT_FOUND` when the
/// viewer may not see it. Callers then ask the policy whether the viewer may make it.
pub async fn for_change(db: &DatabaseConnection, viewer: &Viewer, id: i32) -> AppResult<place::Model> {
    policy::require_login(viewer)?;
    place::Entity::find_by_id(id)
        .filter(place::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .filter(|row| policy::can_see(viewer, row))
        .ok_or_else(|| AppError::NotFound(format!("no place with this id is visible to you (id {id})")))
}

/// Writes a change, records it in the place's history and the change log in the same
/// transaction, and refreshes the directory so the writer reads its own write at once.
pub(super) async fn save(domain: &Domain, viewer: &Viewer, change: Change<'_>) -> AppResult<Arc<Listing>> {
    let Change {
        current,
        mut row,
        guard,
        action,
        reason,
    } = change;
    // An edit that changes nothing leaves no trace: no new version, no history entry, no
    // change for subscribers. A stale one is still a conflict, so the editor learns that
    // what they saw is out of date.
    if matches!(action, Action::Updated | Action::Transferred) {
        if let Guard::Version(expected) = guard
            && !expected.matches(current.version)
        {
            return Err(expected.conflict("place", current.version));
        }
        let candidate = row.clone().try_into_model()?;
        if history::diff_places(current, &candidate).is_empty() {
            return match domain.directory.get(current.id) {
                Some(listing) if listing.version == current.version => Ok(listing),
                _ => Ok(listings(domain, vec![current.clone()]).await?.remove(0)),
            };
        }
    }
    row.updated_at = Set(Utc::now());
    let mut update = place::Entity::update_many().filter(place::Column::Id.eq(current.id));
    match guard {
        Guard::Version(expected) => {
            row.version = Set(expected.next());
            update = expected.guard(update, place::Column::Version);
        }
        Guard::WhilePublished => {
            update = update.filter(place::Column::Publication.eq(place::Publication::Published));
        }
    }
    // The transaction writes first: a SQLite transaction that read before writing could
    // not wait for another writer's lock. The version guard in the WHERE clause makes the
    // check and the write one step, so of two edits from one version exactly one lands.
    let txn = domain.db.begin().await?;
    let result = update.set(row).exec(&txn).await?;
    if result.rows_affected == 0 {
        let Guard::Version(expected) = guard else {
            return Err(AppError::bad_input(format!(
                "place {} is no longer PUBLISHED: a live status is shown only for published places",
                current.id
            )));
        };
        let now_at = place::Entity::find_by_id(current.id)
            .one(&txn)
            .await?
            .map_or(current.version, |row| row.version);
        return Err(expected.conflict("place", now_at));
    }
    let updated = place::Entity::find_by_id(current.id)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "place {} vanished inside its own update",
                current.id
            ))
        })?;
    history::record(
        &txn,
        current.id,
        viewer,
        action,
        history::diff_places(current, &updated),
        reason,
    )
    .await?;
    let position =
        change_log::append_place(&txn, current.id, &[point_of(current), point_of(&updated)]).await?;
    txn.commit().await?;
    // The write has landed: from here on nothing may report it as failed.
    let previous = domain.directory.get(current.id);
    domain.directory.refresh(&domain.db, &[current.id]).await;
    if let Some(listing) = domain.directory.get(current.id)
        && listing.log_position >= position
    {
        return Ok(listing);
    }
    // Not published (or not re-read): answer from the committed row, with its offers and
    // rating as read now, or as the directory had them if that read fails.
    let updated = place::Model {
        log_position: position,
        ..updated
    };
    match listings(domain, vec![updated.clone()]).await {
        Ok(mut read) if !read.is_empty() => Ok(read.remove(0)),
        outcome => {
            if let Err(error) = outcome {
                tracing::warn!(error = ?error, "could not read the offers of a place just written");
            }
            let (offers, rating, photos) = previous.map_or_else(Default::default, |listing| {
                (
                    listing.offers().to_vec(),
                    listing.rating(),
                    listing.photos().to_vec(),
                )
            });
            Ok(Arc::new(
                domain
                    .directory
                    .listing(updated, offers, rating)
                    .with_photos(photos),
            ))
        }
    }
}
