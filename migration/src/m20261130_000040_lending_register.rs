//! The lending register: the items a station lends (umbrellas, reading glasses, first-aid
//! kits…) and each loan of one, to a worker's account or to a walk-in borrower written
//! down by name and phone as the paper register did.
//!
//! `items.on_loan` counts the open loans of an item. Borrowing raises it with one
//! conditional UPDATE (`… WHERE on_loan < quantity`), so an item is never over-lent; the
//! CHECK keeps even a faulty writer from storing more loans than pieces.

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
                    .table(Items::Table)
                    .if_not_exists()
                    .col(pk_auto(Items::Id))
                    .col(integer(Items::PlaceId))
                    .col(string_len(Items::Name, 100))
                    .col(string_len(Items::Category, 32))
                    .col(integer(Items::Quantity))
                    .col(integer(Items::OnLoan).default(0))
                    .col(integer(Items::LoanHours))
                    .col(timestamp_with_time_zone(Items::CreatedAt))
                    .col(timestamp_with_time_zone(Items::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Items::RetiredAt))
                    .check(
                        Expr::col(Items::OnLoan)
                            .gte(0)
                            .and(Expr::col(Items::OnLoan).lte(Expr::col(Items::Quantity))),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_items_place")
                            .from(Items::Table, Items::PlaceId)
                            .to(Places::Table, Places::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_items_place")
                    .table(Items::Table)
                    .col(Items::PlaceId)
                    .col(Items::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Loans::Table)
                    .if_not_exists()
                    .col(pk_auto(Loans::Id))
                    .col(integer(Loans::ItemId))
                    .col(integer(Loans::PlaceId))
                    .col(string_len_null(Loans::BorrowerRole, 16))
                    .col(string_len_null(Loans::BorrowerSubject, 200))
                    .col(string_len_null(Loans::BorrowerName, 50))
                    .col(string_len_null(Loans::BorrowerPhone, 32))
                    .col(string_len(Loans::RegisteredByRole, 16))
                    .col(string_len(Loans::RegisteredBySubject, 200))
                    .col(timestamp_with_time_zone(Loans::BorrowedAt))
                    .col(timestamp_with_time_zone(Loans::DueAt))
                    .col(string_len(Loans::LocalDay, 10))
                    .col(string_len(Loans::LocalWeek, 10))
                    .col(timestamp_with_time_zone_null(Loans::ReturnedAt))
                    .col(text_null(Loans::ReturnNote))
                    .col(timestamp_with_time_zone_null(Loans::ErasedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_loans_item")
                            .from(Loans::Table, Loans::ItemId)
                            .to(Items::Table, Items::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_loans_place")
                            .from(Loans::Table, Loans::PlaceId)
                            .to(Places::Table, Places::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A station's open and overdue loans, oldest due first; its returned ones.
        manager
            .create_index(
                Index::create()
                    .name("idx_loans_place_due")
                    .table(Loans::Table)
                    .col(Loans::PlaceId)
                    .col(Loans::ReturnedAt)
                    .col(Loans::DueAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // A borrower's own loans, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_loans_borrower")
                    .table(Loans::Table)
                    .col(Loans::BorrowerRole)
                    .col(Loans::BorrowerSubject)
                    .col(Loans::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // Statistics count loans by place and period; erasure finds old returns.
        manager
            .create_index(
                Index::create()
                    .name("idx_loans_place_borrowed")
                    .table(Loans::Table)
                    .col(Loans::PlaceId)
                    .col(Loans::BorrowedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_loans_borrowed")
                    .table(Loans::Table)
                    .col(Loans::BorrowedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_loans_returned")
                    .table(Loans::Table)
                    .col(Loans::ReturnedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Loans::Table.into_iden(), Items::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Items {
    Table,
    Id,
    PlaceId,
    Name,
    Category,
    Quantity,
    OnLoan,
    LoanHours,
    CreatedAt,
    UpdatedAt,
    RetiredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Loans {
    Table,
    Id,
    ItemId,
    PlaceId,
    BorrowerRole,
    BorrowerSubject,
    BorrowerName,
    BorrowerPhone,
    RegisteredByRole,
    RegisteredBySubject,
    BorrowedAt,
    DueAt,
    LocalDay,
    LocalWeek,
    ReturnedAt,
    ReturnNote,
    ErasedAt,
}
