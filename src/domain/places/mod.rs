//! Places: finding them, listing them, searching around a point, and the one way every
//! change to a place is written.

mod changes;
mod edit;
mod lifecycle;
mod status;

use std::sync::Arc;

pub use changes::{
    ChangeKind, ChangePage, PlaceChange, SyncCursor, Watch, changes_since, watch_area, watch_place,
};
use chrono::{DateTime, Utc};
pub use edit::{NewPlace, PlaceChanges, create, transfer, update};
use entity::place::{self, Publication};
pub use lifecycle::{approve, reject, submit, suspend};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, TransactionTrait,
};
pub use status::{NewStatus, set_status};

use super::{
    Services, change_log,
    directory::{Found, Listing, Nearest, Page, PlaceFilter, RankKey},
    geo::{Point, Within},
    history::{self, Action},
};
use crate::{
    auth::{Identity, Viewer, policy},
    error::{AppError, AppResult},
};

/// A place the viewer may see, or `None` when it does not exist or is not theirs to see
/// (the two are indistinguishable, so drafts do not leak).
pub async fn find(services: &Services, viewer: &Viewer, id: i32) -> AppResult<Option<Arc<Listing>>> {
    if let Some(listing) = services.directory.get(id) {
        return Ok(Some(listing));
    }
    let Some(row) = place::Entity::find_by_id(id).one(&services.db).await? else {
        return Ok(None);
    };
    if !policy::can_see(viewer, &row) {
        return Ok(None);
    }
    Ok(listings(services, vec![row]).await?.pop())
}

/// Listings for rows read from the database, with their offers and ratings.
async fn listings(services: &Services, rows: Vec<place::Model>) -> AppResult<Vec<Arc<Listing>>> {
    services.directory.listings_of(&services.db, rows).await
}

/// The place with `id` for a change: UNAUTHENTICATED without a token, NOT_FOUND when the
/// viewer may not see it.
async fn load_for_change(services: &Services, viewer: &Viewer, id: i32) -> AppResult<place::Model> {
    policy::require_login(viewer)?;
    place::Entity::find_by_id(id)
        .one(&services.db)
        .await?
        .filter(|row| policy::can_see(viewer, row))
        .ok_or_else(|| AppError::NotFound(format!("no place with this id is visible to you (id {id})")))
}

/// Published places matching `filter`, in id order.
pub fn list(
    services: &Services,
    filter: &PlaceFilter,
    after: Option<i32>,
    first: usize,
) -> Page<Arc<Listing>> {
    services.directory.list(filter, Utc::now(), after, first)
}

/// Published places within reach of `near`, nearest first.
pub fn nearby(
    services: &Services,
    near: Point,
    within: Within,
    filter: &PlaceFilter,
    after: Option<RankKey>,
    first: usize,
) -> Nearest {
    let radius = within.radius_meters(&services.config.travel);
    services
        .directory
        .nearest(near, radius, filter, Utc::now(), after, first)
}

/// How many published places lie within reach of `near`.
pub fn count_nearby(services: &Services, near: Point, within: Within, filter: &PlaceFilter) -> usize {
    let radius = within.radius_meters(&services.config.travel);
    services.directory.count_nearby(near, radius, filter, Utc::now())
}

/// Published places matching `text`, best matches first.
pub fn search(
    services: &Services,
    text: &str,
    near: Option<Point>,
    filter: &PlaceFilter,
    after: Option<RankKey>,
    first: usize,
) -> AppResult<Page<Found>> {
    let length = text.trim().chars().count();
    if length == 0 || length > 50 {
        return Err(AppError::bad_input(format!(
            "text must be 1 to 50 characters, such as \"药\" or \"骑手食堂\"; got {length}"
        )));
    }
    Ok(services
        .directory
        .search(text, near, filter, Utc::now(), after, first))
}

/// The places an account owns, whatever their publication, in id order.
pub async fn owned_by(
    services: &Services,
    owner: &Identity,
    after: Option<i32>,
    first: usize,
) -> AppResult<Page<Arc<Listing>>> {
    let owned = place::Entity::find()
        .filter(place::Column::OwnerRole.eq(owner.role.claim()))
        .filter(place::Column::OwnerSubject.eq(owner.subject.as_str()));
    let page = owned
        .clone()
        .filter(place::Column::Id.gt(after.unwrap_or(0)))
        .order_by_asc(place::Column::Id);
    page_from_db(services, owned, page, first).await
}

/// A page of listings read from the database: `all` counts, `page` (already positioned
/// and ordered) supplies the rows, and offers come in one query for the whole page.
async fn page_from_db(
    services: &Services,
    all: Select<place::Entity>,
    page: Select<place::Entity>,
    first: usize,
) -> AppResult<Page<Arc<Listing>>> {
    let total_count = all.count(&services.db).await? as usize;
    let rows = page.limit(first as u64 + 1).all(&services.db).await?;
    let has_next_page = rows.len() > first;
    let items = listings(services, rows.into_iter().take(first).collect()).await?;
    Ok(Page {
        items,
        total_count,
        has_next_page,
    })
}

/// Where a review queue page resumes: after this submission time, ties by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueKey {
    pub submitted_at: DateTime<Utc>,
    pub id: i32,
}

/// Places waiting for review, oldest submission first. Admins only.
pub async fn review_queue(
    services: &Services,
    viewer: &Viewer,
    after: Option<QueueKey>,
    first: usize,
) -> AppResult<Page<Arc<Listing>>> {
    policy::may_moderate(viewer)?;
    let pending = place::Entity::find().filter(place::Column::Publication.eq(Publication::PendingReview));
    let mut query = pending.clone();
    if let Some(after) = after {
        query = query.filter(
            Condition::any()
                .add(place::Column::SubmittedAt.gt(after.submitted_at))
                .add(
                    Condition::all()
                        .add(place::Column::SubmittedAt.eq(after.submitted_at))
                        .add(place::Column::Id.gt(after.id)),
                ),
        );
    }
    let page = query
        .order_by_asc(place::Column::SubmittedAt)
        .order_by_asc(place::Column::Id);
    page_from_db(services, pending, page, first).await
}

/// Where a place row says it is.
fn point_of(place: &place::Model) -> Point {
    Point {
        lat: place.latitude,
        lng: place.longitude,
    }
}

/// How a write guards against concurrent writers.
#[derive(Clone, Copy, Debug)]
enum Guard {
    /// The place must still be at this version; the write bumps it.
    Version(i32),
    /// Fields outside the listing's content (live status): last writer wins, no bump.
    None,
}

/// Writes `row` over `current`, records the change in the place's history in the same
/// transaction, and refreshes the directory so the writer reads its own write at once.
async fn save(
    services: &Services,
    viewer: &Viewer,
    current: &place::Model,
    mut row: place::ActiveModel,
    guard: Guard,
    action: Action,
    reason: Option<String>,
) -> AppResult<Arc<Listing>> {
    row.updated_at = Set(Utc::now());
    let mut update = place::Entity::update_many().filter(place::Column::Id.eq(current.id));
    if let Guard::Version(expected) = guard {
        row.version = Set(expected + 1);
        update = update.filter(place::Column::Version.eq(expected));
    }
    // The transaction writes first: a SQLite transaction that read before writing could
    // not wait for another writer's lock. The version guard in the WHERE clause makes the
    // check and the write one step, so of two edits from one version exactly one lands.
    let txn = services.db.begin().await?;
    let result = update.set(row).exec(&txn).await?;
    if result.rows_affected == 0 {
        let Guard::Version(expected) = guard else {
            return Err(AppError::NotFound(format!(
                "place {} no longer exists",
                current.id
            )));
        };
        return Err(AppError::Conflict(format!(
            "the place changed since version {expected} (it is at version {} or later); read it again and \
             reapply your edit",
            current.version.max(expected + 1)
        )));
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
    let previous = services.directory.get(current.id);
    services.directory.refresh(&services.db, &[current.id]).await;
    if let Some(listing) = services.directory.get(current.id)
        && listing.place.log_position >= position
    {
        return Ok(listing);
    }
    // Not published (or not re-read): answer from the committed row, with its offers and
    // rating as read now, or as the directory had them if that read fails.
    let updated = place::Model {
        log_position: position,
        ..updated
    };
    match listings(services, vec![updated.clone()]).await {
        Ok(mut read) if !read.is_empty() => Ok(read.remove(0)),
        outcome => {
            if let Err(error) = outcome {
                tracing::warn!(error = ?error, "could not read the offers of a place just written");
            }
            let (offers, rating) = previous.map_or_else(Default::default, |listing| {
                (listing.offers.clone(), listing.rating)
            });
            Ok(Arc::new(services.directory.listing(updated, offers, rating)))
        }
    }
}
