//! Items in GraphQL: `createItem`, `updateItem`, `retireItem` and `Place.items`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};
use entity::item;

use crate::{
    domain::stations::items::{self, ItemChanges, NewItem},
    graphql::{
        context::ContextExt,
        ids::{NodeType, decode, global_id},
    },
};

/// What kind of thing an item is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::item::ItemCategory")]
pub enum ItemCategory {
    /// Umbrellas (雨伞).
    Umbrella,
    /// Reading glasses (老花镜).
    ReadingGlasses,
    /// A first-aid kit (急救箱).
    FirstAidKit,
    /// Repair tools (维修工具), for bikes and e-bikes.
    RepairTools,
    /// Phone chargers and cables (充电器).
    PhoneCharger,
    /// Power banks (充电宝).
    PowerBank,
    /// Raincoats (雨衣).
    Raincoat,
    /// Books and newspapers (图书).
    Books,
    /// Anything else; say what in the name.
    Other,
}

/// Something a station lends, with how many are available now.
pub struct Item {
    row: item::Model,
}

impl Item {
    /// The API's view of an item.
    pub fn new(row: item::Model) -> Self {
        Self { row }
    }
}

#[Object]
impl Item {
    /// The item's opaque global id.
    pub async fn id(&self) -> ID {
        global_id(NodeType::Item, self.row.id)
    }

    /// What the station calls it, such as "雨伞".
    async fn name(&self) -> &str {
        &self.row.name
    }

    /// What kind of thing it is.
    async fn category(&self) -> ItemCategory {
        self.row.category.into()
    }

    /// How many pieces the station has.
    async fn quantity(&self) -> i32 {
        self.row.quantity
    }

    /// How many pieces can be borrowed right now.
    async fn available(&self) -> i32 {
        (self.row.quantity - self.row.on_loan).max(0)
    }

    /// How many pieces are out on loan.
    async fn on_loan(&self) -> i32 {
        self.row.on_loan
    }

    /// How many hours a loan lasts before it is overdue.
    async fn loan_hours(&self) -> i32 {
        self.row.loan_hours
    }

    /// When the station stopped lending it; null while it is lent.
    async fn retired_at(&self) -> Option<DateTime<Utc>> {
        self.row.retired_at
    }
}

/// A place's items, for anyone who may see the place.
pub async fn items_of(ctx: &Context<'_>, place_id: i32) -> Result<Vec<Item>> {
    Ok(items::of_place(&ctx.domain().db, place_id)
        .await
        .extend()?
        .into_iter()
        .map(Item::new)
        .collect())
}

/// A new item of a place's lending register.
#[derive(InputObject)]
pub struct CreateItemInput {
    /// The place that lends it; you must own it (or be an admin).
    pub place_id: ID,
    /// What the station calls it, 1 to 100 characters, such as "雨伞".
    pub name: String,
    /// What kind of thing it is.
    pub category: ItemCategory,
    /// How many pieces the station has, 0 to 10,000.
    pub quantity: i32,
    /// How many hours a loan lasts, 1 to 720 (30 days).
    pub loan_hours: i32,
}

/// Changes to an item; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateItemInput {
    /// The item.
    pub id: ID,
    /// A new name, 1 to 100 characters.
    pub name: Option<String>,
    /// A new category.
    pub category: Option<ItemCategory>,
    /// A new quantity; it cannot drop below the pieces out on loan.
    pub quantity: Option<i32>,
    /// A new loan duration in hours, 1 to 720; loans already made keep their due time.
    pub loan_hours: Option<i32>,
}

/// Names an item.
#[derive(InputObject)]
pub struct ItemIdInput {
    /// The item.
    pub id: ID,
}

/// The result of a write to an item.
#[derive(SimpleObject)]
pub struct ItemPayload {
    /// The item as it is now.
    pub item: Item,
}

#[derive(Default)]
/// Item mutations: create, update and retire.
pub struct ItemMutation;

#[Object]
impl ItemMutation {
    /// Adds an item to a place's lending register. The place's owner (operator or
    /// merchant) or an admin.
    async fn create_item(&self, ctx: &Context<'_>, input: CreateItemInput) -> Result<ItemPayload> {
        let new = NewItem {
            place_id: decode(&input.place_id, NodeType::Place).extend()?,
            name: input.name,
            category: input.category.into(),
            quantity: input.quantity,
            loan_hours: input.loan_hours,
        };
        let row = items::create(ctx.domain(), ctx.viewer(), new).await.extend()?;
        Ok(ItemPayload { item: Item::new(row) })
    }

    /// Edits an item. Lowering `quantity` below the pieces out on loan is refused
    /// (`BAD_USER_INPUT`) and changes nothing.
    async fn update_item(&self, ctx: &Context<'_>, input: UpdateItemInput) -> Result<ItemPayload> {
        let id = decode(&input.id, NodeType::Item).extend()?;
        let changes = ItemChanges {
            name: input.name,
            category: input.category.map(Into::into),
            quantity: input.quantity,
            loan_hours: input.loan_hours,
        };
        let row = items::update(ctx.domain(), ctx.viewer(), id, changes)
            .await
            .extend()?;
        Ok(ItemPayload { item: Item::new(row) })
    }

    /// Takes an item off the register: it leaves `Place.items` and cannot be borrowed;
    /// open loans of it can still be returned.
    async fn retire_item(&self, ctx: &Context<'_>, input: ItemIdInput) -> Result<ItemPayload> {
        let id = decode(&input.id, NodeType::Item).extend()?;
        let row = items::retire(ctx.domain(), ctx.viewer(), id).await.extend()?;
        Ok(ItemPayload { item: Item::new(row) })
    }
}
