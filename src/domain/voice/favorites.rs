//! Favourites: the places a worker keeps at hand. Private to the worker. Rows are never
//! removed when a place is suspended; the list filters by the place's publication when it
//! is read, so a reinstated place comes back by itself.

use std::{collections::HashSet, sync::Arc};

use entity::{
    favorite,
    place::{self, Publication},
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{OnConflict, Query},
};

use super::{Account, clock};
use crate::{
    auth::Viewer,
    domain::{Domain, directory::Listing, paging::Page, places},
    error::{AppError, AppResult},
};

/// The most favourites one worker keeps: a list to pick from on a phone, and the bound of
/// what `isFavorite` reads once per request.
pub const MAX_FAVORITES: u64 = 500;

const WHAT: &str = "keep favourites";

fn of_account(account: &Account) -> sea_orm::Select<favorite::Entity> {
    favorite::Entity::find()
        .filter(favorite::Column::AccountRole.eq(account.role_claim()))
        .filter(favorite::Column::AccountSubject.eq(account.subject.as_str()))
}

/// A published place the viewer may see, or `NOT_FOUND`.
async fn visible(domain: &Domain, viewer: &Viewer, place_id: i32) -> AppResult<Arc<Listing>> {
    places::find(domain, viewer, place_id)
        .await?
        .filter(|listing| listing.publication == Publication::Published)
        .ok_or_else(|| AppError::NotFound(format!("no published place with this id (id {place_id})")))
}

/// Adds a published place to the worker's favourites. Adding it again changes nothing.
pub async fn add(domain: &Domain, viewer: &Viewer, place_id: i32) -> AppResult<Arc<Listing>> {
    let account = Account::worker(viewer, WHAT)?;
    let listing = visible(domain, viewer, place_id).await?;
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    favorite::Entity::insert(favorite::ActiveModel {
        id: NotSet,
        place_id: Set(place_id),
        account_role: Set(account.role_claim().to_owned()),
        account_subject: Set(account.subject.clone()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            favorite::Column::AccountRole,
            favorite::Column::AccountSubject,
            favorite::Column::PlaceId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if of_account(&account).count(&txn).await? > MAX_FAVORITES {
        return Err(AppError::bad_input(format!(
            "you keep at most {MAX_FAVORITES} favourites; remove some with unfavoritePlace first"
        )));
    }
    txn.commit().await?;
    Ok(listing)
}

/// Removes a place from the worker's favourites, whatever its publication. Removing one
/// that is not there changes nothing.
pub async fn remove(domain: &Domain, viewer: &Viewer, place_id: i32) -> AppResult<()> {
    let account = Account::worker(viewer, WHAT)?;
    favorite::Entity::delete_many()
        .filter(favorite::Column::AccountRole.eq(account.role_claim()))
        .filter(favorite::Column::AccountSubject.eq(account.subject.as_str()))
        .filter(favorite::Column::PlaceId.eq(place_id))
        .exec(&domain.db)
        .await?;
    Ok(())
}

/// The account's favourites that are published now.
fn published(account: &Account) -> sea_orm::Select<favorite::Entity> {
    of_account(account).filter(
        favorite::Column::PlaceId.in_subquery(
            Query::select()
                .column(place::Column::Id)
                .from(place::Entity)
                .and_where(place::Column::Publication.eq(Publication::Published))
                .to_owned(),
        ),
    )
}

/// A favourite in the list: its id (the cursor) and the place.
pub struct Favorite {
    /// The favourite's own id, for paging.
    pub id: i32,
    /// The place, from the directory (or read from the database when not yet there).
    pub listing: Arc<Listing>,
}

/// The account's favourite places that are published, newest favourite first, resuming
/// before the favourite `before`.
pub async fn page(
    domain: &Domain,
    viewer: &Viewer,
    account: &Account,
    before: Option<i32>,
    first: usize,
) -> AppResult<Page<Favorite>> {
    let total_count = published(account).count(&domain.db).await? as usize;
    let mut query = published(account);
    if let Some(before) = before {
        query = query.filter(favorite::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(favorite::Column::Id)
        .limit(first as u64 + 1)
        .all(&domain.db)
        .await?;
    let has_next_page = rows.len() > first;
    let mut items = Vec::with_capacity(first.min(rows.len()));
    for row in rows.into_iter().take(first) {
        // The directory holds every published place; one published moments ago on
        // another instance is read from the database instead.
        let listing = match domain.directory.get(row.place_id) {
            Some(listing) => Some(listing),
            None => places::find(domain, viewer, row.place_id).await?,
        };
        if let Some(listing) = listing {
            items.push(Favorite { id: row.id, listing });
        }
    }
    Ok(Page {
        items,
        total_count,
        has_next_page,
    })
}

/// The ids of every place the account keeps as a favourite (at most `MAX_FAVORITES`).
pub async fn place_ids(domain: &Domain, account: &Account) -> AppResult<HashSet<i32>> {
    let ids: Vec<i32> = of_account(account)
        .select_only()
        .column(favorite::Column::PlaceId)
        .limit(MAX_FAVORITES)
        .into_tuple()
        .all(&domain.db)
        .await?;
    Ok(ids.into_iter().collect())
}
