//! One entry of the change log: a place (or, with no place, the work calendar) changed at
//! this position, touching this area. Positions grow in commit order.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    /// Where the entry stands in the log; a reader that has seen position p never later
    /// finds a committed entry below p.
    #[sea_orm(primary_key)]
    pub position: i64,
    /// The place that changed; `None` for the work calendar.
    #[sea_orm(nullable)]
    pub place_id: Option<i32>,
    /// The box around where the place was before and after the change (and, after
    /// compaction, before every change merged into this entry): where it may have left.
    #[sea_orm(nullable)]
    pub min_lat: Option<f64>,
    #[sea_orm(nullable)]
    pub min_lng: Option<f64>,
    #[sea_orm(nullable)]
    pub max_lat: Option<f64>,
    #[sea_orm(nullable)]
    pub max_lng: Option<f64>,
}

impl ActiveModelBehavior for ActiveModel {}
