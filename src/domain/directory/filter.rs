//! What a caller asked to keep, and the matcher that checks it against the index's
//! inline keys before looking into a listing.

use std::{cell::RefCell, collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use entity::place::{Amenity, PlaceKind, StatusState, WorkerGroup};

use super::{
    listing::{Listing, bits},
    schedule::Schedule,
    spatial::{Entry, Kept, Profile},
};

/// What a caller asked to keep. Empty lists do not filter.
#[derive(Clone, Debug, Default)]
pub struct PlaceFilter {
    /// Only places of these kinds.
    pub kinds: Vec<PlaceKind>,
    /// A place must have all of them.
    pub amenities: Vec<Amenity>,
    /// A place must serve at least one of them.
    pub groups: Vec<WorkerGroup>,
    /// `Some(true)`: only places open now; `Some(false)`: only places not open now.
    pub open_now: Option<bool>,
    /// Only places open at this moment.
    pub open_at: Option<DateTime<Utc>>,
    /// Only places with a current offer for this group (or for every worker); the outer
    /// `Some` asks for the filter, the inner option is the caller's group.
    pub offers_for: Option<Option<WorkerGroup>>,
    /// `Some(true)`: only places whose live status is not FULL or `TEMPORARILY_CLOSED`.
    pub available: Option<bool>,
    /// Only places whose average rating is at least this; unrated places do not pass.
    pub min_rating: Option<f64>,
}

/// Whether a listing passes `filter` at `now`, as the directory's queries would decide.
pub fn matches(listing: &Arc<Listing>, filter: &PlaceFilter, now: DateTime<Utc>) -> bool {
    Matcher::new(filter, now).matches_with(&Profile::of(listing), listing)
}

/// A filter compiled to bit masks and a clock reading. The masks are checked on the inline
/// keys; only filters about time, status or offers look into the listing itself.
pub(super) struct Matcher<'a> {
    filter: &'a PlaceFilter,
    kinds: u32,
    amenities: u32,
    groups: u32,
    needs_listing: bool,
    now: DateTime<Utc>,
    /// Whether each schedule met is open at `filter.open_at`, by its address: as many
    /// entries as distinct schedules, which the directory's listings bound.
    open_at: RefCell<HashMap<usize, bool>>,
}

impl<'a> Matcher<'a> {
    pub(super) fn new(filter: &'a PlaceFilter, now: DateTime<Utc>) -> Self {
        Self {
            filter,
            kinds: bits(filter.kinds.iter().map(|&k| k as u32)),
            amenities: bits(filter.amenities.iter().map(|&a| a as u32)),
            groups: bits(filter.groups.iter().map(|&g| g as u32)),
            needs_listing: filter.available.is_some()
                || filter.offers_for.is_some()
                || filter.open_now.is_some()
                || filter.open_at.is_some()
                || filter.min_rating.is_some(),
            now,
            open_at: RefCell::default(),
        }
    }

    /// True when nothing is filtered.
    pub(super) fn is_empty(&self) -> bool {
        self.kinds == 0 && self.amenities == 0 && self.groups == 0 && !self.needs_listing
    }

    /// True when only kind, amenities, groups and hours are filtered, so listings alike in
    /// those (the index's groups) all pass or all fail.
    pub(super) fn decides_by_group(&self) -> bool {
        self.filter.available.is_none()
            && self.filter.offers_for.is_none()
            && self.filter.min_rating.is_none()
    }

    /// Whether listings with this profile and schedule pass the filters on kind,
    /// amenities, groups and hours.
    pub(super) fn matches_group(&self, profile: &Profile, schedule: Option<&Arc<Schedule>>) -> bool {
        self.matches_profile(profile) && self.matches_hours(schedule)
    }

    /// Whether listings with this profile pass the filters on kind, amenities and groups.
    pub(super) fn matches_profile(&self, profile: &Profile) -> bool {
        (self.kinds == 0 || self.kinds & profile.kind_bit() != 0)
            && profile.amenity_bits() & self.amenities == self.amenities
            && (self.groups == 0 || profile.group_bits() & self.groups != 0)
    }

    /// Whether a listing with these filter keys passes; the listing is read only when the
    /// keys pass and the filter needs it.
    fn matches_with(&self, profile: &Profile, listing: &Listing) -> bool {
        self.matches_profile(profile) && (!self.needs_listing || self.matches_read(listing))
    }

    pub(super) fn matches(&self, entry: &Entry) -> bool {
        self.matches_with(&entry.profile, &entry.listing)
    }

    /// Whether a place kept by id passes.
    pub(super) fn matches_kept(&self, kept: &Kept) -> bool {
        self.matches_with(&kept.profile, &kept.listing)
    }

    /// Whether hours following `schedule` pass `openNow` and `openAt`; unknown hours do
    /// not count as open.
    fn matches_hours(&self, schedule: Option<&Arc<Schedule>>) -> bool {
        self.filter.open_now.is_none_or(|wanted| {
            schedule
                .and_then(|schedule| schedule.is_open_now(self.now))
                .unwrap_or(false)
                == wanted
        }) && self.filter.open_at.is_none_or(|at| self.open_at(schedule, at))
    }

    /// Whether a schedule is open at `at`, each schedule evaluated once per search.
    fn open_at(&self, schedule: Option<&Arc<Schedule>>, at: DateTime<Utc>) -> bool {
        let Some(schedule) = schedule else {
            return false;
        };
        *self
            .open_at
            .borrow_mut()
            .entry(Arc::as_ptr(schedule) as usize)
            .or_insert_with(|| schedule.is_open_at(at) == Some(true))
    }

    /// Whether a listing passes the filters that read it: status, offers, hours, rating.
    fn matches_read(&self, listing: &Listing) -> bool {
        let filter = self.filter;
        filter.available.is_none_or(|wanted| {
            let blocked = listing.status(self.now).is_some_and(|status| {
                matches!(status.state, StatusState::Full | StatusState::TemporarilyClosed)
            });
            blocked != wanted
        }) && filter.offers_for.is_none_or(|group| {
            listing
                .current_offers(self.now)
                .any(|offer| Listing::offer_is_for(offer, group))
        }) && self.matches_hours(listing.schedule.as_ref())
            && filter
                .min_rating
                .is_none_or(|min| listing.rating().average().is_some_and(|average| average >= min))
    }
}
