//! The spatial index behind the directory: every published listing once by id and once in
//! its grid cell, with its position and filter keys inline so that scans touch contiguous
//! memory and follow a pointer only for the few listings that pass.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use entity::place::StatusState;

use super::{Listing, PlaceFilter, bits};
use crate::domain::geo::{EARTH_RADIUS_METERS, Point};

/// Grid cells are 0.0025° on a side: about 280 m north–south and 225 m east–west in
/// Shandong, so the cells covering a 1 km circle hold little beyond it.
const CELLS_PER_DEGREE: f64 = 400.0;
/// Past this many cells a radius search scans the whole directory instead.
const MAX_CELLS_PER_SEARCH: i64 = 40_000;

type Cell = (i32, i32);

fn cell_of(lat: f64, lng: f64) -> Cell {
    (
        (lat * CELLS_PER_DEGREE).floor() as i32,
        (lng * CELLS_PER_DEGREE).floor() as i32,
    )
}

/// The haversine term `a` between two points: distance = 2R·asin(√a). It grows with the
/// distance, so results are ordered by it and the (costlier) distance is computed only
/// for what a page returns.
fn haversine_a(lat1_rad: f64, cos_lat1: f64, lng1: f64, lat2_rad: f64, cos_lat2: f64, lng2: f64) -> f64 {
    let dlat = lat2_rad - lat1_rad;
    let dlng = (lng2 - lng1).to_radians();
    (dlat / 2.0).sin().powi(2) + cos_lat1 * cos_lat2 * (dlng / 2.0).sin().powi(2)
}

/// The great-circle distance for a haversine term.
pub fn meters_for(a: f64) -> f64 {
    2.0 * EARTH_RADIUS_METERS * a.sqrt().asin()
}

/// A listing's place in the index.
#[derive(Clone)]
pub struct Entry {
    lat_rad: f64,
    cos_lat: f64,
    lng: f64,
    kind_bit: u32,
    amenity_bits: u32,
    group_bits: u32,
    pub listing: Arc<Listing>,
}

impl Entry {
    pub fn new(listing: Arc<Listing>) -> Self {
        let lat_rad = listing.place.latitude.to_radians();
        Self {
            lat_rad,
            cos_lat: lat_rad.cos(),
            lng: listing.place.longitude,
            kind_bit: 1 << listing.place.kind as u32,
            amenity_bits: listing.amenity_bits,
            group_bits: listing.group_bits,
            listing,
        }
    }

    pub fn id(&self) -> i32 {
        self.listing.place.id
    }
}

/// A filter compiled to bit masks and a clock reading. The masks are checked on the inline
/// keys; only filters about time, status or offers look into the listing itself.
pub struct Matcher<'a> {
    filter: &'a PlaceFilter,
    kinds: u32,
    amenities: u32,
    groups: u32,
    needs_listing: bool,
    now: DateTime<Utc>,
}

impl<'a> Matcher<'a> {
    pub fn new(filter: &'a PlaceFilter, now: DateTime<Utc>) -> Self {
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
        }
    }

    /// True when nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.kinds == 0 && self.amenities == 0 && self.groups == 0 && !self.needs_listing
    }

    pub fn matches(&self, entry: &Entry) -> bool {
        (self.kinds == 0 || self.kinds & entry.kind_bit != 0)
            && entry.amenity_bits & self.amenities == self.amenities
            && (self.groups == 0 || entry.group_bits & self.groups != 0)
            && (!self.needs_listing || self.matches_listing(&entry.listing))
    }

    fn matches_listing(&self, listing: &Listing) -> bool {
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
        }) && filter
            .open_now
            .is_none_or(|wanted| listing.is_open_at(self.now).unwrap_or(false) == wanted)
            && filter
                .open_at
                .is_none_or(|at| listing.is_open_at(at) == Some(true))
            && filter
                .min_rating
                .is_none_or(|min| listing.rating.average().is_some_and(|average| average >= min))
    }
}

/// A centre to measure from, prepared once per search.
#[derive(Clone, Copy)]
pub struct Centre {
    lat_rad: f64,
    cos_lat: f64,
    lng: f64,
}

impl Centre {
    pub fn new(point: Point) -> Self {
        let lat_rad = point.lat.to_radians();
        Self {
            lat_rad,
            cos_lat: lat_rad.cos(),
            lng: point.lng,
        }
    }

    /// True when the entry is certainly further than `angle` radians: a flat-projection
    /// estimate that never overstates the distance, a few multiplications instead of sines.
    pub fn clearly_beyond(&self, entry: &Entry, angle: f64) -> bool {
        let dy = entry.lat_rad - self.lat_rad;
        let dx = (entry.lng - self.lng).to_radians() * self.cos_lat.min(entry.cos_lat);
        let reach = angle * 1.01;
        dx * dx + dy * dy > reach * reach
    }

    /// The haversine term to an entry.
    pub fn a_to(&self, entry: &Entry) -> f64 {
        haversine_a(
            self.lat_rad,
            self.cos_lat,
            self.lng,
            entry.lat_rad,
            entry.cos_lat,
            entry.lng,
        )
    }
}

#[derive(Default)]
pub struct Index {
    pub by_id: BTreeMap<i32, Entry>,
    grid: HashMap<Cell, Vec<Entry>>,
    /// The log position of places that are not published (or gone), so that an older
    /// read of them, published, can never bring them back. One entry per such place.
    hidden: HashMap<i32, i64>,
}

impl Index {
    /// The log position the index holds for a place, published or not; 0 when unknown.
    pub fn position_of(&self, id: i32) -> i64 {
        self.by_id
            .get(&id)
            .map(|entry| entry.listing.place.log_position)
            .or_else(|| self.hidden.get(&id).copied())
            .unwrap_or(0)
    }

    /// Records that a place is not published (or gone) as of `position`.
    pub fn hide(&mut self, id: i32, position: i64) {
        self.remove(id);
        self.hidden.insert(id, position);
    }

    pub fn insert(&mut self, listing: Arc<Listing>) {
        let id = listing.place.id;
        self.remove(id);
        self.hidden.remove(&id);
        let entry = Entry::new(listing);
        let cell = cell_of(entry.listing.place.latitude, entry.lng);
        self.grid.entry(cell).or_default().push(entry.clone());
        self.by_id.insert(id, entry);
    }

    /// Returns the spare capacity the cells grew while loading.
    pub fn shrink_to_fit(&mut self) {
        self.grid.values_mut().for_each(Vec::shrink_to_fit);
        self.grid.shrink_to_fit();
        self.hidden.shrink_to_fit();
    }

    pub fn remove(&mut self, id: i32) {
        let Some(old) = self.by_id.remove(&id) else { return };
        let cell = cell_of(old.listing.place.latitude, old.lng);
        if let Some(members) = self.grid.get_mut(&cell) {
            members.retain(|member| member.id() != id);
            if members.is_empty() {
                self.grid.remove(&cell);
            }
        }
    }

    /// The grid cells that touch the circle of `radius` around `center`, each with a lower
    /// bound of the haversine term to anything in it, nearest first; `None` when the circle
    /// is huge or wraps the globe and the whole directory should be scanned instead.
    pub fn cells_within(&self, center: Point, radius: f64) -> Option<Vec<(f64, &[Entry])>> {
        let dlat = (radius / EARTH_RADIUS_METERS).to_degrees();
        let max_lat = (center.lat.abs() + dlat).min(89.9);
        let dlng = dlat / max_lat.to_radians().cos();
        let (west, east) = (center.lng - dlng, center.lng + dlng);
        let first_row = ((center.lat - dlat) * CELLS_PER_DEGREE).floor() as i64;
        let last_row = ((center.lat + dlat) * CELLS_PER_DEGREE).floor() as i64;
        let first_col = (west * CELLS_PER_DEGREE).floor() as i64;
        let last_col = (east * CELLS_PER_DEGREE).floor() as i64;
        let cells = (last_row - first_row + 1) * (last_col - first_col + 1);
        if west < -180.0 || east > 180.0 || cells > MAX_CELLS_PER_SEARCH || cells as usize > self.grid.len() {
            return None;
        }
        // Gaps are measured on a local flat projection, east–west with the smallest cosine
        // of the band, and shrunk by 1 %: never more than the true distance at this scale.
        let cell = 1.0 / CELLS_PER_DEGREE;
        let cos_min = max_lat.to_radians().cos();
        let mut found = Vec::new();
        for row in first_row..=last_row {
            let (south, north) = (row as f64 * cell, (row + 1) as f64 * cell);
            let dy = (south - center.lat).max(center.lat - north).max(0.0);
            for col in first_col..=last_col {
                let (left, right) = (col as f64 * cell, (col + 1) as f64 * cell);
                let dx = (left - center.lng).max(center.lng - right).max(0.0) * cos_min;
                let gap = (dx * dx + dy * dy).sqrt().to_radians() / 1.01;
                if gap > radius / EARTH_RADIUS_METERS {
                    continue;
                }
                if let Some(members) = self.grid.get(&(row as i32, col as i32)) {
                    found.push(((gap / 2.0).sin().powi(2), members.as_slice()));
                }
            }
        }
        found.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        Some(found)
    }

    /// Calls `visit` with every entry that may lie within `radius` of `center`.
    pub fn for_each_candidate<'s>(&'s self, center: Point, radius: f64, visit: impl FnMut(&'s Entry)) {
        match self.cells_within(center, radius) {
            Some(cells) => cells.into_iter().flat_map(|(_, members)| members).for_each(visit),
            None => self.by_id.values().for_each(visit),
        }
    }
}
