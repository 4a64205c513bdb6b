use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CalendarDays::Table)
                    .if_not_exists()
                    .col(date(CalendarDays::Date).primary_key())
                    .col(string_len(CalendarDays::Kind, 16))
                    .col(string_len(CalendarDays::Name, 60))
                    .col(integer_null(CalendarDays::AsWeekday))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CalendarDays::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarDays {
    Table,
    Date,
    Kind,
    Name,
    AsWeekday,
}
