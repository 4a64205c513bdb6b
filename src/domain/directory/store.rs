//! The directory itself: the index behind a lock, the work calendar its hours are read
//! against, and where it stands in the change log. Queries live in `queries.rs`, the
//! synchronisation with the database in `sync.rs` and `follow.rs`.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, atomic::AtomicI64};

use entity::{offer, place};

use super::{listing::Listing, spatial::Index};
use crate::domain::{calendar::WorkCalendar, hours::Hours, live::Hub, voice::Rating};

/// Distinct opening-hours expressions kept parsed.
const HOURS_CACHED: usize = 10_000;

/// The in-memory directory of published places.
pub struct Directory {
    pub(super) index: RwLock<Index>,
    pub(super) calendar: RwLock<Arc<WorkCalendar>>,
    /// Parsed hours by (expression, zone): a network repeats a handful of expressions. Bounded,
    /// since every owner may write expressions of their own.
    pub(super) hours: quick_cache::sync::Cache<(String, String), Option<Hours>>,
    /// The change-log position up to which every change is applied.
    pub(super) applied: AtomicI64,
    /// The log's head when the follower last looked: how far behind `applied` is.
    pub(super) head_seen: AtomicI64,
    /// Serialises followers of the log, so positions apply in order.
    pub(super) following: tokio::sync::Mutex<()>,
    /// Subscribers to hear of every change applied.
    pub(super) hub: Arc<Hub>,
}

impl Directory {
    /// An empty directory reading hours against `calendar`.
    pub fn new(calendar: WorkCalendar) -> Self {
        Self {
            index: RwLock::default(),
            calendar: RwLock::new(Arc::new(calendar)),
            hours: quick_cache::sync::Cache::new(HOURS_CACHED),
            applied: AtomicI64::new(0),
            head_seen: AtomicI64::new(0),
            following: tokio::sync::Mutex::default(),
            hub: Arc::default(),
        }
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'_, Index> {
        // Every mutation of the index is a single insert or remove, so a panic elsewhere
        // while a guard was held cannot leave it half-updated.
        self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The work calendar (holidays and make-up days) hours are read against.
    pub fn calendar(&self) -> Arc<WorkCalendar> {
        self.calendar
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn hours_for(&self, expression: &str, zone: &str) -> Option<Hours> {
        let key = (expression.to_owned(), zone.to_owned());
        if let Some(hours) = self.hours.get(&key) {
            return hours;
        }
        let hours = Hours::parse(expression, zone, self.calendar()).ok();
        self.hours.insert(key, hours.clone());
        hours
    }

    /// Prepares a listing for any place, published or not.
    pub fn listing(&self, place: place::Model, offers: Vec<offer::Model>, rating: Rating) -> Listing {
        let hours = self.hours_for(&place.opening_hours, &place.time_zone);
        Listing::new(place, offers, rating, hours)
    }

    /// How many places are published.
    pub fn len(&self) -> usize {
        self.read().by_id.len()
    }

    /// True when nothing is published.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A published place by id.
    pub fn get(&self, id: i32) -> Option<Arc<Listing>> {
        self.read().by_id.get(&id).map(|entry| entry.listing.clone())
    }
}
