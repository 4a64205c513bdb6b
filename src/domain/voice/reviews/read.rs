//! Reading reviews: one by id, a place's page in either order, the viewer's own, each
//! marked when its author checked in at the place.

use std::collections::HashSet;

use entity::{place, review};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{Order, ReviewKey, ReviewView};
use crate::{
    auth::{
        Viewer,
        policy::{self, OwnedPlace},
    },
    domain::{
        Domain,
        paging::Page,
        voice::{Account, visits},
    },
    error::AppResult,
};

/// Whether `viewer` may read `row`: live reviews of places they may see, hidden ones only
/// for their author and admins.
pub(super) fn may_read(viewer: &Viewer, row: &review::Model, place: &place::Model) -> bool {
    let author = Account::of(viewer).is_some_and(|account| account.is(&row.author_role, &row.author_subject));
    row.deleted_at.is_none()
        && policy::can_see(viewer, place)
        && (row.hidden_at.is_none() || author || viewer.is_admin())
}

/// A review, if the viewer may read it (and the place it is about).
pub async fn find(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Option<ReviewView>> {
    let Some(row) = review::Entity::find_by_id(id).one(&domain.db).await? else {
        return Ok(None);
    };
    let Some(place) = place::Entity::find_by_id(row.place_id).one(&domain.db).await? else {
        return Ok(None);
    };
    if !may_read(viewer, &row, &place) {
        return Ok(None);
    }
    Ok(with_visits(domain, row.place_id, vec![row]).await?.pop())
}

/// The reviews of a place a viewer may read, in `order`, resuming after `after`. Hidden
/// reviews appear only to their author and admins.
pub async fn page(
    domain: &Domain,
    viewer: &Viewer,
    place: &impl OwnedPlace,
    order: Order,
    after: Option<ReviewKey>,
    first: usize,
) -> AppResult<Page<ReviewView>> {
    let mut visible = Condition::any().add(review::Column::HiddenAt.is_null());
    if viewer.is_admin() {
        visible = Condition::all();
    } else if let Some(account) = Account::of(viewer) {
        visible = visible.add(
            Condition::all()
                .add(review::Column::AuthorRole.eq(account.role_claim()))
                .add(review::Column::AuthorSubject.eq(account.subject)),
        );
    }
    let all = review::Entity::find()
        .filter(review::Column::PlaceId.eq(place.id()))
        .filter(review::Column::DeletedAt.is_null())
        .filter(visible);
    let total_count = all.clone().count(&domain.db).await? as usize;
    let mut query = all;
    query = match after {
        Some(ReviewKey::Newest { written_at, id }) => query.filter(
            Condition::any()
                .add(review::Column::WrittenAt.lt(written_at))
                .add(
                    Condition::all()
                        .add(review::Column::WrittenAt.eq(written_at))
                        .add(review::Column::Id.lt(id)),
                ),
        ),
        Some(ReviewKey::MostHelpful { helpful, id }) => query.filter(
            Condition::any()
                .add(review::Column::HelpfulCount.lt(helpful))
                .add(
                    Condition::all()
                        .add(review::Column::HelpfulCount.eq(helpful))
                        .add(review::Column::Id.lt(id)),
                ),
        ),
        None => query,
    };
    query = match order {
        Order::Newest => query.order_by_desc(review::Column::WrittenAt),
        Order::MostHelpful => query.order_by_desc(review::Column::HelpfulCount),
    };
    let rows = query
        .order_by_desc(review::Column::Id)
        .limit(first as u64 + 1)
        .all(&domain.db)
        .await?;
    let has_next_page = rows.len() > first;
    let items = with_visits(domain, place.id(), rows.into_iter().take(first).collect()).await?;
    Ok(Page {
        items,
        total_count,
        has_next_page,
    })
}

/// The viewer's own review of a place, hidden or not; `None` when they wrote none.
pub async fn mine(domain: &Domain, viewer: &Viewer, place_id: i32) -> AppResult<Option<ReviewView>> {
    let Some(account) = Account::of(viewer) else {
        return Ok(None);
    };
    let row = review::Entity::find()
        .filter(review::Column::PlaceId.eq(place_id))
        .filter(review::Column::AuthorRole.eq(account.role_claim()))
        .filter(review::Column::AuthorSubject.eq(account.subject.as_str()))
        .filter(review::Column::DeletedAt.is_null())
        .one(&domain.db)
        .await?;
    match row {
        Some(row) => Ok(with_visits(domain, place_id, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// Marks the reviews whose authors checked in at the place, in one look-up for the page.
pub(super) async fn with_visits(
    domain: &Domain,
    place_id: i32,
    rows: Vec<review::Model>,
) -> AppResult<Vec<ReviewView>> {
    let authors: Vec<Account> = rows
        .iter()
        .filter_map(|row| {
            crate::auth::Role::from_claim(&row.author_role).map(|role| Account {
                role,
                subject: row.author_subject.clone(),
            })
        })
        .collect();
    let verified: HashSet<Account> = if authors.is_empty() {
        HashSet::new()
    } else {
        visits::checked_in(&domain.db, place_id, &authors).await?
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let verified_visit = verified
                .iter()
                .any(|account| account.is(&row.author_role, &row.author_subject));
            ReviewView { row, verified_visit }
        })
        .collect())
}
