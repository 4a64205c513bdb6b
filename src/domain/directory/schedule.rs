//! Opening hours as listings share them. A network repeats a handful of expressions, so
//! each (expression, zone, work calendar or not) is parsed once and shared, and its state
//! now is kept until its next change: `openNow` over a million listings evaluates each
//! schedule once per change, not each listing per request. The expression and zone are kept
//! here too, so listings that share a schedule keep no copy of them.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, Utc};

use crate::{
    domain::{calendar::WorkCalendar, hours::Hours},
    error::AppResult,
};

/// Seconds are counted from 2020-01-01 in 31 bits, so a cached state covers instants up to
/// 2088; beyond that (or before) the state is computed each time.
const EPOCH: i64 = 1_577_836_800;
const SECONDS_BITS: u32 = 31;
const MAX_SECONDS: i64 = (1 << SECONDS_BITS) - 1;

/// Opening hours shared by every listing with the same expression, zone and calendar rule.
#[derive(Debug)]
pub struct Schedule {
    expression: Box<str>,
    zone: Box<str>,
    hours: Hours,
    follows_calendar: bool,
    /// The state from one instant until the next change, packed: two bits of state, then
    /// the first and the last second it holds for. Zero until first computed.
    current: AtomicU64,
}

impl Schedule {
    /// Parses `expression` in `zone` against `calendar`.
    pub(super) fn parse(
        expression: &str,
        zone: &str,
        follows_calendar: bool,
        calendar: Arc<WorkCalendar>,
    ) -> AppResult<Self> {
        Ok(Self {
            hours: Hours::parse(expression, zone, calendar)?,
            expression: expression.into(),
            zone: zone.into(),
            follows_calendar,
            current: AtomicU64::new(0),
        })
    }

    /// The `opening_hours` expression, as the place stores it.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The IANA time zone name, as the place stores it.
    pub fn zone(&self) -> &str {
        &self.zone
    }

    /// The parsed hours.
    pub fn hours(&self) -> &Hours {
        &self.hours
    }

    /// Open (`Some(true)`), closed or unknown at `at`.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> Option<bool> {
        self.hours.is_open_at(at, self.follows_calendar)
    }

    /// When the state next changes after `at`, within the hours' horizon.
    pub fn next_change(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.hours.next_change(at, self.follows_calendar)
    }

    /// The state at `now`, a clock reading: from the kept state while `now` lies in the
    /// seconds it holds for. Changes fall on whole minutes, so whole seconds lose nothing.
    pub fn is_open_now(&self, now: DateTime<Utc>) -> Option<bool> {
        let second = now.timestamp() - EPOCH;
        if !(0..MAX_SECONDS).contains(&second) {
            return self.is_open_at(now);
        }
        let packed = self.current.load(Ordering::Relaxed);
        let (state, from, until) = unpack(packed);
        if packed != 0 && from <= second && second < until {
            return state;
        }
        let state = self.is_open_at(now);
        // Until the next change; when none is found (hours that never change, or a change
        // that falls in a daylight-saving gap) only until the next whole minute, when
        // changes fall.
        let until = self
            .next_change(now)
            .map_or(second - second.rem_euclid(60) + 60, |change| {
                change.timestamp() - EPOCH
            })
            .clamp(second + 1, MAX_SECONDS);
        self.current.store(pack(state, second, until), Ordering::Relaxed);
        state
    }
}

fn pack(state: Option<bool>, from: i64, until: i64) -> u64 {
    let state = match state {
        None => 1,
        Some(false) => 2,
        Some(true) => 3,
    };
    state << (2 * SECONDS_BITS) | (from as u64) << SECONDS_BITS | until as u64
}

fn unpack(packed: u64) -> (Option<bool>, i64, i64) {
    let mask = MAX_SECONDS as u64;
    let state = match packed >> (2 * SECONDS_BITS) {
        3 => Some(true),
        2 => Some(false),
        _ => None,
    };
    (
        state,
        ((packed >> SECONDS_BITS) & mask) as i64,
        (packed & mask) as i64,
    )
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;

    fn schedule(expression: &str) -> Schedule {
        Schedule::parse(expression, "Asia/Shanghai", false, Arc::default()).unwrap()
    }

    #[test]
    fn the_kept_state_changes_exactly_at_the_next_change() {
        let schedule = schedule("Mo-Su 08:00-20:00");
        // 11:59:59 UTC is 19:59:59 in Shanghai: open, and closing in one second.
        let before = Utc.with_ymd_and_hms(2026, 3, 4, 11, 59, 59).unwrap();
        assert_eq!(schedule.is_open_now(before), Some(true));
        assert_eq!(schedule.is_open_now(before + TimeDelta::seconds(1)), Some(false));
        assert_eq!(
            schedule.is_open_now(before),
            Some(true),
            "an earlier reading recomputes"
        );
        let morning = Utc.with_ymd_and_hms(2026, 3, 5, 0, 0, 0).unwrap();
        assert_eq!(schedule.is_open_now(morning), Some(true));
    }

    #[test]
    fn a_change_in_a_daylight_saving_gap_is_kept_only_to_the_minute() {
        let schedule =
            Schedule::parse("Mo-Su 02:30-18:00", "America/New_York", false, Arc::default()).unwrap();
        // 01:30 EST on the night clocks skip from 02:00 to 03:00: opening time never comes.
        let night = Utc.with_ymd_and_hms(2026, 3, 8, 6, 30, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 3, 8, 8, 0, 0).unwrap();
        assert_eq!(schedule.is_open_now(night), schedule.is_open_at(night));
        assert_eq!(schedule.is_open_now(later), schedule.is_open_at(later));
    }

    #[test]
    fn states_pack_and_unpack() {
        for state in [None, Some(false), Some(true)] {
            assert_eq!(unpack(pack(state, 5, MAX_SECONDS)), (state, 5, MAX_SECONDS));
        }
    }
}
