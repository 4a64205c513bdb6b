//! The official work calendar: public holidays and make-up working days (调休).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub date: ChronoDate,
    pub kind: CalendarDayKind,
    /// The holiday's name, such as 春节.
    pub name: String,
    /// For a make-up working day: the weekday whose opening hours apply (1 = Monday).
    #[sea_orm(nullable)]
    pub as_weekday: Option<i32>,
}

impl ActiveModelBehavior for ActiveModel {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CalendarDayKind {
    /// A day off: every day of an official holiday period.
    #[sea_orm(string_value = "HOLIDAY")]
    Holiday,
    /// A weekend day declared a working day.
    #[sea_orm(string_value = "WORKDAY")]
    Workday,
}
