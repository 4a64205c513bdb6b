//! Opening hours in OpenStreetMap syntax, evaluated in the place's own time zone against
//! China's work calendar: `PH` is every day of each official holiday period, and a place
//! that follows the work calendar opens on make-up working days (调休) with the hours of
//! the weekday the calendar names (Monday unless it says otherwise).

use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use compact_calendar::CompactCalendar;
use opening_hours::{Context, ContextHolidays, OpeningHours, RuleKind};

use super::calendar::WorkCalendar;
use crate::error::{AppError, AppResult};

/// The zone of every place unless it says otherwise.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// The instants opening hours are evaluated for: time zone arithmetic on far-off dates
/// overflows, and no rider plans beyond this.
const EARLIEST_YEAR: i32 = 1970;
const LATEST_YEAR: i32 = 2200;

/// Refuses instants outside the years opening hours can be evaluated for.
pub fn check_instant(field: &str, at: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    use chrono::Datelike;
    if (EARLIEST_YEAR..LATEST_YEAR).contains(&at.year()) {
        Ok(at)
    } else {
        Err(AppError::bad_input(format!(
            "{field} must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}, got {at}"
        )))
    }
}

/// How far ahead `next_change` looks, day by day, around make-up working days.
const LOOKAHEAD_DAYS: usize = 14;

/// How far ahead a change of state is looked for at all. Unbounded, the library scans day
/// by day to the year 10000 for hours that never change but are not written `24/7` (such as
/// `Mo-Su 10:00-10:00`): tens of seconds of CPU on a worker thread per evaluation.
const CHANGE_HORIZON_DAYS: u64 = 400;

/// A parsed `opening_hours` value, the zone it is read in, and the calendar it follows.
#[derive(Clone)]
pub struct Hours {
    rules: Arc<OpeningHours>,
    zone: Tz,
    calendar: Arc<WorkCalendar>,
}

impl std::fmt::Debug for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hours")
            .field("zone", &self.zone)
            .finish_non_exhaustive()
    }
}

/// An interval during which a place is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// When it opens.
    pub opens: DateTime<Utc>,
    /// When it closes.
    pub closes: DateTime<Utc>,
}

impl Hours {
    /// Parses an expression such as `Mo-Fr 08:00-20:00; Sa 10:00-14:00` or `24/7`.
    pub fn parse(expression: &str, zone: &str, calendar: Arc<WorkCalendar>) -> AppResult<Self> {
        let zone = parse_zone(zone)?;
        let rules: OpeningHours = expression.parse().map_err(|error| {
            AppError::bad_input(format!(
                "openingHours {expression:?} is not valid OpenStreetMap opening_hours syntax \
                 (for example \"Mo-Fr 08:00-20:00; Sa 10:00-14:00\" or \"24/7\"): {error}"
            ))
        })?;
        let holidays = ContextHolidays::new(calendar.holidays(), Arc::new(CompactCalendar::default()));
        let rules = rules.with_context(Context::default().with_holidays(holidays));
        Ok(Self {
            rules: Arc::new(rules),
            zone,
            calendar,
        })
    }

    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.zone).naive_local()
    }

    fn utc(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        // A change inside a daylight-saving gap has no local instant; take the earliest.
        self.zone
            .from_local_datetime(&local)
            .earliest()
            .map(|moment| moment.with_timezone(&Utc))
    }

    /// The date whose rules apply on `date`: itself, or for a make-up working day of a place
    /// that follows the calendar, an ordinary day of the weekday it borrows.
    fn effective_date(&self, date: NaiveDate, follows_calendar: bool) -> NaiveDate {
        match self.calendar.makeup_weekday(date) {
            Some(weekday) if follows_calendar => self.calendar.proxy_for(date, weekday),
            _ => date,
        }
    }

    fn state_local(&self, local: NaiveDateTime, follows_calendar: bool) -> RuleKind {
        let date = self.effective_date(local.date(), follows_calendar);
        self.rules.state(date.and_time(local.time())).0
    }

    /// Open (`Some(true)`), closed (`Some(false)`) or unknown (`None`) at `at`.
    pub fn is_open_at(&self, at: DateTime<Utc>, follows_calendar: bool) -> Option<bool> {
        match self.state_local(self.local(at), follows_calendar) {
            RuleKind::Open => Some(true),
            RuleKind::Closed => Some(false),
            RuleKind::Unknown => None,
        }
    }

    /// When the state next changes after `at`, if it does within the rules' horizon.
    pub fn next_change(&self, at: DateTime<Utc>, follows_calendar: bool) -> Option<DateTime<Utc>> {
        let local = self.local(at);
        if !follows_calendar {
            let horizon = local.checked_add_days(Days::new(CHANGE_HORIZON_DAYS))?;
            return self.utc(self.rules_next_change(local, horizon)?);
        }
        // Day by day, because a make-up day evaluates another date's rules.
        let initial = self.state_local(local, true);
        let mut cursor = local;
        for _ in 0..LOOKAHEAD_DAYS * 4 {
            let midnight = cursor
                .date()
                .checked_add_days(Days::new(1))?
                .and_time(NaiveTime::MIN);
            let effective = self.effective_date(cursor.date(), true);
            let shift = effective.signed_duration_since(cursor.date());
            // Only a change before midnight matters here, so the search ends there.
            let from = effective.and_time(cursor.time());
            if let Some(change) = self.rules_next_change(from, midnight + shift) {
                let change = change - shift;
                if change < midnight {
                    if self.state_local(change, true) != initial {
                        return self.utc(change);
                    }
                    cursor = change;
                    continue;
                }
            }
            cursor = midnight;
            if self.state_local(cursor, true) != initial {
                return self.utc(cursor);
            }
            if (cursor - local).num_days() > LOOKAHEAD_DAYS as i64 {
                break;
            }
        }
        None
    }

    /// The rules' next change of state after `from`, if there is one before `until`.
    fn rules_next_change(&self, from: NaiveDateTime, until: NaiveDateTime) -> Option<NaiveDateTime> {
        let current = self.rules.iter_range(from, until).next()?;
        (current.range.end < until).then_some(current.range.end)
    }

    /// The intervals the place is open on the local `date`.
    pub fn intervals_on(&self, date: NaiveDate, follows_calendar: bool) -> Vec<Interval> {
        let effective = self.effective_date(date, follows_calendar);
        let shift = effective.signed_duration_since(date);
        let start = effective.and_time(NaiveTime::MIN);
        let Some(end) = effective
            .checked_add_days(Days::new(1))
            .map(|day| day.and_time(NaiveTime::MIN))
        else {
            return Vec::new();
        };
        self.rules
            .iter_range(start, end)
            .filter(|range| range.kind == RuleKind::Open)
            .filter_map(|range| {
                Some(Interval {
                    opens: self.utc(range.range.start - shift)?,
                    closes: self.utc(range.range.end - shift)?,
                })
            })
            .collect()
    }

    /// The local date of `at` in the place's zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.local(at).date()
    }
}

/// An IANA time zone such as Asia/Shanghai, or `BAD_USER_INPUT`.
pub fn parse_zone(zone: &str) -> AppResult<Tz> {
    zone.parse().map_err(|_| {
        AppError::bad_input(format!(
            "timeZone {zone:?} is not an IANA time zone name such as \"Asia/Shanghai\""
        ))
    })
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;
    use crate::domain::calendar::{WorkCalendar, builtin_days};

    fn calendar() -> Arc<WorkCalendar> {
        Arc::new(WorkCalendar::from_days(builtin_days()))
    }

    fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        DEFAULT_TIME_ZONE
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn weekday_hours_are_read_in_the_places_own_zone() {
        let hours = Hours::parse("Mo-Fr 08:00-20:00; Sa 10:00-14:00", "Asia/Shanghai", calendar()).unwrap();
        // Monday 2026-11-30, 08:30 in Shanghai is 00:30 UTC.
        assert_eq!(hours.is_open_at(shanghai(2026, 11, 30, 8, 30), false), Some(true));
        assert_eq!(
            hours.is_open_at(shanghai(2026, 11, 30, 7, 59), false),
            Some(false)
        );
        assert_eq!(
            hours.is_open_at(shanghai(2026, 11, 29, 12, 0), false),
            Some(false)
        );
        let next = hours.next_change(shanghai(2026, 11, 30, 8, 30), false);
        assert_eq!(next, Some(shanghai(2026, 11, 30, 20, 0)));
        let today = hours.intervals_on(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), false);
        assert_eq!(
            today,
            vec![Interval {
                opens: shanghai(2026, 11, 28, 10, 0),
                closes: shanghai(2026, 11, 28, 14, 0)
            }]
        );
    }

    #[test]
    fn a_change_is_looked_for_within_about_a_year_only() {
        let never = Hours::parse("Mo-Su 10:00-10:00", "Asia/Shanghai", calendar()).unwrap();
        assert_eq!(never.next_change(shanghai(2026, 11, 30, 8, 30), false), None);
        let yearly = Hours::parse("24/7; Dec 25 off", "Asia/Shanghai", calendar()).unwrap();
        assert_eq!(
            yearly.next_change(shanghai(2026, 12, 26, 8, 30), false),
            Some(shanghai(2027, 12, 25, 0, 0))
        );
        let far = Hours::parse("24/7; 2030 Jan 01 off", "Asia/Shanghai", calendar()).unwrap();
        assert_eq!(far.next_change(shanghai(2026, 11, 30, 8, 30), false), None);
    }

    #[test]
    fn around_the_clock_is_always_open() {
        let hours = Hours::parse("24/7", "Asia/Shanghai", calendar()).unwrap();
        assert_eq!(hours.is_open_at(Utc::now(), false), Some(true));
        assert_eq!(hours.next_change(Utc::now(), false), None);
    }

    #[test]
    fn bad_syntax_and_zones_are_refused_with_an_example() {
        let error = Hours::parse("whenever", "Asia/Shanghai", calendar()).unwrap_err();
        assert!(error.to_string().contains("Mo-Fr 08:00-20:00"));
        assert!(Hours::parse("24/7", "Mars/Olympus", calendar()).is_err());
    }

    #[test]
    fn every_holiday_of_2026_closes_a_ph_off_office_and_every_makeup_day_opens_it() {
        let hours = Hours::parse("Mo-Fr 08:30-17:30; PH off", "Asia/Shanghai", calendar()).unwrap();
        let calendar = calendar();
        let days_2026: Vec<_> = calendar
            .days()
            .iter()
            .filter(|day| day.date.year() == 2026)
            .collect();
        let holidays = days_2026
            .iter()
            .filter(|day| calendar.is_holiday(day.date))
            .count();
        assert_eq!(holidays, 3 + 9 + 3 + 5 + 3 + 3 + 7);
        for day in days_2026 {
            let noon = shanghai(day.date.year(), day.date.month(), day.date.day(), 12, 0);
            if calendar.is_holiday(day.date) {
                assert_eq!(
                    hours.is_open_at(noon, true),
                    Some(false),
                    "{} ({}) is a holiday",
                    day.date,
                    day.name
                );
                assert_eq!(hours.is_open_at(noon, false), Some(false));
            } else {
                assert_eq!(
                    hours.is_open_at(noon, true),
                    Some(true),
                    "{} ({}) is a make-up day",
                    day.date,
                    day.name
                );
                // A place that does not follow the calendar keeps its weekend.
                assert_eq!(hours.is_open_at(noon, false), Some(false), "{}", day.date);
                let intervals = hours.intervals_on(day.date, true);
                assert_eq!(intervals.len(), 1);
                assert_eq!(
                    intervals[0].opens,
                    shanghai(day.date.year(), day.date.month(), day.date.day(), 8, 30)
                );
            }
        }
    }

    #[test]
    fn a_monday_inside_the_spring_festival_break_is_closed_and_the_next_change_skips_it() {
        let hours = Hours::parse("Mo-Fr 08:30-17:30; PH off", "Asia/Shanghai", calendar()).unwrap();
        // 2026-02-16 is a Monday in the break; the office reopens on Tuesday 2026-02-24.
        assert_eq!(hours.is_open_at(shanghai(2026, 2, 16, 10, 0), true), Some(false));
        assert_eq!(
            hours.next_change(shanghai(2026, 2, 16, 10, 0), true),
            Some(shanghai(2026, 2, 24, 8, 30))
        );
        // Friday 2026-02-13 closes at 17:30 and reopens on the make-up Saturday 2026-02-14.
        assert_eq!(
            hours.next_change(shanghai(2026, 2, 13, 18, 0), true),
            Some(shanghai(2026, 2, 14, 8, 30))
        );
        assert_eq!(
            hours.next_change(shanghai(2026, 2, 13, 18, 0), false),
            Some(shanghai(2026, 2, 24, 8, 30))
        );
    }
}
