//! Something a station lends: umbrellas, reading glasses, a first-aid kit, repair tools.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub place_id: i32,
    pub name: String,
    pub category: ItemCategory,
    /// How many pieces the station has.
    pub quantity: i32,
    /// How many pieces are out on open loans; never above `quantity`.
    pub on_loan: i32,
    /// How long a loan lasts before it is overdue.
    pub loan_hours: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// Set when the station stops lending it; open loans can still be returned.
    #[sea_orm(nullable)]
    pub retired_at: Option<ChronoDateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}

/// What kind of thing an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ItemCategory {
    #[sea_orm(string_value = "UMBRELLA")]
    Umbrella,
    #[sea_orm(string_value = "READING_GLASSES")]
    ReadingGlasses,
    #[sea_orm(string_value = "FIRST_AID_KIT")]
    FirstAidKit,
    #[sea_orm(string_value = "REPAIR_TOOLS")]
    RepairTools,
    #[sea_orm(string_value = "PHONE_CHARGER")]
    PhoneCharger,
    #[sea_orm(string_value = "POWER_BANK")]
    PowerBank,
    #[sea_orm(string_value = "RAINCOAT")]
    Raincoat,
    #[sea_orm(string_value = "BOOKS")]
    Books,
    #[sea_orm(string_value = "OTHER")]
    Other,
}
