//! Where the network has gaps: the cells where riders looked for help most, with no place
//! of the asked kinds within reach, and the share of demand the network covers. Demand is
//! summed per cell by the database; each cell is then matched against the in-memory
//! directory, so no query loads the places.

use chrono::{DateTime, Duration, Utc};
use entity::place::PlaceKind;
use sea_orm::ConnectionTrait;

use crate::{
    auth::{Viewer, policy},
    domain::{
        Domain,
        change_log::statement,
        demand::{Cell, local_day},
        directory::PlaceFilter,
        geo::{Point, Within},
    },
    error::AppResult,
};

/// Cells examined per request at most, busiest first: the long tail of cells with one or
/// two looks cannot make a request slow.
const MAX_CELLS: u64 = 20_000;
/// How far to look for the nearest place of the kinds when none is within reach.
const NEAREST_SEARCH_METERS: f64 = 50_000.0;

/// A cell with demand and nothing of the asked kinds within reach.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    /// The cell's centre.
    pub centre: Point,
    /// Looks for help in the cell over the range.
    pub demand: i64,
    /// Metres from the centre to the nearest published place of the kinds; `None` when
    /// there is none within 50 km.
    pub nearest_meters: Option<f64>,
}

/// How much of the demand the network covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coverage {
    /// Looks for help over the range.
    pub demand: i64,
    /// Those made in a cell with a place of the kinds within reach.
    pub covered: i64,
}

/// The demand per cell over `[from, to)`, busiest first.
async fn demand_by_cell(
    domain: &Domain,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<(Cell, i64)>> {
    // Counts this instance has not written yet belong to the answer too.
    domain.demand.flush(&domain.db).await?;
    let first_day = local_day(from).to_string();
    let last_day = local_day(to - Duration::nanoseconds(1)).to_string();
    let rows = domain
        .db
        .query_all_raw(statement(
            domain.db.get_database_backend(),
            "SELECT cell_lat, cell_lng, CAST(SUM(count) AS BIGINT) AS demand FROM demand_cells \
             WHERE day >= ? AND day <= ? GROUP BY cell_lat, cell_lng \
             ORDER BY demand DESC, cell_lat, cell_lng LIMIT ?",
            vec![first_day.into(), last_day.into(), (MAX_CELLS as i64).into()],
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            let cell = Cell {
                lat: row.try_get("", "cell_lat")?,
                lng: row.try_get("", "cell_lng")?,
            };
            Ok((cell, row.try_get::<i64>("", "demand")?))
        })
        .collect()
}

/// Metres from `centre` to the nearest published place of `kinds`, if one is within 50 km.
fn nearest(domain: &Domain, centre: Point, filter: &PlaceFilter, now: DateTime<Utc>) -> Option<f64> {
    domain
        .directory
        .nearest(centre, NEAREST_SEARCH_METERS, filter, now, None, 1)
        .items
        .first()
        .and_then(|found| found.distance_meters())
}

fn kinds_filter(kinds: Vec<PlaceKind>) -> PlaceFilter {
    PlaceFilter {
        kinds,
        ..PlaceFilter::default()
    }
}

/// The `first` cells with the most demand over `[from, to)` and no published place of
/// `kinds` (any kind when empty) within reach. Admins only.
pub async fn gaps(
    domain: &Domain,
    viewer: &Viewer,
    kinds: Vec<PlaceKind>,
    within: Within,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    first: usize,
) -> AppResult<Vec<Gap>> {
    policy::may_moderate(viewer)?;
    let (from, to) = super::stats::check_range(from, to)?;
    let reach = within.radius_meters(&domain.rules.travel);
    let filter = kinds_filter(kinds);
    let now = Utc::now();
    let mut found = Vec::new();
    for (cell, demand) in demand_by_cell(domain, from, to).await? {
        if found.len() >= first {
            break;
        }
        let centre = cell.centre();
        let nearest_meters = nearest(domain, centre, &filter, now);
        if nearest_meters.is_none_or(|meters| meters > reach) {
            found.push(Gap {
                centre,
                demand,
                nearest_meters,
            });
        }
    }
    Ok(found)
}

/// The share of demand over `[from, to)` made within reach of a published place of
/// `kinds`. Admins only.
pub async fn coverage(
    domain: &Domain,
    viewer: &Viewer,
    kinds: Vec<PlaceKind>,
    within: Within,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Coverage> {
    policy::may_moderate(viewer)?;
    let (from, to) = super::stats::check_range(from, to)?;
    let reach = within.radius_meters(&domain.rules.travel);
    let filter = kinds_filter(kinds);
    let now = Utc::now();
    let mut total = Coverage {
        demand: 0,
        covered: 0,
    };
    for (cell, demand) in demand_by_cell(domain, from, to).await? {
        total.demand += demand;
        if nearest(domain, cell.centre(), &filter, now).is_some_and(|meters| meters <= reach) {
            total.covered += demand;
        }
    }
    Ok(total)
}
