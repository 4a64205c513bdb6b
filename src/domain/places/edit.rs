//! Creating and changing listings.

use std::sync::Arc;

use chrono::Utc;
use entity::{
    place::{self, Amenities, Amenity, PlaceKind, Publication, WorkerGroup, WorkerGroups},
    place_history::FieldChange,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, TransactionTrait};

use super::{
    read::listings,
    write::{Change, Guard, clear_status, for_change, save},
};
use crate::{
    auth::{Role, Viewer, policy},
    domain::{
        Domain, change_log,
        directory::Listing,
        geo::Point,
        history::{self, Action},
        hours::{DEFAULT_TIME_ZONE, Hours},
        validate,
        version::ExpectedVersion,
    },
    error::{AppError, AppResult},
};

/// A new listing as its author describes it.
#[derive(Clone, Debug)]
pub struct NewPlace {
    /// What kind of place it is; merchants may create only the merchant kinds.
    pub kind: PlaceKind,
    /// The name workers see.
    pub name: String,
    /// The street address.
    pub address: String,
    /// A few lines about the place.
    pub description: Option<String>,
    /// Where it is, in WGS84.
    pub location: Point,
    /// Opening hours in OpenStreetMap syntax.
    pub opening_hours: String,
    /// The IANA time zone of the hours; Asia/Shanghai when omitted.
    pub time_zone: Option<String>,
    /// Whether it opens on make-up working days with a weekday's hours.
    pub follows_work_calendar: bool,
    /// A phone number to call.
    pub phone: Option<String>,
    /// What it offers a worker who stops by.
    pub amenities: Vec<Amenity>,
    /// The worker groups it welcomes.
    pub serves_groups: Vec<WorkerGroup>,
}

/// The fields an edit changes; `None` leaves a field as it is. For the optional fields,
/// `Some(None)` clears them.
#[derive(Clone, Debug, Default)]
pub struct PlaceChanges {
    /// A new kind.
    pub kind: Option<PlaceKind>,
    /// A new name.
    pub name: Option<String>,
    /// A new address.
    pub address: Option<String>,
    /// A new description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// A new position.
    pub location: Option<Point>,
    /// New opening hours.
    pub opening_hours: Option<String>,
    /// A new time zone.
    pub time_zone: Option<String>,
    /// Whether it follows the work calendar from now on.
    pub follows_work_calendar: Option<bool>,
    /// A new phone number; `Some(None)` clears it.
    pub phone: Option<Option<String>>,
    /// New amenities.
    pub amenities: Option<Vec<Amenity>>,
    /// New worker groups.
    pub serves_groups: Option<Vec<WorkerGroup>>,
}

fn check_hours(domain: &Domain, expression: &str, zone: &str) -> AppResult<String> {
    let expression = validate::text("openingHours", expression, 1, 500)?;
    Hours::parse(&expression, zone, domain.directory.calendar())?;
    Ok(expression)
}

fn check_location(domain: &Domain, point: Point) -> AppResult<Point> {
    if let Some(area) = domain.rules.service_area
        && !area.contains(point)
    {
        return Err(AppError::bad_input(format!(
            "location {:.5},{:.5} lies outside the service area ({area}); check the coordinates and their system",
            point.lat, point.lng
        )));
    }
    Ok(point)
}

fn check_description(description: Option<&str>) -> AppResult<Option<String>> {
    description
        .map(|text| validate::text("description", text, 1, 2000))
        .transpose()
}

/// Creates a draft owned by the viewer. Drafts reach only their owner and admins.
pub async fn create(domain: &Domain, viewer: &Viewer, new: NewPlace) -> AppResult<Arc<Listing>> {
    policy::may_create(viewer, new.kind)?;
    let owner = viewer
        .identity()
        .expect("may_create admits only signed-in viewers")
        .clone();
    let time_zone = new
        .time_zone
        .unwrap_or_else(|| DEFAULT_TIME_ZONE.name().to_owned());
    let location = check_location(domain, new.location)?;
    let now = Utc::now();
    let row = place::ActiveModel {
        kind: Set(new.kind),
        name: Set(validate::name("name", &new.name, 2, 100)?),
        address: Set(validate::name("address", &new.address, 4, 200)?),
        description: Set(check_description(new.description.as_deref())?),
        latitude: Set(location.lat),
        longitude: Set(location.lng),
        opening_hours: Set(check_hours(domain, &new.opening_hours, &time_zone)?),
        time_zone: Set(time_zone),
        follows_work_calendar: Set(new.follows_work_calendar),
        phone: Set(new.phone.as_deref().map(validate::phone).transpose()?),
        amenities: Set(Amenities(validate::deduplicated(new.amenities))),
        serves_groups: Set(WorkerGroups(validate::deduplicated(new.serves_groups))),
        owner_subject: Set(owner.subject),
        owner_role: Set(owner.role.claim().to_owned()),
        publication: Set(Publication::Draft),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let txn = domain.db.begin().await?;
    let created = row.insert(&txn).await?;
    // A creation has no old values: each field set is listed with its new value only.
    let fields = history::diff_places(&blank_like(&created), &created)
        .into_iter()
        .map(|field| FieldChange { old: None, ..field })
        .collect();
    history::record(&txn, created.id, viewer, Action::Created, fields, None).await?;
    change_log::append_place(&txn, created.id, &[location]).await?;
    txn.commit().await?;
    Ok(listings(domain, vec![created]).await?.remove(0))
}

/// A place with every recorded field empty, so a creation's history lists each field set.
fn blank_like(place: &place::Model) -> place::Model {
    place::Model {
        name: String::new(),
        address: String::new(),
        description: None,
        latitude: 0.0,
        longitude: 0.0,
        opening_hours: String::new(),
        time_zone: String::new(),
        phone: None,
        amenities: Amenities::default(),
        serves_groups: WorkerGroups::default(),
        owner_subject: String::new(),
        owner_role: String::new(),
        ..place.clone()
    }
}

/// Applies `changes` if the place is still at `expected_version`; otherwise CONFLICT and
/// nothing changes. Every successful edit bumps the version by one. Moving a published
/// place further than the review distance, or changing its kind, sends it back to review.
pub async fn update(
    domain: &Domain,
    viewer: &Viewer,
    id: i32,
    expected_version: i32,
    changes: PlaceChanges,
) -> AppResult<Arc<Listing>> {
    let current = for_change(&domain.db, viewer, id).await?;
    policy::may_edit(viewer, &current, changes.kind.unwrap_or(current.kind))?;
    let mut row: place::ActiveModel = current.clone().into();
    if let Some(kind) = changes.kind {
        row.kind = Set(kind);
    }
    if let Some(name) = &changes.name {
        row.name = Set(validate::name("name", name, 2, 100)?);
    }
    if let Some(address) = &changes.address {
        row.address = Set(validate::name("address", address, 4, 200)?);
    }
    if let Some(description) = &changes.description {
        row.description = Set(check_description(description.as_deref())?);
    }
    if let Some(location) = changes.location {
        let location = check_location(domain, location)?;
        row.latitude = Set(location.lat);
        row.longitude = Set(location.lng);
    }
    if changes.opening_hours.is_some() || changes.time_zone.is_some() {
        let zone = changes.time_zone.clone().unwrap_or(current.time_zone.clone());
        let hours = changes
            .opening_hours
            .clone()
            .unwrap_or(current.opening_hours.clone());
        row.opening_hours = Set(check_hours(domain, &hours, &zone)?);
        row.time_zone = Set(zone);
    }
    if let Some(follows) = changes.follows_work_calendar {
        row.follows_work_calendar = Set(follows);
    }
    if let Some(phone) = &changes.phone {
        row.phone = Set(phone.as_deref().map(validate::phone).transpose()?);
    }
    if let Some(amenities) = changes.amenities {
        row.amenities = Set(Amenities(validate::deduplicated(amenities)));
    }
    if let Some(groups) = changes.serves_groups {
        row.serves_groups = Set(WorkerGroups(validate::deduplicated(groups)));
    }
    // Measured from where an admin last approved the place, so that short moves cannot add
    // up to a relocation nobody reviewed.
    let anchor = match (current.approved_latitude, current.approved_longitude) {
        (Some(lat), Some(lng)) => Point { lat, lng },
        _ => Point {
            lat: current.latitude,
            lng: current.longitude,
        },
    };
    let moved = changes.location.map_or(0.0, |to| anchor.distance_to(to));
    let kind_changed = changes.kind.is_some_and(|kind| kind != current.kind);
    let needs_review = current.publication == Publication::Published
        && (moved > domain.rules.review_move_meters || kind_changed);
    if needs_review {
        row.publication = Set(Publication::PendingReview);
        row.submitted_at = Set(Some(Utc::now()));
        clear_status(&mut row);
    }
    let reason = needs_review.then(|| {
        if kind_changed {
            "the kind changed: back to review".to_owned()
        } else {
            format!("moved {moved:.0} m from where it was approved: back to review")
        }
    });
    save(
        domain,
        viewer,
        Change {
            current: &current,
            row,
            guard: Guard::Version(ExpectedVersion(expected_version)),
            action: Action::Updated,
            reason,
        },
    )
    .await
}

/// Gives a place to another account (a merchant's or an operator's). Admins only.
pub async fn transfer(
    domain: &Domain,
    viewer: &Viewer,
    id: i32,
    new_owner: &str,
    new_role: Option<Role>,
) -> AppResult<Arc<Listing>> {
    policy::may_moderate(viewer)?;
    let new_owner = validate::text("newOwnerSubject", new_owner, 1, 200)?;
    let current = for_change(&domain.db, viewer, id).await?;
    let role = new_role.unwrap_or(if current.kind.is_merchant_kind() {
        Role::Merchant
    } else {
        Role::Operator
    });
    if role == Role::Worker {
        return Err(AppError::bad_input(
            "newOwnerRole: workers cannot own places; give it to a MERCHANT, OPERATOR or ADMIN account",
        ));
    }
    let mut row: place::ActiveModel = current.clone().into();
    row.owner_subject = Set(new_owner);
    row.owner_role = Set(role.claim().to_owned());
    save(
        domain,
        viewer,
        Change {
            current: &current,
            row,
            guard: Guard::Version(ExpectedVersion(current.version)),
            action: Action::Transferred,
            reason: None,
        },
    )
    .await
}
