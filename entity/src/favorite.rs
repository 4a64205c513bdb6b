//! A place a worker keeps at hand. Private to that worker.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "favorites")]
pub struct Model {
    /// Grows with every favourite added: the list reads newest first by it.
    #[sea_orm(primary_key)]
    pub id: i32,
    pub place_id: i32,
    pub account_role: String,
    pub account_subject: String,
    pub created_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
