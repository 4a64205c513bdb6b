//! The read model: a place as the directory serves it, with its offers, parsed hours and
//! rating travelling with it so nested fields need no further query.
//!
//! A directory holds a million of them, so a listing is compact: what queries read on every
//! candidate is inline, the strings share one allocation, opening hours are read from the
//! schedule listings share, and what most places lack sits behind a pointer.

mod packed;
mod row;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{
    offer,
    place::{Amenity, PlaceKind, Publication, StatusState, WorkerGroup},
    place_photo,
};

use self::packed::PackedStrings;
use super::schedule::Schedule;
use crate::{
    auth::policy::OwnedPlace,
    domain::{geo::Point, hours::Hours, voice::Rating},
};

/// A place as the directory serves it: its fields, its live offers, and what filters need,
/// prepared once.
#[derive(Debug)]
pub struct Listing {
    /// The place's id.
    pub id: i32,
    /// What kind of place it is.
    pub kind: PlaceKind,
    /// Where it stands in review.
    pub publication: Publication,
    /// Bumped on every change; writers send it back as `expectedVersion`.
    pub version: i32,
    /// WGS-84 latitude in degrees.
    pub latitude: f64,
    /// WGS-84 longitude in degrees.
    pub longitude: f64,
    /// The change-log position of the place's latest change.
    pub log_position: i64,
    /// Whether it opens on make-up working days (调休).
    pub follows_work_calendar: bool,
    /// When the place was created.
    pub created_at: DateTime<Utc>,
    /// When the place last changed.
    pub updated_at: DateTime<Utc>,
    /// Its amenities in their stored order, which the API keeps.
    pub amenities: Box<[Amenity]>,
    /// The groups it serves in their stored order, which the API keeps.
    pub serves_groups: Box<[WorkerGroup]>,
    /// Offers not deleted and not yet over, by id; `current_offers` narrows to now.
    pub offers: Box<[offer::Model]>,
    /// Its opening hours, shared with every listing that has the same; `None` when the
    /// stored hours do not parse: the place's open state is then unknown.
    pub schedule: Option<Arc<Schedule>>,
    /// Its visible reviews by stars, read with the listing, so `rating` costs no query.
    pub rating: Rating,
    /// Its photos in display order, read with the listing, so `photos` costs no query.
    pub photos: Box<[place_photo::Model]>,
    /// Every string of the place, by `Text`.
    texts: PackedStrings<TEXTS>,
    /// True when it was approved exactly where it stands, as nearly every published place
    /// was: then the approved coordinates are its own and `lifecycle` need not keep them.
    approved_here: bool,
    /// Its live status as stored, when one was ever set.
    status: Option<Box<StoredStatus>>,
    /// Its review and deletion dates and its approved coordinates, when it has any of them
    /// to keep.
    lifecycle: Option<Box<Lifecycle>>,
}

/// The strings of a listing, as `texts` holds them.
#[derive(Clone, Copy)]
enum Text {
    Name,
    Address,
    /// Present only when it differs from the name (Chinese text never does).
    LowerName,
    /// Present only when it differs from the address.
    LowerAddress,
    Description,
    Phone,
    OwnerSubject,
    OwnerRole,
    ReviewNote,
    StatusNote,
    /// Present only when the schedule does not hold it.
    OpeningHours,
    /// Present only when the schedule does not hold it.
    TimeZone,
}

const TEXTS: usize = Text::TimeZone as usize + 1;

/// A live status as stored, expired or not; its note is among the listing's texts.
#[derive(Debug)]
struct StoredStatus {
    state: Option<StatusState>,
    seats_free: Option<i32>,
    updated_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

/// When the place entered review and was deleted, and where it was approved unless it
/// stands there still.
#[derive(Debug)]
struct Lifecycle {
    submitted_at: Option<DateTime<Utc>>,
    approved_latitude: Option<f64>,
    approved_longitude: Option<f64>,
    deleted_at: Option<DateTime<Utc>>,
}

/// The live status of a place, while it has not expired.
#[derive(Clone, Debug)]
pub struct LiveStatus {
    /// OPEN, BUSY, FULL or `TEMPORARILY_CLOSED`.
    pub state: StatusState,
    /// Free seats, when the place counts them.
    pub seats_free: Option<i32>,
    /// A short note from the place.
    pub note: Option<String>,
    /// When the status was set.
    pub updated_at: DateTime<Utc>,
    /// When the status stops being shown.
    pub expires_at: DateTime<Utc>,
}

impl Listing {
    fn text(&self, text: Text) -> Option<&str> {
        self.texts.get(text as usize)
    }

    /// The name, as shown to workers.
    pub fn name(&self) -> &str {
        self.text(Text::Name).unwrap_or_default()
    }

    /// The street address.
    pub fn address(&self) -> &str {
        self.text(Text::Address).unwrap_or_default()
    }

    /// A few lines about the place, written by its owner.
    pub fn description(&self) -> Option<&str> {
        self.text(Text::Description)
    }

    /// A phone number to call the place.
    pub fn phone(&self) -> Option<&str> {
        self.text(Text::Phone)
    }

    /// The `sub` claim of the account that owns the listing.
    pub fn owner_subject(&self) -> &str {
        self.text(Text::OwnerSubject).unwrap_or_default()
    }

    /// The role of the account that owns the listing.
    pub fn owner_role(&self) -> &str {
        self.text(Text::OwnerRole).unwrap_or_default()
    }

    /// Why an admin rejected or suspended the place.
    pub fn review_note(&self) -> Option<&str> {
        self.text(Text::ReviewNote)
    }

    /// The opening hours as stored, in OpenStreetMap `opening_hours` syntax.
    pub fn opening_hours(&self) -> &str {
        self.text(Text::OpeningHours)
            .or_else(|| self.schedule.as_deref().map(Schedule::expression))
            .unwrap_or_default()
    }

    /// The IANA time zone the opening hours are read in, as stored.
    pub fn time_zone(&self) -> &str {
        self.text(Text::TimeZone)
            .or_else(|| self.schedule.as_deref().map(Schedule::zone))
            .unwrap_or_default()
    }

    /// When the place last entered review.
    pub fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.lifecycle
            .as_ref()
            .and_then(|lifecycle| lifecycle.submitted_at)
    }

    /// When its owner deleted the listing.
    pub fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.lifecycle.as_ref().and_then(|lifecycle| lifecycle.deleted_at)
    }

    /// The name in lower case, as search compares it.
    pub(super) fn lower_name(&self) -> &str {
        self.text(Text::LowerName).unwrap_or_else(|| self.name())
    }

    /// The address in lower case, as search compares it.
    pub(super) fn lower_address(&self) -> &str {
        self.text(Text::LowerAddress).unwrap_or_else(|| self.address())
    }

    /// The place's amenities as bits, for the index's filter checks.
    pub(super) fn amenity_bits(&self) -> u32 {
        bits(self.amenities.iter().map(|&amenity| amenity as u32))
    }

    /// The groups the place serves as bits, for the index's filter checks.
    pub(super) fn group_bits(&self) -> u32 {
        bits(self.serves_groups.iter().map(|&group| group as u32))
    }

    /// Where the place is, in WGS-84.
    pub fn point(&self) -> Point {
        Point {
            lat: self.latitude,
            lng: self.longitude,
        }
    }

    /// The parsed opening hours, when they parse.
    pub fn hours(&self) -> Option<&Hours> {
        self.schedule.as_deref().map(Schedule::hours)
    }

    /// Whether the place is open at `at`; `None` when its hours do not say.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> Option<bool> {
        self.schedule
            .as_ref()
            .and_then(|schedule| schedule.is_open_at(at))
    }

    /// Whether the place is open at `now`, a clock reading, from its schedule's kept state.
    pub fn is_open_now(&self, now: DateTime<Utc>) -> Option<bool> {
        self.schedule
            .as_ref()
            .and_then(|schedule| schedule.is_open_now(now))
    }

    /// Offers valid at `now`.
    pub fn current_offers(&self, now: DateTime<Utc>) -> impl Iterator<Item = &offer::Model> {
        self.offers
            .iter()
            .filter(move |offer| offer.valid_from <= now && now < offer.valid_until)
    }

    /// The live status, or `None` once it expired or when none was set.
    pub fn status(&self, now: DateTime<Utc>) -> Option<LiveStatus> {
        let status = self.status.as_deref()?;
        let expires_at = status.expires_at.filter(|expires| *expires > now)?;
        Some(LiveStatus {
            state: status.state?,
            seats_free: status.seats_free,
            note: self.text(Text::StatusNote).map(str::to_owned),
            updated_at: status.updated_at?,
            expires_at,
        })
    }

    /// Whether an offer is for `group`: offers naming no group are for every worker.
    pub fn offer_is_for(offer: &offer::Model, group: Option<WorkerGroup>) -> bool {
        offer.groups.0.is_empty() || group.is_some_and(|group| offer.groups.0.contains(&group))
    }
}

impl OwnedPlace for Listing {
    fn id(&self) -> i32 {
        self.id
    }

    fn publication(&self) -> Publication {
        self.publication
    }

    fn is_deleted(&self) -> bool {
        self.deleted_at().is_some()
    }

    fn owner_role(&self) -> &str {
        Self::owner_role(self)
    }

    fn owner_subject(&self) -> &str {
        Self::owner_subject(self)
    }
}

/// A set of small enum indices as one bit mask.
pub(super) fn bits(indices: impl Iterator<Item = u32>) -> u32 {
    indices.fold(0, |acc, index| acc | (1 << index))
}
