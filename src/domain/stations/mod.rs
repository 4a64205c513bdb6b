//! Station services (issue 12): the lending register (items and loans), check-ins, and
//! the statistics and exports the city reports from.
//!
//! Every row names its account by role and subject, as the riders' voice does. Item
//! writes and loans change what `Place.items` shows, so each is logged as a change of its
//! place in its own transaction, like every other write a reader of a place can see.
//! Visits are private to the place's managers and are not logged.

pub mod checkins;
pub mod coverage;
pub mod exports;
pub mod items;
pub mod loans;
pub mod privacy;
pub mod stats;

mod code;

use chrono::{DateTime, Datelike, Duration, Utc};
use entity::place;

use crate::{
    auth::{Viewer, policy},
    domain::{Domain, geo::Point, hours, places},
    error::AppResult,
};

/// The calendar statistics count in: the city's, whatever zone a place keeps its hours in.
pub const STATS_TIME_ZONE: chrono_tz::Tz = hours::DEFAULT_TIME_ZONE;

/// The local day (`YYYY-MM-DD`) and the Monday of its ISO week, in the statistics'
/// calendar: stored with each visit and loan, so periods are indexed columns.
pub fn local_day_and_week(at: DateTime<Utc>) -> (String, String) {
    let day = at.with_timezone(&STATS_TIME_ZONE).date_naive();
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    (day.to_string(), monday.to_string())
}

/// The place with `id` for its owner or an admin: `NOT_FOUND` when the viewer may not see
/// it, FORBIDDEN when they see it but do not run it.
pub async fn managed_place(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<place::Model> {
    let place = places::for_change(&domain.db, viewer, id).await?;
    policy::may_run_station(viewer, &place)?;
    Ok(place)
}

pub(crate) fn point_of(place: &place::Model) -> Point {
    Point {
        lat: place.latitude,
        lng: place.longitude,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_follow_the_shanghai_calendar() {
        // 2026-11-29 17:30 UTC is Monday 2026-11-30 01:30 in Shanghai.
        let at = DateTime::parse_from_rfc3339("2026-11-29T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(local_day_and_week(at), ("2026-11-30".into(), "2026-11-30".into()));
        let sunday = DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            local_day_and_week(sunday),
            ("2026-12-06".into(), "2026-11-30".into())
        );
    }
}
