//! A worker's report that a place is not as listed ("suggest an edit").

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "place_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub place_id: i32,
    pub reporter_role: String,
    pub reporter_subject: String,
    /// What the owner sees instead of the account.
    pub pseudonym: String,
    pub reason: ReportReason,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// The date in the place's time zone when it was filed (YYYY-MM-DD): one report per
    /// worker, place, reason and day.
    pub local_day: String,
    /// By the database's clock.
    pub created_at: ChronoDateTimeUtc,
    pub state: ReportState,
    #[sea_orm(nullable)]
    pub resolved_at: Option<ChronoDateTimeUtc>,
    #[sea_orm(nullable)]
    pub resolved_by_role: Option<String>,
    #[sea_orm(nullable)]
    pub resolved_by_subject: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub resolution_note: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

/// What is wrong with the listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ReportReason {
    #[sea_orm(string_value = "CLOSED_PERMANENTLY")]
    ClosedPermanently,
    #[sea_orm(string_value = "TEMPORARILY_CLOSED")]
    TemporarilyClosed,
    #[sea_orm(string_value = "WRONG_HOURS")]
    WrongHours,
    #[sea_orm(string_value = "WRONG_LOCATION")]
    WrongLocation,
    #[sea_orm(string_value = "MISSING_AMENITY")]
    MissingAmenity,
    #[sea_orm(string_value = "OFFER_NOT_HONOURED")]
    OfferNotHonoured,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

impl ReportReason {
    /// The reasons that say the place is closed: enough of them flag it.
    pub const CLOSED: [Self; 2] = [Self::ClosedPermanently, Self::TemporarilyClosed];

    pub fn says_closed(self) -> bool {
        Self::CLOSED.contains(&self)
    }
}

/// Whether someone responsible has answered the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReportState {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
}
