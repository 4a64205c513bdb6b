//! Favourites in GraphQL: `favoritePlace`, `unfavoritePlace`, `me.favorites` and
//! `Place.isFavorite`.

use async_graphql::{Context, ID, InputObject, Object, Result, ResultExt, SimpleObject};

use super::favorite_ids::forget_favorites;
use crate::{
    domain::voice::{Account, favorites},
    graphql::{
        connection::{CursorKind, PageInfo, decode_id_cursor, id_cursor, paging},
        context::ContextExt,
        ids::{NodeType, decode, global_id},
        places::Place,
    },
};

/// A page of favourite places, the newest favourite first.
#[derive(SimpleObject)]
pub struct FavoriteConnection {
    /// The places of this page, with their cursors.
    pub edges: Vec<FavoriteEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many favourites are published now, across every page.
    pub total_count: i32,
}

/// A favourite place, with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct FavoriteEdge {
    /// Pass as `after` to get the favourites that follow this one.
    pub cursor: String,
    /// The place.
    pub node: Place,
}

/// The signed-in worker's favourites; empty for other accounts.
pub async fn favorites_of(
    ctx: &Context<'_>,
    account: Account,
    first: Option<i32>,
    after: Option<String>,
) -> Result<FavoriteConnection> {
    let (first, before) = paging(first, after, |after| {
        decode_id_cursor(after, CursorKind::Favorites)
    })?;
    let page = favorites::page(ctx.domain(), ctx.viewer(), &account, before, first)
        .await
        .extend()?;
    let edges: Vec<FavoriteEdge> = page
        .items
        .into_iter()
        .map(|favorite| FavoriteEdge {
            cursor: id_cursor(CursorKind::Favorites, favorite.id),
            node: Place::new(favorite.listing),
        })
        .collect();
    Ok(FavoriteConnection {
        page_info: PageInfo::of(&edges, |edge| &edge.cursor, page.has_next_page),
        total_count: i32::try_from(page.total_count).unwrap_or(i32::MAX),
        edges,
    })
}

/// Names a place to keep or let go.
#[derive(InputObject)]
pub struct FavoritePlaceInput {
    /// The place.
    pub place_id: ID,
}

/// The result of `favoritePlace`.
#[derive(SimpleObject)]
pub struct FavoritePlacePayload {
    /// The place, now among your favourites.
    pub place: Place,
}

/// The result of `unfavoritePlace`.
#[derive(SimpleObject)]
pub struct UnfavoritePlacePayload {
    /// The place no longer among your favourites.
    pub place_id: ID,
}

#[derive(Default)]
/// Favourite and unfavourite.
pub struct FavoriteMutation;

#[Object]
impl FavoriteMutation {
    /// Keeps a published place among your favourites (`me.favorites`), visible only to
    /// you. Workers only; keeping it again changes nothing; at most 500.
    async fn favorite_place(
        &self,
        ctx: &Context<'_>,
        input: FavoritePlaceInput,
    ) -> Result<FavoritePlacePayload> {
        let id = decode(&input.place_id, NodeType::Place).extend()?;
        let listing = favorites::add(ctx.domain(), ctx.viewer(), id).await.extend()?;
        forget_favorites(ctx).await;
        Ok(FavoritePlacePayload {
            place: Place::new(listing),
        })
    }

    /// Lets a place go from your favourites. Workers only; letting go of one that is not
    /// there changes nothing.
    async fn unfavorite_place(
        &self,
        ctx: &Context<'_>,
        input: FavoritePlaceInput,
    ) -> Result<UnfavoritePlacePayload> {
        let id = decode(&input.place_id, NodeType::Place).extend()?;
        favorites::remove(ctx.domain(), ctx.viewer(), id).await.extend()?;
        forget_favorites(ctx).await;
        Ok(UnfavoritePlacePayload {
            place_id: global_id(NodeType::Place, id),
        })
    }
}
