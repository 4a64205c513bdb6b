//! Reports that correct the map ("suggest an edit"): a worker says a place is closed, has
//! other hours, sits elsewhere, lacks an amenity or did not honour an offer. Its owner and
//! admins read and resolve them.
//!
//! When three different workers report a place closed within 24 hours (by the reports'
//! stored times, from the database's clock), the place's live status becomes
//! `TEMPORARILY_CLOSED` with the note `FLAG_NOTE`, written in the transaction of the third
//! report and logged as a change, so every instance and subscriber sees it at once. It
//! lasts until the owner or an admin sets a status, or resolves one of the closed reports.

use chrono::{DateTime, Duration, Utc};
use entity::{
    place::{self, Publication, StatusState},
    place_report::{self, ReportReason, ReportState},
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
    TransactionTrait,
    sea_query::Expr,
};

use super::{Account, clock, limits, pseudonym};
use crate::{
    auth::{
        Viewer,
        policy::{self, OwnedPlace},
    },
    domain::{Domain, change_log, directory::Listing, geo::Point, hours, paging::Page, places, validate},
    error::{AppError, AppResult},
};

/// The live-status note of a place flagged closed by riders.
pub const FLAG_NOTE: &str = "多名骑手反馈暂停营业";
/// How many different workers flag a place.
pub const FLAG_REPORTERS: u64 = 3;
/// The window their reports must fall in.
pub const FLAG_WINDOW: Duration = Duration::hours(24);
/// A flag nobody answers still ends, so a forgotten one cannot close a place for good.
pub const FLAG_LIFETIME: Duration = Duration::days(30);

/// A report as a worker files it.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// The place reported.
    pub place_id: i32,
    /// What is wrong.
    pub reason: ReportReason,
    /// What the worker adds, if anything.
    pub note: Option<String>,
}

fn point_of(place: &place::Model) -> Point {
    Point {
        lat: place.latitude,
        lng: place.longitude,
    }
}

/// Files a report about a published place. One per worker, place, reason and day (the
/// place's local day); the third worker to report it closed within 24 hours flags it.
pub async fn file(domain: &Domain, viewer: &Viewer, new: NewReport) -> AppResult<place_report::Model> {
    let account = Account::worker(viewer, "report places")?;
    let note = new
        .note
        .as_deref()
        .map(|note| validate::name("note", note, 0, 500))
        .transpose()?
        .filter(|note| !note.is_empty());
    let listing = places::find(domain, viewer, new.place_id)
        .await?
        .filter(|listing| listing.publication == Publication::Published)
        .ok_or_else(|| {
            AppError::NotFound(format!("no published place with this id (id {})", new.place_id))
        })?;
    let zone = hours::parse_zone(listing.time_zone()).unwrap_or(hours::DEFAULT_TIME_ZONE);
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    limits::spend(&txn, &account, limits::Action::Report, now).await?;
    let pseudonym = pseudonym::of(&txn, listing.id, &account).await?;
    let inserted = place_report::Entity::insert(place_report::ActiveModel {
        id: NotSet,
        place_id: Set(listing.id),
        reporter_role: Set(account.role_claim().to_owned()),
        reporter_subject: Set(account.subject.clone()),
        pseudonym: Set(pseudonym),
        reason: Set(new.reason),
        note: Set(note),
        local_day: Set(now.with_timezone(&zone).date_naive().to_string()),
        created_at: Set(now),
        state: Set(ReportState::Open),
        resolved_at: Set(None),
        resolved_by_role: Set(None),
        resolved_by_subject: Set(None),
        resolution_note: Set(None),
    })
    .exec(&txn)
    .await;
    let id = match inserted {
        Ok(result) => result.last_insert_id,
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::Conflict(
                "you already reported this place for this reason today; one report per reason and day"
                    .to_owned(),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    let report = place_report::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a report vanished inside its own write")))?;
    let flagged = new.reason.says_closed() && flag_if_third(&txn, &listing, &account, now).await?;
    txn.commit().await?;
    if flagged {
        domain.directory.refresh(&domain.db, &[listing.id]).await;
    }
    Ok(report)
}

/// Flags the place when this report makes `FLAG_REPORTERS` different workers with open
/// closed-reports in the window, and this worker had none there before: so a fourth
/// voice does not overrule an owner who has since set a status, and a worker reporting
/// both closed reasons counts once.
async fn flag_if_third(
    txn: &impl ConnectionTrait,
    place: &Listing,
    account: &Account,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let recent = || {
        place_report::Entity::find()
            .filter(place_report::Column::PlaceId.eq(place.id))
            .filter(place_report::Column::State.eq(ReportState::Open))
            .filter(place_report::Column::Reason.is_in(ReportReason::CLOSED))
            .filter(place_report::Column::CreatedAt.gt(now - FLAG_WINDOW))
    };
    let reporters = recent()
        .select_only()
        .column(place_report::Column::ReporterRole)
        .column(place_report::Column::ReporterSubject)
        .distinct()
        .count(txn)
        .await?;
    let mine = recent()
        .filter(place_report::Column::ReporterRole.eq(account.role_claim()))
        .filter(place_report::Column::ReporterSubject.eq(account.subject.as_str()))
        .count(txn)
        .await?;
    if reporters != FLAG_REPORTERS || mine != 1 {
        return Ok(false);
    }
    place::Entity::update_many()
        .col_expr(
            place::Column::StatusState,
            Expr::value(StatusState::TemporarilyClosed),
        )
        .col_expr(place::Column::StatusSeatsFree, Expr::value(Option::<i32>::None))
        .col_expr(place::Column::StatusNote, Expr::value(FLAG_NOTE))
        .col_expr(place::Column::StatusUpdatedAt, Expr::value(now))
        .col_expr(place::Column::StatusExpiresAt, Expr::value(now + FLAG_LIFETIME))
        .filter(place::Column::Id.eq(place.id))
        .exec(txn)
        .await?;
    change_log::append_place(txn, place.id, &[place.point()]).await?;
    Ok(true)
}

/// Whether the place's live status is the riders' flag.
fn is_flagged(place: &place::Model) -> bool {
    place.status_state == Some(StatusState::TemporarilyClosed)
        && place.status_note.as_deref() == Some(FLAG_NOTE)
}

/// Resolves an open report with a note the owner and admins read. Resolving a report of a
/// closed place lifts the riders' flag, if the place still carries it: someone responsible
/// has answered. The place's owner and admins only.
pub async fn resolve(
    domain: &Domain,
    viewer: &Viewer,
    id: i32,
    note: &str,
) -> AppResult<place_report::Model> {
    policy::require_login(viewer)?;
    let missing = || AppError::NotFound(format!("no report with this id is visible to you (id {id})"));
    let report = place_report::Entity::find_by_id(id)
        .one(&domain.db)
        .await?
        .ok_or_else(missing)?;
    let place = place::Entity::find_by_id(report.place_id)
        .one(&domain.db)
        .await?
        .filter(|place| policy::can_see(viewer, place))
        .ok_or_else(missing)?;
    policy::may_manage(viewer, &place)?;
    let note = validate::text("note", note, 1, 500)?;
    let account = Account::of(viewer).ok_or_else(missing)?;
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    let resolved = place_report::Entity::update_many()
        .col_expr(place_report::Column::State, Expr::value(ReportState::Resolved))
        .col_expr(place_report::Column::ResolvedAt, Expr::value(now))
        .col_expr(
            place_report::Column::ResolvedByRole,
            Expr::value(account.role_claim()),
        )
        .col_expr(
            place_report::Column::ResolvedBySubject,
            Expr::value(account.subject.clone()),
        )
        .col_expr(place_report::Column::ResolutionNote, Expr::value(note))
        .filter(place_report::Column::Id.eq(id))
        .filter(place_report::Column::State.eq(ReportState::Open))
        .exec(&txn)
        .await?;
    if resolved.rows_affected == 0 {
        return Err(AppError::bad_input(format!("report {id} is already resolved")));
    }
    let mut lifted = false;
    if report.reason.says_closed() {
        let current = place::Entity::find_by_id(place.id)
            .one(&txn)
            .await?
            .ok_or_else(missing)?;
        if is_flagged(&current) {
            place::Entity::update_many()
                .col_expr(
                    place::Column::StatusState,
                    Expr::value(Option::<StatusState>::None),
                )
                .col_expr(place::Column::StatusNote, Expr::value(Option::<String>::None))
                .col_expr(
                    place::Column::StatusUpdatedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    place::Column::StatusExpiresAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(place::Column::Id.eq(place.id))
                .exec(&txn)
                .await?;
            change_log::append_place(&txn, place.id, &[point_of(&place)]).await?;
            lifted = true;
        }
    }
    let report = place_report::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(missing)?;
    txn.commit().await?;
    if lifted {
        domain.directory.refresh(&domain.db, &[place.id]).await;
    }
    Ok(report)
}

/// A report for the place's owner or an admin.
pub async fn find(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Option<place_report::Model>> {
    let Some(report) = place_report::Entity::find_by_id(id).one(&domain.db).await? else {
        return Ok(None);
    };
    let place = place::Entity::find_by_id(report.place_id).one(&domain.db).await?;
    Ok(place
        .filter(|place| policy::can_see(viewer, place) && policy::may_manage(viewer, place).is_ok())
        .map(|_| report))
}

/// The reports of a place, newest first, optionally in one state, resuming before the
/// report `before`. Its owner and admins only.
pub async fn page(
    domain: &Domain,
    viewer: &Viewer,
    place: &impl OwnedPlace,
    state: Option<ReportState>,
    before: Option<i32>,
    first: usize,
) -> AppResult<Page<place_report::Model>> {
    policy::may_manage(viewer, place)?;
    let mut all = place_report::Entity::find().filter(place_report::Column::PlaceId.eq(place.id()));
    if let Some(state) = state {
        all = all.filter(place_report::Column::State.eq(state));
    }
    let total_count = all.clone().count(&domain.db).await? as usize;
    let mut query = all;
    if let Some(before) = before {
        query = query.filter(place_report::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(place_report::Column::Id)
        .limit(first as u64 + 1)
        .all(&domain.db)
        .await?;
    let has_next_page = rows.len() > first;
    Ok(Page {
        items: rows.into_iter().take(first).collect(),
        total_count,
        has_next_page,
    })
}
