//! The review lifecycle: DRAFT → `PENDING_REVIEW` → PUBLISHED, with REJECTED and SUSPENDED;
//! the owner may withdraw from review, appeal a suspension, and delete a listing that was
//! never published.
//!
//! A live status belongs to a published listing: leaving PUBLISHED clears it, so a
//! place reinstated later never shows a status set before it was taken down.

use std::sync::Arc;

use chrono::Utc;
use entity::{
    loan,
    place::{self, Publication},
};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::write::{Change, Guard, clear_status, for_change, save};
use crate::{
    auth::{Viewer, policy},
    domain::{Domain, directory::Listing, history::Action, validate, version::ExpectedVersion},
    error::{AppError, AppResult},
};

fn name(publication: Publication) -> &'static str {
    match publication {
        Publication::Draft => "DRAFT",
        Publication::PendingReview => "PENDING_REVIEW",
        Publication::Published => "PUBLISHED",
        Publication::Rejected => "REJECTED",
        Publication::Suspended => "SUSPENDED",
    }
}

fn illegal(place: &place::Model, action: &str, allowed: &str) -> AppError {
    AppError::bad_input(format!(
        "cannot {action} a place that is {}; only {allowed} places can be",
        name(place.publication)
    ))
}

/// Moves `current` to `to`, recording `action` and `reason`.
async fn transition(
    domain: &Domain,
    viewer: &Viewer,
    current: place::Model,
    to: Publication,
    action: Action,
    reason: Option<String>,
) -> AppResult<Arc<Listing>> {
    let mut row: place::ActiveModel = current.clone().into();
    row.publication = Set(to);
    match to {
        Publication::PendingReview => row.submitted_at = Set(Some(Utc::now())),
        Publication::Published => {
            row.review_note = Set(None);
            row.approved_latitude = Set(Some(current.latitude));
            row.approved_longitude = Set(Some(current.longitude));
        }
        Publication::Rejected | Publication::Suspended => row.review_note = Set(reason.clone()),
        Publication::Draft => {}
    }
    if to != Publication::Published {
        clear_status(&mut row);
    }
    save(
        domain,
        viewer,
        Change {
            current: &current,
            row,
            guard: Guard::Version(ExpectedVersion(current.version)),
            action,
            reason,
        },
    )
    .await
}

fn checked_reason(reason: &str) -> AppResult<String> {
    validate::text("reason", reason, 2, 500)
}

/// The place with `id` for a step its owner (or an admin) takes, if it is in one of the
/// `allowed` states; otherwise `BAD_USER_INPUT` naming the state it is in.
async fn managed_in(
    domain: &Domain,
    viewer: &Viewer,
    id: i32,
    allowed: &[Publication],
    action: &str,
) -> AppResult<place::Model> {
    let current = for_change(&domain.db, viewer, id).await?;
    policy::may_manage(viewer, &current)?;
    if !allowed.contains(&current.publication) {
        let names: Vec<&str> = allowed.iter().map(|state| name(*state)).collect();
        return Err(illegal(&current, action, &names.join(" or ")));
    }
    Ok(current)
}

/// The owner (or an admin) asks for review of a DRAFT or REJECTED place.
pub async fn submit(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Arc<Listing>> {
    let current = managed_in(
        domain,
        viewer,
        id,
        &[Publication::Draft, Publication::Rejected],
        "submit",
    )
    .await?;
    transition(
        domain,
        viewer,
        current,
        Publication::PendingReview,
        Action::Submitted,
        None,
    )
    .await
}

/// An admin publishes a place waiting for review, or reinstates a suspended one.
pub async fn approve(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Arc<Listing>> {
    policy::may_moderate(viewer)?;
    let current = for_change(&domain.db, viewer, id).await?;
    if !matches!(
        current.publication,
        Publication::PendingReview | Publication::Suspended
    ) {
        return Err(illegal(&current, "approve", "PENDING_REVIEW or SUSPENDED"));
    }
    transition(
        domain,
        viewer,
        current,
        Publication::Published,
        Action::Approved,
        None,
    )
    .await
}

/// An admin returns a place waiting for review to its owner, saying why.
pub async fn reject(domain: &Domain, viewer: &Viewer, id: i32, reason: &str) -> AppResult<Arc<Listing>> {
    policy::may_moderate(viewer)?;
    let reason = checked_reason(reason)?;
    let current = for_change(&domain.db, viewer, id).await?;
    if current.publication != Publication::PendingReview {
        return Err(illegal(&current, "reject", "PENDING_REVIEW"));
    }
    transition(
        domain,
        viewer,
        current,
        Publication::Rejected,
        Action::Rejected,
        Some(reason),
    )
    .await
}

/// An admin takes a published place down, saying why.
pub async fn suspend(domain: &Domain, viewer: &Viewer, id: i32, reason: &str) -> AppResult<Arc<Listing>> {
    policy::may_moderate(viewer)?;
    let reason = checked_reason(reason)?;
    let current = for_change(&domain.db, viewer, id).await?;
    if current.publication != Publication::Published {
        return Err(illegal(&current, "suspend", "PUBLISHED"));
    }
    transition(
        domain,
        viewer,
        current,
        Publication::Suspended,
        Action::Suspended,
        Some(reason),
    )
    .await
}

/// The owner (or an admin) takes a place back from review to edit it: `PENDING_REVIEW` →
/// DRAFT.
pub async fn withdraw(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Arc<Listing>> {
    let current = managed_in(domain, viewer, id, &[Publication::PendingReview], "withdraw").await?;
    transition(
        domain,
        viewer,
        current,
        Publication::Draft,
        Action::Withdrawn,
        None,
    )
    .await
}

/// The owner (or an admin) asks for a suspended place to be reviewed again, saying what
/// was put right: SUSPENDED → `PENDING_REVIEW`, the note kept in the history for reviewers.
pub async fn appeal(domain: &Domain, viewer: &Viewer, id: i32, note: &str) -> AppResult<Arc<Listing>> {
    let note = validate::text("note", note, 2, 500)?;
    let current = managed_in(domain, viewer, id, &[Publication::Suspended], "appeal").await?;
    transition(
        domain,
        viewer,
        current,
        Publication::PendingReview,
        Action::Appealed,
        Some(note),
    )
    .await
}

/// The owner (or an admin) deletes a DRAFT or REJECTED place that was never published. It
/// leaves every list; its history keeps the record. A place that riders have seen stays, so
/// their reviews and reports keep their subject: it can only be suspended.
pub async fn delete(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<i32> {
    let current = managed_in(
        domain,
        viewer,
        id,
        &[Publication::Draft, Publication::Rejected],
        "delete",
    )
    .await?;
    if current.approved_latitude.is_some() {
        return Err(AppError::bad_input(
            "this place was published before: riders may hold it, so it cannot be deleted",
        ));
    }
    // A walk-in's name and phone are erased only after the return: an open loan would keep
    // them for good once the place is gone.
    let open_loans = loan::Entity::find()
        .filter(loan::Column::PlaceId.eq(id))
        .filter(loan::Column::ReturnedAt.is_null())
        .count(&domain.db)
        .await?;
    if open_loans > 0 {
        return Err(AppError::bad_input(format!(
            "{open_loans} loan(s) of this place are not returned yet: record the returns first"
        )));
    }
    let mut row: place::ActiveModel = current.clone().into();
    row.deleted_at = Set(Some(Utc::now()));
    save(
        domain,
        viewer,
        Change {
            current: &current,
            row,
            guard: Guard::Version(ExpectedVersion(current.version)),
            action: Action::Deleted,
            reason: None,
        },
    )
    .await?;
    Ok(id)
}
