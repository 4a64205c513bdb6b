//! The riders' voice in GraphQL: favourites, reviews and reports. Resolvers only
//! translate; the rules live in `domain::voice`.

mod favorites;
mod reports;
mod reviews;

use async_graphql::MergedObject;
pub use favorites::{FavoriteCache, FavoriteConnection, FavoriteMutation, favorites_of, is_favorite};
pub use reports::{PlaceReport, PlaceReportConnection, ReportMutation, ReportState, reports_of};
pub use reviews::{
    PlaceRating, Review, ReviewConnection, ReviewMutation, ReviewOrder, my_review, reviews_of,
};

/// The riders' voice mutations.
#[derive(MergedObject, Default)]
pub struct VoiceMutation(FavoriteMutation, ReviewMutation, ReportMutation);
