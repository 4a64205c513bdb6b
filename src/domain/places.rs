//! Places: finding them, listing them, searching around a point, creating and changing them.

use std::sync::Arc;

use chrono::Utc;
use entity::place::{self, Amenities, Amenity, PlaceKind, Publication, WorkerGroup, WorkerGroups};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::{
    Services,
    directory::{Listing, Nearby, NearbyKey, Page, PlaceFilter},
    geo::{Point, Within},
    hours::{DEFAULT_TIME_ZONE, Hours},
};
use crate::{
    auth::{Viewer, policy},
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
    Ok(policy::can_see(viewer, &row).then(|| Arc::new(Listing::new(row))))
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
    after: Option<NearbyKey>,
    first: usize,
) -> Page<Nearby> {
    let radius = within.radius_meters(&services.config.travel);
    services
        .directory
        .nearby(near, radius, filter, Utc::now(), after, first)
}

/// The places an account owns, whatever their publication, in id order.
pub async fn owned_by(
    services: &Services,
    subject: &str,
    after: Option<i32>,
    first: usize,
) -> AppResult<Page<Arc<Listing>>> {
    let owned = place::Entity::find().filter(place::Column::OwnerSubject.eq(subject));
    let total_count = owned.clone().count(&services.db).await? as usize;
    let rows = owned
        .filter(place::Column::Id.gt(after.unwrap_or(0)))
        .order_by_asc(place::Column::Id)
        .limit(first as u64 + 1)
        .all(&services.db)
        .await?;
    let has_next_page = rows.len() > first;
    let items = rows
        .into_iter()
        .take(first)
        .map(|row| Arc::new(Listing::new(row)))
        .collect();
    Ok(Page {
        items,
        total_count,
        has_next_page,
    })
}

/// A new listing as its author describes it.
#[derive(Clone, Debug)]
pub struct NewPlace {
    pub kind: PlaceKind,
    pub name: String,
    pub address: String,
    pub description: Option<String>,
    pub location: Point,
    pub opening_hours: String,
    pub time_zone: Option<String>,
    pub phone: Option<String>,
    pub amenities: Vec<Amenity>,
    pub serves_groups: Vec<WorkerGroup>,
}

/// The fields an edit changes; `None` leaves a field as it is. For the optional fields,
/// `Some(None)` clears them.
#[derive(Clone, Debug, Default)]
pub struct PlaceChanges {
    pub kind: Option<PlaceKind>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub description: Option<Option<String>>,
    pub location: Option<Point>,
    pub opening_hours: Option<String>,
    pub time_zone: Option<String>,
    pub phone: Option<Option<String>>,
    pub amenities: Option<Vec<Amenity>>,
    pub serves_groups: Option<Vec<WorkerGroup>>,
}

/// Creates a draft owned by the viewer. Drafts reach only their owner and admins.
pub async fn create(services: &Services, viewer: &Viewer, new: NewPlace) -> AppResult<Arc<Listing>> {
    policy::may_create(viewer, new.kind)?;
    let owner = viewer
        .subject()
        .expect("may_create admits only signed-in viewers")
        .to_owned();
    let time_zone = new
        .time_zone
        .unwrap_or_else(|| DEFAULT_TIME_ZONE.name().to_owned());
    Hours::parse(&new.opening_hours, &time_zone)?;
    let now = Utc::now();
    let row = place::ActiveModel {
        kind: Set(new.kind),
        name: Set(checked_text("name", &new.name, 2, 100)?),
        address: Set(checked_text("address", &new.address, 4, 200)?),
        description: Set(new
            .description
            .as_deref()
            .map(|text| checked_text("description", text, 1, 2000))
            .transpose()?),
        latitude: Set(new.location.lat),
        longitude: Set(new.location.lng),
        opening_hours: Set(checked_text("openingHours", &new.opening_hours, 1, 500)?),
        time_zone: Set(time_zone),
        phone: Set(new.phone.as_deref().map(checked_phone).transpose()?),
        amenities: Set(Amenities(deduplicated(new.amenities))),
        serves_groups: Set(WorkerGroups(deduplicated(new.serves_groups))),
        owner_subject: Set(owner),
        publication: Set(Publication::Draft),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&services.db)
    .await?;
    Ok(Arc::new(Listing::new(row)))
}

/// Applies `changes` if the place is still at `expected_version`; otherwise CONFLICT and
/// nothing changes. Every successful edit bumps the version by one.
pub async fn update(
    services: &Services,
    viewer: &Viewer,
    id: i32,
    expected_version: i32,
    changes: PlaceChanges,
) -> AppResult<Arc<Listing>> {
    let current = place::Entity::find_by_id(id)
        .one(&services.db)
        .await?
        .filter(|row| policy::can_see(viewer, row))
        .ok_or_else(|| AppError::NotFound(format!("no place with id {id} is visible to you")))?;
    policy::may_edit(viewer, &current, changes.kind.unwrap_or(current.kind))?;
    let mut row: place::ActiveModel = current.clone().into();
    if let Some(kind) = changes.kind {
        row.kind = Set(kind);
    }
    if let Some(name) = &changes.name {
        row.name = Set(checked_text("name", name, 2, 100)?);
    }
    if let Some(address) = &changes.address {
        row.address = Set(checked_text("address", address, 4, 200)?);
    }
    if let Some(description) = &changes.description {
        row.description = Set(description
            .as_deref()
            .map(|text| checked_text("description", text, 1, 2000))
            .transpose()?);
    }
    if let Some(location) = changes.location {
        row.latitude = Set(location.lat);
        row.longitude = Set(location.lng);
    }
    if changes.opening_hours.is_some() || changes.time_zone.is_some() {
        let hours = changes
            .opening_hours
            .clone()
            .unwrap_or(current.opening_hours.clone());
        let zone = changes.time_zone.clone().unwrap_or(current.time_zone.clone());
        Hours::parse(&hours, &zone)?;
        row.opening_hours = Set(checked_text("openingHours", &hours, 1, 500)?);
        row.time_zone = Set(zone);
    }
    if let Some(phone) = &changes.phone {
        row.phone = Set(phone.as_deref().map(checked_phone).transpose()?);
    }
    if let Some(amenities) = changes.amenities {
        row.amenities = Set(Amenities(deduplicated(amenities)));
    }
    if let Some(groups) = changes.serves_groups {
        row.serves_groups = Set(WorkerGroups(deduplicated(groups)));
    }
    row.version = Set(expected_version + 1);
    row.updated_at = Set(Utc::now());
    // The version guard in the WHERE clause makes the check and the write one step, so
    // of two concurrent edits from the same version exactly one lands. The transaction
    // writes first: a SQLite transaction that read before writing could not wait for
    // another writer's lock.
    let txn = services.db.begin().await?;
    let result = place::Entity::update_many()
        .set(row)
        .filter(place::Column::Id.eq(id))
        .filter(place::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(stale(id, expected_version, current.version));
    }
    let updated = place::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("place {id} vanished inside its own update")))?;
    txn.commit().await?;
    services.directory.apply(updated.clone());
    Ok(Arc::new(Listing::new(updated)))
}

/// Gives a place to another account. Admins only.
pub async fn transfer(
    services: &Services,
    viewer: &Viewer,
    id: i32,
    new_owner: &str,
) -> AppResult<Arc<Listing>> {
    policy::may_transfer(viewer)?;
    let new_owner = checked_text("newOwnerSubject", new_owner, 1, 200)?;
    let current = place::Entity::find_by_id(id)
        .one(&services.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no place with id {id}")))?;
    let mut row: place::ActiveModel = current.clone().into();
    row.owner_subject = Set(new_owner);
    row.version = Set(current.version + 1);
    row.updated_at = Set(Utc::now());
    let txn = services.db.begin().await?;
    let result = place::Entity::update_many()
        .set(row)
        .filter(place::Column::Id.eq(id))
        .filter(place::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(stale(id, current.version, current.version));
    }
    let updated = place::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("place {id} vanished inside its own transfer")))?;
    txn.commit().await?;
    services.directory.apply(updated.clone());
    Ok(Arc::new(Listing::new(updated)))
}

fn stale(id: i32, expected: i32, seen: i32) -> AppError {
    AppError::Conflict(format!(
        "place {id} changed since version {expected} (it was at version {seen} when checked); \
         read it again and reapply your edit"
    ))
}

fn checked_text(field: &str, value: &str, min: usize, max: usize) -> AppResult<String> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length < min || length > max {
        return Err(AppError::bad_input(format!(
            "{field} must be {min} to {max} characters long, got {length}"
        )));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::bad_input(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(trimmed.to_owned())
}

/// Accepts mainland and international forms: digits with optional +, spaces, dashes and
/// parentheses, 5 to 20 digits in all (hotlines such as 12345 included).
fn checked_phone(value: &str) -> AppResult<String> {
    let trimmed = value.trim();
    let digits = trimmed.chars().filter(char::is_ascii_digit).count();
    let allowed = trimmed.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if !allowed || !(5..=20).contains(&digits) || trimmed.len() > 32 {
        return Err(AppError::bad_input(format!(
            "phone {trimmed:?} is not a phone number: use digits with optional +, spaces, dashes or \
             parentheses, such as \"0538-3221234\" or \"+86 138 0000 0000\""
        )));
    }
    Ok(trimmed.to_owned())
}

fn deduplicated<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}
