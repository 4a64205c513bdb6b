//! sea-orm entities of yizhan: the shape of the tables, nothing else.
//! GraphQL types live in the server crate and are built from these models.

pub mod calendar_day;
pub mod change_log;
pub mod favorite;
pub mod item;
pub mod loan;
pub mod offer;
pub mod place;
pub mod place_history;
pub mod place_photo;
pub mod place_report;
pub mod review;
pub mod review_mark;
pub mod visit;
