//! The work calendar in GraphQL: read by anyone, replaced a year at a time by admins.

use async_graphql::{Context, InputObject, Object, Result, ResultExt, SimpleObject};
use chrono::{Datelike, Weekday};

use super::{context::ContextExt, enums::CalendarDayKind, scalars::Date};
use crate::{
    auth::policy,
    domain::calendar::{self, CalendarDay},
    error::AppError,
};

/// A holiday or a make-up working day.
#[derive(SimpleObject)]
pub struct WorkCalendarDay {
    /// The date.
    pub date: Date,
    /// HOLIDAY or WORKDAY.
    pub kind: CalendarDayKind,
    /// The holiday's name, such as 春节.
    pub name: String,
    /// For a WORKDAY: the weekday whose opening hours apply (1 = Monday … 5 = Friday).
    pub as_weekday: Option<i32>,
}

/// A day to put in the calendar.
#[derive(InputObject)]
pub struct WorkCalendarDayInput {
    /// The date, within the year being set.
    pub date: Date,
    /// HOLIDAY for each day of a holiday period, WORKDAY for a make-up working day.
    pub kind: CalendarDayKind,
    /// 1 to 60 characters, such as 国庆节.
    pub name: String,
    /// For a WORKDAY: whose hours apply, 1 (Monday) to 7; Monday when omitted.
    pub as_weekday: Option<i32>,
}

/// A year of the calendar, replacing what it held.
#[derive(InputObject)]
pub struct SetWorkCalendarInput {
    /// The year to replace, such as 2027.
    pub year: i32,
    /// Every holiday day and make-up working day of the year.
    pub days: Vec<WorkCalendarDayInput>,
}

/// The result of `setWorkCalendar`.
#[derive(SimpleObject)]
pub struct SetWorkCalendarPayload {
    /// The year's days as stored now.
    pub days: Vec<WorkCalendarDay>,
}

fn weekday(number: i32) -> Result<Weekday, AppError> {
    calendar::weekday_from_number(number).ok_or_else(|| {
        AppError::bad_input(format!(
            "asWeekday must be 1 (Monday) to 7 (Sunday), got {number}"
        ))
    })
}

fn days_of(calendar: &calendar::WorkCalendar, year: i32) -> Vec<WorkCalendarDay> {
    calendar
        .days()
        .iter()
        .filter(|day| day.date.year() == year)
        .map(|day| WorkCalendarDay {
            date: Date(day.date),
            kind: day.kind.into(),
            name: day.name.clone(),
            as_weekday: day.as_weekday.map(calendar::weekday_number),
        })
        .collect()
}

/// The work calendar queries.
#[derive(Default)]
pub struct CalendarQuery;

#[Object]
impl CalendarQuery {
    /// The official holidays and make-up working days of a year, as opening hours use them.
    async fn work_calendar(&self, ctx: &Context<'_>, year: i32) -> Vec<WorkCalendarDay> {
        days_of(&ctx.domain().directory.calendar(), year)
    }
}

/// The work calendar mutations.
#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// Replaces a year of the work calendar, such as when the State Council publishes the
    /// next year's holidays. Admins only. This instance follows at once, other instances
    /// within moments.
    async fn set_work_calendar(
        &self,
        ctx: &Context<'_>,
        input: SetWorkCalendarInput,
    ) -> Result<SetWorkCalendarPayload> {
        let domain = ctx.domain();
        policy::may_moderate(ctx.viewer()).extend()?;
        let days = input
            .days
            .into_iter()
            .map(|day| {
                Ok(CalendarDay {
                    date: day.date.0,
                    kind: day.kind.into(),
                    name: day.name.trim().to_owned(),
                    as_weekday: day.as_weekday.map(weekday).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()
            .extend()?;
        calendar::replace_year(&domain.db, input.year, days)
            .await
            .extend()?;
        domain.directory.catch_up(&domain.db).await.extend()?;
        Ok(SetWorkCalendarPayload {
            days: days_of(&domain.directory.calendar(), input.year),
        })
    }
}
