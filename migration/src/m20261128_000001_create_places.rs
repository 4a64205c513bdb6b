use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Places::Table)
                    .if_not_exists()
                    .col(pk_auto(Places::Id))
                    .col(string_len(Places::Kind, 32))
                    .col(string_len(Places::Name, 200))
                    .col(string_len(Places::Address, 300))
                    .col(text_null(Places::Description))
                    .col(double(Places::Latitude))
                    .col(double(Places::Longitude))
                    .col(string_len(Places::OpeningHours, 500))
                    .col(string_len(Places::TimeZone, 64).default("Asia/Shanghai"))
                    .col(string_len_null(Places::Phone, 32))
                    .col(json(Places::Amenities))
                    .col(json(Places::ServesGroups))
                    .col(string_len(Places::OwnerSubject, 200))
                    .col(string_len(Places::Publication, 16))
                    .col(text_null(Places::ReviewNote))
                    .col(timestamp_with_time_zone_null(Places::SubmittedAt))
                    .col(boolean(Places::FollowsWorkCalendar).default(false))
                    .col(string_len_null(Places::StatusState, 24))
                    .col(integer_null(Places::StatusSeatsFree))
                    .col(string_len_null(Places::StatusNote, 200))
                    .col(timestamp_with_time_zone_null(Places::StatusUpdatedAt))
                    .col(timestamp_with_time_zone_null(Places::StatusExpiresAt))
                    .col(integer(Places::Version).default(1))
                    .col(timestamp_with_time_zone(Places::CreatedAt))
                    .col(timestamp_with_time_zone(Places::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The published directory is loaded by publication; owners list their own places;
        // admins read the review queue oldest first; other instances pick up changes by time.
        for (name, columns) in [
            ("idx_places_publication", vec![Places::Publication, Places::Id]),
            (
                "idx_places_review_queue",
                vec![Places::Publication, Places::SubmittedAt, Places::Id],
            ),
            ("idx_places_owner", vec![Places::OwnerSubject, Places::Id]),
            ("idx_places_location", vec![Places::Latitude, Places::Longitude]),
            ("idx_places_updated_at", vec![Places::UpdatedAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Places::Table).if_not_exists();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Places::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Places {
    Table,
    Id,
    Kind,
    Name,
    Address,
    Description,
    Latitude,
    Longitude,
    OpeningHours,
    TimeZone,
    Phone,
    Amenities,
    ServesGroups,
    OwnerSubject,
    Publication,
    ReviewNote,
    SubmittedAt,
    FollowsWorkCalendar,
    StatusState,
    StatusSeatsFree,
    StatusNote,
    StatusUpdatedAt,
    StatusExpiresAt,
    Version,
    CreatedAt,
    UpdatedAt,
}
