//! A storefront photo of a place: the keys of its stored image and thumbnail, their sizes,
//! where it stands among the place's photos, and an optional caption.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "place_photos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub place_id: i32,
    /// Ascending order of display; ties by id.
    pub position: i32,
    /// The re-encoded image's key in the media store: `<place>/<sha256>.<ext>`.
    pub image_key: String,
    /// The thumbnail's key in the media store.
    pub thumbnail_key: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub media_type: String,
    pub width: i32,
    pub height: i32,
    pub thumbnail_width: i32,
    pub thumbnail_height: i32,
    /// The stored image's size in bytes.
    pub byte_size: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub caption: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
