//! Relay global object identification: opaque, stable ids and the `node` query.

use async_graphql::{Context, ID, Interface, Object, Result, ResultExt};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::{
    ContextExt,
    offers::Offer,
    places::Place,
    voice::{PlaceReport, Review},
};
use crate::{
    domain::{
        offers, places,
        voice::{reports, reviews},
    },
    error::{AppError, AppResult},
};

/// An object with a globally unique, opaque id that `node(id)` fetches again.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's opaque global id."))]
pub enum Node {
    Place(Place),
    Offer(Offer),
    Review(Review),
    PlaceReport(PlaceReport),
}

/// The kinds of object a global id can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    Place,
    Offer,
    Review,
    Report,
}

impl NodeType {
    const ALL: [Self; 4] = [Self::Place, Self::Offer, Self::Review, Self::Report];

    fn prefix(self) -> &'static str {
        match self {
            Self::Place => "Place",
            Self::Offer => "Offer",
            Self::Review => "Review",
            Self::Report => "PlaceReport",
        }
    }
}

pub fn global_id(node_type: NodeType, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", node_type.prefix())))
}

/// Reads a global id of any type.
pub fn decode_any(id: &ID) -> AppResult<(NodeType, i32)> {
    let refuse = || {
        AppError::bad_input(format!(
            "{:?} is not a yizhan id; use an `id` the API returned",
            id.as_str()
        ))
    };
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| refuse())?)
        .map_err(|_| refuse())?;
    let (prefix, number) = text.split_once(':').ok_or_else(refuse)?;
    let node_type = NodeType::ALL
        .into_iter()
        .find(|t| t.prefix() == prefix)
        .ok_or_else(refuse)?;
    Ok((node_type, number.parse().map_err(|_| refuse())?))
}

/// Reads a global id that must name an object of `expected` type.
pub fn decode(id: &ID, expected: NodeType) -> AppResult<i32> {
    match decode_any(id)? {
        (node_type, number) if node_type == expected => Ok(number),
        _ => Err(AppError::bad_input(format!(
            "{:?} is not the id of a {}",
            id.as_str(),
            expected.prefix()
        ))),
    }
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist or is not visible to you.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (node_type, number) = decode_any(&id).extend()?;
        match node_type {
            NodeType::Place => Ok(places::find(ctx.services(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|listing| Node::Place(Place::new(listing)))),
            NodeType::Offer => Ok(offers::find(ctx.services(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|offer| Node::Offer(Offer::new(offer)))),
            NodeType::Review => Ok(reviews::find(ctx.services(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|review| Node::Review(Review::new(review)))),
            NodeType::Report => Ok(reports::find(ctx.services(), ctx.viewer(), number)
                .await
                .extend()?
                .map(|report| Node::PlaceReport(PlaceReport::new(report)))),
        }
    }
}
