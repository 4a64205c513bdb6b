//! Storefront photos in GraphQL: the `PlacePhoto` object and the mutations that upload
//! (GraphQL multipart request), remove and reorder them.

use async_graphql::{Context, ID, InputObject, Object, Result, ResultExt, SimpleObject, Upload};
use entity::place_photo;

use super::{
    context::ContextExt,
    ids::{NodeType, decode, global_id},
    places::Place,
};
use crate::{domain::photos, error::AppError};

/// A photo of a place (a storefront, the rest area inside), re-encoded at upload so it
/// carries no metadata (no EXIF location), with a thumbnail.
pub struct PlacePhoto {
    photo: place_photo::Model,
}

impl PlacePhoto {
    /// The API's view of a photo.
    pub fn new(photo: place_photo::Model) -> Self {
        Self { photo }
    }
}

#[Object]
impl PlacePhoto {
    /// The photo's opaque global id.
    pub async fn id(&self) -> ID {
        global_id(NodeType::PlacePhoto, self.photo.id)
    }

    /// Where the image is served. The URL never changes its content, so it may be cached
    /// for good; it stops being served once the photo is removed.
    async fn url(&self, ctx: &Context<'_>) -> String {
        ctx.domain().media.url_of(&self.photo.image_key)
    }

    /// A small version, its longest side at most 400 px, for lists.
    async fn thumbnail_url(&self, ctx: &Context<'_>) -> String {
        ctx.domain().media.url_of(&self.photo.thumbnail_key)
    }

    /// Width of the image in pixels.
    async fn width(&self) -> i32 {
        self.photo.width
    }

    /// Height of the image in pixels.
    async fn height(&self) -> i32 {
        self.photo.height
    }

    /// `image/jpeg`, `image/png` or `image/webp`: the format it was uploaded in.
    async fn content_type(&self) -> &str {
        &self.photo.media_type
    }

    /// The owner's caption, such as "门头".
    async fn caption(&self) -> Option<&str> {
        self.photo.caption.as_deref()
    }
}

/// A photo to add. Send the request as a GraphQL multipart request with the header
/// `apollo-require-preflight: true`.
#[derive(InputObject)]
pub struct AddPlacePhotoInput {
    /// The place, one you own (or any, for admins).
    pub place_id: ID,
    /// A JPEG, PNG or WebP image of at most 8 MiB and 8000×8000 pixels.
    pub file: Upload,
    /// Up to 200 characters.
    pub caption: Option<String>,
}

/// Names a photo.
#[derive(InputObject)]
pub struct RemovePlacePhotoInput {
    /// The photo.
    pub id: ID,
}

/// A new order for a place's photos.
#[derive(InputObject)]
pub struct ReorderPlacePhotosInput {
    /// The place.
    pub place_id: ID,
    /// Every photo of the place, once each, in the order to show them.
    pub ids: Vec<ID>,
}

/// The result of `addPlacePhoto`.
#[derive(SimpleObject)]
pub struct AddPlacePhotoPayload {
    /// The photo as stored.
    pub photo: PlacePhoto,
}

/// The result of `removePlacePhoto`.
#[derive(SimpleObject)]
pub struct RemovePlacePhotoPayload {
    /// The id of the removed photo.
    pub deleted_id: ID,
}

/// The result of `reorderPlacePhotos`.
#[derive(SimpleObject)]
pub struct ReorderPlacePhotosPayload {
    /// The place with its photos in the new order.
    pub place: Place,
}

/// Photo mutations: add, remove, reorder.
#[derive(Default)]
pub struct PhotoMutation;

#[Object]
impl PhotoMutation {
    /// Adds a photo to a place you manage (owners and admins), at most 9 per place. The
    /// image is re-encoded (metadata such as EXIF location removed) and a thumbnail made.
    /// Photos do not send a published place back to review; the history records them.
    async fn add_place_photo(
        &self,
        ctx: &Context<'_>,
        input: AddPlacePhotoInput,
    ) -> Result<AddPlacePhotoPayload> {
        let place_id = decode(&input.place_id, NodeType::Place).extend()?;
        let upload = input
            .file
            .value(ctx)
            .map_err(|error| AppError::bad_input(format!("the upload could not be read: {error}")))
            .extend()?;
        let new = photos::NewPhoto {
            place_id,
            bytes: upload.content,
            caption: input.caption,
        };
        let photo = photos::add(ctx.domain(), ctx.viewer(), new).await.extend()?;
        Ok(AddPlacePhotoPayload {
            photo: PlacePhoto::new(photo),
        })
    }

    /// Removes a photo of a place you manage; its URLs stop being served.
    async fn remove_place_photo(
        &self,
        ctx: &Context<'_>,
        input: RemovePlacePhotoInput,
    ) -> Result<RemovePlacePhotoPayload> {
        let id = decode(&input.id, NodeType::PlacePhoto).extend()?;
        let removed = photos::remove(ctx.domain(), ctx.viewer(), id).await.extend()?;
        Ok(RemovePlacePhotoPayload {
            deleted_id: global_id(NodeType::PlacePhoto, removed),
        })
    }

    /// Puts the photos of a place you manage in a new order.
    async fn reorder_place_photos(
        &self,
        ctx: &Context<'_>,
        input: ReorderPlacePhotosInput,
    ) -> Result<ReorderPlacePhotosPayload> {
        let place_id = decode(&input.place_id, NodeType::Place).extend()?;
        let ids = input
            .ids
            .iter()
            .map(|id| decode(id, NodeType::PlacePhoto))
            .collect::<Result<Vec<_>, _>>()
            .extend()?;
        let listing = photos::reorder(ctx.domain(), ctx.viewer(), place_id, &ids)
            .await
            .extend()?;
        Ok(ReorderPlacePhotosPayload {
            place: Place::new(listing),
        })
    }
}
