//! `me`: the caller as their token describes them.

use async_graphql::{Context, Object, Result, ResultExt};

use super::{
    connection::{CursorKind, decode_id_cursor, id_cursor, paging},
    context::ContextExt,
    enums::{Role, WorkerGroup},
    offers::{OfferConnection, offers_of},
    places::PlaceConnection,
    stations::{LoanConnection, my_loans},
    voice::{FavoriteConnection, favorites_of},
};
use crate::{
    auth::{self, Identity},
    domain::{places, voice::Account},
};

/// The signed-in account.
pub struct Me {
    identity: Identity,
}

#[Object]
impl Me {
    /// The token's `sub`: the account's id at its issuer.
    async fn subject(&self) -> &str {
        &self.identity.subject
    }

    /// What kind of account this is.
    async fn role(&self) -> Role {
        self.identity.role.into()
    }

    /// A worker's group, when the token names one.
    async fn group(&self) -> Option<WorkerGroup> {
        self.identity.group.map(Into::into)
    }

    /// The places this account owns, whatever their publication state, oldest first.
    #[graphql(complexity = "super::limits::connection_complexity(first, child_complexity)")]
    async fn places(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many places to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<PlaceConnection> {
        let (first, after) = paging(first, after, |after| decode_id_cursor(after, CursorKind::Id))?;
        let page = places::owned_by(ctx.domain(), &self.identity, after, first)
            .await
            .extend()?;
        Ok(PlaceConnection::from_page(page, |listing| {
            id_cursor(CursorKind::Id, listing.id)
        }))
    }

    /// The offers of every place this account owns, expired and upcoming ones included,
    /// oldest first: a portal's offers page.
    #[graphql(complexity = "super::limits::connection_complexity(first, child_complexity)")]
    async fn offers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many offers to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<OfferConnection> {
        offers_of(ctx, &self.identity, first, after).await
    }

    /// The places you keep as favourites (`favoritePlace`), newest first. Only places
    /// published now are listed: a suspended favourite returns once it is reinstated.
    /// Private to you; empty for accounts that are not workers.
    #[graphql(complexity = "super::limits::connection_complexity(first, child_complexity)")]
    async fn favorites(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many places to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<FavoriteConnection> {
        let account = Account {
            role: self.identity.role,
            subject: self.identity.subject.clone(),
        };
        if account.role != auth::Role::Worker {
            return favorites_of(ctx, account, Some(0), None).await;
        }
        favorites_of(ctx, account, first, after).await
    }

    /// The items you borrowed (`borrowItem`), newest loan first, returned ones included.
    /// Private to you; walk-in loans a station registered are not here.
    #[graphql(complexity = "super::limits::connection_complexity(first, child_complexity)")]
    async fn loans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many loans to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<LoanConnection> {
        my_loans(ctx, first, after).await
    }
}

#[derive(Default)]
/// The `me` query.
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The caller, from the bearer token; null when the request carries none.
    async fn me(&self, ctx: &Context<'_>) -> Option<Me> {
        ctx.viewer().identity().cloned().map(|identity| Me { identity })
    }
}
