//! Dated, idempotent schema migrations, run at start-up and by `yizhan migrate`.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_places;
mod m20261128_000002_create_offers;
mod m20261128_000003_create_place_history;
mod m20261128_000004_create_calendar_days;
mod m20261129_000005_create_change_log;
mod m20261129_000006_review_anchor;
mod m20261129_000007_owner_role;
mod m20261129_000008_idempotency_keys;
mod m20261129_000020_riders_voice;
mod m20261130_000010_place_deletion;
mod m20261130_000030_create_place_photos;
mod m20261130_000040_lending_register;
mod m20261130_000041_check_ins;
mod m20261130_000050_demand_cells;
mod m20261201_000060_database_identity;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_places::Migration),
            Box::new(m20261128_000002_create_offers::Migration),
            Box::new(m20261128_000003_create_place_history::Migration),
            Box::new(m20261128_000004_create_calendar_days::Migration),
            Box::new(m20261129_000005_create_change_log::Migration),
            Box::new(m20261129_000006_review_anchor::Migration),
            Box::new(m20261129_000007_owner_role::Migration),
            Box::new(m20261129_000008_idempotency_keys::Migration),
            Box::new(m20261129_000020_riders_voice::Migration),
            Box::new(m20261130_000010_place_deletion::Migration),
            Box::new(m20261130_000030_create_place_photos::Migration),
            Box::new(m20261130_000040_lending_register::Migration),
            Box::new(m20261130_000041_check_ins::Migration),
            Box::new(m20261130_000050_demand_cells::Migration),
            Box::new(m20261201_000060_database_identity::Migration),
        ]
    }
}
