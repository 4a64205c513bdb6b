//! One loan of an item: to a worker's account, or to a walk-in borrower named in the
//! register. A walk-in's name and phone are erased some days after the return.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "loans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub item_id: i32,
    pub place_id: i32,
    /// The borrowing account, when a worker borrowed for themselves.
    #[sea_orm(nullable)]
    pub borrower_role: Option<String>,
    #[sea_orm(nullable)]
    pub borrower_subject: Option<String>,
    /// A walk-in borrower's name and phone, until they are erased.
    #[sea_orm(nullable)]
    pub borrower_name: Option<String>,
    #[sea_orm(nullable)]
    pub borrower_phone: Option<String>,
    /// Who wrote the loan down: the worker themselves, or the station's operator.
    pub registered_by_role: String,
    pub registered_by_subject: String,
    pub borrowed_at: ChronoDateTimeUtc,
    pub due_at: ChronoDateTimeUtc,
    /// The borrowing day and the Monday of its week in the place's zone (YYYY-MM-DD).
    pub local_day: String,
    pub local_week: String,
    #[sea_orm(nullable)]
    pub returned_at: Option<ChronoDateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub return_note: Option<String>,
    /// When the walk-in's name and phone were erased.
    #[sea_orm(nullable)]
    pub erased_at: Option<ChronoDateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
