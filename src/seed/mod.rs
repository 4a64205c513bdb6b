//! Data to start from: the Feicheng demo network, and synthetic cities for benchmarks.

pub mod demo;
pub mod items;
pub mod synthetic;

use entity::{offer, place};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

/// Rows per INSERT: well under PostgreSQL's 65,535 and SQLite's 32,766 bound parameters.
const ROWS_PER_INSERT: usize = 1_000;

/// Loads the demo network when the database holds no place at all. Returns whether it did.
pub async fn load_demo_if_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    if place::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let now = chrono::Utc::now();
    let txn = db.begin().await?;
    insert_all(&txn, demo::network(now), |_| {}).await?;
    let merchants = place::Entity::find()
        .filter(place::Column::OwnerSubject.starts_with("merchant-"))
        .order_by_asc(place::Column::Id)
        .all(&txn)
        .await?;
    let offers = demo::offers(&merchants, now);
    if !offers.is_empty() {
        offer::Entity::insert_many(offers).exec(&txn).await?;
    }
    items::load(&txn, now).await?;
    crate::domain::change_log::append_unlogged_places(&txn).await?;
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
