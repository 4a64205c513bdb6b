//! Check-ins: a worker's visit to a station, recorded by scanning its printed code or by
//! being near it. A visit keeps the account, the worker group and the time (with its local
//! day and week, so statistics group by an indexed column), never a location.
//!
//! `check_in_codes` holds each place's rotation counter: rotating it invalidates every
//! printed copy. `station_secrets` holds the deployment's key that signs the codes, made
//! on first use, shared by every instance, never sent out.

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
                    .table(Visits::Table)
                    .if_not_exists()
                    .col(pk_auto(Visits::Id))
                    .col(integer(Visits::PlaceId))
                    .col(string_len(Visits::WorkerRole, 16))
                    .col(string_len(Visits::WorkerSubject, 200))
                    .col(string_len_null(Visits::WorkerGroup, 32))
                    .col(timestamp_with_time_zone(Visits::VisitedAt))
                    .col(string_len(Visits::LocalDay, 10))
                    .col(string_len(Visits::LocalWeek, 10))
                    .col(string_len(Visits::Method, 8))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_visits_place")
                            .from(Visits::Table, Visits::PlaceId)
                            .to(Places::Table, Places::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The 30-minute repeat check and `verifiedVisit` look a worker up at a place.
        manager
            .create_index(
                Index::create()
                    .name("idx_visits_place_worker")
                    .table(Visits::Table)
                    .col(Visits::PlaceId)
                    .col(Visits::WorkerRole)
                    .col(Visits::WorkerSubject)
                    .col(Visits::VisitedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // A place's statistics over a period, and the network's.
        manager
            .create_index(
                Index::create()
                    .name("idx_visits_place_time")
                    .table(Visits::Table)
                    .col(Visits::PlaceId)
                    .col(Visits::VisitedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_visits_time")
                    .table(Visits::Table)
                    .col(Visits::VisitedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CheckInCodes::Table)
                    .if_not_exists()
                    .col(integer(CheckInCodes::PlaceId).primary_key())
                    .col(integer(CheckInCodes::Rotation))
                    .col(timestamp_with_time_zone(CheckInCodes::RotatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_check_in_codes_place")
                            .from(CheckInCodes::Table, CheckInCodes::PlaceId)
                            .to(Places::Table, Places::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StationSecrets::Table)
                    .if_not_exists()
                    .col(string_len(StationSecrets::Name, 32).primary_key())
                    .col(string_len(StationSecrets::Secret, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StationSecrets::Table.into_iden(),
            CheckInCodes::Table.into_iden(),
            Visits::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Visits {
    Table,
    Id,
    PlaceId,
    WorkerRole,
    WorkerSubject,
    WorkerGroup,
    VisitedAt,
    LocalDay,
    LocalWeek,
    Method,
}

#[derive(DeriveIden, Clone, Copy)]
enum CheckInCodes {
    Table,
    PlaceId,
    Rotation,
    RotatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum StationSecrets {
    Table,
    Name,
    Secret,
}
