//! The directory itself: the index behind a lock, the work calendar its hours are read
//! against, and where it stands in the change log. Queries live in `queries.rs`, the
//! synchronisation with the database in `sync.rs` and `follow.rs`.

use std::sync::{
    Arc, RwLock, RwLockReadGuard, RwLockWriteGuard,
    atomic::{AtomicBool, AtomicI64, Ordering},
};

use entity::{offer, place};

use super::{listing::Listing, schedule::Schedule, spatial::Index};
use crate::domain::{calendar::WorkCalendar, live::Hub, voice::Rating};

/// Distinct schedules kept for sharing.
const SCHEDULES_CACHED: usize = 10_000;

/// Schedules by (expression, zone, follows the work calendar).
pub(super) type Schedules = quick_cache::sync::Cache<(String, String, bool), Option<Arc<Schedule>>>;

/// What preparing a listing needs, cheap to hand to the tasks that load the directory.
#[derive(Clone)]
pub(super) struct Preparer {
    calendar: Arc<WorkCalendar>,
    schedules: Arc<Schedules>,
}

impl Preparer {
    fn schedule_for(&self, place: &place::Model) -> Option<Arc<Schedule>> {
        let key = (
            place.opening_hours.clone(),
            place.time_zone.clone(),
            place.follows_work_calendar,
        );
        if let Some(schedule) = self.schedules.get(&key) {
            return schedule;
        }
        let schedule = Schedule::parse(
            &place.opening_hours,
            &place.time_zone,
            place.follows_work_calendar,
            self.calendar.clone(),
        )
        .ok()
        .map(Arc::new);
        self.schedules.insert(key, schedule.clone());
        schedule
    }

    /// Prepares a listing for any place, published or not.
    pub(super) fn listing(&self, place: place::Model, offers: Vec<offer::Model>, rating: Rating) -> Listing {
        let schedule = self.schedule_for(&place);
        Listing::new(place, offers, rating, schedule)
    }
}

/// The in-memory directory of published places.
pub struct Directory {
    pub(super) index: RwLock<Index>,
    pub(super) calendar: RwLock<Arc<WorkCalendar>>,
    /// Schedules by (expression, zone, follows the work calendar): a network repeats a
    /// handful. Bounded, since every owner may write expressions of their own; a schedule
    /// evicted here lives on in the listings that share it.
    pub(super) schedules: Arc<Schedules>,
    /// The change-log position up to which every change is applied.
    pub(super) applied: AtomicI64,
    /// The log's head when the follower last looked: how far behind `applied` is.
    pub(super) head_seen: AtomicI64,
    /// Serialises followers of the log, so positions apply in order.
    pub(super) following: tokio::sync::Mutex<()>,
    /// Subscribers to hear of every change applied.
    pub(super) hub: Arc<Hub>,
    /// Whether the places came from a snapshot file rather than from the database.
    pub(super) restored: AtomicBool,
}

impl Directory {
    /// An empty directory reading hours against `calendar`.
    pub fn new(calendar: WorkCalendar) -> Self {
        Self {
            index: RwLock::default(),
            calendar: RwLock::new(Arc::new(calendar)),
            schedules: Arc::new(Schedules::new(SCHEDULES_CACHED)),
            applied: AtomicI64::new(0),
            head_seen: AtomicI64::new(0),
            following: tokio::sync::Mutex::default(),
            hub: Arc::default(),
            restored: AtomicBool::new(false),
        }
    }

    /// Whether the places came from a snapshot file (and the log after it) rather than
    /// from reading the database.
    pub fn restored_from_snapshot(&self) -> bool {
        self.restored.load(Ordering::Acquire)
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

    /// What preparing listings needs, against the current calendar.
    pub(super) fn preparer(&self) -> Preparer {
        Preparer {
            calendar: self.calendar(),
            schedules: self.schedules.clone(),
        }
    }

    /// Prepares a listing for any place, published or not.
    pub fn listing(&self, place: place::Model, offers: Vec<offer::Model>, rating: Rating) -> Listing {
        self.preparer().listing(place, offers, rating)
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
        self.read().by_id.get(id).map(|kept| kept.listing.clone())
    }
}
