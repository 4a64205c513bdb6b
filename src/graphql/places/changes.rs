//! Places as they change: the `placeChanged` and `placeUpdated` subscriptions and the
//! `placeChanges` delta sync, all speaking `PlaceChange`.

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, Object, Result, ResultExt, SimpleObject, Subscription,
    futures_util::{Stream, stream},
};

use super::{
    inputs::{LocationInput, PlaceFilterInput, WithinInput, filter_of},
    place::Place,
};
use crate::{
    auth::Viewer,
    domain::{
        geo::Within,
        live::Interrupted,
        places::{self, ChangeKind, Watch},
    },
    error::AppError,
    graphql::{
        connection::{PageInfo, decode_sync_cursor, paging, sync_cursor},
        context::ContextExt,
        ids::{NodeType, decode, global_id},
    },
};

/// How a place changed for you.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceChangeKind {
    /// It came into view: into your area, published, or (for `placeUpdated`) visible to you.
    Entered,
    /// It changed and is still in view: replace your copy.
    Updated,
    /// It went out of view (moved away, suspended, withdrawn, deleted): drop your copy.
    Left,
}

/// One change to one place.
pub struct PlaceChange {
    change: places::PlaceChange,
}

#[Object]
impl PlaceChange {
    /// ENTERED, UPDATED or LEFT.
    async fn change(&self) -> PlaceChangeKind {
        self.change.kind.into()
    }

    /// The place's global id, also when it left.
    async fn place_id(&self) -> ID {
        global_id(NodeType::Place, self.change.place_id)
    }

    /// The place as it is now; null when it left.
    async fn place(&self) -> Option<Place> {
        self.change.place.clone().map(Place::new)
    }

    /// The change's position in the change log: later changes have larger positions.
    async fn position(&self) -> String {
        self.change.position.to_string()
    }
}

/// A page of a delta sync.
#[derive(SimpleObject)]
pub struct PlaceChangeConnection {
    /// The changes of this page.
    pub edges: Vec<PlaceChangeEdge>,
    /// Where this page sits. `endCursor` is never null here: keep it, and pass it as `after`
    /// next time to get only what changed since.
    pub page_info: PageInfo,
}

/// A change with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct PlaceChangeEdge {
    /// Pass as `after` to resume after this change.
    pub cursor: String,
    /// The change.
    pub node: PlaceChange,
}

#[derive(Default)]
/// The `placeChanges` query for offline delta sync.
pub struct PlaceChangeQuery;

#[Object]
impl PlaceChangeQuery {
    /// Offline sync of an area. Without `after`: every published place in reach (ENTERED),
    /// page by page. With `after` (a previous `endCursor`): only what changed since, each
    /// place once: UPDATED with the place as it is now when it is in the area, LEFT when it
    /// was suspended, removed or moved out. Cursors stay valid for the change log's retention
    /// (30 days by default); an older one fails with RESYNC_REQUIRED: sync again without `after`.
    #[graphql(complexity = "crate::graphql::limits::connection_complexity(first, child_complexity)")]
    async fn place_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The centre of the area to keep offline.")] near: LocationInput,
        #[graphql(desc = "The area's reach: { meters: 3000 } or { minutes: 15, mode: EBIKE }.")]
        within: WithinInput,
        #[graphql(desc = "The `endCursor` of your last sync; omit it for the first download.")] after: Option<
            String,
        >,
        #[graphql(desc = "How many changes to return, 0 to 100 (default 20).")] first: Option<i32>,
    ) -> Result<PlaceChangeConnection> {
        let near = near.to_point().extend()?;
        let within =
            Within::from_parts(within.meters, within.minutes, within.mode.map(Into::into)).extend()?;
        let (first, after) = paging(first, after, decode_sync_cursor)?;
        let page = places::changes_since(ctx.domain(), near, within, after, first)
            .await
            .extend()?;
        let edges: Vec<PlaceChangeEdge> = page
            .items
            .into_iter()
            .map(|(change, cursor)| PlaceChangeEdge {
                cursor: sync_cursor(cursor),
                node: PlaceChange { change },
            })
            .collect();
        let mut page_info = PageInfo::of(&edges, |edge| &edge.cursor, page.has_next_page);
        page_info.end_cursor = Some(sync_cursor(page.end));
        Ok(PlaceChangeConnection { edges, page_info })
    }
}

/// Live updates over graphql-transport-ws on `/graphql/ws`. Send the token in
/// `connection_init`'s payload; when it expires, subscriptions end with UNAUTHENTICATED.
#[derive(Default)]
pub struct PlaceSubscription;

#[Subscription]
impl PlaceSubscription {
    /// Changes to published places within reach of a point, filtered as in `nearby`: a place
    /// that enters the area (or starts matching) is ENTERED, a change inside it UPDATED (live
    /// status and offers included), one that leaves by moving, suspension or removal LEFT.
    async fn place_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where the worker is.")] near: LocationInput,
        #[graphql(desc = "How far to watch: { meters: 800 } or { minutes: 10, mode: EBIKE }.")]
        within: WithinInput,
        filter: Option<PlaceFilterInput>,
    ) -> Result<impl Stream<Item = Result<PlaceChange>> + use<>> {
        let viewer = ctx.viewer().clone();
        let near = near.to_point().extend()?;
        let within =
            Within::from_parts(within.meters, within.minutes, within.mode.map(Into::into)).extend()?;
        let filter = filter_of(filter, &viewer).extend()?;
        let watch = places::watch_area(ctx.domain(), near, within, filter);
        Ok(changes_of(watch, &viewer))
    }

    /// Every change to one place that you may see: UPDATED while you may see it, LEFT when
    /// that ends (suspended, withdrawn, deleted), ENTERED when it becomes visible again.
    async fn place_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The place's id.")] id: ID,
    ) -> Result<impl Stream<Item = Result<PlaceChange>> + use<>> {
        let viewer = ctx.viewer().clone();
        let id = decode(&id, NodeType::Place).extend()?;
        let watch = places::watch_place(ctx.domain(), &viewer, id).await.extend()?;
        Ok(changes_of(watch, &viewer))
    }
}

#[derive(Default)]
/// The review queue for admins, live.
pub struct ReviewQueueSubscription;

#[Subscription]
impl ReviewQueueSubscription {
    /// The review queue as it changes, for admins: ENTERED when a place is submitted,
    /// appealed or sent back to review by an edit; UPDATED when a waiting place changes;
    /// LEFT (place null) when it is approved, rejected, withdrawn or deleted.
    async fn review_queue_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<PlaceChange>> + use<>> {
        let viewer = ctx.viewer().clone();
        let watch = places::watch_review_queue(ctx.domain(), &viewer).await.extend()?;
        Ok(changes_of(watch, &viewer))
    }
}

/// The stream of a watch, ending with an error when the token expires or the subscriber
/// falls too far behind.
fn changes_of(watch: Watch, viewer: &Viewer) -> impl Stream<Item = Result<PlaceChange>> + use<> {
    let expires_at = viewer.expires_at();
    stream::unfold(Some(watch), move |watch| async move {
        let mut watch = watch?;
        let expiry = async {
            match expires_at.and_then(|at| (at - chrono::Utc::now()).to_std().ok()) {
                Some(left) => tokio::time::sleep(left).await,
                None if expires_at.is_some() => {}
                None => std::future::pending().await,
            }
        };
        let next = tokio::select! {
            next = watch.next() => next,
            () = expiry => {
                let error = AppError::Unauthenticated(
                    "your token expired: reconnect with a fresh token and subscribe again".to_owned(),
                );
                return Some((Err(error.extend()), None));
            }
        };
        match next {
            Ok(change) => Some((Ok(PlaceChange { change }), Some(watch))),
            Err(Interrupted::Overflowed) => {
                let error = AppError::ResyncRequired(
                    "you fell too far behind the changes: subscribe again and catch up with placeChanges"
                        .to_owned(),
                );
                Some((Err(error.extend()), None))
            }
            Err(Interrupted::Closed) => None,
        }
    })
}

impl From<ChangeKind> for PlaceChangeKind {
    fn from(kind: ChangeKind) -> Self {
        match kind {
            ChangeKind::Entered => Self::Entered,
            ChangeKind::Updated => Self::Updated,
            ChangeKind::Left => Self::Left,
        }
    }
}
