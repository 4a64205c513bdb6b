//! The numbers the city reports: visits and distinct workers per period and worker group,
//! loans, and the network's totals. Every figure is a `GROUP BY` in the database over
//! indexed columns (`visits(place_id, visited_at)`, `visits(visited_at)`, the loans'
//! equivalents); periods are the stored local day and week in the Asia/Shanghai
//! calendar, month and year their prefixes. No row is loaded to be counted here.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, QueryResult, Value};

use crate::{
    auth::{
        Viewer,
        policy::{self, OwnedPlace},
    },
    domain::{Domain, change_log::statement, hours},
    error::{AppError, AppResult},
};

/// The longest range one request counts over.
pub const MAX_RANGE_DAYS: i64 = 3_660;
/// How many places `busiest` names.
pub const BUSIEST: usize = 10;

/// The length of a statistics period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// Calendar days in Asia/Shanghai.
    Day,
    /// Weeks from Monday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

impl Period {
    /// The SQL expression of a row's period label.
    fn expression(self) -> &'static str {
        match self {
            Self::Day => "local_day",
            Self::Week => "local_week",
            Self::Month => "substr(local_day, 1, 7)",
            Self::Year => "substr(local_day, 1, 4)",
        }
    }
}

/// Distinct accounts, portable to SQLite and PostgreSQL.
const WORKERS: &str = "COUNT(DISTINCT worker_role || ':' || worker_subject)";

/// Counts for one worker group; `group` is `None` for tokens that named none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupCount {
    /// The group, as the token named it.
    pub group: Option<String>,
    /// Visits by workers of the group.
    pub visits: i64,
    /// Distinct workers of the group.
    pub workers: i64,
}

/// One period of a place's statistics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeriodCount {
    /// `2026-11-30` (day; a week by its Monday), `2026-11` or `2026`.
    pub period: String,
    /// Visits in the period.
    pub visits: i64,
    /// Distinct workers in the period.
    pub workers: i64,
    /// Loans made in the period.
    pub loans: i64,
    /// Visits and workers by group in the period.
    pub by_group: Vec<GroupCount>,
}

/// A place's statistics over a range.
#[derive(Clone, Debug, Default)]
pub struct VisitStats {
    /// Visits over the range.
    pub visits: i64,
    /// Distinct workers over the range, each counted once.
    pub workers: i64,
    /// Loans made over the range.
    pub loans: i64,
    /// Visits and workers by group over the range.
    pub by_group: Vec<GroupCount>,
    /// Periods with a visit or a loan, oldest first.
    pub periods: Vec<PeriodCount>,
}

/// Checks a statistics range: both ends within the years the service evaluates, `from`
/// before `to`, at most `MAX_RANGE_DAYS` apart.
pub fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let from = hours::check_instant("from", from)?;
    let to = hours::check_instant("to", to)?;
    if from >= to {
        return Err(AppError::bad_input(format!(
            "from ({from}) must come before to ({to})"
        )));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(AppError::bad_input(format!(
            "a range spans at most {MAX_RANGE_DAYS} days; ask for several"
        )));
    }
    Ok((from, to))
}

async fn rows(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> AppResult<Vec<QueryResult>> {
    Ok(db
        .query_all_raw(statement(db.get_database_backend(), sql, values))
        .await?)
}

fn count(row: &QueryResult, column: &str) -> AppResult<i64> {
    Ok(row.try_get::<i64>("", column)?)
}

fn groups(found: &[QueryResult]) -> AppResult<Vec<GroupCount>> {
    found
        .iter()
        .map(|row| {
            Ok(GroupCount {
                group: row.try_get::<Option<String>>("", "worker_group")?,
                visits: count(row, "visits")?,
                workers: count(row, "workers")?,
            })
        })
        .collect()
}

/// A place's visits, distinct workers and loans per period, by worker group. The place's
/// owner and admins only.
pub async fn of_place(
    domain: &Domain,
    viewer: &Viewer,
    place: &impl OwnedPlace,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: Period,
) -> AppResult<VisitStats> {
    policy::may_run_station(viewer, place)?;
    let (from, to) = check_range(from, to)?;
    let db = &domain.db;
    let range = || vec![place.id().into(), from.into(), to.into()];
    let visits_where = "FROM visits WHERE place_id = ? AND visited_at >= ? AND visited_at < ?";
    let p = by.expression();
    let mut periods: BTreeMap<String, PeriodCount> = BTreeMap::new();
    for row in rows(
        db,
        &format!(
            "SELECT {p} AS period, COUNT(*) AS visits, {WORKERS} AS workers {visits_where} GROUP BY {p}"
        ),
        range(),
    )
    .await?
    {
        let period: String = row.try_get("", "period")?;
        let entry = periods.entry(period.clone()).or_default();
        entry.period = period;
        entry.visits = count(&row, "visits")?;
        entry.workers = count(&row, "workers")?;
    }
    for row in rows(
        db,
        &format!("SELECT {p} AS period, worker_group, COUNT(*) AS visits, {WORKERS} AS workers {visits_where} GROUP BY {p}, worker_group ORDER BY {p}, worker_group"),
        range(),
    )
    .await?
    {
        let period: String = row.try_get("", "period")?;
        let group = groups(std::slice::from_ref(&row))?;
        periods.entry(period).or_default().by_group.extend(group);
    }
    for row in rows(
        db,
        &format!("SELECT {p} AS period, COUNT(*) AS loans FROM loans WHERE place_id = ? AND borrowed_at >= ? AND borrowed_at < ? GROUP BY {p}"),
        range(),
    )
    .await?
    {
        let period: String = row.try_get("", "period")?;
        let entry = periods.entry(period.clone()).or_default();
        entry.period = period;
        entry.loans = count(&row, "loans")?;
    }
    let totals = rows(
        db,
        &format!("SELECT COUNT(*) AS visits, {WORKERS} AS workers {visits_where}"),
        range(),
    )
    .await?;
    let by_group = rows(
        db,
        &format!("SELECT worker_group, COUNT(*) AS visits, {WORKERS} AS workers {visits_where} GROUP BY worker_group ORDER BY worker_group"),
        range(),
    )
    .await?;
    let loans = rows(
        db,
        "SELECT COUNT(*) AS loans FROM loans WHERE place_id = ? AND borrowed_at >= ? AND borrowed_at < ?",
        range(),
    )
    .await?;
    Ok(VisitStats {
        visits: totals
            .first()
            .map(|row| count(row, "visits"))
            .transpose()?
            .unwrap_or(0),
        workers: totals
            .first()
            .map(|row| count(row, "workers"))
            .transpose()?
            .unwrap_or(0),
        loans: loans
            .first()
            .map(|row| count(row, "loans"))
            .transpose()?
            .unwrap_or(0),
        by_group: groups(&by_group)?,
        periods: periods.into_values().collect(),
    })
}

/// Counts for one kind of place (and, for `places`, one publication state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindCount {
    /// The kind of place.
    pub kind: String,
    /// The publication state, for place counts.
    pub publication: Option<String>,
    /// How many.
    pub count: i64,
}

/// Visits and loans at one kind of place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindActivity {
    /// The kind of place.
    pub kind: String,
    /// Visits at places of that kind.
    pub visits: i64,
    /// Loans at places of that kind.
    pub loans: i64,
}

/// The network's figures over a range.
#[derive(Clone, Debug, Default)]
pub struct NetworkStats {
    /// Places now, by kind and publication.
    pub places: Vec<KindCount>,
    /// Distinct workers served over the range (each counted once), and by group.
    pub workers: i64,
    /// Distinct workers served over the range, by group.
    pub workers_by_group: Vec<GroupCount>,
    /// Visits over the range.
    pub visits: i64,
    /// Loans made over the range.
    pub loans: i64,
    /// Visits and loans by kind of place.
    pub by_kind: Vec<KindActivity>,
    /// The places with the most visits over the range: (place id, visits).
    pub busiest: Vec<(i32, i64)>,
    /// Loans not returned and past due now.
    pub overdue_loans: i64,
}

/// The network's statistics. Admins only.
pub async fn of_network(
    domain: &Domain,
    viewer: &Viewer,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<NetworkStats> {
    policy::may_moderate(viewer)?;
    let (from, to) = check_range(from, to)?;
    let db = &domain.db;
    let range = || vec![from.into(), to.into()];
    let visits_where = "FROM visits WHERE visited_at >= ? AND visited_at < ?";
    let places = rows(db, "SELECT kind, publication, COUNT(*) AS n FROM places WHERE deleted_at IS NULL GROUP BY kind, publication ORDER BY kind, publication", vec![])
        .await?
        .iter()
        .map(|row| {
            Ok(KindCount {
                kind: row.try_get("", "kind")?,
                publication: Some(row.try_get("", "publication")?),
                count: count(row, "n")?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let totals = rows(
        db,
        &format!("SELECT COUNT(*) AS visits, {WORKERS} AS workers {visits_where}"),
        range(),
    )
    .await?;
    let workers_by_group = rows(
        db,
        &format!("SELECT worker_group, COUNT(*) AS visits, {WORKERS} AS workers {visits_where} GROUP BY worker_group ORDER BY worker_group"),
        range(),
    )
    .await?;
    let mut by_kind: BTreeMap<String, KindActivity> = BTreeMap::new();
    for row in rows(
        db,
        "SELECT p.kind AS kind, COUNT(*) AS n FROM visits v JOIN places p ON p.id = v.place_id \
         WHERE v.visited_at >= ? AND v.visited_at < ? GROUP BY p.kind",
        range(),
    )
    .await?
    {
        let kind: String = row.try_get("", "kind")?;
        by_kind
            .entry(kind.clone())
            .or_insert_with(|| KindActivity {
                kind,
                ..Default::default()
            })
            .visits = count(&row, "n")?;
    }
    for row in rows(
        db,
        "SELECT p.kind AS kind, COUNT(*) AS n FROM loans l JOIN places p ON p.id = l.place_id \
         WHERE l.borrowed_at >= ? AND l.borrowed_at < ? GROUP BY p.kind",
        range(),
    )
    .await?
    {
        let kind: String = row.try_get("", "kind")?;
        by_kind
            .entry(kind.clone())
            .or_insert_with(|| KindActivity {
                kind,
                ..Default::default()
            })
            .loans = count(&row, "n")?;
    }
    let busiest = rows(
        db,
        &format!("SELECT place_id, COUNT(*) AS n {visits_where} GROUP BY place_id ORDER BY n DESC, place_id LIMIT {BUSIEST}"),
        range(),
    )
    .await?
    .iter()
    .map(|row| Ok((row.try_get::<i32>("", "place_id")?, count(row, "n")?)))
    .collect::<AppResult<Vec<_>>>()?;
    let loans = rows(
        db,
        "SELECT COUNT(*) AS n FROM loans WHERE borrowed_at >= ? AND borrowed_at < ?",
        range(),
    )
    .await?;
    let overdue = rows(
        db,
        "SELECT COUNT(*) AS n FROM loans WHERE returned_at IS NULL AND due_at < ?",
        vec![Utc::now().into()],
    )
    .await?;
    let first = |found: &[QueryResult], column: &str| -> AppResult<i64> {
        found
            .first()
            .map(|row| count(row, column))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(NetworkStats {
        places,
        workers: first(&totals, "workers")?,
        workers_by_group: groups(&workers_by_group)?,
        visits: first(&totals, "visits")?,
        loans: first(&loans, "n")?,
        by_kind: by_kind.into_values().collect(),
        busiest,
        overdue_loans: first(&overdue, "n")?,
    })
}
