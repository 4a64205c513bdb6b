//! The riders' voice in GraphQL: favourites, reviews and reports. Resolvers only
//! translate; the rules live in `domain::voice`.

mod favorite_ids;
mod favorites;
mod reports;
mod reviews;

pub use favorite_ids::{give_favorite_cache, is_favorite};
pub use favorites::{FavoriteConnection, FavoriteMutation, favorites_of};
pub use reports::{PlaceReport, PlaceReportConnection, ReportMutation, ReportState, reports_of};
pub use reviews::{
    PlaceRating, Review, ReviewConnection, ReviewMutation, ReviewOrder, my_review, reviews_of,
};
