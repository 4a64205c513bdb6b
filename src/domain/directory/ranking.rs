//! Ranked results and their pages: what a search found, the key a page resumes after, and
//! how the best of many hits become one sorted page.

use std::sync::Arc;

use super::{
    listing::Listing,
    spatial::{Entry, meters_for},
};
use crate::domain::paging::Page;

/// A listing found by a search.
#[derive(Clone, Debug)]
pub struct Found {
    /// The place.
    pub listing: Arc<Listing>,
    /// The haversine term to the search centre, when there is one.
    proximity: Option<f64>,
    /// How well the text matched: 0 exact name, 1 name prefix, 2 in the name, 3 elsewhere.
    pub rank: u8,
}

impl Found {
    /// Exact great-circle metres from the search centre, when there is one.
    pub fn distance_meters(&self) -> Option<f64> {
        self.proximity.map(meters_for)
    }

    /// Where a page that ends with this listing resumes.
    pub fn key(&self) -> RankKey {
        RankKey {
            rank: self.rank,
            proximity: self.proximity.unwrap_or(0.0),
            id: self.listing.id,
        }
    }
}

/// Where a page of a ranked result resumes: after this rank and proximity, ties by id.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankKey {
    /// How well the text matched (0 for radius searches).
    pub rank: u8,
    /// Grows with the distance from the centre (the haversine term); 0 without a centre.
    pub proximity: f64,
    /// The place id, the last tie-breaker.
    pub id: i32,
}

impl RankKey {
    pub(super) fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank
            .cmp(&other.rank)
            .then(self.proximity.total_cmp(&other.proximity))
            .then(self.id.cmp(&other.id))
    }
}

/// The places of a radius search's page.
#[derive(Debug)]
pub struct Nearest {
    /// Nearest first.
    pub items: Vec<Found>,
    /// True when another page follows.
    pub has_next_page: bool,
}

/// A match inside the index, before its listing is shared with the caller.
pub(super) struct Hit<'a> {
    pub(super) key: RankKey,
    pub(super) entry: &'a Entry,
}

impl Hit<'_> {
    pub(super) fn found(self, centred: bool) -> Found {
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

/// Keeps the `first` best hits after `after`, sorted, and counts them all.
pub(super) fn page_of(
    mut hits: Vec<Hit<'_>>,
    after: Option<RankKey>,
    first: usize,
    centred: bool,
) -> Page<Found> {
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
