//! The enums of the public API, mirrored from the domain so that renaming a Rust variant
//! or a column cannot silently change the schema.

use async_graphql::Enum;

/// What kind of place this is, in the network's own terms.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::place::PlaceKind")]
pub enum PlaceKind {
    /// 社区党群服务中心: a community's party and public service centre.
    PartyServiceCenter,
    /// 网格驿站: a neighbourhood grid station.
    GridStation,
    /// 工会驿站: a trade-union station.
    UnionStation,
    /// 骑手驿站: a station for delivery riders.
    RiderStation,
    /// 城市驿站 (巡管服务驿站): a city-run station.
    CityStation,
    /// 环卫工人休息室: a rest room for sanitation workers.
    SanitationRestRoom,
    /// 司机驿站: a station for truck drivers, often at an enterprise.
    DriverStation,
    /// 友好商家: a partner merchant with perks for workers.
    FriendlyMerchant,
    /// 骑手食堂: a canteen with rider prices.
    RiderCanteen,
    /// 骑手药堂: a pharmacy for riders.
    RiderPharmacy,
    /// 骑手医院: a clinic for riders.
    RiderClinic,
    /// 志愿者之家: a home for volunteers.
    VolunteerHome,
}

/// Where a listing stands in review. Only PUBLISHED places reach the public.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::place::Publication")]
pub enum Publication {
    /// Being written; only its owner and admins see it.
    Draft,
    /// Waiting for an admin's review.
    PendingReview,
    /// Listed for everyone.
    Published,
    /// Returned to its owner with a reason.
    Rejected,
    /// Taken down by an admin.
    Suspended,
}

/// What a place offers a worker who stops by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::place::Amenity")]
pub enum Amenity {
    /// Drinking water (饮水机).
    DrinkingWater,
    /// Hot water for tea and instant noodles.
    HotWater,
    /// A microwave to heat a meal.
    Microwave,
    /// Air conditioning.
    AirConditioning,
    /// Heating in winter.
    Heating,
    /// Free Wi-Fi.
    Wifi,
    /// Phone charging.
    PhoneCharging,
    /// E-bike charging.
    EbikeCharging,
    /// E-bike battery swap.
    BatterySwap,
    /// A toilet open to workers.
    Toilet,
    /// Seats or a sofa to rest on.
    Seating,
    /// A massage chair.
    MassageChair,
    /// A first-aid kit (应急药箱).
    FirstAidKit,
    /// Reading glasses to borrow (老花镜).
    ReadingGlasses,
    /// Umbrellas to borrow.
    Umbrellas,
    /// Repair tools to borrow.
    RepairTools,
    /// Newspapers and books.
    NewspapersAndBooks,
    /// Parking for trucks.
    TruckParking,
    /// Lockers.
    Lockers,
}

/// A group of new-form or outdoor workers.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::place::WorkerGroup")]
pub enum WorkerGroup {
    /// Food and grocery delivery riders (外卖员).
    DeliveryRider,
    /// Parcel couriers (快递员).
    Courier,
    /// Truck drivers (货车司机).
    TruckDriver,
    /// Ride-hailing drivers (网约车司机).
    RideHailingDriver,
    /// Sanitation workers (环卫工人).
    SanitationWorker,
    /// Landscaping workers (园林工人).
    LandscapingWorker,
    /// Other outdoor workers.
    OtherOutdoorWorker,
}

/// The coordinate system of a position.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[graphql(remote = "crate::domain::geo::CoordinateSystem")]
pub enum CoordinateSystem {
    /// WGS-84, as GPS reports it. The default.
    #[default]
    #[graphql(name = "WGS84")]
    Wgs84,
    /// GCJ-02, the system of Chinese map SDKs (AMap, Tencent Maps).
    #[graphql(name = "GCJ02")]
    Gcj02,
    /// BD-09, Baidu Maps' system.
    #[graphql(name = "BD09")]
    Bd09,
}

/// How a worker travels, for `within: { minutes, mode }` and `travelMinutes`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::geo::TravelMode")]
pub enum TravelMode {
    /// On foot (4.5 km/h by default).
    Walk,
    /// By e-bike (15 km/h by default).
    Ebike,
    /// By car (30 km/h in town by default).
    Car,
}

/// The kind of account a token describes.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::auth::Role")]
pub enum Role {
    /// A delivery rider, courier, driver or outdoor worker.
    Worker,
    /// A partner merchant keeping its listings.
    Merchant,
    /// A station operator (community, trade union, enterprise, city).
    Operator,
    /// The network administrator.
    Admin,
}

/// A place's live status.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::place::StatusState")]
pub enum StatusState {
    /// Open, with room.
    Open,
    /// Open, but busy.
    Busy,
    /// No room right now.
    Full,
    /// Closed for now, whatever the opening hours say.
    TemporarilyClosed,
}

/// What a history entry records.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::history::Action")]
pub enum HistoryAction {
    /// The place was created.
    Created,
    /// Listing fields changed.
    Updated,
    /// The place moved to another owner.
    Transferred,
    /// The owner asked for review.
    Submitted,
    /// An admin published the place.
    Approved,
    /// An admin returned the place with a reason.
    Rejected,
    /// An admin took the place down with a reason.
    Suspended,
    /// The live status was set.
    StatusSet,
    /// An offer was added.
    OfferCreated,
    /// An offer changed.
    OfferUpdated,
    /// An offer was deleted.
    OfferDeleted,
    /// The owner took the place back from review to edit it.
    Withdrawn,
    /// The owner appealed a suspension; the reason holds their note.
    Appealed,
    /// The owner deleted the place before it was ever published.
    Deleted,
    /// A photo was added (`photo.id` names it). Photos never send a place back to review.
    PhotoAdded,
    /// A photo was removed (`photo.id` names it).
    PhotoRemoved,
    /// The photos were put in a new order (`photo.order`, ids in display order).
    PhotosReordered,
}

/// A day of the work calendar.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::calendar_day::CalendarDayKind")]
pub enum CalendarDayKind {
    /// A day of an official holiday period (matched by `PH` in opening hours).
    Holiday,
    /// A weekend day declared a working day (调休).
    Workday,
}
