//! The published directory, held in memory and kept current by the writes that change it.
//!
//! Riders read far more than partners write, and a whole country's network is a few
//! hundred thousand places, so discovery answers from this index instead of asking the
//! database on every read: a grid of ~1 km cells finds the candidates of a radius search,
//! and every distance is then computed exactly.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, RwLock},
};

use chrono::{DateTime, Utc};
use entity::place::{self, Amenity, PlaceKind, Publication, WorkerGroup};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{geo::Point, hours::Hours};
use crate::error::AppResult;

/// Grid cells are 0.01° on a side: about 1.1 km north–south, 0.9 km east–west in Shandong.
const CELLS_PER_DEGREE: f64 = 100.0;
/// Past this many cells a radius search scans the whole directory instead.
const MAX_CELLS_PER_SEARCH: i64 = 20_000;

/// A published place as the directory serves it: the row plus what filters need, prepared once.
#[derive(Debug)]
pub struct Listing {
    pub place: place::Model,
    /// `None` when the stored hours do not parse: the place's open state is then unknown.
    pub hours: Option<Hours>,
    amenity_bits: u32,
    group_bits: u32,
}

impl Listing {
    pub fn new(place: place::Model) -> Self {
        let hours = Hours::parse(&place.opening_hours, &place.time_zone).ok();
        let amenity_bits = bits(place.amenities.0.iter().map(|&a| a as u32));
        let group_bits = bits(place.serves_groups.0.iter().map(|&g| g as u32));
        Self {
            place,
            hours,
            amenity_bits,
            group_bits,
        }
    }

    pub fn point(&self) -> Point {
        Point {
            lat: self.place.latitude,
            lng: self.place.longitude,
        }
    }

    pub fn is_open_at(&self, at: DateTime<Utc>) -> Option<bool> {
        self.hours.as_ref().and_then(|hours| hours.is_open_at(at))
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
}

/// A filter compiled to bit masks and a clock reading, so checking a listing is cheap.
struct Matcher {
    kinds: u32,
    amenities: u32,
    groups: u32,
    open_now: Option<bool>,
    now: DateTime<Utc>,
}

impl Matcher {
    fn new(filter: &PlaceFilter, now: DateTime<Utc>) -> Self {
        Self {
            kinds: bits(filter.kinds.iter().map(|&k| k as u32)),
            amenities: bits(filter.amenities.iter().map(|&a| a as u32)),
            groups: bits(filter.groups.iter().map(|&g| g as u32)),
            open_now: filter.open_now,
            now,
        }
    }

    fn matches(&self, listing: &Listing) -> bool {
        (self.kinds == 0 || self.kinds & (1 << listing.place.kind as u32) != 0)
            && listing.amenity_bits & self.amenities == self.amenities
            && (self.groups == 0 || listing.group_bits & self.groups != 0)
            && self
                .open_now
                .is_none_or(|wanted| listing.is_open_at(self.now).unwrap_or(false) == wanted)
    }
}

/// One page of a listing, with the size of the whole result.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_count: usize,
    pub has_next_page: bool,
}

/// A listing found by a radius search, with its exact distance from the centre.
#[derive(Clone, Debug)]
pub struct Nearby {
    pub listing: Arc<Listing>,
    pub distance_meters: f64,
}

/// Where a nearby page resumes: after this distance, ties broken by id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearbyKey {
    pub distance_meters: f64,
    pub id: i32,
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
#[derive(Default)]
pub struct Directory {
    index: RwLock<Index>,
}

impl Directory {
    /// Loads every published place, in batches so a large network never sits in memory twice.
    pub async fn load(db: &DatabaseConnection) -> AppResult<Self> {
        const BATCH: u64 = 5_000;
        let directory = Self::default();
        let mut after = 0;
        loop {
            let rows = place::Entity::find()
                .filter(place::Column::Publication.eq(Publication::Published))
                .filter(place::Column::Id.gt(after))
                .order_by_asc(place::Column::Id)
                .limit(BATCH)
                .all(db)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let mut index = directory.write();
            for row in rows {
                index.insert(Arc::new(Listing::new(row)));
            }
        }
        Ok(directory)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        // A panic while holding the lock cannot leave the index half-updated in a way
        // readers could not survive: every mutation is a single insert or remove.
        self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records the current state of a place: listed while published, gone otherwise.
    pub fn apply(&self, place: place::Model) {
        if place.publication == Publication::Published {
            let listing = Arc::new(Listing::new(place));
            self.write().insert(listing);
        } else {
            self.write().remove(place.id);
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

    /// Published places within `radius` metres of `center` matching `filter`, nearest first
    /// (ties by id), starting after `after`.
    pub fn nearby(
        &self,
        center: Point,
        radius: f64,
        filter: &PlaceFilter,
        now: DateTime<Utc>,
        after: Option<NearbyKey>,
        first: usize,
    ) -> Page<Nearby> {
        let matcher = Matcher::new(filter, now);
        let mut found: Vec<Nearby> = {
            let index = self.read();
            index
                .candidates(center, radius)
                .filter_map(|listing| {
                    let distance_meters = center.distance_to(listing.point());
                    (distance_meters <= radius && matcher.matches(listing)).then(|| Nearby {
                        listing: listing.clone(),
                        distance_meters,
                    })
                })
                .collect()
        };
        let total_count = found.len();
        let key = |nearby: &Nearby| (nearby.distance_meters, nearby.listing.place.id);
        if let Some(after) = after {
            found.retain(|nearby| key(nearby) > (after.distance_meters, after.id));
        }
        let has_next_page = found.len() > first;
        if has_next_page {
            found.select_nth_unstable_by(first, |a, b| {
                key(a).partial_cmp(&key(b)).expect("distances are finite")
            });
            found.truncate(first);
        }
        found.sort_unstable_by(|a, b| key(a).partial_cmp(&key(b)).expect("distances are finite"));
        Page {
            items: found,
            total_count,
            has_next_page,
        }
    }
}
