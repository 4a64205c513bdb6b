//! Places: finding them, listing them, searching around a point, and the one way every
//! change to a place is written.

mod changes;
mod edit;
mod lifecycle;
mod read;
mod status;
mod sync;
mod write;

pub use changes::{ChangeKind, PlaceChange, Watch, watch_area, watch_place, watch_review_queue};
pub use edit::{NewPlace, PlaceChanges, create, transfer, update};
pub use lifecycle::{appeal, approve, delete, reject, submit, suspend, withdraw};
pub use read::{QueueKey, count_nearby, count_search, find, list, nearby, owned_by, review_queue, search};
pub use status::{NewStatus, set_status};
pub use sync::{ChangePage, SyncCursor, changes_since};
pub use write::for_change;
