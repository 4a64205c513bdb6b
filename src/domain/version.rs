//! Optimistic concurrency: an edit names the version it was made from, the write lands
//! only on a row still at that version, and a stale edit is a CONFLICT that says what to do.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, UpdateMany};

use crate::error::AppError;

/// The version an edit was made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedVersion(pub i32);

impl ExpectedVersion {
    /// The version the write leaves behind.
    pub fn next(self) -> i32 {
        self.0 + 1
    }

    /// Narrows an update to rows still at the expected version, so the check and the write
    /// are one step: of two edits from one version exactly one lands.
    pub fn guard<E: EntityTrait>(self, update: UpdateMany<E>, column: E::Column) -> UpdateMany<E> {
        update.filter(column.eq(self.0))
    }

    /// The `CONFLICT` for an edit from this version of a record now at `current`.
    pub fn conflict(self, what: &str, current: i32) -> AppError {
        let expected = self.0;
        AppError::StaleVersion {
            message: format!(
                "the {what} changed since version {expected} (it is at version {current}); read it again and reapply your edit"
            ),
            current_version: current,
        }
    }

    /// Whether an edit from this version may be applied to a record at `current`.
    pub fn matches(self, current: i32) -> bool {
        self.0 == current
    }
}
