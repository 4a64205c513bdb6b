//! A worker's one review of a place: stars, text, the owner's reply and moderation.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub place_id: i32,
    pub author_role: String,
    pub author_subject: String,
    /// What other readers see instead of the account: stable per place and author.
    pub pseudonym: String,
    /// 1 to 5.
    pub stars: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub created_at: ChronoDateTimeUtc,
    /// When the author last wrote it, by the database's clock.
    pub written_at: ChronoDateTimeUtc,
    /// Set when its author deleted it. The row stays, so moderation survives a re-post.
    #[sea_orm(nullable)]
    pub deleted_at: Option<ChronoDateTimeUtc>,
    #[sea_orm(nullable)]
    pub hidden_at: Option<ChronoDateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub hidden_reason: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reply_text: Option<String>,
    #[sea_orm(nullable)]
    pub replied_at: Option<ChronoDateTimeUtc>,
    /// How many workers marked it helpful; kept with each mark, in its transaction.
    pub helpful_count: i32,
}

impl ActiveModelBehavior for ActiveModel {}
