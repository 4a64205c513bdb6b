//! Statistics in GraphQL: `Place.visitStats` and `networkStats`.

use async_graphql::{Context, Enum, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    domain::{
        directory::Listing,
        places,
        stations::stats::{self, GroupCount, Period},
    },
    graphql::{
        context::ContextExt,
        enums::{PlaceKind, Publication, WorkerGroup},
        places::Place,
    },
};

fn worker_group(name: Option<String>) -> Option<WorkerGroup> {
    serde_json::from_value::<entity::place::WorkerGroup>(serde_json::Value::String(name?))
        .ok()
        .map(Into::into)
}

fn place_kind(name: &str) -> Option<PlaceKind> {
    use sea_orm::ActiveEnum;
    entity::place::PlaceKind::try_from_value(&name.to_owned())
        .ok()
        .map(Into::into)
}

fn publication(name: &str) -> Option<Publication> {
    use sea_orm::ActiveEnum;
    entity::place::Publication::try_from_value(&name.to_owned())
        .ok()
        .map(Into::into)
}

/// The length of a statistics period, in the Asia/Shanghai calendar.
#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatsPeriod {
    /// Calendar days; `period` is the date, such as "2026-11-30".
    Day,
    /// ISO weeks from Monday; `period` is the Monday's date.
    Week,
    /// Calendar months; `period` is such as "2026-11". The default.
    #[default]
    Month,
    /// Calendar years; `period` is such as "2026".
    Year,
}

impl From<StatsPeriod> for Period {
    fn from(period: StatsPeriod) -> Self {
        match period {
            StatsPeriod::Day => Self::Day,
            StatsPeriod::Week => Self::Week,
            StatsPeriod::Month => Self::Month,
            StatsPeriod::Year => Self::Year,
        }
    }
}

/// Visits and distinct workers of one worker group.
#[derive(SimpleObject)]
pub struct GroupStats {
    /// The group the workers' tokens named; null for tokens that named none.
    pub group: Option<WorkerGroup>,
    /// Check-ins (repeats within 30 minutes count once).
    pub visits: i64,
    /// Distinct workers.
    pub workers: i64,
}

fn group_stats(counts: Vec<GroupCount>) -> Vec<GroupStats> {
    counts
        .into_iter()
        .map(|count| GroupStats {
            group: worker_group(count.group),
            visits: count.visits,
            workers: count.workers,
        })
        .collect()
}

/// One period of a place's statistics.
#[derive(SimpleObject)]
pub struct PeriodStats {
    /// The period: "2026-11-30" (a day, or the Monday of a week), "2026-11" or "2026".
    pub period: String,
    /// Check-ins in the period.
    pub visits: i64,
    /// Distinct workers who checked in.
    pub workers: i64,
    /// Loans made in the period.
    pub loans: i64,
    /// Visits and workers by worker group.
    pub by_group: Vec<GroupStats>,
}

/// A place's statistics over a range.
#[derive(SimpleObject)]
pub struct VisitStats {
    /// Check-ins over the whole range.
    pub visits: i64,
    /// Distinct workers over the whole range (each counted once).
    pub workers: i64,
    /// Loans made over the whole range.
    pub loans: i64,
    /// Visits and distinct workers by worker group over the whole range.
    pub by_group: Vec<GroupStats>,
    /// The periods with a visit or a loan, oldest first; periods without either are left out.
    pub periods: Vec<PeriodStats>,
}

/// A place's statistics for its owner and admins.
pub async fn visit_stats_of(
    ctx: &Context<'_>,
    place: &Listing,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: StatsPeriod,
) -> Result<VisitStats> {
    let found = stats::of_place(ctx.domain(), ctx.viewer(), place, from, to, by.into())
        .await
        .extend()?;
    Ok(VisitStats {
        visits: found.visits,
        workers: found.workers,
        loans: found.loans,
        by_group: group_stats(found.by_group),
        periods: found
            .periods
            .into_iter()
            .map(|period| PeriodStats {
                period: period.period,
                visits: period.visits,
                workers: period.workers,
                loans: period.loans,
                by_group: group_stats(period.by_group),
            })
            .collect(),
    })
}

/// How many places of a kind are in a publication state.
#[derive(SimpleObject)]
pub struct PlaceCount {
    /// The kind of place.
    pub kind: PlaceKind,
    /// The publication state.
    pub publication: Publication,
    /// How many.
    pub count: i64,
}

/// Visits and loans at one kind of place.
#[derive(SimpleObject)]
pub struct KindStats {
    /// The kind of place.
    pub kind: PlaceKind,
    /// Check-ins at places of this kind.
    pub visits: i64,
    /// Loans made at places of this kind.
    pub loans: i64,
}

/// A place and its visits.
pub struct BusyPlace {
    place_id: i32,
    visits: i64,
}

#[Object]
impl BusyPlace {
    /// The place.
    async fn place(&self, ctx: &Context<'_>) -> Result<Option<Place>> {
        Ok(places::find(ctx.domain(), ctx.viewer(), self.place_id)
            .await
            .extend()?
            .map(Place::new))
    }

    /// Its check-ins over the range.
    async fn visits(&self) -> i64 {
        self.visits
    }
}

/// The network's figures over a range.
#[derive(SimpleObject)]
pub struct NetworkStats {
    /// Places now, by kind and publication state.
    pub places: Vec<PlaceCount>,
    /// Distinct workers served over the range, each counted once (the figure the city
    /// reports, like the article's 2,047 new-economy workers).
    pub workers_served: i64,
    /// Distinct workers served and their visits, by worker group.
    pub by_group: Vec<GroupStats>,
    /// Check-ins over the range.
    pub visits: i64,
    /// Loans made over the range.
    pub loans: i64,
    /// Visits and loans by kind of place.
    pub by_kind: Vec<KindStats>,
    /// The ten places with the most check-ins, busiest first.
    pub busiest_places: Vec<BusyPlace>,
    /// Loans out and past due right now.
    pub overdue_loans: i64,
}

#[derive(Default)]
/// Statistics queries: `networkStats`.
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// The network's statistics over `[from, to)`: places by kind and publication,
    /// distinct workers served by group, visits and loans by kind of place, the busiest
    /// places, overdue loans. Admins only. The range spans at most 3,660 days.
    async fn network_stats(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<NetworkStats> {
        let found = stats::of_network(ctx.domain(), ctx.viewer(), from, to)
            .await
            .extend()?;
        Ok(NetworkStats {
            places: found
                .places
                .into_iter()
                .filter_map(|count| {
                    Some(PlaceCount {
                        kind: place_kind(&count.kind)?,
                        publication: publication(count.publication.as_deref()?)?,
                        count: count.count,
                    })
                })
                .collect(),
            workers_served: found.workers,
            by_group: group_stats(found.workers_by_group),
            visits: found.visits,
            loans: found.loans,
            by_kind: found
                .by_kind
                .into_iter()
                .filter_map(|kind| {
                    Some(KindStats {
                        kind: place_kind(&kind.kind)?,
                        visits: kind.visits,
                        loans: kind.loans,
                    })
                })
                .collect(),
            busiest_places: found
                .busiest
                .into_iter()
                .map(|(place_id, visits)| BusyPlace { place_id, visits })
                .collect(),
            overdue_loans: found.overdue_loans,
        })
    }
}
