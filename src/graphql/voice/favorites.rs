//! Favourites in GraphQL: `favoritePlace`, `unfavoritePlace`, `me.favorites` and
//! `Place.isFavorite`.

use std::{collections::HashSet, sync::Arc};

use async_graphql::{
    Context, ID, InputObject, Object, Request, Result, ResultExt, ServerResult, SimpleObject,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
};

use crate::{
    auth::Role,
    domain::{
        page_size,
        voice::{Account, favorites},
    },
    graphql::{
        ContextExt,
        connection::{CursorKind, PageInfo, decode_id_cursor, id_cursor},
        node::{NodeType, decode, global_id},
        places::Place,
    },
};

/// The caller's favourite place ids, read at most once per request (and again after the
/// request changes them), so `isFavorite` on a page of 100 places costs one query.
#[derive(Default)]
pub struct FavoriteIds(tokio::sync::Mutex<Option<Arc<HashSet<i32>>>>);

impl FavoriteIds {
    async fn get(&self, ctx: &Context<'_>, account: &Account) -> Result<Arc<HashSet<i32>>> {
        let mut cached = self.0.lock().await;
        if let Some(ids) = cached.as_ref() {
            return Ok(ids.clone());
        }
        let ids = Arc::new(favorites::place_ids(ctx.services(), account).await.extend()?);
        *cached = Some(ids.clone());
        Ok(ids)
    }

    async fn forget(&self) {
        *self.0.lock().await = None;
    }
}

/// Gives every request its own `FavoriteIds`.
pub struct FavoriteCache;

impl ExtensionFactory for FavoriteCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FavoriteCache)
    }
}

#[async_trait::async_trait]
impl Extension for FavoriteCache {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        next.run(ctx, request.data(FavoriteIds::default())).await
    }
}

async fn forget_favorites(ctx: &Context<'_>) {
    if let Some(ids) = ctx.data_opt::<FavoriteIds>() {
        ids.forget().await;
    }
}

/// Whether the caller keeps `place_id` among their favourites; false for anyone but workers.
pub async fn is_favorite(ctx: &Context<'_>, place_id: i32) -> Result<bool> {
    let viewer = ctx.viewer();
    let Some(account) = Account::of(viewer).filter(|account| account.role == Role::Worker) else {
        return Ok(false);
    };
    let ids = match ctx.data_opt::<FavoriteIds>() {
        Some(cache) => cache.get(ctx, &account).await?,
        None => Arc::new(favorites::place_ids(ctx.services(), &account).await.extend()?),
    };
    Ok(ids.contains(&place_id))
}

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
    let first = page_size(first).extend()?;
    let before = decode_id_cursor(after.as_deref(), CursorKind::Favorites).extend()?;
    let page = favorites::page(ctx.services(), ctx.viewer(), &account, before, first)
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
        let listing = favorites::add(ctx.services(), ctx.viewer(), id).await.extend()?;
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
        favorites::remove(ctx.services(), ctx.viewer(), id)
            .await
            .extend()?;
        forget_favorites(ctx).await;
        Ok(UnfavoritePlacePayload {
            place_id: global_id(NodeType::Place, id),
        })
    }
}
