//! The review lifecycle: DRAFT → `PENDING_REVIEW` → PUBLISHED, with REJECTED and SUSPENDED.

use std::sync::Arc;

use chrono::Utc;
use entity::place::{self, Publication};
use sea_orm::ActiveValue::Set;

use super::write::{Change, Guard, for_change, save};
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
        _ => row.review_note = Set(reason.clone()),
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

/// The owner (or an admin) asks for review of a DRAFT or REJECTED place.
pub async fn submit(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Arc<Listing>> {
    let current = for_change(&domain.db, viewer, id).await?;
    policy::may_manage(viewer, &current)?;
    if !matches!(current.publication, Publication::Draft | Publication::Rejected) {
        return Err(illegal(&current, "submit", "DRAFT or REJECTED"));
    }
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
