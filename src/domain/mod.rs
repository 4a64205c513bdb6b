//! The rules of the network, free of GraphQL and HTTP: what a place is, who sees it,
//! how it is found and how it changes.

pub mod calendar;
pub mod change_log;
pub mod demand;
pub mod directory;
pub mod geo;
mod handle;
pub mod history;
pub mod hours;
pub mod idempotency;
pub mod live;
pub mod offers;
pub mod paging;
pub mod photos;
pub mod places;
mod rules;
pub mod stations;
pub mod validate;
pub mod version;
pub mod voice;

pub use handle::Domain;
pub use paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_size};
pub use rules::Rules;
