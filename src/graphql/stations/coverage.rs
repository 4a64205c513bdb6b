//! Where the network has gaps, for the city's administrators.

use async_graphql::{Context, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    domain::{geo::Within, stations::coverage},
    graphql::{
        context::ContextExt,
        enums::PlaceKind,
        places::{Location, WithinInput},
    },
};

/// A cell of about 500 m where riders looked for help and no place of the asked kinds is
/// within reach.
#[derive(SimpleObject)]
pub struct CoverageGap {
    /// The cell's centre (WGS84). Demand is counted per cell and day, never per point.
    pub centre: Location,
    /// How many `nearby` and `search` requests were centred in the cell over the range.
    pub demand: i64,
    /// Metres from the centre to the nearest published place of the kinds; null when
    /// there is none within 50 km.
    pub nearest_meters: Option<f64>,
}

/// How much of the demand the network covers.
#[derive(SimpleObject)]
pub struct Coverage {
    /// Looks for help over the range.
    pub demand: i64,
    /// Those made in a cell with a place of the kinds within reach.
    pub covered: i64,
    /// `covered / demand`, 0 to 1; null without demand.
    pub share: Option<f64>,
}

#[derive(Default)]
/// Coverage queries: `coverageGaps` and `coverage`.
pub struct CoverageQuery;

fn within_of(within: WithinInput) -> Result<Within> {
    Within::from_parts(within.meters, within.minutes, within.mode.map(Into::into)).extend()
}

#[Object]
impl CoverageQuery {
    /// The cells where riders looked for help most over `[from, to)` (days in the city's
    /// calendar) with no published place of `kinds` (any kind when omitted) within reach,
    /// busiest first, with the distance to the nearest such place. Answers the city's own
    /// goal ("居民步行10分钟内…") with data. Admins only.
    async fn coverage_gaps(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<PlaceKind>>,
        #[graphql(desc = "What counts as within reach: { minutes: 10, mode: WALK } or { meters: 800 }.")]
        within: WithinInput,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        #[graphql(desc = "How many cells to return, 1 to 100 (default 20).")] first: Option<i32>,
    ) -> Result<Vec<CoverageGap>> {
        let first = match first.unwrap_or(20) {
            first @ 1..=100 => first as usize,
            other => {
                return Err(crate::error::AppError::bad_input(format!(
                    "first must be 1 to 100, got {other}"
                )))
                .extend();
            }
        };
        let kinds = kinds.unwrap_or_default().into_iter().map(Into::into).collect();
        let gaps = coverage::gaps(
            ctx.domain(),
            ctx.viewer(),
            kinds,
            within_of(within)?,
            (from, to),
            first,
        )
        .await
        .extend()?;
        Ok(gaps
            .into_iter()
            .map(|gap| CoverageGap {
                centre: Location {
                    lat: gap.centre.lat,
                    lng: gap.centre.lng,
                },
                demand: gap.demand,
                nearest_meters: gap.nearest_meters,
            })
            .collect())
    }

    /// The share of the demand over `[from, to)` made within reach of a published place
    /// of `kinds` (any kind when omitted). Admins only.
    async fn coverage(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<PlaceKind>>,
        within: WithinInput,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Coverage> {
        let kinds = kinds.unwrap_or_default().into_iter().map(Into::into).collect();
        let found = coverage::coverage(ctx.domain(), ctx.viewer(), kinds, within_of(within)?, (from, to))
            .await
            .extend()?;
        Ok(Coverage {
            demand: found.demand,
            covered: found.covered,
            share: (found.demand > 0).then(|| found.covered as f64 / found.demand as f64),
        })
    }
}
