//! The delta sync: an app on a weak network downloads its area once, then only what
//! changed since, with LEFT tombstones, by change-log position.

use entity::place::Publication;

use super::changes::{ChangeKind, PlaceChange};
use crate::{
    domain::{
        Domain, change_log,
        geo::{Point, Within},
    },
    error::{AppError, AppResult},
};

/// Where a delta sync resumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncCursor {
    /// Inside the first download: every place in the area as of `position`, by id.
    Snapshot {
        /// The log position the download reads the area as of.
        position: i64,
        /// The last place id sent.
        after_id: i32,
    },
    /// After it: the app holds the area as of `since`, and has been sent every place whose
    /// latest change is at or below `through`.
    Delta {
        /// The position the app's copy of the area is complete to.
        since: i64,
        /// The latest change position already sent.
        through: i64,
    },
}

/// A page of a delta sync.
#[derive(Debug)]
pub struct ChangePage {
    /// Each change with the cursor that resumes after it.
    pub items: Vec<(PlaceChange, SyncCursor)>,
    /// Where the next request resumes, even when the page is empty.
    pub end: SyncCursor,
    /// True when more changes follow.
    pub has_next_page: bool,
}

/// Changed places read per query while looking for those that concern the area.
const DELTA_BATCH: u64 = 500;
/// Changed places examined per request at most; the cursor then says where to go on.
const DELTA_SCAN: usize = 10_000;

/// The published places in reach of `near` (first download), or what changed there since
/// `after`: places now in the area as UPDATED, places that were there and are no longer as
/// LEFT tombstones. A cursor older than the log's retention is `RESYNC_REQUIRED`.
pub async fn changes_since(
    domain: &Domain,
    near: Point,
    within: Within,
    after: Option<SyncCursor>,
    first: usize,
) -> AppResult<ChangePage> {
    if first == 0 {
        return Err(AppError::bad_input(
            "first must be 1 to 100 for placeChanges: an empty page cannot move the sync forward",
        ));
    }
    let radius = within.radius_meters(&domain.rules.travel);
    match after {
        None => Ok(snapshot(
            domain,
            near,
            radius,
            domain.directory.applied(),
            0,
            first,
        )),
        Some(SyncCursor::Snapshot { position, after_id }) => {
            Ok(snapshot(domain, near, radius, position, after_id, first))
        }
        Some(SyncCursor::Delta { since, through }) => {
            delta(domain, near, radius, since, through, first).await
        }
    }
}

fn snapshot(
    domain: &Domain,
    near: Point,
    radius: f64,
    position: i64,
    after_id: i32,
    first: usize,
) -> ChangePage {
    // A download continued on an instance that lags may not claim a position it has not
    // applied: the rest of the download would then miss what lies between.
    let position = position.min(domain.directory.applied());
    let mut listings = domain.directory.within(near, radius);
    listings.retain(|listing| listing.id > after_id);
    let has_more = listings.len() > first;
    listings.truncate(first);
    let caught_up = SyncCursor::Delta {
        since: position,
        through: position,
    };
    let count = listings.len();
    let items: Vec<(PlaceChange, SyncCursor)> = listings
        .into_iter()
        .enumerate()
        .map(|(index, listing)| {
            let cursor = if !has_more && index + 1 == count {
                caught_up
            } else {
                SyncCursor::Snapshot {
                    position,
                    after_id: listing.id,
                }
            };
            let change = PlaceChange {
                kind: ChangeKind::Entered,
                place_id: listing.id,
                place: Some(listing),
                position,
            };
            (change, cursor)
        })
        .collect();
    let end = items.last().map_or(caught_up, |(_, cursor)| *cursor);
    ChangePage {
        items,
        end,
        has_next_page: has_more || domain.directory.applied() > position,
    }
}

fn box_touches_circle(south_west: Point, north_east: Point, centre: Point, radius: f64) -> bool {
    let nearest = Point {
        lat: centre.lat.clamp(south_west.lat, north_east.lat),
        lng: centre.lng.clamp(south_west.lng, north_east.lng),
    };
    nearest.distance_to(centre) <= radius
}

async fn delta(
    domain: &Domain,
    near: Point,
    radius: f64,
    since: i64,
    through: i64,
    first: usize,
) -> AppResult<ChangePage> {
    let db = &domain.db;
    if since < change_log::horizon(db).await? || through > change_log::head(db).await? {
        return Err(AppError::ResyncRequired(
            "this sync cursor is older than the change log keeps (or from another database): \
             sync again without `after`"
                .to_owned(),
        ));
    }
    // Answer from a directory at least as new as the log's head at this moment: a place's
    // state and the cursor handed out with it must agree.
    let up_to = domain.directory.catch_up(db).await?.applied.max(through);
    let mut items = Vec::new();
    let mut scanned = 0;
    let mut reached = through;
    let exhausted = loop {
        let batch = change_log::places_changed(db, since, reached, up_to, DELTA_BATCH).await?;
        for changed in &batch {
            scanned += 1;
            reached = changed.position;
            let cursor = SyncCursor::Delta {
                since,
                through: changed.position,
            };
            let listing = domain.directory.get(changed.place_id);
            let in_area = listing
                .as_ref()
                .filter(|listing| listing.publication == Publication::Published)
                .filter(|listing| listing.point().distance_to(near) <= radius);
            let kind = if in_area.is_some() {
                ChangeKind::Updated
            } else if changed.visible
                && changed
                    .south_west
                    .zip(changed.north_east)
                    .is_some_and(|(south_west, north_east)| {
                        box_touches_circle(south_west, north_east, near, radius)
                    })
            {
                ChangeKind::Left
            } else {
                continue;
            };
            let change = PlaceChange {
                kind,
                place_id: changed.place_id,
                place: in_area.cloned(),
                position: changed.position,
            };
            items.push((change, cursor));
            if items.len() > first {
                break;
            }
        }
        if items.len() > first || scanned >= DELTA_SCAN {
            break false;
        }
        if (batch.len() as u64) < DELTA_BATCH {
            break true;
        }
    };
    if items.len() > first {
        items.truncate(first);
        let end = items.last().map_or(
            SyncCursor::Delta {
                since,
                through: reached,
            },
            |(_, cursor)| *cursor,
        );
        return Ok(ChangePage {
            items,
            end,
            has_next_page: true,
        });
    }
    let (end, has_next_page) = if exhausted {
        let caught_up = SyncCursor::Delta {
            since: up_to,
            through: up_to,
        };
        if let Some(last) = items.last_mut() {
            last.1 = caught_up;
        }
        (caught_up, false)
    } else {
        (
            SyncCursor::Delta {
                since,
                through: reached,
            },
            true,
        )
    };
    Ok(ChangePage {
        items,
        end,
        has_next_page,
    })
}
