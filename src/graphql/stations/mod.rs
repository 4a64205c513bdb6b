//! Station services in GraphQL: the lending register (`createItem`, `borrowItem`, …,
//! `Place.items`, `Place.loans`, `me.loans`), check-ins (`checkIn`, `Place.checkInCode`,
//! `rotateCheckInCode`) and statistics (`Place.visitStats`, `networkStats`). Resolvers
//! only translate; the rules live in `domain::stations`.

mod checkins;
mod coverage;
mod items;
mod loans;
mod stats;

pub use checkins::{CheckInMutation, Visit, check_in_code_of};
pub use coverage::CoverageQuery;
pub use items::{Item, ItemMutation, items_of};
pub use loans::{Loan, LoanConnection, LoanMutation, LoanState, loans_of, my_loans};
pub use stats::{StatsPeriod, StatsQuery, VisitStats, visit_stats_of};
