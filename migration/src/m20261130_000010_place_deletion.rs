//! Deleting a listing that was never published: the row stays (its history refers to it)
//! with `deleted_at` set, and every list leaves it out. Published places (demo seeds
//! included) get their approval anchor, which is how a place that was ever published is
//! told apart from one that never was.

use sea_orm_migration::prelude::*;

use crate::m20261128_000001_create_places::Places;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Deletion {
    DeletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Places::Table)
                    .add_column(
                        ColumnDef::new(Deletion::DeletedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE places SET approved_latitude = latitude, approved_longitude = longitude \
                 WHERE approved_latitude IS NULL AND publication IN ('PUBLISHED', 'SUSPENDED')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Places::Table)
                    .drop_column(Deletion::DeletedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
