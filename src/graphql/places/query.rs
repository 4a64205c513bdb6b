//! The discovery queries.

use async_graphql::{Context, ID, Object, Result, ResultExt};

use super::{
    connections::{NearbyPlaceConnection, NearbySearch, PlaceConnection, SearchResultConnection, TextSearch},
    inputs::{LocationInput, PlaceFilterInput, WithinInput, filter_of},
    place::Place,
};
use crate::{
    auth::Viewer,
    domain::{Domain, geo::Within, places},
    graphql::{
        connection::{
            CursorKind, decode_id_cursor, decode_queue_cursor, decode_ranked_cursor, id_cursor, paging,
            queue_cursor,
        },
        context::ContextExt,
        ids::{NodeType, decode},
    },
};

#[derive(Default)]
/// Place queries: `place`, `places`, `nearby`, `search` and the review queue.
pub struct PlaceQuery;

#[Object]
impl PlaceQuery {
    /// A place by id; null when it does not exist or is not visible to you.
    async fn place(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Place>> {
        Box::pin(place_by_id(ctx.domain(), ctx.viewer(), &id)).await
    }

    /// Published places in a stable order, filtered.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn places(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many places to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
        filter: Option<PlaceFilterInput>,
    ) -> Result<PlaceConnection> {
        places_page(ctx.domain(), ctx.viewer(), first, after, filter)
    }

    /// Published places within reach of a point, nearest first. Each edge carries the exact
    /// great-circle distance and an estimated travel time.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn nearby(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where the worker is.")] near: LocationInput,
        #[graphql(desc = "How far to look: { meters: 800 } or { minutes: 10, mode: EBIKE }.")]
        within: WithinInput,
        filter: Option<PlaceFilterInput>,
        #[graphql(desc = "How many places to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<NearbyPlaceConnection> {
        nearby_page(ctx.domain(), ctx.viewer(), near, within, filter, first, after)
    }

    /// Published places whose name, address or current offer titles contain every word of
    /// `text` (one- and two-character Chinese words such as 药 or 食堂 work). Exact names
    /// come first, then names starting with the text, then names containing it, then the
    /// rest; within each, nearest first when `near` is given.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to look for, 1 to 50 characters.")] text: String,
        #[graphql(desc = "Where the worker is, to order by distance.")] near: Option<LocationInput>,
        filter: Option<PlaceFilterInput>,
        #[graphql(desc = "How many places to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<SearchResultConnection> {
        search_page(ctx.domain(), ctx.viewer(), text, near, filter, first, after)
    }

    /// Places waiting for review, oldest submission first. Admins only.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many places to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<PlaceConnection> {
        let (first, after) = paging(first, after, decode_queue_cursor)?;
        let page = places::review_queue(ctx.domain(), ctx.viewer(), after, first)
            .await
            .extend()?;
        Ok(PlaceConnection::from_page(page, |listing| {
            queue_cursor(places::QueueKey {
                submitted_at: listing.submitted_at().unwrap_or_else(|| listing.created_at()),
                id: listing.id,
            })
        }))
    }
}

// What the discovery queries answer, shared by their resolvers and by compiled plans
// (`graphql::plan`), so that both run the same checks in the same order. Each checks all
// of its arguments before it touches the directory, whose searches count demand.

/// `place(id:)`: the place, or none when it does not exist or the viewer may not see it.
pub(crate) async fn place_by_id(domain: &Domain, viewer: &Viewer, id: &ID) -> Result<Option<Place>> {
    let id = decode(id, NodeType::Place).extend()?;
    let listing = places::find(domain, viewer, id).await.extend()?;
    Ok(listing.map(Place::new))
}

/// `places`: a page of published places in id order.
pub(crate) fn places_page(
    domain: &Domain,
    viewer: &Viewer,
    first: Option<i32>,
    after: Option<String>,
    filter: Option<PlaceFilterInput>,
) -> Result<PlaceConnection> {
    let (first, after) = paging(first, after, |after| decode_id_cursor(after, CursorKind::Id))?;
    let filter = filter_of(filter, viewer).extend()?;
    let page = places::list(domain, &filter, after, first);
    Ok(PlaceConnection::from_page(page, |listing| {
        id_cursor(CursorKind::Id, listing.id)
    }))
}

/// `nearby`: a page of places within reach, nearest first.
pub(crate) fn nearby_page(
    domain: &Domain,
    viewer: &Viewer,
    near: LocationInput,
    within: WithinInput,
    filter: Option<PlaceFilterInput>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<NearbyPlaceConnection> {
    let near = near.to_point().extend()?;
    let within = Within::from_parts(within.meters, within.minutes, within.mode.map(Into::into)).extend()?;
    let (first, after) = paging(first, after, decode_ranked_cursor)?;
    let filter = filter_of(filter, viewer).extend()?;
    let nearest = places::nearby(domain, near, within, &filter, after, first);
    Ok(NearbyPlaceConnection::new(
        nearest,
        NearbySearch { near, within, filter },
        &domain.rules.travel,
    ))
}

/// `search`: a page of places matching `text`, best first.
pub(crate) fn search_page(
    domain: &Domain,
    viewer: &Viewer,
    text: String,
    near: Option<LocationInput>,
    filter: Option<PlaceFilterInput>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<SearchResultConnection> {
    let near = near.map(LocationInput::to_point).transpose().extend()?;
    let (first, after) = paging(first, after, decode_ranked_cursor)?;
    let filter = filter_of(filter, viewer).extend()?;
    let now = chrono::Utc::now();
    let page = places::search(domain, &text, near, &filter, after, first, now).extend()?;
    Ok(SearchResultConnection::new(
        page,
        TextSearch { text, filter, now },
        &domain.rules.travel,
    ))
}
