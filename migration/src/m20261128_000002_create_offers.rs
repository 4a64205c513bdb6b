use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261128_000001_create_places::Places;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Offers::Table)
                    .if_not_exists()
                    .col(pk_auto(Offers::Id))
                    .col(integer(Offers::PlaceId))
                    .col(string_len(Offers::Title, 120))
                    .col(text(Offers::Description))
                    .col(json(Offers::Groups))
                    .col(timestamp_with_time_zone(Offers::ValidFrom))
                    .col(timestamp_with_time_zone(Offers::ValidUntil))
                    .col(integer(Offers::Version).default(1))
                    .col(timestamp_with_time_zone(Offers::CreatedAt))
                    .col(timestamp_with_time_zone(Offers::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Offers::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_offers_place")
                            .from(Offers::Table, Offers::PlaceId)
                            .to(Places::Table, Places::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_offers_place")
                    .table(Offers::Table)
                    .col(Offers::PlaceId)
                    .col(Offers::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Offers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Offers {
    Table,
    Id,
    PlaceId,
    Title,
    Description,
    Groups,
    ValidFrom,
    ValidUntil,
    Version,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
