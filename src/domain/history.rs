//! The history of a place: every change to it, its offers and its status, written in the
//! same transaction as the change.

use chrono::Utc;
use entity::{
    place,
    place_history::{self, FieldChange, FieldChanges},
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::{
    Domain,
    paging::{Page, read_page},
};
use crate::{
    auth::{
        Viewer,
        policy::{self, OwnedPlace},
    },
    error::{AppError, AppResult},
};

/// What happened to a place, as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The place was created as a draft.
    Created,
    /// Its owner edited it.
    Updated,
    /// An admin gave it to another account.
    Transferred,
    /// Its owner asked for review.
    Submitted,
    /// An admin published it.
    Approved,
    /// An admin returned it with a reason.
    Rejected,
    /// An admin took it down with a reason.
    Suspended,
    /// Its live status was set.
    StatusSet,
    /// An offer was added.
    OfferCreated,
    /// An offer was edited.
    OfferUpdated,
    /// An offer was removed.
    OfferDeleted,
    /// Its owner took it back from review to edit it.
    Withdrawn,
    /// Its owner asked for a suspension to be reviewed again, with a note.
    Appealed,
    /// Its owner deleted it before it was ever published.
    Deleted,
    /// A photo was added.
    PhotoAdded,
    /// A photo was removed.
    PhotoRemoved,
    /// The photos were put in a new order.
    PhotosReordered,
}

impl Action {
    /// Every action, for filters and the schema's enum.
    pub const ALL: [Self; 17] = [
        Self::Created,
        Self::Updated,
        Self::Transferred,
        Self::Submitted,
        Self::Approved,
        Self::Rejected,
        Self::Suspended,
        Self::StatusSet,
        Self::OfferCreated,
        Self::OfferUpdated,
        Self::OfferDeleted,
        Self::Withdrawn,
        Self::Appealed,
        Self::Deleted,
        Self::PhotoAdded,
        Self::PhotoRemoved,
        Self::PhotosReordered,
    ];

    /// The action stored under `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == name)
    }

    /// The name the history stores and the API shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Updated => "UPDATED",
            Self::Transferred => "TRANSFERRED",
            Self::Submitted => "SUBMITTED",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
            Self::Suspended => "SUSPENDED",
            Self::StatusSet => "STATUS_SET",
            Self::OfferCreated => "OFFER_CREATED",
            Self::OfferUpdated => "OFFER_UPDATED",
            Self::OfferDeleted => "OFFER_DELETED",
            Self::Withdrawn => "WITHDRAWN",
            Self::Appealed => "APPEALED",
            Self::Deleted => "DELETED",
            Self::PhotoAdded => "PHOTO_ADDED",
            Self::PhotoRemoved => "PHOTO_REMOVED",
            Self::PhotosReordered => "PHOTOS_REORDERED",
        }
    }
}

/// Writes one history entry. Call it inside the transaction of the change it records.
pub async fn record(
    db: &impl ConnectionTrait,
    place_id: i32,
    viewer: &Viewer,
    action: Action,
    changes: Vec<FieldChange>,
    reason: Option<String>,
) -> AppResult<()> {
    let identity = viewer
        .identity()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a change without a signed-in viewer")))?;
    place_history::ActiveModel {
        place_id: Set(place_id),
        actor_subject: Set(identity.subject.clone()),
        actor_role: Set(identity.role.claim().to_owned()),
        action: Set(action.as_str().to_owned()),
        changes: Set(FieldChanges(changes)),
        reason: Set(reason),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A field's change, when it changed.
pub fn change<T: ToString + PartialEq>(field: &str, old: Option<T>, new: Option<T>) -> Option<FieldChange> {
    (old != new).then(|| FieldChange {
        field: field.to_owned(),
        old: old.map(|value| value.to_string()),
        new: new.map(|value| value.to_string()),
    })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Every public field that differs between two versions of a place.
pub fn diff_places(old: &place::Model, new: &place::Model) -> Vec<FieldChange> {
    [
        change("kind", Some(old.kind.to_value()), Some(new.kind.to_value())),
        change("name", Some(&old.name), Some(&new.name)),
        change("address", Some(&old.address), Some(&new.address)),
        change("description", old.description.as_ref(), new.description.as_ref()),
        change("latitude", Some(old.latitude), Some(new.latitude)),
        change("longitude", Some(old.longitude), Some(new.longitude)),
        change("openingHours", Some(&old.opening_hours), Some(&new.opening_hours)),
        change("timeZone", Some(&old.time_zone), Some(&new.time_zone)),
        change(
            "followsWorkCalendar",
            Some(old.follows_work_calendar),
            Some(new.follows_work_calendar),
        ),
        change("phone", old.phone.as_ref(), new.phone.as_ref()),
        change(
            "amenities",
            Some(json(&old.amenities.0)),
            Some(json(&new.amenities.0)),
        ),
        change(
            "servesGroups",
            Some(json(&old.serves_groups.0)),
            Some(json(&new.serves_groups.0)),
        ),
        change("ownerSubject", Some(&old.owner_subject), Some(&new.owner_subject)),
        change("ownerRole", Some(&old.owner_role), Some(&new.owner_role)),
        change(
            "publication",
            Some(old.publication.to_value()),
            Some(new.publication.to_value()),
        ),
        change("reviewNote", old.review_note.as_ref(), new.review_note.as_ref()),
        change(
            "status.state",
            old.status_state.map(|state| state.to_value()),
            new.status_state.map(|state| state.to_value()),
        ),
        change("status.seatsFree", old.status_seats_free, new.status_seats_free),
        change("status.note", old.status_note.as_ref(), new.status_note.as_ref()),
        change(
            "status.expiresAt",
            old.status_expires_at.map(|t| t.to_rfc3339()),
            new.status_expires_at.map(|t| t.to_rfc3339()),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A page of a place's history, newest first. Its owner and admins only.
pub async fn page(
    domain: &Domain,
    viewer: &Viewer,
    place: &impl OwnedPlace,
    before: Option<i32>,
    first: usize,
) -> AppResult<Page<place_history::Model>> {
    policy::may_manage(viewer, place)?;
    let entries = place_history::Entity::find().filter(place_history::Column::PlaceId.eq(place.id()));
    let page = entries
        .clone()
        .filter(place_history::Column::Id.lt(before.unwrap_or(i32::MAX)))
        .order_by_desc(place_history::Column::Id);
    read_page(&domain.db, entries, page, first).await
}
