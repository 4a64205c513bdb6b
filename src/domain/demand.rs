//! Where riders look for help. Every `nearby` and `search` centre is counted, anonymously,
//! in a cell of about 500 m and the city's local day: no account, no exact point, no time
//! finer than the day. Counts gather in memory (a request only bumps a counter) and are
//! added to the database's counts by `flush`, so several instances add up.

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Value};

use super::{change_log::statement, geo::Point, hours};
use crate::error::AppResult;

/// Cell height: 0.0045° of latitude, about 500 m.
pub const CELL_LAT_DEGREES: f64 = 0.0045;
/// Cell width: 0.0055° of longitude, about 500 m at China's latitudes.
pub const CELL_LNG_DEGREES: f64 = 0.0055;
/// Cells counted in memory between flushes at most; beyond it a count is dropped rather
/// than memory grown (and `dropped` says how many).
const MAX_PENDING_CELLS: usize = 50_000;
/// Rows per INSERT when flushing.
const ROWS_PER_INSERT: usize = 500;

/// A cell of the demand grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cell {
    /// The cell's row: latitude divided by `CELL_LAT_DEGREES`, rounded down.
    pub lat: i32,
    /// The cell's column: longitude divided by `CELL_LNG_DEGREES`, rounded down.
    pub lng: i32,
}

impl Cell {
    /// The cell holding `point`.
    pub fn of(point: Point) -> Self {
        Self {
            lat: (point.lat / CELL_LAT_DEGREES).floor() as i32,
            lng: (point.lng / CELL_LNG_DEGREES).floor() as i32,
        }
    }

    /// The cell's centre.
    pub fn centre(self) -> Point {
        Point {
            lat: (f64::from(self.lat) + 0.5) * CELL_LAT_DEGREES,
            lng: (f64::from(self.lng) + 0.5) * CELL_LNG_DEGREES,
        }
    }
}

/// The day a moment falls on in the city's calendar.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&hours::DEFAULT_TIME_ZONE).date_naive()
}

#[derive(Default)]
struct Pending {
    counts: HashMap<(NaiveDate, Cell), i64>,
    dropped: u64,
}

/// Demand counted by this instance and not yet added to the database.
#[derive(Default)]
pub struct Demand {
    pending: Mutex<Pending>,
    /// Held by a flush from taking the counts until they are written, so a reader that
    /// flushes meanwhile waits for them instead of reading the database without them.
    writing: tokio::sync::Mutex<()>,
}

impl Demand {
    /// Counts one look for help at `at`, on the local day of `now`.
    pub fn record(&self, at: Point, now: DateTime<Utc>) {
        let key = (local_day(now), Cell::of(at));
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pending.counts.len() >= MAX_PENDING_CELLS && !pending.counts.contains_key(&key) {
            pending.dropped += 1;
            return;
        }
        *pending.counts.entry(key).or_default() += 1;
    }

    /// Adds the counts gathered since the last flush to the database's. A failed write
    /// puts them back, so a database outage loses nothing it can hold.
    pub async fn flush(&self, db: &impl ConnectionTrait) -> AppResult<()> {
        let _writing = self.writing.lock().await;
        let taken = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if pending.dropped > 0 {
                tracing::warn!(
                    dropped = pending.dropped,
                    "demand counts dropped: too many cells between flushes"
                );
                pending.dropped = 0;
            }
            std::mem::take(&mut pending.counts)
        };
        let rows: Vec<((NaiveDate, Cell), i64)> = taken.into_iter().collect();
        for (index, chunk) in rows.chunks(ROWS_PER_INSERT).enumerate() {
            if let Err(error) = add(db, chunk).await {
                let mut pending = self
                    .pending
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                for &(key, count) in &rows[index * ROWS_PER_INSERT..] {
                    *pending.counts.entry(key).or_default() += count;
                }
                return Err(error);
            }
        }
        Ok(())
    }
}

/// One multi-row upsert that adds `rows` to the stored counts.
async fn add(db: &impl ConnectionTrait, rows: &[((NaiveDate, Cell), i64)]) -> AppResult<()> {
    let placeholders = vec!["(?, ?, ?, ?)"; rows.len()].join(", ");
    let values: Vec<Value> = rows
        .iter()
        .flat_map(|((day, cell), count)| {
            [
                day.to_string().into(),
                cell.lat.into(),
                cell.lng.into(),
                (*count).into(),
            ]
        })
        .collect();
    db.execute_raw(statement(
        db.get_database_backend(),
        &format!(
            "INSERT INTO demand_cells (day, cell_lat, cell_lng, count) VALUES {placeholders} \
             ON CONFLICT (day, cell_lat, cell_lng) DO UPDATE SET count = demand_cells.count + excluded.count"
        ),
        values,
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_holds_its_centre_and_neighbours_are_about_500_m_apart() {
        let point = Point {
            lat: 36.1842,
            lng: 116.7618,
        };
        let cell = Cell::of(point);
        assert_eq!(Cell::of(cell.centre()), cell);
        let north = Cell {
            lat: cell.lat + 1,
            ..cell
        };
        let east = Cell {
            lng: cell.lng + 1,
            ..cell
        };
        let apart = [north, east].map(|other| cell.centre().distance_to(other.centre()));
        assert!(
            apart.iter().all(|meters| (440.0..560.0).contains(meters)),
            "{apart:?}"
        );
    }
}
