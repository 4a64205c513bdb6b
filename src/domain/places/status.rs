//! Live status: OPEN, BUSY, FULL or `TEMPORARILY_CLOSED`, with free seats and a note, until
//! it expires, so a forgotten FULL never misleads a rider at night.

use std::sync::Arc;

use chrono::{Duration, Utc};
use entity::place::{self, Publication, StatusState};
use sea_orm::ActiveValue::Set;

use super::write::{Change, Guard, for_change, save};
use crate::{
    auth::{Viewer, policy},
    domain::{Domain, directory::Listing, history::Action, validate},
    error::{AppError, AppResult},
};

/// A status as its owner sets it.
#[derive(Clone, Debug)]
pub struct NewStatus {
    /// How the place is right now.
    pub state: StatusState,
    /// Free seats, when the place counts them.
    pub seats_free: Option<i32>,
    /// A short note, such as 热水已备好.
    pub note: Option<String>,
    /// Minutes until the status expires; the configured default when `None`.
    pub expires_in_minutes: Option<i32>,
}

/// Sets a place's live status. Its owner and admins only.
pub async fn set_status(
    domain: &Domain,
    viewer: &Viewer,
    id: i32,
    status: NewStatus,
) -> AppResult<Arc<Listing>> {
    let current = for_change(&domain.db, viewer, id).await?;
    policy::may_manage(viewer, &current)?;
    if current.publication != Publication::Published {
        return Err(AppError::bad_input(
            "a live status is shown only while the place is PUBLISHED: set it once an admin has approved the place",
        ));
    }
    let rules = &domain.rules;
    let minutes = status.expires_in_minutes.unwrap_or(rules.status_default_minutes);
    if minutes < 1 || minutes > rules.status_max_minutes {
        return Err(AppError::bad_input(format!(
            "expiresInMinutes must be 1 to {}, got {minutes}",
            rules.status_max_minutes
        )));
    }
    if let Some(seats) = status.seats_free
        && !(0..=10_000).contains(&seats)
    {
        return Err(AppError::bad_input(format!(
            "seatsFree must be 0 to 10000, got {seats}"
        )));
    }
    let note = status
        .note
        .as_deref()
        .map(|note| validate::text("note", note, 1, 200))
        .transpose()?;
    let now = Utc::now();
    let mut row: place::ActiveModel = current.clone().into();
    row.status_state = Set(Some(status.state));
    row.status_seats_free = Set(status.seats_free);
    row.status_note = Set(note);
    row.status_updated_at = Set(Some(now));
    row.status_expires_at = Set(Some(now + Duration::minutes(i64::from(minutes))));
    save(
        domain,
        viewer,
        Change {
            current: &current,
            row,
            guard: Guard::WhilePublished,
            action: Action::StatusSet,
            reason: None,
        },
    )
    .await
}
