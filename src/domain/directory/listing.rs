//! The read model: a place as the directory serves it, with its offers, parsed hours and
//! rating travelling with it so nested fields need no further query.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{
    offer,
    place::{self, StatusState, WorkerGroup},
    place_photo,
};

use super::schedule::Schedule;
use crate::domain::{geo::Point, hours::Hours, voice::Rating};

/// A place as the directory serves it: the row, its live offers, and what filters need,
/// prepared once.
#[derive(Debug)]
pub struct Listing {
    /// The place's row as last read.
    pub place: place::Model,
    /// Offers not deleted and not yet over, by id; `current_offers` narrows to now.
    pub offers: Vec<offer::Model>,
    /// Its opening hours, shared with every listing that has the same; `None` when the
    /// stored hours do not parse: the place's open state is then unknown.
    pub schedule: Option<Arc<Schedule>>,
    /// Its visible reviews by stars, read with the listing, so `rating` costs no query.
    pub rating: Rating,
    /// Its photos in display order, read with the listing, so `photos` costs no query.
    pub photos: Vec<place_photo::Model>,
    /// The place's amenities as bits, for the index's filter checks.
    pub(super) amenity_bits: u32,
    /// The groups the place serves as bits, for the index's filter checks.
    pub(super) group_bits: u32,
    /// Its name and address in lower case, as search compares them, when that differs
    /// from the row's (Chinese text never does, so most listings keep no copy).
    lowered: Option<Box<Lowered>>,
}

/// A name and address in lower case.
#[derive(Debug)]
struct Lowered {
    name: String,
    address: String,
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
    /// Prepares a listing from its parts: deleted offers dropped, offers by id, filter keys
    /// computed once.
    pub(super) fn new(
        place: place::Model,
        mut offers: Vec<offer::Model>,
        rating: Rating,
        schedule: Option<Arc<Schedule>>,
    ) -> Self {
        offers.retain(|offer| offer.deleted_at.is_none());
        offers.sort_by_key(|offer| offer.id);
        let (name, address) = (place.name.to_lowercase(), place.address.to_lowercase());
        let lowered =
            (name != place.name || address != place.address).then(|| Box::new(Lowered { name, address }));
        Self {
            lowered,
            schedule,
            amenity_bits: bits(place.amenities.0.iter().map(|&a| a as u32)),
            group_bits: bits(place.serves_groups.0.iter().map(|&g| g as u32)),
            place,
            offers,
            rating,
            photos: Vec::new(),
        }
    }

    /// The listing with its photos, in display order.
    pub(crate) fn with_photos(mut self, photos: Vec<place_photo::Model>) -> Self {
        self.photos = photos;
        self
    }

    /// The name in lower case, as search compares it.
    pub(super) fn lower_name(&self) -> &str {
        self.lowered
            .as_ref()
            .map_or(&self.place.name, |lowered| &lowered.name)
    }

    /// The address in lower case, as search compares it.
    pub(super) fn lower_address(&self) -> &str {
        self.lowered
            .as_ref()
            .map_or(&self.place.address, |lowered| &lowered.address)
    }

    /// Where the place is, in WGS-84.
    pub fn point(&self) -> Point {
        Point {
            lat: self.place.latitude,
            lng: self.place.longitude,
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
        let place = &self.place;
        let expires_at = place.status_expires_at.filter(|expires| *expires > now)?;
        Some(LiveStatus {
            state: place.status_state?,
            seats_free: place.status_seats_free,
            note: place.status_note.clone(),
            updated_at: place.status_updated_at?,
            expires_at,
        })
    }

    /// Whether an offer is for `group`: offers naming no group are for every worker.
    pub fn offer_is_for(offer: &offer::Model, group: Option<WorkerGroup>) -> bool {
        offer.groups.0.is_empty() || group.is_some_and(|group| offer.groups.0.contains(&group))
    }
}

/// A set of small enum indices as one bit mask.
pub(super) fn bits(indices: impl Iterator<Item = u32>) -> u32 {
    indices.fold(0, |acc, index| acc | (1 << index))
}
