//! The read model: a place as the directory serves it, with its offers, parsed hours and
//! rating travelling with it so nested fields need no further query.
//!
//! A directory holds a million of them, so a listing is compact: what queries read on every
//! candidate is inline, the strings share one allocation, opening hours are read from the
//! schedule listings share, and what most places lack sits behind a pointer.

mod packed;
mod row;
#[cfg(test)]
pub(super) use row::tests::row as sample_row;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{
    offer,
    place::{Amenity, PlaceKind, Publication, StatusState, WorkerGroup},
    place_photo,
};
use sea_orm::Iterable as _;

use self::packed::PackedStrings;
use super::schedule::Schedule;
use crate::{
    auth::{policy::OwnedPlace, viewer::Role},
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
    /// When the place was created, unless `rare` holds it.
    created: Stamp,
    /// When the place last changed, unless `rare` holds it.
    updated: Stamp,
    /// Its opening hours, shared with every listing that has the same; `None` when the
    /// stored hours do not parse: the place's open state is then unknown.
    pub schedule: Option<Arc<Schedule>>,
    /// Every string of the place, by `Text`.
    texts: PackedStrings<TEXTS>,
    /// Its amenities and the groups it serves as bits, and whether it stands where it was
    /// approved: as the API stores them (ascending, each once), the bits are all there is
    /// to keep of amenities and groups; `rare` keeps any other order.
    traits: Traits,
    /// The role of the account that owns it, when it is one tokens grant, as nearly every
    /// owner's is; any other is among the texts.
    owner_role: Option<Role>,
    /// When it last entered review, which every place published through review has: kept
    /// here, in 8 bytes, so that such a place needs nothing in `rare`.
    submitted: Stamp,
    /// What most places lack: offers, reviews, photos, a live status, a move or deletion.
    rare: Option<Box<Rare>>,
}

// With its two reference counts a listing then takes mimalloc's 112-byte blocks, not 128:
// 16 MB at a million places.
const _: () = assert!(size_of::<Listing>() <= 96);
// And what a listing keeps behind `rare` takes 112 bytes, not 128.
const _: () = assert!(size_of::<Rare>() <= 112);

/// Its amenities (bit `i` for the `i`th declared), the groups it serves (likewise, from
/// `GROUPS_SHIFT`) and whether it stands where it was approved (the top bit), in one word:
/// the index tests the first two with masks, and the listing keeps 4 bytes, not 9.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Traits(u32);

impl Traits {
    /// Where the groups start: one bit for each amenity below.
    pub(super) const GROUPS_SHIFT: u32 = 19;
    /// The bits the groups take: one for each group.
    pub(super) const GROUPS: u32 = 7;
    const APPROVED_HERE: u32 = 1 << 31;
    /// The amenities and groups, without the flag.
    const FILTER_MASK: u32 = (1 << (Self::GROUPS_SHIFT + Self::GROUPS)) - 1;

    fn new(
        amenities: impl Iterator<Item = Amenity>,
        groups: impl Iterator<Item = WorkerGroup>,
        approved_here: bool,
    ) -> Self {
        Self(
            bits(amenities.map(|amenity| amenity as u32))
                | bits(groups.map(|group| group as u32)) << Self::GROUPS_SHIFT
                | if approved_here { Self::APPROVED_HERE } else { 0 },
        )
    }

    /// The amenities, bit `i` for the `i`th amenity declared.
    pub(super) fn amenities(self) -> u32 {
        self.0 & ((1 << Self::GROUPS_SHIFT) - 1)
    }

    /// The groups served, bit `i` for the `i`th group declared.
    pub(super) fn groups(self) -> u32 {
        self.0 >> Self::GROUPS_SHIFT & ((1 << Self::GROUPS) - 1)
    }

    /// The amenities and groups as one word, nothing else: what filters test.
    pub(super) fn filter_word(self) -> u32 {
        self.0 & Self::FILTER_MASK
    }

    /// Amenities and groups from `filter_word`.
    pub(super) fn from_filter_word(word: u32) -> Self {
        Self(word & Self::FILTER_MASK)
    }

    /// True when it was approved exactly where it stands, as nearly every published place
    /// was: then the approved coordinates are its own and `lifecycle` need not keep them.
    fn approved_here(self) -> bool {
        self.0 & Self::APPROVED_HERE != 0
    }
}

/// A time, or none, as nanoseconds since the epoch: every time from 1677 to 2262 but one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp(i64);

impl Stamp {
    /// No time here: none at all, or one kept elsewhere.
    const NONE: Self = Self(i64::MIN);

    /// The stamp of `at`, when one holds `at` exactly.
    fn of(at: DateTime<Utc>) -> Option<Self> {
        let nanos = at.timestamp_nanos_opt().filter(|&nanos| nanos != Self::NONE.0)?;
        (DateTime::from_timestamp_nanos(nanos) == at).then_some(Self(nanos))
    }

    fn time(self) -> Option<DateTime<Utc>> {
        (self != Self::NONE).then(|| DateTime::from_timestamp_nanos(self.0))
    }
}

/// The parts of a listing that most places lack, behind one pointer.
#[derive(Debug, Default)]
struct Rare {
    /// Offers not deleted and not yet over, by id; `current_offers` narrows to now.
    offers: Box<[offer::Model]>,
    /// Its visible reviews by stars, read with the listing, so `rating` costs no query.
    rating: Rating,
    /// Its photos in display order, read with the listing, so `photos` costs no query.
    photos: Box<[place_photo::Model]>,
    /// Its live status as stored, when one was ever set.
    status: Option<Box<StoredStatus>>,
    /// Its deletion date, its approved coordinates when it moved since, and its
    /// submission, creation and change dates when a `Stamp` cannot hold them, when it has
    /// any of them to keep.
    lifecycle: Option<Box<Lifecycle>>,
    /// Its amenities as stored, when that is not ascending and each once.
    amenities: Option<Box<[Amenity]>>,
    /// The groups it serves as stored, when that is not ascending and each once.
    serves_groups: Option<Box<[WorkerGroup]>>,
}

impl Rare {
    fn is_empty(&self) -> bool {
        self.offers.is_empty()
            && self.rating == Rating::default()
            && self.photos.is_empty()
            && self.status.is_none()
            && self.lifecycle.is_none()
            && self.amenities.is_none()
            && self.serves_groups.is_none()
    }
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
    /// Present only when it is not a role tokens grant.
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

/// When the place entered review, was created and last changed (each unless the listing's
/// `Stamp` holds it) and was deleted, and where it was approved unless it stands there
/// still.
#[derive(Debug)]
struct Lifecycle {
    submitted_at: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
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
        self.owner_role
            .map(Role::claim)
            .or_else(|| self.text(Text::OwnerRole))
            .unwrap_or_default()
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

    fn rare(&self) -> Option<&Rare> {
        self.rare.as_deref()
    }

    fn lifecycle(&self) -> Option<&Lifecycle> {
        self.rare().and_then(|rare| rare.lifecycle.as_deref())
    }

    fn stored_status(&self) -> Option<&StoredStatus> {
        self.rare().and_then(|rare| rare.status.as_deref())
    }

    /// When the place last entered review.
    pub fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.submitted
            .time()
            .or_else(|| self.lifecycle().and_then(|lifecycle| lifecycle.submitted_at))
    }

    /// When the place was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created
            .time()
            .or_else(|| self.lifecycle().and_then(|lifecycle| lifecycle.created_at))
            .unwrap_or_default()
    }

    /// When the place last changed.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated
            .time()
            .or_else(|| self.lifecycle().and_then(|lifecycle| lifecycle.updated_at))
            .unwrap_or_default()
    }

    /// When its owner deleted the listing.
    pub fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.lifecycle().and_then(|lifecycle| lifecycle.deleted_at)
    }

    /// Offers not deleted and not yet over, by id.
    pub fn offers(&self) -> &[offer::Model] {
        self.rare().map_or(&[], |rare| &rare.offers)
    }

    /// Its visible reviews by stars.
    pub fn rating(&self) -> Rating {
        self.rare().map_or_else(Rating::default, |rare| rare.rating)
    }

    /// Its photos in display order.
    pub fn photos(&self) -> &[place_photo::Model] {
        self.rare().map_or(&[], |rare| &rare.photos)
    }

    /// Its amenities in their stored order, which the API keeps.
    pub fn amenities(&self) -> impl Iterator<Item = Amenity> + '_ {
        as_stored(
            self.rare().and_then(|rare| rare.amenities.as_deref()),
            self.traits.amenities(),
            Amenity::iter(),
        )
    }

    /// The groups it serves in their stored order, which the API keeps.
    pub fn serves_groups(&self) -> impl Iterator<Item = WorkerGroup> + '_ {
        as_stored(
            self.rare().and_then(|rare| rare.serves_groups.as_deref()),
            self.traits.groups(),
            WorkerGroup::iter(),
        )
    }

    /// The name in lower case, as search compares it.
    pub(super) fn lower_name(&self) -> &str {
        self.text(Text::LowerName).unwrap_or_else(|| self.name())
    }

    /// The address in lower case, as search compares it.
    pub(super) fn lower_address(&self) -> &str {
        self.text(Text::LowerAddress).unwrap_or_else(|| self.address())
    }

    /// The place's amenities and groups as bits, for the index's filter checks.
    pub(super) fn traits(&self) -> Traits {
        self.traits
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
        self.offers()
            .iter()
            .filter(move |offer| offer.valid_from <= now && now < offer.valid_until)
    }

    /// The live status, or `None` once it expired or when none was set.
    pub fn status(&self, now: DateTime<Utc>) -> Option<LiveStatus> {
        let status = self.stored_status()?;
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

/// A list of enum values as stored: `kept` whole when it was stored out of order, else the
/// variants whose bits are set, in declaration order.
fn as_stored<'l, T: Copy + 'l>(
    kept: Option<&'l [T]>,
    bits: u32,
    variants: impl Iterator<Item = T> + 'l,
) -> impl Iterator<Item = T> + 'l {
    let bits = if kept.is_some() { 0 } else { bits };
    kept.into_iter().flatten().copied().chain(
        variants
            .enumerate()
            .filter(move |(index, _)| bits & (1 << index) != 0)
            .map(|(_, variant)| variant),
    )
}
