//! Perks for workers in GraphQL.

use async_graphql::{Context, ID, InputObject, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};
use entity::offer;

use super::{
    connection::{CursorKind, PageInfo, decode_id_cursor, id_cursor, paging},
    context::ContextExt,
    enums::WorkerGroup,
    ids::{NodeType, decode, global_id},
};
use crate::{
    auth::Identity,
    domain::{directory::Listing, offers},
};

/// A page of offers.
#[derive(SimpleObject)]
pub struct OfferConnection {
    /// The offers of this page, with their cursors.
    pub edges: Vec<OfferEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many offers there are across every page.
    pub total_count: i32,
}

/// An offer with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct OfferEdge {
    /// Pass as `after` to get the offers that follow this one.
    pub cursor: String,
    /// The offer.
    pub node: Offer,
}

/// The offers of every place `owner` owns, oldest first.
pub async fn offers_of(
    ctx: &Context<'_>,
    owner: &Identity,
    first: Option<i32>,
    after: Option<String>,
) -> Result<OfferConnection> {
    let (first, after) = paging(first, after, |after| decode_id_cursor(after, CursorKind::Id))?;
    let page = offers::owned_by(ctx.domain(), owner, after, first)
        .await
        .extend()?;
    let edges: Vec<OfferEdge> = page
        .items
        .into_iter()
        .map(|offer| OfferEdge {
            cursor: id_cursor(CursorKind::Id, offer.id),
            node: Offer::new(offer),
        })
        .collect();
    Ok(OfferConnection {
        page_info: PageInfo::of(&edges, |edge| &edge.cursor, page.has_next_page),
        total_count: i32::try_from(page.total_count).unwrap_or(i32::MAX),
        edges,
    })
}

/// A perk a place offers workers: a rider discount, free hot water, a borrowed umbrella.
pub struct Offer {
    offer: offer::Model,
}

impl Offer {
    /// The API's view of an offer.
    pub fn new(offer: offer::Model) -> Self {
        Self { offer }
    }
}

#[Object]
impl Offer {
    /// The offer's opaque global id.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Offer, self.offer.id)
    }

    /// A short title, such as "骑手餐立减5元".
    async fn title(&self) -> &str {
        &self.offer.title
    }

    /// The details: how to claim it, limits.
    async fn description(&self) -> &str {
        &self.offer.description
    }

    /// The worker groups it is for; empty means every worker.
    async fn groups(&self) -> Vec<WorkerGroup> {
        self.offer.groups.0.iter().map(|&group| group.into()).collect()
    }

    /// True when it is for the caller's worker group (from the token), or for every worker.
    async fn for_me(&self, ctx: &Context<'_>) -> bool {
        let group = ctx.viewer().identity().and_then(|identity| identity.group);
        Listing::offer_is_for(&self.offer, group)
    }

    /// When it starts.
    async fn valid_from(&self) -> DateTime<Utc> {
        self.offer.valid_from
    }

    /// When it ends.
    async fn valid_until(&self) -> DateTime<Utc> {
        self.offer.valid_until
    }

    /// Bumped by every change; send it as `expectedVersion` to guard an edit.
    async fn version(&self) -> i32 {
        self.offer.version
    }
}

/// A new offer for a place you manage.
#[derive(InputObject)]
pub struct CreateOfferInput {
    /// The place.
    pub place_id: ID,
    /// 2 to 60 characters.
    pub title: String,
    /// Up to 500 characters; empty when omitted or null.
    pub description: Option<String>,
    /// The worker groups it is for; empty, omitted or null means every worker.
    pub groups: Option<Vec<WorkerGroup>>,
    /// When it starts; now when omitted.
    pub valid_from: Option<DateTime<Utc>>,
    /// When it ends: after `validFrom`, at most 366 days later.
    pub valid_until: DateTime<Utc>,
}

/// Changes to an offer: give only the fields to change.
#[derive(InputObject)]
pub struct UpdateOfferInput {
    /// The offer.
    pub id: ID,
    /// The `version` you last read; when given and stale, nothing changes and the error is CONFLICT.
    pub expected_version: Option<i32>,
    /// 2 to 60 characters.
    pub title: Option<String>,
    /// Up to 500 characters.
    pub description: Option<String>,
    /// The whole new list of groups; empty means every worker.
    pub groups: Option<Vec<WorkerGroup>>,
    /// When it starts.
    pub valid_from: Option<DateTime<Utc>>,
    /// When it ends: after `validFrom`, at most 366 days later.
    pub valid_until: Option<DateTime<Utc>>,
}

/// Names an offer.
#[derive(InputObject)]
pub struct DeleteOfferInput {
    /// The offer.
    pub id: ID,
}

/// The result of `createOffer`.
#[derive(SimpleObject)]
pub struct CreateOfferPayload {
    /// The new offer.
    pub offer: Offer,
}

/// The result of `updateOffer`.
#[derive(SimpleObject)]
pub struct UpdateOfferPayload {
    /// The offer as it is now.
    pub offer: Offer,
}

/// The result of `deleteOffer`.
#[derive(SimpleObject)]
pub struct DeleteOfferPayload {
    /// The id of the deleted offer.
    pub deleted_id: ID,
}

fn groups(list: Vec<WorkerGroup>) -> Vec<entity::place::WorkerGroup> {
    list.into_iter().map(Into::into).collect()
}

#[derive(Default)]
/// Offer mutations: create, update and delete.
pub struct OfferMutation;

#[Object]
impl OfferMutation {
    /// Adds an offer to a place you manage (owners and admins).
    async fn create_offer(&self, ctx: &Context<'_>, input: CreateOfferInput) -> Result<CreateOfferPayload> {
        let new = offers::NewOffer {
            place_id: decode(&input.place_id, NodeType::Place).extend()?,
            title: input.title,
            description: input.description.unwrap_or_default(),
            groups: groups(input.groups.unwrap_or_default()),
            valid_from: input.valid_from,
            valid_until: input.valid_until,
        };
        let offer = offers::create(ctx.domain(), ctx.viewer(), new).await.extend()?;
        Ok(CreateOfferPayload {
            offer: Offer::new(offer),
        })
    }

    /// Changes an offer of a place you manage.
    async fn update_offer(&self, ctx: &Context<'_>, input: UpdateOfferInput) -> Result<UpdateOfferPayload> {
        let id = decode(&input.id, NodeType::Offer).extend()?;
        let changes = offers::OfferChanges {
            title: input.title,
            description: input.description,
            groups: input.groups.map(groups),
            valid_from: input.valid_from,
            valid_until: input.valid_until,
            expected_version: input.expected_version,
        };
        let offer = offers::update(ctx.domain(), ctx.viewer(), id, changes)
            .await
            .extend()?;
        Ok(UpdateOfferPayload {
            offer: Offer::new(offer),
        })
    }

    /// Deletes an offer of a place you manage. It stays in the place's history.
    async fn delete_offer(&self, ctx: &Context<'_>, input: DeleteOfferInput) -> Result<DeleteOfferPayload> {
        let id = decode(&input.id, NodeType::Offer).extend()?;
        let deleted = offers::delete(ctx.domain(), ctx.viewer(), id).await.extend()?;
        Ok(DeleteOfferPayload {
            deleted_id: global_id(NodeType::Offer, deleted),
        })
    }
}
