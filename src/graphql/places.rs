//! Places in GraphQL: the `Place` type, its connections, the discovery queries and the
//! listing mutations. Resolvers only translate; the rules live in `domain::places`.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    ContextExt,
    connection::{PageInfo, decode_id_cursor, decode_nearby_cursor, id_cursor, nearby_cursor},
    enums::{Amenity, CoordinateSystem, PlaceKind, Publication, TravelMode, WorkerGroup},
    node::{NodeType, decode, global_id},
};
use crate::{
    auth::policy,
    domain::{
        directory::{self, Listing, NearbyKey, PlaceFilter},
        geo::{Point, Within},
        page_size, places,
    },
    error::AppError,
};

/// A place of the network: a station, a partner merchant, a canteen, a pharmacy or a clinic.
pub struct Place {
    listing: Arc<Listing>,
}

impl Place {
    pub fn new(listing: Arc<Listing>) -> Self {
        Self { listing }
    }
}

/// A position on the earth.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct Location {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lng: f64,
}

#[Object]
impl Place {
    /// The place's opaque global id, stable across restarts.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Place, self.listing.place.id)
    }

    /// What kind of place this is.
    async fn kind(&self) -> PlaceKind {
        self.listing.place.kind.into()
    }

    /// The place's name, as shown to workers.
    async fn name(&self) -> &str {
        &self.listing.place.name
    }

    /// The street address.
    async fn address(&self) -> &str {
        &self.listing.place.address
    }

    /// A few lines about the place, written by its owner.
    async fn description(&self) -> Option<&str> {
        self.listing.place.description.as_deref()
    }

    /// Where the place is, in the coordinate system you ask for (WGS-84 by default; GCJ02
    /// for AMap and Tencent maps, BD09 for Baidu).
    async fn location(&self, #[graphql(default)] system: CoordinateSystem) -> Location {
        let point = self.listing.point().in_system(system.into());
        Location {
            lat: point.lat,
            lng: point.lng,
        }
    }

    /// Opening hours in OpenStreetMap `opening_hours` syntax, such as "Mo-Fr 08:00-20:00; Sa 10:00-14:00".
    async fn opening_hours(&self) -> &str {
        &self.listing.place.opening_hours
    }

    /// The IANA time zone the opening hours are read in (Asia/Shanghai unless stated).
    async fn time_zone(&self) -> &str {
        &self.listing.place.time_zone
    }

    /// Whether the place is open right now, in its own time zone; null when its hours do
    /// not say (an "unknown" rule or hours that could not be read).
    async fn open_now(&self) -> Option<bool> {
        self.listing.is_open_at(Utc::now())
    }

    /// When the place next opens or closes; null when it never changes (such as "24/7").
    async fn next_change(&self) -> Option<DateTime<Utc>> {
        self.listing
            .hours
            .as_ref()
            .and_then(|hours| hours.next_change(Utc::now()))
    }

    /// What the place offers a worker who stops by.
    async fn amenities(&self) -> Vec<Amenity> {
        self.listing
            .place
            .amenities
            .0
            .iter()
            .map(|&amenity| amenity.into())
            .collect()
    }

    /// The worker groups the place welcomes.
    async fn serves_groups(&self) -> Vec<WorkerGroup> {
        self.listing
            .place
            .serves_groups
            .0
            .iter()
            .map(|&group| group.into())
            .collect()
    }

    /// A phone number to call the place.
    async fn phone(&self) -> Option<&str> {
        self.listing.place.phone.as_deref()
    }

    /// Where the listing stands in review. Only PUBLISHED places reach the public.
    async fn publication(&self) -> Publication {
        self.listing.place.publication.into()
    }

    /// Bumped by every change. Send it back as `expectedVersion` when you edit the place.
    async fn version(&self) -> i32 {
        self.listing.place.version
    }

    /// When the listing was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.listing.place.created_at
    }

    /// When the listing last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.listing.place.updated_at
    }

    /// The account (token `sub`) that owns the listing. Only its owner and admins may read it.
    async fn owner_subject(&self, ctx: &Context<'_>) -> Result<&str> {
        policy::may_see_owner(ctx.viewer(), &self.listing.place).extend()?;
        Ok(&self.listing.place.owner_subject)
    }
}

/// Narrows a list of places. Every given condition must hold; an empty list does not filter.
#[derive(InputObject, Default)]
pub struct PlaceFilterInput {
    /// Only places of these kinds.
    #[graphql(default)]
    pub kinds: Vec<PlaceKind>,
    /// Only places that have all of these amenities.
    #[graphql(default)]
    pub amenities: Vec<Amenity>,
    /// Only places that serve at least one of these worker groups.
    #[graphql(default)]
    pub groups: Vec<WorkerGroup>,
    /// true: only places open right now; false: only places not open right now.
    pub open_now: Option<bool>,
}

impl From<PlaceFilterInput> for PlaceFilter {
    fn from(input: PlaceFilterInput) -> Self {
        Self {
            kinds: input.kinds.into_iter().map(Into::into).collect(),
            amenities: input.amenities.into_iter().map(Into::into).collect(),
            groups: input.groups.into_iter().map(Into::into).collect(),
            open_now: input.open_now,
        }
    }
}

/// A position given by a phone or a map.
#[derive(InputObject, Clone, Copy)]
pub struct LocationInput {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lng: f64,
    /// The system the position is in: WGS84 (GPS, the default), GCJ02 (AMap, Tencent) or BD09 (Baidu).
    #[graphql(default)]
    pub system: CoordinateSystem,
}

impl LocationInput {
    fn to_point(self) -> Result<Point, AppError> {
        Point::from_system(self.lat, self.lng, self.system.into())
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

/// A page of places.
#[derive(SimpleObject)]
pub struct PlaceConnection {
    /// The places of this page, with their cursors.
    pub edges: Vec<PlaceEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many places match in all, across every page.
    pub total_count: i32,
}

/// A place in a page, with the cursor to resume after it.
#[derive(SimpleObject)]
pub struct PlaceEdge {
    /// Pass as `after` to get the places that follow this one.
    pub cursor: String,
    /// The place.
    pub node: Place,
}

impl PlaceConnection {
    pub fn from_page(page: directory::Page<Arc<Listing>>) -> Self {
        let edges: Vec<PlaceEdge> = page
            .items
            .into_iter()
            .map(|listing| PlaceEdge {
                cursor: id_cursor(listing.place.id),
                node: Place::new(listing),
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Self {
            page_info: PageInfo::new(&cursors, page.has_next_page),
            total_count: count(page.total_count),
            edges,
        }
    }
}

/// A page of places around a point, nearest first.
#[derive(SimpleObject)]
pub struct NearbyPlaceConnection {
    /// The places of this page, nearest first.
    pub edges: Vec<NearbyPlaceEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
    /// How many places lie within reach in all, across every page.
    pub total_count: i32,
}

/// A place found around a point, with how far it is.
#[derive(SimpleObject)]
pub struct NearbyPlaceEdge {
    /// Pass as `after` to get the places that follow this one.
    pub cursor: String,
    /// The place.
    pub node: Place,
    /// Great-circle distance from the search point, in metres.
    pub distance_meters: f64,
    /// Estimated travel time in minutes: by the asked mode, or walking when the radius was
    /// given in metres (speeds and detour factor are in the README).
    pub travel_minutes: f64,
}

fn count(total: usize) -> i32 {
    i32::try_from(total).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct PlaceQuery;

#[Object]
impl PlaceQuery {
    /// A place by id; null when it does not exist or is not visible to you.
    async fn place(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Place>> {
        let id = decode(&id, NodeType::Place).extend()?;
        let listing = places::find(ctx.services(), ctx.viewer(), id).await.extend()?;
        Ok(listing.map(Place::new))
    }

    /// Published places in a stable order, filtered.
    #[graphql(complexity = "super::limits::connection_complexity(first, child_complexity)")]
    async fn places(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many places to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
        filter: Option<PlaceFilterInput>,
    ) -> Result<PlaceConnection> {
        let first = page_size(first).extend()?;
        let after = decode_id_cursor(after.as_deref()).extend()?;
        let filter = filter.map(PlaceFilter::from).unwrap_or_default();
        Ok(PlaceConnection::from_page(places::list(
            ctx.services(),
            &filter,
            after,
            first,
        )))
    }

    /// Published places within reach of a point, nearest first. Each edge carries the exact
    /// great-circle distance and an estimated travel time.
    #[graphql(complexity = "super::limits::connection_complexity(first, child_complexity)")]
    async fn nearby(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where the worker is.")] near: LocationInput,
        #[graphql(desc = "How far to look: { meters: 800 } or { minutes: 10, mode: EBIKE }.")]
        within: WithinInput,
        filter: Option<PlaceFilterInput>,
        #[graphql(desc = "How many places to return, 0 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the edge to resume after.")] after: Option<String>,
    ) -> Result<NearbyPlaceConnection> {
        let services = ctx.services();
        let near = near.to_point().extend()?;
        let within =
            Within::from_parts(within.meters, within.minutes, within.mode.map(Into::into)).extend()?;
        let first = page_size(first).extend()?;
        let after = decode_nearby_cursor(after.as_deref()).extend()?;
        let filter = filter.map(PlaceFilter::from).unwrap_or_default();
        let page = places::nearby(services, near, within, &filter, after, first);
        let speeds = &services.config.travel;
        let edges: Vec<NearbyPlaceEdge> = page
            .items
            .into_iter()
            .map(|found| NearbyPlaceEdge {
                cursor: nearby_cursor(NearbyKey {
                    distance_meters: found.distance_meters,
                    id: found.listing.place.id,
                }),
                travel_minutes: speeds.minutes_for(found.distance_meters, within.mode()),
                distance_meters: found.distance_meters,
                node: Place::new(found.listing),
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Ok(NearbyPlaceConnection {
            page_info: PageInfo::new(&cursors, page.has_next_page),
            total_count: count(page.total_count),
            edges,
        })
    }
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
    /// Digits with optional +, spaces, dashes or parentheses.
    pub phone: Option<String>,
    /// What the place offers workers.
    #[graphql(default)]
    pub amenities: Vec<Amenity>,
    /// The worker groups the place welcomes.
    #[graphql(default)]
    pub serves_groups: Vec<WorkerGroup>,
}

/// Changes to a listing: give only the fields to change. A null `description` or `phone`
/// clears it.
#[derive(InputObject)]
pub struct UpdatePlaceInput {
    /// The place to change.
    pub id: ID,
    /// The `version` you last read. If the place changed since, nothing is written and the
    /// error is CONFLICT: read it again and reapply your edit.
    pub expected_version: i32,
    pub kind: Option<PlaceKind>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub description: MaybeUndefined<String>,
    pub location: Option<LocationInput>,
    pub opening_hours: Option<String>,
    pub time_zone: Option<String>,
    pub phone: MaybeUndefined<String>,
    pub amenities: Option<Vec<Amenity>>,
    pub serves_groups: Option<Vec<WorkerGroup>>,
}

/// Gives a place to another account.
#[derive(InputObject)]
pub struct TransferPlaceInput {
    /// The place to transfer.
    pub id: ID,
    /// The `sub` of the account that will own it.
    pub new_owner_subject: String,
}

/// The result of `createPlace`.
#[derive(SimpleObject)]
pub struct CreatePlacePayload {
    /// The new draft.
    pub place: Place,
}

/// The result of `updatePlace`.
#[derive(SimpleObject)]
pub struct UpdatePlacePayload {
    /// The place as it is now, with its new version.
    pub place: Place,
}

/// The result of `transferPlace`.
#[derive(SimpleObject)]
pub struct TransferPlacePayload {
    /// The place under its new owner.
    pub place: Place,
}

fn optional(value: MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(text) => Some(Some(text)),
    }
}

#[derive(Default)]
pub struct PlaceMutation;

#[Object]
impl PlaceMutation {
    /// Creates a listing owned by you, as a DRAFT.
    async fn create_place(&self, ctx: &Context<'_>, input: CreatePlaceInput) -> Result<CreatePlacePayload> {
        let new = places::NewPlace {
            kind: input.kind.into(),
            name: input.name,
            address: input.address,
            description: input.description,
            location: input.location.to_point().extend()?,
            opening_hours: input.opening_hours,
            time_zone: input.time_zone,
            phone: input.phone,
            amenities: input.amenities.into_iter().map(Into::into).collect(),
            serves_groups: input.serves_groups.into_iter().map(Into::into).collect(),
        };
        let listing = places::create(ctx.services(), ctx.viewer(), new).await.extend()?;
        Ok(CreatePlacePayload {
            place: Place::new(listing),
        })
    }

    /// Changes a listing you own (admins: any listing), if nobody changed it since `expectedVersion`.
    async fn update_place(&self, ctx: &Context<'_>, input: UpdatePlaceInput) -> Result<UpdatePlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let changes = places::PlaceChanges {
            kind: input.kind.map(Into::into),
            name: input.name,
            address: input.address,
            description: optional(input.description),
            location: input.location.map(LocationInput::to_point).transpose().extend()?,
            opening_hours: input.opening_hours,
            time_zone: input.time_zone,
            phone: optional(input.phone),
            amenities: input
                .amenities
                .map(|list| list.into_iter().map(Into::into).collect()),
            serves_groups: input
                .serves_groups
                .map(|list| list.into_iter().map(Into::into).collect()),
        };
        let listing = places::update(ctx.services(), ctx.viewer(), id, input.expected_version, changes)
            .await
            .extend()?;
        Ok(UpdatePlacePayload {
            place: Place::new(listing),
        })
    }

    /// Moves a place to another owner. Admins only.
    async fn transfer_place(
        &self,
        ctx: &Context<'_>,
        input: TransferPlaceInput,
    ) -> Result<TransferPlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let listing = places::transfer(ctx.services(), ctx.viewer(), id, &input.new_owner_subject)
            .await
            .extend()?;
        Ok(TransferPlacePayload {
            place: Place::new(listing),
        })
    }
}
