//! Relay global object identification: the `Node` interface and the `node(id)` query,
//! the one place that turns any global id back into its object.

use async_graphql::{Context, ID, Interface, Object, Result, ResultExt};

use super::{
    context::ContextExt,
    ids::{NodeType, decode_any},
    offers::Offer,
    photos::PlacePhoto,
    places::Place,
    stations::{Item, Loan, Visit},
    voice::{PlaceReport, Review},
};
use crate::domain::{
    offers, photos, places,
    stations::{checkins, items, loans},
    voice::{reports, reviews},
};

/// An object with a globally unique, opaque id that `node(id)` fetches again.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's opaque global id."))]
pub enum Node {
    /// A place.
    Place(Place),
    /// An offer.
    Offer(Offer),
    /// A review.
    Review(Review),
    /// A report about a place.
    PlaceReport(PlaceReport),
    /// An item a place lends.
    Item(Item),
    /// A loan of an item.
    Loan(Loan),
    /// A worker's visit to a place.
    Visit(Visit),
    /// A photo of a place.
    PlacePhoto(PlacePhoto),
}

/// The `node` query.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist or is not visible to you.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (node_type, number) = decode_any(&id).extend()?;
        match node_type {
            NodeType::Place => Ok(places::find(ctx.domain(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|listing| Node::Place(Place::new(listing)))),
            NodeType::Offer => Ok(offers::find(ctx.domain(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|offer| Node::Offer(Offer::new(offer)))),
            NodeType::Review => Ok(reviews::find(ctx.domain(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|review| Node::Review(Review::new(review)))),
            NodeType::Report => Ok(reports::find(ctx.domain(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|report| Node::PlaceReport(PlaceReport::new(report)))),
            NodeType::Item => Ok(items::find(ctx.domain(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|item| Node::Item(Item::new(item)))),
            NodeType::Loan => Ok(loans::find(ctx.domain(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|loan| Node::Loan(Loan::new(loan)))),
            NodeType::Visit => Ok(checkins::find(ctx.domain(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|visit| Node::Visit(Visit::new(visit)))),
            NodeType::PlacePhoto => Ok(photos::find(ctx.domain(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|photo| Node::PlacePhoto(PlacePhoto::new(photo)))),
        }
    }
}
