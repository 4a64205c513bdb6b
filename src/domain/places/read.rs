//! Reading places: one by id, pages from the directory (list, nearby, search) and from
//! the database (an owner's places, the review queue).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::place::{self, Publication};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select};

use crate::{
    auth::{Identity, Viewer, policy},
    domain::{
        Domain,
        directory::{Listing, Nearest, PlaceFilter, RankKey},
        geo::{Point, Within},
        paging::{Page, read_page},
    },
    error::{AppError, AppResult},
};

/// A place the viewer may see, or `None` when it does not exist or is not theirs to see
/// (the two are indistinguishable, so drafts do not leak).
pub async fn find(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Option<Arc<Listing>>> {
    if let Some(listing) = domain.directory.get(id) {
        return Ok(Some(listing));
    }
    let Some(row) = place::Entity::find_by_id(id)
        .filter(place::Column::DeletedAt.is_null())
        .one(&domain.db)
        .await?
    else {
        return Ok(None);
    };
    if !policy::can_see(viewer, &row) {
        return Ok(None);
    }
    Ok(listings(domain, vec![row]).await?.pop())
}

/// Listings for rows read from the database, with their offers and ratings.
pub(super) async fn listings(domain: &Domain, rows: Vec<place::Model>) -> AppResult<Vec<Arc<Listing>>> {
    domain.directory.listings_of(&domain.db, rows).await
}

/// Published places matching `filter`, in id order.
pub fn list(domain: &Domain, filter: &PlaceFilter, after: Option<i32>, first: usize) -> Page<Arc<Listing>> {
    domain.directory.list(filter, Utc::now(), after, first)
}

/// Published places within reach of `near`, nearest first.
pub fn nearby(
    domain: &Domain,
    near: Point,
    within: Within,
    filter: &PlaceFilter,
    after: Option<RankKey>,
    first: usize,
) -> Nearest {
    let radius = within.radius_meters(&domain.rules.travel);
    let now = Utc::now();
    // Only a first page counts as a look for help; paging on is the same look.
    if after.is_none() {
        domain.demand.record(near, now);
    }
    domain.directory.nearest(near, radius, filter, now, after, first)
}

/// How many published places lie within reach of `near`.
pub fn count_nearby(domain: &Domain, near: Point, within: Within, filter: &PlaceFilter) -> usize {
    let radius = within.radius_meters(&domain.rules.travel);
    domain.directory.count_nearby(near, radius, filter, Utc::now())
}

/// Published places matching `text`, best matches first.
pub fn search(
    domain: &Domain,
    text: &str,
    near: Option<Point>,
    filter: &PlaceFilter,
    after: Option<RankKey>,
    first: usize,
    now: DateTime<Utc>,
) -> AppResult<Nearest> {
    let length = text.trim().chars().count();
    if length == 0 || length > 50 {
        return Err(AppError::bad_input(format!(
            "text must be 1 to 50 characters, such as \"药\" or \"骑手食堂\"; got {length}"
        )));
    }
    if let Some(near) = near
        && after.is_none()
    {
        domain.demand.record(near, now);
    }
    Ok(domain.directory.search(text, near, filter, now, after, first))
}

/// How many published places match `text`; asked only by callers who select the count,
/// since it checks every candidate where a page checks only what it shows.
pub fn count_search(domain: &Domain, text: &str, filter: &PlaceFilter, now: DateTime<Utc>) -> usize {
    domain.directory.count_search(text, filter, now)
}

/// The places an account owns, whatever their publication, in id order.
pub async fn owned_by(
    domain: &Domain,
    owner: &Identity,
    after: Option<i32>,
    first: usize,
) -> AppResult<Page<Arc<Listing>>> {
    let owned = place::Entity::find()
        .filter(place::Column::OwnerRole.eq(owner.role.claim()))
        .filter(place::Column::OwnerSubject.eq(owner.subject.as_str()))
        .filter(place::Column::DeletedAt.is_null());
    let page = owned
        .clone()
        .filter(place::Column::Id.gt(after.unwrap_or(0)))
        .order_by_asc(place::Column::Id);
    page_from_db(domain, owned, page, first).await
}

/// A page of listings read from the database: `all` counts, `page` (already positioned
/// and ordered) supplies the rows, and offers come in one query for the whole page.
async fn page_from_db(
    domain: &Domain,
    all: Select<place::Entity>,
    page: Select<place::Entity>,
    first: usize,
) -> AppResult<Page<Arc<Listing>>> {
    let rows = read_page(&domain.db, all, page, first).await?;
    Ok(Page {
        items: listings(domain, rows.items).await?,
        total_count: rows.total_count,
        has_next_page: rows.has_next_page,
    })
}

/// Where a review queue page resumes: after this submission time, ties by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueKey {
    /// When the place was submitted.
    pub submitted_at: DateTime<Utc>,
    /// The place id, the tie-breaker.
    pub id: i32,
}

/// Places waiting for review, oldest submission first. Admins only.
pub async fn review_queue(
    domain: &Domain,
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
    page_from_db(domain, pending, page, first).await
}
