//! Opening hours in OpenStreetMap syntax, evaluated in the place's own time zone.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use opening_hours::{OpeningHours, RuleKind};

use crate::error::{AppError, AppResult};

/// The zone of every place unless it says otherwise.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// A parsed `opening_hours` value and the zone it is read in.
#[derive(Clone)]
pub struct Hours {
    rules: Arc<OpeningHours>,
    zone: Tz,
}

impl std::fmt::Debug for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hours")
            .field("zone", &self.zone)
            .finish_non_exhaustive()
    }
}

impl Hours {
    /// Parses an expression such as `Mo-Fr 08:00-20:00; Sa 10:00-14:00` or `24/7`.
    pub fn parse(expression: &str, zone: &str) -> AppResult<Self> {
        let zone = parse_zone(zone)?;
        let rules: OpeningHours = expression.parse().map_err(|error| {
            AppError::bad_input(format!(
                "openingHours {expression:?} is not valid OpenStreetMap opening_hours syntax \
                 (for example \"Mo-Fr 08:00-20:00; Sa 10:00-14:00\" or \"24/7\"): {error}"
            ))
        })?;
        Ok(Self {
            rules: Arc::new(rules),
            zone,
        })
    }

    /// Open (`Some(true)`), closed (`Some(false)`) or unknown (`None`) at `at`.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> Option<bool> {
        match self.rules.state(at.with_timezone(&self.zone).naive_local()).0 {
            RuleKind::Open => Some(true),
            RuleKind::Closed => Some(false),
            RuleKind::Unknown => None,
        }
    }

    /// When the state next changes after `at`, if it ever does.
    pub fn next_change(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = self
            .rules
            .next_change(at.with_timezone(&self.zone).naive_local())?;
        // A change inside a daylight-saving gap has no local instant; take the earliest.
        self.zone
            .from_local_datetime(&local)
            .earliest()
            .map(|moment| moment.with_timezone(&Utc))
    }
}

pub fn parse_zone(zone: &str) -> AppResult<Tz> {
    zone.parse().map_err(|_| {
        AppError::bad_input(format!(
            "timeZone {zone:?} is not an IANA time zone name such as \"Asia/Shanghai\""
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        DEFAULT_TIME_ZONE
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn weekday_hours_are_read_in_the_places_own_zone() {
        let hours = Hours::parse("Mo-Fr 08:00-20:00; Sa 10:00-14:00", "Asia/Shanghai").unwrap();
        // Monday 2026-11-30, 08:30 in Shanghai is 00:30 UTC.
        assert_eq!(hours.is_open_at(shanghai(2026, 11, 30, 8, 30)), Some(true));
        assert_eq!(hours.is_open_at(shanghai(2026, 11, 30, 7, 59)), Some(false));
        assert_eq!(hours.is_open_at(shanghai(2026, 11, 29, 12, 0)), Some(false));
        assert_eq!(
            hours.next_change(shanghai(2026, 11, 30, 8, 30)),
            Some(shanghai(2026, 11, 30, 20, 0))
        );
    }

    #[test]
    fn around_the_clock_is_always_open() {
        let hours = Hours::parse("24/7", "Asia/Shanghai").unwrap();
        assert_eq!(hours.is_open_at(Utc::now()), Some(true));
        assert_eq!(hours.next_change(Utc::now()), None);
    }

    #[test]
    fn bad_syntax_and_zones_are_refused_with_an_example() {
        let error = Hours::parse("whenever", "Asia/Shanghai").unwrap_err();
        assert!(error.to_string().contains("Mo-Fr 08:00-20:00"));
        assert!(Hours::parse("24/7", "Mars/Olympus").is_err());
    }
}
