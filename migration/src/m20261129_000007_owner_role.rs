//! Ownership is of an account, not of a bare subject: the role the owner signs in with is
//! part of who owns a place, so a worker token that shares a merchant's `sub` owns nothing,
//! and a merchant and an operator with the same `sub` are different owners.

use sea_orm_migration::{prelude::*, schema::string_len};

use crate::m20261128_000001_create_places::Places;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Owner {
    OwnerRole,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Places::Table)
                    .add_column(string_len(Owner::OwnerRole, 16).default("operator"))
                    .to_owned(),
            )
            .await?;
        // Until now merchants held the merchant kinds and operators the stations.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE places SET owner_role = 'merchant' \
                 WHERE kind IN ('FRIENDLY_MERCHANT', 'RIDER_CANTEEN', 'RIDER_PHARMACY', 'RIDER_CLINIC')",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_places_owner_account")
                    .table(Places::Table)
                    .col(Owner::OwnerRole)
                    .col(Places::OwnerSubject)
                    .col(Places::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Places::Table)
                    .drop_column(Owner::OwnerRole)
                    .to_owned(),
            )
            .await
    }
}
