//! Storefront photos: owners and admins add up to 9 per place, remove and reorder them.
//! Photos travel with the place's listing, so they reach exactly who sees the place.
//!
//! An upload is checked and re-encoded first (`image.rs`), its objects are written to the
//! media store (`store.rs`), and only then is its row inserted, in a transaction that also
//! counts the place's photos, records the history and logs the change. Any failure after
//! the objects were written deletes the objects this upload created, so nothing is left
//! behind. Photo changes do not send a published place back to review: they are not the
//! facts the review distance protects, and admins read them in the history.

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use entity::{place, place_history::FieldChange, place_photo};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait, sea_query::Expr,
};
use sha2::{Digest, Sha256};

pub mod image;
mod store;

pub use store::{BucketSettings, Media, MediaSettings, StoredObject, parse_key};

use super::{
    Domain, change_log,
    directory::Listing,
    geo::Point,
    history::{self, Action, change},
    places, validate,
};
use crate::{
    auth::{Viewer, policy},
    error::{AppError, AppResult},
};

/// The most photos a place may have.
pub const MAX_PHOTOS: usize = 9;

/// An upload as the caller sent it.
#[derive(Debug)]
pub struct NewPhoto {
    /// The place it is for.
    pub place_id: i32,
    /// The file's bytes, not yet trusted.
    pub bytes: bytes::Bytes,
    /// An optional caption, up to 200 characters.
    pub caption: Option<String>,
}

/// The place with `id`, if the viewer may manage its photos.
async fn managed_place(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<place::Model> {
    let place = places::for_change(&domain.db, viewer, id).await?;
    policy::may_manage(viewer, &place)?;
    Ok(place)
}

/// Locks the place for a photo change, writing first (SQLite lets a transaction wait for
/// the lock only when its first statement writes; on PostgreSQL the update holds the row
/// lock every writer of the place takes, so photo counts are checked one writer at a time).
async fn lock_place(txn: &impl ConnectionTrait, id: i32) -> AppResult<place::Model> {
    let locked = place::Entity::update_many()
        .col_expr(place::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(place::Column::Id.eq(id))
        .exec(txn)
        .await?;
    if locked.rows_affected == 0 {
        return Err(AppError::NotFound(format!("place {id} no longer exists")));
    }
    place::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("place {id} no longer exists")))
}

/// Records the change in the place's history and the change log, last in the transaction.
async fn record(
    txn: &impl ConnectionTrait,
    place: &place::Model,
    viewer: &Viewer,
    action: Action,
    changes: Vec<FieldChange>,
) -> AppResult<()> {
    history::record(txn, place.id, viewer, action, changes, None).await?;
    let location = Point {
        lat: place.latitude,
        lng: place.longitude,
    };
    change_log::append_place(txn, place.id, &[location]).await?;
    Ok(())
}

fn photo_changes(old: Option<&place_photo::Model>, new: Option<&place_photo::Model>) -> Vec<FieldChange> {
    [
        change("photo.id", old.map(|p| p.id), new.map(|p| p.id)),
        change(
            "photo.caption",
            old.and_then(|p| p.caption.clone()),
            new.and_then(|p| p.caption.clone()),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The photos of a place, in display order.
async fn photos_of(db: &impl ConnectionTrait, place_id: i32) -> AppResult<Vec<place_photo::Model>> {
    Ok(place_photo::Entity::find()
        .filter(place_photo::Column::PlaceId.eq(place_id))
        .order_by_asc(place_photo::Column::Position)
        .order_by_asc(place_photo::Column::Id)
        .all(db)
        .await?)
}

/// The photos of many places, each place's in display order: one query for a page.
pub async fn of_places(
    db: &impl ConnectionTrait,
    place_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<place_photo::Model>>> {
    let mut grouped: HashMap<i32, Vec<place_photo::Model>> = HashMap::new();
    for chunk in place_ids.chunks(1_000) {
        let photos = place_photo::Entity::find()
            .filter(place_photo::Column::PlaceId.is_in(chunk.iter().copied()))
            .order_by_asc(place_photo::Column::Position)
            .order_by_asc(place_photo::Column::Id)
            .all(db)
            .await?;
        for photo in photos {
            grouped.entry(photo.place_id).or_default().push(photo);
        }
    }
    Ok(grouped)
}

/// Adds a photo to a place the viewer manages: checked, stripped of metadata, stored with
/// a thumbnail, and recorded, or refused with nothing stored.
pub async fn add(domain: &Domain, viewer: &Viewer, new: NewPhoto) -> AppResult<place_photo::Model> {
    let place = managed_place(domain, viewer, new.place_id).await?;
    let caption = match new.caption {
        Some(caption) => Some(validate::text("caption", &caption, 0, 200)?).filter(|c| !c.is_empty()),
        None => None,
    };
    if photos_of(&domain.db, place.id).await?.len() >= MAX_PHOTOS {
        return Err(full());
    }
    let processed = {
        let _turn = domain
            .media
            .processing
            .acquire()
            .await
            .map_err(AppError::internal)?;
        let bytes = new.bytes;
        tokio::task::spawn_blocking(move || image::process(&bytes))
            .await
            .map_err(AppError::internal)??
    };
    let hash = format!("{:x}", Sha256::digest(&processed.image.bytes));
    let image_key = store::key(place.id, &hash, false, processed.kind);
    let thumbnail_key = store::key(place.id, &hash, true, processed.kind);
    let row = place_photo::ActiveModel {
        place_id: Set(place.id),
        image_key: Set(image_key.clone()),
        thumbnail_key: Set(thumbnail_key.clone()),
        media_type: Set(processed.kind.media_type().to_owned()),
        width: Set(i32::try_from(processed.image.width).unwrap_or(i32::MAX)),
        height: Set(i32::try_from(processed.image.height).unwrap_or(i32::MAX)),
        thumbnail_width: Set(i32::try_from(processed.thumbnail.width).unwrap_or(i32::MAX)),
        thumbnail_height: Set(i32::try_from(processed.thumbnail.height).unwrap_or(i32::MAX)),
        byte_size: Set(i64::try_from(processed.image.bytes.len()).unwrap_or(i64::MAX)),
        caption: Set(caption),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    // A task of its own, so a caller that hangs up cannot stop the upload between writing
    // its objects and cleaning them up.
    let (task_domain, task_viewer) = (domain.clone(), viewer.clone());
    let objects = [
        (image_key, processed.image.bytes),
        (thumbnail_key, processed.thumbnail.bytes),
    ];
    let created = tokio::spawn(async move {
        let mut written = Vec::new();
        let stored = store_and_insert(&task_domain, &task_viewer, objects, row, &mut written).await;
        if stored.is_err() {
            task_domain.media.delete(&written).await;
        }
        stored
    })
    .await
    .map_err(AppError::internal)??;
    domain.directory.refresh(&domain.db, &[place.id]).await;
    Ok(created)
}

fn full() -> AppError {
    AppError::bad_input(format!(
        "a place has at most {MAX_PHOTOS} photos; remove one (removePlacePhoto) before adding another"
    ))
}

/// Writes the objects (noting in `written` those this upload created), then the row.
async fn store_and_insert(
    domain: &Domain,
    viewer: &Viewer,
    objects: [(String, Vec<u8>); 2],
    mut row: place_photo::ActiveModel,
    written: &mut Vec<String>,
) -> AppResult<place_photo::Model> {
    for (key, bytes) in objects {
        if domain.media.put_new(&key, bytes).await? {
            written.push(key);
        }
    }
    let place_id = *row.place_id.as_ref();
    let image_key = row.image_key.as_ref().clone();
    let txn = domain.db.begin().await?;
    let place = lock_place(&txn, place_id).await?;
    let existing = photos_of(&txn, place_id).await?;
    if existing.len() >= MAX_PHOTOS {
        return Err(full());
    }
    if existing.iter().any(|photo| photo.image_key == image_key) {
        return Err(AppError::bad_input(
            "this image is already one of the place's photos",
        ));
    }
    row.position = Set(existing.iter().map(|photo| photo.position).max().unwrap_or(0) + 1);
    let created = row.insert(&txn).await?;
    record(
        &txn,
        &place,
        viewer,
        Action::PhotoAdded,
        photo_changes(None, Some(&created)),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Removes a photo of a place the viewer manages; its objects are deleted once the row is
/// gone, so its URLs stop being served. Returns the photo's id.
pub async fn remove(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<i32> {
    let not_found = || AppError::NotFound(format!("no photo with this id is visible to you (id {id})"));
    let photo = place_photo::Entity::find_by_id(id)
        .one(&domain.db)
        .await?
        .ok_or_else(not_found)?;
    managed_place(domain, viewer, photo.place_id).await?;
    let txn = domain.db.begin().await?;
    let place = lock_place(&txn, photo.place_id).await?;
    let deleted = place_photo::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(not_found());
    }
    record(
        &txn,
        &place,
        viewer,
        Action::PhotoRemoved,
        photo_changes(Some(&photo), None),
    )
    .await?;
    txn.commit().await?;
    domain.directory.refresh(&domain.db, &[place.id]).await;
    let still_shown = place_photo::Entity::find()
        .filter(place_photo::Column::ImageKey.eq(photo.image_key.as_str()))
        .one(&domain.db)
        .await?
        .is_some();
    if !still_shown {
        domain.media.delete(&[photo.image_key, photo.thumbnail_key]).await;
    }
    Ok(id)
}

/// Puts a place's photos in the given order; `ids` names each of its photos once.
pub async fn reorder(
    domain: &Domain,
    viewer: &Viewer,
    place_id: i32,
    ids: &[i32],
) -> AppResult<Arc<Listing>> {
    managed_place(domain, viewer, place_id).await?;
    let txn = domain.db.begin().await?;
    let place = lock_place(&txn, place_id).await?;
    let current = photos_of(&txn, place_id).await?;
    let mut given = ids.to_vec();
    given.sort_unstable();
    let mut have: Vec<i32> = current.iter().map(|photo| photo.id).collect();
    have.sort_unstable();
    if given != have {
        return Err(AppError::bad_input(format!(
            "ids must name each of the place's {} photos exactly once, in the new order",
            current.len()
        )));
    }
    for (position, id) in (1..).zip(ids) {
        place_photo::Entity::update_many()
            .col_expr(place_photo::Column::Position, Expr::value(position))
            .filter(place_photo::Column::Id.eq(*id))
            .exec(&txn)
            .await?;
    }
    let order =
        |list: &mut dyn Iterator<Item = i32>| list.map(|id| id.to_string()).collect::<Vec<_>>().join(",");
    let changes = change(
        "photo.order",
        Some(order(&mut current.iter().map(|photo| photo.id))),
        Some(order(&mut ids.iter().copied())),
    );
    record(
        &txn,
        &place,
        viewer,
        Action::PhotosReordered,
        changes.into_iter().collect(),
    )
    .await?;
    txn.commit().await?;
    domain.directory.refresh(&domain.db, &[place_id]).await;
    places::find(domain, viewer, place_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("place {place_id} no longer exists")))
}

/// A photo by id, for `node`: visible when its place is.
pub async fn find(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Option<place_photo::Model>> {
    let Some(photo) = place_photo::Entity::find_by_id(id).one(&domain.db).await? else {
        return Ok(None);
    };
    let visible = place::Entity::find_by_id(photo.place_id)
        .one(&domain.db)
        .await?
        .is_some_and(|place| policy::can_see(viewer, &place));
    Ok(visible.then_some(photo))
}
