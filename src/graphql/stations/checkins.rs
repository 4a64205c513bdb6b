//! Check-ins in GraphQL: `checkIn`, `rotateCheckInCode` and `Place.checkInCode`.

use async_graphql::{Context, ID, InputObject, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};
use entity::visit;

use crate::{
    domain::{
        directory::Listing,
        places,
        stations::checkins::{self, Proof},
    },
    error::AppError,
    graphql::{
        context::ContextExt,
        enums::WorkerGroup,
        ids::{NodeType, decode, global_id},
        places::{LocationInput, Place},
    },
};

/// A worker's visit to a place. It records the account, the worker group and the time,
/// never a location.
pub struct Visit {
    row: visit::Model,
}

impl Visit {
    /// The API's view of a visit.
    pub fn new(row: visit::Model) -> Self {
        Self { row }
    }
}

#[Object]
impl Visit {
    /// The visit's opaque global id.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Visit, self.row.id)
    }

    /// The place visited; null when it is no longer visible to you.
    async fn place(&self, ctx: &Context<'_>) -> Result<Option<Place>> {
        Ok(places::find(ctx.domain(), ctx.viewer(), self.row.place_id)
            .await
            .extend()?
            .map(Place::new))
    }

    /// When the visit was recorded.
    async fn visited_at(&self) -> DateTime<Utc> {
        self.row.visited_at
    }

    /// The worker group the token named at the time, if any.
    async fn group(&self) -> Option<WorkerGroup> {
        let group = self.row.worker_group.as_deref()?;
        serde_json::from_value::<entity::place::WorkerGroup>(serde_json::Value::String(group.to_owned()))
            .ok()
            .map(Into::into)
    }
}

/// The code the place's printed QR code holds. Its owner and admins only.
pub async fn check_in_code_of(ctx: &Context<'_>, place: &Listing) -> Result<String> {
    checkins::code_of(ctx.domain(), ctx.viewer(), place)
        .await
        .extend()
}

/// How a worker checks in: with `code` (what the station's QR code holds), or with
/// `placeId` and `near` (within 200 m of the place).
#[derive(InputObject)]
pub struct CheckInInput {
    /// What the station's printed QR code holds.
    pub code: Option<String>,
    /// The place, when checking in by position.
    pub place_id: Option<ID>,
    /// Where the phone is, when checking in by position.
    pub near: Option<LocationInput>,
}

/// The result of `checkIn`.
#[derive(SimpleObject)]
pub struct CheckInPayload {
    /// The visit: the one just recorded, or the one recorded within the last 30 minutes.
    pub visit: Visit,
    /// True when this check-in repeated one within 30 minutes and recorded nothing new.
    pub repeat: bool,
}

/// Names the place whose check-in code to replace.
#[derive(InputObject)]
pub struct RotateCheckInCodeInput {
    /// The place.
    pub place_id: ID,
}

/// The result of `rotateCheckInCode`.
#[derive(SimpleObject)]
pub struct RotateCheckInCodePayload {
    /// The place.
    pub place: Place,
    /// The new code to print; every earlier code stops working.
    pub check_in_code: String,
}

#[derive(Default)]
/// Check-in mutations: check in, rotate the code.
pub struct CheckInMutation;

#[Object]
impl CheckInMutation {
    /// Records your visit to a published place: by its printed code, or within 200 m of it.
    /// One visit per worker and place per 30 minutes; a repeat answers the visit already
    /// recorded (`repeat: true`). Workers only.
    async fn check_in(&self, ctx: &Context<'_>, input: CheckInInput) -> Result<CheckInPayload> {
        let proof = match (input.code, input.place_id, input.near) {
            (Some(code), None, None) => Proof::Code(code),
            (None, Some(place_id), Some(near)) => Proof::Near {
                place_id: decode(&place_id, NodeType::Place).extend()?,
                at: near.to_point().extend()?,
            },
            _ => {
                return Err(AppError::bad_input(
                    "give either `code` (the station's QR code) or both `placeId` and `near`",
                ))
                .extend();
            }
        };
        let done = checkins::check_in(ctx.domain(), ctx.viewer(), proof)
            .await
            .extend()?;
        Ok(CheckInPayload {
            visit: Visit::new(done.visit),
            repeat: !done.recorded,
        })
    }

    /// Replaces a place's check-in code: every printed copy stops working at once. The
    /// place's owner or an admin.
    async fn rotate_check_in_code(
        &self,
        ctx: &Context<'_>,
        input: RotateCheckInCodeInput,
    ) -> Result<RotateCheckInCodePayload> {
        let place_id = decode(&input.place_id, NodeType::Place).extend()?;
        let (_, code) = checkins::rotate(ctx.domain(), ctx.viewer(), place_id)
            .await
            .extend()?;
        let listing = places::find(ctx.domain(), ctx.viewer(), place_id)
            .await
            .extend()?
            .ok_or_else(|| AppError::NotFound(format!("no place with this id (id {place_id})")))
            .extend()?;
        Ok(RotateCheckInCodePayload {
            place: Place::new(listing),
            check_in_code: code,
        })
    }
}
