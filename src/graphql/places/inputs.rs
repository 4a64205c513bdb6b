//! What callers send about places.

use async_graphql::{ID, InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};

use crate::{
    auth::Viewer,
    domain::{directory::PlaceFilter, geo::Point, hours::check_instant},
    error::AppError,
    graphql::enums::{Amenity, CoordinateSystem, PlaceKind, Role, StatusState, TravelMode, WorkerGroup},
};

/// Narrows a list of places. Every given condition must hold; a condition that is omitted,
/// null or an empty list does not filter.
#[derive(InputObject, Default)]
pub struct PlaceFilterInput {
    /// Only places of these kinds.
    pub kinds: Option<Vec<PlaceKind>>,
    /// Only places that have all of these amenities.
    pub amenities: Option<Vec<Amenity>>,
    /// Only places that serve at least one of these worker groups.
    pub groups: Option<Vec<WorkerGroup>>,
    /// true: only places open right now; false: only places not open right now.
    pub open_now: Option<bool>,
    /// Only places open at this moment (for planning ahead).
    pub open_at: Option<DateTime<Utc>>,
    /// true: only places with a current offer for your worker group (from your token), or
    /// for every worker when your token names no group.
    pub offers_for_me: Option<bool>,
    /// true: only places whose live status is not FULL or TEMPORARILY_CLOSED (places
    /// without a current status count as available).
    pub available: Option<bool>,
    /// Only places whose riders' average rating is at least this, 1 to 5; places nobody
    /// has rated yet do not pass. Results keep their usual order.
    pub min_rating: Option<f64>,
}

impl PlaceFilterInput {
    pub fn into_filter(self, viewer: &Viewer) -> Result<PlaceFilter, AppError> {
        let group = viewer.identity().and_then(|identity| identity.group);
        if let Some(min) = self.min_rating
            && !(1.0..=5.0).contains(&min)
        {
            return Err(AppError::bad_input(format!(
                "filter.minRating must be 1 to 5, such as 4 or 4.5; got {min}"
            )));
        }
        let open_at = self
            .open_at
            .map(|at| check_instant("filter.openAt", at))
            .transpose()?;
        Ok(PlaceFilter {
            kinds: self.kinds.into_iter().flatten().map(Into::into).collect(),
            amenities: self.amenities.into_iter().flatten().map(Into::into).collect(),
            groups: self.groups.into_iter().flatten().map(Into::into).collect(),
            open_now: self.open_now,
            open_at,
            offers_for: self.offers_for_me.filter(|wanted| *wanted).map(|_| group),
            available: self.available,
            min_rating: self.min_rating,
        })
    }
}

pub fn filter_of(input: Option<PlaceFilterInput>, viewer: &Viewer) -> Result<PlaceFilter, AppError> {
    input.map_or_else(|| Ok(PlaceFilter::default()), |input| input.into_filter(viewer))
}

/// A position given by a phone or a map.
#[derive(InputObject, Clone, Copy)]
pub struct LocationInput {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lng: f64,
    /// The system the position is in: WGS84 (GPS; also when omitted or null), GCJ02 (AMap,
    /// Tencent) or BD09 (Baidu).
    pub system: Option<CoordinateSystem>,
}

impl LocationInput {
    /// The point, converted to WGS84; `BAD_USER_INPUT` when out of range.
    pub fn to_point(self) -> Result<Point, AppError> {
        Point::from_system(self.lat, self.lng, self.system.unwrap_or_default().into())
    }
}

/// How far to look: give either `meters`, or `minutes` with a travel `mode`.
#[derive(InputObject, Clone, Copy)]
pub struct WithinInput {
    /// A straight-line radius in metres, at most 50,000.
    pub meters: Option<f64>,
    /// A travel time in minutes, at most 120; needs `mode`.
    pub minutes: Option<f64>,
    /// How the worker travels: WALK, EBIKE or CAR.
    pub mode: Option<TravelMode>,
}

/// A new listing. It starts as a DRAFT that only you and admins see.
#[derive(InputObject)]
pub struct CreatePlaceInput {
    /// Merchants create FRIENDLY_MERCHANT, RIDER_CANTEEN, RIDER_PHARMACY or RIDER_CLINIC;
    /// operators the station kinds; admins any kind.
    pub kind: PlaceKind,
    /// 2 to 100 characters.
    pub name: String,
    /// 4 to 200 characters.
    pub address: String,
    /// Up to 2,000 characters.
    pub description: Option<String>,
    /// Where the place is, in any supported coordinate system.
    pub location: LocationInput,
    /// OpenStreetMap `opening_hours` syntax, such as "Mo-Fr 08:00-20:00; Sa 10:00-14:00" or "24/7".
    pub opening_hours: String,
    /// IANA time zone of the hours; Asia/Shanghai when omitted.
    pub time_zone: Option<String>,
    /// Open on make-up working days (调休) with working-day hours; for government service
    /// centres and union stations. False when omitted or null.
    pub follows_work_calendar: Option<bool>,
    /// Digits with optional +, spaces, dashes or parentheses.
    pub phone: Option<String>,
    /// What the place offers workers; none when omitted or null.
    pub amenities: Option<Vec<Amenity>>,
    /// The worker groups the place welcomes; none when omitted or null.
    pub serves_groups: Option<Vec<WorkerGroup>>,
}

/// Changes to a listing: give only the fields to change. A null `description` or `phone`
/// clears it. Moving a published place further than the review distance (300 m by
/// default), or changing its kind, sends it back to review.
#[derive(InputObject)]
pub struct UpdatePlaceInput {
    /// The place to change.
    pub id: ID,
    /// The `version` you last read. If the place changed since, nothing is written and the
    /// error is CONFLICT: read it again and reapply your edit.
    pub expected_version: i32,
    /// A new kind, within those your role may hold; a published place goes back to review.
    pub kind: Option<PlaceKind>,
    /// 2 to 100 characters.
    pub name: Option<String>,
    /// 4 to 200 characters.
    pub address: Option<String>,
    /// Up to 2,000 characters; null clears it.
    pub description: MaybeUndefined<String>,
    /// A new position, in any supported coordinate system.
    pub location: Option<LocationInput>,
    /// OpenStreetMap `opening_hours` syntax.
    pub opening_hours: Option<String>,
    /// IANA time zone of the hours.
    pub time_zone: Option<String>,
    /// Open on make-up working days (调休) with working-day hours.
    pub follows_work_calendar: Option<bool>,
    /// Digits with optional +, spaces, dashes or parentheses; null clears it.
    pub phone: MaybeUndefined<String>,
    /// The whole new list of amenities.
    pub amenities: Option<Vec<Amenity>>,
    /// The whole new list of worker groups.
    pub serves_groups: Option<Vec<WorkerGroup>>,
}

/// Names a place.
#[derive(InputObject)]
pub struct PlaceIdInput {
    /// The place.
    pub id: ID,
}

/// Names a place and says why.
#[derive(InputObject)]
pub struct PlaceReasonInput {
    /// The place.
    pub id: ID,
    /// Why, in 2 to 500 characters; the owner reads it as `reviewNote`.
    pub reason: String,
}

/// Asks for a suspended place to be reviewed again.
#[derive(InputObject)]
pub struct AppealPlaceInput {
    /// The place.
    pub id: ID,
    /// What was put right, in 2 to 500 characters; reviewers read it in the history.
    pub note: String,
}

/// Gives a place to another account.
#[derive(InputObject)]
pub struct TransferPlaceInput {
    /// The place to transfer.
    pub id: ID,
    /// The `sub` of the account that will own it.
    pub new_owner_subject: String,
    /// The role that account signs in with: MERCHANT or OPERATOR (or ADMIN). When omitted,
    /// MERCHANT for the merchant kinds and OPERATOR for stations.
    pub new_owner_role: Option<Role>,
}

/// A live status for a place.
#[derive(InputObject)]
pub struct SetPlaceStatusInput {
    /// The place.
    pub id: ID,
    /// OPEN, BUSY, FULL or TEMPORARILY_CLOSED.
    pub state: StatusState,
    /// Free seats, 0 to 10,000.
    pub seats_free: Option<i32>,
    /// A short note, up to 200 characters.
    pub note: Option<String>,
    /// Minutes until the status expires: 120 by default, at most 480 (configurable).
    pub expires_in_minutes: Option<i32>,
}

pub fn optional(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(text) => Some(Some(text)),
    }
}
