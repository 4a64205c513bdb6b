//! Reviews in GraphQL: `reviewPlace`, `deleteMyReview`, `replyToReview`, `hideReview`,
//! `markReviewHelpful`, and a place's `rating`, `reviews` and `myReview`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    auth::Viewer,
    domain::{
        directory::Listing,
        voice::{
            Account, Rating,
            reviews::{self, NewReview, Order, ReviewView},
        },
    },
    graphql::{
        connection::{PageInfo, decode_review_cursor, paging, review_cursor},
        context::ContextExt,
        ids::{NodeType, decode, global_id},
    },
};

/// What riders think of a place, from reviews that are neither deleted nor hidden.
#[derive(SimpleObject)]
pub struct PlaceRating {
    /// The mean stars, 1 to 5; null until someone reviews the place.
    pub average: Option<f64>,
    /// How many reviews count.
    pub count: i32,
    /// How many reviews gave each number of stars: five numbers, one star first.
    pub distribution: Vec<i32>,
}

impl PlaceRating {
    /// The API's view of a place's rating.
    pub fn new(rating: Rating) -> Self {
        Self {
            average: rating.average(),
            count: i32::try_from(rating.count()).unwrap_or(i32::MAX),
            distribution: rating
                .distribution
                .iter()
                .map(|&n| i32::try_from(n).unwrap_or(i32::MAX))
                .collect(),
        }
    }
}

/// How to order a place's reviews.
#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReviewOrder {
    /// The most recently written first.
    #[default]
    Newest,
    /// The most often marked helpful first; ties newest first.
    MostHelpful,
}

impl From<ReviewOrder> for Order {
    fn from(order: ReviewOrder) -> Self {
        match order {
            ReviewOrder::Newest => Self::Newest,
            ReviewOrder::MostHelpful => Self::MostHelpful,
        }
    }
}

/// The owner's answer to a review.
#[derive(SimpleObject)]
pub struct ReviewReply {
    /// What the owner wrote.
    pub text: String,
    /// When the owner last wrote it.
    pub replied_at: DateTime<Utc>,
}

/// A worker's review of a place. Other readers see the author only as a pseudonym.
pub struct Review {
    view: ReviewView,
}

impl Review {
    /// The API's view of a review.
    pub fn new(view: ReviewView) -> Self {
        Self { view }
    }

    fn written_by(&self, viewer: &Viewer) -> bool {
        let row = &self.view.row;
        Account::of(viewer).is_some_and(|account| account.is(&row.author_role, &row.author_subject))
    }
}

#[Object]
impl Review {
    /// The review's opaque global id.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Review, self.view.row.id)
    }

    /// 1 to 5 stars.
    async fn stars(&self) -> i32 {
        self.view.row.stars
    }

    /// What the rider wrote, up to 500 characters; may be empty.
    async fn text(&self) -> &str {
        &self.view.row.text
    }

    /// The author as other readers know them: "骑手" and four hex digits, the same for one
    /// rider across all their words about this place, and unlinkable across places.
    async fn author_name(&self) -> &str {
        &self.view.row.pseudonym
    }

    /// True when you wrote it.
    async fn is_mine(&self, ctx: &Context<'_>) -> bool {
        self.written_by(ctx.viewer())
    }

    /// True when the author has checked in at the place.
    async fn verified_visit(&self) -> bool {
        self.view.verified_visit
    }

    /// How many workers marked it helpful.
    async fn helpful_count(&self) -> i32 {
        self.view.row.helpful_count
    }

    /// When it was first written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.view.row.created_at
    }

    /// When its author last wrote it.
    async fn written_at(&self) -> DateTime<Utc> {
        self.view.row.written_at
    }

    /// The owner's answer; null until the owner replies.
    async fn reply(&self) -> Option<ReviewReply> {
        let row = &self.view.row;
        Some(ReviewReply {
            text: row.reply_text.clone()?,
            replied_at: row.replied_at?,
        })
    }

    /// True when an admin hid it. Only its author and admins see hidden reviews.
    async fn hidden(&self) -> bool {
        self.view.row.hidden_at.is_some()
    }

    /// Why an admin hid it; for its author and admins, null otherwise.
    async fn hidden_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        let viewer = ctx.viewer();
        (viewer.is_admin() || self.written_by(viewer))
            .then_some(self.view.row.hidden_reason.as_deref())
            .flatten()
    }
}

/// A page of reviews.
#[derive(SimpleObject)]
pub struct ReviewConnection {
    /// The reviews of this page, with their cursors.
    pub edges: Vec<ReviewEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many reviews you may read in all, across every page.
    pub total_count: i32,
}

/// A review in a page, with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct ReviewEdge {
    /// Pass as `after` (with the same `order`) to get the reviews that follow.
    pub cursor: String,
    /// The review.
    pub node: Review,
}

/// A page of a place's reviews.
pub async fn reviews_of(
    ctx: &Context<'_>,
    place: &Listing,
    first: Option<i32>,
    after: Option<String>,
    order: ReviewOrder,
) -> Result<ReviewConnection> {
    let order: Order = order.into();
    let (first, after) = paging(first, after, |after| decode_review_cursor(after, order))?;
    let page = reviews::page(ctx.domain(), ctx.viewer(), place, order, after, first)
        .await
        .extend()?;
    let edges: Vec<ReviewEdge> = page
        .items
        .into_iter()
        .map(|view| ReviewEdge {
            cursor: review_cursor(view.key(order)),
            node: Review::new(view),
        })
        .collect();
    Ok(ReviewConnection {
        page_info: PageInfo::of(&edges, |edge| &edge.cursor, page.has_next_page),
        total_count: i32::try_from(page.total_count).unwrap_or(i32::MAX),
        edges,
    })
}

/// The caller's own review of a place, hidden or not.
pub async fn my_review(ctx: &Context<'_>, place_id: i32) -> Result<Option<Review>> {
    Ok(reviews::mine(ctx.domain(), ctx.viewer(), place_id)
        .await
        .extend()?
        .map(Review::new))
}

/// Your review of a place.
#[derive(InputObject)]
pub struct ReviewPlaceInput {
    /// The place.
    pub place_id: ID,
    /// 1 to 5 stars.
    pub stars: i32,
    /// Up to 500 characters; may be left out.
    #[graphql(default)]
    pub text: String,
}

/// Names the place whose review you delete.
#[derive(InputObject)]
pub struct DeleteMyReviewInput {
    /// The place.
    pub place_id: ID,
}

/// The owner's answer to a review.
#[derive(InputObject)]
pub struct ReplyToReviewInput {
    /// The review.
    pub review_id: ID,
    /// 1 to 500 characters; replaces an earlier reply.
    pub text: String,
}

/// Hides a review, saying why.
#[derive(InputObject)]
pub struct HideReviewInput {
    /// The review.
    pub review_id: ID,
    /// Why, 2 to 500 characters; the author reads it as `hiddenReason`.
    pub reason: String,
}

/// Names a review.
#[derive(InputObject)]
pub struct ReviewIdInput {
    /// The review.
    pub review_id: ID,
}

/// The result of a write to a review.
#[derive(SimpleObject)]
pub struct ReviewPayload {
    /// The review as it is now.
    pub review: Review,
}

/// The result of `deleteMyReview`.
#[derive(SimpleObject)]
pub struct DeleteMyReviewPayload {
    /// The id of the deleted review.
    pub deleted_id: ID,
}

#[derive(Default)]
/// Review mutations: write, delete, reply, hide and mark helpful.
pub struct ReviewMutation;

#[Object]
impl ReviewMutation {
    /// Writes your review of a published place, or replaces the one you wrote: one per
    /// worker and place. Workers only; at most 10 review writes an hour. A review an admin
    /// hid stays hidden when rewritten.
    async fn review_place(&self, ctx: &Context<'_>, input: ReviewPlaceInput) -> Result<ReviewPayload> {
        let new = NewReview {
            place_id: decode(&input.place_id, NodeType::Place).extend()?,
            stars: input.stars,
            text: input.text,
        };
        let view = reviews::write(ctx.domain(), ctx.viewer(), new).await.extend()?;
        Ok(ReviewPayload {
            review: Review::new(view),
        })
    }

    /// Deletes your review of a place, with the owner's reply and its helpful marks.
    async fn delete_my_review(
        &self,
        ctx: &Context<'_>,
        input: DeleteMyReviewInput,
    ) -> Result<DeleteMyReviewPayload> {
        let place_id = decode(&input.place_id, NodeType::Place).extend()?;
        let deleted = reviews::delete_mine(ctx.domain(), ctx.viewer(), place_id)
            .await
            .extend()?;
        Ok(DeleteMyReviewPayload {
            deleted_id: global_id(NodeType::Review, deleted),
        })
    }

    /// Answers a review of your place; answering again replaces the answer. The place's
    /// owner only.
    async fn reply_to_review(&self, ctx: &Context<'_>, input: ReplyToReviewInput) -> Result<ReviewPayload> {
        let id = decode(&input.review_id, NodeType::Review).extend()?;
        let view = reviews::reply(ctx.domain(), ctx.viewer(), id, &input.text)
            .await
            .extend()?;
        Ok(ReviewPayload {
            review: Review::new(view),
        })
    }

    /// Hides a review from everyone but its author and admins; it leaves the place's
    /// rating. Admins only.
    async fn hide_review(&self, ctx: &Context<'_>, input: HideReviewInput) -> Result<ReviewPayload> {
        let id = decode(&input.review_id, NodeType::Review).extend()?;
        let view = reviews::hide(ctx.domain(), ctx.viewer(), id, &input.reason)
            .await
            .extend()?;
        Ok(ReviewPayload {
            review: Review::new(view),
        })
    }

    /// Marks another rider's review helpful, once per worker (marking again changes
    /// nothing). Workers only.
    async fn mark_review_helpful(&self, ctx: &Context<'_>, input: ReviewIdInput) -> Result<ReviewPayload> {
        let id = decode(&input.review_id, NodeType::Review).extend()?;
        let view = reviews::mark_helpful(ctx.domain(), ctx.viewer(), id)
            .await
            .extend()?;
        Ok(ReviewPayload {
            review: Review::new(view),
        })
    }
}
