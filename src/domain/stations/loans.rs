//! Loans: a worker borrows for their own account, or the station's operator writes a
//! walk-in borrower down by name and phone, as the paper register did.
//!
//! An item is never over-lent: the availability check and the taking of a piece are one
//! conditional statement (`UPDATE items SET on_loan = on_loan + 1 WHERE … AND on_loan <
//! quantity`), inside the transaction that writes the loan. PostgreSQL re-checks the
//! condition on the row's newest version after waiting for a concurrent writer, SQLite
//! runs one writer at a time, so concurrent borrowers can never both take the last piece.
//!
//! Walk-in borrowers' phones are personal data (PIPL): only the place's owner and admins
//! read them whole, anyone else reads `138****1234`; name and phone are erased a set
//! number of days after the return (`erase_expired`), leaving the loan for the counts.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{item, loan, place};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use super::{
    local_day_and_week, point_of,
    privacy::{mask_phone, mobile_number},
};
use crate::{
    auth::{Role, Viewer, policy},
    domain::{
        Domain,
        change_log::{self, statement},
        directory::Listing,
        paging::{Page, read_page},
        validate,
        voice::{Account, clock},
    },
    error::{AppError, AppResult},
};

/// A walk-in borrower, as the operator writes them down.
#[derive(Clone, Debug)]
pub struct WalkIn {
    /// The borrower's name.
    pub name: String,
    /// A mainland mobile number, shown masked to all but the place's managers.
    pub phone: String,
}

/// Which loans of a place to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanState {
    /// Not returned yet, overdue ones included.
    Open,
    /// Not returned and past due.
    Overdue,
    /// Returned.
    Returned,
}

/// Where a page of a place's loans resumes: after this loan, oldest due first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanKey {
    /// When that loan is due.
    pub due_at: DateTime<Utc>,
    /// Its id, which breaks ties.
    pub id: i32,
}

/// A loan with its item and place, as a reader receives it.
#[derive(Clone, Debug)]
pub struct LoanView {
    /// The loan as stored.
    pub row: loan::Model,
    /// The item lent.
    pub item: item::Model,
    /// The place that lent it.
    pub place: place::Model,
}

impl LoanView {
    /// Past due and not returned, at `now`.
    pub fn overdue_at(&self, now: DateTime<Utc>) -> bool {
        self.row.returned_at.is_none() && self.row.due_at < now
    }

    /// The walk-in's phone as `viewer` may read it: whole for the place's owner and admins,
    /// masked for anyone else.
    pub fn phone_for(&self, viewer: &Viewer) -> Option<String> {
        let phone = self.row.borrower_phone.as_deref()?;
        Some(if policy::may_read_borrower_phone(viewer, &self.place) {
            phone.to_owned()
        } else {
            mask_phone(phone)
        })
    }

    /// The walk-in's name as `viewer` may read it: whole for the place's owner and admins,
    /// the family name and stars for anyone else.
    pub fn name_for(&self, viewer: &Viewer) -> Option<String> {
        let name = self.row.borrower_name.as_deref()?;
        Some(if policy::may_read_borrower_phone(viewer, &self.place) {
            name.to_owned()
        } else {
            let mut chars = name.chars();
            let first: String = chars.next().into_iter().collect();
            format!("{first}{}", "*".repeat(chars.count().max(1)))
        })
    }

    /// Where a page that ends with this loan resumes.
    pub fn key(&self) -> LoanKey {
        LoanKey {
            due_at: self.row.due_at,
            id: self.row.id,
        }
    }
}

fn not_found(what: &str, id: i32) -> AppError {
    AppError::NotFound(format!("no {what} with this id is visible to you (id {id})"))
}

/// Lends one piece of an item: to the calling worker, or (for the place's owner or an
/// admin) to the walk-in borrower named. CONFLICT when none is available.
pub async fn borrow(
    domain: &Domain,
    viewer: &Viewer,
    item_id: i32,
    walk_in: Option<WalkIn>,
) -> AppResult<LoanView> {
    let role = policy::require_login(viewer)?;
    let account = Account::of(viewer).ok_or_else(|| not_found("item", item_id))?;
    let item = item::Entity::find_by_id(item_id)
        .one(&domain.db)
        .await?
        .ok_or_else(|| not_found("item", item_id))?;
    let place = place::Entity::find_by_id(item.place_id)
        .one(&domain.db)
        .await?
        .filter(|place| policy::can_see(viewer, place))
        .ok_or_else(|| not_found("item", item_id))?;
    let (borrower, walk_in) = match (role, walk_in) {
        (Role::Worker, None) => {
            if place.publication != entity::place::Publication::Published {
                return Err(not_found("item", item_id));
            }
            (Some(account.clone()), None)
        }
        (Role::Worker, Some(_)) => {
            return Err(AppError::bad_input(
                "workers borrow for themselves: leave out `borrower`",
            ));
        }
        (_, walk_in) => {
            policy::may_run_station(viewer, &place).map_err(|_| {
                AppError::Forbidden(
                    "only workers borrow for themselves; the place's owner or an admin registers walk-in borrowers"
                        .to_owned(),
                )
            })?;
            let walk_in = walk_in
                .ok_or_else(|| AppError::bad_input("name the walk-in borrower: borrower { name phone }"))?;
            let name = validate::name("borrower.name", &walk_in.name, 1, 50)?;
            let phone = mobile_number(&walk_in.phone)?;
            (None, Some(WalkIn { name, phone }))
        }
    };
    if item.retired_at.is_some() {
        return Err(AppError::bad_input(format!(
            "item {item_id} is retired and no longer lent"
        )));
    }
    let txn = domain.db.begin().await?;
    let backend = txn.get_database_backend();
    // The check and the taking are one statement: see the module comment.
    let taken = txn
        .execute_raw(statement(
            backend,
            "UPDATE items SET on_loan = on_loan + 1 \
             WHERE id = ? AND on_loan < quantity AND retired_at IS NULL",
            vec![item_id.into()],
        ))
        .await?;
    if taken.rows_affected() == 0 {
        return Err(AppError::Conflict(format!(
            "none of \"{}\" is available right now: all {} are out on loan; try again after a return",
            item.name, item.quantity
        )));
    }
    let now = clock::now(&txn).await?;
    let (local_day, local_week) = local_day_and_week(now);
    let inserted = loan::Entity::insert(loan::ActiveModel {
        id: NotSet,
        item_id: Set(item_id),
        place_id: Set(place.id),
        borrower_role: Set(borrower.as_ref().map(|b| b.role_claim().to_owned())),
        borrower_subject: Set(borrower.as_ref().map(|b| b.subject.clone())),
        borrower_name: Set(walk_in.as_ref().map(|w| w.name.clone())),
        borrower_phone: Set(walk_in.as_ref().map(|w| w.phone.clone())),
        registered_by_role: Set(account.role_claim().to_owned()),
        registered_by_subject: Set(account.subject.clone()),
        borrowed_at: Set(now),
        due_at: Set(now + Duration::hours(i64::from(item.loan_hours))),
        local_day: Set(local_day),
        local_week: Set(local_week),
        returned_at: Set(None),
        return_note: Set(None),
        erased_at: Set(None),
    })
    .exec(&txn)
    .await?;
    let view = view_in(&txn, inserted.last_insert_id, place).await?;
    change_log::append_place(&txn, view.place.id, &[point_of(&view.place)]).await?;
    txn.commit().await?;
    Ok(view)
}

/// Records a return, by the borrower, the place's owner or an admin. Returning twice is
/// refused with CONFLICT and changes nothing.
pub async fn give_back(
    domain: &Domain,
    viewer: &Viewer,
    loan_id: i32,
    note: Option<&str>,
) -> AppResult<LoanView> {
    policy::require_login(viewer)?;
    let loan = loan::Entity::find_by_id(loan_id)
        .one(&domain.db)
        .await?
        .ok_or_else(|| not_found("loan", loan_id))?;
    let place = place::Entity::find_by_id(loan.place_id)
        .one(&domain.db)
        .await?
        .ok_or_else(|| not_found("loan", loan_id))?;
    let borrower = loan
        .borrower_role
        .as_deref()
        .zip(loan.borrower_subject.as_deref());
    // A stranger learns nothing, not even that the loan exists.
    policy::may_return(viewer, &place, borrower).map_err(|_| not_found("loan", loan_id))?;
    let note = note
        .map(|note| validate::name("note", note, 0, 200))
        .transpose()?
        .filter(|note| !note.is_empty());
    let txn = domain.db.begin().await?;
    let now = clock::now(&txn).await?;
    let returned = loan::Entity::update_many()
        .col_expr(loan::Column::ReturnedAt, sea_orm::sea_query::Expr::value(now))
        .col_expr(loan::Column::ReturnNote, sea_orm::sea_query::Expr::value(note))
        .filter(loan::Column::Id.eq(loan_id))
        .filter(loan::Column::ReturnedAt.is_null())
        .exec(&txn)
        .await?;
    if returned.rows_affected == 0 {
        return Err(AppError::Conflict(format!(
            "loan {loan_id} was already returned; nothing changed"
        )));
    }
    txn.execute_raw(statement(
        txn.get_database_backend(),
        "UPDATE items SET on_loan = on_loan - 1 WHERE id = ? AND on_loan > 0",
        vec![loan.item_id.into()],
    ))
    .await?;
    let view = view_in(&txn, loan_id, place).await?;
    change_log::append_place(&txn, view.place.id, &[point_of(&view.place)]).await?;
    txn.commit().await?;
    Ok(view)
}

async fn view_in(db: &impl ConnectionTrait, id: i32, place: place::Model) -> AppResult<LoanView> {
    let row = loan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| not_found("loan", id))?;
    let item = item::Entity::find_by_id(row.item_id)
        .one(db)
        .await?
        .ok_or_else(|| not_found("loan", id))?;
    Ok(LoanView { row, item, place })
}

/// The loans of a place, oldest due first, optionally in one state. The place's owner and
/// admins only.
pub async fn of_place(
    domain: &Domain,
    viewer: &Viewer,
    place: &Listing,
    state: Option<LoanState>,
    after: Option<LoanKey>,
    first: usize,
) -> AppResult<Page<LoanView>> {
    policy::may_run_station(viewer, place)?;
    let now = Utc::now();
    let mut all = loan::Entity::find().filter(loan::Column::PlaceId.eq(place.id));
    all = match state {
        Some(LoanState::Open) => all.filter(loan::Column::ReturnedAt.is_null()),
        Some(LoanState::Overdue) => all
            .filter(loan::Column::ReturnedAt.is_null())
            .filter(loan::Column::DueAt.lt(now)),
        Some(LoanState::Returned) => all.filter(loan::Column::ReturnedAt.is_not_null()),
        None => all,
    };
    let mut page = all.clone();
    if let Some(LoanKey { due_at, id }) = after {
        page = page.filter(
            Condition::any().add(loan::Column::DueAt.gt(due_at)).add(
                Condition::all()
                    .add(loan::Column::DueAt.eq(due_at))
                    .add(loan::Column::Id.gt(id)),
            ),
        );
    }
    let page = page
        .order_by_asc(loan::Column::DueAt)
        .order_by_asc(loan::Column::Id);
    let rows = read_page(&domain.db, all, page, first).await?;
    // Every view carries the lending place's row: rebuilt once for the page.
    let place = place.to_model();
    with_items(&domain.db, rows, |_| Some(place.clone())).await
}

/// The caller's own loans, newest first, resuming before the loan `before`.
pub async fn mine(
    domain: &Domain,
    viewer: &Viewer,
    before: Option<i32>,
    first: usize,
) -> AppResult<Page<LoanView>> {
    let Some(account) = Account::of(viewer) else {
        return Ok(Page {
            items: Vec::new(),
            total_count: 0,
            has_next_page: false,
        });
    };
    let all = loan::Entity::find()
        .filter(loan::Column::BorrowerRole.eq(account.role_claim()))
        .filter(loan::Column::BorrowerSubject.eq(account.subject.as_str()));
    let mut page = all.clone();
    if let Some(before) = before {
        page = page.filter(loan::Column::Id.lt(before));
    }
    let rows = read_page(&domain.db, all, page.order_by_desc(loan::Column::Id), first).await?;
    let place_ids: Vec<i32> = rows.items.iter().map(|row| row.place_id).collect();
    let places: HashMap<i32, place::Model> = place::Entity::find()
        .filter(place::Column::Id.is_in(place_ids))
        .all(&domain.db)
        .await?
        .into_iter()
        .map(|place| (place.id, place))
        .collect();
    with_items(&domain.db, rows, |row| places.get(&row.place_id).cloned()).await
}

/// Attaches each loan's item (one query for the page) and place.
async fn with_items(
    db: &DatabaseConnection,
    rows: Page<loan::Model>,
    place_of: impl Fn(&loan::Model) -> Option<place::Model>,
) -> AppResult<Page<LoanView>> {
    let item_ids: Vec<i32> = rows.items.iter().map(|row| row.item_id).collect();
    let items: HashMap<i32, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(item_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|item| (item.id, item))
        .collect();
    let items = rows
        .items
        .into_iter()
        .filter_map(|row| {
            let item = items.get(&row.item_id)?.clone();
            let place = place_of(&row)?;
            Some(LoanView { row, item, place })
        })
        .collect();
    Ok(Page {
        items,
        total_count: rows.total_count,
        has_next_page: rows.has_next_page,
    })
}

/// A loan for its borrower, the place's owner or an admin.
pub async fn find(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Option<LoanView>> {
    let Some(row) = loan::Entity::find_by_id(id).one(&domain.db).await? else {
        return Ok(None);
    };
    let Some(place) = place::Entity::find_by_id(row.place_id).one(&domain.db).await? else {
        return Ok(None);
    };
    let borrower = row.borrower_role.as_deref().zip(row.borrower_subject.as_deref());
    if policy::may_return(viewer, &place, borrower).is_err() {
        return Ok(None);
    }
    Ok(Some(view_in(&domain.db, id, place).await?))
}
