//! A random token that names this database, drawn once when the schema is created. A
//! directory snapshot records it, so an instance never resumes from a snapshot taken of
//! another database (another environment, a file seeded again) as if the log positions
//! matched. A copy or a restored backup carries the token along: after restoring, delete
//! the snapshots (README, "Fast restarts").

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DatabaseIdentity {
    Table,
    Token,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DatabaseIdentity::Table)
                    .col(
                        ColumnDef::new(DatabaseIdentity::Token)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .to_owned(),
            )
            .await?;
        let draw = match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                "INSERT INTO database_identity (token) SELECT gen_random_uuid()::text"
            }
            _ => "INSERT INTO database_identity (token) SELECT lower(hex(randomblob(16)))",
        };
        manager.get_connection().execute_unprepared(draw).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DatabaseIdentity::Table).to_owned())
            .await
    }
}
