//! A worker found a review helpful. At most one per worker and review.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review_marks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub review_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_role: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_subject: String,
    pub created_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
