//! The items a station lends: created, edited and retired by the place's owner or an
//! admin, listed publicly with how many are available.

use chrono::Utc;
use entity::{
    item::{self, ItemCategory},
    place,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait, Value,
};

use super::{managed_place, point_of};
use crate::{
    auth::{Viewer, policy},
    domain::{Domain, change_log, change_log::statement, validate},
    error::{AppError, AppResult},
};

/// The most pieces of one item a station lists.
pub const MAX_QUANTITY: i32 = 10_000;
/// The longest loan: 30 days.
pub const MAX_LOAN_HOURS: i32 = 720;
/// The most items (kinds of thing) one place lists.
pub const MAX_ITEMS_PER_PLACE: usize = 100;

/// A new item of a place's register.
#[derive(Clone, Debug)]
pub struct NewItem {
    /// The place that lends it.
    pub place_id: i32,
    /// What it is, such as 雨伞.
    pub name: String,
    /// Its kind, for statistics and icons.
    pub category: ItemCategory,
    /// How many the place holds.
    pub quantity: i32,
    /// How long one may be kept, in hours.
    pub loan_hours: i32,
}

/// What `update` changes; `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct ItemChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new category.
    pub category: Option<ItemCategory>,
    /// A new quantity; never below what is on loan.
    pub quantity: Option<i32>,
    /// A new loan period, in hours.
    pub loan_hours: Option<i32>,
}

fn check_quantity(quantity: i32) -> AppResult<i32> {
    if (0..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(AppError::bad_input(format!(
            "quantity must be 0 to {MAX_QUANTITY}, got {quantity}"
        )))
    }
}

fn check_loan_hours(hours: i32) -> AppResult<i32> {
    if (1..=MAX_LOAN_HOURS).contains(&hours) {
        Ok(hours)
    } else {
        Err(AppError::bad_input(format!(
            "loanHours must be 1 to {MAX_LOAN_HOURS} (30 days), got {hours}"
        )))
    }
}

fn not_found(id: i32) -> AppError {
    AppError::NotFound(format!("no item with this id is visible to you (id {id})"))
}

/// Adds an item to a place's register. The place's owner or an admin.
pub async fn create(domain: &Domain, viewer: &Viewer, new: NewItem) -> AppResult<item::Model> {
    let place = managed_place(domain, viewer, new.place_id).await?;
    let name = validate::name("name", &new.name, 1, 100)?;
    let quantity = check_quantity(new.quantity)?;
    let loan_hours = check_loan_hours(new.loan_hours)?;
    if of_place(&domain.db, place.id).await?.len() >= MAX_ITEMS_PER_PLACE {
        return Err(AppError::bad_input(format!(
            "a place lists at most {MAX_ITEMS_PER_PLACE} items; retire one first"
        )));
    }
    let now = Utc::now();
    let txn = domain.db.begin().await?;
    let inserted = item::Entity::insert(item::ActiveModel {
        id: NotSet,
        place_id: Set(place.id),
        name: Set(name),
        category: Set(new.category),
        quantity: Set(quantity),
        on_loan: Set(0),
        loan_hours: Set(loan_hours),
        created_at: Set(now),
        updated_at: Set(now),
        retired_at: Set(None),
    })
    .exec(&txn)
    .await?;
    let row = reread(&txn, inserted.last_insert_id).await?;
    change_log::append_place(&txn, place.id, &[point_of(&place)]).await?;
    txn.commit().await?;
    Ok(row)
}

/// Edits an item: only the fields given are written, so two managers editing different
/// fields at once both keep their change. The quantity cannot drop below the pieces out on
/// loan: the check and the write are one conditional statement, so a loan made meanwhile
/// is never orphaned.
pub async fn update(
    domain: &Domain,
    viewer: &Viewer,
    id: i32,
    changes: ItemChanges,
) -> AppResult<item::Model> {
    let (_, place) = load_managed(domain, viewer, id).await?;
    let mut sets = vec!["updated_at = ?"];
    let mut values: Vec<Value> = vec![Utc::now().into()];
    if let Some(name) = changes.name.as_deref() {
        sets.push("name = ?");
        values.push(validate::name("name", name, 1, 100)?.into());
    }
    if let Some(category) = changes.category {
        sets.push("category = ?");
        values.push(category_name(category).into());
    }
    if let Some(loan_hours) = changes.loan_hours {
        sets.push("loan_hours = ?");
        values.push(check_loan_hours(loan_hours)?.into());
    }
    let quantity = changes.quantity.map(check_quantity).transpose()?;
    if let Some(quantity) = quantity {
        sets.push("quantity = ?");
        values.push(quantity.into());
    }
    let mut sql = format!(
        "UPDATE items SET {} WHERE id = ? AND retired_at IS NULL",
        sets.join(", ")
    );
    values.push(id.into());
    if let Some(quantity) = quantity {
        sql.push_str(" AND on_loan <= ?");
        values.push(quantity.into());
    }
    let txn = domain.db.begin().await?;
    let updated = txn
        .execute_raw(statement(txn.get_database_backend(), &sql, values))
        .await?;
    if updated.rows_affected() == 0 {
        let now = reread(&txn, id).await?;
        if now.retired_at.is_some() {
            return Err(AppError::bad_input(format!(
                "item {id} is retired; create a new item instead"
            )));
        }
        return Err(AppError::bad_input(format!(
            "quantity {} is below the {} pieces out on loan; lower it after they are returned",
            quantity.unwrap_or(now.quantity),
            now.on_loan
        )));
    }
    let row = reread(&txn, id).await?;
    change_log::append_place(&txn, place.id, &[point_of(&place)]).await?;
    txn.commit().await?;
    Ok(row)
}

/// Takes an item off the register. Open loans of it can still be returned; it no longer
/// appears in `Place.items` and cannot be borrowed.
pub async fn retire(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<item::Model> {
    let (_, place) = load_managed(domain, viewer, id).await?;
    let txn = domain.db.begin().await?;
    let retired = item::Entity::update_many()
        .col_expr(
            item::Column::RetiredAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(item::Column::Id.eq(id))
        .filter(item::Column::RetiredAt.is_null())
        .exec(&txn)
        .await?;
    if retired.rows_affected == 0 {
        return Err(AppError::bad_input(format!("item {id} is already retired")));
    }
    let row = reread(&txn, id).await?;
    change_log::append_place(&txn, place.id, &[point_of(&place)]).await?;
    txn.commit().await?;
    Ok(row)
}

/// The stored name of a category, for statements written by hand.
pub fn category_name(category: ItemCategory) -> String {
    use sea_orm::ActiveEnum;
    category.to_value()
}

async fn reread(db: &impl ConnectionTrait, id: i32) -> AppResult<item::Model> {
    item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))
}

/// A live item and its place, for its owner or an admin.
async fn load_managed(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<(item::Model, place::Model)> {
    policy::require_login(viewer)?;
    let item = item::Entity::find_by_id(id)
        .one(&domain.db)
        .await?
        .ok_or_else(|| not_found(id))?;
    let place = managed_place(domain, viewer, item.place_id)
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => not_found(id),
            other => other,
        })?;
    if item.retired_at.is_some() {
        return Err(AppError::bad_input(format!(
            "item {id} is retired; create a new item instead"
        )));
    }
    Ok((item, place))
}

/// The items a place lends now (not retired), in the order they were added.
pub async fn of_place(db: &impl ConnectionTrait, place_id: i32) -> AppResult<Vec<item::Model>> {
    Ok(item::Entity::find()
        .filter(item::Column::PlaceId.eq(place_id))
        .filter(item::Column::RetiredAt.is_null())
        .order_by_asc(item::Column::Id)
        .all(db)
        .await?)
}

/// An item, retired or not, when the viewer may see its place.
pub async fn find(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Option<item::Model>> {
    let Some(item) = item::Entity::find_by_id(id).one(&domain.db).await? else {
        return Ok(None);
    };
    let place = place::Entity::find_by_id(item.place_id).one(&domain.db).await?;
    Ok(place.filter(|place| policy::can_see(viewer, place)).map(|_| item))
}
