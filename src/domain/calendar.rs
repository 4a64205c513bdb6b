//! China's official work calendar: every day of each public holiday period, and the
//! weekend days declared working days (调休). It is data, kept in the database, seeded with
//! the State Council's notices for 2025 and 2026, and replaceable a year at a time by an
//! admin through `setWorkCalendar` when the next notice comes out.

use std::{collections::HashMap, sync::Arc};

use chrono::{Datelike, NaiveDate, Weekday};
use compact_calendar::CompactCalendar;
use entity::calendar_day::{self, CalendarDayKind};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};

use crate::error::{AppError, AppResult};

/// A make-up working day opens with the hours of this weekday unless the calendar names
/// another: the first working day of an ordinary week.
pub const DEFAULT_MAKEUP_WEEKDAY: Weekday = Weekday::Mon;

/// One day of the calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarDay {
    /// The day.
    pub date: NaiveDate,
    /// A public holiday, or a make-up working day (调休).
    pub kind: CalendarDayKind,
    /// The holiday's name, such as 国庆节.
    pub name: String,
    /// For a make-up working day: whose hours apply.
    pub as_weekday: Option<Weekday>,
}

/// The calendar in memory, as opening-hours evaluation needs it.
#[derive(Clone, Debug, Default)]
pub struct WorkCalendar {
    holidays: Arc<CompactCalendar>,
    workdays: HashMap<NaiveDate, Weekday>,
    days: Vec<CalendarDay>,
}

impl WorkCalendar {
    /// A calendar of these days, in date order.
    pub fn from_days(mut days: Vec<CalendarDay>) -> Self {
        days.sort_by_key(|day| day.date);
        let mut holidays = CompactCalendar::default();
        let mut workdays = HashMap::new();
        for day in &days {
            match day.kind {
                CalendarDayKind::Holiday => {
                    holidays.insert(day.date);
                }
                CalendarDayKind::Workday => {
                    workdays.insert(day.date, day.as_weekday.unwrap_or(DEFAULT_MAKEUP_WEEKDAY));
                }
            }
        }
        Self {
            holidays: Arc::new(holidays),
            workdays,
            days,
        }
    }

    /// The public holidays, as the `PH` selector of opening hours reads them.
    pub fn holidays(&self) -> Arc<CompactCalendar> {
        self.holidays.clone()
    }

    /// Whether `date` is a public holiday (`PH` in opening hours).
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(date)
    }

    /// The weekday whose hours a make-up working day takes, when `date` is one.
    pub fn makeup_weekday(&self, date: NaiveDate) -> Option<Weekday> {
        self.workdays.get(&date).copied()
    }

    /// Every day of the calendar, in date order.
    pub fn days(&self) -> &[CalendarDay] {
        &self.days
    }

    /// An ordinary working day with `weekday`'s hours whose rules stand in for `date`:
    /// `weekday` of the same week, so that month and date selectors read the right month,
    /// or, when that day is itself a holiday or a make-up day, the nearest ordinary one.
    pub fn proxy_for(&self, date: NaiveDate, weekday: Weekday) -> NaiveDate {
        let ordinary = |day: &NaiveDate| {
            day.weekday() == weekday && !self.is_holiday(*day) && self.makeup_weekday(*day).is_none()
        };
        let offset =
            i64::from(weekday.num_days_from_monday()) - i64::from(date.weekday().num_days_from_monday());
        let Some(same_week) = date.checked_add_signed(chrono::Duration::days(offset)) else {
            return date;
        };
        (0..=10)
            .flat_map(|weeks: i64| [weeks, -weeks])
            .filter_map(|weeks| same_week.checked_add_signed(chrono::Duration::weeks(weeks)))
            .find(ordinary)
            .unwrap_or(date)
    }
}

/// 1 (Monday) to 7 (Sunday).
pub fn weekday_number(weekday: Weekday) -> i32 {
    weekday.number_from_monday() as i32
}

/// The weekday numbered from 1 (Monday) to 7 (Sunday).
pub fn weekday_from_number(number: i32) -> Option<Weekday> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .get(usize::try_from(number - 1).ok()?)
    .copied()
}

/// Reads the calendar, seeding the built-in years into an empty table first.
pub async fn load(db: &DatabaseConnection) -> AppResult<WorkCalendar> {
    if calendar_day::Entity::find().count(db).await? == 0 {
        // Instances starting together on an empty database all seed: whoever comes second
        // finds the days there already.
        calendar_day::Entity::insert_many(rows_of(&builtin_days()))
            .on_conflict_do_nothing()
            .exec(db)
            .await?;
    }
    let days = calendar_day::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| CalendarDay {
            date: row.date,
            kind: row.kind,
            name: row.name,
            as_weekday: row.as_weekday.and_then(weekday_from_number),
        })
        .collect();
    Ok(WorkCalendar::from_days(days))
}

fn rows_of(days: &[CalendarDay]) -> Vec<calendar_day::ActiveModel> {
    days.iter()
        .map(|day| calendar_day::ActiveModel {
            date: Set(day.date),
            kind: Set(day.kind),
            name: Set(day.name.clone()),
            as_weekday: Set(day.as_weekday.map(weekday_number)),
        })
        .collect()
}

async fn insert(db: &impl ConnectionTrait, days: &[CalendarDay]) -> AppResult<()> {
    let rows = rows_of(days);
    if !rows.is_empty() {
        calendar_day::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Replaces every day of `year` with `days`, in one transaction.
pub async fn replace_year(db: &DatabaseConnection, year: i32, days: Vec<CalendarDay>) -> AppResult<()> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::bad_input(format!(
            "year must be between 2000 and 2100, got {year}"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for day in &days {
        if day.date.year() != year {
            return Err(AppError::bad_input(format!("{} is not in {year}", day.date)));
        }
        if !seen.insert(day.date) {
            return Err(AppError::bad_input(format!("{} is listed twice", day.date)));
        }
        if day.kind == CalendarDayKind::Holiday && day.as_weekday.is_some() {
            return Err(AppError::bad_input(format!(
                "{}: asWeekday applies to WORKDAY entries only",
                day.date
            )));
        }
        if day.name.trim().is_empty() || day.name.chars().count() > 60 {
            return Err(AppError::bad_input(format!(
                "{}: name must be 1 to 60 characters",
                day.date
            )));
        }
    }
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a valid year");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("a valid year");
    let txn = db.begin().await?;
    calendar_day::Entity::delete_many()
        .filter(calendar_day::Column::Date.between(first, last))
        .exec(&txn)
        .await?;
    insert(&txn, &days).await?;
    super::change_log::append_calendar(&txn).await?;
    txn.commit().await?;
    Ok(())
}

fn span(kind: CalendarDayKind, name: &str, from: (i32, u32, u32), to: (i32, u32, u32)) -> Vec<CalendarDay> {
    let start = NaiveDate::from_ymd_opt(from.0, from.1, from.2).expect("a valid built-in date");
    let end = NaiveDate::from_ymd_opt(to.0, to.1, to.2).expect("a valid built-in date");
    start
        .iter_days()
        .take_while(|day| *day <= end)
        .map(|date| CalendarDay {
            date,
            kind,
            name: name.to_owned(),
            as_weekday: None,
        })
        .collect()
}

fn holiday(name: &str, from: (i32, u32, u32), to: (i32, u32, u32)) -> Vec<CalendarDay> {
    span(CalendarDayKind::Holiday, name, from, to)
}

fn workday(name: &str, on: (i32, u32, u32)) -> Vec<CalendarDay> {
    span(CalendarDayKind::Workday, name, on, on)
}

/// The State Council's holiday notices (国务院办公厅关于部分节假日安排的通知) for 2025
/// (issued November 2024) and 2026 (issued 4 November 2025).
pub fn builtin_days() -> Vec<CalendarDay> {
    [
        holiday("元旦", (2025, 1, 1), (2025, 1, 1)),
        holiday("春节", (2025, 1, 28), (2025, 2, 4)),
        workday("春节调休", (2025, 1, 26)),
        workday("春节调休", (2025, 2, 8)),
        holiday("清明节", (2025, 4, 4), (2025, 4, 6)),
        holiday("劳动节", (2025, 5, 1), (2025, 5, 5)),
        workday("劳动节调休", (2025, 4, 27)),
        holiday("端午节", (2025, 5, 31), (2025, 6, 2)),
        holiday("国庆节、中秋节", (2025, 10, 1), (2025, 10, 8)),
        workday("国庆节调休", (2025, 9, 28)),
        workday("国庆节调休", (2025, 10, 11)),
        holiday("元旦", (2026, 1, 1), (2026, 1, 3)),
        workday("元旦调休", (2026, 1, 4)),
        holiday("春节", (2026, 2, 15), (2026, 2, 23)),
        workday("春节调休", (2026, 2, 14)),
        workday("春节调休", (2026, 2, 28)),
        holiday("清明节", (2026, 4, 4), (2026, 4, 6)),
        holiday("劳动节", (2026, 5, 1), (2026, 5, 5)),
        workday("劳动节调休", (2026, 5, 9)),
        holiday("端午节", (2026, 6, 19), (2026, 6, 21)),
        holiday("中秋节", (2026, 9, 25), (2026, 9, 27)),
        holiday("国庆节", (2026, 10, 1), (2026, 10, 7)),
        workday("国庆节调休", (2026, 9, 20)),
        workday("国庆节调休", (2026, 10, 10)),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn a_makeup_day_borrows_the_weekday_of_its_own_week() {
        let calendar = WorkCalendar::from_days(builtin_days());
        // Saturday 14 February 2026 works as a Monday: Monday the 9th, not March.
        assert_eq!(
            calendar.proxy_for(date(2026, 2, 14), Weekday::Mon),
            date(2026, 2, 9)
        );
        // Saturday 28 February: its Monday (the 23rd) is still Spring Festival, so the
        // nearest ordinary Monday stands in.
        assert_eq!(
            calendar.proxy_for(date(2026, 2, 28), Weekday::Mon),
            date(2026, 3, 2)
        );
    }
}
