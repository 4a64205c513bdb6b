//! The query engines over the index: a filtered list in id order, the nearest places
//! within a radius, and a count within a radius. Text search is in `search.rs`.

use std::{collections::BinaryHeap, sync::Arc};

use chrono::{DateTime, Utc};

use super::{
    filter::{Matcher, PlaceFilter},
    listing::Listing,
    ranking::{Hit, Nearest, RankKey, page_of},
    spatial::{Circle, Entry, Kept},
    store::Directory,
};
use crate::domain::{geo::Point, paging::Page};

/// A radius search prepared once: the circle and the compiled filter.
struct RadiusSearch<'a> {
    circle: Circle,
    matcher: Matcher<'a>,
}

impl<'a> RadiusSearch<'a> {
    fn new(center: Point, radius: f64, filter: &'a PlaceFilter, now: DateTime<Utc>) -> Self {
        Self {
            circle: Circle::new(center, radius),
            matcher: Matcher::new(filter, now),
        }
    }

    /// The hit for `entry` when it lies within the circle and matches the filter.
    fn hit<'e>(&self, entry: &'e Entry) -> Option<Hit<'e>> {
        let proximity = self.circle.proximity_of(entry)?;
        self.matcher.matches(entry).then(|| Hit {
            key: RankKey {
                rank: 0,
                proximity,
                id: entry.id(),
            },
            entry,
        })
    }
}

impl Directory {
    /// Every published place within `radius` metres of `center`, by id.
    pub fn within(&self, center: Point, radius: f64) -> Vec<Arc<Listing>> {
        let circle = Circle::new(center, radius);
        let index = self.read();
        let mut found = Vec::new();
        index.for_each_candidate(center, radius, |entry| {
            if circle.proximity_of(entry).is_some() {
                found.push(entry.listing.clone());
            }
        });
        found.sort_unstable_by_key(|listing| listing.id);
        found
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
        let mut following = index.by_id.after(after);
        if matcher.is_empty() {
            // Nothing to filter: the count is the directory's size and a page is a range.
            let items: Vec<Arc<Listing>> = following
                .by_ref()
                .take(first)
                .map(|kept| kept.listing.clone())
                .collect();
            return Page {
                items,
                total_count: index.by_id.len(),
                has_next_page: following.next().is_some(),
            };
        }
        if filter.offers_for.is_some() {
            // Only places holding offers can pass: those are listed apart, and few.
            let with_offers = || {
                index
                    .with_offers
                    .iter()
                    .filter_map(|&id| index.by_id.get(id))
                    .filter(|kept| matcher.matches_kept(kept))
            };
            let mut matching = index
                .with_offers
                .range((start, std::ops::Bound::Unbounded))
                .filter_map(|&id| index.by_id.get(id))
                .filter(|kept| matcher.matches_kept(kept));
            return page_in_order(&mut matching, with_offers().count(), first);
        }
        let total_count = if matcher.decides_by_group() {
            // Listings alike in kind, amenities, groups and schedule are counted together
            // as they come and go: a schedule's open state is read once for its group.
            index
                .alike
                .iter()
                .filter(|((profile, _), alike)| matcher.matches_group(profile, alike.schedule.as_ref()))
                .map(|(_, alike)| alike.count)
                .sum()
        } else {
            index
                .by_id
                .values()
                .filter(|kept| matcher.matches_kept(kept))
                .count()
        };
        let mut matching = following.filter(|kept| matcher.matches_kept(kept));
        page_in_order(&mut matching, total_count, first)
    }

    /// The `first` published places within `radius` metres of `center` matching `filter`,
    /// nearest first (ties by id), starting after `after`. Cells are read outward from the
    /// centre, nearest first, and the search stops once no further cell can hold anything
    /// nearer than what it has, so a dense downtown costs little more than the suburbs.
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
        let Some(mut cells) = index.outward_within(center, radius) else {
            let hits: Vec<Hit<'_>> = index.entries().filter_map(|entry| search.hit(entry)).collect();
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
        while let Some((lower_bound, members)) = cells.next_cell() {
            if search.circle.ends_before(lower_bound)
                || best.len() == keep && best.peek().is_some_and(|worst| lower_bound > worst.key.proximity)
            {
                break;
            }
            for entry in members {
                let Some(proximity) = search.circle.proximity_of(entry) else {
                    continue;
                };
                let key = RankKey {
                    rank: 0,
                    proximity,
                    id: entry.id(),
                };
                // Placed after the cursor and before the page's worst, or it cannot enter:
                // checked so before the filter, which may have to read the listing.
                if after.is_some_and(|after| key.cmp(&after).is_le())
                    || best.len() == keep && best.peek().is_some_and(|worst| key.cmp(&worst.key).is_gt())
                    || !search.matcher.matches(entry)
                {
                    continue;
                }
                if best.len() == keep {
                    best.pop();
                }
                best.push(Hit { key, entry });
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
        index.for_each_candidate(center, radius, |entry| {
            if search.hit(entry).is_some() {
                count += 1;
            }
        });
        count
    }
}

/// The first `first` of `matching` (in id order) as a page of `total_count`.
fn page_in_order<'k>(
    matching: &mut impl Iterator<Item = &'k Kept>,
    total_count: usize,
    first: usize,
) -> Page<Arc<Listing>> {
    let items: Vec<Arc<Listing>> = matching
        .by_ref()
        .take(first)
        .map(|kept| kept.listing.clone())
        .collect();
    Page {
        items,
        total_count,
        has_next_page: matching.next().is_some(),
    }
}
