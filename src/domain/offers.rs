//! Perks for workers: a title, a description, the groups they are for, and a validity
//! window. Only current offers reach workers. Deletion is soft so history keeps them.

use chrono::{DateTime, Duration, Utc};
use entity::{
    offer, place,
    place::{WorkerGroup, WorkerGroups},
    place_history::FieldChange,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, TransactionTrait, TryIntoModel,
};

use super::{
    Domain, change_log,
    geo::Point,
    history::{self, Action, change},
    hours::check_instant,
    paging::{Page, read_page},
    validate,
    version::ExpectedVersion,
};
use crate::{
    auth::{Identity, Viewer, policy},
    error::{AppError, AppResult},
};

/// The longest an offer may run.
const MAX_WINDOW_DAYS: i64 = 366;

/// An offer as its author describes it.
#[derive(Clone, Debug)]
pub struct NewOffer {
    /// The place that offers it.
    pub place_id: i32,
    /// A short title, such as 骑手套餐立减5元.
    pub title: String,
    /// What a worker gets and how.
    pub description: String,
    /// The worker groups it is for; every group when empty.
    pub groups: Vec<WorkerGroup>,
    /// When it starts; now when omitted.
    pub valid_from: Option<DateTime<Utc>>,
    /// When it ends.
    pub valid_until: DateTime<Utc>,
}

/// The fields an offer edit changes.
#[derive(Clone, Debug, Default)]
pub struct OfferChanges {
    /// A new title.
    pub title: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// New groups; every group when empty.
    pub groups: Option<Vec<WorkerGroup>>,
    /// A new start.
    pub valid_from: Option<DateTime<Utc>>,
    /// A new end.
    pub valid_until: Option<DateTime<Utc>>,
    /// The version the edit was made from; a stale one is a `CONFLICT`.
    pub expected_version: Option<i32>,
}

fn check_window(from: DateTime<Utc>, until: DateTime<Utc>) -> AppResult<()> {
    check_instant("validFrom", from)?;
    check_instant("validUntil", until)?;
    if until <= from {
        return Err(AppError::bad_input("validUntil must be after validFrom"));
    }
    if until - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(AppError::bad_input(format!(
            "an offer runs at most {MAX_WINDOW_DAYS} days; renew it after that"
        )));
    }
    Ok(())
}

/// The place of an offer, if the viewer may manage it. A place the viewer may not see is
/// `NOT_FOUND` before anything else, so anonymous callers learn nothing about drafts.
async fn managed_place(domain: &Domain, viewer: &Viewer, place_id: i32) -> AppResult<place::Model> {
    let place = place::Entity::find_by_id(place_id)
        .filter(place::Column::DeletedAt.is_null())
        .one(&domain.db)
        .await?
        .filter(|row| policy::can_see(viewer, row))
        .ok_or_else(|| {
            AppError::NotFound(format!("no place with this id is visible to you (id {place_id})"))
        })?;
    policy::may_manage(viewer, &place)?;
    Ok(place)
}

/// A live offer, if the viewer may manage its place.
async fn managed_offer(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<(offer::Model, place::Model)> {
    let offer = offer::Entity::find_by_id(id)
        .filter(offer::Column::DeletedAt.is_null())
        .one(&domain.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no offer with this id (id {id})")))?;
    let place = managed_place(domain, viewer, offer.place_id).await?;
    Ok((offer, place))
}

/// Records history and logs the place as changed, so every instance re-reads its offers.
async fn touch_and_record(
    db: &impl ConnectionTrait,
    place: &place::Model,
    viewer: &Viewer,
    action: Action,
    changes: Vec<FieldChange>,
) -> AppResult<()> {
    place::Entity::update_many()
        .col_expr(
            place::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(place::Column::Id.eq(place.id))
        .exec(db)
        .await?;
    history::record(db, place.id, viewer, action, changes, None).await?;
    let location = Point {
        lat: place.latitude,
        lng: place.longitude,
    };
    change_log::append_place(db, place.id, &[location]).await?;
    Ok(())
}

fn offer_changes(old: Option<&offer::Model>, new: Option<&offer::Model>) -> Vec<FieldChange> {
    let groups = |offer: &offer::Model| serde_json::to_string(&offer.groups.0).unwrap_or_default();
    [
        // Always present, so every entry names its offer (the API shows its global id).
        Some(FieldChange {
            field: "offer.id".to_owned(),
            old: old.map(|o| o.id.to_string()),
            new: new.map(|o| o.id.to_string()),
        }),
        change(
            "offer.title",
            old.map(|o| o.title.clone()),
            new.map(|o| o.title.clone()),
        ),
        change(
            "offer.description",
            old.map(|o| o.description.clone()),
            new.map(|o| o.description.clone()),
        ),
        change("offer.groups", old.map(groups), new.map(groups)),
        change(
            "offer.validFrom",
            old.map(|o| o.valid_from.to_rfc3339()),
            new.map(|o| o.valid_from.to_rfc3339()),
        ),
        change(
            "offer.validUntil",
            old.map(|o| o.valid_until.to_rfc3339()),
            new.map(|o| o.valid_until.to_rfc3339()),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Adds an offer to a place the viewer manages.
pub async fn create(domain: &Domain, viewer: &Viewer, new: NewOffer) -> AppResult<offer::Model> {
    let place = managed_place(domain, viewer, new.place_id).await?;
    let now = Utc::now();
    let valid_from = new.valid_from.unwrap_or(now);
    check_window(valid_from, new.valid_until)?;
    let row = offer::ActiveModel {
        place_id: Set(place.id),
        title: Set(validate::name("title", &new.title, 2, 60)?),
        description: Set(validate::text("description", &new.description, 0, 500)?),
        groups: Set(WorkerGroups(validate::deduplicated(new.groups))),
        valid_from: Set(valid_from),
        valid_until: Set(new.valid_until),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    let txn = domain.db.begin().await?;
    let created = row.insert(&txn).await?;
    touch_and_record(
        &txn,
        &place,
        viewer,
        Action::OfferCreated,
        offer_changes(None, Some(&created)),
    )
    .await?;
    txn.commit().await?;
    domain.directory.refresh(&domain.db, &[place.id]).await;
    Ok(created)
}

/// Edits an offer of a place the viewer manages.
pub async fn update(
    domain: &Domain,
    viewer: &Viewer,
    id: i32,
    changes: OfferChanges,
) -> AppResult<offer::Model> {
    let (current, place) = managed_offer(domain, viewer, id).await?;
    let expected = ExpectedVersion(changes.expected_version.unwrap_or(current.version));
    let mut row: offer::ActiveModel = current.clone().into();
    if let Some(title) = &changes.title {
        row.title = Set(validate::name("title", title, 2, 60)?);
    }
    if let Some(description) = &changes.description {
        row.description = Set(validate::text("description", description, 0, 500)?);
    }
    if let Some(groups) = changes.groups {
        row.groups = Set(WorkerGroups(validate::deduplicated(groups)));
    }
    let from = changes.valid_from.unwrap_or(current.valid_from);
    let until = changes.valid_until.unwrap_or(current.valid_until);
    check_window(from, until)?;
    row.valid_from = Set(from);
    row.valid_until = Set(until);
    if !expected.matches(current.version) {
        return Err(expected.conflict("offer", current.version));
    }
    // An edit that changes nothing keeps the version and writes no history.
    if offer_changes(Some(&current), Some(&row.clone().try_into_model()?)).len() <= 1 {
        return Ok(current);
    }
    row.version = Set(expected.next());
    row.updated_at = Set(Utc::now());
    let txn = domain.db.begin().await?;
    let update = offer::Entity::update_many()
        .set(row)
        .filter(offer::Column::Id.eq(id))
        .filter(offer::Column::DeletedAt.is_null());
    let result = expected.guard(update, offer::Column::Version).exec(&txn).await?;
    if result.rows_affected == 0 {
        let now_at = offer::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map_or(current.version, |row| row.version);
        return Err(expected.conflict("offer", now_at));
    }
    let updated = offer::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("offer {id} vanished inside its own update")))?;
    touch_and_record(
        &txn,
        &place,
        viewer,
        Action::OfferUpdated,
        offer_changes(Some(&current), Some(&updated)),
    )
    .await?;
    txn.commit().await?;
    domain.directory.refresh(&domain.db, &[place.id]).await;
    Ok(updated)
}

/// Deletes an offer softly: it leaves every listing but stays in the place's history.
pub async fn delete(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<i32> {
    let (current, place) = managed_offer(domain, viewer, id).await?;
    let txn = domain.db.begin().await?;
    let result = offer::Entity::update_many()
        .col_expr(
            offer::Column::DeletedAt,
            sea_orm::sea_query::Expr::value(Some(Utc::now())),
        )
        .filter(offer::Column::Id.eq(id))
        .filter(offer::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::NotFound(format!("no offer with this id (id {id})")));
    }
    touch_and_record(
        &txn,
        &place,
        viewer,
        Action::OfferDeleted,
        offer_changes(Some(&current), None),
    )
    .await?;
    txn.commit().await?;
    domain.directory.refresh(&domain.db, &[place.id]).await;
    Ok(id)
}

/// A live offer by id, for `node`: visible when its place is and it is current, or to
/// those who manage the place.
pub async fn find(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Option<offer::Model>> {
    let Some(offer) = offer::Entity::find_by_id(id)
        .filter(offer::Column::DeletedAt.is_null())
        .one(&domain.db)
        .await?
    else {
        return Ok(None);
    };
    let Some(place) = place::Entity::find_by_id(offer.place_id).one(&domain.db).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let current = offer.valid_from <= now && now < offer.valid_until;
    let visible = (policy::can_see(viewer, &place) && current) || policy::may_manage(viewer, &place).is_ok();
    Ok(visible.then_some(offer))
}

/// The live offers of every place an account owns, expired and upcoming ones included,
/// oldest first: a portal's offers page. Deleted places and offers are left out.
pub async fn owned_by(
    domain: &Domain,
    owner: &Identity,
    after: Option<i32>,
    first: usize,
) -> AppResult<Page<offer::Model>> {
    let places = place::Entity::find()
        .select_only()
        .column(place::Column::Id)
        .filter(place::Column::OwnerRole.eq(owner.role.claim()))
        .filter(place::Column::OwnerSubject.eq(owner.subject.as_str()))
        .filter(place::Column::DeletedAt.is_null())
        .into_query();
    let owned = offer::Entity::find()
        .filter(offer::Column::PlaceId.in_subquery(places))
        .filter(offer::Column::DeletedAt.is_null());
    let page = owned
        .clone()
        .filter(offer::Column::Id.gt(after.unwrap_or(0)))
        .order_by_asc(offer::Column::Id);
    read_page(&domain.db, owned, page, first).await
}
