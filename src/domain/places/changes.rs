//! Places as they change: live watches of an area or of one place, and the delta sync that
//! lets an app on a weak network download what changed since it last synced, not the city.

use std::{collections::HashSet, sync::Arc};

use chrono::Utc;
use entity::place::{self, Publication};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::{
    auth::{Viewer, policy},
    domain::{
        Domain,
        directory::{Listing, PlaceFilter},
        geo::{Point, Within},
        live::{ChangeEvent, Interest, Interrupted, Subscription},
    },
    error::{AppError, AppResult},
};

/// How a place changed for whoever watches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// It came into view: published inside the area, or matching the filter.
    Entered,
    /// It changed and is still in view.
    Updated,
    /// It went out of view: moved away, suspended, unpublished or deleted.
    Left,
}

/// One change, as a watcher or a syncing app receives it.
#[derive(Clone, Debug)]
pub struct PlaceChange {
    /// Whether the place entered, changed inside or left what is watched.
    pub kind: ChangeKind,
    /// The place.
    pub place_id: i32,
    /// The place as it is now; `None` when it left.
    pub place: Option<Arc<Listing>>,
    /// The change log position of the change.
    pub position: i64,
}

/// Changes to published places in an area, filtered like `nearby`.
pub struct AreaWatch {
    subscription: Subscription,
    centre: Point,
    radius: f64,
    filter: PlaceFilter,
}

/// Changes to one place, as the viewer may see it.
pub struct PlaceWatch {
    subscription: Subscription,
    viewer: Viewer,
    /// Whether the viewer could see the place at the last change, so that losing sight of
    /// it is reported once as LEFT.
    visible: bool,
}

/// Places entering and leaving the review queue, for admins.
pub struct QueueWatch {
    subscription: Subscription,
    /// The places waiting for review as this watch knows them, so that one leaving the
    /// queue is told once. As large as the queue, and only admins hold one.
    waiting: HashSet<i32>,
}

/// A live watch of any kind.
pub enum Watch {
    /// Places in an area that match a filter.
    Area(AreaWatch),
    /// One place.
    Place(PlaceWatch),
    /// The review queue.
    Queue(QueueWatch),
}

/// Starts watching the published places within reach of `near`.
pub fn watch_area(domain: &Domain, near: Point, within: Within, filter: PlaceFilter) -> Watch {
    let radius = within.radius_meters(&domain.rules.travel);
    Watch::Area(AreaWatch {
        subscription: domain
            .directory
            .hub()
            .subscribe(Interest::Area { centre: near, radius }),
        centre: near,
        radius,
        filter,
    })
}

/// Starts watching one place: `NOT_FOUND` unless the viewer may see it now.
pub async fn watch_place(domain: &Domain, viewer: &Viewer, id: i32) -> AppResult<Watch> {
    // Subscribe first, so no change between the check and the subscription is missed.
    let subscription = domain.directory.hub().subscribe(Interest::Place(id));
    if super::find(domain, viewer, id).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "no place with this id is visible to you (id {id})"
        )));
    }
    Ok(Watch::Place(PlaceWatch {
        subscription,
        viewer: viewer.clone(),
        visible: true,
    }))
}

/// Starts watching the review queue: ENTERED when a place is submitted (or sent back to
/// review), UPDATED when a waiting place changes, LEFT when it is approved, rejected,
/// withdrawn or deleted. Admins only.
pub async fn watch_review_queue(domain: &Domain, viewer: &Viewer) -> AppResult<Watch> {
    policy::may_moderate(viewer)?;
    // Subscribe first, so no change between the read and the subscription is missed.
    let subscription = domain.directory.hub().subscribe(Interest::Everything);
    let waiting = place::Entity::find()
        .select_only()
        .column(place::Column::Id)
        .filter(place::Column::Publication.eq(Publication::PendingReview))
        .filter(place::Column::DeletedAt.is_null())
        .into_tuple::<i32>()
        .all(&domain.db)
        .await?
        .into_iter()
        .collect();
    Ok(Watch::Queue(QueueWatch {
        subscription,
        waiting,
    }))
}

impl Watch {
    /// The next change the watcher should hear of, or why there will be none.
    pub async fn next(&mut self) -> Result<PlaceChange, Interrupted> {
        loop {
            let change = match self {
                Self::Area(watch) => {
                    let event = watch.subscription.next().await?;
                    watch.classify(&event)
                }
                Self::Place(watch) => {
                    let event = watch.subscription.next().await?;
                    watch.classify(&event)
                }
                Self::Queue(watch) => {
                    let event = watch.subscription.next().await?;
                    watch.classify(&event)
                }
            };
            if let Some(change) = change {
                return Ok(change);
            }
        }
    }
}

impl AreaWatch {
    fn in_view(&self, listing: &Arc<Listing>) -> bool {
        listing.point().distance_to(self.centre) <= self.radius
            && super::super::directory::matches(listing, &self.filter, Utc::now())
    }

    fn classify(&self, event: &ChangeEvent) -> Option<PlaceChange> {
        let before = event.before.as_ref().is_some_and(|listing| self.in_view(listing));
        let after = event.after.as_ref().filter(|listing| self.in_view(listing));
        let kind = match (before, after.is_some()) {
            (false, true) => ChangeKind::Entered,
            (true, true) => ChangeKind::Updated,
            (true, false) => ChangeKind::Left,
            (false, false) => return None,
        };
        Some(PlaceChange {
            kind,
            place_id: event.place_id,
            place: after.cloned(),
            position: event.position,
        })
    }
}

impl PlaceWatch {
    fn classify(&mut self, event: &ChangeEvent) -> Option<PlaceChange> {
        let visible = event.current.as_ref().filter(|listing| {
            listing.deleted_at().is_none() && policy::can_see(&self.viewer, listing.as_ref())
        });
        let kind = match (self.visible, visible.is_some()) {
            (_, true) => ChangeKind::Updated,
            (true, false) => ChangeKind::Left,
            (false, false) => return None,
        };
        let kind = if kind == ChangeKind::Updated && !self.visible {
            ChangeKind::Entered
        } else {
            kind
        };
        self.visible = visible.is_some();
        Some(PlaceChange {
            kind,
            place_id: event.place_id,
            place: visible.cloned(),
            position: event.position,
        })
    }
}

impl QueueWatch {
    fn classify(&mut self, event: &ChangeEvent) -> Option<PlaceChange> {
        let waiting = event.current.as_ref().filter(|listing| {
            listing.publication == Publication::PendingReview && listing.deleted_at().is_none()
        });
        let was_waiting = self.waiting.contains(&event.place_id);
        let kind = match (was_waiting, waiting.is_some()) {
            (false, true) => ChangeKind::Entered,
            (true, true) => ChangeKind::Updated,
            (true, false) => ChangeKind::Left,
            (false, false) => return None,
        };
        if waiting.is_some() {
            self.waiting.insert(event.place_id);
        } else {
            self.waiting.remove(&event.place_id);
        }
        Some(PlaceChange {
            kind,
            place_id: event.place_id,
            place: waiting.cloned(),
            position: event.position,
        })
    }
}
