//! The spatial index behind the directory and the geometry of its searches: every
//! published listing by id with its filter keys, and its entry (position, filter keys and
//! text signature inline) in its grid cell, so that scans touch contiguous memory and
//! follow a pointer only for the few listings that pass; walks outward over the cells; a
//! centre to measure from and a circle to search in.

use std::{
    collections::{BTreeSet, BinaryHeap, HashMap},
    sync::Arc,
};

use super::{
    by_id::ById,
    exactly_sized,
    listing::{Listing, Traits},
    schedule::Schedule,
    text::{Signature, TextIndex},
};
use crate::domain::geo::{EARTH_RADIUS_METERS, Point};

/// Grid cells are 0.0025° on a side: about 280 m north–south and 225 m east–west in
/// Shandong, so the cells covering a 1 km circle hold little beyond it.
const CELLS_PER_DEGREE: f64 = 400.0;
/// Past this many cells a radius search scans the whole directory instead.
const MAX_CELLS_PER_SEARCH: i64 = 40_000;

pub(super) type Cell = (i32, i32);

pub(super) fn cell_of(lat: f64, lng: f64) -> Cell {
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
pub(super) fn meters_for(a: f64) -> f64 {
    2.0 * EARTH_RADIUS_METERS * a.sqrt().asin()
}

/// A listing's place in the index: what walks and filters read, inline, so that a place
/// turned away costs no visit to its listing.
#[derive(Clone)]
pub(super) struct Entry {
    id: i32,
    /// Its kind, amenities and groups.
    pub(super) profile: Profile,
    lat_rad: f64,
    lng: f64,
    /// The characters and pinyin of its text, for search to turn it away unread.
    pub(super) signature: Signature,
    pub(super) listing: Arc<Listing>,
}

// Cells hold a million of these, and the index a million `Kept`: 8 bytes more each is 8 MB.
const _: () = assert!(size_of::<Entry>() <= 48 && size_of::<Option<Kept>>() <= 16);

impl Entry {
    pub(super) fn new(listing: Arc<Listing>, signature: Signature) -> Self {
        Self {
            id: listing.id,
            profile: Profile::of(&listing),
            lat_rad: listing.latitude.to_radians(),
            lng: listing.longitude,
            signature,
            listing,
        }
    }

    pub(super) fn id(&self) -> i32 {
        self.id
    }
}

/// What the index keeps of a place by id: its listing, and its filter keys inline so that
/// lists in id order test them without reading the listing.
pub(super) struct Kept {
    pub(super) profile: Profile,
    pub(super) listing: Arc<Listing>,
}

/// Listings with the same profile and schedule: a group's key is the profile and the
/// schedule's address.
pub(super) type AlikeKey = (Profile, usize);

fn alike_key(entry: &Entry) -> AlikeKey {
    let schedule = entry
        .listing
        .schedule
        .as_ref()
        .map_or(0, |schedule| Arc::as_ptr(schedule) as usize);
    (entry.profile, schedule)
}

/// How many published listings share a profile and a schedule.
pub(super) struct Alike {
    pub(super) count: usize,
    /// Their schedule, held so that its address, part of the key, stays theirs.
    pub(super) schedule: Option<Arc<Schedule>>,
}

/// A listing's inline filter keys in one word: its amenities and groups as `Traits`
/// keeps them, and its kind's index above them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Profile(u32);

impl Profile {
    const KIND_SHIFT: u32 = Traits::GROUPS_SHIFT + Traits::GROUPS;

    pub(super) fn of(listing: &Listing) -> Self {
        Self(listing.traits().filter_word() | (listing.kind as u32) << Self::KIND_SHIFT)
    }

    /// Its kind as a bit, bit `i` for the `i`th kind declared.
    pub(super) fn kind_bit(self) -> u32 {
        1 << (self.0 >> Self::KIND_SHIFT)
    }

    pub(super) fn amenity_bits(self) -> u32 {
        Traits::from_filter_word(self.0).amenities()
    }

    pub(super) fn group_bits(self) -> u32 {
        Traits::from_filter_word(self.0).groups()
    }
}

/// A centre to measure from, prepared once per search.
#[derive(Clone, Copy)]
pub(super) struct Centre {
    lat_rad: f64,
    cos_lat: f64,
    lng: f64,
}

impl Centre {
    pub(super) fn new(point: Point) -> Self {
        let lat_rad = point.lat.to_radians();
        Self {
            lat_rad,
            cos_lat: lat_rad.cos(),
            lng: point.lng,
        }
    }

    /// The haversine term to an entry. Its cosine is computed here rather than kept in
    /// every entry: a million entries would hold 8 MB of them.
    pub(super) fn a_to(&self, entry: &Entry) -> f64 {
        haversine_a(
            self.lat_rad,
            self.cos_lat,
            self.lng,
            entry.lat_rad,
            entry.lat_rad.cos(),
            entry.lng,
        )
    }
}

/// A circle to search in, prepared once: its centre, and its radius in the forms the
/// checks need (metres, an angle, a haversine term).
pub(super) struct Circle {
    centre: Centre,
    radius: f64,
    /// The radius as an angle, and 1 % more, within which `clearly_beyond` looks.
    reach: f64,
    /// The smallest cosine of a latitude within `reach` of the centre's.
    cos_floor: f64,
    a_max: f64,
}

impl Circle {
    pub(super) fn new(center: Point, radius: f64) -> Self {
        let centre = Centre::new(center);
        let reach = radius / EARTH_RADIUS_METERS * 1.01;
        let furthest_lat = (centre.lat_rad.abs() + reach).min(std::f64::consts::FRAC_PI_2);
        Self {
            centre,
            radius,
            reach,
            cos_floor: furthest_lat.cos(),
            a_max: (radius / (2.0 * EARTH_RADIUS_METERS)).sin().powi(2),
        }
    }

    /// True when the entry is certainly outside the circle: a flat-projection estimate that
    /// never overstates the distance, a few multiplications instead of sines. The shortest
    /// path from the centre to anything inside stays within `reach` of it, so every latitude
    /// along that path has a cosine of at least `cos_floor`, and measuring east–west with
    /// it understates the path.
    fn clearly_beyond(&self, entry: &Entry) -> bool {
        let dy = entry.lat_rad - self.centre.lat_rad;
        let dx = (entry.lng - self.centre.lng).to_radians() * self.cos_floor;
        dx * dx + dy * dy > self.reach * self.reach
    }

    /// Whether everything at least `bound` (a haversine term) away lies outside the circle.
    pub(super) fn ends_before(&self, bound: f64) -> bool {
        bound > self.a_max * (1.0 + 1e-6)
    }

    /// The haversine term from the centre to `entry` when it lies within the circle.
    pub(super) fn proximity_of(&self, entry: &Entry) -> Option<f64> {
        if self.clearly_beyond(entry) {
            return None;
        }
        let a = self.centre.a_to(entry);
        within(a, self.a_max, self.radius).then_some(a)
    }
}

/// A lower bound of the haversine term from `center` to anything in a cell `ring` steps
/// around its own: such a cell is at least `ring - 1` whole cells away, measured with the
/// narrowest cell width the ring can have, less 1 %.
fn ring_gap(center: Point, ring: i32) -> f64 {
    let cell = 1.0 / CELLS_PER_DEGREE;
    let max_lat = center.lat.abs() + f64::from(ring + 1) * cell;
    // Near a pole cells narrow to nothing: no bound there.
    if ring <= 1 || max_lat >= 89.9 {
        return 0.0;
    }
    let side_degrees = cell * max_lat.to_radians().cos();
    let angle = (f64::from(ring - 1) * side_degrees).to_radians() / 1.01;
    (angle / 2.0).sin().powi(2)
}

/// A lower bound of the haversine term from `center` to anything in `cell`: the gap on a
/// local flat projection, east–west with the smallest cosine between them, less 1 %.
fn cell_gap(center: Point, cell: Cell) -> f64 {
    let side = 1.0 / CELLS_PER_DEGREE;
    let (south, north) = (f64::from(cell.0) * side, f64::from(cell.0 + 1) * side);
    let (west, east) = (f64::from(cell.1) * side, f64::from(cell.1 + 1) * side);
    let max_lat = center.lat.abs().max(south.abs()).max(north.abs());
    // Near a pole cells narrow to nothing: no bound there.
    if max_lat >= 89.9 {
        return 0.0;
    }
    let dy = (south - center.lat).max(center.lat - north).max(0.0);
    let dx = (west - center.lng).max(center.lng - east).max(0.0) * max_lat.to_radians().cos();
    let gap = (dx * dx + dy * dy).sqrt().to_radians() / 1.01;
    (gap / 2.0).sin().powi(2)
}

/// A cell waiting its turn in an outward walk, nearest on top.
struct Queued<'i> {
    gap: f64,
    members: &'i [Entry],
}

impl PartialEq for Queued<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.gap.total_cmp(&other.gap).is_eq()
    }
}

impl Eq for Queued<'_> {}

impl PartialOrd for Queued<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.gap.total_cmp(&self.gap)
    }
}

/// A walk over the grid outward from a point: cells come nearest first by their own
/// bound, rings are read around the centre only as far as the nearest waiting cell needs.
pub(super) struct Outward<'i> {
    index: &'i Index,
    near: Point,
    centre: Cell,
    next_ring: i32,
    max_rings: i32,
    /// The lowest and highest row and column read; `None` when there is nothing to read.
    limits: Option<(Cell, Cell)>,
    queued: BinaryHeap<Queued<'i>>,
    covered: bool,
}

impl<'i> Outward<'i> {
    fn new(index: &'i Index, near: Point, max_rings: i32, limits: Option<(Cell, Cell)>) -> Self {
        Self {
            index,
            near,
            centre: cell_of(near.lat, near.lng),
            next_ring: 0,
            max_rings,
            limits,
            queued: BinaryHeap::new(),
            covered: limits.is_none(),
        }
    }

    /// The next cell's members, with a lower bound of the haversine term to anything not
    /// handed out before them (them included); `None` once every cell within the limits
    /// was handed out or the walk reached its last ring.
    pub(super) fn next_cell(&mut self) -> Option<(f64, &'i [Entry])> {
        loop {
            // Every cell of a ring not yet read is at least `ring_gap` away.
            let unread_bound = ring_gap(self.near, self.next_ring);
            let rings_left = !self.covered && self.next_ring < self.max_rings;
            if let Some(nearest) = self.queued.peek()
                && (!rings_left || nearest.gap <= unread_bound)
            {
                // Past the last ring, the rings never read may hold nearer places than the
                // cells still queued.
                let bound = if self.covered { f64::INFINITY } else { unread_bound };
                return self.queued.pop().map(|cell| (cell.gap.min(bound), cell.members));
            }
            let (true, Some(limits)) = (rings_left, self.limits) else {
                return None;
            };
            match self.index.ring(self.centre, self.next_ring, limits) {
                Some(cells) => self
                    .queued
                    .extend(cells.into_iter().map(|(cell, members)| Queued {
                        gap: cell_gap(self.near, cell),
                        members,
                    })),
                None => self.covered = true,
            }
            self.next_ring += 1;
        }
    }

    /// Whether the walk has handed out every occupied cell (rather than stopping at its
    /// last ring).
    pub(super) fn covered(&self) -> bool {
        self.covered && self.queued.is_empty()
    }
}

/// Whether a haversine term lies within `radius` metres, exactly at the boundary too.
fn within(a: f64, a_max: f64, radius: f64) -> bool {
    if (a - a_max).abs() <= a_max * 1e-9 {
        meters_for(a) <= radius
    } else {
        a < a_max
    }
}

/// Every published listing, by id and by grid cell.
#[derive(Default)]
pub(super) struct Index {
    /// Every published listing, by place id.
    /// The listing and its filter keys: its entry is in its grid cell (`entry`), so the
    /// index holds one entry a place, not two.
    pub(super) by_id: ById<Kept>,
    /// Looked up hundreds of times a search, so hashed with foldhash rather than the slower standard hasher.
    grid: HashMap<Cell, Vec<Entry>, foldhash::fast::RandomState>,
    /// The log position of places that are not published (or gone), so that an older
    /// read of them, published, can never bring them back. One entry per such place.
    hidden: HashMap<i32, i64>,
    /// The published listings that hold any offer: the only ones `offersForMe` can keep.
    pub(super) with_offers: BTreeSet<i32>,
    /// Every published listing's words, for `search`.
    pub(super) text: TextIndex,
    /// Published listings that filters on kind, amenities, groups and hours treat alike,
    /// counted together, so such a count adds up a few groups instead of checking every
    /// listing. As many groups as distinct combinations, which the listings bound.
    pub(super) alike: HashMap<AlikeKey, Alike>,
    /// The rows and columns any cell has ever been occupied in: a walk outward from a
    /// point can stop at their edge.
    extent: Option<(Cell, Cell)>,
}

impl Index {
    /// The log position the index holds for a place, published or not; 0 when unknown.
    pub(super) fn position_of(&self, id: i32) -> i64 {
        self.by_id
            .get(id)
            .map(|kept| kept.listing.log_position)
            .or_else(|| self.hidden.get(&id).copied())
            .unwrap_or(0)
    }

    /// Records that a place is not published (or gone) as of `position`.
    pub(super) fn hide(&mut self, id: i32, position: i64) {
        self.remove(id);
        self.hidden.insert(id, position);
    }

    pub(super) fn insert(&mut self, listing: Arc<Listing>) {
        let id = listing.id;
        self.remove(id);
        self.hidden.remove(&id);
        let signature = self.text.insert(&listing);
        self.place(listing, signature);
    }

    /// Inserts a listing from a snapshot into an index being restored: its signature is
    /// the snapshot's, and its search keys come with the snapshot's posting lists.
    pub(super) fn restore(&mut self, listing: Arc<Listing>, signature: Signature) {
        self.text.insert_name_of(&listing);
        self.place(listing, signature);
    }

    /// Files a listing everywhere but in the search index.
    fn place(&mut self, listing: Arc<Listing>, signature: Signature) {
        let id = listing.id;
        let entry = Entry::new(listing, signature);
        self.count_in(&entry);
        if !entry.listing.offers().is_empty() {
            self.with_offers.insert(id);
        }
        let cell = cell_of(entry.listing.latitude, entry.lng);
        self.extent = Some(match self.extent {
            None => (cell, cell),
            Some((low, high)) => (
                (low.0.min(cell.0), low.1.min(cell.1)),
                (high.0.max(cell.0), high.1.max(cell.1)),
            ),
        });
        self.grid.entry(cell).or_default().push(entry.clone());
        self.by_id.insert(
            id,
            Kept {
                profile: entry.profile,
                listing: entry.listing.clone(),
            },
        );
    }

    /// Joins an index of places all with larger ids than this one's, as loaded in parts.
    pub(super) fn append(&mut self, mut later: Index) {
        self.by_id.append(std::mem::take(&mut later.by_id));
        for (cell, mut members) in later.grid {
            self.grid.entry(cell).or_default().append(&mut members);
        }
        self.hidden.extend(later.hidden);
        self.with_offers.append(&mut later.with_offers);
        self.text.append(later.text);
        for (key, more) in later.alike {
            match self.alike.entry(key) {
                std::collections::hash_map::Entry::Occupied(mut alike) => alike.get_mut().count += more.count,
                std::collections::hash_map::Entry::Vacant(vacant) => {
                    vacant.insert(more);
                }
            }
        }
        if let Some((low, high)) = later.extent {
            self.extent_include(low);
            self.extent_include(high);
        }
    }

    fn count_in(&mut self, entry: &Entry) {
        self.alike
            .entry(alike_key(entry))
            .or_insert_with(|| Alike {
                count: 0,
                schedule: entry.listing.schedule.clone(),
            })
            .count += 1;
    }

    fn count_out(&mut self, entry: &Entry) {
        if let std::collections::hash_map::Entry::Occupied(mut alike) = self.alike.entry(alike_key(entry)) {
            alike.get_mut().count -= 1;
            if alike.get().count == 0 {
                alike.remove();
            }
        }
    }

    fn extent_include(&mut self, cell: Cell) {
        self.extent = Some(match self.extent {
            None => (cell, cell),
            Some((low, high)) => (
                (low.0.min(cell.0), low.1.min(cell.1)),
                (high.0.max(cell.0), high.1.max(cell.1)),
            ),
        });
    }

    /// Puts a new listing of a published place in its old one's stead, where its text,
    /// kind and position are the same (its hours read against a new calendar).
    pub(super) fn swap_listing(&mut self, listing: Arc<Listing>) {
        let id = listing.id;
        let Some(kept) = self.by_id.get(id) else {
            return;
        };
        let cell = cell_of(kept.listing.latitude, kept.listing.longitude);
        if cell != cell_of(listing.latitude, listing.longitude) {
            // Not the same place where it was: listed anew.
            self.insert(listing);
            return;
        }
        let Some(member) = self
            .grid
            .get_mut(&cell)
            .and_then(|members| members.iter_mut().find(|member| member.id() == id))
        else {
            return;
        };
        let new = Entry::new(listing, member.signature);
        self.by_id.insert(
            id,
            Kept {
                profile: new.profile,
                listing: new.listing.clone(),
            },
        );
        let old = std::mem::replace(member, new.clone());
        // Its hours may now follow another schedule: it moves to that schedule's group.
        self.count_out(&old);
        self.count_in(&new);
    }

    /// The entry of a published place, from its grid cell.
    pub(super) fn entry(&self, id: i32) -> Option<&Entry> {
        let listing = &self.by_id.get(id)?.listing;
        self.grid
            .get(&cell_of(listing.latitude, listing.longitude))?
            .iter()
            .find(|member| member.id() == id)
    }

    /// Every published place's entry, in no particular order.
    pub(super) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.grid.values().flatten()
    }

    /// Returns the spare capacity the cells grew while loading.
    pub(super) fn shrink_to_fit(&mut self) {
        for members in self.grid.values_mut() {
            *members = exactly_sized(std::mem::take(members));
        }
        self.grid.shrink_to_fit();
        self.hidden.shrink_to_fit();
        self.text.repack();
    }

    pub(super) fn remove(&mut self, id: i32) {
        let Some(Kept { listing: old, .. }) = self.by_id.remove(id) else {
            return;
        };
        self.text.remove(&old);
        self.with_offers.remove(&id);
        let cell = cell_of(old.latitude, old.longitude);
        let Some(members) = self.grid.get_mut(&cell) else {
            return;
        };
        if let Some(at) = members.iter().position(|member| member.id() == id) {
            let entry = members.remove(at);
            if members.is_empty() {
                self.grid.remove(&cell);
            }
            self.count_out(&entry);
        }
    }

    /// The occupied cells `ring` steps around `centre` (those whose row or column is
    /// `ring` away, the other at most that) that lie within `limits` (the lowest and the
    /// highest row and column), or `None` once the ring lies wholly outside them.
    fn ring(&self, centre: Cell, ring: i32, (low, high): (Cell, Cell)) -> Option<Vec<(Cell, &[Entry])>> {
        let (first_row, last_row) = (centre.0 - ring, centre.0 + ring);
        let (first_col, last_col) = (centre.1 - ring, centre.1 + ring);
        if first_row < low.0 && last_row > high.0 && first_col < low.1 && last_col > high.1 {
            return None;
        }
        let mut cells = Vec::new();
        let mut visit = |cell: Cell| {
            if let Some(members) = self.grid.get(&cell) {
                cells.push((cell, members.as_slice()));
            }
        };
        // Only the stretches of the ring's sides inside the limits: a long thin box (a
        // circle near a pole is many columns wide) costs its area, not its square.
        let sides = if ring > 0 { 2 } else { 1 };
        for row in [first_row, last_row].into_iter().take(sides) {
            if (low.0..=high.0).contains(&row) {
                (first_col.max(low.1)..=last_col.min(high.1)).for_each(|col| visit((row, col)));
            }
        }
        for col in [first_col, last_col].into_iter().take(sides) {
            if ring > 0 && (low.1..=high.1).contains(&col) {
                ((first_row + 1).max(low.0)..=(last_row - 1).min(high.0)).for_each(|row| visit((row, col)));
            }
        }
        Some(cells)
    }

    /// The lowest and highest rows and columns of the cells that touch the circle of
    /// `radius` around `center`; `None` when the circle is huge or wraps the globe and the
    /// whole directory should be scanned instead.
    fn cells_box(&self, center: Point, radius: f64) -> Option<(Cell, Cell)> {
        let dlat = (radius / EARTH_RADIUS_METERS).to_degrees();
        let max_lat = (center.lat.abs() + dlat).min(89.9);
        let dlng = dlat / max_lat.to_radians().cos();
        let (west, east) = (center.lng - dlng, center.lng + dlng);
        let low = cell_of(center.lat - dlat, west);
        let high = cell_of(center.lat + dlat, east);
        let cells = (i64::from(high.0) - i64::from(low.0) + 1) * (i64::from(high.1) - i64::from(low.1) + 1);
        if west < -180.0 || east > 180.0 || cells > MAX_CELLS_PER_SEARCH || cells as usize > self.grid.len() {
            return None;
        }
        Some((low, high))
    }

    /// The occupied cells outward from `near`, nearest first by a lower bound of the
    /// haversine term to anything in them, up to `max_rings` rings around its cell.
    pub(super) fn outward(&self, near: Point, max_rings: i32) -> Outward<'_> {
        Outward::new(self, near, max_rings, self.extent)
    }

    /// The occupied cells that touch the circle of `radius` around `center`, nearest
    /// first; `None` when the circle is huge or wraps the globe and the whole directory
    /// should be scanned instead.
    pub(super) fn outward_within(&self, center: Point, radius: f64) -> Option<Outward<'_>> {
        let (low, high) = self.cells_box(center, radius)?;
        let limits = self.extent.and_then(|(occupied_low, occupied_high)| {
            let low = (low.0.max(occupied_low.0), low.1.max(occupied_low.1));
            let high = (high.0.min(occupied_high.0), high.1.min(occupied_high.1));
            (low.0 <= high.0 && low.1 <= high.1).then_some((low, high))
        });
        Some(Outward::new(self, center, i32::MAX, limits))
    }

    /// Calls `visit` with every entry that may lie within `radius` of `center`.
    pub(super) fn for_each_candidate<'s>(
        &'s self,
        center: Point,
        radius: f64,
        mut visit: impl FnMut(&'s Entry),
    ) {
        let Some((low, high)) = self.cells_box(center, radius) else {
            return self.entries().for_each(visit);
        };
        for row in low.0..=high.0 {
            for col in low.1..=high.1 {
                self.grid
                    .get(&(row, col))
                    .into_iter()
                    .flatten()
                    .for_each(&mut visit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    /// A cell's bound never exceeds the haversine term to any point inside it, so a walk
    /// that stops at a bound never misses a nearer place.
    #[test]
    fn a_cells_gap_never_overstates_the_distance_to_anything_in_it() {
        let mut rng = StdRng::seed_from_u64(14);
        let side = 1.0 / CELLS_PER_DEGREE;
        for _ in 0..20_000 {
            let lat = rng.random_range(-80.0..80.0);
            let near = Point {
                lat,
                lng: rng.random_range(-170.0..170.0),
            };
            let centre = cell_of(near.lat, near.lng);
            let cell = (
                centre.0 + rng.random_range(-200..=200),
                centre.1 + rng.random_range(-200..=200),
            );
            let inside = Point {
                lat: (f64::from(cell.0) + rng.random::<f64>()) * side,
                lng: (f64::from(cell.1) + rng.random::<f64>()) * side,
            };
            let lat_rad = near.lat.to_radians();
            let other = inside.lat.to_radians();
            let a = haversine_a(lat_rad, lat_rad.cos(), near.lng, other, other.cos(), inside.lng);
            assert!(cell_gap(near, cell) <= a, "{near:?} to {inside:?} in {cell:?}");
        }
    }
}
