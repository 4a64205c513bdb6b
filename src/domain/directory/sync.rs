//! How the directory follows the database: it loads every published place once, then
//! applies the change log by position. A write applies its own change at once (`refresh`);
//! the follower (`catch_up`) applies every instance's changes in log order, in bounded
//! batches, however many rows a change touched.
//!
//! Each place row carries the log position of its latest change, so of two reads of a
//! place the directory keeps the one the database committed later, whichever arrives
//! last, and removals and suspensions apply like any other change.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, atomic::Ordering},
};

use chrono::Utc;
use entity::{
    offer,
    place::{self, Publication},
    place_photo,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    listing::Listing,
    spatial::{Index, Kept},
    store::{Directory, Preparer},
};
use crate::{
    domain::{
        calendar, change_log,
        live::ChangeEvent,
        photos,
        voice::{Rating, rating},
    },
    error::{AppError, AppResult},
};

/// Rows or log entries per query.
const BATCH: u64 = 1_000;
/// Parts of the directory read at once at start-up, each on its own connection.
const LOAD_PARTS: i64 = 4;

/// Where a catch-up left the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatchUp {
    /// The position every change up to which is applied.
    pub applied: i64,
    /// Log entries applied by this catch-up.
    pub entries: usize,
}

impl Directory {
    /// Loads every published place and its offers, in batches so a large network never
    /// sits in memory twice. The log's head is read first: every change at or below it has
    /// committed, so the rows read afterwards include it, and the follower resumes from it.
    pub async fn load(db: &DatabaseConnection, calendar: calendar::WorkCalendar) -> AppResult<Self> {
        let directory = Self::new(calendar);
        directory.reload(db).await?;
        Ok(directory)
    }

    /// Replaces everything with what the database holds now.
    pub(super) async fn reload(&self, db: &DatabaseConnection) -> AppResult<()> {
        let index = self.read_all(db).await?;
        *self.write() = index;
        self.restored.store(false, Ordering::Release);
        Ok(())
    }

    /// The position every change up to which is applied.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    /// The log's head when the follower last looked.
    pub fn head_seen(&self) -> i64 {
        self.head_seen.load(Ordering::Acquire)
    }

    /// Records the log's head the follower saw.
    pub fn note_head(&self, head: i64) {
        self.head_seen.fetch_max(head, Ordering::AcqRel);
    }

    /// The subscribers that hear of every change applied.
    pub fn hub(&self) -> &Arc<crate::domain::live::Hub> {
        &self.hub
    }

    async fn read_all(&self, db: &DatabaseConnection) -> AppResult<Index> {
        let started = std::time::Instant::now();
        let head = change_log::head(db).await?;
        let (low, high): (Option<i32>, Option<i32>) = place::Entity::find()
            .select_only()
            .column_as(place::Column::Id.min(), "low")
            .column_as(place::Column::Id.max(), "high")
            .filter(place::Column::Publication.eq(Publication::Published))
            .into_tuple()
            .one(db)
            .await?
            .unwrap_or_default();
        let mut index = Index::default();
        if let (Some(low), Some(high)) = (low, high) {
            // Parts of the id range load at once, each on its own connection and into its
            // own index; the parts then join in id order, which costs little.
            let span = (i64::from(high) - i64::from(low)) / LOAD_PARTS + 1;
            let mut loads = tokio::task::JoinSet::new();
            for part in 0..LOAD_PARTS {
                let from = i64::from(low) + part * span;
                let to = (from + span - 1).min(i64::from(high));
                if from > to {
                    break;
                }
                let (db, preparer) = (db.clone(), self.preparer());
                loads.spawn(async move { (part, load_part(&db, &preparer, from as i32, to as i32).await) });
            }
            let mut parts = Vec::new();
            while let Some(joined) = loads.join_next().await {
                let (part, loaded) = joined
                    .map_err(|error| AppError::internal(anyhow::anyhow!("a load task failed: {error}")))?;
                parts.push((part, loaded?));
            }
            parts.sort_unstable_by_key(|(part, _)| *part);
            for (_, part) in parts {
                index.append(part);
            }
            index.shrink_to_fit();
            let (search_keys, search_bytes) = index.text.size();
            tracing::info!(
                places = index.by_id.len(),
                groups = index.alike.len(),
                search_keys,
                search_mb = search_bytes >> 20,
                millis = started.elapsed().as_millis() as u64,
                "directory loaded"
            );
        }
        self.applied.fetch_max(head, Ordering::AcqRel);
        Ok(index)
    }

    /// Listings for rows, with their live offers, ratings and photos read in one query each.
    pub(crate) async fn listings_of(
        &self,
        db: &impl ConnectionTrait,
        rows: Vec<place::Model>,
    ) -> AppResult<Vec<Arc<Listing>>> {
        Ok(Batch::read(db, rows).await?.prepare(&self.preparer()))
    }

    /// Re-reads places after a write has committed, so the writer reads its own write at once.
    /// A failure here is logged, not returned: the write landed, and the follower applies it
    /// from the log in a moment.
    pub async fn refresh(&self, db: &impl ConnectionTrait, ids: &[i32]) {
        let read = async {
            let rows = place::Entity::find()
                .filter(place::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?;
            self.listings_of(db, rows).await
        };
        match read.await {
            Ok(listings) => self.apply(listings, &[]),
            Err(error) => {
                tracing::warn!(error = ?error, ?ids, "could not re-read places after a write; the follower will")
            }
        }
    }

    /// Applies what every instance wrote since the applied position, up to the log's head,
    /// in batches. One follower at a time; a directory below the log's horizon (its entries
    /// expired) loads again from scratch.
    pub async fn catch_up(&self, db: &DatabaseConnection) -> AppResult<CatchUp> {
        let _turn = self.following.lock().await;
        if self.applied() < change_log::horizon(db).await? {
            tracing::warn!(
                applied = self.applied(),
                "the directory fell behind the change log's horizon; reloading"
            );
            self.reload(db).await?;
        }
        let mut entries = 0;
        loop {
            let batch = change_log::read_after(db, self.applied(), BATCH).await?;
            let Some(last) = batch.last().copied() else { break };
            entries += batch.len();
            if batch.iter().any(|entry| entry.place_id.is_none()) {
                self.replace_calendar(calendar::load(db).await?);
            }
            // The latest position of each place in the batch: a place whose row is gone is
            // hidden as of it.
            let mut latest: HashMap<i32, i64> = HashMap::new();
            for entry in &batch {
                if let Some(id) = entry.place_id {
                    latest.insert(id, entry.position);
                }
            }
            let ids: Vec<i32> = latest.keys().copied().collect();
            let rows = place::Entity::find()
                .filter(place::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?;
            let found: HashSet<i32> = rows.iter().map(|row| row.id).collect();
            let gone: Vec<(i32, i64)> = latest.into_iter().filter(|(id, _)| !found.contains(id)).collect();
            let listings = self.listings_of(db, rows).await?;
            self.apply(listings, &gone);
            self.applied.fetch_max(last.position, Ordering::AcqRel);
            if (batch.len() as u64) < BATCH {
                break;
            }
        }
        Ok(CatchUp {
            applied: self.applied(),
            entries,
        })
    }

    /// Applies places as read (and places found gone, with the position they went at),
    /// keeping for each place only what is newer than what the directory holds, and tells
    /// subscribers what changed.
    fn apply(&self, listings: Vec<Arc<Listing>>, gone: &[(i32, i64)]) {
        let mut index = self.write();
        for listing in listings {
            let (id, position) = (listing.id, listing.log_position);
            if position <= index.position_of(id) {
                continue;
            }
            let before = index.by_id.get(id).map(|kept| kept.listing.clone());
            let after = (listing.publication == Publication::Published).then(|| listing.clone());
            match &after {
                Some(published) => index.insert(published.clone()),
                None => index.hide(id, position),
            }
            self.hub.publish(ChangeEvent {
                position,
                place_id: id,
                before,
                after,
                current: Some(listing),
            });
        }
        for &(id, position) in gone {
            if position <= index.position_of(id) {
                continue;
            }
            let before = index.by_id.get(id).map(|kept| kept.listing.clone());
            index.hide(id, position);
            self.hub.publish(ChangeEvent {
                position,
                place_id: id,
                before,
                after: None,
                current: None,
            });
        }
    }

    /// Swaps in a new work calendar and re-reads every listing's hours against it, in one
    /// step under the index's lock, so no change applied meanwhile is undone.
    fn replace_calendar(&self, calendar: calendar::WorkCalendar) {
        *self
            .calendar
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(calendar);
        self.schedules.clear();
        let mut index = self.write();
        let rebuilt: Vec<Arc<Listing>> = index
            .by_id
            .values()
            .map(|Kept { listing, .. }| {
                Arc::new(
                    self.listing(listing.to_model(), listing.offers().to_vec(), listing.rating())
                        .with_photos(listing.photos().to_vec()),
                )
            })
            .collect();
        for listing in rebuilt {
            index.swap_listing(listing);
        }
    }
}

/// Place rows and what travels with them, read but not yet prepared as listings.
pub(crate) struct Batch {
    rows: Vec<place::Model>,
    offers: HashMap<i32, Vec<offer::Model>>,
    ratings: HashMap<i32, Rating>,
    photos: HashMap<i32, Vec<place_photo::Model>>,
}

impl Batch {
    /// Reads the live offers, ratings and photos of `rows`, one query each.
    async fn read(db: &impl ConnectionTrait, rows: Vec<place::Model>) -> AppResult<Self> {
        let ids: Vec<i32> = rows.iter().map(|row| row.id).collect();
        Ok(Self {
            offers: live_offers(db, &ids).await?,
            ratings: rating::of_places(db, &ids).await?,
            photos: photos::of_places(db, &ids).await?,
            rows,
        })
    }

    /// The listings of the batch.
    fn prepare(self, preparer: &Preparer) -> Vec<Arc<Listing>> {
        let Self {
            rows,
            mut offers,
            mut ratings,
            mut photos,
        } = self;
        rows.into_iter()
            .map(|row| {
                let place_offers = offers.remove(&row.id).unwrap_or_default();
                let place_rating = ratings.remove(&row.id).unwrap_or_default();
                let place_photos = photos.remove(&row.id).unwrap_or_default();
                Arc::new(
                    preparer
                        .listing(row, place_offers, place_rating)
                        .with_photos(place_photos),
                )
            })
            .collect()
    }
}

/// An index of the published places with ids from `from` to `to`, read in batches by id.
async fn load_part(db: &DatabaseConnection, preparer: &Preparer, from: i32, to: i32) -> AppResult<Index> {
    let mut index = Index::default();
    let mut after: Option<i32> = None;
    loop {
        let rows = place::Entity::find()
            .filter(place::Column::Publication.eq(Publication::Published))
            .filter(after.map_or(place::Column::Id.gte(from), |after| place::Column::Id.gt(after)))
            .filter(place::Column::Id.lte(to))
            .order_by_asc(place::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        for listing in Batch::read(db, rows).await?.prepare(preparer) {
            index.insert(listing);
        }
    }
    Ok(index)
}

/// Offers not deleted and not over, of the given places, grouped by place.
async fn live_offers(
    db: &impl ConnectionTrait,
    place_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<offer::Model>>> {
    let mut grouped: HashMap<i32, Vec<offer::Model>> = HashMap::new();
    for chunk in place_ids.chunks(BATCH as usize) {
        let offers = offer::Entity::find()
            .filter(offer::Column::PlaceId.is_in(chunk.iter().copied()))
            .filter(offer::Column::DeletedAt.is_null())
            .filter(offer::Column::ValidUntil.gt(Utc::now()))
            .all(db)
            .await?;
        for offer in offers {
            grouped.entry(offer.place_id).or_default().push(offer);
        }
    }
    Ok(grouped)
}
