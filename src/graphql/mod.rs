//! The GraphQL schema. One builder serves the server and `yizhan schema`, so the two
//! cannot drift; exporting the SDL needs no database.

pub mod calendar;
pub mod connection;
pub mod enums;
pub mod history;
pub mod limits;
pub mod node;
pub mod offers;
pub mod places;
pub mod prepare;
pub mod viewer;
pub mod voice;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::{auth::Viewer, domain::Services};

/// Every query of the API.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    places::PlaceQuery,
    places::PlaceChangeQuery,
    viewer::ViewerQuery,
    calendar::CalendarQuery,
);

/// Every mutation of the API. Each takes one `input` and returns a payload object.
#[derive(MergedObject, Default)]
pub struct Mutation(
    places::PlaceMutation,
    offers::OfferMutation,
    calendar::CalendarMutation,
    voice::VoiceMutation,
);

/// Every subscription of the API, over graphql-transport-ws on `/graphql/ws`.
#[derive(MergedSubscription, Default)]
pub struct Subscription(places::PlaceSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits, without request-time data.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .register_output_type::<node::Node>()
        .extension(voice::FavoriteCache)
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .limit_directives(limits::MAX_DIRECTIVES)
}

/// The SDL that `yizhan schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// Typed access to what every resolver may use.
pub trait ContextExt {
    fn services(&self) -> &Services;
    fn viewer(&self) -> &Viewer;
}

impl ContextExt for Context<'_> {
    fn services(&self) -> &Services {
        self.data_unchecked::<Services>()
    }

    fn viewer(&self) -> &Viewer {
        self.data_unchecked::<Viewer>()
    }
}
