//! The caller's favourite place ids, read at most once per request, for `Place.isFavorite`.
//! It knows no object types, so `Place` can use it without a loop through `favorites`.

use std::{collections::HashSet, sync::Arc};

use async_graphql::{Context, Request, Result, ResultExt};

use crate::{
    auth::Role,
    domain::voice::{Account, favorites},
    graphql::context::ContextExt,
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
        let ids = Arc::new(favorites::place_ids(ctx.domain(), account).await.extend()?);
        *cached = Some(ids.clone());
        Ok(ids)
    }

    async fn forget(&self) {
        *self.0.lock().await = None;
    }
}

/// Gives a request its own, empty `FavoriteIds`. `prepare` calls it for every operation, on
/// HTTP and WebSocket alike (a subscription keeps one for its whole stream). It is request
/// data rather than a schema extension: any extension sends every field of every request
/// through async-graphql's hook path, which cost `nearby` about a fifth of its CPU.
pub fn give_favorite_cache(request: &mut Request) {
    request.data.insert(FavoriteIds::default());
}

/// Drops the request's favourite ids after it changed them.
pub async fn forget_favorites(ctx: &Context<'_>) {
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
        None => Arc::new(favorites::place_ids(ctx.domain(), &account).await.extend()?),
    };
    Ok(ids.contains(&place_id))
}
