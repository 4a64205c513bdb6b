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

    /// The CONFLICT when no row was at the expected version; `seen` is the version last
    /// read, when the caller knows one.
    pub fn conflict(self, what: &str, seen: Option<i32>) -> AppError {
        let expected = self.0;
        let at = seen.map_or_else(String::new, |seen| {
            format!(" (it is at version {} or later)", seen.max(self.next()))
        });
        AppError::Conflict(format!(
            "the {what} changed since version {expected}{at}; read it again and reapply your edit"
        ))
    }
}
