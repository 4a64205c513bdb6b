//! Dated, idempotent schema migrations, run at start-up and by `yizhan migrate`.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_places;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261128_000001_create_places::Migration)]
    }
}
