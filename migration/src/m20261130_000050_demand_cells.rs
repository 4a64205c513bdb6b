//! Where riders look for help: anonymous counts of `nearby` and `search` centres per
//! ~500 m cell and local day. No account, no exact point, no time finer than the day.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DemandCells {
    Table,
    Day,
    CellLat,
    CellLng,
    Count,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DemandCells::Table)
                    .col(ColumnDef::new(DemandCells::Day).string_len(10).not_null())
                    .col(ColumnDef::new(DemandCells::CellLat).integer().not_null())
                    .col(ColumnDef::new(DemandCells::CellLng).integer().not_null())
                    .col(ColumnDef::new(DemandCells::Count).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(DemandCells::Day)
                            .col(DemandCells::CellLat)
                            .col(DemandCells::CellLng),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DemandCells::Table).to_owned())
            .await
    }
}
