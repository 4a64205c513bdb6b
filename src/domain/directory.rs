//! The published directory, held in memory and kept current by the writes that change it
//! and, for writes made by other instances, by polling the database.
//!
//! Riders read far more than partners write, and a whole country's network is a few
//! hundred thousand places, so discovery answers from this index instead of asking the
//! database on every read: a grid of ~1 km cells finds the candidates of a radius search,
//! every distance is then computed exactly, and offers and live status travel with each
//! listing so nested fields need no further query.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use entity::{
    offer,
    place::{self, Amenity, PlaceKind, Publication, StatusState, WorkerGroup},
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{calendar::WorkCalendar, geo::Point, hours::Hours};
use crate::error::AppResult;

/// Grid cells are 0.01° on a side: about 1.1 km north–south, 0.9 km east–west in Shandong.
const CELLS_PER_DEGREE: f64 = 100.0;
/// Past this many cells a radius search scans the whole directory instead.
const MAX_CELLS_PER_SEARCH: i64 = 20_000;
/// Rows per query when loading or refreshing.
const LOAD_BATCH: u64 = 5_000;

/// A place as the directory serves it: the row, its live offers, and what filters need,
/// prepared once.
#[derive(Debug)]
pub struct Listing {
    pub place: place::Model,
    /// Offers not deleted and not yet over, by id; `current_offers` narrows to now.
    pub offers: Vec<offer::Model>,
    /// `None` when the stored hours do not parse: the place's open state is then unknown.
    pub hours: Option<Hours>,
    amenity_bits: u32,
    group_bits: u32,
    name_lower: String,
    address_lower: String,
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
}

/// A filter compiled to bit masks and a clock reading, so checking a listing is cheap.
struct Matcher<'a> {
    filter: &'a PlaceFilter,
    kinds: u32,
    amenities: u32,
    groups: u32,
    now: DateTime<Utc>,
}

impl<'a> Matcher<'a> {
    fn new(filter: &'a PlaceFilter, now: DateTime<Utc>) -> Self {
        Self {
            filter,
            kinds: bits(filter.kinds.iter().map(|&k| k as u32)),
            amenities: bits(filter.amenities.iter().map(|&a| a as u32)),
            groups: bits(filter.groups.iter().map(|&g| g as u32)),
            now,
        }
    }

    fn matches(&self, listing: &Listing) -> bool {
        let filter = self.filter;
        (self.kinds == 0 || self.kinds & (1 << listing.place.kind as u32) != 0)
            && listing.amenity_bits & self.amenities == self.amenities
            && (self.groups == 0 || listing.group_bits & self.groups != 0)
            && filter.available.is_none_or(|wanted| {
                let blocked = listing.status(self.now).is_some_and(|status| {
                    matches!(status.state, StatusState::Full | StatusState::TemporarilyClosed)
                });
                blocked != wanted
            })
            && filter.offers_for.is_none_or(|group| {
                listing
                    .current_offers(self.now)
                    .any(|offer| Listing::offer_is_for(offer, group))
            })
            && filter
                .open_now
                .is_none_or(|wanted| listing.is_open_at(self.now).unwrap_or(false) == wanted)
            && filter
                .open_at
                .is_none_or(|at| listing.is_open_at(at) == Some(true))
    }
}

/// One page of a listing, with the size of the whole result.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_count: usize,
    pub has_next_page: bool,
}

/// A listing found by a search, with its exact distance from the centre when there is one.
#[derive(Clone, Debug)]
pub struct Found {
    pub listing: Arc<Listing>,
    pub distance_meters: Option<f64>,
    /// How well the text matched: 0 exact name, 1 name prefix, 2 in the name, 3 elsewhere.
    pub rank: u8,
}

/// Where a page of a ranked result resumes: after this rank and distance, ties by id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankKey {
    pub rank: u8,
    pub distance_meters: f64,
    pub id: i32,
}

impl Found {
    pub fn key(&self) -> RankKey {
        RankKey {
            rank: self.rank,
            distance_meters: self.distance_meters.unwrap_or(0.0),
            id: self.listing.place.id,
        }
    }
}

fn order(a: &RankKey, b: &RankKey) -> std::cmp::Ordering {
    (a.rank, a.distance_meters, a.id)
        .partial_cmp(&(b.rank, b.distance_meters, b.id))
        .expect("distances are finite")
}

/// Keeps the `first` smallest after `after`, sorted, and counts the rest.
fn page_of(mut found: Vec<Found>, after: Option<RankKey>, first: usize) -> Page<Found> {
    let total_count = found.len();
    if let Some(after) = after {
        found.retain(|item| order(&item.key(), &after).is_gt());
    }
    let has_next_page = found.len() > first;
    if has_next_page {
        found.select_nth_unstable_by(first, |a, b| order(&a.key(), &b.key()));
        found.truncate(first);
    }
    found.sort_unstable_by(|a, b| order(&a.key(), &b.key()));
    Page {
        items: found,
        total_count,
        has_next_page,
    }
}

type Cell = (i32, i32);

fn cell_of(point: Point) -> Cell {
    (
        (point.lat * CELLS_PER_DEGREE).floor() as i32,
        (point.lng * CELLS_PER_DEGREE).floor() as i32,
    )
}

#[derive(Default)]
struct Index {
    by_id: BTreeMap<i32, Arc<Listing>>,
    grid: HashMap<Cell, Vec<Arc<Listing>>>,
}

impl Index {
    fn insert(&mut self, listing: Arc<Listing>) {
        self.remove(listing.place.id);
        self.grid
            .entry(cell_of(listing.point()))
            .or_default()
            .push(listing.clone());
        self.by_id.insert(listing.place.id, listing);
    }

    fn remove(&mut self, id: i32) {
        let Some(old) = self.by_id.remove(&id) else { return };
        let cell = cell_of(old.point());
        if let Some(members) = self.grid.get_mut(&cell) {
            members.retain(|member| member.place.id != id);
            if members.is_empty() {
                self.grid.remove(&cell);
            }
        }
    }

    /// Every listing that may lie within `radius` of `center`: the grid cells that cover
    /// the radius's bounding box, or everything when that box is huge or wraps the globe.
    fn candidates(&self, center: Point, radius: f64) -> Box<dyn Iterator<Item = &Arc<Listing>> + '_> {
        let dlat = (radius / super::geo::EARTH_RADIUS_METERS).to_degrees();
        let max_lat = (center.lat.abs() + dlat).min(89.9);
        let dlng = dlat / max_lat.to_radians().cos();
        let (south, north) = (center.lat - dlat, center.lat + dlat);
        let (west, east) = (center.lng - dlng, center.lng + dlng);
        let rows = ((south * CELLS_PER_DEGREE).floor() as i64)..=((north * CELLS_PER_DEGREE).floor() as i64);
        let cols = ((west * CELLS_PER_DEGREE).floor() as i64)..=((east * CELLS_PER_DEGREE).floor() as i64);
        let cells = (rows.end() - rows.start() + 1) * (cols.end() - cols.start() + 1);
        if west < -180.0 || east > 180.0 || cells > MAX_CELLS_PER_SEARCH || cells as usize > self.grid.len() {
            return Box::new(self.by_id.values());
        }
        Box::new(rows.flat_map(move |row| {
            cols.clone()
                .flat_map(move |col| self.grid.get(&(row as i32, col as i32)).into_iter().flatten())
        }))
    }
}

/// The in-memory directory of published places.
pub struct Directory {
    index: RwLock<Index>,
    calendar: RwLock<Arc<WorkCalendar>>,
    /// Parsed hours by (expression, zone): a network repeats a handful of expressions.
    hours: Mutex<HashMap<(String, String), Option<Hours>>>,
    /// The newest `updated_at` applied, from which polling resumes.
    watermark: Mutex<Option<DateTime<Utc>>>,
}

impl Directory {
    pub fn new(calendar: WorkCalendar) -> Self {
        Self {
            index: RwLock::default(),
            calendar: RwLock::new(Arc::new(calendar)),
            hours: Mutex::default(),
            watermark: Mutex::default(),
        }
    }

    /// Loads every published place and its offers, in batches so a large network never
    /// sits in memory twice.
    pub async fn load(db: &DatabaseConnection, calendar: WorkCalendar) -> AppResult<Self> {
        let directory = Self::new(calendar);
        let mut after = 0;
        loop {
            let rows = place::Entity::find()
                .filter(place::Column::Publication.eq(Publication::Published))
                .filter(place::Column::Id.gt(after))
                .order_by_asc(place::Column::Id)
                .limit(LOAD_BATCH)
                .all(db)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            directory.apply_rows(db, rows).await?;
        }
        Ok(directory)
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
        let mut cache = self.hours.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .entry((expression.to_owned(), zone.to_owned()))
            .or_insert_with(|| Hours::parse(expression, zone, self.calendar()).ok())
            .clone()
    }

    /// Prepares a listing for any place, published or not.
    pub fn listing(&self, place: place::Model, mut offers: Vec<offer::Model>) -> Listing {
        offers.retain(|offer| offer.deleted_at.is_none());
        offers.sort_by_key(|offer| offer.id);
        Listing {
            hours: self.hours_for(&place.opening_hours, &place.time_zone),
            amenity_bits: bits(place.amenities.0.iter().map(|&a| a as u32)),
            group_bits: bits(place.serves_groups.0.iter().map(|&g| g as u32)),
            name_lower: place.name.to_lowercase(),
            address_lower: place.address.to_lowercase(),
            place,
            offers,
        }
    }

    /// Records places as they are now, with their offers: listed while published, gone
    /// otherwise.
    async fn apply_rows(&self, db: &DatabaseConnection, rows: Vec<place::Model>) -> AppResult<()> {
        let published: Vec<i32> = rows
            .iter()
            .filter(|row| row.publication == Publication::Published)
            .map(|row| row.id)
            .collect();
        let mut offers = live_offers(db, &published).await?;
        let listings: Vec<(i32, DateTime<Utc>, Option<Arc<Listing>>)> = rows
            .into_iter()
            .map(|row| {
                let (id, updated_at) = (row.id, row.updated_at);
                let listing = (row.publication == Publication::Published)
                    .then(|| Arc::new(self.listing(row, offers.remove(&id).unwrap_or_default())));
                (id, updated_at, listing)
            })
            .collect();
        let mut index = self.write();
        for (id, updated_at, listing) in listings {
            // A poll that read a row just before a local write commits must not undo it.
            if index
                .by_id
                .get(&id)
                .is_some_and(|current| current.place.updated_at > updated_at)
            {
                continue;
            }
            match listing {
                Some(listing) => index.insert(listing),
                None => index.remove(id),
            }
        }
        Ok(())
    }

    /// Re-reads places from the database after a write: the writer reads its own write at once.
    pub async fn refresh(&self, db: &DatabaseConnection, ids: &[i32]) -> AppResult<()> {
        let rows = place::Entity::find()
            .filter(place::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        let found: Vec<i32> = rows.iter().map(|row| row.id).collect();
        self.apply_rows(db, rows).await?;
        let mut index = self.write();
        for id in ids.iter().filter(|id| !found.contains(id)) {
            index.remove(*id);
        }
        Ok(())
    }

    /// Applies what other instances wrote since the last poll. Rows changed within
    /// `overlap` of the watermark are read again, so a transaction that committed late
    /// with an older timestamp is not missed.
    pub async fn poll_changes(&self, db: &DatabaseConnection, overlap: Duration) -> AppResult<usize> {
        let since = *self
            .watermark
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut query = place::Entity::find()
            .order_by_asc(place::Column::UpdatedAt)
            .limit(LOAD_BATCH);
        if let Some(since) = since {
            let from = since - chrono::Duration::from_std(overlap).unwrap_or_default();
            query = query.filter(place::Column::UpdatedAt.gte(from));
        } else {
            query = query.order_by_desc(place::Column::UpdatedAt).limit(1);
        }
        let rows = query.all(db).await?;
        let newest = rows.iter().map(|row| row.updated_at).max();
        let count = rows.len();
        if since.is_some() {
            self.apply_rows(db, rows).await?;
        }
        if let Some(newest) = newest {
            let mut watermark = self
                .watermark
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *watermark = Some(watermark.map_or(newest, |current| current.max(newest)));
        }
        Ok(count)
    }

    /// Swaps in a new work calendar and re-reads every listing's hours against it.
    pub fn replace_calendar(&self, calendar: WorkCalendar) {
        *self
            .calendar
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(calendar);
        self.hours
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
        let listings: Vec<Arc<Listing>> = self.read().by_id.values().cloned().collect();
        let rebuilt: Vec<Arc<Listing>> = listings
            .into_iter()
            .map(|listing| Arc::new(self.listing(listing.place.clone(), listing.offers.clone())))
            .collect();
        let mut index = self.write();
        for listing in rebuilt {
            index.insert(listing);
        }
    }

    pub fn len(&self) -> usize {
        self.read().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, id: i32) -> Option<Arc<Listing>> {
        self.read().by_id.get(&id).cloned()
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
        let mut total_count = 0;
        let mut items = Vec::with_capacity(first);
        let mut has_next_page = false;
        for listing in index.by_id.values().filter(|listing| matcher.matches(listing)) {
            total_count += 1;
            if after.is_some_and(|after| listing.place.id <= after) {
                continue;
            }
            if items.len() < first {
                items.push(listing.clone());
            } else {
                has_next_page = true;
            }
        }
        Page {
            items,
            total_count,
            has_next_page,
        }
    }

    /// Published places within `radius` metres of `center` matching `filter`, nearest
    /// first (ties by id), starting after `after`.
    pub fn nearby(
        &self,
        center: Point,
        radius: f64,
        filter: &PlaceFilter,
        now: DateTime<Utc>,
        after: Option<RankKey>,
        first: usize,
    ) -> Page<Found> {
        let matcher = Matcher::new(filter, now);
        let found: Vec<Found> = {
            let index = self.read();
            index
                .candidates(center, radius)
                .filter_map(|listing| {
                    let distance = center.distance_to(listing.point());
                    (distance <= radius && matcher.matches(listing)).then(|| Found {
                        listing: listing.clone(),
                        distance_meters: Some(distance),
                        rank: 0,
                    })
                })
                .collect()
        };
        page_of(found, after, first)
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
        let found: Vec<Found> = {
            let index = self.read();
            index
                .by_id
                .values()
                .filter_map(|listing| {
                    let in_offers = |word: &str| {
                        listing
                            .current_offers(now)
                            .any(|offer| offer.title.to_lowercase().contains(word))
                    };
                    let all_found = words.iter().all(|word| {
                        listing.name_lower.contains(word)
                            || listing.address_lower.contains(word)
                            || in_offers(word)
                    });
                    if !all_found || !matcher.matches(listing) {
                        return None;
                    }
                    let rank = if listing.name_lower == phrase {
                        0
                    } else if listing.name_lower.starts_with(&phrase) {
                        1
                    } else if listing.name_lower.contains(&phrase) {
                        2
                    } else {
                        3
                    };
                    Some(Found {
                        listing: listing.clone(),
                        distance_meters: near.map(|near| near.distance_to(listing.point())),
                        rank,
                    })
                })
                .collect()
        };
        page_of(found, after, first)
    }
}

/// Offers not deleted and not over, of the given places, grouped by place.
pub async fn live_offers(
    db: &DatabaseConnection,
    place_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<offer::Model>>> {
    let mut grouped: HashMap<i32, Vec<offer::Model>> = HashMap::new();
    for chunk in place_ids.chunks(LOAD_BATCH as usize) {
        let offers = offer::Entity::find()
            .filter(offer::Column::PlaceId.is_in(chunk.iter().copied()))
            .filter(offer::Column::DeletedAt.is_null())
            .filter(offer::Column::ValidUntil.gt(Utc::now()))
            .all(db)
            .await?;
        for offer in offers {
            grouped.entry(offer.place_id).or_default().push(offer);
        }
    }
    Ok(grouped)
}
