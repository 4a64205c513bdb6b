//! Page sizes, shared by every connection.

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Select};

use crate::error::{AppError, AppResult};

/// The largest page a connection returns.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when a caller does not say.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Checks a connection's `first` argument.
pub fn page_size(first: Option<i32>) -> AppResult<usize> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(first) if (0..=MAX_PAGE_SIZE as i32).contains(&first) => Ok(first as usize),
        Some(first) => Err(AppError::bad_input(format!(
            "first must be between 0 and {MAX_PAGE_SIZE}, got {first}; page with `after` for more"
        ))),
    }
}

/// One page of a listing, with the size of the whole result.
#[derive(Debug)]
pub struct Page<T> {
    /// The items of this page, in the listing's order.
    pub items: Vec<T>,
    /// How many items the whole listing holds.
    pub total_count: usize,
    /// True when another page follows.
    pub has_next_page: bool,
}

/// A page of rows read from the database: `all` counts, and `page` (already positioned
/// after the cursor and ordered) supplies one row more than `first`, to tell whether
/// another page follows.
pub async fn read_page<E>(
    db: &impl ConnectionTrait,
    all: Select<E>,
    page: Select<E>,
    first: usize,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let total_count = all.count(db).await? as usize;
    let mut items = page.limit(first as u64 + 1).all(db).await?;
    let has_next_page = items.len() > first;
    items.truncate(first);
    Ok(Page {
        items,
        total_count,
        has_next_page,
    })
}
