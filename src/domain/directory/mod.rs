//! The published directory, held in memory and kept current by following the change log:
//! at once for this instance's own writes, and within moments for every other instance's.
//!
//! Riders read far more than partners write, and a whole country's network is a few
//! hundred thousand places, so discovery answers from this index instead of asking the
//! database on every read: a grid of ~250 m cells finds the candidates of a radius search,
//! every distance is then computed exactly, and offers and live status travel with each
//! listing so nested fields need no further query.

use std::{
    collections::BinaryHeap,
    sync::{Arc, RwLock, atomic::AtomicI64},
};

use chrono::{DateTime, Utc};
use entity::{
    offer,
    place::{self, Amenity, PlaceKind, StatusState, WorkerGroup},
};
pub use sync::CatchUp;

pub mod follow;
mod index;
mod sync;

use index::{Centre, Entry, Index, Matcher};

use super::{
    calendar::WorkCalendar,
    geo::{EARTH_RADIUS_METERS, Point},
    hours::Hours,
    live::Hub,
    voice::Rating,
};

/// A place as the directory serves it: the row, its live offers, and what filters need,
/// prepared once.
#[derive(Debug)]
pub struct Listing {
    pub place: place::Model,
    /// Offers not deleted and not yet over, by id; `current_offers` narrows to now.
    pub offers: Vec<offer::Model>,
    /// `None` when the stored hours do not parse: the place's open state is then unknown.
    pub hours: Option<Hours>,
    /// Its visible reviews by stars, read with the listing, so `rating` costs no query.
    pub rating: Rating,
    amenity_bits: u32,
    group_bits: u32,
}

/// The live status of a place, while it has not expired.
#[derive(Clone, Debug)]
pub struct LiveStatus {
    pub state: StatusState,
    pub seats_free: Option<i32>,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Listing {
    pub fn point(&self) -> Point {
        Point {
            lat: self.place.latitude,
            lng: self.place.longitude,
        }
    }

    pub fn is_open_at(&self, at: DateTime<Utc>) -> Option<bool> {
        self.hours
            .as_ref()
            .and_then(|hours| hours.is_open_at(at, self.place.follows_work_calendar))
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

/// `text` in lower case, borrowed when it has no upper-case letters (Chinese has none), so
/// search needs no lower-case copies of every name in memory.
fn lowered(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_uppercase) {
        text.to_lowercase().into()
    } else {
        text.into()
    }
}

fn bits(indices: impl Iterator<Item = u32>) -> u32 {
    indices.fold(0, |acc, index| acc | (1 << index))
}

/// What a caller asked to keep. Empty lists do not filter.
#[derive(Clone, Debug, Default)]
pub struct PlaceFilter {
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
    /// `Some(true)`: only places whose live status is not FULL or TEMPORARILY_CLOSED.
    pub available: Option<bool>,
    /// Only places whose average rating is at least this; unrated places do not pass.
    pub min_rating: Option<f64>,
}

/// Whether a listing passes `filter` at `now`, as the directory's queries would decide.
pub fn matches(listing: &Arc<Listing>, filter: &PlaceFilter, now: DateTime<Utc>) -> bool {
    Matcher::new(filter, now).matches(&Entry::new(listing.clone()))
}

/// Distinct opening-hours expressions kept parsed.
const HOURS_CACHED: usize = 10_000;

/// One page of a listing, with the size of the whole result.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_count: usize,
    pub has_next_page: bool,
}

/// A listing found by a search.
#[derive(Clone, Debug)]
pub struct Found {
    pub listing: Arc<Listing>,
    /// The haversine term to the search centre, when there is one.
    proximity: Option<f64>,
    /// How well the text matched: 0 exact name, 1 name prefix, 2 in the name, 3 elsewhere.
    pub rank: u8,
}

impl Found {
    /// Exact great-circle metres from the search centre, when there is one.
    pub fn distance_meters(&self) -> Option<f64> {
        self.proximity.map(index::meters_for)
    }

    pub fn key(&self) -> RankKey {
        RankKey {
            rank: self.rank,
            proximity: self.proximity.unwrap_or(0.0),
            id: self.listing.place.id,
        }
    }
}

/// Where a page of a ranked result resumes: after this rank and proximity, ties by id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankKey {
    pub rank: u8,
    /// Grows with the distance from the centre (the haversine term); 0 without a centre.
    pub proximity: f64,
    pub id: i32,
}

impl RankKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank
            .cmp(&other.rank)
            .then(self.proximity.total_cmp(&other.proximity))
            .then(self.id.cmp(&other.id))
    }
}

/// A match inside the index, before its listing is shared with the caller.
struct Hit<'a> {
    key: RankKey,
    entry: &'a Entry,
}

impl Hit<'_> {
    fn found(self, centred: bool) -> Found {
        Found {
            listing: self.entry.listing.clone(),
            proximity: centred.then_some(self.key.proximity),
            rank: self.key.rank,
        }
    }
}

impl PartialEq for Hit<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key.cmp(&other.key).is_eq()
    }
}

impl Eq for Hit<'_> {}

impl PartialOrd for Hit<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Hit<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// The places of a radius search's page.
#[derive(Debug)]
pub struct Nearest {
    pub items: Vec<Found>,
    pub has_next_page: bool,
}

/// A radius search prepared once: the centre, the radius in the forms the checks need, and
/// the compiled filter.
struct RadiusSearch<'a> {
    centre: Centre,
    radius: f64,
    angle: f64,
    a_max: f64,
    matcher: Matcher<'a>,
}

impl<'a> RadiusSearch<'a> {
    fn new(center: Point, radius: f64, filter: &'a PlaceFilter, now: DateTime<Utc>) -> Self {
        Self {
            centre: Centre::new(center),
            radius,
            angle: radius / EARTH_RADIUS_METERS,
            a_max: (radius / (2.0 * EARTH_RADIUS_METERS)).sin().powi(2),
            matcher: Matcher::new(filter, now),
        }
    }

    /// Hands `entry` to `keep` when it lies within the radius and matches the filter.
    fn visit<'e>(&self, entry: &'e Entry, keep: &mut impl FnMut(Hit<'e>)) {
        if self.centre.clearly_beyond(entry, self.angle) {
            return;
        }
        let a = self.centre.a_to(entry);
        if within(a, self.a_max, self.radius) && self.matcher.matches(entry) {
            keep(Hit {
                key: RankKey {
                    rank: 0,
                    proximity: a,
                    id: entry.id(),
                },
                entry,
            });
        }
    }
}

/// Keeps the `first` best hits after `after`, sorted, and counts them all.
fn page_of(mut hits: Vec<Hit<'_>>, after: Option<RankKey>, first: usize, centred: bool) -> Page<Found> {
    let total_count = hits.len();
    if let Some(after) = after {
        hits.retain(|hit| hit.key.cmp(&after).is_gt());
    }
    let has_next_page = hits.len() > first;
    if has_next_page {
        hits.select_nth_unstable_by(first, |a, b| a.key.cmp(&b.key));
        hits.truncate(first);
    }
    hits.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    let items = hits.into_iter().map(|hit| hit.found(centred)).collect();
    Page {
        items,
        total_count,
        has_next_page,
    }
}

/// Whether a haversine term lies within `radius` metres, exactly at the boundary too.
fn within(a: f64, a_max: f64, radius: f64) -> bool {
    if (a - a_max).abs() <= a_max * 1e-9 {
        index::meters_for(a) <= radius
    } else {
        a < a_max
    }
}

/// The in-memory directory of published places.
pub struct Directory {
    index: RwLock<Index>,
    calendar: RwLock<Arc<WorkCalendar>>,
    /// Parsed hours by (expression, zone): a network repeats a handful of expressions. Bounded,
    /// since every owner may write expressions of their own.
    hours: quick_cache::sync::Cache<(String, String), Option<Hours>>,
    /// The change-log position up to which every change is applied.
    applied: AtomicI64,
    /// The log's head when the follower last looked: how far behind `applied` is.
    head_seen: AtomicI64,
    /// Serialises followers of the log, so positions apply in order.
    following: tokio::sync::Mutex<()>,
    /// Subscribers to hear of every change applied.
    hub: Arc<Hub>,
}

impl Directory {
    pub fn new(calendar: WorkCalendar) -> Self {
        Self {
            index: RwLock::default(),
            calendar: RwLock::new(Arc::new(calendar)),
            hours: quick_cache::sync::Cache::new(HOURS_CACHED),
            applied: AtomicI64::new(0),
            head_seen: AtomicI64::new(0),
            following: tokio::sync::Mutex::default(),
            hub: Arc::default(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        // Every mutation of the index is a single insert or remove, so a panic elsewhere
        // while a guard was held cannot leave it half-updated.
        self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn calendar(&self) -> Arc<WorkCalendar> {
        self.calendar
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn hours_for(&self, expression: &str, zone: &str) -> Option<Hours> {
        let key = (expression.to_owned(), zone.to_owned());
        if let Some(hours) = self.hours.get(&key) {
            return hours;
        }
        let hours = Hours::parse(expression, zone, self.calendar()).ok();
        self.hours.insert(key, hours.clone());
        hours
    }

    /// Prepares a listing for any place, published or not.
    pub fn listing(&self, place: place::Model, mut offers: Vec<offer::Model>, rating: Rating) -> Listing {
        offers.retain(|offer| offer.deleted_at.is_none());
        offers.sort_by_key(|offer| offer.id);
        Listing {
            hours: self.hours_for(&place.opening_hours, &place.time_zone),
            amenity_bits: bits(place.amenities.0.iter().map(|&a| a as u32)),
            group_bits: bits(place.serves_groups.0.iter().map(|&g| g as u32)),
            place,
            offers,
            rating,
        }
    }

    pub fn len(&self) -> usize {
        self.read().by_id.len()
    }

    /// Every published place within `radius` metres of `center`, by id.
    pub fn within(&self, center: Point, radius: f64) -> Vec<Arc<Listing>> {
        let filter = PlaceFilter::default();
        let search = RadiusSearch::new(center, radius, &filter, Utc::now());
        let index = self.read();
        let mut found = Vec::new();
        index.for_each_candidate(center, radius, |entry| {
            search.visit(entry, &mut |hit| found.push(hit.entry.listing.clone()));
        });
        found.sort_unstable_by_key(|listing| listing.place.id);
        found
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, id: i32) -> Option<Arc<Listing>> {
        self.read().by_id.get(&id).map(|entry| entry.listing.clone())
    }

    /// Published places matching `filter`, by id, starting after `after`.
    pub fn list(
        &self,
        filter: &PlaceFilter,
        now: DateTime<Utc>,
        after: Option<i32>,
        first: usize,
    ) -> Page<Arc<Listing>> {
        let matcher = Matcher::new(filter, now);
        let index = self.read();
        let start = after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let mut following = index
            .by_id
            .range((start, std::ops::Bound::Unbounded))
            .map(|(_, entry)| entry);
        if matcher.is_empty() {
            // Nothing to filter: the count is the directory's size and a page is a range.
            let items: Vec<Arc<Listing>> = following
                .by_ref()
                .take(first)
                .map(|entry| entry.listing.clone())
                .collect();
            return Page {
                items,
                total_count: index.by_id.len(),
                has_next_page: following.next().is_some(),
            };
        }
        let total_count = index
            .by_id
            .values()
            .filter(|entry| matcher.matches(entry))
            .count();
        let mut matching = following.filter(|entry| matcher.matches(entry));
        let items: Vec<Arc<Listing>> = matching
            .by_ref()
            .take(first)
            .map(|entry| entry.listing.clone())
            .collect();
        Page {
            items,
            total_count,
            has_next_page: matching.next().is_some(),
        }
    }

    /// The `first` published places within `radius` metres of `center` matching `filter`,
    /// nearest first (ties by id), starting after `after`. Cells are visited nearest first
    /// and the search stops once no further cell can hold anything nearer than what it has,
    /// so a dense downtown costs little more than the suburbs.
    pub fn nearest(
        &self,
        center: Point,
        radius: f64,
        filter: &PlaceFilter,
        now: DateTime<Utc>,
        after: Option<RankKey>,
        first: usize,
    ) -> Nearest {
        let search = RadiusSearch::new(center, radius, filter, now);
        let index = self.read();
        let Some(cells) = index.cells_within(center, radius) else {
            let mut hits = Vec::new();
            index
                .by_id
                .values()
                .for_each(|entry| search.visit(entry, &mut |hit| hits.push(hit)));
            let page = page_of(hits, after, first, true);
            return Nearest {
                items: page.items,
                has_next_page: page.has_next_page,
            };
        };
        // The best `first + 1` so far, worst on top: one more than a page tells whether
        // another page follows.
        let keep = first + 1;
        let mut best: BinaryHeap<Hit<'_>> = BinaryHeap::with_capacity(keep + 1);
        for (lower_bound, members) in cells {
            if best.len() == keep && best.peek().is_some_and(|worst| lower_bound > worst.key.proximity) {
                break;
            }
            for entry in members {
                search.visit(entry, &mut |hit| {
                    if after.is_some_and(|after| hit.key.cmp(&after).is_le()) {
                        return;
                    }
                    if best.len() < keep {
                        best.push(hit);
                    } else if best.peek().is_some_and(|worst| hit.key.cmp(&worst.key).is_lt()) {
                        best.pop();
                        best.push(hit);
                    }
                });
            }
        }
        let mut hits = best.into_sorted_vec();
        let has_next_page = hits.len() > first;
        hits.truncate(first);
        let items = hits.into_iter().map(|hit| hit.found(true)).collect();
        Nearest { items, has_next_page }
    }

    /// How many published places lie within `radius` metres of `center` matching `filter`.
    pub fn count_nearby(
        &self,
        center: Point,
        radius: f64,
        filter: &PlaceFilter,
        now: DateTime<Utc>,
    ) -> usize {
        let search = RadiusSearch::new(center, radius, filter, now);
        let index = self.read();
        let mut count = 0;
        index.for_each_candidate(center, radius, |entry| search.visit(entry, &mut |_| count += 1));
        count
    }

    /// Published places whose name, address or current offer titles contain every word
    /// of `text`: exact names first, then names that start with it, then names that
    /// contain it, then the rest; within a rank by distance from `near` when given.
    pub fn search(
        &self,
        text: &str,
        near: Option<Point>,
        filter: &PlaceFilter,
        now: DateTime<Utc>,
        after: Option<RankKey>,
        first: usize,
    ) -> Page<Found> {
        let phrase = text.trim().to_lowercase();
        let words: Vec<&str> = phrase.split_whitespace().collect();
        let matcher = Matcher::new(filter, now);
        let centre = near.map(Centre::new);
        let index = self.read();
        let hits: Vec<Hit<'_>> = index
            .by_id
            .values()
            .filter_map(|entry| {
                let listing = &entry.listing;
                let in_offers = |word: &str| {
                    listing
                        .current_offers(now)
                        .any(|offer| lowered(&offer.title).contains(word))
                };
                let all_found = words.iter().all(|word| {
                    lowered(&listing.place.name).contains(word)
                        || lowered(&listing.place.address).contains(word)
                        || in_offers(word)
                });
                if !all_found || !matcher.matches(entry) {
                    return None;
                }
                let name = lowered(&listing.place.name);
                let rank = if *name == *phrase {
                    0
                } else if name.starts_with(&phrase) {
                    1
                } else if name.contains(&phrase) {
                    2
                } else {
                    3
                };
                let proximity = centre.map_or(0.0, |centre| centre.a_to(entry));
                Some(Hit {
                    key: RankKey {
                        rank,
                        proximity,
                        id: entry.id(),
                    },
                    entry,
                })
            })
            .collect();
        page_of(hits, after, first, centre.is_some())
    }
}
