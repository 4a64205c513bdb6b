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
                    .table(PlaceHistory::Table)
                    .if_not_exists()
                    .col(pk_auto(PlaceHistory::Id))
                    .col(integer(PlaceHistory::PlaceId))
                    .col(string_len(PlaceHistory::ActorSubject, 200))
                    .col(string_len(PlaceHistory::ActorRole, 16))
                    .col(string_len(PlaceHistory::Action, 32))
                    .col(json(PlaceHistory::Changes))
                    .col(text_null(PlaceHistory::Reason))
                    .col(timestamp_with_time_zone(PlaceHistory::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_place_history_place")
                            .from(PlaceHistory::Table, PlaceHistory::PlaceId)
                            .to(Places::Table, Places::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // History pages newest first per place.
        manager
            .create_index(
                Index::create()
                    .name("idx_place_history_place")
                    .table(PlaceHistory::Table)
                    .col(PlaceHistory::PlaceId)
                    .col(PlaceHistory::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlaceHistory::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PlaceHistory {
    Table,
    Id,
    PlaceId,
    ActorSubject,
    ActorRole,
    Action,
    Changes,
    Reason,
    CreatedAt,
}
