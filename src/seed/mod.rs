//! Data to start from: the Feicheng demo network, and synthetic cities for benchmarks.

pub mod demo;
pub mod items;
pub mod synthetic;

use entity::place::PlaceKind;
use entity::{offer, place};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

/// Rows per INSERT: well under PostgreSQL's 65,535 and SQLite's 32,766 bound parameters.
const ROWS_PER_INSERT: usize = 1_000;

/// Loads the demo network when the database holds no place at all. Returns whether it did.
pub async fn load_demo_if_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    if place::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let now = chrono::Utc::now();
    let network = demo::network(now);
    let txn = db.begin().await?;
    let before: Option<i32> = place::Entity::find()
        .select_only()
        .column_as(place::Column::Id.max(), "last")
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    insert_all(
        &txn,
        network.iter().map(|seed| seed.place.clone()).collect(),
        |_| {},
    )
    .await?;
    // One multi-row INSERT numbers its rows in the data file's order. Another instance
    // seeding at the same moment shows as more rows than ours: it won, so this one stops.
    let ids = place::Entity::find()
        .select_only()
        .column(place::Column::Id)
        .filter(place::Column::Id.gt(before.unwrap_or(0)))
        .order_by_asc(place::Column::Id)
        .into_tuple::<i32>()
        .all(&txn)
        .await?;
    if ids.len() != network.len() {
        txn.rollback().await?;
        tracing::info!("another instance loaded the demo network first");
        return Ok(false);
    }
    let offers: Vec<offer::ActiveModel> = network
        .iter()
        .zip(ids)
        .flat_map(|(seed, id)| seed.offers(id, now))
        .collect();
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

/// Merchants hold the merchant kinds, operators the stations.
pub fn owner_role_for(kind: PlaceKind) -> &'static str {
    if kind.is_merchant_kind() {
        "merchant"
    } else {
        "operator"
    }
}
