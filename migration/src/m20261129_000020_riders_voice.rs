//! The riders' voice: favourites, reviews (with helpful marks), reports about places, the
//! per-account action log the abuse limits count, and the key of review pseudonyms.
//!
//! Every row names its account by role and subject together: a subject is only unique
//! within its issuer, and each role has its own issuer.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261128_000001_create_places::Places;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn place_key(
    name: &str,
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Places::Table, Places::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Favorites::Table)
                    .if_not_exists()
                    .col(pk_auto(Favorites::Id))
                    .col(integer(Favorites::PlaceId))
                    .col(string_len(Favorites::AccountRole, 16))
                    .col(string_len(Favorites::AccountSubject, 200))
                    .col(timestamp_with_time_zone(Favorites::CreatedAt))
                    .foreign_key(&mut place_key(
                        "fk_favorites_place",
                        Favorites::Table,
                        Favorites::PlaceId,
                    ))
                    .to_owned(),
            )
            .await?;
        // One favourite per account and place; the account's list pages newest first.
        manager
            .create_index(
                Index::create()
                    .name("ux_favorites_account_place")
                    .table(Favorites::Table)
                    .col(Favorites::AccountRole)
                    .col(Favorites::AccountSubject)
                    .col(Favorites::PlaceId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_favorites_account")
                    .table(Favorites::Table)
                    .col(Favorites::AccountRole)
                    .col(Favorites::AccountSubject)
                    .col(Favorites::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .if_not_exists()
                    .col(pk_auto(Reviews::Id))
                    .col(integer(Reviews::PlaceId))
                    .col(string_len(Reviews::AuthorRole, 16))
                    .col(string_len(Reviews::AuthorSubject, 200))
                    .col(string_len(Reviews::Pseudonym, 16))
                    .col(integer(Reviews::Stars).check(Expr::col(Reviews::Stars).between(1, 5)))
                    .col(text(Reviews::Text))
                    .col(timestamp_with_time_zone(Reviews::CreatedAt))
                    .col(timestamp_with_time_zone(Reviews::WrittenAt))
                    .col(timestamp_with_time_zone_null(Reviews::DeletedAt))
                    .col(timestamp_with_time_zone_null(Reviews::HiddenAt))
                    .col(text_null(Reviews::HiddenReason))
                    .col(text_null(Reviews::ReplyText))
                    .col(timestamp_with_time_zone_null(Reviews::RepliedAt))
                    .col(integer(Reviews::HelpfulCount).default(0))
                    .foreign_key(&mut place_key(
                        "fk_reviews_place",
                        Reviews::Table,
                        Reviews::PlaceId,
                    ))
                    .to_owned(),
            )
            .await?;
        // The key that makes "one review per worker and place" hold under concurrent writes.
        manager
            .create_index(
                Index::create()
                    .name("ux_reviews_place_author")
                    .table(Reviews::Table)
                    .col(Reviews::PlaceId)
                    .col(Reviews::AuthorRole)
                    .col(Reviews::AuthorSubject)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reviews_place_written")
                    .table(Reviews::Table)
                    .col(Reviews::PlaceId)
                    .col(Reviews::WrittenAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReviewMarks::Table)
                    .if_not_exists()
                    .col(integer(ReviewMarks::ReviewId))
                    .col(string_len(ReviewMarks::AccountRole, 16))
                    .col(string_len(ReviewMarks::AccountSubject, 200))
                    .col(timestamp_with_time_zone(ReviewMarks::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReviewMarks::ReviewId)
                            .col(ReviewMarks::AccountRole)
                            .col(ReviewMarks::AccountSubject),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_review_marks_review")
                            .from(ReviewMarks::Table, ReviewMarks::ReviewId)
                            .to(Reviews::Table, Reviews::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlaceReports::Table)
                    .if_not_exists()
                    .col(pk_auto(PlaceReports::Id))
                    .col(integer(PlaceReports::PlaceId))
                    .col(string_len(PlaceReports::ReporterRole, 16))
                    .col(string_len(PlaceReports::ReporterSubject, 200))
                    .col(string_len(PlaceReports::Pseudonym, 16))
                    .col(string_len(PlaceReports::Reason, 32))
                    .col(text_null(PlaceReports::Note))
                    .col(string_len(PlaceReports::LocalDay, 10))
                    .col(timestamp_with_time_zone(PlaceReports::CreatedAt))
                    .col(string_len(PlaceReports::State, 16))
                    .col(timestamp_with_time_zone_null(PlaceReports::ResolvedAt))
                    .col(string_len_null(PlaceReports::ResolvedByRole, 16))
                    .col(string_len_null(PlaceReports::ResolvedBySubject, 200))
                    .col(text_null(PlaceReports::ResolutionNote))
                    .foreign_key(&mut place_key(
                        "fk_place_reports_place",
                        PlaceReports::Table,
                        PlaceReports::PlaceId,
                    ))
                    .to_owned(),
            )
            .await?;
        // One report per worker, place, reason and local day.
        manager
            .create_index(
                Index::create()
                    .name("ux_place_reports_daily")
                    .table(PlaceReports::Table)
                    .col(PlaceReports::PlaceId)
                    .col(PlaceReports::ReporterRole)
                    .col(PlaceReports::ReporterSubject)
                    .col(PlaceReports::Reason)
                    .col(PlaceReports::LocalDay)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_place_reports_place_state")
                    .table(PlaceReports::Table)
                    .col(PlaceReports::PlaceId)
                    .col(PlaceReports::State)
                    .col(PlaceReports::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RiderActions::Table)
                    .if_not_exists()
                    .col(pk_auto(RiderActions::Id))
                    .col(string_len(RiderActions::AccountRole, 16))
                    .col(string_len(RiderActions::AccountSubject, 200))
                    .col(string_len(RiderActions::Action, 16))
                    .col(timestamp_with_time_zone(RiderActions::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rider_actions_account")
                    .table(RiderActions::Table)
                    .col(RiderActions::AccountRole)
                    .col(RiderActions::AccountSubject)
                    .col(RiderActions::Action)
                    .col(RiderActions::At)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PseudonymKey::Table)
                    .if_not_exists()
                    .col(integer(PseudonymKey::Id).primary_key())
                    .col(string_len(PseudonymKey::Secret, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PseudonymKey::Table.into_iden(),
            RiderActions::Table.into_iden(),
            PlaceReports::Table.into_iden(),
            ReviewMarks::Table.into_iden(),
            Reviews::Table.into_iden(),
            Favorites::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Favorites {
    Table,
    Id,
    PlaceId,
    AccountRole,
    AccountSubject,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Reviews {
    Table,
    Id,
    PlaceId,
    AuthorRole,
    AuthorSubject,
    Pseudonym,
    Stars,
    Text,
    CreatedAt,
    WrittenAt,
    DeletedAt,
    HiddenAt,
    HiddenReason,
    ReplyText,
    RepliedAt,
    HelpfulCount,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewMarks {
    Table,
    ReviewId,
    AccountRole,
    AccountSubject,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PlaceReports {
    Table,
    Id,
    PlaceId,
    ReporterRole,
    ReporterSubject,
    Pseudonym,
    Reason,
    Note,
    LocalDay,
    CreatedAt,
    State,
    ResolvedAt,
    ResolvedByRole,
    ResolvedBySubject,
    ResolutionNote,
}

#[derive(DeriveIden, Clone, Copy)]
enum RiderActions {
    Table,
    Id,
    AccountRole,
    AccountSubject,
    Action,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum PseudonymKey {
    Table,
    Id,
    Secret,
}
