//! Where a place was when an admin last approved it: the review distance is measured from
//! there, so a string of short moves cannot walk a place away unreviewed.

use sea_orm_migration::prelude::*;

use crate::m20261128_000001_create_places::Places;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Anchor {
    ApprovedLatitude,
    ApprovedLongitude,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Anchor::ApprovedLatitude, Anchor::ApprovedLongitude] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Places::Table)
                        .add_column(ColumnDef::new(column).double().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE places SET approved_latitude = latitude, approved_longitude = longitude \
                 WHERE publication IN ('PUBLISHED', 'SUSPENDED')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Anchor::ApprovedLatitude, Anchor::ApprovedLongitude] {
            manager
                .alter_table(Table::alter().table(Places::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
