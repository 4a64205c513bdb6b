//! Which reviewers checked in at the place they review, for `verifiedVisit`: one query per
//! page of reviews against the check-ins of station services (`domain::stations`).

use std::collections::HashSet;

use sea_orm::ConnectionTrait;

use super::Account;
use crate::{domain::stations::checkins, error::AppResult};

/// The accounts among `authors` that have checked in at `place_id`.
pub async fn checked_in(
    db: &impl ConnectionTrait,
    place_id: i32,
    authors: &[Account],
) -> AppResult<HashSet<Account>> {
    checkins::visited(db, place_id, authors).await
}
