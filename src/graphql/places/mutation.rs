//! The listing mutations: each takes one `input` and returns `{ place }`.

use async_graphql::{Context, ID, Object, Result, ResultExt, SimpleObject};

use super::{
    inputs::{
        AppealPlaceInput, CreatePlaceInput, LocationInput, PlaceIdInput, PlaceReasonInput,
        SetPlaceStatusInput, TransferPlaceInput, UpdatePlaceInput, optional,
    },
    place::Place,
};
use crate::{
    domain::places,
    graphql::{
        context::ContextExt,
        ids::{NodeType, decode, global_id},
    },
};

macro_rules! payload {
    ($($name:ident => $mutation:literal),* $(,)?) => {
        $(
            #[doc = concat!("The result of `", $mutation, "`.")]
            #[derive(SimpleObject)]
            pub struct $name {
                /// The place as it is now.
                pub place: Place,
            }
        )*
    };
}

payload!(
    CreatePlacePayload => "createPlace",
    UpdatePlacePayload => "updatePlace",
    TransferPlacePayload => "transferPlace",
    SubmitPlacePayload => "submitPlace",
    ApprovePlacePayload => "approvePlace",
    RejectPlacePayload => "rejectPlace",
    SuspendPlacePayload => "suspendPlace",
    SetPlaceStatusPayload => "setPlaceStatus",
    WithdrawPlacePayload => "withdrawPlace",
    AppealPlacePayload => "appealPlace",
);

/// The result of `deletePlace`.
#[derive(SimpleObject)]
pub struct DeletePlacePayload {
    /// The id of the place deleted.
    pub deleted_id: ID,
}

#[derive(Default)]
/// Place mutations: create, edit, the review lifecycle, transfer and live status.
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
            follows_work_calendar: input.follows_work_calendar.unwrap_or(false),
            phone: input.phone,
            amenities: input.amenities.into_iter().flatten().map(Into::into).collect(),
            serves_groups: input
                .serves_groups
                .into_iter()
                .flatten()
                .map(Into::into)
                .collect(),
        };
        let listing = places::create(ctx.domain(), ctx.viewer(), new).await.extend()?;
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
            follows_work_calendar: input.follows_work_calendar,
            phone: optional(input.phone),
            amenities: input
                .amenities
                .map(|list| list.into_iter().map(Into::into).collect()),
            serves_groups: input
                .serves_groups
                .map(|list| list.into_iter().map(Into::into).collect()),
        };
        let listing = places::update(ctx.domain(), ctx.viewer(), id, input.expected_version, changes)
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
        let role = input.new_owner_role.map(Into::into);
        let listing = places::transfer(ctx.domain(), ctx.viewer(), id, &input.new_owner_subject, role)
            .await
            .extend()?;
        Ok(TransferPlacePayload {
            place: Place::new(listing),
        })
    }

    /// Asks for review of a DRAFT or REJECTED place you own.
    async fn submit_place(&self, ctx: &Context<'_>, input: PlaceIdInput) -> Result<SubmitPlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let listing = places::submit(ctx.domain(), ctx.viewer(), id).await.extend()?;
        Ok(SubmitPlacePayload {
            place: Place::new(listing),
        })
    }

    /// Takes a place you own back from review to edit it: `PENDING_REVIEW` → DRAFT. Submit it
    /// again when ready.
    async fn withdraw_place(&self, ctx: &Context<'_>, input: PlaceIdInput) -> Result<WithdrawPlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let listing = places::withdraw(ctx.domain(), ctx.viewer(), id).await.extend()?;
        Ok(WithdrawPlacePayload {
            place: Place::new(listing),
        })
    }

    /// Asks for a suspended place you own to be reviewed again, saying what was put right:
    /// SUSPENDED → `PENDING_REVIEW`.
    async fn appeal_place(&self, ctx: &Context<'_>, input: AppealPlaceInput) -> Result<AppealPlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let listing = places::appeal(ctx.domain(), ctx.viewer(), id, &input.note)
            .await
            .extend()?;
        Ok(AppealPlacePayload {
            place: Place::new(listing),
        })
    }

    /// Deletes a DRAFT or REJECTED place you own that was never published: it leaves every
    /// list, and its history keeps the record. A place riders have seen cannot be deleted.
    async fn delete_place(&self, ctx: &Context<'_>, input: PlaceIdInput) -> Result<DeletePlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let deleted = places::delete(ctx.domain(), ctx.viewer(), id).await.extend()?;
        Ok(DeletePlacePayload {
            deleted_id: global_id(NodeType::Place, deleted),
        })
    }

    /// Publishes a place waiting for review, or reinstates a suspended one. Admins only.
    async fn approve_place(&self, ctx: &Context<'_>, input: PlaceIdInput) -> Result<ApprovePlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let listing = places::approve(ctx.domain(), ctx.viewer(), id).await.extend()?;
        Ok(ApprovePlacePayload {
            place: Place::new(listing),
        })
    }

    /// Returns a place waiting for review to its owner with a reason. Admins only.
    async fn reject_place(&self, ctx: &Context<'_>, input: PlaceReasonInput) -> Result<RejectPlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let listing = places::reject(ctx.domain(), ctx.viewer(), id, &input.reason)
            .await
            .extend()?;
        Ok(RejectPlacePayload {
            place: Place::new(listing),
        })
    }

    /// Takes a published place down with a reason. Admins only.
    async fn suspend_place(&self, ctx: &Context<'_>, input: PlaceReasonInput) -> Result<SuspendPlacePayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let listing = places::suspend(ctx.domain(), ctx.viewer(), id, &input.reason)
            .await
            .extend()?;
        Ok(SuspendPlacePayload {
            place: Place::new(listing),
        })
    }

    /// Sets a place's live status until it expires. Its owner and admins only.
    async fn set_place_status(
        &self,
        ctx: &Context<'_>,
        input: SetPlaceStatusInput,
    ) -> Result<SetPlaceStatusPayload> {
        let id = decode(&input.id, NodeType::Place).extend()?;
        let status = places::NewStatus {
            state: input.state.into(),
            seats_free: input.seats_free,
            note: input.note,
            expires_in_minutes: input.expires_in_minutes,
        };
        let listing = places::set_status(ctx.domain(), ctx.viewer(), id, status)
            .await
            .extend()?;
        Ok(SetPlaceStatusPayload {
            place: Place::new(listing),
        })
    }
}
