//! Data to start from: the Feicheng demo network, and synthetic cities for benchmarks.

pub mod demo;
pub mod synthetic;

use entity::place;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};

/// Rows per INSERT: well under PostgreSQL's 65,535 and SQLite's 32,766 bound parameters.
const ROWS_PER_INSERT: usize = 1_000;

/// Loads the demo network when the database holds no place at all. Returns whether it did.
pub async fn load_demo_if_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    if place::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let txn = db.begin().await?;
    insert_all(&txn, demo::network(chrono::Utc::now()), |_| {}).await?;
    txn.commit().await?;
    Ok(true)
}

/// Inserts rows in multi-row statements, reporting progress after each.
async fn insert_all(
    db: &impl ConnectionTrait,
    rows: Vec<place::ActiveModel>,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<place::ActiveModel> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        let inserted = chunk.len();
        place::Entity::insert_many(chunk).exec(db).await?;
        progress(inserted);
    }
    Ok(())
}
