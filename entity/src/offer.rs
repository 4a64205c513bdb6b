//! A perk a place offers workers: a rider discount, free hot water, a borrowed umbrella.

use sea_orm::entity::prelude::*;

use crate::place::WorkerGroups;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub place_id: i32,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Who the offer is for; empty means every worker.
    pub groups: WorkerGroups,
    pub valid_from: ChronoDateTimeUtc,
    pub valid_until: ChronoDateTimeUtc,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// Offers are deleted softly so the place's history can still name them.
    #[sea_orm(nullable)]
    pub deleted_at: Option<ChronoDateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
