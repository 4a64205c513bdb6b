//! Live changes: every change the directory applies becomes a `ChangeEvent`, handed to the
//! subscribers it may concern. Subscribers of an area are kept in a grid of ~1 km cells, so
//! a change is matched against the few subscribers around it, not against all of them.
//!
//! Every subscriber has a bounded queue. One that falls behind by more than the queue is
//! told so and dropped rather than allowed to grow memory: it resubscribes and catches up
//! with the delta sync.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, RwLock, Weak,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::sync::mpsc;

use super::{directory::Listing, geo::Point};

/// Grid cells of the subscription index: 0.01°, about 1.1 km north–south.
const CELLS_PER_DEGREE: f64 = 100.0;
/// A subscription covering more cells than this is checked against every change instead.
const MAX_CELLS_PER_SUBSCRIPTION: usize = 2_500;
/// Events a subscriber may have waiting before it is dropped as too slow.
pub const SUBSCRIBER_QUEUE: usize = 256;

type Cell = (i32, i32);

fn cell_of(point: Point) -> Cell {
    (
        (point.lat * CELLS_PER_DEGREE).floor() as i32,
        (point.lng * CELLS_PER_DEGREE).floor() as i32,
    )
}

/// One change to one place, as this instance applied it.
#[derive(Debug)]
pub struct ChangeEvent {
    /// The change log position of the change.
    pub position: i64,
    /// The place that changed.
    pub place_id: i32,
    /// The published listing before the change, if it was published.
    pub before: Option<Arc<Listing>>,
    /// The published listing after the change, if it is published.
    pub after: Option<Arc<Listing>>,
    /// The place as it is now, whatever its publication; `None` once it is gone.
    pub current: Option<Arc<Listing>>,
}

/// What a subscriber wants to hear about.
#[derive(Clone, Copy, Debug)]
pub enum Interest {
    /// Changes to published places within `radius` metres of `centre`, before or after.
    Area {
        /// The middle of the watched circle.
        centre: Point,
        /// Its radius in metres.
        radius: f64,
    },
    /// Changes to one place.
    Place(i32),
    /// Every change, whatever the place's publication (the review queue's admins).
    Everything,
}

struct Subscriber {
    interest: Interest,
    cells: Vec<Cell>,
    sender: mpsc::Sender<Arc<ChangeEvent>>,
    overflowed: Arc<AtomicBool>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    subscribers: HashMap<u64, Subscriber>,
    by_cell: HashMap<Cell, Vec<u64>>,
    by_place: HashMap<i32, Vec<u64>>,
    /// Subscriptions too wide for the grid.
    wide: Vec<u64>,
}

impl Registry {
    fn unlink(&mut self, id: u64) {
        let Some(subscriber) = self.subscribers.remove(&id) else {
            return;
        };
        let forget = |ids: &mut Vec<u64>| ids.retain(|other| *other != id);
        match subscriber.interest {
            Interest::Place(place_id) => {
                if let Some(ids) = self.by_place.get_mut(&place_id) {
                    forget(ids);
                    if ids.is_empty() {
                        self.by_place.remove(&place_id);
                    }
                }
            }
            Interest::Everything => forget(&mut self.wide),
            Interest::Area { .. } if subscriber.cells.is_empty() => forget(&mut self.wide),
            Interest::Area { .. } => {
                for cell in subscriber.cells {
                    if let Some(ids) = self.by_cell.get_mut(&cell) {
                        forget(ids);
                        if ids.is_empty() {
                            self.by_cell.remove(&cell);
                        }
                    }
                }
            }
        }
    }
}

/// The subscribers of one instance.
#[derive(Default)]
pub struct Hub {
    registry: RwLock<Registry>,
}

/// The cells a circle touches, or `None` when it touches too many.
fn cells_covering(centre: Point, radius: f64) -> Option<Vec<Cell>> {
    let dlat = (radius / super::geo::EARTH_RADIUS_METERS).to_degrees();
    let dlng = dlat / (centre.lat.abs() + dlat).min(89.0).to_radians().cos();
    let south_west = cell_of(Point {
        lat: centre.lat - dlat,
        lng: centre.lng - dlng,
    });
    let north_east = cell_of(Point {
        lat: centre.lat + dlat,
        lng: centre.lng + dlng,
    });
    let rows = i64::from(north_east.0 - south_west.0 + 1);
    let cols = i64::from(north_east.1 - south_west.1 + 1);
    if rows * cols > MAX_CELLS_PER_SUBSCRIPTION as i64 {
        return None;
    }
    Some(
        (south_west.0..=north_east.0)
            .flat_map(|row| (south_west.1..=north_east.1).map(move |col| (row, col)))
            .collect(),
    )
}

impl Hub {
    /// Registers a subscriber; it stays until the returned subscription drops.
    pub fn subscribe(self: &Arc<Self>, interest: Interest) -> Subscription {
        let (sender, receiver) = mpsc::channel(SUBSCRIBER_QUEUE);
        let overflowed = Arc::new(AtomicBool::new(false));
        let cells = match interest {
            Interest::Area { centre, radius } => cells_covering(centre, radius).unwrap_or_default(),
            Interest::Place(_) | Interest::Everything => Vec::new(),
        };
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = registry.next_id;
        registry.next_id += 1;
        match interest {
            Interest::Place(place_id) => registry.by_place.entry(place_id).or_default().push(id),
            Interest::Everything => registry.wide.push(id),
            Interest::Area { .. } if cells.is_empty() => registry.wide.push(id),
            Interest::Area { .. } => {
                for cell in &cells {
                    registry.by_cell.entry(*cell).or_default().push(id);
                }
            }
        }
        registry.subscribers.insert(
            id,
            Subscriber {
                interest,
                cells,
                sender,
                overflowed: overflowed.clone(),
            },
        );
        Subscription {
            id,
            hub: Arc::downgrade(self),
            receiver,
            overflowed,
        }
    }

    /// How many subscribers are registered.
    pub fn len(&self) -> usize {
        self.registry
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .subscribers
            .len()
    }

    /// Whether no subscriber is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands an event to every subscriber it may concern, without waiting for any of them.
    pub fn publish(&self, event: ChangeEvent) {
        let registry = self
            .registry
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if registry.subscribers.is_empty() {
            return;
        }
        let mut candidates: HashSet<u64> = registry.wide.iter().copied().collect();
        for listing in [&event.before, &event.after].into_iter().flatten() {
            if let Some(ids) = registry.by_cell.get(&cell_of(listing.point())) {
                candidates.extend(ids);
            }
        }
        if let Some(ids) = registry.by_place.get(&event.place_id) {
            candidates.extend(ids);
        }
        if candidates.is_empty() {
            return;
        }
        let event = Arc::new(event);
        for id in candidates {
            let Some(subscriber) = registry.subscribers.get(&id) else {
                continue;
            };
            if let Err(mpsc::error::TrySendError::Full(_)) = subscriber.sender.try_send(event.clone()) {
                subscriber.overflowed.store(true, Ordering::Release);
            }
        }
    }
}

/// A registered subscriber's end: events arrive here until it drops.
pub struct Subscription {
    id: u64,
    hub: Weak<Hub>,
    receiver: mpsc::Receiver<Arc<ChangeEvent>>,
    overflowed: Arc<AtomicBool>,
}

/// Why a subscription's events stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// The subscriber fell further behind than its queue holds.
    Overflowed,
    /// The instance is shutting down.
    Closed,
}

impl Subscription {
    /// The next event, or why there will be none.
    pub async fn next(&mut self) -> Result<Arc<ChangeEvent>, Interrupted> {
        if self.overflowed.load(Ordering::Acquire) {
            return Err(Interrupted::Overflowed);
        }
        self.receiver.recv().await.ok_or(Interrupted::Closed)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.registry
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .unlink(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_circle_covers_a_few_cells_and_a_huge_one_is_wide() {
        let centre = Point {
            lat: 36.18,
            lng: 116.77,
        };
        let cells = cells_covering(centre, 1_800.0).expect("a 1.8 km circle fits the grid");
        assert!((4..=25).contains(&cells.len()), "{} cells", cells.len());
        assert!(cells.contains(&cell_of(centre)));
        assert!(cells_covering(centre, 50_000.0).is_none());
    }

    #[test]
    fn dropping_a_subscription_unregisters_it() {
        let hub = Arc::new(Hub::default());
        let area = hub.subscribe(Interest::Area {
            centre: Point {
                lat: 36.18,
                lng: 116.77,
            },
            radius: 1_000.0,
        });
        let place = hub.subscribe(Interest::Place(7));
        assert_eq!(hub.len(), 2);
        drop(area);
        drop(place);
        assert!(hub.is_empty());
        let registry = hub.registry.read().unwrap();
        assert!(registry.by_cell.is_empty() && registry.by_place.is_empty());
    }
}
