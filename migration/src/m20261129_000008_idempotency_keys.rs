//! Answers to mutations sent with an `Idempotency-Key`, kept for a day, so a client on a weak
//! network can retry a write whose answer it never received without writing twice.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let created_at = match manager.get_database_backend() {
            DatabaseBackend::Postgres => "TIMESTAMPTZ NOT NULL DEFAULT now()",
            _ => "TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP",
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE TABLE IF NOT EXISTS idempotency_keys (
                account VARCHAR(230) NOT NULL,
                idempotency_key VARCHAR(200) NOT NULL,
                request_hash VARCHAR(64) NOT NULL,
                status INTEGER NULL,
                content_type VARCHAR(100) NULL,
                body TEXT NULL,
                created_at {created_at},
                PRIMARY KEY (account, idempotency_key)
            )"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_idempotency_keys_created ON idempotency_keys (created_at)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE IF EXISTS idempotency_keys")
            .await?;
        Ok(())
    }
}
