//! Places: finding them, listing them, searching around a point, and the one way every
//! change to a place is written.

mod changes;
mod edit;
mod lifecycle;
mod read;
mod status;
mod write;

pub use changes::{
    ChangeKind, ChangePage, PlaceChange, SyncCursor, Watch, changes_since, watch_area, watch_place,
};
pub use edit::{NewPlace, PlaceChanges, create, transfer, update};
pub use lifecycle::{approve, reject, submit, suspend};
pub use read::{QueueKey, count_nearby, find, list, nearby, owned_by, review_queue, search};
pub use status::{NewStatus, set_status};
pub use write::for_change;
