//! The roots of the API and the one schema builder that serves the server and
//! `yizhan schema` alike, so the two cannot drift; exporting the SDL needs no database.

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use super::{calendar, limits, node, offers, photos, places, stations, viewer, voice};

/// Every query of the API.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    places::PlaceQuery,
    places::PlaceChangeQuery,
    viewer::ViewerQuery,
    calendar::CalendarQuery,
    stations::StatsQuery,
    stations::CoverageQuery,
);

/// Every mutation of the API. Each takes one `input` and returns a payload object.
#[derive(MergedObject, Default)]
pub struct Mutation(
    places::PlaceMutation,
    offers::OfferMutation,
    photos::PhotoMutation,
    calendar::CalendarMutation,
    voice::FavoriteMutation,
    voice::ReviewMutation,
    voice::ReportMutation,
    stations::ItemMutation,
    stations::LoanMutation,
    stations::CheckInMutation,
);

/// Every subscription of the API, over graphql-transport-ws on `/graphql/ws`.
#[derive(MergedSubscription, Default)]
pub struct Subscription(places::PlaceSubscription, places::ReviewQueueSubscription);

/// The executable schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits, without request-time data.
///
/// It has no extensions, and should keep none: with any extension async-graphql resolves
/// every field through the extension hooks (a type lookup by name and boxed futures per
/// field), which on `nearby` cost about a fifth of the server's CPU. Per-request state goes
/// into the request's data in `prepare` instead.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .register_output_type::<node::Node>()
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .limit_directives(limits::MAX_DIRECTIVES)
}

/// The SDL that `yizhan schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
