//! Reviews: each worker's one review of a place (stars and text), the owner's one reply,
//! admins' moderation and other workers' helpful marks.
//!
//! One review per worker and place holds under concurrent writes because the table's
//! unique key (place, role, subject) decides it: a write is an upsert on that key. A
//! deleted review keeps its row (without its text), so a hidden review stays hidden when
//! its author deletes and posts it again. Every write that changes the rating logs the
//! place as changed in its transaction, so every instance's directory re-reads it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{
    place::{self, Publication},
    review, review_mark,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict},
};

mod read;

pub use read::{find, mine, page};
use read::{may_read, with_visits};

use super::{Account, clock, limits, pseudonym};
use crate::{
    auth::{Viewer, policy},
    domain::{Domain, change_log, directory::Listing, geo::Point, places, validate},
    error::{AppError, AppResult},
};

/// The longest review text, in characters.
pub const MAX_TEXT: usize = 500;

/// A review as its author writes it.
#[derive(Clone, Debug)]
pub struct NewReview {
    /// The place reviewed.
    pub place_id: i32,
    /// One to five stars.
    pub stars: i32,
    /// What the worker says, at most `MAX_TEXT` characters.
    pub text: String,
}

/// The order of a page of reviews.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Most recently written first.
    Newest,
    /// Most helpful marks first; ties newest review first.
    MostHelpful,
}

/// Where a page of reviews resumes: after this review, in the page's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewKey {
    /// After the review written at `written_at` with id `id`, newest first.
    Newest {
        /// When that review was written.
        written_at: DateTime<Utc>,
        /// Its id, which breaks ties.
        id: i32,
    },
    /// After the review with `helpful` marks and id `id`, most helpful first.
    MostHelpful {
        /// That review's helpful marks.
        helpful: i32,
        /// Its id, which breaks ties.
        id: i32,
    },
}

/// A review as a reader receives it.
#[derive(Clone, Debug)]
pub struct ReviewView {
    /// The review as stored.
    pub row: review::Model,
    /// The author checked in at the place.
    pub verified_visit: bool,
}

impl ReviewView {
    /// Where a page that ends with this review resumes, in `order`.
    pub fn key(&self, order: Order) -> ReviewKey {
        match order {
            Order::Newest => ReviewKey::Newest {
                written_at: self.row.written_at,
                id: self.row.id,
            },
            Order::MostHelpful => ReviewKey::MostHelpful {
                helpful: self.row.helpful_count,
                id: self.row.id,
            },
        }
    }
}

fn point_of(place: &place::Model) -> Point {
    Point {
        lat: place.latitude,
        lng: place.longitude,
    }
}

fn not_found(id: i32) -> AppError {
    AppError::NotFound(format!("no review with this id is visible to you (id {id})"))
}

/// Logs the place as changed (its rating moved) as the transaction's last write.
async fn log_rating_change(txn: &impl ConnectionTrait, place_id: i32, at: Point) -> AppResult<()> {
    change_log::append_place(txn, place_id, &[at]).await?;
    Ok(())
}

/// A live review with its place, for a change: `NOT_FOUND` unless the viewer may read it.
async fn load(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<(review::Model, place::Model)> {
    let row = review::Entity::find_by_id(id)
        .one(&domain.db)
        .await?
        .ok_or_else(|| not_found(id))?;
    let place = place::Entity::find_by_id(row.place_id)
        .one(&domain.db)
        .await?
        .ok_or_else(|| not_found(id))?;
    if !may_read(viewer, &row, &place) {
        return Err(not_found(id));
    }
    Ok((row, place))
}

/// Creates or replaces the worker's one review of a published place. A hidden review stays
/// hidden when rewritten; the owner's reply and helpful marks stay.
pub async fn write(domain: &Domain, viewer: &Viewer, new: NewReview) -> AppResult<ReviewView> {
    let account = Account::worker(viewer, "review places")?;
    if !(1..=5).contains(&new.stars) {
        return Err(AppError::bad_input(format!(
            "stars must be 1 to 5, got {}",
            new.stars
        )));
    }
    let text = validate::name("text", &new.text, 0, MAX_TEXT)?;
    let listing: Arc<Listing> = places::find(domain, viewer, new.place_id)
        .await?
        .filter(|listing| listing.publication == Publication::Published)
        .ok_or_else(|| {
            AppError::NotFound(format!("no published place with this id (id {})", new.place_id))
        })?;
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    limits::spend(&txn, &account, limits::Action::Review, now).await?;
    let pseudonym = pseudonym::of(&txn, listing.id, &account).await?;
    review::Entity::insert(review::ActiveModel {
        id: NotSet,
        place_id: Set(listing.id),
        author_role: Set(account.role_claim().to_owned()),
        author_subject: Set(account.subject.clone()),
        pseudonym: Set(pseudonym),
        stars: Set(new.stars),
        text: Set(text),
        created_at: Set(now),
        written_at: Set(now),
        deleted_at: Set(None),
        hidden_at: Set(None),
        hidden_reason: Set(None),
        reply_text: Set(None),
        replied_at: Set(None),
        helpful_count: Set(0),
    })
    .on_conflict(
        OnConflict::columns([
            review::Column::PlaceId,
            review::Column::AuthorRole,
            review::Column::AuthorSubject,
        ])
        .update_columns([
            review::Column::Stars,
            review::Column::Text,
            review::Column::WrittenAt,
            review::Column::DeletedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let row = review::Entity::find()
        .filter(review::Column::PlaceId.eq(listing.id))
        .filter(review::Column::AuthorRole.eq(account.role_claim()))
        .filter(review::Column::AuthorSubject.eq(account.subject.as_str()))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a review vanished inside its own write")))?;
    log_rating_change(&txn, listing.id, listing.point()).await?;
    txn.commit().await?;
    domain.directory.refresh(&domain.db, &[listing.id]).await;
    Ok(with_visits(domain, listing.id, vec![row]).await?.remove(0))
}

/// Deletes the worker's review of a place, with its reply and helpful marks. Returns its id.
pub async fn delete_mine(domain: &Domain, viewer: &Viewer, place_id: i32) -> AppResult<i32> {
    let account = Account::worker(viewer, "review places")?;
    let missing = || AppError::NotFound(format!("you have no review of this place (id {place_id})"));
    // The author may delete a review of a place that is no longer published.
    let place = place::Entity::find_by_id(place_id)
        .one(&domain.db)
        .await?
        .ok_or_else(missing)?;
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    let mine = Condition::all()
        .add(review::Column::PlaceId.eq(place_id))
        .add(review::Column::AuthorRole.eq(account.role_claim()))
        .add(review::Column::AuthorSubject.eq(account.subject.as_str()))
        .add(review::Column::DeletedAt.is_null());
    let deleted = review::Entity::update_many()
        .col_expr(review::Column::DeletedAt, Expr::value(now))
        .col_expr(review::Column::Text, Expr::value(""))
        .col_expr(review::Column::ReplyText, Expr::value(Option::<String>::None))
        .col_expr(
            review::Column::RepliedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(review::Column::HelpfulCount, Expr::value(0))
        .filter(mine)
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(missing());
    }
    let row = review::Entity::find()
        .filter(review::Column::PlaceId.eq(place_id))
        .filter(review::Column::AuthorRole.eq(account.role_claim()))
        .filter(review::Column::AuthorSubject.eq(account.subject.as_str()))
        .one(&txn)
        .await?
        .ok_or_else(missing)?;
    review_mark::Entity::delete_many()
        .filter(review_mark::Column::ReviewId.eq(row.id))
        .exec(&txn)
        .await?;
    log_rating_change(&txn, place.id, point_of(&place)).await?;
    txn.commit().await?;
    domain.directory.refresh(&domain.db, &[place_id]).await;
    Ok(row.id)
}

/// The owner's answer to a review, written once and edited by writing it again.
pub async fn reply(domain: &Domain, viewer: &Viewer, id: i32, text: &str) -> AppResult<ReviewView> {
    policy::require_login(viewer)?;
    let (row, place) = load(domain, viewer, id).await?;
    if row.hidden_at.is_some() {
        return Err(not_found(id));
    }
    policy::may_reply(viewer, &place)?;
    let text = validate::name("text", text, 1, MAX_TEXT)?;
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    let replied = review::Entity::update_many()
        .col_expr(review::Column::ReplyText, Expr::value(text))
        .col_expr(review::Column::RepliedAt, Expr::value(now))
        .filter(review::Column::Id.eq(id))
        .filter(review::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?;
    if replied.rows_affected == 0 {
        return Err(not_found(id));
    }
    let row = reread(&txn, id).await?;
    txn.commit().await?;
    Ok(with_visits(domain, place.id, vec![row]).await?.remove(0))
}

/// Hides a review from everyone but its author and admins, with a reason its author reads.
/// It leaves the place's rating. Admins only; hiding again replaces the reason.
pub async fn hide(domain: &Domain, viewer: &Viewer, id: i32, reason: &str) -> AppResult<ReviewView> {
    policy::may_moderate(viewer)?;
    let reason = validate::text("reason", reason, 2, 500)?;
    let (_, place) = load(domain, viewer, id).await?;
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    review::Entity::update_many()
        .col_expr(review::Column::HiddenAt, Expr::value(now))
        .col_expr(review::Column::HiddenReason, Expr::value(reason))
        .filter(review::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let row = reread(&txn, id).await?;
    log_rating_change(&txn, place.id, point_of(&place)).await?;
    txn.commit().await?;
    domain.directory.refresh(&domain.db, &[place.id]).await;
    Ok(with_visits(domain, place.id, vec![row]).await?.remove(0))
}

/// Records that a worker found someone else's review helpful, once per worker: marking it
/// again changes nothing.
pub async fn mark_helpful(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<ReviewView> {
    let account = Account::worker(viewer, "mark reviews helpful")?;
    let (row, place) = load(domain, viewer, id).await?;
    if row.hidden_at.is_some() {
        return Err(not_found(id));
    }
    if account.is(&row.author_role, &row.author_subject) {
        return Err(AppError::bad_input("you cannot mark your own review helpful"));
    }
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    let inserted = review_mark::Entity::insert(review_mark::ActiveModel {
        review_id: Set(id),
        account_role: Set(account.role_claim().to_owned()),
        account_subject: Set(account.subject.clone()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            review_mark::Column::ReviewId,
            review_mark::Column::AccountRole,
            review_mark::Column::AccountSubject,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted > 0 {
        review::Entity::update_many()
            .col_expr(
                review::Column::HelpfulCount,
                Expr::col(review::Column::HelpfulCount).add(1),
            )
            .filter(review::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    let row = reread(&txn, id).await?;
    txn.commit().await?;
    Ok(with_visits(domain, place.id, vec![row]).await?.remove(0))
}

async fn reread(txn: &impl ConnectionTrait, id: i32) -> AppResult<review::Model> {
    review::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| not_found(id))
}
