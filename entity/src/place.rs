//! A place of the network: a station, a partner merchant, a canteen, a clinic.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "places")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: PlaceKind,
    pub name: String,
    pub address: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    /// WGS-84 latitude in degrees.
    pub latitude: f64,
    /// WGS-84 longitude in degrees.
    pub longitude: f64,
    /// OpenStreetMap `opening_hours` syntax.
    pub opening_hours: String,
    /// IANA time zone the opening hours are evaluated in.
    pub time_zone: String,
    #[sea_orm(nullable)]
    pub phone: Option<String>,
    pub amenities: Amenities,
    pub serves_groups: WorkerGroups,
    /// The `sub` claim of the account that owns the listing.
    pub owner_subject: String,
    /// The role of that account (`merchant`, `operator` or `admin`): with the subject, the
    /// account that owns the listing.
    pub owner_role: String,
    pub publication: Publication,
    /// Why an admin rejected or suspended the place; cleared when it is published.
    #[sea_orm(column_type = "Text", nullable)]
    pub review_note: Option<String>,
    /// When the place last entered review: the review queue is oldest first.
    #[sea_orm(nullable)]
    pub submitted_at: Option<ChronoDateTimeUtc>,
    /// Government service centres and union stations open on make-up working days (调休).
    pub follows_work_calendar: bool,
    #[sea_orm(nullable)]
    pub status_state: Option<StatusState>,
    #[sea_orm(nullable)]
    pub status_seats_free: Option<i32>,
    #[sea_orm(nullable)]
    pub status_note: Option<String>,
    #[sea_orm(nullable)]
    pub status_updated_at: Option<ChronoDateTimeUtc>,
    /// After this the live status reads as unknown, so a forgotten FULL never misleads.
    #[sea_orm(nullable)]
    pub status_expires_at: Option<ChronoDateTimeUtc>,
    /// Bumped on every change; writers send it back as `expectedVersion`.
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// Where the place was when an admin last approved it: moves are measured from here.
    #[sea_orm(nullable)]
    pub approved_latitude: Option<f64>,
    #[sea_orm(nullable)]
    pub approved_longitude: Option<f64>,
    /// When its owner deleted the listing (only ever-unpublished ones can be); the row
    /// stays for its history, and every list leaves it out.
    #[sea_orm(nullable)]
    pub deleted_at: Option<ChronoDateTimeUtc>,
    /// The change-log position of the place's latest change: which of two reads of the
    /// place is newer, decided by the database's commit order, never by a clock.
    pub log_position: i64,
}

impl ActiveModelBehavior for ActiveModel {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum PlaceKind {
    #[sea_orm(string_value = "PARTY_SERVICE_CENTER")]
    PartyServiceCenter,
    #[sea_orm(string_value = "GRID_STATION")]
    GridStation,
    #[sea_orm(string_value = "UNION_STATION")]
    UnionStation,
    #[sea_orm(string_value = "RIDER_STATION")]
    RiderStation,
    #[sea_orm(string_value = "CITY_STATION")]
    CityStation,
    #[sea_orm(string_value = "SANITATION_REST_ROOM")]
    SanitationRestRoom,
    #[sea_orm(string_value = "DRIVER_STATION")]
    DriverStation,
    #[sea_orm(string_value = "FRIENDLY_MERCHANT")]
    FriendlyMerchant,
    #[sea_orm(string_value = "RIDER_CANTEEN")]
    RiderCanteen,
    #[sea_orm(string_value = "RIDER_PHARMACY")]
    RiderPharmacy,
    #[sea_orm(string_value = "RIDER_CLINIC")]
    RiderClinic,
    #[sea_orm(string_value = "VOLUNTEER_HOME")]
    VolunteerHome,
}

impl PlaceKind {
    /// Merchant kinds are run by partner businesses; every other kind is a station
    /// run by an operator (community, trade union, enterprise or city).
    pub fn is_merchant_kind(self) -> bool {
        matches!(
            self,
            Self::FriendlyMerchant | Self::RiderCanteen | Self::RiderPharmacy | Self::RiderClinic
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Publication {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PENDING_REVIEW")]
    PendingReview,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "SUSPENDED")]
    Suspended,
}

/// A place's live status, as its owner last set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum StatusState {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "BUSY")]
    Busy,
    #[sea_orm(string_value = "FULL")]
    Full,
    #[sea_orm(string_value = "TEMPORARILY_CLOSED")]
    TemporarilyClosed,
}

/// What a place offers a worker who stops by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Amenity {
    DrinkingWater,
    HotWater,
    Microwave,
    AirConditioning,
    Heating,
    Wifi,
    PhoneCharging,
    EbikeCharging,
    BatterySwap,
    Toilet,
    Seating,
    MassageChair,
    FirstAidKit,
    ReadingGlasses,
    Umbrellas,
    RepairTools,
    NewspapersAndBooks,
    TruckParking,
    Lockers,
}

/// The groups of new-form and outdoor workers the network serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkerGroup {
    DeliveryRider,
    Courier,
    TruckDriver,
    RideHailingDriver,
    SanitationWorker,
    LandscapingWorker,
    OtherOutdoorWorker,
}

/// Stored as a JSON array of amenity names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct Amenities(pub Vec<Amenity>);

/// Stored as a JSON array of worker group names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct WorkerGroups(pub Vec<WorkerGroup>);
