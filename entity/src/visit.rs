//! A worker's check-in at a place: the account, its group and the time, never a location.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub place_id: i32,
    pub worker_role: String,
    pub worker_subject: String,
    /// The worker group the token named (`DELIVERY_RIDER`…), when it named one.
    #[sea_orm(nullable)]
    pub worker_group: Option<String>,
    pub visited_at: ChronoDateTimeUtc,
    /// The visit's day and the Monday of its week in the place's zone (YYYY-MM-DD).
    pub local_day: String,
    pub local_week: String,
    /// `CODE` (the printed code) or `NEAR` (the phone's position).
    pub method: String,
}

impl ActiveModelBehavior for ActiveModel {}
