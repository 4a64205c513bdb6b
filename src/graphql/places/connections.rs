//! Pages of places.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::place::Place;
use crate::{
    domain::{
        Domain,
        directory::{Listing, Nearest, PlaceFilter, RankKey},
        geo::{Point, TravelMode, TravelSpeeds, Within},
        paging::Page,
        places,
    },
    graphql::{
        connection::{PageInfo, ranked_cursor},
        context::ContextExt,
    },
};

fn count(total: usize) -> i32 {
    i32::try_from(total).unwrap_or(i32::MAX)
}

/// A page of places.
#[derive(SimpleObject)]
pub struct PlaceConnection {
    /// The places of this page, with their cursors.
    pub edges: Vec<PlaceEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many places match in all, across every page.
    pub total_count: i32,
}

/// A place in a page, with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct PlaceEdge {
    /// Pass as `after` to get the places that follow this one.
    pub cursor: String,
    /// The place.
    pub node: Place,
}

impl PlaceConnection {
    /// The connection for a page of listings, each edge with the cursor `cursor` makes.
    pub fn from_page(page: Page<Arc<Listing>>, cursor: impl Fn(&Listing) -> String) -> Self {
        let edges: Vec<PlaceEdge> = page
            .items
            .into_iter()
            .map(|listing| PlaceEdge {
                cursor: cursor(&listing),
                node: Place::new(listing),
            })
            .collect();
        Self {
            page_info: PageInfo::of(&edges, |edge| &edge.cursor, page.has_next_page),
            total_count: count(page.total_count),
            edges,
        }
    }
}

/// A page of places around a point, nearest first.
pub struct NearbyPlaceConnection {
    edges: Vec<NearbyPlaceEdge>,
    page_info: PageInfo,
    /// What `totalCount` counts, if asked: counting every place in reach costs more than
    /// finding the nearest page, so it is done only for callers who select it.
    search: NearbySearch,
}

/// The question a `nearby` page answered.
pub struct NearbySearch {
    pub near: Point,
    pub within: Within,
    pub filter: PlaceFilter,
}

/// A page of places around a point, nearest first.
#[Object]
impl NearbyPlaceConnection {
    /// The places of this page, nearest first.
    async fn edges(&self) -> &[NearbyPlaceEdge] {
        &self.edges
    }

    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many places lie within reach in all, across every page.
    async fn total_count(&self, ctx: &Context<'_>) -> i32 {
        self.total_count_in(ctx.domain())
    }
}

/// A place found around a point, with how far it is. Its cursor is written only when
/// selected.
pub struct NearbyPlaceEdge {
    pub(crate) key: RankKey,
    pub(crate) node: Place,
    pub(crate) distance_meters: f64,
    pub(crate) travel_minutes: f64,
}

/// A place found around a point, with how far it is.
#[Object]
impl NearbyPlaceEdge {
    /// Pass as `after` to get the places that follow this one.
    async fn cursor(&self) -> String {
        ranked_cursor(self.key)
    }

    /// The place.
    async fn node(&self) -> &Place {
        &self.node
    }

    /// Great-circle distance from the search point, in metres.
    async fn distance_meters(&self) -> f64 {
        self.distance_meters
    }

    /// Estimated travel time in minutes: by the asked mode, or walking when the radius was
    /// given in metres (speeds and detour factor are in the README).
    async fn travel_minutes(&self) -> f64 {
        self.travel_minutes
    }
}

impl NearbyPlaceConnection {
    /// The edges of this page.
    pub(crate) fn edge_list(&self) -> &[NearbyPlaceEdge] {
        &self.edges
    }

    /// Where this page sits.
    pub(crate) fn page(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many places lie within reach in all.
    pub(crate) fn total_count_in(&self, domain: &Domain) -> i32 {
        let search = &self.search;
        count(places::count_nearby(
            domain,
            search.near,
            search.within,
            &search.filter,
        ))
    }

    /// The connection for the nearest places found, with the question they answered.
    pub fn new(nearest: Nearest, search: NearbySearch, speeds: &TravelSpeeds) -> Self {
        let mode = search.within.mode();
        let edges: Vec<NearbyPlaceEdge> = nearest
            .items
            .into_iter()
            .map(|found| {
                let distance = found.distance_meters().unwrap_or_default();
                NearbyPlaceEdge {
                    key: found.key(),
                    travel_minutes: speeds.minutes_for(distance, mode),
                    distance_meters: distance,
                    node: Place::new(found.listing),
                }
            })
            .collect();
        Self {
            page_info: PageInfo::ranked(&edges, |edge| edge.key, nearest.has_next_page),
            edges,
            search,
        }
    }
}

/// A page of search results, best first.
pub struct SearchResultConnection {
    edges: Vec<SearchResultEdge>,
    page_info: PageInfo,
    /// What `totalCount` counts, if asked: a page checks only the candidates it needs,
    /// the count checks them all.
    search: TextSearch,
}

/// The question a `search` page answered.
pub struct TextSearch {
    pub text: String,
    pub filter: PlaceFilter,
    /// The clock reading the page was found at, so the count agrees with it.
    pub now: DateTime<Utc>,
}

/// A page of search results, best first.
#[Object]
impl SearchResultConnection {
    /// The results of this page, best first.
    async fn edges(&self) -> &[SearchResultEdge] {
        &self.edges
    }

    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many places match in all, across every page.
    async fn total_count(&self, ctx: &Context<'_>) -> i32 {
        self.total_count_in(ctx.domain())
    }
}

/// A place that matched a search. Its cursor is written only when selected.
pub struct SearchResultEdge {
    pub(crate) key: RankKey,
    pub(crate) node: Place,
    pub(crate) distance_meters: Option<f64>,
    pub(crate) travel_minutes: Option<f64>,
}

/// A place that matched a search.
#[Object]
impl SearchResultEdge {
    /// Pass as `after` to get the results that follow this one.
    async fn cursor(&self) -> String {
        ranked_cursor(self.key)
    }

    /// The place.
    async fn node(&self) -> &Place {
        &self.node
    }

    /// Great-circle metres from `near`; null when the search gave no position.
    async fn distance_meters(&self) -> Option<f64> {
        self.distance_meters
    }

    /// Estimated walking minutes from `near`; null when the search gave no position.
    async fn travel_minutes(&self) -> Option<f64> {
        self.travel_minutes
    }
}

impl SearchResultConnection {
    /// The edges of this page.
    pub(crate) fn edge_list(&self) -> &[SearchResultEdge] {
        &self.edges
    }

    /// Where this page sits.
    pub(crate) fn page(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many places match in all.
    pub(crate) fn total_count_in(&self, domain: &Domain) -> i32 {
        let search = &self.search;
        count(places::count_search(
            domain,
            &search.text,
            &search.filter,
            search.now,
        ))
    }

    /// The connection for the matches found, with the question they answered.
    pub fn new(page: Nearest, search: TextSearch, speeds: &TravelSpeeds) -> Self {
        let edges: Vec<SearchResultEdge> = page
            .items
            .into_iter()
            .map(|found| SearchResultEdge {
                key: found.key(),
                travel_minutes: found
                    .distance_meters()
                    .map(|meters| speeds.minutes_for(meters, TravelMode::Walk)),
                distance_meters: found.distance_meters(),
                node: Place::new(found.listing),
            })
            .collect();
        Self {
            page_info: PageInfo::ranked(&edges, |edge| edge.key, page.has_next_page),
            edges,
            search,
        }
    }
}
