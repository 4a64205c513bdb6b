//! Storefront photos: each row names two stored objects (the re-encoded image and its
//! thumbnail) by content-hash key; at most 9 per place, enforced by the writer's
//! transaction. A place's photos are unique by image key, so removing one never deletes an
//! object another photo of the place still shows.

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
                    .table(PlacePhotos::Table)
                    .if_not_exists()
                    .col(pk_auto(PlacePhotos::Id))
                    .col(integer(PlacePhotos::PlaceId))
                    .col(integer(PlacePhotos::Position))
                    .col(string_len(PlacePhotos::ImageKey, 200))
                    .col(string_len(PlacePhotos::ThumbnailKey, 200))
                    .col(string_len(PlacePhotos::MediaType, 40))
                    .col(integer(PlacePhotos::Width))
                    .col(integer(PlacePhotos::Height))
                    .col(integer(PlacePhotos::ThumbnailWidth))
                    .col(integer(PlacePhotos::ThumbnailHeight))
                    .col(big_integer(PlacePhotos::ByteSize))
                    .col(text_null(PlacePhotos::Caption))
                    .col(timestamp_with_time_zone(PlacePhotos::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_place_photos_place")
                            .from(PlacePhotos::Table, PlacePhotos::PlaceId)
                            .to(Places::Table, Places::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_place_photos_image")
                    .table(PlacePhotos::Table)
                    .col(PlacePhotos::PlaceId)
                    .col(PlacePhotos::ImageKey)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlacePhotos::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PlacePhotos {
    Table,
    Id,
    PlaceId,
    Position,
    ImageKey,
    ThumbnailKey,
    MediaType,
    Width,
    Height,
    ThumbnailWidth,
    ThumbnailHeight,
    ByteSize,
    Caption,
    CreatedAt,
}
