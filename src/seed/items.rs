//! The demo network's lending registers: what the article says stations keep for workers
//! to borrow (umbrellas 雨伞, reading glasses 老花镜, first-aid kits 急救箱, repair tools
//! 维修工具, phone chargers 充电器), chosen by kind of station, so the README's examples
//! work on a fresh start. Merchants lend nothing here.

use chrono::{DateTime, Utc};
use entity::{
    item::{self, ItemCategory},
    place::{self, PlaceKind},
};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder};

/// (name, category, quantity, loan hours)
type Stock = (&'static str, ItemCategory, i32, i32);

const UMBRELLAS: Stock = ("雨伞", ItemCategory::Umbrella, 6, 24);
const GLASSES: Stock = ("老花镜", ItemCategory::ReadingGlasses, 3, 4);
const FIRST_AID: Stock = ("急救箱", ItemCategory::FirstAidKit, 1, 2);
const TOOLS: Stock = ("维修工具", ItemCategory::RepairTools, 2, 4);
const CHARGERS: Stock = ("充电器", ItemCategory::PhoneCharger, 4, 4);

/// What a station of `kind` lends.
fn stock(kind: PlaceKind) -> &'static [Stock] {
    match kind {
        PlaceKind::PartyServiceCenter => &[UMBRELLAS, GLASSES, FIRST_AID, CHARGERS],
        PlaceKind::GridStation => &[UMBRELLAS, GLASSES, TOOLS],
        PlaceKind::UnionStation | PlaceKind::RiderStation => &[UMBRELLAS, FIRST_AID, TOOLS, CHARGERS],
        PlaceKind::CityStation | PlaceKind::SanitationRestRoom => &[UMBRELLAS, FIRST_AID, CHARGERS],
        PlaceKind::DriverStation => &[TOOLS, FIRST_AID, CHARGERS],
        PlaceKind::VolunteerHome => &[UMBRELLAS, GLASSES, FIRST_AID],
        PlaceKind::FriendlyMerchant
        | PlaceKind::RiderCanteen
        | PlaceKind::RiderPharmacy
        | PlaceKind::RiderClinic => &[],
    }
}

/// Gives every station of the loaded network its items. Returns how many it added.
pub async fn load(db: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let places = place::Entity::find()
        .order_by_asc(place::Column::Id)
        .all(db)
        .await?;
    let rows: Vec<item::ActiveModel> = places
        .iter()
        .flat_map(|place| {
            stock(place.kind)
                .iter()
                .map(move |&(name, category, quantity, loan_hours)| item::ActiveModel {
                    place_id: Set(place.id),
                    name: Set(name.to_owned()),
                    category: Set(category),
                    quantity: Set(quantity),
                    on_loan: Set(0),
                    loan_hours: Set(loan_hours),
                    created_at: Set(now),
                    updated_at: Set(now),
                    retired_at: Set(None),
                    ..Default::default()
                })
        })
        .collect();
    let added = rows.len();
    for chunk in rows.chunks(super::ROWS_PER_INSERT) {
        item::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(added)
}
