//! The change log: one entry for every committed change that the directory or an app can
//! see, in commit order. Written by hand per backend because its ordering rests on
//! backend details (`AUTOINCREMENT` never reuses a position on SQLite; an identity column on
//! PostgreSQL), and the backfill gives every existing place an entry.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS change_log (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        place_id INTEGER NULL,
        min_lat DOUBLE NULL,
        min_lng DOUBLE NULL,
        max_lat DOUBLE NULL,
        max_lng DOUBLE NULL,
        published SMALLINT NOT NULL DEFAULT 0,
        visible SMALLINT NOT NULL DEFAULT 0,
        recorded_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
    )",
    "CREATE TABLE IF NOT EXISTS change_log_horizon (id INTEGER PRIMARY KEY, position BIGINT NOT NULL)",
    "ALTER TABLE places ADD COLUMN log_position BIGINT NOT NULL DEFAULT 0",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS change_log (
        position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        place_id INTEGER NULL,
        min_lat DOUBLE PRECISION NULL,
        min_lng DOUBLE PRECISION NULL,
        max_lat DOUBLE PRECISION NULL,
        max_lng DOUBLE PRECISION NULL,
        published SMALLINT NOT NULL DEFAULT 0,
        visible SMALLINT NOT NULL DEFAULT 0,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )",
    "CREATE TABLE IF NOT EXISTS change_log_horizon (id INTEGER PRIMARY KEY, position BIGINT NOT NULL)",
    "ALTER TABLE places ADD COLUMN IF NOT EXISTS log_position BIGINT NOT NULL DEFAULT 0",
];

/// Both backends: the compaction and delta sync read entries by place; every existing place
/// gets an entry (with its location as the area it touched) and remembers its position.
const COMMON: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS idx_change_log_place ON change_log (place_id, position)",
    "INSERT INTO change_log_horizon (id, position) VALUES (1, 0)",
    "INSERT INTO change_log (place_id, min_lat, min_lng, max_lat, max_lng, published, visible)
        SELECT id, latitude, longitude, latitude, longitude,
            CASE WHEN publication = 'PUBLISHED' THEN 1 ELSE 0 END,
            CASE WHEN publication = 'PUBLISHED' THEN 1 ELSE 0 END
        FROM places ORDER BY id",
    "UPDATE places SET log_position = (SELECT MAX(position) FROM change_log WHERE change_log.place_id = places.id)
        WHERE EXISTS (SELECT 1 FROM change_log WHERE change_log.place_id = places.id)",
    "DROP INDEX IF EXISTS idx_places_updated_at",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let specific = match backend {
            DatabaseBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        let db = manager.get_connection();
        for sql in specific.iter().chain(COMMON) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE IF EXISTS change_log_horizon")
            .await?;
        db.execute_unprepared("DROP TABLE IF EXISTS change_log").await?;
        db.execute_unprepared("ALTER TABLE places DROP COLUMN log_position")
            .await?;
        Ok(())
    }
}
